#!/usr/bin/env python3
"""System time of writing a new file in pieces of a given size, with the page cache's
memory fresh (the previous file deleted just before) or left free for a while (deleted,
synced, then a pause: on a VM that hands free memory back to its host, that memory is
faulted in again by the copy into the page cache).

    .venv/bin/python bench/write_sizes.py                      # 512 MiB; 16 KiB .. 512 KiB; 3 runs
    .venv/bin/python bench/write_sizes.py --pause 5 --runs 5 --dir /some/disk

Prints one row per write size: system seconds of each run, after no pause and after the
pause. Linux only (pwrite)."""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time


def one(path: str, size: int, piece: int, buf: bytes) -> float:
    t0 = resource.getrusage(resource.RUSAGE_SELF).ru_stime
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        view = memoryview(buf)
        for off in range(0, size, piece):
            os.pwrite(fd, view[:min(piece, size - off)], off)
    finally:
        os.close(fd)
    return resource.getrusage(resource.RUSAGE_SELF).ru_stime - t0


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mib", type=int, default=512)
    ap.add_argument("--sizes", default="16,32,64,512", help="write sizes in KiB")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--pause", type=float, default=5.0, help="seconds between delete and write")
    ap.add_argument("--dir", default=None)
    args = ap.parse_args()
    size = args.mib << 20
    d = tempfile.mkdtemp(prefix="zhl-writes-", dir=args.dir)
    path = os.path.join(d, "f.bin")
    buf = os.urandom(max(int(k) for k in args.sizes.split(",")) << 10)
    rows = []
    try:
        for k in (int(x) for x in args.sizes.split(",")):
            got = {}
            for pause in (0.0, args.pause):
                runs = []
                for _ in range(args.runs):
                    one(path, size, k << 10, buf)   # the file whose memory the next one gets
                    os.unlink(path)
                    os.sync()
                    time.sleep(pause)
                    runs.append(one(path, size, k << 10, buf))
                    os.unlink(path)
                got[pause] = runs
            rows.append((k, got[0.0], got[args.pause]))
    finally:
        if os.path.exists(path):
            os.unlink(path)
        os.rmdir(d)
    print(f"\n{args.mib} MiB per run, {args.runs} runs; system seconds of each run\n")
    print(f"| write size KiB | no pause | after {args.pause:g} s |")
    print("|---:|---|---|")
    for k, fresh, later in rows:
        print(f"| {k} | {', '.join(f'{x:.2f}' for x in fresh)} | {', '.join(f'{x:.2f}' for x in later)} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
