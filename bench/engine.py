#!/usr/bin/env python3
"""Engine benchmark: Zhilian's `get` against aria2c and curl on nginx (loopback).

    .venv/bin/python bench/engine.py            # full run (64 MiB throttled, 512 MiB unthrottled)
    .venv/bin/python bench/engine.py --runs 5   # more runs per row

Routes: /throttled/ has `limit_rate 1m` (1 MiB/s per connection, like a share host
that throttles each connection); /fast/ is unthrottled. Every command runs as its
own process; wall time, CPU seconds (user+sys) and peak RSS come from the
operating system's accounting of that process (os.wait4). The median of the runs
is printed, with ratios against aria2c.

Needs nginx, aria2c and curl (scripts/setup.sh dev installs them).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _util import file_sha256, free_port

ROOT = Path(__file__).resolve().parent.parent
PY = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv" / "bin" / "python").exists() else sys.executable

NGINX_CONF = """
worker_processes 2;
user root;
error_log {d}/error.log;
pid {d}/nginx.pid;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  sendfile on;
  tcp_nopush on;
  client_body_temp_path {d}/tmp;
  proxy_temp_path {d}/tmp;
  fastcgi_temp_path {d}/tmp;
  uwsgi_temp_path {d}/tmp;
  scgi_temp_path {d}/tmp;
  server {{
    listen 127.0.0.1:{port};
    location /throttled/ {{ alias {d}/www/; limit_rate 1m; }}
    location /fast/ {{ alias {d}/www/; }}
  }}
}}
"""


def make_file(path: Path, mib: int) -> str:
    h = hashlib.sha256()
    with open(path, "wb") as fh:
        for _ in range(mib):
            b = os.urandom(1 << 20)
            h.update(b)
            fh.write(b)
    return h.hexdigest()


# As on a user's machine: Python may cache compiled modules (some CI images turn that off).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def timed(cmd: list[str], cwd: Path) -> tuple[float, float, float, int]:
    """(wall s, cpu s, peak RSS MiB, exit code) of one process."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    return wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--small-mib", type=int, default=64)
    ap.add_argument("--big-mib", type=int, default=512)
    args = ap.parse_args()
    for tool in ("nginx", "aria2c", "curl"):
        if not shutil.which(tool) and not Path(f"/usr/sbin/{tool}").exists():
            print(f"{tool} is missing: run scripts/setup.sh dev", file=sys.stderr)
            return 2
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    d = Path(tempfile.mkdtemp(prefix="zhl-bench-"))
    try:
        (d / "www").mkdir()
        (d / "tmp").mkdir()
        out = d / "out"
        small = make_file(d / "www" / "small.bin", args.small_mib)
        big = make_file(d / "www" / "big.bin", args.big_mib)
        port = free_port()
        (d / "nginx.conf").write_text(NGINX_CONF.format(d=d, port=port))
        srv = subprocess.Popen([nginx, "-p", str(d), "-c", str(d / "nginx.conf"), "-g", "daemon off;"])
        time.sleep(0.5)
        base = f"http://127.0.0.1:{port}"
        cases = [
            (f"throttled {args.small_mib} MiB", f"{base}/throttled/small.bin", small, "small.bin", [
                ("zhilian get -x16", [PY, str(ROOT / "main.py"), "get", "-q", "-x", "16", "-d", "{o}", "{u}"]),
                ("zhilian get (no -x)", [PY, str(ROOT / "main.py"), "get", "-q", "-d", "{o}", "{u}"]),
                ("aria2c -x16 -s16 -k1M", ["aria2c", "-q", "-x16", "-s16", "-k1M", "--allow-overwrite=true",
                                           "--auto-file-renaming=false", "-d", "{o}", "{u}"]),
                ("curl", ["curl", "-sS", "-o", "{o}/small.bin", "{u}"]),
            ]),
            (f"unthrottled {args.big_mib} MiB", f"{base}/fast/big.bin", big, "big.bin", [
                ("zhilian get (no -x)", [PY, str(ROOT / "main.py"), "get", "-q", "-d", "{o}", "{u}"]),
                ("zhilian get -x4", [PY, str(ROOT / "main.py"), "get", "-q", "-x", "4", "-d", "{o}", "{u}"]),
                ("aria2c -x16 -s16 -k1M", ["aria2c", "-q", "-x16", "-s16", "-k1M", "--allow-overwrite=true",
                                           "--auto-file-renaming=false", "--file-allocation=falloc",
                                           "-d", "{o}", "{u}"]),
                ("curl", ["curl", "-sS", "-o", "{o}/big.bin", "{u}"]),
            ]),
        ]
        rows = []
        subprocess.run([PY, str(ROOT / "main.py"), "--version"], env=ENV, stdout=subprocess.DEVNULL)  # warm-up
        for title, url, sha, name, cmds in cases:
            results: dict[str, list[tuple[float, float, float, int]]] = {}
            for run in range(args.runs):
                for label, tmpl in cmds:  # interleaved, so drift hits every tool alike
                    if run and label == "curl" and title.startswith("throttled"):
                        continue  # one connection at 1 MiB/s: a minute per run, once is enough
                    shutil.rmtree(out, ignore_errors=True)
                    out.mkdir()
                    cmd = [c.replace("{o}", str(out)).replace("{u}", url) for c in tmpl]
                    r = timed(cmd, d)
                    got = out / name
                    ok = r[3] == 0 and got.exists() and file_sha256(got) == sha
                    results.setdefault(label, []).append(r if ok else (r[0], r[1], r[2], r[3] or 99))
            ref = statistics.median(x[0] for x in results["aria2c -x16 -s16 -k1M"])
            mib = args.small_mib if title.startswith("throttled") else args.big_mib
            for label, _ in cmds:
                rs = results[label]
                wall = statistics.median(x[0] for x in rs)
                rows.append((title, label, wall, mib / wall, statistics.median(x[1] for x in rs),
                             max(x[2] for x in rs), wall / ref, all(x[3] == 0 for x in rs)))
        srv.terminate()
        srv.wait(10)
    finally:
        shutil.rmtree(d, ignore_errors=True)
    print(f"\nmedian of {args.runs} runs (curl on the throttled route: 1 run), {os.cpu_count()} CPUs, loopback nginx, "
          f"load average at the end {os.getloadavg()[0]:.2f}\n")
    print("| case | command | wall s | MiB/s | CPU s | peak RSS MiB | wall / aria2c | ok |")
    print("|---|---|---:|---:|---:|---:|---:|---|")
    for t, label, wall, tp, cpu, rss, ratio, ok in rows:
        print(f"| {t} | {label} | {wall:.2f} | {tp:.1f} | {cpu:.2f} | {rss:.0f} | {ratio:.2f} | "
              f"{'yes' if ok else 'FAILED'} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
