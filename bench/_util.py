"""Small helpers shared by the benchmark scripts (each script runs on its own, with
this folder first on sys.path)."""

from __future__ import annotations

import hashlib
import socket
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def file_sha256(p: Path) -> str:
    h = hashlib.sha256()
    with open(p, "rb") as f:
        while b := f.read(4 << 20):
            h.update(b)
    return h.hexdigest()
