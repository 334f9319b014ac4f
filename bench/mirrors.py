"""Two mirrors of one file: this project's multi-mirror download vs the fast
mirror alone vs aria2c given both mirrors in a Metalink.

    .venv/bin/python bench/mirrors.py [--mib 64] [--runs 2] [--fast-kib 2048] [--per-ip 4] [-x 8]

nginx serves the same file on two loopback addresses (two hosts, as two real
mirrors would be):
- fast mirror  127.0.0.1:<port>  limit_rate FAST per connection
- slow mirror  127.0.0.2:<port>  limit_rate FAST/4 per connection
and, like share hosts and CDNs, each mirror accepts at most --per-ip connections
per client (limit_conn; extra connections get 503).  Every tool gets the same
connection budget (-x).  Prints a table (wall time, throughput, ratio to the
fast mirror alone); results are kept in bench/README_mirrors.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _util import file_sha256, free_port, precompile

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable

NGINX_CONF = """
worker_processes 1;
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 256; }}
http {{
  access_log off;
  sendfile on;
  limit_conn_zone $binary_remote_addr zone=perip_fast:1m;
  limit_conn_zone $binary_remote_addr zone=perip_slow:1m;
  client_body_temp_path {tmp}/body; proxy_temp_path {tmp}/proxy; fastcgi_temp_path {tmp}/fcgi;
  uwsgi_temp_path {tmp}/uwsgi; scgi_temp_path {tmp}/scgi;
  server {{
    listen 127.0.0.1:{port};
    root {data};
    limit_rate {fast}k;
    limit_conn perip_fast {per_ip};
  }}
  server {{
    listen 127.0.0.2:{port};
    root {data};
    limit_rate {slow}k;
    limit_conn perip_slow {per_ip};
  }}
}}
"""


def timed(cmd: list[str], env: dict[str, str] | None = None) -> float:
    t0 = time.perf_counter()
    r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    dt = time.perf_counter() - t0
    if r.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{r.stderr[-2000:]}")
    return dt


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mib", type=int, default=64, help="file size in MiB")
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--fast-kib", type=int, default=2048, help="fast mirror, KiB/s per connection")
    ap.add_argument("--per-ip", type=int, default=4, help="connections each mirror accepts per client")
    ap.add_argument("-x", type=int, default=8, help="connections per download, for every tool")
    args = ap.parse_args()
    precompile(ROOT)
    if not shutil.which("nginx") or not shutil.which("aria2c"):
        raise SystemExit("needs nginx and aria2c (scripts/setup.sh installs them)")

    tmp = Path(tempfile.mkdtemp(prefix="zl-mirrors-"))
    data = tmp / "data"
    data.mkdir()
    blob = data / "model.bin"
    with open(blob, "wb") as f:
        for _ in range(args.mib):
            f.write(os.urandom(1 << 20))
    digest, size = file_sha256(blob), blob.stat().st_size
    for p in (tmp, data):          # nginx workers may run as another user
        p.chmod(0o755)
    blob.chmod(0o644)
    port = free_port()
    slow = max(1, args.fast_kib // 4)
    (tmp / "nginx.conf").write_text(NGINX_CONF.format(tmp=tmp, data=data, port=port, fast=args.fast_kib,
                                                      slow=slow, per_ip=args.per_ip))
    nginx = subprocess.Popen(["nginx", "-c", str(tmp / "nginx.conf"), "-p", str(tmp)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    fast_url = f"http://127.0.0.1:{port}/model.bin"
    slow_url = f"http://127.0.0.2:{port}/model.bin"
    env = {**os.environ, "ZHILIAN_HOME": str(tmp / "home")}
    try:
        manifest = tmp / "model.yaml"
        manifest.write_text(f"name: bench\nsize: {size}\nsha256: {digest}\ndownload:\n"
                            f"  - url: {fast_url}\n    priority: 1\n  - url: {slow_url}\n    priority: 2\n")
        meta4 = tmp / "model.meta4"
        meta4.write_text(f"""<?xml version="1.0" encoding="UTF-8"?>
<metalink xmlns="urn:ietf:params:xml:ns:metalink">
  <file name="model.bin">
    <size>{size}</size>
    <hash type="sha-256">{digest}</hash>
    <url priority="1">{fast_url}</url>
    <url priority="2">{slow_url}</url>
  </file>
</metalink>
""")
        out = tmp / "out"

        def fresh() -> Path:
            shutil.rmtree(out, ignore_errors=True)
            out.mkdir()
            return out

        def ours_both() -> float:
            d = fresh()
            t = timed([PY, str(ROOT / "main.py"), "fetch", "--manifest", str(manifest), "--target-dir",
                       str(d), "-x", str(args.x), "-q"], env)
            assert file_sha256(d / "model.bin") == digest
            return t

        def ours_fast() -> float:
            d = fresh()
            t = timed([PY, str(ROOT / "main.py"), "get", fast_url, "-d", str(d), "-x", str(args.x),
                       "--sha256", digest, "-q"], env)
            assert file_sha256(d / "model.bin") == digest
            return t

        def aria_both() -> float:
            d = fresh()
            t = timed(["aria2c", "--no-conf", "-M", str(meta4), "-d", str(d), f"-s{args.x}",
                       f"-x{args.x}", "-k1M", "--min-split-size=1M",
                       "--file-allocation=none", "--allow-overwrite=true", "--check-integrity=true",
                       "--console-log-level=error", "--summary-interval=0", "--download-result=hide"])
            assert file_sha256(d / "model.bin") == digest
            return t

        def aria_fast() -> float:
            d = fresh()
            t = timed(["aria2c", "--no-conf", fast_url, "-d", str(d), f"-s{args.x}", f"-x{args.x}",
                       "-k1M", "--min-split-size=1M", "--file-allocation=none", "--allow-overwrite=true",
                       "--console-log-level=error", "--summary-interval=0", "--download-result=hide"])
            assert file_sha256(d / "model.bin") == digest
            return t

        cases = [("zhilian fetch, both mirrors (manifest)", ours_both),
                 ("zhilian get, fast mirror alone", ours_fast),
                 ("aria2c, both mirrors (.meta4)", aria_both),
                 ("aria2c, fast mirror alone", aria_fast)]
        results: dict[str, list[float]] = {name: [] for name, _ in cases}
        for _ in range(args.runs):
            for name, fn in cases:
                results[name].append(fn())
        base = statistics.median(results["zhilian get, fast mirror alone"])
        print(f"\nfile {args.mib} MiB; fast mirror {args.fast_kib} KiB/s per connection, slow "
              f"{slow} KiB/s per connection; each mirror accepts {args.per_ip} connections per "
              f"client; -x {args.x}; median of {args.runs} run(s)\n")
        print(f"| {'case':<42} | {'wall s':>7} | {'min-max s':>11} | {'MiB/s':>6} | {'vs fast alone':>13} |")
        print(f"|{'-' * 44}|{'-' * 9}|{'-' * 13}|{'-' * 8}|{'-' * 15}|")
        for name, _ in cases:
            t = statistics.median(results[name])
            spread = f"{min(results[name]):.2f}-{max(results[name]):.2f}"
            print(f"| {name:<42} | {t:7.2f} | {spread:>11} | {args.mib / t:6.2f} | {base / t:12.2f}x |")
        ours, theirs = results["zhilian fetch, both mirrors (manifest)"], results["aria2c, both mirrors (.meta4)"]
        print(f"\nround by round, both mirrors: zhilian faster than aria2c in "
              f"{sum(a < b for a, b in zip(ours, theirs))} of {len(ours)} rounds")
        ideal = args.per_ip * (args.fast_kib + slow) / 1024
        print(f"\nceiling with both mirrors: {ideal:.2f} MiB/s; fast mirror alone: "
              f"{args.per_ip * args.fast_kib / 1024:.2f} MiB/s")
    finally:
        nginx.send_signal(signal.SIGQUIT)
        try:
            nginx.wait(10)
        except subprocess.TimeoutExpired:
            nginx.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
