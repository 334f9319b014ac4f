"""Small file-system helpers written once: private files, atomic writes, live processes.

- :func:`private_file` makes a file only its owner can read (``0600``), creating it
  empty when missing; for an SQLite database it also covers the ``-wal``, ``-shm`` and
  ``-journal`` files beside it.  SQLite creates those with the database file's own
  permissions (``os_unix.c``, ``findCreateFileMode``), so a database created ``0600``
  keeps its write-ahead log private too, without touching the process-wide umask
  (which would also change files other threads create meanwhile, such as downloads).
- :func:`atomic_write` writes a whole file or nothing (temporary file, fsync, rename),
  ``0600`` unless told otherwise: settings, logins, pins, share configuration, a
  download's journal, a hand-off's record.
- :func:`pid_alive` tells whether a process id belongs to a running process, on Windows
  too (where ``os.kill(pid, 0)`` would not just ask but end the process).

On Windows the permission bits are advisory (files in the user's profile are private by
their ACL); the calls are harmless there.
"""

from __future__ import annotations

import os
from pathlib import Path

SQLITE_SIDECARS = ("-wal", "-shm", "-journal")


def _make_private(path: Path, mode: int) -> None:
    try:
        if (os.stat(path).st_mode & 0o777) != mode:
            os.chmod(path, mode)
    except FileNotFoundError:
        pass
    except OSError:            # not ours to change (a read-only medium): leave it
        pass


def private_file(path: str | os.PathLike, mode: int = 0o600, sqlite: bool = False) -> Path:
    """Create ``path`` empty with ``mode`` if it does not exist, else set ``mode`` on it.
    With ``sqlite=True`` the database's ``-wal``/``-shm``/``-journal`` files get the same
    mode.  Call it before ``sqlite3.connect`` or ``open(path, "a")``."""
    p = Path(path)
    try:
        fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), mode)
    except FileExistsError:
        _make_private(p, mode)
    else:
        os.close(fd)
        _make_private(p, mode)         # a umask may have taken bits off: ask for exactly mode
    if sqlite:
        for suffix in SQLITE_SIDECARS:
            _make_private(p.with_name(p.name + suffix), mode)
    return p


def atomic_write(path: str | os.PathLike, data: bytes | str, mode: int = 0o600, *,
                 tmp: str | os.PathLike | None = None, umask: bool = False) -> None:
    """Replace ``path`` with ``data`` in one step: readers see the old or the new file,
    never half of one, and after a crash (``kill -9``, power loss once the call has
    returned) the old or the new one is there whole: the data is fsynced before the
    rename. The new file has ``mode`` (default: owner only); with ``umask=True`` the
    process's umask takes its bits off as for any new file (files beside the user's
    downloads).

    ``tmp`` names the temporary file when others must recognise it (a download's
    journal, a hand-off's record): one a crash left behind is replaced.
    By default it is a hidden unique name beside ``path``."""
    p = Path(path)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if tmp is None:
        t = p.with_name(f".{p.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    else:
        t = Path(tmp)
        t.unlink(missing_ok=True)      # left by a crash: made anew, so it gets ``mode``
    fd = os.open(t, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), mode)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
        if not umask:
            _make_private(t, mode)
        os.replace(t, p)
    except BaseException:
        t.unlink(missing_ok=True)
        raise


def pid_alive(pid: int) -> bool:
    """True when a process with this id is running (a zombie counts as gone on Windows)."""
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
        return False
    if os.name == "nt":       # os.kill(pid, 0) would end the process there
        import ctypes
        k32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
        h = k32.OpenProcess(0x1000, False, pid)      # PROCESS_QUERY_LIMITED_INFORMATION
        if not h:
            return False
        code = ctypes.c_ulong()
        try:
            ok = k32.GetExitCodeProcess(h, ctypes.byref(code))
        finally:
            k32.CloseHandle(h)
        return bool(ok) and code.value == 259        # STILL_ACTIVE
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:   # alive, owned by someone else
        return True
    except (OSError, OverflowError):
        return False
    return True


__all__ = ["private_file", "atomic_write", "pid_alive", "SQLITE_SIDECARS"]
