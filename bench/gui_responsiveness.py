"""GUI responsiveness under load, as a table of numbers (no pass/fail):

1. Lateness of a 10 ms timer on the GUI thread, idle and while the core downloads at
   full loopback speed (the file server runs in another process, like a real remote).
2. Opening a 10,000-task queue (service start + model load + first paint) and scrolling
   it from top to bottom one page at a time (time per repainted page).

    .venv/bin/python bench/gui_responsiveness.py [--size-mb 256] [--files 2] [--tasks 10000]

Runs offscreen (QT_QPA_PLATFORM=offscreen) with its own throw-away ZHILIAN_HOME.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from _util import precompile  # noqa: E402


def serve(size_mb: int, files: int, port_file: str) -> None:
    """Child process: a Range file server holding ``files`` blobs of ``size_mb``."""
    import logging
    logging.getLogger("aiohttp").setLevel(logging.CRITICAL)   # clients closing early is normal here
    from servers import FileServer, make_blob
    srv = FileServer()
    for i in range(files):
        chunks = [make_blob(min(64, size_mb - j) << 20, seed=1000 * i + j) for j in range(0, size_mb, 64)]
        srv.add(f"/big{i}.bin", b"".join(chunks))
    srv.start()
    Path(port_file).write_text(str(srv.port))
    try:
        sys.stdin.read()          # until the parent closes our stdin
    finally:
        srv.stop()


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    k = min(len(s) - 1, max(0, int(round(p / 100 * (len(s) - 1)))))
    return s[k]


class LatenessProbe:
    """A 10 ms precise timer; records how late each tick fires."""

    def __init__(self, interval_ms: int = 10):
        from PySide6.QtCore import Qt, QTimer
        self.interval = interval_ms / 1000
        self.samples: list[float] = []
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self._tick)
        self._last = 0.0

    def start(self) -> None:
        self.samples.clear()
        self._last = time.perf_counter()
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.samples.append(max(0.0, now - self._last - self.interval) * 1000)
        self._last = now


def spin(app, cond, timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        app.processEvents()
        if cond():
            return True
        time.sleep(0.002)
    return cond()


def run_lateness(app, size_mb: int, files: int) -> list[tuple]:
    from core.queue.settings import Settings
    from gui.add_dialog import AddRequest
    from gui.bridge import CoreBridge
    from gui.main_window import MainWindow

    port_file = Path(tempfile.mkdtemp()) / "port"
    child = subprocess.Popen([sys.executable, __file__, "--serve", str(size_mb), str(files), str(port_file)],
                             stdin=subprocess.PIPE)
    try:
        while not port_file.exists():
            if child.poll() is not None:
                raise SystemExit("file server failed to start")
            time.sleep(0.05)
        port = int(port_file.read_text())
        settings = Settings(max_active=files, close_to_tray=False)
        bridge = CoreBridge()
        bridge.start()
        bridge.wait_started(60)
        w = MainWindow(bridge, settings)
        w.setProperty("quitOnClose", False)
        w.resize(1100, 700)
        w.show()
        spin(app, lambda: w.act_add.isEnabled(), 30)

        probe = LatenessProbe()
        probe.start()
        spin(app, lambda: False, 3.0)
        idle = list(probe.samples)

        dest = Path(tempfile.mkdtemp(prefix="zl-bench-dl-"))
        urls = "\n".join(f"http://127.0.0.1:{port}/big{i}.bin" for i in range(files))
        t0 = time.perf_counter()
        probe.start()
        w.submit_add(AddRequest(text=urls, dest_dir=str(dest)))
        spin(app, lambda: len(w.model.all_tasks()) == files, 30)
        w.select_task(w.model.all_tasks()[0].id)
        ok = spin(app, lambda: all(t.state == "done" for t in w.model.all_tasks()), 600)
        elapsed = time.perf_counter() - t0
        probe.stop()
        busy = list(probe.samples)
        total = size_mb * files
        failed = [t.error for t in w.model.all_tasks() if t.state != "done"]
        w.quitting = True
        w.close()
        bridge.stop()
        for f in dest.glob("*"):
            f.unlink()
        rate = total / elapsed
        return [("idle (3 s)", len(idle), pct(idle, 50), pct(idle, 99), max(idle or [0]), "", ""),
                (f"downloading {files}x{size_mb} MiB", len(busy), pct(busy, 50), pct(busy, 99), max(busy or [0]),
                 f"{rate:.0f} MiB/s", "ok" if ok and not failed else f"FAILED {failed}")]
    finally:
        child.stdin.close()
        child.wait(10)


def make_queue(n: int, home: Path) -> None:
    """n paused tasks in the queue database (through the real service)."""
    from core.queue.service import QueueService
    from core.queue.settings import Settings

    async def go() -> None:
        svc = QueueService(settings=Settings(max_active=1))
        await svc.start()
        await svc.pause_all()
        text = "\n".join(f"https://h{i % 13}.example.net/models/part-{i:05d}.safetensors" for i in range(n))
        await svc.add(text, dest_dir=str(home / "dl"))
        await svc.pause_all()
        await svc.close()
    asyncio.run(go())


def run_big_queue(app, n: int) -> list[tuple]:
    from PySide6.QtCore import Qt

    from core.queue.settings import Settings
    from gui.bridge import CoreBridge
    from gui.main_window import MainWindow
    from gui.task_model import COL_SIZE

    t = time.perf_counter()
    make_queue(n, Path(os.environ["ZHILIAN_HOME"]))
    prep = time.perf_counter() - t

    t0 = time.perf_counter()
    bridge = CoreBridge()
    bridge.start()
    w = MainWindow(bridge, Settings(max_active=1, close_to_tray=False))
    w.setProperty("quitOnClose", False)
    w.resize(1100, 700)
    w.show()
    spin(app, lambda: w.model.rowCount() >= n, 120)
    w.table.viewport().repaint()
    open_s = time.perf_counter() - t0
    rows = w.model.rowCount()

    def scroll_pass() -> list[float]:
        bar = w.table.verticalScrollBar()
        bar.setValue(0)
        frames = []
        while True:
            t1 = time.perf_counter()
            bar.setValue(bar.value() + bar.pageStep())
            app.processEvents()
            w.table.viewport().repaint()
            frames.append((time.perf_counter() - t1) * 1000)
            if bar.value() >= bar.maximum():
                break
        return frames

    frames = scroll_pass()
    t2 = time.perf_counter()
    w.table.sortByColumn(COL_SIZE, Qt.SortOrder.DescendingOrder)
    app.processEvents()
    sort_ms = (time.perf_counter() - t2) * 1000
    frames_sorted = scroll_pass()
    w.quitting = True
    w.close()
    bridge.stop()
    return [("queue prepared (not GUI)", f"{prep:.2f} s"),
            (f"open {rows} tasks: service start + model + first paint", f"{open_s:.2f} s"),
            ("scroll page by page: pages", str(len(frames))),
            ("scroll frame p50 / p99 / max", f"{pct(frames, 50):.1f} / {pct(frames, 99):.1f} / {max(frames):.1f} ms"),
            (f"sort {rows} rows by size", f"{sort_ms:.0f} ms"),
            ("scroll sorted: frame p50 / p99 / max",
             f"{pct(frames_sorted, 50):.1f} / {pct(frames_sorted, 99):.1f} / {max(frames_sorted):.1f} ms")]


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--serve":
        serve(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
        return 0
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size-mb", type=int, default=512, help="size of each file downloaded (MiB)")
    ap.add_argument("--files", type=int, default=2, help="files downloaded at once")
    ap.add_argument("--tasks", type=int, default=10_000, help="tasks in the big queue")
    args = ap.parse_args()
    precompile(ROOT)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["ZHILIAN_HOME"] = tempfile.mkdtemp(prefix="zl-bench-")
    from PySide6.QtWidgets import QApplication
    app = QApplication([])

    load_before = os.getloadavg()[0]
    rows = run_lateness(app, args.size_mb, args.files)
    print("\nGUI thread: lateness of a 10 ms timer (ms)")
    print(f"{'phase':32} {'ticks':>6} {'p50':>7} {'p99':>7} {'max':>7}  {'download':>10}  result")
    for name, n, p50, p99, mx, rate, res in rows:
        print(f"{name:32} {n:>6} {p50:>7.2f} {p99:>7.2f} {mx:>7.2f}  {rate:>10}  {res}")

    os.environ["ZHILIAN_HOME"] = tempfile.mkdtemp(prefix="zl-bench-q-")
    print(f"\nBig queue ({args.tasks} tasks)")
    for name, value in run_big_queue(app, args.tasks):
        print(f"{name:56} {value:>22}")
    print(f"\n{os.cpu_count()} CPUs; load average before the run {load_before:.2f}, "
          f"after {os.getloadavg()[0]:.2f} (other work on the machine skews the figures)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
