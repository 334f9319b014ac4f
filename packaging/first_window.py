"""Time from starting the frozen app to its first window, measured N times; prints a table.

    python packaging/first_window.py dist/zhilian/zhilian [--runs 5] [--limit-ms 1500]

Each run starts the app with ZHILIAN_SELFTEST=gui: the bundle's runtime hook opens the real
window (gui.app.run_gui), notes when the first top-level window is visible, and quits. The
time counted is from the process's creation (Linux /proc, so it includes the bootloader and
unpacking nothing: one-dir) to that moment. Under Xvfb when it is installed (a real X11
window, platform xcb), else offscreen. A fresh $ZHILIAN_HOME is used for every run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def start_xvfb() -> tuple[subprocess.Popen | None, str | None]:
    if not shutil.which("Xvfb"):
        return None, None
    for n in range(90, 110):
        if Path(f"/tmp/.X11-unix/X{n}").exists() or Path(f"/tmp/.X{n}-lock").exists():
            continue
        proc = subprocess.Popen(["Xvfb", f":{n}", "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            if Path(f"/tmp/.X11-unix/X{n}").exists():
                return proc, f":{n}"
            if proc.poll() is not None:
                break
            time.sleep(0.05)
        proc.kill()
        proc.wait()
    return None, None


def measure(exe: str, runs: int) -> tuple[str, list[int], str]:
    xvfb, display = start_xvfb()
    platform = "xcb" if display else "offscreen"
    times: list[int] = []
    title = ""
    try:
        for _ in range(runs):
            with tempfile.TemporaryDirectory() as home:
                env = dict(os.environ, ZHILIAN_SELFTEST="gui", ZHILIAN_HOME=home, QT_QPA_PLATFORM=platform)
                if display:
                    env["DISPLAY"] = display
                t0 = time.monotonic()
                out = subprocess.run([exe], env=env, capture_output=True, text=True, timeout=60)
                wall = round((time.monotonic() - t0) * 1000)
                try:
                    report = json.loads(out.stdout.strip().splitlines()[-1])
                except (ValueError, IndexError):
                    raise SystemExit(f"first_window: no report from the app (exit {out.returncode}):\n"
                                     f"{out.stdout}\n{out.stderr}") from None
                gui = report["checks"]["gui"]
                if not gui["ok"]:
                    raise SystemExit(f"first_window: the window did not open: {gui['error']}")
                times.append(gui.get("ms_since_process_start", wall))
                title = gui["window_title"]
    finally:
        if xvfb:
            xvfb.terminate()
            xvfb.wait()
    return platform, times, title


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("exe")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--limit-ms", type=int, default=1500)
    a = ap.parse_args(argv)
    platform, times, title = measure(a.exe, a.runs)
    med = statistics.median(times)
    verdict = "ok" if med < a.limit_ms else "OVER"
    print(f"{'time to first window (median)':34s} {med / 1000:9.2f} s  {a.limit_ms / 1000:9.2f} s  {verdict}")
    print(f"  {a.runs} runs on {platform}, window {title!r}: "
          + ", ".join(f"{t} ms" for t in times))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
