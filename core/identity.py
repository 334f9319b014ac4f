"""Proof of identity: is a file on disk the one a link points at, and is an answer the file?

Two questions the engine (and so `get`, `fetch`, the queue and the GUI) asks before it
trusts anything by its name alone:

1. **Finished-file records.** An existing file counts as "already downloaded" only when an
   expected checksum matches it, or when Zhilian itself finished it from the same source.
   For the second, a record is written the moment a download gets its final name: the
   file's real path, device, inode, size and modification time (ns), the source's keys,
   the server's validator (ETag, Last-Modified) and the checksum when one was verified.
   The records live in one small SQLite file in the app's data folder (``finished.db``),
   not beside the files, so model folders get no litter. A record stands for its file
   only while the file is unchanged (same inode, size and mtime): a rewritten, replaced
   or copied file has no record and is not taken for the download. A renamed or moved
   file (same inode) keeps it.

   ``source_keys`` names a source without secrets: for a share or hub link the resolver's
   reference (share link and file id; passwords, commits and the listing it came from
   left out), for a plain link the URL without its signature and expiry parameters, each
   hashed (SHA-256), so no URL, password or signature reaches the record file.

2. **Not the file.** ``answer_kind`` and ``sniff`` tell a web page (login, share or
   preview page), an error message (small JSON/XML body) or a Git LFS pointer from the
   file that was asked for; ``not_the_file`` makes the one-line error, naming share hosts
   Zhilian has no resolver for.

Public helpers for other parts (the queue's crash check): ``lookup``, ``is_ours``,
``record``, ``forget``, ``source_keys``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import threading
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from .errors import WebPageInsteadOfFile
from .models import Mirror, Resolved
from .redact import SECRET_PARAMS, redact_text

if TYPE_CHECKING:
    import sqlite3

log = logging.getLogger("zhilian.identity")
# Problems with the record file are logged at INFO (the log file, not the terminal): they
# never fail a download; the only cost is a later download beside an unproven file.

# -- source keys ------------------------------------------------------------------

# Query parameters that change each time a host signs the same object's URL (besides the
# secret ones redact.py masks): expiry times, signing dates, algorithm names.
_VOLATILE_PARAMS = SECRET_PARAMS | {
    "expires", "expiry", "expire", "x-amz-date", "x-amz-expires", "x-amz-algorithm",
    "x-amz-signedheaders", "x-goog-date", "x-goog-expires", "x-goog-algorithm",
    "x-goog-signedheaders", "x-oss-expires", "x-oss-date", "x-oss-signature-version",
    "x-oss-additional-headers", "t", "ts", "timestamp", "st", "sv", "sp", "sr", "spr",
    "skoid", "sktid", "skt", "ske", "sks", "skv", "response-expires",
}
# Parts of a resolver's reference that do not name the file: the extraction code, the
# folder link it was listed from, a repository's commit at resolve time.
_VOLATILE_REF = {"password", "listed_from", "commit"}


def canonical_url(url: str) -> str:
    """The URL with its host lower-cased, default port, fragment, signature and expiry
    parameters dropped, the other parameters sorted: two signings of one object agree."""
    try:
        p = urlsplit(url.strip())
    except ValueError:
        return url
    scheme = (p.scheme or "").lower()
    host = (p.hostname or "").lower()
    port = p.port if p.port and p.port != {"http": 80, "https": 443}.get(scheme) else None
    q = sorted((k, v) for k, v in parse_qsl(p.query, keep_blank_values=True)
               if k.lower() not in _VOLATILE_PARAMS)
    netloc = f"{host}:{port}" if port else host
    return urlunsplit((scheme, netloc, p.path or "/", urlencode(q), ""))


def _hash(kind: str, text: str) -> str:
    return kind + ":" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _ref_value(v: Any) -> Any:
    if isinstance(v, str) and v.lower().startswith(("http://", "https://")):
        return canonical_url(v)
    return v


def source_keys(source: Resolved | list[Mirror]) -> list[str]:
    """Names of where a download comes from, free of secrets. A share or hub link: its
    resolver's reference (one key, stable across resolutions, whatever signed URLs the
    host hands out). A plain link or a list of mirrors: one key per URL."""
    if isinstance(source, Resolved):
        if source.resolver != "direct" and source.ref:
            ref = {k: _ref_value(v) for k, v in source.ref.items()
                   if k not in _VOLATILE_REF and v is not None}
            return [_hash("r", source.resolver + "|" + json.dumps(ref, sort_keys=True, default=str))]
        mirrors = source.mirrors
    else:
        mirrors = source
    return list(dict.fromkeys(_hash("u", canonical_url(m.url)) for m in mirrors))


# -- finished-file records ----------------------------------------------------------

DB_NAME = "finished.db"
MAX_ROWS = 20000           # beyond this, records of files that are gone are pruned
_SCHEMA = """
CREATE TABLE IF NOT EXISTS finished (
    path TEXT PRIMARY KEY, dev INTEGER NOT NULL, ino INTEGER NOT NULL,
    size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, sources TEXT NOT NULL,
    etag TEXT, last_modified TEXT, sha256 TEXT, md5 TEXT, finished_at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS finished_inode ON finished(dev, ino);
"""
_COLS = "path, dev, ino, size, mtime_ns, sources, etag, last_modified, sha256, md5, finished_at"
_lock = threading.Lock()


@dataclass(frozen=True)
class Record:
    """One finished file as recorded: where it is (real path; device, inode, size and
    mtime when it finished), where it came from (source keys, validators, checksums)."""
    path: str
    dev: int
    ino: int
    size: int
    mtime_ns: int
    sources: tuple[str, ...]
    etag: str | None
    last_modified: str | None
    sha256: str | None
    md5: str | None
    finished_at: float

    def matches(self, sources: list[str] | tuple[str, ...], size: int | None = None,
                etag: str | None = None, last_modified: str | None = None) -> bool:
        """Same source, and what the server says now agrees with what it said then:
        the size, and each validator both answers carry."""
        if not set(sources) & set(self.sources):
            return False
        if size is not None and size != self.size:
            return False
        if etag and self.etag and _weakless(etag) != _weakless(self.etag):
            return False
        if last_modified and self.last_modified and last_modified != self.last_modified:
            return False
        return True


def _weakless(tag: str) -> str:
    return tag[2:] if tag.startswith("W/") else tag


def db_path() -> Path:
    from . import paths
    return paths.data_dir() / DB_NAME


def _open(create: bool) -> sqlite3.Connection | None:
    import sqlite3  # here, not at the top: `get` pays for it only when a download ends
    p = db_path()
    if not create and not p.exists():
        return None
    con = sqlite3.connect(p, timeout=10)
    try:
        con.executescript(_SCHEMA)
        return con
    except sqlite3.OperationalError:
        con.close()
        raise            # locked, read-only, full: not damage
    except sqlite3.DatabaseError as e:
        con.close()
        # a damaged record file only costs the proof of earlier downloads (they are then
        # downloaded beside); it is put aside, never deleted, and a new one started
        aside = p.with_name(f"{p.name}.damaged-{int(time.time())}")
        os.replace(p, aside)
        log.info("finished-file records were damaged (%s): moved to %s, starting anew", e, aside)
        con = sqlite3.connect(p, timeout=10)
        con.executescript(_SCHEMA)
        return con


def _stat(path: Path) -> tuple[str, os.stat_result] | None:
    try:
        return os.path.realpath(path), os.stat(path)
    except OSError:
        return None


def _row(r) -> Record:
    return Record(r[0], r[1], r[2], r[3], r[4], tuple(json.loads(r[5])), r[6], r[7], r[8], r[9], r[10])


def lookup(path: Path | str) -> Record | None:
    """The record of ``path`` when Zhilian finished this very file and it is unchanged
    since (same device, inode, size and mtime), else None. Never raises."""
    import sqlite3
    st = _stat(Path(path))
    if st is None:
        return None
    real, s = st
    try:
        with _lock:
            con = _open(create=False)
            if con is None:
                return None
            with closing(con):
                r = con.execute(f"SELECT {_COLS} FROM finished WHERE path = ?", (real,)).fetchone()
                if r is None or (r[1], r[2]) != (s.st_dev, s.st_ino):
                    # moved or renamed since: the inode still says it is the same file
                    r = con.execute(f"SELECT {_COLS} FROM finished WHERE dev = ? AND ino = ?",
                                    (s.st_dev, s.st_ino)).fetchone()
    except (sqlite3.Error, OSError, ValueError) as e:
        log.info("cannot read the finished-file records: %s", e)
        return None
    if r is None or (r[1], r[2], r[3], r[4]) != (s.st_dev, s.st_ino, s.st_size, s.st_mtime_ns):
        return None
    return _row(r)


def is_ours(path: Path | str, *, sources: list[str] | tuple[str, ...], size: int | None = None,
            etag: str | None = None, last_modified: str | None = None) -> bool:
    """True when ``path`` is a file Zhilian finished from one of ``sources``, unchanged
    since, and the server's size and validators (when given) still agree."""
    rec = lookup(path)
    return rec is not None and rec.matches(sources, size, etag, last_modified)


def record(path: Path | str, *, sources: list[str] | tuple[str, ...], etag: str | None = None,
           last_modified: str | None = None, sha256: str | None = None, md5: str | None = None) -> bool:
    """Remember that Zhilian finished ``path`` from ``sources`` (call right after the final
    rename). False (and a line in the log) when the records cannot be written: the
    download stands, a later run just cannot prove it and downloads beside it."""
    import sqlite3
    st = _stat(Path(path))
    if st is None or not sources:
        return False
    real, s = st
    try:
        with _lock:
            con = _open(create=True)
            assert con is not None
            with closing(con), con:
                con.execute("DELETE FROM finished WHERE path = ? OR (dev = ? AND ino = ?)",
                            (real, s.st_dev, s.st_ino))
                con.execute(f"INSERT INTO finished ({_COLS}) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                            (real, s.st_dev, s.st_ino, s.st_size, s.st_mtime_ns,
                             json.dumps(list(sources)), etag, last_modified,
                             sha256.lower() if sha256 else None, md5.lower() if md5 else None,
                             time.time()))
                _prune(con)
        return True
    except (sqlite3.Error, OSError, ValueError) as e:
        log.info("cannot record the finished file %s: %s", path, e)
        return False


def forget(path: Path | str) -> None:
    """Drop the record of ``path`` (its file is being removed or replaced)."""
    import sqlite3
    st = _stat(Path(path))
    real = st[0] if st else os.path.realpath(path)
    try:
        with _lock:
            con = _open(create=False)
            if con is None:
                return
            with closing(con), con:
                con.execute("DELETE FROM finished WHERE path = ?", (real,))
                if st is not None:
                    con.execute("DELETE FROM finished WHERE dev = ? AND ino = ?", (st[1].st_dev, st[1].st_ino))
    except (sqlite3.Error, OSError) as e:
        log.info("cannot update the finished-file records: %s", e)


def _prune(con: sqlite3.Connection) -> None:
    """Past MAX_ROWS, records whose file is gone or changed go, oldest first."""
    if con.execute("SELECT count(*) FROM finished").fetchone()[0] <= MAX_ROWS:
        return
    gone = []
    for r in con.execute(f"SELECT {_COLS} FROM finished ORDER BY finished_at"):
        st = _stat(Path(r[0]))
        if st is None or (st[1].st_dev, st[1].st_ino, st[1].st_size, st[1].st_mtime_ns) != (r[1], r[2], r[3], r[4]):
            gone.append((r[0],))
    con.executemany("DELETE FROM finished WHERE path = ?", gone)
    over = con.execute("SELECT count(*) FROM finished").fetchone()[0] - MAX_ROWS * 9 // 10
    if over > 0:
        con.execute("DELETE FROM finished WHERE path IN (SELECT path FROM finished "
                    "ORDER BY finished_at LIMIT ?)", (over,))


# -- not the file ---------------------------------------------------------------------

# Share hosts Zhilian has no resolver for (a test checks that no resolver claims them):
# their links open a browser page, and their files come from each host's own API or
# client (MEGA's links even carry the decryption key after '#'), never from the page.
SHARE_HOSTS_WITHOUT_RESOLVER = (
    "mega.nz", "mega.co.nz", "mediafire.com", "wetransfer.com", "we.tl", "weiyun.com",
    "115.com", "caiyun.139.com", "yun.139.com", "jianguoyun.com", "pan.wo.cn",
)
_PAGE_TYPES = ("text/html", "application/xhtml+xml")
_PAGE_EXTS = {".html", ".htm", ".xhtml", ".shtml", ".mhtml", ".mht"}
_JSON_EXTS = {".json", ".jsonl", ".ndjson", ".geojson", ".ipynb", ".har", ".map", ".webmanifest"}
_XML_EXTS = {".xml", ".svg", ".rss", ".atom", ".meta4", ".metalink", ".xsd", ".xsl", ".xslt",
             ".kml", ".gpx", ".plist", ".rdf", ".opml", ".xliff", ".xlf", ".resx", ".config"}
# Names that may legitimately start like a page (their content is text): never sniffed.
_TEXT_EXTS = _PAGE_EXTS | _JSON_EXTS | _XML_EXTS | {
    ".txt", ".md", ".csv", ".tsv", ".yaml", ".yml", ".toml", ".ini", ".cfg", ".conf", ".py",
    ".js", ".css", ".sh", ".bat", ".ps1", ".rst", ".tex", ".srt", ".vtt", ".log", ".lrc",
    ".php", ".asp", ".aspx", ".jsp", ".vue", ".tsx", ".jsx"}
SMALL_BODY = 64 << 10      # a JSON/XML answer up to this size where a file was expected is an error message
SNIFF_BYTES = 1024
_PAGE_STARTS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<!--")
_LFS_START = b"version https://git-lfs"


def _ext(name: str) -> str:
    return os.path.splitext(name or "")[1].lower()


def share_host(host: str) -> str | None:
    """The share host (as users know it) ``host`` belongs to, if Zhilian cannot resolve it."""
    h = (host or "").lower().rstrip(".")
    return next((d for d in SHARE_HOSTS_WITHOUT_RESOLVER if h == d or h.endswith("." + d)), None)


def answer_kind(content_type: str | None, length: int | None, name: str) -> str | None:
    """What an answer's Content-Type says it is when the file ``name`` was asked for:
    "page" (HTML, unless the name ends in .html/.htm), "error" (JSON or XML of at most
    SMALL_BODY bytes, unless the name is a .json/.xml file), or None (may be the file)."""
    ct = (content_type or "").split(";", 1)[0].strip().lower()
    if not ct:
        return None
    ext = _ext(name)
    if ct in _PAGE_TYPES:
        return None if ext in _PAGE_EXTS else "page"
    small = length is None or length <= SMALL_BODY
    # the generic types only: a vendor type (application/vnd.docker…+json, an Ollama or
    # OCI manifest) is a document the link was made for
    if ct in ("application/json", "text/json", "application/problem+json"):
        return "error" if small and ext not in _JSON_EXTS else None
    if ct in ("application/xml", "text/xml", "application/problem+xml"):
        return "error" if small and ext not in _XML_EXTS | _PAGE_EXTS else None
    return None


def wants_sniff(name: str) -> bool:
    """Whether the first bytes of ``name`` are checked (every name but text formats)."""
    return _ext(name) not in _TEXT_EXTS


def sniff(head: bytes) -> str | None:
    """"page" when the first bytes are HTML (or an XML error document: "error"), "lfs"
    for a Git LFS pointer, else None. A lone '<' proves nothing (binary data may start
    with it); the markers are whole tags."""
    h = head[:SNIFF_BYTES].removeprefix(b"\xef\xbb\xbf").lstrip(b" \t\r\n").lower()
    if h.startswith(_LFS_START):
        return "lfs"
    if h.startswith(_PAGE_STARTS):
        return "page"
    if h.startswith(b"<?xml"):
        rest = h[h.find(b"?>") + 2:].lstrip(b" \t\r\n") if b"?>" in h else b""
        return "page" if rest.startswith(_PAGE_STARTS) else "error"
    return None


def excerpt(body: bytes, limit: int = 120) -> str:
    """A short, secret-free line from an error body (tags dropped, spaces collapsed)."""
    text = body[:4096].decode("utf-8", errors="replace")
    text = re.sub(r"<\?[^>]*\?>|<[^>]+>", " ", text)
    text = " ".join(text.split())
    return redact_text(text)[:limit]


def not_the_file(kind: str, host: str, content_type: str = "", body: bytes = b"") -> WebPageInsteadOfFile:
    """The one-line error for an answer that is not the file (see ``answer_kind``/``sniff``)."""
    ct = (content_type or "").split(";", 1)[0].strip()
    share = share_host(host)
    if share:
        msg = f"{share} share links are not supported yet (the host sent a web page, not the file)"
    elif kind == "lfs":
        msg = (f"{host} sent a Git LFS pointer instead of the file: the link points at the "
               "repository's pointer, use the host's download (LFS) link")
    elif kind == "error":
        said = excerpt(body)
        msg = f"{host} sent an error message{f' ({ct})' if ct else ''} instead of the file" + (
            f": {said}" if said else "")
    else:
        msg = (f"{host} sent a web page{f' ({ct})' if ct else ''} instead of the file: the link "
               "needs a login, or it is a share or preview page, not a download link")
    return WebPageInsteadOfFile(msg, host=host, content_type=ct, kind=kind)
