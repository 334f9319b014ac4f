"""One process at a time per target file: an exclusive lock on the name a download writes.

The engine's in-process registry and the queue's reservations keep downloads of one process
apart; two processes (a `get` beside the queue's runner, the app beside a `run` on the same
folder, two `get`) are kept apart by this lock. It is an advisory lock (``flock``; on
Windows a byte-range lock) on a small file named after the target path, kept in the data
folder's ``locks/`` rather than beside the download, so model folders get no extra files.
The operating system drops it when the process ends, even after ``kill -9``: a crashed
download never leaves a name locked."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from . import paths

if os.name == "nt":
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False
else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except OSError:
            return False


def lock_path(target: Path) -> Path:
    key = os.path.normcase(os.path.abspath(target)).encode("utf-8", "surrogatepass")
    return paths.data_dir() / "locks" / (hashlib.sha256(key).hexdigest()[:32] + ".lock")


class NameLock:
    """Held while a download may write ``target`` (its ``.part`` and side files)."""

    def __init__(self, target: Path, fd: int, path: Path):
        self.target, self._fd, self._path = target, fd, path

    @classmethod
    def try_acquire(cls, target: Path) -> NameLock | None:
        """The lock, or None when another process (or another download here) holds it. A
        lock folder that cannot be written (read-only data folder) locks nothing: the
        download goes on, as it did before names were locked."""
        lp = lock_path(target)
        try:
            lp.parent.mkdir(parents=True, exist_ok=True)
        except OSError:
            return cls(target, -1, lp)
        for _ in range(3):
            try:
                fd = os.open(lp, os.O_RDWR | os.O_CREAT | getattr(os, "O_BINARY", 0), 0o600)
            except OSError:
                return cls(target, -1, lp)
            if not _try_lock(fd):
                os.close(fd)
                return None
            try:   # the holder may have removed the file between our open and our lock
                if os.fstat(fd).st_ino == os.stat(lp).st_ino:
                    return cls(target, fd, lp)
            except OSError:
                pass
            os.close(fd)
        return None

    def release(self) -> None:
        if self._fd < 0:
            return
        try:
            os.unlink(self._path)   # before closing: nobody can lock this file any more
        except OSError:
            pass                    # Windows: an open file cannot be removed; it stays
        os.close(self._fd)
        self._fd = -1
