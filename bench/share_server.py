"""Share server throughput and bandwidth caps, measured with aria2c over loopback.

    .venv/bin/python bench/share_server.py [--mib 256] [--runs 3] [--cap-mib 8]

Part 1: aria2c -x1 vs -x16 downloading one shared file from the built-in server
(unthrottled: sendfile path). Part 2: caps (per share, global) measured as bytes
over time: bytes the client received / wall time, against the configured cap.
Runs in a throw-away $ZHILIAN_HOME with a session-only link key (no keyring needed).
Prints tables; results are kept in bench/README_share.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from _util import file_sha256

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def aria2(url: str, out: Path, conns: int) -> float:
    if out.exists():
        out.unlink()
    t0 = time.perf_counter()
    subprocess.run(["aria2c", f"-x{conns}", f"-s{conns}", "-k1M", "--min-split-size=1M",
                    "--file-allocation=none", "--allow-overwrite=true", "--no-conf",
                    "--console-log-level=error", "--summary-interval=0", "--download-result=hide",
                    "-d", str(out.parent), "-o", out.name, url], check=True,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def curl_null(url: str) -> float:
    """One connection, body thrown away: what the server alone can push."""
    t0 = time.perf_counter()
    subprocess.run(["curl", "-sS", "-f", "-o", "/dev/null", url], check=True)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mib", type=int, default=256, help="size of the shared file")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--cap-mib", type=float, default=8.0, help="cap to measure, MiB/s")
    ap.add_argument("--cap-seconds", type=float, default=4.0, help="length of each cap run")
    ap.add_argument("--out-dir", default="/dev/shm" if os.path.isdir("/dev/shm") else None,
                    help="where aria2c writes (default: /dev/shm, so the disk is not measured)")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="zhilian-share-bench-"))
    os.environ["ZHILIAN_HOME"] = str(tmp / "home")
    from core.share import ServerConfig, ServerThread, ShareAPI, ShareServer, use_session_secret
    from core.share.access_log import AccessLog
    use_session_secret()
    src = tmp / "video.mp4"
    with open(src, "wb") as f:
        block = os.urandom(1 << 20)
        for _ in range(args.mib):
            f.write(block)
    want = file_sha256(src)
    cfg = ServerConfig(port=0)
    api = ShareAPI(config=cfg)
    srv = ShareServer(api.store, cfg, AccessLog(tmp / "access.log"), watch=False,
                      write_runtime_file=False)
    th = ServerThread(srv, 0).start()
    api.use_server(th)
    out_root = Path(tempfile.mkdtemp(prefix="zhilian-share-bench-out-", dir=args.out_dir))
    out = out_root / "copy.mp4"
    try:
        link = api.create(src, expires="1h")
        print(f"Throughput, {args.mib} MiB file, loopback, median of {args.runs} runs "
              f"({os.cpu_count()} CPU cores), aria2c writing to {out_root.parent}")
        print(f"{'client':<16}{'seconds':>10}{'MiB/s':>10}{'sha256':>10}")
        for conns in (1, 16):
            times = []
            ok = True
            for _ in range(args.runs):
                times.append(aria2(link.url, out, conns))
                ok = ok and file_sha256(out) == want
            t = statistics.median(times)
            print(f"{'aria2c -x' + str(conns):<16}{t:>10.2f}{args.mib / t:>10.0f}{'ok' if ok else 'BAD':>10}")
        t = statistics.median(curl_null(link.url) for _ in range(args.runs))
        print(f"{'curl >/dev/null':<16}{t:>10.2f}{args.mib / t:>10.0f}{'-':>10}")

        cap = int(args.cap_mib * 1024 * 1024)
        size = int(cap * args.cap_seconds)
        capped = tmp / "capped.bin"
        with open(capped, "wb") as f:
            f.write(os.urandom(size))
        print()
        print(f"Bandwidth caps (bytes over time; cap {args.cap_mib:g} MiB/s, ~{args.cap_seconds:g} s runs)")
        print(f"{'case':<40}{'bytes':>12}{'seconds':>9}{'MiB/s':>9}{'cap':>7}")

        def row(name: str, nbytes: int, secs: float) -> None:
            print(f"{name:<40}{nbytes:>12}{secs:>9.2f}{nbytes / secs / 1048576:>9.2f}{args.cap_mib:>7g}")

        per_share = api.create(capped, limit_bps=cap)
        for conns in (1, 16):
            secs = aria2(per_share.url, out, conns)
            row(f"per-share cap, aria2c -x{conns}", size, secs)
        th.call(srv.set_global_limit, cap)
        a = api.create(capped)
        b = api.create(capped)
        outs = [out_root / "a.bin", out_root / "b.bin"]
        times: list[float] = [0.0, 0.0]

        def fetch(i: int, url: str) -> None:
            times[i] = aria2(url, outs[i], 8)
        t0 = time.perf_counter()
        threads = [threading.Thread(target=fetch, args=(i, u)) for i, u in enumerate((a.url, b.url))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        row("global cap, 2 shares x aria2c -x8 (sum)", 2 * size, time.perf_counter() - t0)
        th.call(srv.set_global_limit, 0)
    finally:
        th.stop()
        import shutil
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(out_root, ignore_errors=True)


if __name__ == "__main__":
    main()
