"""What went wrong with the queue database, said in one line a person can act on,
and the repair of a damaged file.

``explain(error, path)`` turns an ``sqlite3.Error`` or ``OSError`` into a
``QueueDbError`` whose ``kind`` is one of:

- ``readonly``   the file, its folder or the disk cannot be written;
- ``full``       the disk is full;
- ``locked``     another program holds a lock on the file;
- ``damaged``    part of the file is broken (often an index) but every table can
                 still be read: ``repair(path)`` (``main.py repair-queue``, or
                 Repair in the app's dialog) rebuilds it without losing a task;
- ``unreadable`` the tables cannot be read: a copy of the file is saved beside it
                 and the message names that copy;
- ``io``, ``other`` anything else.

Only ``unreadable`` ever suggests moving the file away: in every other case the
tasks in the file are intact and the message says so.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import shutil
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from ..errors import ZhilianError, human_bytes
from ..invocation import command

log = logging.getLogger("zhilian.queue")

# SQLite primary result codes (https://www.sqlite.org/rescode.html)
SQLITE_BUSY, SQLITE_LOCKED, SQLITE_READONLY, SQLITE_IOERR = 5, 6, 8, 10
SQLITE_CORRUPT, SQLITE_FULL, SQLITE_CANTOPEN, SQLITE_NOTADB = 11, 13, 14, 26

BUSY_TIMEOUT = 15.0        # seconds SQLite waits for another program's lock
_INTACT = "Your tasks are intact"


class QueueDbError(ZhilianError):
    """The queue database cannot be used (read-only, full, locked, damaged, newer
    version); ``kind`` says which, the message says what to do."""

    def __init__(self, message: str, kind: str = "other", *, backup: Path | None = None,
                 tasks: int | None = None):
        super().__init__(message)
        self.kind, self.backup, self.tasks = kind, backup, tasks


def _code(e: BaseException) -> int | None:
    code = getattr(e, "sqlite_errorcode", None)
    return code & 0xFF if isinstance(code, int) else None


def _free(path: Path) -> int | None:
    for p in (path.parent, path.parent.parent):
        try:
            return shutil.disk_usage(p).free
        except OSError:
            continue
    return None


def _detail(e: BaseException) -> str:
    if isinstance(e, OSError):
        return e.strerror or str(e)
    return str(e) or e.__class__.__name__


def explain(e: BaseException, path: Path) -> QueueDbError:
    """The one-line error for a failure of the database at ``path``."""
    if isinstance(e, QueueDbError):
        return e
    code, no, detail = _code(e), getattr(e, "errno", None), _detail(e)
    if code == SQLITE_READONLY or no in (errno.EROFS, errno.EACCES, errno.EPERM):
        return QueueDbError(
            f"Cannot write the queue database {path}: it is read-only ({detail}). {_INTACT}; make the "
            "file and its folder writable again (permissions, the immutable attribute, a read-only "
            "mount) and try again.", "readonly")
    if code == SQLITE_FULL or no in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        return _full(path, detail)
    if code in (SQLITE_BUSY, SQLITE_LOCKED):
        return QueueDbError(
            f"The queue database {path} is locked by another program (waited {BUSY_TIMEOUT:.0f} s). "
            f"{_INTACT}; close the program that holds it (a database browser, a backup or sync tool) "
            "and try again.", "locked")
    if code in (SQLITE_CORRUPT, SQLITE_NOTADB):
        return diagnose(path, detail)
    if code == SQLITE_CANTOPEN:
        where = path if path.exists() else path.parent
        if not os.access(where, os.W_OK):
            return explain(OSError(errno.EACCES, "permission denied"), path)
        return QueueDbError(f"Cannot open the queue database {path} ({detail}). {_INTACT}; check that "
                            "its folder exists and can be written, then try again.", "io")
    if code == SQLITE_IOERR or isinstance(e, OSError):
        free = _free(path)
        if free is not None and free < (1 << 20):
            return _full(path, detail)
        return QueueDbError(f"Cannot read or write the queue database {path} ({detail}). {_INTACT} as "
                            "far as Zhilian can tell; check the disk, then try again.", "io")
    return QueueDbError(f"The queue database {path} cannot be used ({detail}). {_INTACT}.", "other")


def _full(path: Path, detail: str) -> QueueDbError:
    free = _free(path)
    left = f"{human_bytes(free)} free" if free is not None else detail
    return QueueDbError(f"Cannot write the queue database {path}: the disk is full ({left}). {_INTACT}; "
                        "free some space on that disk and try again.", "full")


def _tables(con: sqlite3.Connection) -> list[tuple[str, str]]:
    return [(n, s) for n, s in con.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND sql IS NOT NULL "
        "AND name NOT LIKE 'sqlite_%' ORDER BY rowid")]


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def readable_tasks(path: Path) -> int:
    """Reads every table of the file without its indexes; returns the number of
    tasks. Raises sqlite3.Error when a table itself cannot be read."""
    con = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT, isolation_level=None)
    try:
        tasks = 0
        for name, _sql in _tables(con):
            n = sum(1 for _ in con.execute(f"SELECT * FROM {_q(name)} NOT INDEXED"))
            if name == "tasks":
                tasks = n
        return tasks
    finally:
        con.close()


def diagnose(path: Path, detail: str) -> QueueDbError:
    """A damaged file: repairable when every table can still be read, else
    unreadable (a copy is saved first, and the message names it)."""
    try:
        n = readable_tasks(path)
    except (sqlite3.Error, OSError) as e:
        log.info("queue database %s cannot be read: %s", path, e)
    else:
        return QueueDbError(
            f"The queue database {path} is damaged ({detail}), but its {n} task(s) can still be read. "
            f"Run `{command('repair-queue')}` (or Repair in the app) to rebuild it; the damaged file is kept "
            "as a copy.", "damaged", tasks=n)
    try:
        copy = backup_copy(path, "unreadable")
    except OSError as e:
        return QueueDbError(
            f"The queue database {path} cannot be read ({detail}) and could not be copied "
            f"({_detail(e)}). Copy it somewhere safe, then move it away to start with an empty queue.",
            "unreadable")
    return QueueDbError(
        f"The queue database {path} cannot be read ({detail}). A copy was saved as {copy}; move "
        f"{path.name} away to start with an empty queue.", "unreadable", backup=copy)


def _digest(p: Path) -> str:
    h = hashlib.sha256()
    with open(p, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def backup_copy(path: Path, label: str) -> Path:
    """Copies the database (and its -wal) to ``<name>.<label>-<time>``; an earlier
    copy with the same bytes is reused instead of making another."""
    digest = _digest(path)
    for old in sorted(path.parent.glob(f"{path.name}.{label}-*")):
        if not old.name.endswith(("-wal", "-shm")) and old.stat().st_size == path.stat().st_size \
                and _digest(old) == digest:
            return old
    copy = path.with_name(f"{path.name}.{label}-{time.strftime('%Y%m%d-%H%M%S')}")
    n = 1
    while copy.exists():
        copy = path.with_name(f"{path.name}.{label}-{time.strftime('%Y%m%d-%H%M%S')}-{n}")
        n += 1
    try:
        shutil.copy2(path, copy)
        wal = path.with_name(path.name + "-wal")
        if wal.exists():
            shutil.copy2(wal, copy.with_name(copy.name + "-wal"))
    except OSError:
        copy.unlink(missing_ok=True)
        raise
    return copy


@dataclass
class Repaired:
    tasks: int
    backup: Path


def repair(path: Path) -> Repaired:
    """Rebuilds a damaged database from its tables, read without their indexes,
    into a new file that replaces it; the damaged file is kept as a copy.
    The caller holds the queue's run lock (no queue may be running)."""
    if not path.exists():
        raise QueueDbError(f"There is no queue database at {path}", "other")
    try:
        readable_tasks(path)
    except (sqlite3.Error, OSError) as e:
        raise diagnose(path, _detail(e)) from None
    try:
        backup = backup_copy(path, "damaged")
    except OSError as e:
        raise explain(e, path) from None
    new = path.with_name(path.name + ".repairing")
    for p in (new, new.with_name(new.name + "-wal"), new.with_name(new.name + "-shm")):
        p.unlink(missing_ok=True)
    try:
        n = _rebuild(path, new)
        for suffix in ("-wal", "-shm"):
            path.with_name(path.name + suffix).unlink(missing_ok=True)
        os.replace(new, path)
    except (sqlite3.Error, OSError) as e:
        new.unlink(missing_ok=True)
        raise explain(e, path) from None
    log.info("queue database %s repaired: %d task(s) kept, damaged file saved as %s", path, n, backup)
    return Repaired(n, backup)


def _rebuild(src: Path, dst: Path) -> int:
    from ..fsutil import private_file
    private_file(dst, sqlite=True)      # owner only, like the database it replaces
    con = sqlite3.connect(str(dst), isolation_level=None)
    try:
        con.execute("ATTACH DATABASE ? AS old", (str(src),))
        old = [(n, s) for n, s in con.execute(
            "SELECT name, sql FROM old.sqlite_master WHERE type = 'table' AND sql IS NOT NULL "
            "AND name NOT LIKE 'sqlite_%' ORDER BY rowid")]
        others = [s for (s,) in con.execute(
            "SELECT sql FROM old.sqlite_master WHERE type IN ('index', 'trigger', 'view') "
            "AND sql IS NOT NULL ORDER BY type = 'view', rowid")]
        version = con.execute("PRAGMA old.user_version").fetchone()[0]
        con.execute("BEGIN")
        for name, sql in old:
            con.execute(sql)
            con.execute(f"INSERT INTO main.{_q(name)} SELECT * FROM old.{_q(name)} NOT INDEXED")
        if con.execute("SELECT 1 FROM old.sqlite_master WHERE name = 'sqlite_sequence'").fetchone() \
                and con.execute("SELECT 1 FROM main.sqlite_master WHERE name = 'sqlite_sequence'").fetchone():
            con.execute("DELETE FROM main.sqlite_sequence")
            con.execute("INSERT INTO main.sqlite_sequence SELECT * FROM old.sqlite_sequence NOT INDEXED")
        if any(n == "tasks" for n, _ in old):
            _free_duplicate_reservations(con)
        for sql in others:
            con.execute(sql)
        con.execute(f"PRAGMA main.user_version = {int(version)}")
        con.execute("COMMIT")
        n = con.execute("SELECT COUNT(*) FROM main.tasks").fetchone()[0] if any(
            name == "tasks" for name, _ in old) else 0
        con.execute("DETACH DATABASE old")
        bad = con.execute("PRAGMA integrity_check").fetchall()
        if bad != [("ok",)]:
            raise sqlite3.DatabaseError(f"the rebuilt file does not check out: {bad[:3]}")
        con.execute("PRAGMA journal_mode=WAL")
        return int(n)
    finally:
        con.close()


def _free_duplicate_reservations(con: sqlite3.Connection) -> None:
    """A broken unique index may have let two tasks reserve one name: the older
    task keeps it, the other reserves a name again when it next starts."""
    cols = {r[1] for r in con.execute("PRAGMA main.table_info(tasks)")}
    if "reserved_key" not in cols:
        return
    con.execute("UPDATE main.tasks SET reserved_key = NULL, reserved_path = NULL WHERE reserved_key IS NOT "
                "NULL AND id NOT IN (SELECT MIN(id) FROM main.tasks WHERE reserved_key IS NOT NULL "
                "GROUP BY reserved_key)")
