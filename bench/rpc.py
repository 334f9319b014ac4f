"""RPC speed: 1,000 ``aria2.addUri`` in one ``system.multicall``, and the status calls an
aria2 front end (AriaNg) polls every second, against the real headless runner
(``main.py run --watch --rpc-listen-port P --rpc-secret S``) with 1,000 tasks queued.

    .venv/bin/python bench/rpc.py [--tasks 1000] [--rounds 3] [--polls 30]

Each round starts a runner in a throw-away ZHILIAN_HOME (settings: 50 downloads at once,
50 per host) and sends the multicall over HTTP; the second variant sends the JSON
网盘直链下载助手 sends (User-Agent, Cookie, Referer headers) in every call.  The links point
at a local server that answers the first byte at once and then trickles one byte a
second, so 50 downloads stay active and 950 wait while the status calls are timed
(full keys, as ``aria2p``'s ``get_downloads`` asks; over one kept-alive connection).
Issue targets: the multicall under 2 s, ``tellActive`` with 1,000 tasks under 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _util import free_port  # noqa: E402

SECRET = "bench-secret"
SIZE = 1 << 30


def trickle_server() -> int:
    """A Range server that never finishes: 1 byte at once, then 1 byte per second."""
    from aiohttp import web

    async def handle(request: web.Request) -> web.StreamResponse:
        rng = request.headers.get("Range", "bytes=0-")
        start, _, end = rng[6:].partition("-")
        a, b = int(start or 0), int(end) if end else SIZE - 1
        resp = web.StreamResponse(status=206, headers={
            "Content-Range": f"bytes {a}-{b}/{SIZE}", "Content-Length": str(b - a + 1),
            "Accept-Ranges": "bytes", "ETag": '"bench"'})
        try:
            await resp.prepare(request)
            for _ in range(b - a + 1):
                await resp.write(b"\0")
                await asyncio.sleep(1.0)
        except (ConnectionError, RuntimeError):    # the runner stopped or paused the download
            pass
        return resp

    port = free_port()
    ready = threading.Event()

    def run() -> None:
        loop = asyncio.new_event_loop()
        app = web.Application()
        app.router.add_get("/{tail:.*}", handle)
        runner = web.AppRunner(app, access_log=None)
        loop.run_until_complete(runner.setup())
        loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", port).start())
        ready.set()
        loop.run_forever()

    threading.Thread(target=run, daemon=True).start()
    ready.wait(10)
    return port


class Runner:
    def __init__(self, home: Path):
        (home / "config").mkdir(parents=True, exist_ok=True)
        (home / "config" / "settings.json").write_text(json.dumps(
            {"max_active": 50, "per_host": 50, "host_connections": 256, "max_retries": 0}))
        self.port = free_port()
        env = dict(os.environ, ZHILIAN_HOME=str(home))
        self.proc = subprocess.Popen(
            [sys.executable, str(ROOT / "main.py"), "run", "--watch", "-q", "--rpc-listen-port", str(self.port),
             "--rpc-secret", SECRET], env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while True:
            try:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
                self.call("aria2.getVersion")
                break
            except (ConnectionError, OSError):
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise SystemExit("runner did not start: "
                                     + self.proc.stderr.read().decode()[-2000:]) from None
                time.sleep(0.1)

    def post(self, body: dict) -> tuple[float, dict]:
        data = json.dumps(body).encode()
        t0 = time.perf_counter()
        self.conn.request("POST", "/jsonrpc", body=data, headers={"Content-Type": "application/json"})
        raw = self.conn.getresponse().read()
        dt = time.perf_counter() - t0
        return dt, json.loads(raw)

    def call(self, method: str, *params) -> tuple[float, object]:
        dt, answer = self.post({"jsonrpc": "2.0", "id": 1, "method": method,
                                "params": [f"token:{SECRET}", *params]})
        if "error" in answer:
            raise SystemExit(f"{method}: {answer['error']}")
        return dt, answer["result"]

    def stop(self) -> None:
        self.conn.close()
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(120)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def multicall(n: int, port: int, headers: bool) -> dict:
    options = {"split": "1"}
    if headers:       # what 网盘直链下载助手 sends with each link (panlinker.user.js sendLinkToRPC)
        options["header"] = ["User-Agent: netdisk;7.42.0.5;PC;PC-Windows;10.0.22631;WindowsBaiduYunGuanJia",
                             "Cookie: BDUSS=" + "x" * 192, "Referer: https://pan.baidu.com/disk/main"]
    calls = [{"methodName": "aria2.addUri",
              "params": [f"token:{SECRET}", [f"http://127.0.0.1:{port}/models/part-{i:04d}.safetensors"],
                         {**options, "out": f"part-{i:04d}.safetensors"}]} for i in range(n)]
    return {"jsonrpc": "2.0", "id": "mc", "method": "system.multicall", "params": [calls]}


def timed(fn, polls: int) -> tuple[float, float]:
    xs = sorted(fn() for _ in range(polls))
    return statistics.median(xs), xs[min(len(xs) - 1, int(len(xs) * 0.95))]


def status_calls(run: Runner, last_gid: str, polls: int) -> dict:
    """Once 50 downloads are active: the calls a front end polls, timed."""
    deadline = time.monotonic() + 120
    while len(run.call("aria2.tellActive", ["gid"])[1]) < 50 and time.monotonic() < deadline:
        time.sleep(0.2)
    out: dict = {"counts": (len(run.call("aria2.tellActive", ["gid"])[1]),
                            len(run.call("aria2.tellWaiting", 0, 10000, ["gid"])[1]))}
    out["tellActive (full keys)"] = timed(lambda: run.call("aria2.tellActive")[0], polls)
    out["tellWaiting(0, 1000) (full keys)"] = timed(lambda: run.call("aria2.tellWaiting", 0, 1000)[0], polls)
    out["tellStatus (one gid)"] = timed(lambda: run.call("aria2.tellStatus", last_gid)[0], polls)
    out["getGlobalStat"] = timed(lambda: run.call("aria2.getGlobalStat")[0], polls)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tasks", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--polls", type=int, default=30)
    args = ap.parse_args()
    port = trickle_server()
    add_plain, add_headers, polls = [], [], {}
    body_size = {}
    for r in range(args.rounds):
        for headers in (False, True):
            with tempfile.TemporaryDirectory(prefix="zhilian-bench-rpc-") as home:
                run = Runner(Path(home))
                try:
                    body = multicall(args.tasks, port, headers)
                    body_size[headers] = len(json.dumps(body))
                    dt, answer = run.post(body)
                    gids = [x[0] for x in answer["result"] if isinstance(x, list)]
                    if len(gids) != args.tasks:
                        raise SystemExit(f"multicall queued {len(gids)} of {args.tasks}: {answer['result'][:3]}")
                    (add_headers if headers else add_plain).append(dt)
                    if not headers and not r:        # the first round: the status calls too
                        polls = status_calls(run, gids[-1], args.polls)
                finally:
                    run.stop()
    print(f"Zhilian RPC, {args.tasks} tasks, {args.rounds} round(s), Python {platform.python_version()}, "
          f"{os.cpu_count()} CPU(s)")
    print(f"{'call':<46}{'median':>10}{'worst/p95':>11}  target")
    print("-" * 80)
    plain = f"system.multicall of {args.tasks} addUri ({body_size[False] >> 10} KiB)"
    with_headers = f"  same, with UA + Cookie + Referer ({body_size[True] >> 10} KiB)"
    print(f"{plain:<46}{statistics.median(add_plain):>9.3f}s{max(add_plain):>10.3f}s  < 2 s")
    print(f"{with_headers:<46}{statistics.median(add_headers):>9.3f}s{max(add_headers):>10.3f}s  < 2 s")
    active, waiting = polls.pop("counts")
    print(f"-- queue: {active} active, {waiting} waiting (HTTP round trip, one connection kept alive)")
    for name, (med, p95) in polls.items():
        target = "< 50 ms" if name.startswith("tellActive") else ""
        print(f"{name:<46}{med * 1000:>8.1f}ms{p95 * 1000:>9.1f}ms  {target}")
    ok = (statistics.median(add_plain) < 2 and statistics.median(add_headers) < 2
          and polls["tellActive (full keys)"][0] < 0.05)
    print(f"\ntargets met: {'yes' if ok else 'NO'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
