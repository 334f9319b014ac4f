"""Fixtures of the share server tests: a real server on its own thread, a real
SQLite store under $ZHILIAN_HOME and the real (gnome-)keyring from test.sh."""

from __future__ import annotations

import hashlib
import http.client
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


class Clock:
    """A clock tests can move forward (the server asks it for 'now')."""

    def __init__(self):
        import time
        self.offset = 0.0
        self._time = time.time

    def __call__(self) -> float:
        return self._time() + self.offset


@dataclass
class Env:
    api: object
    server: object
    thread: object
    clock: Clock
    log_path: Path

    @property
    def port(self) -> int:
        return self.thread.port

    def get(self, path_or_url: str, headers: dict | None = None, method: str = "GET"):
        """One request, path sent verbatim (no client-side normalisation)."""
        u = urlsplit(path_or_url)
        path = path_or_url if not u.scheme else (u.path + ("?" + u.query if u.query else ""))
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, headers=headers or {})
            r = conn.getresponse()
            body = r.read()
            return r.status, dict(r.getheaders()), body
        finally:
            conn.close()


@pytest.fixture(autouse=True)
def _fresh_secret_cache():
    from core.share import secret
    secret.clear_cache()
    yield
    secret.clear_cache()


@pytest.fixture
def share_env(tmp_path):
    from core.share import ServerConfig, ServerThread, ShareAPI, ShareServer, ShareStore
    from core.share.access_log import AccessLog
    store = ShareStore()
    cfg = ServerConfig(port=0)
    clock = Clock()
    log_path = tmp_path / "access.log"
    srv = ShareServer(store, cfg, AccessLog(log_path), clock=clock, watch=False,
                      write_runtime_file=False)
    th = ServerThread(srv, 0).start()
    api = ShareAPI(store, cfg)
    api.use_server(th)        # links point at this server
    yield Env(api, srv, th, clock, log_path)
    th.stop()
    store.close()


@pytest.fixture
def blob_file(tmp_path):
    """A 16 MiB file of incompressible data and its sha256."""
    data = os.urandom(16 * 1024 * 1024)
    p = tmp_path / "files" / "heygem result 视频.mp4"
    p.parent.mkdir()
    p.write_bytes(data)
    return p, hashlib.sha256(data).hexdigest(), data
