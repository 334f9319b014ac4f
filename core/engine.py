"""Segmented download engine.

    async with Engine(global_limit=0, per_host=16) as eng:
        dl = eng.download([Mirror(url)], Path("dir"), DownloadOptions(sha256=...),
                          on_progress=cb, refresh=None)
        path = await dl.run()      # final file, verified; raises ZhilianError subclasses
        # dl.set_limit(bps), dl.cancel() -> run() raises Cancelled, .part + journal kept

How one download works (see docs/engine.md for the reasoning):
- probe each mirror with ``Range: bytes=0-0`` (a GET: presigned URLs are signed
  for GET only) -> size, validator, Range support, file name;
- choose the target (resume from ``<name>.part.journal`` when the server's file is
  the same one, never overwrite a different existing file), check free space,
  reserve the ``.part`` with fallocate (else sparse);
- requests go through ``core/wire.py`` (a small HTTP/1.1 client: keep-alive
  pool, stall timeout, proxies), not aiohttp, so a download starts fast;
- connections start one after another (the next opens once the previous one has
  its answer); each streams one range into the ``.part`` with ``pwrite``;
  an idle connection takes the back part of the range with the longest time
  left (in proportion to speeds, never below ``min_split`` except to rescue a
  tail), and in the end game the small tail of a silent or far slower
  connection moves to an idle one, so there is no slow tail;
- every second the finished ranges go to the journal (after ``fdatasync``);
- the finished prefix is hashed while the download runs, so verification at the
  end only reads what was written last;
- rename to the final name only after size and hash match.

Progress events are ``Progress`` dataclasses, delivered to ``on_progress`` on the
engine's loop about 4 times a second and on every state change.
"""

from __future__ import annotations

import asyncio
import ctypes
import errno
import hashlib
import logging
import os
import random
import re
import shutil
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable
from urllib.parse import urlsplit

from . import expiry, identity, journal, wire
from .errors import (
    NETWORK_CAUSES,
    Cancelled,
    ChecksumMismatch,
    DiskFull,
    HttpError,
    LinkExpired,
    NoProgress,
    NotFound,
    NoUsableSource,
    ProtocolError,
    ServerFileChanged,
    SizeMismatch,
    WebPageInsteadOfFile,
    ZhilianError,
    network_cause,
)
from .filenames import name_from_url, numbered, parse_content_disposition, target_name
from .http import USER_AGENT, HostSlots
from .models import Mirror, Refresher, Resolved
from .namelock import NameLock
from .ranges import RangeSet
from .ratelimit import TokenBucket, throttle
from .redact import redact_url

log = logging.getLogger("zhilian.engine")

DEFAULT_CONNECTIONS = 16
MAX_CONNECTIONS = 64
UNKNOWN_END = 1 << 62
RESCUE_SECONDS = 0.5     # a range with this much time left (and RESCUE_RTTS request round
RESCUE_RTTS = 4          # trips of the taking mirror) may be split below min_split...
RESCUE_MIN = 64 << 10    # ...down to pieces of this size (tail rescue)
GROWTH_WINDOW = 0.03     # seconds of the first stream watched before more connections open
BUSY_SHARE = 0.8         # ...and held back while the event loop's thread is this busy (a
                         # CPU-bound stream gains nothing from more) or while that one
FAST_STREAM = 64 << 20   # stream brings this many bytes/s (a near host or a LAN)
TAKEOVER_RATIO = 2.0     # end game: a connection this much faster takes a small tail whole,
TAKEOVER_SILENCE = 0.15  # as does any idle one when the tail's connection is silent this long
                         # (and longer than two of its mirror's request round trips)
GIVE_UP_AFTER = 60.0     # seconds without a byte from any source (while attempts fail) -> NoProgress
SAMPLE_BYTES = 64 << 10  # bytes of a .part compared with a new link before it is resumed


def _give_up_default() -> float:
    """GIVE_UP_AFTER, or ZHILIAN_GIVE_UP_AFTER (seconds) from the environment: a knob for
    tests and for users on links that pause for long."""
    try:
        v = float(os.environ.get("ZHILIAN_GIVE_UP_AFTER", ""))
        return v if v > 0 else GIVE_UP_AFTER
    except ValueError:
        return GIVE_UP_AFTER


@dataclass
class DownloadOptions:
    connections: int | None = None   # None -> default (16 for direct links, or the resolver's max)
    sha256: str | None = None
    md5: str | None = None
    size: int | None = None          # expected size, when known in advance
    limit: float = 0                 # bytes/s for this download, 0 = unlimited
    filename: str | None = None      # target name (-o); else from Content-Disposition / URL
    headers: dict[str, str] = field(default_factory=dict)  # extra headers for every mirror
    min_split: int = 1 << 20         # never split a range below this
    stall_timeout: float = 20.0      # no byte for this long -> the range goes back to the pool
    journal_interval: float = 1.0    # seconds between journal writes
    sync: bool = True                # fdatasync the .part before each journal write
    max_retries: int = 8             # failures in a row (no progress) before a mirror is dropped
    # Name ownership: called with each candidate final path before the download may use it
    # (or its .part).  False = another owner (a queue task, another download) holds that
    # name, so the engine moves on to "name (1).ext".  One name per download: a later claim
    # replaces the earlier one.  The engine's own in-process registry is always consulted
    # as well (several links of one `get`).
    claim: Callable[[Path], bool] | None = None
    # No byte from any source for this long (refused, reset, wrong ranges, short bodies, no
    # answer, busy): the download fails with NoProgress, keeping its .part and journal.
    # Also bounds the probe. Back-off between retries is at most a quarter of it.
    give_up_after: float = field(default_factory=_give_up_default)


@dataclass
class ConnInfo:
    start: int
    pos: int
    end: int
    mirror: int      # index into the mirror list
    speed: float     # bytes/s


@dataclass
class Progress:
    state: str                       # probing, downloading, verifying, done, failed, paused
    total: int | None = None
    done: int = 0
    speed: float = 0.0
    eta: float | None = None
    connections: list[ConnInfo] = field(default_factory=list)
    done_ranges: list[tuple[int, int]] = field(default_factory=list)
    filename: str | None = None
    path: str | None = None          # final path (known once the name is chosen)
    message: str | None = None       # notices: "restarted from zero: ...", "link refreshed"
    error: str | None = None
    mirrors: list[str] = field(default_factory=list)  # redacted mirror URLs
    resumed_from: int = 0            # bytes already on disk when this run started


# -- internal signals between a connection and the supervisor ------------------

class _Retry(Exception):
    """Transient: put the range back, back off, try again."""


class _Busy(Exception):
    def __init__(self, retry_after: float):
        self.retry_after = retry_after


class _Expired(Exception):
    pass


class _MirrorDead(Exception):
    def __init__(self, err: ZhilianError):
        self.err = err


class _RangeIgnored(Exception):
    pass


@dataclass
class _Seg:
    start: int
    pos: int
    end: int
    mirror: int = 0
    t0: float = 0.0
    got: int = 0
    last: float = 0.0     # when its last bytes arrived (monotonic)
    open_ended: bool = False   # streams from an answer that runs to the end of the file

    def __post_init__(self):
        self.last = self.last or self.t0

    @property
    def speed(self) -> float:
        dt = time.monotonic() - self.t0
        return self.got / dt if dt > 0.05 and self.got else 0.0


@dataclass
class _MirrorState:
    mirror: Mirror
    active: int = 0
    failures: int = 0
    dead: bool = False
    error: ZhilianError | None = None
    bytes: int = 0
    checked: bool = False     # first answer's size/validator checked
    etag: str | None = None   # this mirror's validator, from its first answer
    conn_speed: float = 0.0   # bytes/s of one connection to it, from finished pieces
    ttfb: float = 0.0         # seconds from a range request to its answer (moving average)
    cap: int = 0              # learned from 429/503/509 (0 = no cap learned)
    busy_until: float = 0.0
    last_busy: float = 0.0

    @property
    def host(self) -> str:
        return (urlsplit(self.mirror.url).hostname or "").lower()


@dataclass
class _Probe:
    total: int | None
    ranges: bool
    etag: str | None
    last_modified: str | None
    name: str
    ttfb: float = 0.0   # seconds from the request to the answer's head


# -- disk helpers ---------------------------------------------------------------

_libc = None


def _fallocate(fd: int, size: int) -> bool:
    """Reserve ``size`` bytes instantly. False when the filesystem cannot (then the
    file stays sparse); never falls back to writing zeros."""
    global _libc
    if size <= 0 or not sys.platform.startswith("linux"):
        return False
    try:
        if _libc is None:
            try:  # no find_library(): it runs ldconfig in a subprocess
                _libc = ctypes.CDLL("libc.so.6", use_errno=True)
            except OSError:
                from ctypes.util import find_library
                _libc = ctypes.CDLL(find_library("c"), use_errno=True)
            _libc.fallocate.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_longlong, ctypes.c_longlong]
        if _libc.fallocate(fd, 0, 0, size) == 0:
            return True
        err = ctypes.get_errno()
    except (OSError, AttributeError):
        return False
    if err == errno.ENOSPC:
        raise OSError(errno.ENOSPC, "No space left on device")
    return False


def _allocated(path: Path) -> int:
    try:
        st = path.stat()
    except FileNotFoundError:
        return 0
    return getattr(st, "st_blocks", 0) * 512 if hasattr(st, "st_blocks") else st.st_size


class _PrefixHasher:
    """Hashes the finished prefix of the .part as it grows (in a worker thread). It reads
    through its own file handle, so the download's descriptor is never shared with a
    thread (and no file position is shared where positioned reads do not exist)."""

    def __init__(self, algos: list[str]):
        self.hashes = {a: hashlib.new(a) for a in algos}
        self.offset = 0
        # the ticker's thread may still be hashing when the final check starts (a thread
        # cannot be cancelled): one at a time, each going on from where the other stopped
        self._lock = threading.Lock()

    def advance(self, path: Path, upto: int) -> None:
        with self._lock:
            self._advance(path, upto)

    def _advance(self, path: Path, upto: int) -> None:
        if self.offset >= upto:
            return
        with open(path, "rb") as fh:
            fh.seek(self.offset)
            while self.offset < upto:
                chunk = fh.read(min(4 << 20, upto - self.offset))
                if not chunk:
                    raise OSError("short read while hashing")
                for h in self.hashes.values():
                    h.update(chunk)
                self.offset += len(chunk)


FLUSH_AT = 1 << 19   # a connection writes when it holds this much


class _Buffer:
    """One connection's received bytes waiting to be written: a preallocated buffer the
    HTTP client reads into (over TLS, the TLS object decrypts into it), written with one
    positioned write. No bytes object per read, no joining."""
    __slots__ = ("data", "view", "size")

    def __init__(self, capacity: int = FLUSH_AT):
        self.data = bytearray(capacity)
        self.view = memoryview(self.data)
        self.size = 0

    @property
    def parts(self) -> list[memoryview]:
        return [self.view[:self.size]]

    def free(self, limit: int) -> memoryview:
        """Where the next read goes: at most `limit` bytes after what is held."""
        return self.view[self.size:self.size + limit]

    def clear(self) -> None:
        self.size = 0

    def __len__(self) -> int:
        return self.size


def _pwrite_all(fd: int, parts: list[bytes], offset: int) -> int:
    """Write every part at offset; returns the bytes written (all of them, or raises)."""
    size = sum(len(p) for p in parts)
    if not size:
        return 0
    done = 0
    if hasattr(os, "pwritev") and len(parts) > 1:
        done = os.pwritev(fd, parts, offset)
        if done == size:
            return done
    data = memoryview(parts[0] if len(parts) == 1 else b"".join(parts))
    try:
        if hasattr(os, "pwrite"):
            while done < size:
                done += os.pwrite(fd, data[done:], offset + done)
        else:  # Windows: no positioned writes; only the event loop thread writes this fd
            os.lseek(fd, offset + done, os.SEEK_SET)
            while done < size:
                done += os.write(fd, data[done:])
    finally:
        data.release()
    return done


def _retry_after(headers) -> float:
    v = headers.get("Retry-After")
    if not v:
        return 1.0
    try:
        return max(0.0, min(300.0, float(v)))
    except ValueError:
        from email.utils import parsedate_to_datetime
        try:
            return max(0.0, min(300.0, parsedate_to_datetime(v).timestamp() - time.time()))
        except (TypeError, ValueError):
            return 1.0


def _plan(missing: list[tuple[int, int]], conns: int, min_split: int) -> list[tuple[int, int]]:
    """The missing ranges cut into about ``conns`` pieces of equal size (never below
    ``min_split``), so every connection starts with an equal share instead of waiting
    to steal one; stealing then only evens out differences in speed."""
    total = sum(b - a for a, b in missing)
    if total <= 0:
        return []
    piece = max(min_split, -(-total // max(1, conns)))
    out = []
    for a, b in missing:
        n = max(1, round((b - a) / piece))
        step = -(-(b - a) // n)
        out += [(x, min(b, x + step)) for x in range(a, b, step)]
    return out


def _strong(etag: str | None) -> str | None:
    """A strong ETag, or None (weak ETags may differ between servers of one CDN)."""
    if not etag or etag.startswith("W/"):
        return None
    return etag.strip()


_CR_RE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)")


def _content_range(value: str | None) -> tuple[int, int, int | None] | None:
    m = _CR_RE.match(value or "")
    if not m:
        return None
    total = None if m.group(3) == "*" else int(m.group(3))
    return int(m.group(1)), int(m.group(2)), total


def _file_hash(path: Path, algo: str) -> str:
    h = hashlib.new(algo)
    with open(path, "rb") as fh:
        for b in iter(lambda: fh.read(4 << 20), b""):
            h.update(b)
    return h.hexdigest().lower()


def _reason(e: BaseException) -> str:
    """A failed attempt in a few words, for messages."""
    if isinstance(e, ZhilianError | wire.ClientError | _Retry) and str(e):
        return str(e)
    if isinstance(e, _Busy):
        return "the server is busy (HTTP 429/503)"
    if isinstance(e, TimeoutError):
        return "no answer"
    return NETWORK_CAUSES[network_cause(e)]      # words, never an exception's class name


class Engine:
    """Shared state of all downloads: the HTTP client of the data path, the global
    speed limit and the per-host connection cap. ``session`` is the aiohttp session
    resolvers use; it is made (and aiohttp imported) the first time one asks for it,
    and the cookies it collects go with the download requests too."""

    def __init__(self, *, global_limit: float = 0, per_host: int = 16,
                 user_agent: str | None = None, proxy: str | None = None,
                 clock: Callable[[], float] = time.time,
                 cpu_clock: Callable[[], float] = time.thread_time,
                 session=None):
        self.global_bucket = TokenBucket(global_limit)
        self.slots = HostSlots(per_host)
        self.clock = clock
        self.cpu_clock = cpu_clock   # CPU seconds of the event loop's thread (growth rule)
        self._proxy, self._ua = proxy, user_agent
        self._session = session
        self._own_session = session is None
        self.client = wire.Client(user_agent=user_agent or USER_AGENT, proxy=proxy,
                                  cookies=self._session_cookies)
        self._names: dict[str, object] = {}   # final path -> the Download that holds it

    @property
    def session(self):
        """The resolvers' aiohttp session (made on first use)."""
        if self._session is None:
            from .http import make_session
            self._session = make_session(proxy=self._proxy, user_agent=self._ua)
        return self._session

    def _session_cookies(self, url: str) -> dict[str, str]:
        if self._session is None:
            return {}
        from yarl import URL
        return {k: m.value for k, m in self._session.cookie_jar.filter_cookies(URL(url)).items()}

    async def __aenter__(self) -> Engine:
        return self

    async def __aexit__(self, *exc) -> None:
        await self.close()

    async def close(self) -> None:
        await self.client.close()
        if self._session is not None and self._own_session:
            await self._session.close()
            self._session = None

    def set_global_limit(self, bps: float) -> None:
        self.global_bucket.set_rate(bps)

    def set_per_host(self, cap: int) -> None:
        self.slots.set_cap(cap)

    def claim_name(self, path: Path, owner: object) -> bool:
        """In-process name reservation, one name per owner: True when `owner` may use
        `path` (free, or already its own); a new claim replaces the owner's earlier one."""
        key = os.path.normcase(os.path.abspath(path))
        holder = self._names.get(key)
        if holder is not None and holder is not owner:
            return False
        self.release_names(owner)
        self._names[key] = owner
        return True

    def release_names(self, owner: object) -> None:
        for k in [k for k, v in self._names.items() if v is owner]:
            del self._names[k]

    def download(self, source: list[Mirror] | Resolved, dest_dir: Path,
                 options: DownloadOptions | None = None, *,
                 on_progress: Callable[[Progress], None] | None = None,
                 refresh: Refresher | None = None) -> Download:
        opts = options or DownloadOptions()
        if isinstance(source, Resolved):
            opts = DownloadOptions(**{**opts.__dict__})
            opts.sha256 = opts.sha256 or source.sha256
            opts.md5 = opts.md5 or source.md5
            opts.size = opts.size if opts.size is not None else source.size
            if source.resolver != "direct":
                # a host's own name for the file; for plain links the server's
                # Content-Disposition (read by the probe) is the better authority
                opts.filename = opts.filename or source.filename
            if opts.connections is None and source.max_connections:
                opts.connections = source.max_connections
            mirrors = list(source.mirrors)
        else:
            mirrors = list(source)
        if not mirrors:
            raise NoUsableSource("No download source")
        return Download(self, mirrors, Path(dest_dir), opts, on_progress, refresh,
                        sources=identity.source_keys(source))


class Download:
    def __init__(self, engine: Engine, mirrors: list[Mirror], dest_dir: Path,
                 opts: DownloadOptions, on_progress, refresh: Refresher | None, *,
                 sources: list[str] | None = None):
        self.engine, self.opts, self.dest_dir = engine, opts, dest_dir
        # where the file comes from, free of secrets (core/identity.py): kept in the journal
        # and in the finished-file record, so neither is taken for another link's file
        self._sources = sources if sources is not None else identity.source_keys(mirrors)
        self._mirrors = [_MirrorState(m) for m in sorted(mirrors, key=lambda m: m.priority)]
        self._on_progress = on_progress
        self._refresh_cb = refresh
        self.bucket = TokenBucket(opts.limit)
        want = opts.connections or min(
            [m.max_connections for m in mirrors if m.max_connections] or [DEFAULT_CONNECTIONS])
        self.max_conns = max(1, min(MAX_CONNECTIONS, want))
        self.target_conns = self.max_conns
        self.state = "queued"
        self.total: int | None = None
        self.path: Path | None = None
        self.part: Path | None = None
        self.message: str | None = None
        self.resumed_from = 0
        self._done = RangeSet()
        self._pool: list[tuple[int, int]] = []
        self._active: list[_Seg] = []
        self._fd: int | None = None
        self._wake = asyncio.Event()
        self._fatal: BaseException | None = None
        self._cancelled = False
        self._workers: set[asyncio.Task] = set()
        self._backoff_until = 0.0
        self._ranges = True
        self._probe: _Probe | None = None
        self._hasher: _PrefixHasher | None = None
        self._refresh_lock = asyncio.Lock()
        self._generation = 0
        self._speed = 0.0
        self._last_busy = 0.0
        self._waiting_first_byte = 0
        self._answered = 0         # answers so far (none yet: one connection at a time)
        self._probe_resp: tuple[wire.Response, int] | None = None   # the probe's streaming answer
        self._name_lock: NameLock | None = None   # this name is ours across processes
        self._cpu_mark: tuple[float, float, int] | None = None   # growth window: wall, thread CPU, bytes
        self._grown = False        # more connections than the first were allowed
        self._retiring: set[int] = set()   # ranges cut short to give a host slot back
        self._jpath: Path | None = None
        self._jlock = threading.Lock()
        self._jclosed = False
        self._changed_restarts = 0
        self._epoch = 0            # bumped by every restart from zero
        self._sniff = False        # check the first bytes at offset 0 (not a page, not an LFS pointer)
        self._throttled = 0        # connections waiting for the speed limit (that is progress too)
        self._why: str | None = None   # the last failure, for the give-up message

    # -- public control --------------------------------------------------------
    def set_limit(self, bps: float) -> None:
        self.bucket.set_rate(bps)

    def set_connections(self, n: int) -> None:
        self.max_conns = max(1, min(MAX_CONNECTIONS, int(n)))
        self.target_conns = self.max_conns
        self._wake.set()

    def cancel(self) -> None:
        self._cancelled = True
        for t in list(self._workers):
            t.cancel()
        self._wake.set()

    @property
    def progress(self) -> Progress:
        total = self.total
        done = self._done.total()
        eta = None
        if total and self._speed >= 1:
            eta = (total - done) / self._speed
        return Progress(
            state=self.state, total=total, done=done, speed=self._speed, eta=eta,
            connections=[ConnInfo(s.start, s.pos, s.end, s.mirror, s.speed) for s in self._active],
            done_ranges=self._done.as_list(),
            filename=self.path.name if self.path else None,
            path=str(self.path) if self.path else None,
            message=self.message,
            mirrors=[redact_url(m.mirror.url) for m in self._mirrors],
            resumed_from=self.resumed_from)

    def _emit(self, state: str | None = None, error: str | None = None) -> None:
        if state:
            self.state = state
        if self._on_progress:
            p = self.progress
            p.error = error
            try:
                self._on_progress(p)
            except Exception:  # a broken listener must not break the download
                log.exception("progress listener failed")

    def _note(self, msg: str) -> None:
        self.message = msg
        log.info("%s: %s", self.path.name if self.path else "download", msg)

    def _log(self, level: int, msg: str, *args: object) -> None:
        """A record about this download (decisions and outcomes only: never per chunk)."""
        if log.isEnabledFor(level):
            name = self.path.name if self.path else (
                self.opts.filename or name_from_url(self._mirrors[0].mirror.url) if self._mirrors else None)
            log.log(level, "%s: " + msg, name or "download", *args)

    # -- run ----------------------------------------------------------------------
    async def run(self) -> Path:
        try:
            return await self._run_reported()
        finally:
            self.engine.release_names(self)
            self._drop_name_lock()

    def _claim(self, cand: Path) -> bool:
        """May this download use the name ``cand`` (and its .part)? Not when another download
        of this engine, a queue task (opts.claim) or another process (a name lock) has it."""
        if not self.engine.claim_name(cand, self):
            return False
        if self.opts.claim is not None and not self.opts.claim(cand):
            self.engine.release_names(self)
            return False
        if self._name_lock is not None and self._name_lock.target == cand:
            return True
        lock = NameLock.try_acquire(cand)
        if lock is None:
            self.engine.release_names(self)
            self._log(logging.INFO, "%s is being downloaded by another process: another name", cand.name)
            return False
        self._drop_name_lock()
        self._name_lock = lock
        return True

    def _drop_name_lock(self) -> None:
        if self._name_lock is not None:
            self._name_lock.release()
            self._name_lock = None

    async def _run_reported(self) -> Path:
        try:
            path = await self._run()
        except asyncio.CancelledError:
            self._log(logging.INFO, "stopped at %d of %s bytes; the .part and its journal are kept",
                      self._done.total(), self.total)
            self._emit("paused")
            if self._cancelled:
                raise Cancelled() from None
            raise
        except ZhilianError as e:
            self._log(logging.INFO, "failed (%s): %s; sources: %s", e.__class__.__name__, e,
                      ", ".join(redact_url(m.mirror.url) + (f" ({m.error})" if m.error else "")
                                for m in self._mirrors))
            self._emit("paused" if isinstance(e, (Cancelled, LinkExpired)) else "failed", error=str(e))
            raise
        except OSError as e:
            if e.errno == errno.ENOSPC:
                err = DiskFull(self._remaining(), shutil.disk_usage(self.dest_dir).free, str(self.dest_dir))
                self._log(logging.INFO, "failed: %s", err)
                self._emit("failed", error=str(err))
                raise err from None
            err2 = ZhilianError(f"Cannot write {self.part or self.dest_dir}: {e.strerror or e}")
            self._log(logging.INFO, "failed: %s", err2)
            self._emit("failed", error=str(err2))
            raise err2 from None
        self._log(logging.INFO, "done: %s bytes saved as %s", self.total, path)
        self._emit("done")
        return path

    def _remaining(self) -> int:
        return max(0, (self.total or 0) - self._done.total())

    async def _run(self) -> Path:
        self._emit("probing")
        probe = self._take_probe(await self._do_probe())
        try:
            complete = await self._choose_target(probe)
        except BaseException:
            self._drop_probe_answer()
            raise
        if complete is not None:
            self._drop_probe_answer()
            self._done = RangeSet([(0, probe.total or 0)])
            self._note("already downloaded and verified" if (self.opts.sha256 or self.opts.md5)
                       else "already downloaded (same name, size and date as when it was finished "
                            "from this link; no checksum to verify)")
            return complete
        assert self.part is not None and self.path is not None
        self._log(logging.INFO, "downloading %s bytes (ranges %s, resuming at %d) into %s from %s",
                  probe.total, "yes" if probe.ranges else "no", self._done.total(),
                  self.part, ", ".join(redact_url(m.mirror.url) for m in self._mirrors))
        self.dest_dir.mkdir(parents=True, exist_ok=True)
        total = probe.total
        if total is not None:
            need = total - min(total, _allocated(self.part))
            free = shutil.disk_usage(self.dest_dir).free
            if need > free:
                raise DiskFull(need, free, str(self.dest_dir))
        new = not self.part.exists()
        fd = os.open(self.part, os.O_RDWR | os.O_CREAT | getattr(os, "O_BINARY", 0), 0o644)
        self._fd = fd
        try:
            if total is not None:
                if new or os.fstat(fd).st_size != total:
                    if not _fallocate(fd, total):
                        os.ftruncate(fd, total)
            else:
                os.ftruncate(fd, 0)
            algos = [a for a, v in (("sha256", self.opts.sha256), ("md5", self.opts.md5)) if v]
            self._hasher = _PrefixHasher(algos) if algos else None
            self._sniff = identity.wants_sniff(self.path.name)
            await self._download_all()
            return await self._finish()
        except WebPageInsteadOfFile:
            # a page is not the start of the file: nothing of this run stays under its name
            # (a .part that earlier runs filled is left as it was)
            if self.resumed_from == 0:
                await self._stop_workers()
                if self._fd is not None:
                    os.close(self._fd)
                    self._fd = None
                self.part.unlink(missing_ok=True)
                self._remove_journal()
            raise
        finally:
            self._drop_probe_answer()
            await self._stop_workers()
            if self._fd is not None and self.part is not None and self.part.exists() \
                    and self._jpath is not None and self.state != "done":
                try:
                    self._save_journal(sync=self.opts.sync)
                except OSError:
                    pass
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None

    # -- probe --------------------------------------------------------------------
    def _take_probe(self, probe: _Probe) -> _Probe:
        """What the probe says about the file becomes the download's (size, Range support);
        a size other than the one expected is refused."""
        self._probe = probe
        self.total, self._ranges = probe.total, probe.ranges
        if self.opts.size is not None and probe.total is not None and probe.total != self.opts.size:
            raise SizeMismatch(self.opts.size, probe.total)
        return probe

    def _headers(self, ms: _MirrorState, rng: str | None) -> dict[str, str]:
        h = {**ms.mirror.headers, **self.opts.headers, "Accept-Encoding": "identity"}
        if rng:
            h["Range"] = rng
        return h

    async def _do_probe(self) -> _Probe:
        """The first answer of the first mirror that gives one. Retries are bounded in
        number and, all mirrors together, by ``give_up_after`` seconds."""
        last: ZhilianError | None = None
        deadline = time.monotonic() + self.opts.give_up_after
        for idx in range(len(self._mirrors)):
            attempt = 0
            while True:
                ms = self._mirrors[idx]
                if ms.dead:
                    break
                left = deadline - time.monotonic()
                if left <= 0 and last is not None:
                    break
                try:
                    async with asyncio.timeout(max(1.0, left)):
                        return await self._probe_one(ms)
                except _Expired:
                    await self._refresh(self._generation)
                except _Busy as b:
                    attempt += 1
                    last = HttpError(503, "Service busy", ms.host)
                    wait = min(b.retry_after, 30)
                    if attempt > self.opts.max_retries or time.monotonic() + wait > deadline:
                        self._log(logging.INFO, "probe of %s: still busy after %d tries: source given up",
                                  redact_url(ms.mirror.url), attempt)
                        break
                    self._log(logging.INFO, "probe of %s: busy: back off %.1f s (try %d)",
                              redact_url(ms.mirror.url), wait, attempt)
                    await asyncio.sleep(wait)
                except _MirrorDead as d:
                    ms.dead, ms.error, last = True, d.err, d.err
                    self._log(logging.INFO, "probe of %s: %s: source dropped", redact_url(ms.mirror.url), d.err)
                    break
                except (TimeoutError, wire.ClientError, _Retry, ProtocolError, ConnectionError) as e:
                    attempt += 1
                    last = e if isinstance(e, ZhilianError) else NoUsableSource.unreachable(ms.host, e)
                    wait = self._backoff(attempt)
                    give_up = attempt > min(4, self.opts.max_retries) or time.monotonic() + wait > deadline
                    self._log(logging.INFO, "probe of %s: %s %s (try %d): %s", redact_url(ms.mirror.url),
                              e.__class__.__name__, e, attempt,
                              "source given up" if give_up else "retry after a back-off")
                    if give_up:
                        break
                    await asyncio.sleep(wait)
        raise last or NoUsableSource("No download source answered")

    async def _probe_one(self, ms: _MirrorState) -> _Probe:
        """The first request asks for the whole file from byte 0 (``Range: bytes=0-``): its
        head tells size, validator, name and Range support, and its body is the first
        piece, already on its way while the download is planned (no extra round trip)."""
        self._check_url_expiry(ms)
        asked = time.monotonic()
        # a download that will resume (its .part is there) needs only the head: one byte
        rng = "bytes=0-0" if self._may_resume(ms) else "bytes=0-"
        resp, final = await self.engine.client.get(
            ms.mirror.url, headers=self._headers(ms, rng), read_timeout=self.opts.stall_timeout)
        keep = False
        try:
            await self._check_status(resp, ms)
            self._log(logging.DEBUG, "probe of %s: HTTP %d, %s", redact_url(ms.mirror.url), resp.status,
                      ", ".join(f"{k} {resp.headers.get(k)!r}" for k in (
                          "Content-Range", "Content-Length", "Content-Type", "ETag", "Last-Modified")
                                if resp.headers.get(k) is not None))
            ttfb = time.monotonic() - asked
            ms.ttfb = ttfb
            cd = parse_content_disposition(resp.headers.get("Content-Disposition"))
            name = cd or name_from_url(ms.mirror.url) or name_from_url(final) or "download"
            etag, lm = resp.headers.get("ETag"), resp.headers.get("Last-Modified")
            if resp.status == 206:
                cr = _content_range(resp.headers.get("Content-Range"))
                if not cr or cr[0] != 0:
                    raise ProtocolError("The server sent a Content-Range that does not match the request")
                total, ranges = cr[2], cr[2] is not None
            elif resp.status == 416:
                cr = re.match(r"bytes \*/(\d+)", resp.headers.get("Content-Range", ""))
                total, ranges = (int(cr.group(1)), True) if cr else (None, False)
            else:  # 200: Range ignored
                cl = resp.headers.get("Content-Length")
                total, ranges = (int(cl) if cl and cl.isdigit() else None), False
            if resp.status != 416:
                await self._check_answer(resp, ms, total, self.opts.filename or name)
            ms.checked = True
            ms.etag = _strong(etag)
            self._answered += 1   # the host answers: the other connections may open at once
            if resp.status in (200, 206) and total and rng == "bytes=0-":
                keep = True
                self._probe_resp = (resp, self._mirrors.index(ms))
            elif resp.status == 206:
                try:  # the one byte asked for: then the connection can serve a piece
                    if await resp.read(2) and resp.at_eof():
                        keep = True
                        resp.release()
                except (TimeoutError, wire.ClientError):
                    pass
            return _Probe(total, ranges, etag, lm, name, ttfb)
        finally:
            if not keep:
                resp.close()

    def _may_resume(self, ms: _MirrorState) -> bool:
        """A .part of the name the file will likely get is there, or a file of that name
        that may prove to be this one (then nothing needs downloading: the same command
        run twice costs the server one byte, not a socket's worth of the file). The
        server's Content-Disposition may still name it otherwise."""
        name = self.opts.filename or name_from_url(ms.mirror.url)
        if not name:
            return False
        target = self.dest_dir / target_name(name)
        return target.with_name(target.name + ".part").exists() or target.exists()

    def _drop_probe_answer(self) -> None:
        if self._probe_resp is not None:
            self._probe_resp[0].close()
            self._probe_resp = None

    async def _check_status(self, resp: wire.Response, ms: _MirrorState) -> None:
        st = resp.status
        if st in (200, 206, 416):
            return
        self._log(logging.INFO, "HTTP %d %s from %s", st, resp.reason or "", redact_url(ms.mirror.url))
        if st in (429, 503, 509):
            raise _Busy(_retry_after(resp.headers))
        body = b""
        try:
            body = await resp.read_body(65536)
        except (TimeoutError, wire.ClientError):
            pass
        if expiry.is_expired_answer(st, resp.headers, body):
            raise _Expired()
        if st in (404, 410):
            raise _MirrorDead(NotFound(f"Not found on {ms.host} (HTTP {st})"))
        if st in (401, 403):
            raise _MirrorDead(HttpError(st, "access denied", ms.host))
        if 500 <= st < 600 or st == 408:
            raise _Retry(f"HTTP {st}")
        raise _MirrorDead(HttpError(st, resp.reason or "", ms.host))

    async def _check_answer(self, resp: wire.Response, ms: _MirrorState, total: int | None,
                            name: str) -> None:
        """A web page, or a small JSON/XML error message, where the file ``name`` was
        expected: this mirror is dropped with WebPageInsteadOfFile (never retried)."""
        ct = resp.headers.get("Content-Type")
        kind = identity.answer_kind(ct, total, name) if ct else None
        if kind:
            body = b""
            if kind == "error":
                try:
                    body = await resp.read_body(4096)
                except (TimeoutError, wire.ClientError):
                    pass
            raise _MirrorDead(identity.not_the_file(kind, ms.host, ct or "", body))

    def _check_url_expiry(self, ms: _MirrorState) -> None:
        exp = ms.mirror.expires_at or expiry.url_expires_at(ms.mirror.url)
        if exp is not None and self.engine.clock() >= exp:
            raise _Expired()

    # -- target ------------------------------------------------------------------
    async def _choose_target(self, probe: _Probe) -> Path | None:
        """Sets self.path/self.part and the done ranges; returns a path when the finished
        file is proven to be there already (core/identity.py). A name is passed over when
        another download or queue task holds it, when a file there is not proven to be
        this one, or when its .part was started from another link whose bytes differ
        from this one's (that .part stays as it is, for its own download to resume)."""
        name = target_name(self.opts.filename or probe.name)
        passed: list[str] = []
        for n in range(10000):
            cand = self.dest_dir / numbered(name, n)
            if not self._claim(cand):
                continue   # another download or queue task owns this name
            part = cand.with_name(cand.name + ".part")
            jp = journal.journal_path(part)
            j = journal.load(jp) if jp.exists() else None
            if j is not None and not part.exists():
                # left behind by a crash after the rename: it describes no file
                journal.remove(jp)
                j = None
            if j is not None or part.exists():
                other = j is not None and bool(j.sources) and not set(j.sources) & set(self._sources)
                if other and not await self._same_bytes(j, part, probe):
                    passed.append(part.name)
                    continue
                self.path, self.part, self._jpath = cand, part, jp
                why = None
                if j is None:
                    why = "no journal beside the .part"
                else:
                    why = j.identity_mismatch(probe.total, probe.etag, probe.last_modified)
                    if why is None and not probe.ranges:
                        why = "the server does not support resuming (no Range)"
                    if why is None and j.done:
                        self._done = RangeSet(j.done)
                        self.resumed_from = self._done.total()
                        self._note(self._passed(passed) + (
                            f"resuming: {self.resumed_from} bytes already on disk" + (
                                " (the .part was started from another link; its bytes match)"
                                if other else "")))
                        return None
                if j is not None and j.done:
                    self._note(self._passed(passed) + f"restarted from zero: {why}")
                self._done = RangeSet()
                return None
            if cand.exists():
                if await self._already_there(cand, probe):
                    self.path = cand
                    return cand
                passed.append(cand.name)
                continue
            self.path, self.part, self._jpath = cand, part, jp
            if passed:
                self._note(self._passed(passed).rstrip("; "))
            return None
        raise ZhilianError(f"Too many files named like {name} in {self.dest_dir}")

    def _passed(self, names: list[str]) -> str:
        if not names:
            return ""
        what = "belongs to another download" if names[0].endswith(".part") else \
            "is another file (or not proven to be this one)"
        return f"{names[0]} {what}: saving as {self.path.name if self.path else '?'}; "

    async def _already_there(self, path: Path, probe: _Probe) -> bool:
        """Is the existing file the one we would download?  Only with proof: the expected
        checksum matches (the finished-file record's checksum stands for it while the file
        is unchanged), or, with no checksum known, the record Zhilian wrote when it finished
        this file says it came from this source, and the server's size and validators still
        agree. A file of the same name, size and date is not proof (two repositories' model
        files often share all three)."""
        rec = await asyncio.to_thread(identity.lookup, path)
        algo, want = ("sha256", self.opts.sha256) if self.opts.sha256 else ("md5", self.opts.md5)
        if not want:
            return rec is not None and rec.matches(self._sources, probe.total, probe.etag,
                                                   probe.last_modified)
        if rec is not None and (getattr(rec, algo) or "") == want.lower():
            return True
        try:
            if probe.total is not None and path.stat().st_size != probe.total:
                return False
            return await asyncio.to_thread(_file_hash, path, algo) == want.lower()
        except OSError:
            return False

    async def _same_bytes(self, j: journal.JournalData, part: Path, probe: _Probe) -> bool:
        """A .part begun from another link is this file only when the server's size and
        validator agree with its journal and a stretch of its finished bytes (up to
        SAMPLE_BYTES, the end of its longest finished range) is what this source sends."""
        if j.identity_mismatch(probe.total, probe.etag, probe.last_modified) or not probe.ranges \
                or not j.done:
            return False
        a, b = max(j.done, key=lambda r: r[1] - r[0])
        a = max(a, b - SAMPLE_BYTES)
        ms = next((m for m in self._mirrors if not m.dead), self._mirrors[0])
        try:
            async with asyncio.timeout(self.opts.give_up_after):
                resp, _ = await self.engine.client.get(
                    ms.mirror.url, headers=self._headers(ms, f"bytes={a}-{b - 1}"),
                    read_timeout=self.opts.stall_timeout)
                try:
                    cr = _content_range(resp.headers.get("Content-Range"))
                    if resp.status != 206 or cr is None or (cr[0], cr[1]) != (a, b - 1):
                        return False
                    theirs = await resp.read_body(b - a)
                finally:
                    resp.close()
        except (TimeoutError, wire.ClientError, ConnectionError) as e:
            raise NoUsableSource(f"Cannot compare {part.name} with {ms.host}: {_reason(e)}") from None
        with open(part, "rb") as fh:
            fh.seek(a)
            mine = fh.read(b - a)
        return theirs == mine

    # -- journal -----------------------------------------------------------------
    def _journal_data(self, done: list[tuple[int, int]]) -> journal.JournalData:
        p = self._probe
        assert p is not None
        return journal.JournalData(size=p.total, etag=p.etag, last_modified=p.last_modified,
                                   done=done, name=self.path.name if self.path else "",
                                   ranges_supported=p.ranges, sources=list(self._sources))

    def _save_journal(self, sync: bool) -> None:
        snap = self._done.as_list()
        if sync and self._fd is not None:
            os.fdatasync(self._fd) if hasattr(os, "fdatasync") else os.fsync(self._fd)
        assert self._jpath is not None
        self._write_journal(self._journal_data(snap))

    def _write_journal(self, data: journal.JournalData) -> None:
        # the ticker writes from a thread: one writer at a time (they share the temp file)
        with self._jlock:
            if self._jpath is not None and not self._jclosed:
                journal.save(self._jpath, data)

    def _remove_journal(self) -> None:
        with self._jlock:
            self._jclosed = True   # a late write from the ticker's thread must not bring it back
            if self._jpath is not None:
                journal.remove(self._jpath)

    async def _ticker(self) -> None:
        last_j = time.monotonic()
        journaled = False
        last_done, last_t = self._done.total(), time.monotonic()
        while True:
            await asyncio.sleep(0.25)
            now = time.monotonic()
            d = self._done.total()
            inst = (d - last_done) / max(1e-6, now - last_t)
            self._speed = inst if self._speed == 0 else 0.7 * self._speed + 0.3 * inst
            last_done, last_t = d, now
            # the first new bytes are journaled at once (a kill in the first second then
            # loses nothing), then every journal_interval
            first = not journaled and d > self.resumed_from
            if first or now - last_j >= self.opts.journal_interval:
                last_j, journaled = now, True
                snap = self._done.as_list()
                epoch = self._epoch
                fd = self._fd
                if self.opts.sync and fd is not None:
                    await asyncio.to_thread(os.fdatasync if hasattr(os, "fdatasync") else os.fsync, fd)
                if self._jpath is not None and epoch == self._epoch:  # not across a restart from zero
                    await asyncio.to_thread(self._write_journal, self._journal_data(snap))
                hasher = self._hasher
                if hasher and fd is not None and epoch == self._epoch:
                    upto = RangeSet(snap).prefix()
                    await asyncio.to_thread(hasher.advance, self.part, upto)
            self._emit()

    # -- the download proper -------------------------------------------------------
    async def _download_all(self) -> None:
        total = self.total
        if not self._ranges:
            self.max_conns = self.target_conns = 1
            self._done = RangeSet()
            self._pool = [(0, total if total is not None else UNKNOWN_END)]
        else:
            assert total is not None
            self._pool = _plan(self._done.missing(total), self.max_conns, self.opts.min_split)
        self._emit("downloading")
        hosts = {ms.host for ms in self._mirrors}
        for h in hosts:
            self.engine.slots.join(h, self, self.max_conns)
        ticker = asyncio.create_task(self._ticker())
        got, progress_at = -1, time.monotonic()
        try:
            while True:
                if self._cancelled:
                    raise Cancelled()
                now = time.monotonic()
                g = sum(ms.bytes for ms in self._mirrors)
                if g != got or self._throttled:   # bytes arrived, or only our speed limit holds them
                    got, progress_at = g, now
                elif now - progress_at > self.opts.give_up_after:
                    raise self._no_progress(now - progress_at)
                if self._fatal is not None:
                    f, self._fatal = self._fatal, None
                    if isinstance(f, _RangeIgnored):
                        await self._restart_single()
                        continue
                    if isinstance(f, ServerFileChanged) and self._changed_restarts < 2:
                        await self._restart_changed(f)
                        continue
                    raise f
                if self._complete():
                    break
                self._yield_slots()
                self._spawn_workers()
                if not self._complete() and self._all_gone():
                    raise self._mirrors_error()
                self._wake.clear()
                # the end game (nothing left to hand out, a tail may go silent) is watched
                # more closely than the rest of the download
                timeout = 0.05 if not self._pool and len(self._workers) < self.target_conns else 0.25
                if self._cpu_mark is not None and not self._grown:
                    timeout = min(timeout, max(0.005, self._cpu_mark[0] + GROWTH_WINDOW - time.monotonic()))
                if self._backoff_until > time.monotonic():
                    timeout = min(timeout, self._backoff_until - time.monotonic())
                try:
                    async with asyncio.timeout(max(0.01, timeout)):  # never swallows a cancel (wait_for can on 3.11)
                        await self._wake.wait()
                except TimeoutError:
                    pass
        finally:
            for h in hosts:
                self.engine.slots.leave(h, self)
            ticker.cancel()
            try:
                await ticker
            except (asyncio.CancelledError, Exception):
                pass

    def _complete(self) -> bool:
        if self.total is None:
            return self._unknown_done
        return self._done.total() >= self.total

    _unknown_done = False

    def _mirrors_error(self) -> ZhilianError:
        errs = [m.error for m in self._mirrors if m.error]
        if len(self._mirrors) == 1 and errs:
            return errs[0]
        if errs:
            err = NoUsableSource("No mirror could deliver the file: " + "; ".join(dict.fromkeys(map(str, errs))))
            # trying again later helps only when one of the reasons is passing
            err.retryable = any(e.retryable for e in errs)
            return err
        return NoUsableSource("No mirror could deliver the file")

    def _all_gone(self) -> bool:
        """Every mirror is gone: nothing runs and nothing is left to hand out, or no mirror
        is left to take it (connections still running on a dropped mirror are waited for,
        unless every mirror was dropped for good: a page, not found)."""
        if not self._workers and not self._has_work():
            return True
        if not all(ms.dead for ms in self._mirrors):
            return False
        return not self._workers or not any(ms.error is not None and ms.error.retryable
                                            for ms in self._mirrors)

    def _no_progress(self, silent: float) -> ZhilianError:
        hosts = ", ".join(dict.fromkeys(ms.host for ms in self._mirrors))
        why = f" (last error: {self._why})" if self._why else ""
        return NoProgress(f"No data from {hosts} for {silent:.0f} s{why}; the .part is kept, "
                          "and trying again resumes")

    def _has_work(self) -> bool:
        if self._pool:
            return True
        return self._steal_candidate() is not None

    def _pick_mirror(self) -> int | None:
        best, key = None, None
        for i, ms in enumerate(self._mirrors):
            if ms.dead:
                continue
            if ms.mirror.max_connections and ms.active >= ms.mirror.max_connections:
                continue
            if ms.cap and ms.active >= ms.cap:
                continue
            if ms.busy_until > time.monotonic():
                continue
            if not self.engine.slots.can_take(ms.host, self):
                continue
            k = (ms.active, ms.failures, ms.mirror.priority, i)
            if key is None or k < key:
                best, key = i, k
        return best

    def _yield_slots(self) -> None:
        """When another download joined a host, this one holds more than its fair share of
        the host's connections: end one connection's range soon (the rest goes back to the
        pool) so it closes and the slot goes to the newcomer."""
        for mi, ms in enumerate(self._mirrors):
            excess = self.engine.slots.excess(ms.host, self) if ms.active else 0
            if not excess:
                continue
            mine = [s for s in self._active if s.mirror == mi]
            if sum(1 for s in mine if id(s) in self._retiring) >= excess:
                continue  # enough connections are already on their way out
            segs = [s for s in mine if s.end - s.pos > (256 << 10) and id(s) not in self._retiring]
            if segs:
                seg = max(segs, key=lambda s: s.end - s.pos)
                cut = seg.pos + (128 << 10)
                self._pool.append((cut, seg.end))
                self._pool.sort()
                seg.end = cut
                self._retiring.add(id(seg))

    def _spawn_workers(self) -> None:
        now = time.monotonic()
        if now < self._backoff_until:
            return
        # adaptive recovery after a "too many connections" answer
        if self.target_conns < self.max_conns and now - self._last_busy > 10:
            self.target_conns += 1
            self._last_busy = now
        for ms in self._mirrors:
            if ms.cap and now - ms.last_busy > 10:
                ms.cap += 1
                ms.last_busy = now
        # The probe's answer streams the first piece on its own connection; once a host has
        # answered, the other connections open all at once (one round trip for all of them,
        # not one per ramp step). Before any answer, one at a time. A host that refuses
        # extra connections (503/429) caps the count (see _on_fetch_error).
        first = self._probe_resp
        self._probe_resp = None
        if first is not None and not (self._pool and self._pool[0][0] == 0):
            first[0].close()   # resuming: the bytes from 0 are on disk already
            first = None
        while (len(self._workers) < self._growth_limit(now)
               and (self._answered > 0 or self._waiting_first_byte == 0)
               and self._has_work()):
            mi = first[1] if first is not None else self._pick_mirror()
            if mi is None:
                return
            ms = self._mirrors[mi]
            if not self.engine.slots.try_acquire(ms.host, self):
                if first is not None:
                    first[0].close()
                return
            ms.active += 1
            self._waiting_first_byte += 1
            t = asyncio.create_task(self._worker(mi, first[0] if first is not None else None))
            first = None
            self._workers.add(t)
            t.add_done_callback(self._worker_done)

    def _growth_limit(self, now: float) -> int:
        """How many connections may run now. The first one streams alone for GROWTH_WINDOW;
        then the rest open at once, unless that one stream is already fast (FAST_STREAM or
        more: a near host or a LAN, where more connections share the same pipe and add work
        on both ends) or kept this thread busy (CPU-bound). Then the count stays, and it is
        looked at again every window: a stream that slows lets the others open."""
        if self._grown or not self._workers:
            return self.target_conns
        got = sum(m.bytes for m in self._mirrors)
        if self._cpu_mark is None:
            self._cpu_mark = (now, self.engine.cpu_clock(), got)
            return len(self._workers)
        t0, c0, b0 = self._cpu_mark
        elapsed = now - t0
        if elapsed < GROWTH_WINDOW:
            return len(self._workers)
        cpu = self.engine.cpu_clock()
        if (cpu - c0) / elapsed >= BUSY_SHARE or (got - b0) / elapsed >= FAST_STREAM:
            self._cpu_mark = (now, cpu, got)
            self._extend_open_stream()
            return len(self._workers)
        self._grown = True
        return self.target_conns

    def _extend_open_stream(self) -> None:
        """One stream is all this download gets: when it reads the probe's answer, which runs
        to the end of the file, it takes the planned pieces after its own too, so it goes on
        without a new request (as one curl would). Others may still steal from it later."""
        if len(self._active) != 1 or not self._active[0].open_ended:
            return
        seg = self._active[0]
        while self._pool and self._pool[0][0] == seg.end:
            seg.end = self._pool.pop(0)[1]

    def _worker_done(self, t: asyncio.Task) -> None:
        self._workers.discard(t)
        if not t.cancelled() and t.exception() is not None and self._fatal is None:
            self._fatal = t.exception()
        self._wake.set()

    async def _stop_workers(self) -> None:
        for t in list(self._workers):
            t.cancel()
        if self._workers:
            await asyncio.gather(*self._workers, return_exceptions=True)
        self._workers.clear()

    def _take_work(self, mirror: int) -> _Seg | None:
        if self._pool:
            a, b = self._pool.pop(0)
            seg = _Seg(a, a, b, mirror, time.monotonic())
            self._active.append(seg)
            return seg
        found = self._steal_candidate(mirror)
        if found is None:
            return None
        victim, mid = found
        seg = _Seg(mid, mid, victim.end, mirror, time.monotonic())
        victim.end = mid
        self._active.append(seg)
        return seg

    def _avg_speed(self) -> float:
        """Mean speed of the connections that have one yet (0 = none measured)."""
        speeds = [s.speed for s in self._active if s.speed > 0]
        return sum(speeds) / len(speeds) if speeds else 0.0

    def _steal_candidate(self, mirror: int | None = None) -> tuple[_Seg, int] | None:
        """The range an idle connection (on ``mirror``) should take the back part of, and
        where to cut it: the range with the longest time left, cut so that both sides
        finish together (a connection on a mirror four times as fast takes four fifths;
        halves while speeds are unknown). Both sides keep at least ``min_split``, except
        to rescue a tail: when the range still needs RESCUE_SECONDS or more, pieces down
        to RESCUE_MIN are worth one more request. And in the end game, the last bytes of a
        range too small to split move whole to an idle connection when that one is at least
        TAKEOVER_RATIO times as fast, or when the range's connection has been silent longer
        than its rest should take and than two request round trips (the old connection stops there): throttled servers send
        data in bursts, once a second or so, and the last few KiB of a range would wait
        for the next burst while other connections sit idle. So the last percent never
        hangs on one connection."""
        if not self._ranges:
            return None
        avg = self._avg_speed()
        s_new = (self._mirrors[mirror].conn_speed if mirror is not None else 0.0) or avg
        rescue_min = min(self.opts.min_split, RESCUE_MIN)
        # a rescue costs the taker one request round trip before its first byte: worth it
        # only when the range has several of those left (far hosts: more than half a second)
        rescue_after = max(RESCUE_SECONDS,
                           RESCUE_RTTS * (self._mirrors[mirror].ttfb if mirror is not None else 0.0))
        now = time.monotonic()
        best, best_t = None, -1.0
        for s in self._active:
            rem = s.end - s.pos
            if rem <= 0:
                continue
            sp = s.speed or avg
            if sp and s_new:
                t_left = rem / sp
                frac = min(0.9, max(0.1, s_new / (s_new + sp)))
            else:  # no speed measured yet: biggest range first, halves
                t_left, frac = float(rem), 0.5
            take = int(rem * frac)
            if rem >= 2 * self.opts.min_split:
                take = min(max(take, self.opts.min_split), rem - self.opts.min_split)
            elif sp and t_left >= rescue_after and take >= rescue_min:
                pass  # tail rescue
            elif s.speed and (s_new >= TAKEOVER_RATIO * s.speed or now - s.last > max(
                    TAKEOVER_SILENCE, 2 * self._mirrors[s.mirror].ttfb, rem / s.speed)):
                # end game: too little to split, and this connection is far faster or
                # the range's own connection has gone quiet for longer than its rest needs
                take = rem
            else:
                continue
            if t_left > best_t:
                best, best_t = (s, s.end - take), t_left
        if best is None:
            return None
        victim, mid = best
        if mid - victim.pos > 8192 and victim.end - mid > 8192:
            mid -= mid % 4096
        return victim, mid

    def _give_back(self, seg: _Seg) -> None:
        self._retiring.discard(id(seg))
        if seg in self._active:
            self._active.remove(seg)
        if seg.pos < seg.end:
            self._pool.append((seg.pos, seg.end))
            self._pool.sort()

    def _release_gate(self, gate: list[bool]) -> None:
        """A new connection may open once the previous one has its answer."""
        if gate[0]:
            gate[0] = False
            self._answered += 1
            self._waiting_first_byte = max(0, self._waiting_first_byte - 1)
            self._wake.set()

    async def _worker(self, mi: int, answer: wire.Response | None = None) -> None:
        """One connection: takes a range, fetches it, then the next (or the back part of the
        slowest). ``answer``: the probe's answer, streaming from byte 0 (the first range)."""
        ms = self._mirrors[mi]
        gate = [True]
        attempt = 0
        try:
            while not self._cancelled:
                if ms.dead:
                    return
                seg = self._take_work(mi)
                if seg is None:
                    return
                gen = self._generation
                try:
                    given, answer = answer, None
                    await self._fetch(seg, ms, gate, given)
                    ms.failures = 0
                    attempt = 0
                    sp = seg.speed
                    if sp:  # what one connection gets from this mirror (for splitting)
                        ms.conn_speed = sp if not ms.conn_speed else 0.5 * (ms.conn_speed + sp)
                    self._retiring.discard(id(seg))
                    if seg.pos < seg.end and self.total is not None:
                        self._give_back(seg)  # short answer: the rest goes back to the pool
                    elif seg in self._active:
                        self._active.remove(seg)
                    if self.engine.slots.over_share(ms.host, self):
                        return  # another download joined this host: its share of the slots
                except asyncio.CancelledError:
                    self._give_back(seg)
                    raise
                except BaseException as e:
                    self._give_back(seg)
                    self._release_gate(gate)
                    if seg.got:
                        ms.failures = 0
                        attempt = 0
                    await self._on_fetch_error(e, ms, gen, attempt)
                    attempt += 1
                    if isinstance(e, (_Busy, _Expired)) or ms not in self._mirrors:
                        # busy: this connection closes and the supervisor opens fewer;
                        # expired: the supervisor opens new ones on the fresh mirrors
                        return
                self._wake.set()
        finally:
            self._release_gate(gate)
            ms.active -= 1
            self.engine.slots.release(ms.host, self)
            self._wake.set()

    async def _on_fetch_error(self, e: BaseException, ms: _MirrorState, gen: int, attempt: int) -> None:
        if not isinstance(e, _Expired):
            self._why = _reason(e.err if isinstance(e, _MirrorDead) else e)
        if isinstance(e, _Busy):
            now = time.monotonic()
            # the limit belongs to that host: cap this mirror, not the whole download
            ms.cap = max(1, ms.active - 1)
            ms.last_busy = now
            ms.busy_until = now + e.retry_after
            healthy = [m for m in self._mirrors if not m.dead]
            if len(healthy) <= 1:
                self._last_busy = now
                self.target_conns = max(1, min(self.target_conns, len(self._workers)) - 1)
                self._backoff_until = now + e.retry_after
            self._note(f"server busy: fewer connections to {ms.host} ({ms.cap}), "
                       f"retry in {e.retry_after:.0f}s")
            return
        if isinstance(e, _Expired):
            self._log(logging.INFO, "link expired (%s): asking for a fresh one", redact_url(ms.mirror.url))
            await self._refresh(gen)
            return
        if isinstance(e, _RangeIgnored):
            raise e
        if isinstance(e, _MirrorDead):
            ms.dead, ms.error = True, e.err
            self._note(f"dropped source {ms.host}: {e.err}")
            return
        if isinstance(e, (ServerFileChanged,)):
            raise e
        if isinstance(e, wire.ConnectError):
            # refused / unreachable: fewer connections, short back-off
            self.target_conns = max(1, len(self._workers) - 1)
            self._last_busy = time.monotonic()
        if isinstance(e, (wire.ClientError, TimeoutError, _Retry, ProtocolError, ConnectionError)):
            ms.failures += 1
            # retryable by nature: the .part stays, and a later try (the queue's retry, the
            # same command) resumes
            ms.error = NoProgress(f"{ms.host} keeps failing ({_reason(e)}); the .part is kept, "
                                  "and trying again resumes")
            if ms.failures >= self.opts.max_retries and any(
                    m is not ms and not m.dead for m in self._mirrors):
                # dropped while other mirrors can take its ranges; the last one is retried
                # with back-off until give_up_after passes without a byte (NoProgress)
                ms.dead = True
                self._note(f"dropped source {ms.host} after {ms.failures} failures")
                return
            self._log(logging.INFO, "%s from %s (failure %d of %d): retry after a back-off",
                      e.__class__.__name__ + (f" {e}" if str(e) else ""), redact_url(ms.mirror.url),
                      ms.failures, self.opts.max_retries)
            await asyncio.sleep(self._backoff(attempt))
            return
        raise e

    def _backoff(self, attempt: int) -> float:
        """0.25 s doubling with jitter, at most 30 s and at most a quarter of the give-up
        time (so a few tries fit before the download gives up)."""
        base = min(30.0, self.opts.give_up_after / 4, 0.25 * (2 ** attempt))
        return base * random.uniform(0.5, 1.5)

    async def _refresh(self, gen: int) -> None:
        async with self._refresh_lock:
            if gen != self._generation:
                return  # another connection refreshed already
            if self._refresh_cb is None:
                raise LinkExpired("Link expired: paste a new link")
            self._emit()
            fresh = await self._refresh_cb()
            if not fresh:
                raise LinkExpired("Link expired: paste a new link")
            self._mirrors = [_MirrorState(m) for m in sorted(fresh, key=lambda m: m.priority)]
            self._generation += 1
            self._note("link expired: got a fresh one, continuing")

    async def _fetch(self, seg: _Seg, ms: _MirrorState, gate: list[bool],
                     given: wire.Response | None = None) -> int:
        """Streams seg from a new request, or from ``given`` (the probe's answer, which runs
        from byte 0 to the end of the file: it is closed when seg is done)."""
        fd = self._fd
        assert fd is not None
        ranged = self._ranges
        end_incl = seg.end - 1
        rng = f"bytes={seg.pos}-{end_incl}" if ranged else None
        if ranged and self.total is not None and seg.end >= self.total:
            rng = f"bytes={seg.pos}-{self.total - 1}"
        if given is not None and seg.pos != 0:
            given.close()   # the first range went elsewhere: this one needs its own request
            given = None
        if given is not None:
            resp = given
            seg.open_ended = True
        else:
            self._check_url_expiry(ms)
            asked = time.monotonic()
            resp, _final = await self.engine.client.get(
                ms.mirror.url, headers=self._headers(ms, rng), read_timeout=self.opts.stall_timeout)
            wait = time.monotonic() - asked   # what one more request to this mirror costs
            ms.ttfb = wait if not ms.ttfb else 0.7 * ms.ttfb + 0.3 * wait
        self._release_gate(gate)
        reuse = False
        try:
            await self._check_status(resp, ms)
            await self._check_answer(resp, ms, self.total, self.path.name if self.path else "")
            if ranged:
                if resp.status == 200:
                    raise _RangeIgnored()
                cr = _content_range(resp.headers.get("Content-Range"))
                self._check_same_file(ms, resp.headers.get("ETag"), cr[2] if cr else None)
                if cr is None or cr[0] != seg.pos or (cr[1] > end_incl and given is None):
                    raise ProtocolError(
                        f"{ms.host} answered a different byte range than asked "
                        f"({resp.headers.get('Content-Range')!r} for {rng}); nothing written")
            elif seg.pos != 0:
                raise ProtocolError("cannot resume without Range support")
            if not ms.checked:
                ms.checked = True
            buf = _Buffer()
            try:
                if seg.pos == 0 and self._sniff:
                    await self._sniff_head(resp, seg, ms, buf)
                await self._stream(resp, seg, ms, buf, fd)
            except BaseException:
                # what arrived before the failure is good data: keep it, and give
                # back exactly what is not on disk
                if buf:
                    try:
                        self._write(fd, buf, seg.pos - len(buf))
                    except OSError:
                        seg.pos -= len(buf)
                    buf.clear()
                raise
            if seg.pos < seg.end:
                if not ranged and self.total is None:
                    self.total = seg.pos
                    self._unknown_done = True
                    reuse = True
                    return seg.got
                raise _Retry("connection closed early")
            reuse = resp.at_eof()
            if not ranged and self.total is None:
                self.total = seg.pos
                self._unknown_done = True
            return seg.got
        finally:
            if reuse:
                resp.release()
            else:
                resp.close()

    async def _sniff_head(self, content: wire.Response, seg: _Seg, ms: _MirrorState, buf: _Buffer) -> None:
        """The first bytes of the file, before any is written: a page (whatever the
        Content-Type said) or a Git LFS pointer is not the file. They are read into
        ``buf`` as ``_stream`` would, which then goes on from there."""
        want = min(identity.SNIFF_BYTES, seg.end - seg.pos)
        while len(buf) < min(64, want):
            n = await content.readinto(buf.free(want - len(buf)))
            if not n:
                break
            buf.size += n
            seg.pos += n      # kept in step with buf, as _stream does (a failure writes buf)
            seg.got += n
            ms.bytes += n
            seg.last = time.monotonic()
        kind = identity.sniff(bytes(buf.view[:buf.size]))
        if kind:
            n = len(buf)      # nothing of it is written; the range goes back whole
            buf.clear()
            seg.pos -= n
            seg.got -= n
            ms.bytes -= n
            raise _MirrorDead(identity.not_the_file(kind, ms.host, content.headers.get("Content-Type") or ""))

    def _check_same_file(self, ms: _MirrorState, etag: str | None, total: int | None) -> None:
        """A range answer must come from the file the download started with: same size,
        and on the same mirror the same strong ETag. Otherwise bytes of two versions would
        be mixed in one .part."""
        etag = _strong(etag)
        if total is not None and self.total is not None and total != self.total:
            if len([m for m in self._mirrors if not m.dead]) > 1:
                raise _MirrorDead(ServerFileChanged(
                    f"{ms.host} has a different file ({total} bytes, expected {self.total})"))
            raise ServerFileChanged(f"the file on {ms.host} changed size ({self.total} -> {total} bytes)")
        if etag and ms.etag and etag != ms.etag:
            raise ServerFileChanged(f"the file on {ms.host} changed (ETag {ms.etag} -> {etag})")
        if etag and not ms.etag:
            ms.etag = etag

    async def _stream(self, content: wire.Response, seg: _Seg, ms: _MirrorState,
                      buf: _Buffer, fd: int) -> None:
        """Copy the answer's body into the .part at seg.pos until seg.end (which a
        stealing connection may move closer while we read)."""
        buckets = (self.bucket, self.engine.global_bucket)
        flushed = time.monotonic()

        def flush() -> None:
            nonlocal flushed
            self._write(fd, buf, seg.pos - len(buf))
            buf.clear()
            flushed = time.monotonic()

        while seg.pos < seg.end:
            if buf and not content.pending():
                # nothing more has arrived: write what we hold before waiting, so a
                # connection that goes quiet holds no data back (another can take over
                # its tail, and the journal and progress see it)
                flush()
            limited = self.bucket.rate > 0 or self.engine.global_bucket.rate > 0
            # never read past the range (a stealing connection may have moved its end);
            # under a limit every grant is the same size, so connections (and downloads)
            # waiting in the bucket's queue share it evenly; a connection that waited
            # long must not take all it has buffered in one grant
            want = min(FLUSH_AT - len(buf), seg.end - seg.pos, 32768 if limited else FLUSH_AT)
            n = await content.readinto(buf.free(want))
            if not n:
                break
            n = min(n, seg.end - seg.pos)   # the end may have moved while we waited
            if n <= 0:
                break
            if limited:
                self._throttled += 1
                try:
                    await throttle(n, *buckets)
                finally:
                    self._throttled -= 1
            buf.size += n
            now = seg.last = time.monotonic()
            seg.pos += n
            seg.got += n
            ms.bytes += n
            # full, or the range is done; under a speed limit data never stops
            # arriving, so a slow connection also writes every 0.2 s (progress, journal)
            if (len(buf) >= FLUSH_AT or seg.pos >= seg.end
                    or (len(buf) >= 65536 and now - flushed > 0.2)):
                flush()
        if buf:
            flush()

    def _write(self, fd: int, buf: _Buffer, offset: int) -> None:
        done = _pwrite_all(fd, buf.parts, offset)
        self._done.add(offset, offset + done)

    async def _restart_changed(self, why: ServerFileChanged) -> None:
        """The server's file changed under us: everything on disk belongs to the old
        version. Probe again and start from zero (at most twice per run)."""
        self._changed_restarts += 1
        self._epoch += 1
        await self._stop_workers()
        self._active.clear()
        for ms in self._mirrors:
            ms.etag = None
        probe = self._take_probe(await self._do_probe())
        assert self._fd is not None
        if probe.total is not None:
            os.ftruncate(self._fd, probe.total)
        self._done = RangeSet()
        if not self._ranges:
            self.max_conns = self.target_conns = 1
        if self._ranges and probe.total is not None:
            self._pool = _plan([(0, probe.total)], self.max_conns, self.opts.min_split)
        else:
            self._pool = [(0, probe.total if probe.total is not None else UNKNOWN_END)]
        if self._hasher is not None:
            self._hasher = _PrefixHasher(list(self._hasher.hashes))
        self._save_journal(sync=False)
        self._note(f"restarted from zero: {why}")

    async def _restart_single(self) -> None:
        self._epoch += 1
        await self._stop_workers()
        self._active.clear()
        self._ranges = False
        self.max_conns = self.target_conns = 1
        self._done = RangeSet()
        self._pool = [(0, self.total if self.total is not None else UNKNOWN_END)]
        if self._probe:
            self._probe.ranges = False
        self._note("the server ignored Range: restarted from zero with one connection")

    # -- finish ----------------------------------------------------------------------
    async def _finish(self) -> Path:
        assert self.part is not None and self.path is not None and self._fd is not None
        total = self.total or 0
        self._emit("verifying")
        fd = self._fd
        # No journal write and no fdatasync of the whole file here: the journal of the last
        # tick (synced, at most a second old) covers a crash while verifying, and the finished
        # file is left to the OS like every other program's writes (forcing gigabytes to disk
        # would cost seconds on fast links for no gain against a killed process).
        if os.fstat(fd).st_size != total:
            os.ftruncate(fd, total)
        size = os.fstat(fd).st_size
        if size != total or self._done.total() != total:
            raise SizeMismatch(total, size)
        if self._hasher:
            await asyncio.to_thread(self._hasher.advance, self.part, total)
            for algo, want in (("sha256", self.opts.sha256), ("md5", self.opts.md5)):
                if want:
                    got = self._hasher.hashes[algo].hexdigest()
                    if got.lower() != want.lower():
                        os.close(fd)
                        self._fd = None
                        self.part.unlink(missing_ok=True)
                        self._remove_journal()
                        self.state = "done"  # nothing left to journal
                        raise ChecksumMismatch(algo, want, got, str(self.path))
        final = self.path
        n = 1
        while final.exists():  # appeared while we downloaded: never overwrite it
            final = self.path.with_name(numbered(self.path.name, n))
            n += 1
        os.replace(self.part, final)
        self.path = final
        self.state = "done"
        self._remove_journal()
        # the proof for later runs that this file is this download's (core/identity.py)
        probe = self._probe
        await asyncio.to_thread(
            identity.record, final, sources=self._sources, etag=probe.etag if probe else None,
            last_modified=probe.last_modified if probe else None,
            sha256=self.opts.sha256 if self._hasher and self.opts.sha256 else None,
            md5=self.opts.md5 if self._hasher and self.opts.md5 else None)
        return final
