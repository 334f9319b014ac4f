"""The share store: one SQLite file, ``data_dir()/shares.db`` (WAL).

Several processes use it at once: ``main.py share`` adds a row, the running
``main.py serve`` reads rows on every request, so a new share works at once and
a revocation takes effect on the next request.  No secret is stored here: a
password is kept as an scrypt hash, the link key lives in the keyring (this file
only holds the random id naming it).
"""

from __future__ import annotations

import math
import os
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from ..errors import ErrorKind, ZhilianError, os_reason
from ..fsutil import private_file
from .passwords import hash_password

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS shares (
    id TEXT PRIMARY KEY,
    path TEXT NOT NULL,
    real TEXT NOT NULL,
    name TEXT NOT NULL,
    size INTEGER NOT NULL DEFAULT 0,
    created REAL NOT NULL,
    expires INTEGER NOT NULL DEFAULT 0,
    pw_hash TEXT,
    limit_bps INTEGER NOT NULL DEFAULT 0,
    revoked REAL,
    watch_id TEXT,
    downloads INTEGER NOT NULL DEFAULT 0,
    bytes_sent INTEGER NOT NULL DEFAULT 0,
    last_access REAL,
    dev INTEGER,
    ino INTEGER
);
CREATE INDEX IF NOT EXISTS shares_real ON shares(real);
CREATE TABLE IF NOT EXISTS watches (
    id TEXT PRIMARY KEY,
    folder TEXT NOT NULL,
    real TEXT NOT NULL,
    created REAL NOT NULL,
    expires_seconds INTEGER NOT NULL DEFAULT 0,
    pw_hash TEXT,
    limit_bps INTEGER NOT NULL DEFAULT 0,
    recursive INTEGER NOT NULL DEFAULT 1,
    retention_days REAL,
    retention_action TEXT,
    archive_dir TEXT
);
"""


class ShareError(ZhilianError):
    """A share request a person can fix (missing file, unknown id, ...)."""


@dataclass(frozen=True)
class Share:
    id: str
    path: str
    real: str
    name: str
    size: int
    created: float
    expires: int              # unix seconds; 0 = never
    pw_hash: str | None
    limit_bps: int
    revoked: float | None
    watch_id: str | None
    downloads: int
    bytes_sent: int
    last_access: float | None
    dev: int | None = None    # device and inode of the file when it was shared: a file
    ino: int | None = None    # replaced since (even by a hard link) is not served

    @classmethod
    def from_row(cls, row: sqlite3.Row | dict) -> Share:
        """A share from a stored row, whatever an older version or a damaged file left
        in it: a value of the wrong type becomes a safe one (an unreadable expiry means
        expired, an unreadable revocation means revoked)."""
        d = dict(row)
        return cls(
            id=str(d.get("id") or ""), path=str(d.get("path") or ""), real=str(d.get("real") or ""),
            name=str(d.get("name") or ""), size=_int(d.get("size"), 0),
            created=_float(d.get("created"), 0.0), expires=_int(d.get("expires"), 1),
            pw_hash=d["pw_hash"] if isinstance(d.get("pw_hash"), str) else None,
            limit_bps=max(0, _int(d.get("limit_bps"), 0)),
            revoked=None if d.get("revoked") is None else _float(d.get("revoked"), 1.0) or 1.0,
            watch_id=d["watch_id"] if isinstance(d.get("watch_id"), str) else None,
            downloads=_int(d.get("downloads"), 0), bytes_sent=_int(d.get("bytes_sent"), 0),
            last_access=None if d.get("last_access") is None else _float(d.get("last_access"), 0.0),
            dev=d.get("dev") if isinstance(d.get("dev"), int) else None,
            ino=d.get("ino") if isinstance(d.get("ino"), int) else None)

    @property
    def has_password(self) -> bool:
        return bool(self.pw_hash)

    def state(self, now: float | None = None) -> str:
        """'active', 'expired', 'revoked' or 'missing' (file gone)."""
        if self.revoked:
            return "revoked"
        if self.expires and (now if now is not None else time.time()) >= self.expires:
            return "expired"
        if not os.path.isfile(self.real):
            return "missing"
        return "active"


@dataclass(frozen=True)
class Watch:
    id: str
    folder: str
    real: str
    created: float
    expires_seconds: int
    pw_hash: str | None
    limit_bps: int
    recursive: bool
    retention_days: float | None
    retention_action: str | None      # None (off), 'delete' or 'archive'
    archive_dir: str | None


def _int(v: object, default: int) -> int:
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, int):
        return v
    if isinstance(v, float) and math.isfinite(v):
        return int(v)
    return default


def _float(v: object, default: float) -> float:
    if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v):
        return float(v)
    return default


def file_identity(st: os.stat_result) -> tuple[int, int]:
    """(device, inode) of a file as stored: folded into SQLite's signed 64-bit integers
    (a Windows file index or a network file system's inode may use the top bit)."""
    def signed(v: int) -> int:
        v &= 2 ** 64 - 1
        return v - 2 ** 64 if v >= 2 ** 63 else v
    return signed(st.st_dev), signed(st.st_ino)


def _new_id(n: int = 9) -> str:
    return secrets.token_urlsafe(n)[:12].replace("-", "x").replace("_", "y")


class ShareStore:
    def __init__(self, path: Path | str | None = None):
        if path is None:
            from ..paths import data_dir
            path = data_dir() / "shares.db"
        self.path = Path(path)
        self._lock = threading.RLock()
        try:
            private_file(self.path, sqlite=True)     # scrypt hashes: owner only, -wal/-shm too
        except OSError as e:
            raise ShareError(f"Cannot open the share store {self.path}: {e.strerror or e}",
                             kind=ErrorKind.SHARE_STORE, params={"path": str(self.path), **os_reason(e)}) from None
        self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=10,
                                   isolation_level=None)
        self._db.row_factory = sqlite3.Row
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA busy_timeout=10000")
            self._db.executescript(SCHEMA)
            cols = {r[1] for r in self._db.execute("PRAGMA table_info(shares)")}
            for col in ("dev", "ino"):
                if col not in cols:       # a store made by an older version
                    try:
                        self._db.execute(f"ALTER TABLE shares ADD COLUMN {col} INTEGER")
                    except sqlite3.OperationalError:    # another process just added it
                        pass

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- meta --
    def secret_id(self) -> str:
        """The random id naming the link key in the keyring (created once)."""
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key='secret_id'").fetchone()
            if row:
                return row[0]
            sid = secrets.token_hex(8)
            self._db.execute("INSERT OR IGNORE INTO meta(key, value) VALUES('secret_id', ?)", (sid,))
            return self._db.execute("SELECT value FROM meta WHERE key='secret_id'").fetchone()[0]

    def set_secret_id(self, sid: str) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES('secret_id', ?)", (sid,))

    # -- shares --
    def add(self, path: str | os.PathLike, expires: int = 0, password: str | None = None,
            limit_bps: int = 0, watch_id: str | None = None, pw_hash: str | None = None,
            name: str | None = None) -> Share:
        p = Path(path).expanduser().absolute()
        if not p.exists():
            raise ShareError(f"Cannot share {p}: no such file", kind=ErrorKind.SHARE_NO_FILE,
                             params={"path": str(p)})
        if not p.is_file():
            raise ShareError(f"Cannot share {p}: only files can be shared (watch a folder instead)",
                             kind=ErrorKind.SHARE_NOT_A_FILE, params={"path": str(p)})
        real = os.path.realpath(p)
        if not 0 <= int(expires) < 2 ** 63 or not 0 <= int(limit_bps) < 2 ** 63:
            raise ShareError("Expiry or speed cap out of range")
        try:
            st = os.stat(real)
        except OSError as e:
            raise ShareError(f"Cannot share {p}: {e.strerror or e}", kind=ErrorKind.SHARE_UNREADABLE,
                             params={"path": str(p), **os_reason(e)}) from None
        if password:
            pw_hash = hash_password(password)
        sid = _new_id()
        with self._lock:
            self._db.execute(
                "INSERT INTO shares(id, path, real, name, size, created, expires, pw_hash, limit_bps,"
                " watch_id, dev, ino) VALUES(?,?,?,?,?,?,?,?,?,?,?,?)",
                (sid, str(p), real, name or p.name, st.st_size, time.time(), int(expires),
                 pw_hash, int(limit_bps), watch_id, *file_identity(st)))
        got = self.get(sid)
        assert got is not None
        return got

    def get(self, share_id: str) -> Share | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM shares WHERE id=?", (share_id,)).fetchone()
        return Share.from_row(row) if row else None

    def find(self, prefix: str) -> Share:
        """A share by id or unambiguous id prefix (what a person types)."""
        exact = self.get(prefix)
        if exact:
            return exact
        with self._lock:
            rows = self._db.execute("SELECT * FROM shares WHERE id LIKE ? ESCAPE '\\'",
                                    (prefix.replace("%", "\\%").replace("_", "\\_") + "%",)).fetchall()
        if len(rows) == 1:
            return Share.from_row(rows[0])
        if not rows:
            raise ShareError(f"No share with id {prefix!r} (see: shares list)")
        raise ShareError(f"{prefix!r} matches {len(rows)} shares; type more of the id")

    def list(self, include_inactive: bool = False, watch_id: str | None = None) -> list[Share]:
        q = "SELECT * FROM shares"
        args: tuple = ()
        if watch_id is not None:
            q += " WHERE watch_id=?"
            args = (watch_id,)
        with self._lock:
            rows = self._db.execute(q + " ORDER BY created", args).fetchall()
        out = [Share.from_row(r) for r in rows]
        if not include_inactive:
            now = time.time()
            out = [s for s in out if s.state(now) == "active"]
        return out

    def revoke(self, share_id: str) -> Share:
        s = self.find(share_id)
        with self._lock:
            self._db.execute("UPDATE shares SET revoked=? WHERE id=? AND revoked IS NULL",
                             (time.time(), s.id))
        got = self.get(s.id)
        assert got is not None
        return got

    def pin_identity(self, share_id: str, st: os.stat_result) -> None:
        """Record the file identity of a share made by an older version (first serve)."""
        with self._lock:
            self._db.execute("UPDATE shares SET dev=?, ino=? WHERE id=? AND ino IS NULL",
                             (*file_identity(st), share_id))

    def delete(self, share_id: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM shares WHERE id=?", (share_id,))

    def record_access(self, share_id: str, nbytes: int, started_download: bool) -> None:
        with self._lock:
            self._db.execute(
                "UPDATE shares SET bytes_sent = bytes_sent + ?, downloads = downloads + ?,"
                " last_access=? WHERE id=?",
                (int(nbytes), 1 if started_download else 0, time.time(), share_id))

    def shares_for_real(self, real: str, watch_id: str | None = None) -> list[Share]:
        with self._lock:
            if watch_id is None:
                rows = self._db.execute("SELECT * FROM shares WHERE real=?", (real,)).fetchall()
            else:
                rows = self._db.execute("SELECT * FROM shares WHERE real=? AND watch_id=?",
                                        (real, watch_id)).fetchall()
        return [Share.from_row(r) for r in rows]

    # -- watches --
    def add_watch(self, folder: str | os.PathLike, expires_seconds: int = 0,
                  password: str | None = None, limit_bps: int = 0, recursive: bool = True,
                  retention_days: float | None = None, retention_action: str | None = None,
                  archive_dir: str | os.PathLike | None = None) -> Watch:
        f = Path(folder).expanduser().absolute()
        if not f.is_dir():
            raise ShareError(f"Cannot watch {f}: not a folder")
        if retention_action not in (None, "delete", "archive"):
            raise ShareError("retention must be 'delete' or 'archive'")
        if retention_action and not retention_days:
            raise ShareError("retention needs a number of days (--retention-days)")
        if retention_action == "archive" and not archive_dir:
            raise ShareError("archiving needs a target folder (--archive-dir)")
        wid = _new_id()
        with self._lock:
            self._db.execute(
                "INSERT INTO watches(id, folder, real, created, expires_seconds, pw_hash, limit_bps,"
                " recursive, retention_days, retention_action, archive_dir)"
                " VALUES(?,?,?,?,?,?,?,?,?,?,?)",
                (wid, str(f), os.path.realpath(f), time.time(), int(expires_seconds),
                 hash_password(password) if password else None, int(limit_bps), int(recursive),
                 retention_days if retention_action else None, retention_action,
                 str(Path(archive_dir).expanduser().absolute()) if archive_dir else None))
        w = self.get_watch(wid)
        assert w is not None
        return w

    def get_watch(self, watch_id: str) -> Watch | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM watches WHERE id=?", (watch_id,)).fetchone()
        return self._watch(row) if row else None

    @staticmethod
    def _watch(row: sqlite3.Row) -> Watch:
        d = dict(row)
        action = d.get("retention_action")
        days = _float(d.get("retention_days"), 0.0) if d.get("retention_days") is not None else None
        return Watch(id=str(d.get("id") or ""), folder=str(d.get("folder") or ""),
                     real=str(d.get("real") or ""), created=_float(d.get("created"), 0.0),
                     expires_seconds=max(0, _int(d.get("expires_seconds"), 86400)),
                     pw_hash=d["pw_hash"] if isinstance(d.get("pw_hash"), str) else None,
                     limit_bps=max(0, _int(d.get("limit_bps"), 0)),
                     recursive=bool(d.get("recursive")),
                     retention_days=days if days and days > 0 else None,
                     retention_action=action if action in ("delete", "archive") and days else None,
                     archive_dir=d["archive_dir"] if isinstance(d.get("archive_dir"), str) else None)

    def watches(self) -> list[Watch]:
        with self._lock:
            rows = self._db.execute("SELECT * FROM watches ORDER BY created").fetchall()
        return [self._watch(r) for r in rows]

    def find_watch(self, prefix: str) -> Watch:
        for w in self.watches():
            if w.id == prefix:
                return w
        hits = [w for w in self.watches() if w.id.startswith(prefix)]
        if len(hits) == 1:
            return hits[0]
        if not hits:
            raise ShareError(f"No watched folder with id {prefix!r} (see: shares watches)")
        raise ShareError(f"{prefix!r} matches {len(hits)} watched folders; type more of the id")

    def remove_watch(self, watch_id: str, revoke_shares: bool = True) -> None:
        w = self.find_watch(watch_id)
        with self._lock:
            self._db.execute("DELETE FROM watches WHERE id=?", (w.id,))
            if revoke_shares:
                self._db.execute("UPDATE shares SET revoked=? WHERE watch_id=? AND revoked IS NULL",
                                 (time.time(), w.id))
