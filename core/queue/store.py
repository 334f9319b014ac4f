"""The queue's SQLite database: ``data_dir()/zhilian.db`` (WAL).

One row per task in ``tasks``. The schema is versioned with ``PRAGMA
user_version`` and upgraded by the ordered ``MIGRATIONS`` below (each runs once,
in its own transaction). The same file holds other tables (``handoffs``) that
belong to other parts of the app; this module creates and changes only
``tasks``, ``queue_commands`` and ``queue_meta``.

What is stored, and what is not:
- the link the user pasted (one per task) and its extraction code: they are the
  user's own input and are needed to resolve the file again after a restart;
- resolved sources only as *redacted* URLs (for display): mirrors are resolved
  again when a task starts, so signed URLs are never needed on disk;
- a pasted direct link that carries a signature or token in its query (a
  presigned S3/OSS URL, ``?token=``) is stored redacted in ``link``; the full
  link is encrypted (AES-GCM, key in the system keyring) in ``link_secret``.
  With no usable keyring the full link lives in memory only, and after a restart
  the task asks for the link to be pasted again;
- cookies, tokens and login headers never enter this database.

Names: each task reserves the one file name it downloads to (``reserved_path``,
with a UNIQUE index on its normalised form ``reserved_key``), claimed through
``claim_name`` before the engine may use that name or its ``.part``; see
docs/queue.md "File names".

Faults: every method turns an ``sqlite3.Error`` / ``OSError`` into a
``QueueDbError`` with one line saying what is wrong and what to do
(core/queue/dbfaults.py).
"""

from __future__ import annotations

import base64
import functools
import json
import logging
import os
import secrets
import sqlite3
import sys
import time
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from .. import paths
from ..fsutil import private_file
from ..redact import SECRET_PARAMS, redact_url
from .dbfaults import BUSY_TIMEOUT, QueueDbError, diagnose, explain

log = logging.getLogger("zhilian.queue")

DB_NAME = "zhilian.db"

ACTIVE_STATES = ("resolving", "downloading", "verifying")
FINAL_STATES = ("done", "handed_off")

# Query parameters that carry the extraction code: not a signature, kept as the password.
PASSWORD_PARAMS = {"pwd", "password", "passcode"}

MIGRATIONS: list[str] = [
    # 1: tasks, commands from other processes, key/value meta
    """
    CREATE TABLE IF NOT EXISTS tasks (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        link TEXT NOT NULL,
        link_secret BLOB,
        link_signed INTEGER NOT NULL DEFAULT 0,
        password TEXT,
        filename TEXT,
        name TEXT,
        dest_dir TEXT NOT NULL,
        path TEXT,
        state TEXT NOT NULL DEFAULT 'queued',
        error TEXT,
        size INTEGER,
        done INTEGER NOT NULL DEFAULT 0,
        priority INTEGER NOT NULL DEFAULT 0,
        position REAL NOT NULL,
        connections INTEGER,
        speed_limit INTEGER NOT NULL DEFAULT 0,
        sha256 TEXT,
        created REAL NOT NULL,
        finished REAL,
        host TEXT NOT NULL DEFAULT '',
        sources TEXT NOT NULL DEFAULT '[]',
        resolver TEXT,
        ref TEXT,
        rpath TEXT,
        handoff_to TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_retry REAL,
        updated REAL
    );
    CREATE INDEX IF NOT EXISTS tasks_order ON tasks(priority DESC, position);
    CREATE TABLE IF NOT EXISTS queue_commands (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        task_id INTEGER,
        action TEXT NOT NULL,
        arg TEXT,
        created REAL NOT NULL
    );
    CREATE TABLE IF NOT EXISTS queue_meta (key TEXT PRIMARY KEY, value TEXT);
    """,
    # 2: per-task time limit and MD5 checksum
    """
    ALTER TABLE tasks ADD COLUMN time_limit REAL;
    ALTER TABLE tasks ADD COLUMN md5 TEXT;
    """,
    # 3: one owner per file name (reserved_key = name_key(reserved_path))
    """
    ALTER TABLE tasks ADD COLUMN reserved_path TEXT;
    ALTER TABLE tasks ADD COLUMN reserved_key TEXT;
    CREATE UNIQUE INDEX IF NOT EXISTS tasks_reserved ON tasks(reserved_key);
    """,
    # 4: what kind of error ended the last attempt (core.errors.ErrorKind) and its
    #    parameters (JSON: host, cookie names, numbers; never a secret)
    """
    ALTER TABLE tasks ADD COLUMN error_kind TEXT;
    ALTER TABLE tasks ADD COLUMN error_params TEXT;
    """,
]
SCHEMA_VERSION = len(MIGRATIONS)

__all__ = ["QueueDbError", "Store", "TaskRow", "RunLock", "name_key", "db_path"]


@dataclass
class TaskRow:
    """A task as stored. ``link`` is the display form (redacted when the pasted
    link was signed); ``real_link`` (not a column) is the usable one."""
    id: int = 0
    link: str = ""
    link_secret: bytes | None = None
    link_signed: int = 0
    password: str | None = None
    filename: str | None = None       # name the user asked for
    name: str | None = None           # name on disk (chosen by the engine), once known
    dest_dir: str = ""
    path: str | None = None
    state: str = "queued"
    error: str | None = None
    size: int | None = None
    done: int = 0
    priority: int = 0
    position: float = 0.0
    connections: int | None = None
    speed_limit: int = 0
    sha256: str | None = None
    created: float = 0.0
    finished: float | None = None
    host: str = ""
    sources: str = "[]"
    resolver: str | None = None
    ref: str | None = None
    rpath: str | None = None
    handoff_to: str | None = None
    attempts: int = 0
    next_retry: float | None = None
    updated: float | None = None
    time_limit: float | None = None
    md5: str | None = None
    reserved_path: str | None = None  # the file name this task owns (see Store.claim_name)
    error_kind: str | None = None     # core.errors.ErrorKind value, with ``error``
    error_params: str | None = None   # JSON object of the kind's parameters
    real_link: str | None = field(default=None, compare=False, repr=False)


COLUMNS = [f.name for f in fields(TaskRow) if f.name != "real_link"]
_SELECT = "SELECT " + ", ".join(COLUMNS) + " FROM tasks"
# written only by claim_name / release_name, which keep reserved_key in step
_RESERVED = ("reserved_path", "reserved_key")


def name_key(path: Path | str) -> str:
    """The form of a path two tasks must never share: absolute, NFC, and folded to
    lower case where file systems ignore case by default (Windows, macOS)."""
    p = unicodedata.normalize("NFC", os.path.abspath(os.fspath(path)))
    return p.casefold() if sys.platform in ("win32", "darwin") else p


def _backfill_reservations(con: sqlite3.Connection) -> None:
    """Schema 3: tasks that already know their file reserve it (unfinished tasks
    first; a name two old tasks shared goes to the older one)."""
    rows = con.execute("SELECT id, path FROM tasks WHERE path IS NOT NULL AND state != 'handed_off' "
                       "ORDER BY state = 'done', id").fetchall()
    for tid, path in rows:
        try:
            con.execute("UPDATE tasks SET reserved_path = ?, reserved_key = ? WHERE id = ?",
                        (path, name_key(path), tid))
        except sqlite3.IntegrityError:
            pass


_AFTER_MIGRATION: dict[int, Callable[[sqlite3.Connection], None]] = {3: _backfill_reservations}

_F = TypeVar("_F", bound=Callable[..., Any])


def _guarded(fn: _F) -> _F:
    """Store methods raise QueueDbError (one line for the user), never sqlite3.Error."""
    @functools.wraps(fn)
    def wrapper(self: Store, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(self, *args, **kwargs)
        except (sqlite3.Error, OSError) as e:
            if isinstance(e, sqlite3.IntegrityError):
                raise
            raise explain(e, self.path) from None
    return wrapper  # type: ignore[return-value]


def db_path() -> Path:
    return paths.data_dir() / DB_NAME


def is_signed(url: str) -> bool:
    """True when the link carries a secret beyond an extraction code (a presigned
    URL's signature, a token, user:password@)."""
    try:
        p = urlsplit(url)
    except ValueError:
        return False
    if "@" in p.netloc:
        return True
    return any(k.lower() in SECRET_PARAMS and k.lower() not in PASSWORD_PARAMS
               for k, _ in parse_qsl(p.query, keep_blank_values=True))


def display_link(url: str) -> str:
    """The link as shown and stored: secrets masked, extraction code kept."""
    if not is_signed(url):
        return url
    try:
        p = urlsplit(url)
        q = [(k, "***" if k.lower() in SECRET_PARAMS and k.lower() not in PASSWORD_PARAMS else v)
             for k, v in parse_qsl(p.query, keep_blank_values=True)]
        netloc = p.netloc if "@" not in p.netloc else "***@" + p.netloc.rsplit("@", 1)[1]
        return urlunsplit(p._replace(netloc=netloc, query=urlencode(q, safe="*")))
    except ValueError:
        return redact_url(url)


def clean_ref(ref: dict[str, Any]) -> dict[str, Any]:
    """A resolver's ref without secrets: secret-named keys dropped, URLs redacted."""
    out: dict[str, Any] = {}
    bad = ("cookie", "token", "sign", "auth", "bduss", "stoken", "secret", "session", "header")
    for k, v in ref.items():
        if any(b in k.lower() for b in bad):
            continue
        if isinstance(v, str) and v.startswith(("http://", "https://")):
            v = display_link(v)
        elif isinstance(v, dict):
            v = clean_ref(v)
        elif not isinstance(v, (str, int, float, bool, type(None), list)):
            continue
        out[k] = v
    return out


class LinkVault:
    """Encrypts signed links with AES-GCM; the key lives in the system keyring
    (service "Zhilian", user "queue-links-<random id kept in queue_meta>")."""

    def __init__(self, key_id: str):
        self.user = f"queue-links-{key_id}"
        self._key: bytes | None = None
        self.error: str | None = None

    def _get_key(self, create: bool) -> bytes | None:
        if self._key is not None:
            return self._key
        try:
            from ..accounts.store import SERVICE, keyring_backend
            kr = keyring_backend()
            val = kr.get_password(SERVICE, self.user)
            if val is None and create:
                kr.set_password(SERVICE, self.user, base64.b64encode(secrets.token_bytes(32)).decode())
                val = kr.get_password(SERVICE, self.user)
        except Exception as e:  # NoKeyring or a backend failure: memory only
            self.error = str(e) or e.__class__.__name__
            return None
        if val:
            self._key = base64.b64decode(val)
        return self._key

    def seal(self, text: str) -> bytes | None:
        key = self._get_key(create=True)
        if key is None:
            return None
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
        nonce = os.urandom(12)
        return nonce + AESGCM(key).encrypt(nonce, text.encode(), b"zhilian-link")

    def open(self, blob: bytes) -> str | None:
        key = self._get_key(create=False)
        if key is None:
            return None
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
        try:
            return AESGCM(key).decrypt(blob[:12], blob[12:], b"zhilian-link").decode()
        except Exception:
            return None


class Store:
    """Thin synchronous access to the tasks table (one connection, used from one
    thread at a time). Every write commits at once: a crash loses nothing that a
    method returned from.

    Opening checks the file (``PRAGMA quick_check``) and, with ``write=True``,
    that it can really be written (a read-only file, a full disk or another
    program's lock is found now, not in the middle of a download)."""

    def __init__(self, path: Path | str | None = None, *, write: bool = True):
        self.con: sqlite3.Connection | None = None
        try:
            self.path = Path(path) if path else db_path()
        except OSError as e:   # the data folder itself cannot be made
            raise explain(e, Path(e.filename or ".") / DB_NAME) from None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            private_file(self.path, sqlite=True)       # owner only, and so its -wal/-shm
            self.con = sqlite3.connect(str(self.path), timeout=BUSY_TIMEOUT, isolation_level=None,
                                       check_same_thread=False)
            self.con.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT * 1000)}")
            mode = self.con.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                log.warning("queue database is not in WAL mode (%s)", mode)
            self.con.execute("PRAGMA synchronous=NORMAL")
            check = self.con.execute("PRAGMA quick_check").fetchall()
            if check != [("ok",)]:
                self.close()
                raise diagnose(self.path, "quick check: " + (str(check[0][0]).splitlines()[-1] if check else "?"))
            self._migrate()
            if write:   # a real write: BEGIN IMMEDIATE alone succeeds on a read-only file
                self.con.execute("INSERT OR REPLACE INTO queue_meta(key, value) VALUES('opened', ?)",
                                 (str(time.time()),))
            key_id = self._key_id()
        except QueueDbError:
            self.close()
            raise
        except (sqlite3.Error, OSError) as e:
            self.close()
            raise explain(e, self.path) from None
        self.vault = LinkVault(key_id)

    # -- schema ----------------------------------------------------------------
    @contextmanager
    def _txn(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; rolled back on any error (SQLite may already have
        rolled it back itself after a full disk: that is not a second error)."""
        con = self.con
        assert con is not None
        con.execute("BEGIN IMMEDIATE")
        try:
            yield con
        except BaseException:
            if con.in_transaction:
                try:
                    con.execute("ROLLBACK")
                except sqlite3.Error:
                    pass
            raise
        con.execute("COMMIT")

    def _migrate(self) -> None:
        with self._txn() as con:
            version = con.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise QueueDbError(
                    f"The queue database {self.path} was written by a newer Zhilian "
                    f"(schema {version}, this version knows {SCHEMA_VERSION}); update Zhilian.", "newer")
            for v in range(version, SCHEMA_VERSION):
                for stmt in MIGRATIONS[v].split(";"):
                    if stmt.strip():
                        con.execute(stmt)
                if v + 1 in _AFTER_MIGRATION:
                    _AFTER_MIGRATION[v + 1](con)
                con.execute(f"PRAGMA user_version={v + 1}")
                log.info("queue database migrated to schema %d", v + 1)

    @_guarded
    def version(self) -> int:
        return self.con.execute("PRAGMA user_version").fetchone()[0]

    def _key_id(self) -> str:
        row = self.con.execute("SELECT value FROM queue_meta WHERE key='link_key_id'").fetchone()
        if row:
            return row[0]
        kid = secrets.token_hex(8)
        self.con.execute("INSERT OR IGNORE INTO queue_meta(key, value) VALUES('link_key_id', ?)", (kid,))
        return self.con.execute("SELECT value FROM queue_meta WHERE key='link_key_id'").fetchone()[0]

    def close(self) -> None:
        if self.con is None:
            return
        try:
            self.con.close()
        except sqlite3.Error:
            pass

    @_guarded
    def data_version(self) -> int:
        """Changes when another connection (another process) commits."""
        return self.con.execute("PRAGMA data_version").fetchone()[0]

    # -- rows --------------------------------------------------------------------
    def _row(self, values: Iterable[Any]) -> TaskRow:
        t = TaskRow(*values)
        if t.link_signed:
            t.real_link = self.vault.open(t.link_secret) if t.link_secret else None
        else:
            t.real_link = t.link
        return t

    @_guarded
    def load(self, since_id: int = 0) -> list[TaskRow]:
        cur = self.con.execute(_SELECT + " WHERE id > ? ORDER BY id", (since_id,))
        return [self._row(r) for r in cur]

    @_guarded
    def get(self, task_id: int) -> TaskRow | None:
        r = self.con.execute(_SELECT + " WHERE id = ?", (task_id,)).fetchone()
        return self._row(r) if r else None

    @_guarded
    def ids(self) -> set[int]:
        return {r[0] for r in self.con.execute("SELECT id FROM tasks")}

    @_guarded
    def max_position(self) -> float:
        r = self.con.execute("SELECT MAX(position) FROM tasks").fetchone()
        return float(r[0] or 0)

    def _prepare_link(self, t: TaskRow) -> None:
        real = t.real_link if t.real_link is not None else t.link
        if is_signed(real):
            t.link_signed = 1
            t.link = display_link(real)
            t.link_secret = self.vault.seal(real)
        else:
            t.link_signed, t.link, t.link_secret = 0, real, None

    @_guarded
    def insert(self, tasks: list[TaskRow]) -> list[int]:
        """Adds the tasks in one transaction; sets and returns their ids."""
        now = time.time()
        cols = [c for c in COLUMNS if c != "id" and c not in _RESERVED]
        sql = f"INSERT INTO tasks ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
        with self._txn() as con:
            pos = self.max_position()
            for t in tasks:
                self._prepare_link(t)
                if not t.position:
                    pos += 1
                    t.position = pos
                t.created = t.created or now
                t.updated = now
                t.reserved_path = None
                cur = con.execute(sql, [getattr(t, c) for c in cols])
                t.id = int(cur.lastrowid or 0)
        return [t.id for t in tasks]

    @_guarded
    def update(self, task_id: int, **values: Any) -> None:
        if not values:
            return
        if "real_link" in values:
            t = TaskRow(real_link=values.pop("real_link"))
            self._prepare_link(t)
            values.update(link=t.link, link_signed=t.link_signed, link_secret=t.link_secret)
        bad = set(values) - set(COLUMNS) | set(values) & set(_RESERVED)
        if bad:
            raise KeyError(f"unknown task column(s) (names go through claim_name): {bad}")
        values["updated"] = time.time()
        sets = ", ".join(f"{k} = ?" for k in values)
        self.con.execute(f"UPDATE tasks SET {sets} WHERE id = ?", [*values.values(), task_id])

    @_guarded
    def update_many(self, rows: list[tuple[int, dict[str, Any]]]) -> None:
        """Several updates in one transaction (progress flushes)."""
        if not rows:
            return
        with self._txn():
            for tid, vals in rows:
                self.update(tid, **vals)

    @_guarded
    def delete(self, task_id: int) -> None:
        """Removes the task; its reserved name is free again."""
        self.con.execute("DELETE FROM tasks WHERE id = ?", (task_id,))

    # -- names: one owner per target path ------------------------------------------
    @_guarded
    def claim_name(self, task_id: int, path: Path | str) -> bool:
        """Reserves ``path`` for the task, atomically across processes (the UNIQUE
        index on reserved_key). True: the task owns it now (it replaces the task's
        earlier name). False: another task owns it; the engine moves on to the
        next name ("model (1).bin").

        A finished task keeps its name while its file is there. A new task for the
        same link and file (the same link added again) may still use the name, so
        the engine can find the finished file and make no second copy; it cannot
        write there, since a finished file is never overwritten. When the finished
        file is gone, the name is taken over."""
        key = name_key(path)
        with self._txn() as con:
            holder = con.execute("SELECT id, state, path, link, rpath, dest_dir FROM tasks "
                                 "WHERE reserved_key = ?", (key,)).fetchone()
            if holder is not None and holder[0] != task_id:
                me = con.execute("SELECT link, rpath, dest_dir FROM tasks WHERE id = ?", (task_id,)).fetchone()
                if holder[1] not in FINAL_STATES:
                    return False
                if holder[2] and Path(holder[2]).exists():
                    return me is not None and tuple(me) == tuple(holder[3:])
                con.execute("UPDATE tasks SET reserved_path = NULL, reserved_key = NULL WHERE id = ?",
                            (holder[0],))
            try:
                con.execute("UPDATE tasks SET reserved_path = ?, reserved_key = ? WHERE id = ?",
                            (str(path), key, task_id))
            except sqlite3.IntegrityError:     # another process got there first
                return False
        return True

    @_guarded
    def reserved(self, task_id: int) -> str | None:
        r = self.con.execute("SELECT reserved_path FROM tasks WHERE id = ?", (task_id,)).fetchone()
        return r[0] if r else None

    @_guarded
    def release_name(self, task_id: int) -> None:
        self.con.execute("UPDATE tasks SET reserved_path = NULL, reserved_key = NULL WHERE id = ?", (task_id,))

    # -- commands from other processes (CLI while a queue runs) -------------------
    @_guarded
    def post_command(self, action: str, task_id: int | None = None, arg: Any = None) -> None:
        self.con.execute("INSERT INTO queue_commands(task_id, action, arg, created) VALUES(?, ?, ?, ?)",
                         (task_id, action, json.dumps(arg), time.time()))

    @_guarded
    def pending_commands(self) -> list[tuple[int, int | None, str, Any]]:
        """Commands of other processes not carried out yet: (id, task, action, argument),
        oldest first. Each stays until ``drop_command`` (after it was carried out)."""
        with self._txn() as con:
            rows = con.execute("SELECT id, task_id, action, arg FROM queue_commands ORDER BY id").fetchall()
        return [(r[0], r[1], r[2], json.loads(r[3]) if r[3] else None) for r in rows]

    @_guarded
    def drop_command(self, command_id: int) -> None:
        with self._txn() as con:
            con.execute("DELETE FROM queue_commands WHERE id = ?", (command_id,))


class RunLock:
    """One process runs the queue at a time: an OS file lock beside the database,
    released by the OS when the process dies (kill -9 included)."""

    def __init__(self, db: Path):
        self.path = db.with_name(db.name + ".run.lock")
        self._fh: Any = None

    def acquire(self) -> bool:
        """True: this process holds the lock. False: another one does. A lock file
        that cannot be made (read-only folder) raises QueueDbError."""
        try:
            fh = open(self.path, "a+b", buffering=0)   # unbuffered: a full disk fails here, not at close
        except OSError as e:
            raise explain(e, self.path.with_name(self.path.name.removesuffix(".run.lock"))) from None
        try:
            if os.name == "nt":  # pragma: no cover - Windows
                import msvcrt
                fh.seek(0)
                msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
            else:
                import fcntl
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.close()
            return False
        try:   # who holds it, for the message of a second `run` (a full disk only loses that)
            fh.seek(0)
            fh.truncate()
            fh.write(str(os.getpid()).encode())
        except OSError:
            pass
        self._fh = fh
        return True

    def holder(self) -> str:
        try:
            return self.path.read_text().strip()
        except OSError:
            return "?"

    def release(self) -> None:
        if self._fh is not None:
            try:
                if os.name == "nt":  # pragma: no cover
                    import msvcrt
                    self._fh.seek(0)
                    msvcrt.locking(self._fh.fileno(), msvcrt.LK_UNLCK, 1)
                else:
                    import fcntl
                    fcntl.flock(self._fh.fileno(), fcntl.LOCK_UN)
            except OSError:
                pass
            try:
                self._fh.close()
            except OSError:
                pass
            self._fh = None

    def is_held_elsewhere(self) -> bool:
        if self._fh is not None:
            return False
        if self.acquire():
            self.release()
            return False
        return True


def sources_json(urls: list[str]) -> str:
    return json.dumps([redact_url(u) for u in urls])
