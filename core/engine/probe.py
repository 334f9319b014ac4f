"""The probe (the first request of a download: ``Prober``) and what an answer means:
the status classification every request goes through, the checks that an answer is the
file and the same file, Content-Range and Retry-After.

A connection tells the supervisor what went wrong with the signals below; errors the
user sees are core/errors.py's."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from dataclasses import dataclass
from typing import Awaitable, Callable

from .. import expiry, identity, wire
from ..errors import (
    LASTING_CAUSES,
    NETWORK_CAUSES,
    HttpError,
    NotFound,
    NoUsableSource,
    ProtocolError,
    ServerFileChanged,
    ZhilianError,
    network_cause,
)
from ..filenames import name_from_url, parse_content_disposition
from ..redact import redact_url
from .mirrors import MirrorPool, MirrorState
from .options import DownloadOptions

LogFn = Callable[..., None]   # Download._log: (level, msg, *args)


# -- signals from a connection to the supervisor ----------------------------------

class Retry(Exception):
    """Transient: put the range back, back off, try again."""


class Busy(Exception):
    def __init__(self, retry_after: float):
        self.retry_after = retry_after


class Expired(Exception):
    pass


class MirrorDead(Exception):
    def __init__(self, err: ZhilianError):
        self.err = err


class RangeIgnored(Exception):
    pass


@dataclass
class Probe:
    """What the probe's answer told of the file: size, Range support, validators, name,
    and how long the answer took."""
    total: int | None
    ranges: bool
    etag: str | None
    last_modified: str | None
    name: str
    ttfb: float = 0.0   # seconds from the request to the answer's head


def reason(e: BaseException) -> str:
    """A failed attempt in a few words, for messages."""
    if isinstance(e, ZhilianError | wire.ClientError | Retry) and str(e):
        return str(e)
    if isinstance(e, Busy):
        return "the server is busy (HTTP 429/503)"
    if isinstance(e, TimeoutError):
        return "no answer"
    return NETWORK_CAUSES[network_cause(e)]      # words, never an exception's class name


def refused_for_good(e: BaseException) -> bool:
    """A failure no later try of the same source would change: its TLS certificate was not
    accepted (not trusted, expired, for another name). Its source is dropped at once
    rather than tried with back-off until the download gives up."""
    return isinstance(e, wire.ConnectError) and e.cause in LASTING_CAUSES


def retry_after(headers) -> float:
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


def strong(etag: str | None) -> str | None:
    """A strong ETag, or None (weak ETags may differ between servers of one CDN)."""
    if not etag or etag.startswith("W/"):
        return None
    return etag.strip()


_CR_RE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)")


def content_range(value: str | None) -> tuple[int, int, int | None] | None:
    m = _CR_RE.match(value or "")
    if not m:
        return None
    total = None if m.group(3) == "*" else int(m.group(3))
    return int(m.group(1)), int(m.group(2)), total


def request_headers(ms: MirrorState, extra: dict[str, str], rng: str | None) -> dict[str, str]:
    """The mirror's headers, the download's own (``extra``), no compression, the range."""
    h = {**ms.mirror.headers, **extra, "Accept-Encoding": "identity"}
    if rng:
        h["Range"] = rng
    return h


def check_url_expiry(ms: MirrorState, clock: Callable[[], float]) -> None:
    exp = ms.mirror.expires_at or expiry.url_expires_at(ms.mirror.url)
    if exp is not None and clock() >= exp:
        raise Expired()


async def check_status(resp: wire.Response, ms: MirrorState, log: LogFn) -> None:
    st = resp.status
    if st in (200, 206, 416):
        return
    log(logging.INFO, "HTTP %d %s from %s", st, resp.reason or "", redact_url(ms.mirror.url))
    if st in (429, 503, 509):
        raise Busy(retry_after(resp.headers))
    body = b""
    try:
        body = await resp.read_body(65536)
    except (TimeoutError, wire.ClientError):
        pass
    if expiry.is_expired_answer(st, resp.headers, body):
        raise Expired()
    if st in (404, 410):
        raise MirrorDead(NotFound(f"Not found on {ms.host} (HTTP {st})"))
    if st in (401, 403):
        raise MirrorDead(HttpError(st, "access denied", ms.host))
    if 500 <= st < 600 or st == 408:
        raise Retry(f"HTTP {st}")
    raise MirrorDead(HttpError(st, resp.reason or "", ms.host))


async def check_answer(resp: wire.Response, ms: MirrorState, total: int | None, name: str) -> None:
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
        raise MirrorDead(identity.not_the_file(kind, ms.host, ct or "", body))


def check_same_file(ms: MirrorState, mirrors: MirrorPool, expected: int | None,
                    etag: str | None, total: int | None) -> None:
    """A range answer must come from the file the download started with: same size
    (``expected``), and on the same mirror the same strong ETag. Otherwise bytes of two
    versions would be mixed in one .part."""
    etag = strong(etag)
    if total is not None and expected is not None and total != expected:
        if len(mirrors.alive()) > 1:
            raise MirrorDead(ServerFileChanged(
                f"{ms.host} has a different file ({total} bytes, expected {expected})"))
        raise ServerFileChanged(f"the file on {ms.host} changed size ({expected} -> {total} bytes)")
    if etag and ms.etag and etag != ms.etag:
        raise ServerFileChanged(f"the file on {ms.host} changed (ETag {ms.etag} -> {etag})")
    if etag and not ms.etag:
        ms.etag = etag


async def probe_one(client: wire.Client, ms: MirrorState, headers: dict[str, str], *,
                    whole: bool, filename: str | None, stall_timeout: float,
                    clock: Callable[[], float], log: LogFn,
                    on_answer: Callable[[], None], warm: int = 0) -> tuple[Probe, wire.Response | None]:
    """The first request asks for the whole file from byte 0 (``Range: bytes=0-``): its
    head tells size, validator, name and Range support, and its body is the first
    piece, already on its way while the download is planned (no extra round trip).
    A download that will resume needs only the head: then (``whole`` False) it asks for
    one byte. Returns the probe, and the answer when its body streams the file from
    byte 0 (the caller owns it then). ``on_answer`` is called once the host has given
    a usable answer. ``warm``: the connections that may follow the answer to this host,
    opened meanwhile when the connection or the answer is slow to come (a far host:
    ``wire.WARM_CONNECTING``, ``wire.WARM_AFTER``)."""
    check_url_expiry(ms, clock)
    asked = time.monotonic()
    rng = "bytes=0-" if whole else "bytes=0-0"
    resp, final = await client.get(ms.mirror.url, headers={**headers, "Range": rng},
                                   read_timeout=stall_timeout, warm=warm)
    keep = streaming = False
    try:
        await check_status(resp, ms, log)
        log(logging.DEBUG, "probe of %s: HTTP %d, %s", redact_url(ms.mirror.url), resp.status,
            ", ".join(f"{k} {resp.headers.get(k)!r}" for k in (
                "Content-Range", "Content-Length", "Content-Type", "ETag", "Last-Modified")
                      if resp.headers.get(k) is not None))
        ttfb = time.monotonic() - asked
        ms.ttfb = ttfb
        ms.rtt = min(ms.rtt, ttfb) if ms.rtt else ttfb
        if not resp.reused:
            ms.cold = ttfb
        cd = parse_content_disposition(resp.headers.get("Content-Disposition"))
        name = cd or name_from_url(ms.mirror.url) or name_from_url(final) or "download"
        etag, lm = resp.headers.get("ETag"), resp.headers.get("Last-Modified")
        if resp.status == 206:
            cr = content_range(resp.headers.get("Content-Range"))
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
            await check_answer(resp, ms, total, filename or name)
        ms.checked = True
        ms.etag = strong(etag)
        on_answer()   # the host answers: the other connections may open at once
        if resp.status in (200, 206) and total and whole:
            keep = streaming = True
        elif resp.status == 206:
            try:  # the one byte asked for: then the connection can serve a piece
                if await resp.read(2) and resp.at_eof():
                    keep = True
                    resp.release()
            except (TimeoutError, wire.ClientError):
                pass
        return Probe(total, ranges, etag, lm, name, ttfb), (resp if streaming else None)
    finally:
        if not keep:
            resp.close()


async def probe_mirrors(mirrors: MirrorPool, one: Callable[[MirrorState], Awaitable[Probe]], *,
                        refresh: Callable[[int], Awaitable[None]], backoff: Callable[[int], float],
                        give_up_after: float, max_retries: int, log: LogFn) -> Probe:
    """The first answer (``one``: probe_one for a mirror) of the first mirror that gives
    one. Retries are bounded in number and, all mirrors together, by ``give_up_after``
    seconds; an expired link is refreshed (``refresh`` with the generation it expired in),
    ``backoff(attempt)`` is the wait before a retry."""
    last: ZhilianError | None = None
    passing = False   # an earlier mirror failed in a way that may pass (a later try may reach it)
    deadline = time.monotonic() + give_up_after
    for idx in range(len(mirrors)):
        if last is not None and last.retryable:
            passing = True
        attempt = 0
        while True:
            ms = mirrors[idx]
            if ms.dead:
                break
            left = deadline - time.monotonic()
            if left <= 0 and last is not None:
                break
            try:
                async with asyncio.timeout(max(1.0, left)):
                    return await one(ms)
            except Expired:
                await refresh(mirrors.generation)
            except Busy as b:
                attempt += 1
                last = HttpError(503, "Service busy", ms.host)
                wait = min(b.retry_after, 30)
                if attempt > max_retries or time.monotonic() + wait > deadline:
                    log(logging.INFO, "probe of %s: still busy after %d tries: source given up",
                              redact_url(ms.mirror.url), attempt)
                    break
                log(logging.INFO, "probe of %s: busy: back off %.1f s (try %d)",
                          redact_url(ms.mirror.url), wait, attempt)
                await asyncio.sleep(wait)
            except MirrorDead as d:
                ms.dead, ms.error, last = True, d.err, d.err
                log(logging.INFO, "probe of %s: %s: source dropped", redact_url(ms.mirror.url), d.err)
                break
            except (TimeoutError, wire.ClientError, Retry, ProtocolError, ConnectionError) as e:
                attempt += 1
                last = e if isinstance(e, ZhilianError) else NoUsableSource.unreachable(ms.host, e)
                if refused_for_good(e):
                    ms.dead, ms.error = True, last
                    log(logging.INFO, "probe of %s: %s: source dropped", redact_url(ms.mirror.url), e)
                    break
                wait = backoff(attempt)
                give_up = attempt > min(4, max_retries) or time.monotonic() + wait > deadline
                log(logging.INFO, "probe of %s: %s %s (try %d): %s", redact_url(ms.mirror.url),
                          e.__class__.__name__, e, attempt,
                          "source given up" if give_up else "retry after a back-off")
                if give_up:
                    break
                await asyncio.sleep(wait)
    if last is not None and not last.retryable and passing:
        # the error shown is the last mirror's, but trying again later may reach an earlier one
        last.retryable = True
    raise last or NoUsableSource("No download source answered")


class Prober:
    """The probe of one download (``run``: probe_mirrors over ``mirrors``, ``whole``
    telling for a mirror whether to ask for the whole file), and the answer it leaves
    streaming the file from byte 0 (``streaming``: that answer and its mirror's index),
    for the first connection to read on (``take``) or to be closed (``drop``)."""

    def __init__(self, client: wire.Client, mirrors: MirrorPool, opts: DownloadOptions, *,
                 whole: Callable[[MirrorState], bool], refresh: Callable[[int], Awaitable[None]],
                 backoff: Callable[[int], float], clock: Callable[[], float], log: LogFn,
                 on_answer: Callable[[], None], warm: Callable[[MirrorState], int] = lambda ms: 0):
        self.client, self.mirrors, self.opts, self.whole = client, mirrors, opts, whole
        self.refresh, self.backoff, self.clock, self.log = refresh, backoff, clock, log
        self.on_answer, self.warm = on_answer, warm
        self.streaming: tuple[wire.Response, int] | None = None

    async def run(self) -> Probe:
        return await probe_mirrors(self.mirrors, self._one, refresh=self.refresh, backoff=self.backoff,
                                   give_up_after=self.opts.give_up_after,
                                   max_retries=self.opts.max_retries, log=self.log)

    async def _one(self, ms: MirrorState) -> Probe:
        probe, streaming = await probe_one(
            self.client, ms, request_headers(ms, self.opts.headers, None), whole=self.whole(ms),
            filename=self.opts.filename, stall_timeout=self.opts.stall_timeout,
            clock=self.clock, log=self.log, on_answer=self.on_answer, warm=self.warm(ms))
        if streaming is not None:
            self.streaming = (streaming, self.mirrors.index(ms))
        return probe

    def take(self, from_zero: bool) -> tuple[wire.Response, int] | None:
        """The streaming answer, handed over (None: there is none); closed instead unless
        the first range to fetch starts at byte 0 (``from_zero``: when resuming, the bytes
        from 0 are on disk already)."""
        first, self.streaming = self.streaming, None
        if first is not None and not from_zero:
            first[0].close()
            first = None
        return first

    def drop(self) -> None:
        if self.streaming is not None:
            self.streaming[0].close()
            self.streaming = None
