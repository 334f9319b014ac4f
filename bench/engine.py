#!/usr/bin/env python3
"""Engine benchmark: Zhilian's `get` against aria2c and curl on nginx (loopback).

    .venv/bin/python bench/engine.py            # full run (64 MiB throttled, 512 MiB unthrottled,
                                                #   512 MiB unthrottled over TLS)
    .venv/bin/python bench/engine.py --runs 5   # more runs per row
    .venv/bin/python bench/engine.py --latency  # time vs round-trip time (0/50/150/250 ms),
                                                #   HTTP and TLS, table + bench/latency.png

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
import json
import math
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _util import file_sha256, free_port, precompile

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
    location /throttled4/ {{ alias {d}/www/; limit_rate 4m; }}
    location /fast/ {{ alias {d}/www/; }}
  }}
  server {{
    listen 127.0.0.1:{tls_port} ssl;
    server_name localhost;
    ssl_certificate {d}/cert.pem;
    ssl_certificate_key {d}/key.pem;
    ssl_session_cache shared:bench:1m;
    location /throttled/ {{ alias {d}/www/; limit_rate 1m; }}
    location /throttled4/ {{ alias {d}/www/; limit_rate 4m; }}
    location /fast/ {{ alias {d}/www/; }}
  }}
}}
"""


def make_cert(d: Path) -> Path:
    """A self-signed certificate for localhost / 127.0.0.1 (cert.pem is its own CA)."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([
                x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    (d / "key.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    (d / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return d / "cert.pem"


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


def timed(cmd: list[str], cwd: Path, env: dict | None = None) -> tuple[float, float, float, int]:
    """(wall s, cpu s, peak RSS MiB, exit code) of one process. Peak RSS comes from GNU time
    (a small parent of its own): a child forked from this script would count this script's
    memory as its own until it execs."""
    rss_file = cwd / "rss.txt"
    t0 = time.perf_counter()
    p = subprocess.Popen(["/usr/bin/time", "-f", "%M", "-o", str(rss_file), *cmd], cwd=cwd,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env or ENV)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    try:
        rss = int(rss_file.read_text().split()[-1]) / 1024
    except (OSError, ValueError, IndexError):
        rss = float("nan")
    return wall, ru.ru_utime + ru.ru_stime, rss, os.waitstatus_to_exitcode(status)


def zhilian(*extra: str, root: Path = ROOT) -> list[str]:
    return [PY, str(root / "main.py"), "get", "-q", *extra, "-d", "{o}", "{u}"]


BASELINE: Path | None = None   # --baseline DIR: another checkout's rows beside this one's
RAW = None   # --raw FILE: an open file that gets one JSON line per run


def with_baseline(cmds: list[tuple[str, list[str]]]) -> list[tuple[str, list[str]]]:
    """Adds a "baseline" row after each zhilian default row (same flags, other checkout)."""
    if BASELINE is None:
        return cmds
    out = []
    for label, cmd in cmds:
        out.append((label, cmd))
        if label.startswith("zhilian get (") and cmd[1] == str(ROOT / "main.py"):
            out.append((label.replace("zhilian", "baseline", 1), [cmd[0], str(BASELINE / "main.py"), *cmd[2:]]))
    return out


def aria2c(*extra: str) -> list[str]:
    return ["aria2c", "-q", *extra, "--allow-overwrite=true", "--auto-file-renaming=false",
            "--ca-certificate={ca}", "-d", "{o}", "{u}"]


def curl(name: str) -> list[str]:
    return ["curl", "-sS", "--cacert", "{ca}", "-o", "{o}/" + name, "{u}"]


ARIA2_TUNED = "aria2c -x16 -s16 -k1M"


def median_interval(values: list[float], level: float = 0.95) -> tuple[float, float] | None:
    """A distribution-free interval for the median of ``values``: the k-th smallest and the
    k-th largest value, with k the largest rank for which the chance that the median lies
    outside is at most 1 - level (the count of values below the median is Binomial(n, 1/2)).
    None for fewer than 6 values, where no such k exists at 95 %."""
    xs, n = sorted(values), len(values)
    k, tail = 0, 0.0
    while True:
        tail_next = tail + math.comb(n, k) / 2 ** n    # P(fewer than k+1 values below the median)
        if 2 * tail_next > 1 - level:
            break
        tail, k = tail_next, k + 1
    return (xs[k - 1], xs[n - k]) if k else None


def median_with_interval(values: list[float]) -> tuple[float, tuple[float, float] | None]:
    return statistics.median(values), median_interval(values)


def paired_text(paired: tuple[float, tuple[float, float] | None] | None) -> str:
    if paired is None:
        return "-"
    m, iv = paired
    return f"{m:.2f}" + (f" ({iv[0]:.2f}-{iv[1]:.2f})" if iv else "")


def run_case(d: Path, url: str, sha: str, name: str, cmds, runs: int, once=()) -> dict:
    """Runs each command `runs` times, interleaved in a rotating order, checking the file each time; commands in
    `once` run in the first round only.  Returns label -> list of (wall, cpu, rss, exit)."""
    out = d / "out"
    env = {**ENV, "SSL_CERT_FILE": str(d / "cert.pem")}
    results: dict[str, list[tuple[float, float, float, int]]] = {}
    before = None   # the command run last (the previous round's last one at a round's start)
    for run in range(runs):
        # interleaved, so drift hits every tool alike; and each round starts one command
        # later, so the place right after the previous round (freshly freed memory: see
        # bench/README.md, "Unthrottled TLS") goes to each command in turn
        k = run % len(cmds)
        for label, tmpl in cmds[k:] + cmds[:k]:
            if run and label in once:
                continue
            shutil.rmtree(out, ignore_errors=True)
            out.mkdir()
            # the previous run's writes (and the freeing of its file) go to disk now, not
            # during this run: else whichever command runs next pays for them (0.3-1.5 s of
            # system time on this VM after a 512 MiB run)
            os.sync()
            cmd = [c.replace("{o}", str(out)).replace("{u}", url).replace("{ca}", str(d / "cert.pem"))
                   for c in tmpl]
            r = timed(cmd, d, env)
            got = out / name
            ok = r[3] == 0 and got.exists() and file_sha256(got) == sha
            results.setdefault(label, []).append(r if ok else (r[0], r[1], r[2], r[3] or 99))
            if RAW is not None:   # each run on its own, with what ran just before it
                RAW.write(json.dumps({"url": url, "round": run, "command": label, "after": before,
                                      "wall": r[0], "cpu": r[1], "rss_mib": r[2], "ok": ok}) + "\n")
                RAW.flush()
            before = label
    return results


def start_proxy(target_port: int, rtt_ms: float) -> tuple[subprocess.Popen, int]:
    port = free_port()
    p = subprocess.Popen([sys.executable, str(Path(__file__).with_name("delayproxy.py")),
                          "--listen", f"127.0.0.1:{port}", "--to", f"127.0.0.1:{target_port}",
                          "--rtt-ms", str(rtt_ms)])
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), 0.1).close()
            return p, port
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("the delay proxy did not start")


def loopback_tables(d: Path, base: str, tls_base: str, files: dict, args) -> None:
    small, big = files["small.bin"], files["big.bin"]
    cases = [
        (f"throttled {args.small_mib} MiB", f"{base}/throttled/small.bin", small, "small.bin",
         args.small_mib, [
             ("zhilian get -x16", zhilian("-x", "16")),
             ("zhilian get (no -x)", zhilian()),
             (ARIA2_TUNED, aria2c("-x16", "-s16", "-k1M")),
             ("curl", curl("small.bin")),
         ], {"curl"}),   # one connection at 1 MiB/s: a minute per run, once is enough
        (f"unthrottled {args.big_mib} MiB", f"{base}/fast/big.bin", big, "big.bin", args.big_mib, [
            ("zhilian get (no -x)", zhilian()),
            ("zhilian get -x4", zhilian("-x", "4")),
            (ARIA2_TUNED, aria2c("-x16", "-s16", "-k1M", "--file-allocation=falloc")),
            ("curl", curl("big.bin")),
        ], set()),
        (f"unthrottled TLS {args.big_mib} MiB", f"{tls_base}/fast/big.bin", big, "big.bin", args.big_mib, [
            ("zhilian get (no -x)", zhilian()),
            (ARIA2_TUNED, aria2c("-x16", "-s16", "-k1M", "--file-allocation=falloc")),
            ("curl", curl("big.bin")),
        ], set()),
    ]
    if args.only:
        cases = [c for c in cases if args.only.lower() in c[0].lower()]
    rows = []
    for title, url, sha, name, mib, cmds, once in cases:
        cmds = with_baseline(cmds)
        results = run_case(d, url, sha, name, cmds, args.runs, once)
        ref = statistics.median(x[0] for x in results[ARIA2_TUNED])
        curl_runs = results.get("curl", [])
        for label, _ in cmds:
            rs = results[label]
            wall = statistics.median(x[0] for x in rs)
            cpu = statistics.median(x[1] for x in rs)
            # each run against curl's in the same round (seconds apart): the VM's drift over
            # the minutes of a sitting cancels, which the ratio of two medians keeps
            paired = (median_with_interval([r[0] / c[0] for r, c in zip(rs, curl_runs)])
                      if len(curl_runs) == len(rs) and label != "curl" else None)
            rows.append((title, label, wall, min(x[0] for x in rs), max(x[0] for x in rs), mib / wall, cpu,
                         cpu * 1024 / mib, max(x[2] for x in rs), wall / ref, paired,
                         all(x[3] == 0 for x in rs)))
    print(f"\nmedian of {args.runs} runs (curl on the throttled route: 1 run), {os.cpu_count()} CPUs, "
          f"loopback nginx, load average at the end {os.getloadavg()[0]:.2f}\n")
    print("| case | command | wall s | fastest-slowest s | MiB/s | CPU s | CPU s/GiB | peak RSS MiB | "
          "wall / aria2c | / curl, same round | ok |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for t, label, wall, lo, hi, tp, cpu, cpg, rss, ratio, paired, ok in rows:
        print(f"| {t} | {label} | {wall:.2f} | {lo:.2f}-{hi:.2f} | {tp:.1f} | {cpu:.2f} | {cpg:.2f} | {rss:.0f} | "
              f"{ratio:.2f} | {paired_text(paired)} | {'yes' if ok else 'FAILED'} |")
    print("\n/ curl, same round: the median of each run's wall time over curl's in the same round; in "
          "brackets, where the runs allow one, the 95 % interval of that median (order statistics, "
          "no assumption about the distribution)")


def latency_tables(d: Path, port: int, tls_port: int, files: dict, args) -> None:
    rtts = [float(x) for x in args.rtts.split(",")]
    cases = [(f"{args.small_mib} MiB, 1 MiB/s per connection", "throttled", "small.bin", args.small_mib),
             (f"{args.mid_mib} MiB, 4 MiB/s per connection", "throttled4", "mid.bin", args.mid_mib)]
    cmds = with_baseline([("zhilian get (defaults)", zhilian()), (ARIA2_TUNED, aria2c("-x16", "-s16", "-k1M"))])
    if not args.no_aria2_defaults:
        cmds.append(("aria2c (defaults)", aria2c()))
    rows, series = [], {}
    for title, route, name, mib in cases:
        for proto, origin in (("http", port), ("https", tls_port)):
            for rtt in rtts:
                proxy = None
                try:
                    if rtt > 0:
                        proxy, pport = start_proxy(origin, rtt)
                    else:
                        pport = origin
                    host = "localhost" if proto == "https" else "127.0.0.1"
                    url = f"{proto}://{host}:{pport}/{route}/{name}"
                    res = run_case(d, url, files[name], name, cmds, args.runs, {"aria2c (defaults)"})
                finally:
                    if proxy:
                        proxy.terminate()
                        proxy.wait(10)
                ref = statistics.median(x[0] for x in res[ARIA2_TUNED])
                for label, _ in cmds:
                    rs = res[label]
                    wall = statistics.median(x[0] for x in rs)
                    cpu = statistics.median(x[1] for x in rs)
                    ok = all(x[3] == 0 for x in rs)
                    rows.append((title, proto, rtt, label, wall, mib / wall, cpu, wall / ref, ok))
                    series.setdefault((title, proto, label), []).append((rtt, wall))
                    print(f"  {title} {proto} {rtt:.0f} ms {label}: {wall:.2f} s", file=sys.stderr)
    print(f"\nmedian of {args.runs} runs (aria2c defaults: 1 run), {os.cpu_count()} CPUs, nginx behind "
          f"bench/delayproxy.py (0 ms = direct), load average at the end {os.getloadavg()[0]:.2f}\n")
    print("| case | proto | RTT ms | command | wall s | MiB/s | CPU s | wall / aria2c tuned | ok |")
    print("|---|---|---:|---|---:|---:|---:|---:|---|")
    for title, proto, rtt, label, wall, tp, cpu, ratio, ok in rows:
        print(f"| {title} | {proto} | {rtt:.0f} | {label} | {wall:.2f} | {tp:.1f} | {cpu:.2f} | {ratio:.2f} | "
              f"{'yes' if ok else 'FAILED'} |")
    if args.plot:
        from plot import line_panels
        panels = []
        for title, *_ in cases:
            for proto in ("http", "https"):
                lines = {label: series[(title, proto, label)] for label, _ in cmds
                         if label != "aria2c (defaults)"}
                panels.append((f"{title}, {proto}", lines))
        line_panels(panels, Path(args.plot), xlabel="round-trip time, ms", ylabel="wall time, s")
        print(f"\nplot: {args.plot}")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--small-mib", type=int, default=64)
    ap.add_argument("--mid-mib", type=int, default=128)
    ap.add_argument("--big-mib", type=int, default=512)
    ap.add_argument("--only", default="", help="only the loopback cases whose title holds this (e.g. TLS)")
    ap.add_argument("--latency", action="store_true", help="the time-vs-RTT table instead")
    ap.add_argument("--rtts", default="0,50,150,250", help="round-trip times in ms (--latency)")
    ap.add_argument("--no-aria2-defaults", action="store_true",
                    help="skip aria2c with its defaults (one connection: about a minute a row)")
    ap.add_argument("--baseline", type=Path, default=None,
                    help="another checkout (e.g. a git worktree of an older commit): its `get` rows run "
                         "interleaved beside this one's, for before/after on the same machine")
    ap.add_argument("--raw", type=Path, default=None,
                    help="also write every run (command, round, the command run just before it, wall, "
                         "CPU) to this file as JSON lines, to look at the fast and slow runs behind a median")
    ap.add_argument("--plot", default=str(Path(__file__).with_name("latency.png")),
                    help="PNG of time vs RTT (--latency); empty: none")
    args = ap.parse_args()
    global BASELINE, RAW
    BASELINE = args.baseline.resolve() if args.baseline else None
    RAW = args.raw.open("w") if args.raw else None
    precompile(Path(__file__).resolve().parents[1], *([BASELINE] if BASELINE else []))
    for tool in ("nginx", "aria2c", "curl", "time"):
        if not shutil.which(tool) and not Path(f"/usr/sbin/{tool}").exists():
            print(f"{tool} is missing: run scripts/setup.sh dev", file=sys.stderr)
            return 2
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    d = Path(tempfile.mkdtemp(prefix="zhl-bench-"))
    srv = None
    try:
        (d / "www").mkdir()
        (d / "tmp").mkdir()
        make_cert(d)
        files = {"small.bin": make_file(d / "www" / "small.bin", args.small_mib)}
        if args.latency:
            files["mid.bin"] = make_file(d / "www" / "mid.bin", args.mid_mib)
        else:
            files["big.bin"] = make_file(d / "www" / "big.bin", args.big_mib)
        port, tls_port = free_port(), free_port()
        (d / "nginx.conf").write_text(NGINX_CONF.format(d=d, port=port, tls_port=tls_port))
        srv = subprocess.Popen([nginx, "-p", str(d), "-c", str(d / "nginx.conf"), "-g", "daemon off;"])
        time.sleep(0.5)
        subprocess.run([PY, str(ROOT / "main.py"), "--version"], env=ENV, stdout=subprocess.DEVNULL)  # warm-up
        if args.latency:
            latency_tables(d, port, tls_port, files, args)
        else:
            loopback_tables(d, f"http://127.0.0.1:{port}", f"https://localhost:{tls_port}", files, args)
    finally:
        if srv:
            srv.terminate()
            srv.wait(10)
        shutil.rmtree(d, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
