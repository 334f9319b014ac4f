"""Helpers of the RPC tests: the headless runner with its RPC (``main.py run --watch
--rpc-listen-port 0 --rpc-secret S``) as a real subprocess, and a plain JSON-RPC caller
for the tests that must send exact bytes and headers."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SECRET = "test-secret-7b1e0c"


def wait_for(pred, timeout: float = 30.0, step: float = 0.05, what: str = "condition") -> Any:
    """Polls ``pred()`` until it is true (a hang guard, not a timing assertion)."""
    end = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > end:
            raise AssertionError(f"{what} not reached in {timeout} s")
        time.sleep(step)


def queue_rows() -> list:
    """The tasks in the queue database (ZHILIAN_HOME's), as the CLI and the window read them."""
    from core.queue.store import Store
    st = Store()
    try:
        return st.load()
    finally:
        st.close()


class Runner:
    """``main.py run --watch`` with the RPC, on a free port."""

    def __init__(self, home: Path, secret: str | None = SECRET, args: tuple[str, ...] = ()):
        self.home, self.secret, self.args = home, secret, args
        self.proc: subprocess.Popen | None = None
        self.out: list[str] = []
        self.url = ""
        self.port = 0

    @property
    def downloads(self) -> Path:
        return self.home / "Downloads"

    def start(self) -> Runner:
        env = dict(os.environ, ZHILIAN_HOME=str(self.home), PYTHONUNBUFFERED="1")
        secret = ["--rpc-secret", self.secret] if self.secret is not None else []
        cmd = [sys.executable, str(ROOT / "main.py"), "run", "--watch", "--interval", "0.5",
               "--rpc-listen-port", "0", *secret, *self.args]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                     env=env, cwd=ROOT)
        threading.Thread(target=self._read, daemon=True).start()
        m = wait_for(lambda: next((re.search(r"on (http://127\.0\.0\.1:(\d+)/jsonrpc)", line)
                                   for line in list(self.out) if "jsonrpc" in line), None)
                     or (self.proc.poll() is not None and self._died()), 60, what="runner start")
        self.url, self.port = m.group(1), int(m.group(2))
        return self

    def _died(self):
        raise AssertionError("runner exited: " + "".join(self.out)[-3000:])

    def _read(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        for line in self.proc.stdout:
            self.out.append(line)

    def stop(self) -> int:
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else 0
        self.proc.send_signal(signal.SIGINT)
        try:
            return self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()

    # -- plain JSON-RPC ---------------------------------------------------------------
    def post(self, body: bytes | str | Any, headers: dict[str, str] | None = None,
             path: str = "/jsonrpc") -> tuple[int, Any, dict]:
        """(HTTP status, parsed JSON answer, answer headers)."""
        if not isinstance(body, (bytes, str)):
            body = json.dumps(body)
        data = body.encode() if isinstance(body, str) else body
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=data, method="POST",
                                     headers={"Content-Type": "application/json", **(headers or {})})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, json.loads(r.read()), dict(r.headers)
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read()), dict(e.headers)

    def call(self, method: str, *params: Any, token: str | None = None) -> Any:
        """The result, or AssertionError with the error object."""
        body = {"jsonrpc": "2.0", "id": "t", "method": method,
                "params": [f"token:{token or self.secret}", *params]}
        status, answer, _ = self.post(body)
        if "error" in answer:
            raise AssertionError((status, answer["error"]))
        return answer["result"]

    def all_gids(self) -> set[str]:
        keys = ["gid"]
        return {d["gid"] for d in [*self.call("aria2.tellActive", keys),
                                   *self.call("aria2.tellWaiting", 0, 10000, keys),
                                   *self.call("aria2.tellStopped", 0, 10000, keys)]}
