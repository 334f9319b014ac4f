"""Access log of the share server: who fetched what, one JSON line per answer,
in ``log_dir()/share-access.log`` (rotated at 5 MiB, 3 old files kept).

It holds the client address, share id, file name, status, range, bytes sent and
user agent — never the link signature, a password or a control token (query
strings and Authorization headers are not logged at all)."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

from ..fsutil import private_file

MAX_BYTES = 5 * 1024 * 1024
KEEP = 3


class AccessLog:
    def __init__(self, path: Path | str | None = None):
        if path is None:
            from ..paths import log_dir
            path = log_dir() / "share-access.log"
        self.path = Path(path)
        self._lock = threading.Lock()
        self._private = False

    def write(self, *, client: str, share: str, name: str, status: int, nbytes: int,
              rng: str = "", reason: str = "", agent: str = "", method: str = "GET") -> None:
        rec = {"time": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "client": client, "method": method,
               "share": share[:40], "name": name[:200], "status": status, "bytes": nbytes,
               "range": rng[:80], "agent": agent[:200]}
        if reason:
            rec["reason"] = reason[:200]
        line = json.dumps(rec, ensure_ascii=False) + "\n"
        with self._lock:
            try:
                if self.path.exists() and self.path.stat().st_size > MAX_BYTES:
                    self._rotate()
                if not self._private:     # a file left 0644 by an older version
                    private_file(self.path)
                    self._private = True
                # created owner-only whichever process creates it (client addresses, names)
                fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                with os.fdopen(fd, "a", encoding="utf-8") as f:
                    f.write(line)
            except OSError:
                pass  # a full disk must not break serving

    def _rotate(self) -> None:
        for i in range(KEEP, 0, -1):
            src = self.path.with_name(f"{self.path.name}.{i - 1}") if i > 1 else self.path
            dst = self.path.with_name(f"{self.path.name}.{i}")
            if src.exists():
                src.replace(dst)

    def tail(self, n: int = 50) -> list[dict]:
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()[-n:]
        except OSError:
            return []
        out = []
        for ln in lines:
            try:
                out.append(json.loads(ln))
            except ValueError:
                continue
        return out
