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
"""

from __future__ import annotations

import base64
import json
import logging
import os
import secrets
import sqlite3
import time
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Iterable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from .. import paths
from ..errors import ZhilianError
from ..fsutil import private_file
from ..redact import SECRET_PARAMS, redact_url

log = logging.getLogger("zhilian.queue")

DB_NAME = "zhilian.db"

STATES = ("queued", "resolving", "downloading", "paused", "verifying", "done", "failed", "handed_off")
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
]
SCHEMA_VERSION = len(MIGRATIONS)


class QueueDbError(ZhilianError):
    """The queue database cannot be used (damaged, newer version, not writable)."""


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
    real_link: str | None = field(default=None, compare=False, repr=False)


COLUMNS = [f.name for f in fields(TaskRow) if f.name != "real_link"]
_SELECT = "SELECT " + ", ".join(COLUMNS) + " FROM tasks"


def db_path() -> Path:
    return paths.data_dir() / DB_NAME


def split_password(url: str) -> tuple[str, str | None]:
    """(url, code): an extraction code in ``?pwd=`` stays in the URL (the share
    needs it) and is also returned so the task shows it."""
    try:
        q = parse_qsl(urlsplit(url).query, keep_blank_values=True)
    except ValueError:
        return url, None
    for k, v in q:
        if k.lower() in PASSWORD_PARAMS and v:
            return url, v
    return url, None


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
    method returned from."""

    def __init__(self, path: Path | str | None = None):
        self.path = Path(path) if path else db_path()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            private_file(self.path, sqlite=True)       # owner only, and so its -wal/-shm
            self.con = sqlite3.connect(str(self.path), timeout=15, isolation_level=None,
                                       check_same_thread=False)
            self.con.execute("PRAGMA busy_timeout=15000")
            mode = self.con.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                log.warning("queue database is not in WAL mode (%s)", mode)
            self.con.execute("PRAGMA synchronous=NORMAL")
            self._migrate()
        except sqlite3.DatabaseError as e:
            raise QueueDbError(
                f"The queue database {self.path} cannot be used ({e}). Move the file away "
                "to start with an empty queue.") from None
        except OSError as e:
            raise QueueDbError(f"Cannot open the queue database {self.path}: {e}") from None
        self.vault = LinkVault(self._key_id())

    # -- schema ----------------------------------------------------------------
    def _migrate(self) -> None:
        con = self.con
        con.execute("BEGIN IMMEDIATE")
        try:
            version = con.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise QueueDbError(
                    f"The queue database {self.path} was written by a newer Zhilian "
                    f"(schema {version}, this version knows {SCHEMA_VERSION}); update Zhilian.")
            for v in range(version, SCHEMA_VERSION):
                for stmt in MIGRATIONS[v].split(";"):
                    if stmt.strip():
                        con.execute(stmt)
                con.execute(f"PRAGMA user_version={v + 1}")
                log.info("queue database migrated to schema %d", v + 1)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise

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
        try:
            self.con.close()
        except sqlite3.Error:
            pass

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

    def load(self, since_id: int = 0) -> list[TaskRow]:
        cur = self.con.execute(_SELECT + " WHERE id > ? ORDER BY id", (since_id,))
        return [self._row(r) for r in cur]

    def get(self, task_id: int) -> TaskRow | None:
        r = self.con.execute(_SELECT + " WHERE id = ?", (task_id,)).fetchone()
        return self._row(r) if r else None

    def ids(self) -> set[int]:
        return {r[0] for r in self.con.execute("SELECT id FROM tasks")}

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

    def insert(self, tasks: list[TaskRow]) -> list[int]:
        """Adds the tasks in one transaction; sets and returns their ids."""
        now = time.time()
        con = self.con
        cols = [c for c in COLUMNS if c != "id"]
        sql = f"INSERT INTO tasks ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
        con.execute("BEGIN IMMEDIATE")
        try:
            pos = self.max_position()
            for t in tasks:
                self._prepare_link(t)
                if not t.position:
                    pos += 1
                    t.position = pos
                t.created = t.created or now
                t.updated = now
                cur = con.execute(sql, [getattr(t, c) for c in cols])
                t.id = int(cur.lastrowid or 0)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        return [t.id for t in tasks]

    def update(self, task_id: int, **values: Any) -> None:
        if not values:
            return
        if "real_link" in values:
            t = TaskRow(real_link=values.pop("real_link"))
            self._prepare_link(t)
            values.update(link=t.link, link_signed=t.link_signed, link_secret=t.link_secret)
        bad = set(values) - set(COLUMNS)
        if bad:
            raise KeyError(f"unknown task column(s): {bad}")
        values["updated"] = time.time()
        sets = ", ".join(f"{k} = ?" for k in values)
        self.con.execute(f"UPDATE tasks SET {sets} WHERE id = ?", [*values.values(), task_id])

    def update_many(self, rows: list[tuple[int, dict[str, Any]]]) -> None:
        """Several updates in one transaction (progress flushes)."""
        if not rows:
            return
        self.con.execute("BEGIN IMMEDIATE")
        try:
            for tid, vals in rows:
                self.update(tid, **vals)
            self.con.execute("COMMIT")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise

    def delete(self, task_id: int) -> None:
        self.con.execute("DELETE FROM tasks WHERE id = ?", (task_id,))

    # -- commands from other processes (CLI while a queue runs) -------------------
    def post_command(self, action: str, task_id: int | None = None, arg: Any = None) -> None:
        self.con.execute("INSERT INTO queue_commands(task_id, action, arg, created) VALUES(?, ?, ?, ?)",
                         (task_id, action, json.dumps(arg), time.time()))

    def take_commands(self) -> list[tuple[int | None, str, Any]]:
        con = self.con
        con.execute("BEGIN IMMEDIATE")
        try:
            rows = con.execute("SELECT id, task_id, action, arg FROM queue_commands ORDER BY id").fetchall()
            if rows:
                con.execute("DELETE FROM queue_commands WHERE id <= ?", (rows[-1][0],))
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        return [(r[1], r[2], json.loads(r[3]) if r[3] else None) for r in rows]


class RunLock:
    """One process runs the queue at a time: an OS file lock beside the database,
    released by the OS when the process dies (kill -9 included)."""

    def __init__(self, db: Path):
        self.path = db.with_name(db.name + ".run.lock")
        self._fh: Any = None

    def acquire(self) -> bool:
        fh = open(self.path, "a+")
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
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
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
            self._fh.close()
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
