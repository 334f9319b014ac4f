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


def precompile(*checkouts: Path) -> None:
    """Byte-compiles each checkout's code first, as an installed app has it. Run with
    PYTHONDONTWRITEBYTECODE set (or from a tree without its __pycache__), every command would
    otherwise compile its modules from source on every start, and a checkout with more or
    newer modules would pay more of that: tens of milliseconds that are no part of what is
    measured."""
    import compileall
    for root in checkouts:
        for sub in ("core", "gui"):
            if (root / sub).is_dir():
                compileall.compile_dir(str(root / sub), quiet=1)
