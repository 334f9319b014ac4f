"""One connection of a download: it takes a range after another from the planner (``run``);
for each it asks a mirror for the range (or goes on reading the probe's answer), checks
that the answer is that range of that file, and streams the body into the .part until the
range's end, which a stealing connection may move closer meanwhile. What goes wrong is
raised as core/engine/probe.py's signals or as core/errors.py's errors, for the
supervisor to act on (``Supervisor.fetch_failed``)."""

from __future__ import annotations

import asyncio
import time
from typing import Any, Callable, Coroutine, Protocol

from .. import identity, wire
from ..errors import ProtocolError
from ..ratelimit import TokenBucket, throttle
from .mirrors import MirrorPool, MirrorState
from .options import DownloadOptions
from .partfile import FLUSH_AT, Buffer, PartFile
from .planner import BURST_GAP, Planner, Seg
from .probe import (
    Busy,
    Expired,
    LogFn,
    MirrorDead,
    RangeIgnored,
    Retry,
    check_answer,
    check_same_file,
    check_status,
    check_url_expiry,
    content_range,
    request_headers,
)


class Gauge:
    """A count a download shares with its connections (those waiting for the speed
    limit: that is progress too)."""
    __slots__ = ("n",)

    def __init__(self) -> None:
        self.n = 0


class Supervisor(Protocol):
    """What a connection's loop (``Connection.run``) needs of its download
    (core/engine/download.py's Download)."""
    total: int | None    # the file's size (None: unknown until a body ends it, see ended)
    cancelled: bool

    def ended(self, size: int) -> None:
        """A body of unknown length ended: the file is complete at ``size`` bytes."""

    async def fetch_failed(self, e: BaseException, ms: MirrorState, gen: int, attempt: int) -> None:
        """The reaction to a failed fetch (core/engine/failures.py): back off, drop the
        mirror, refresh the link (``gen``: the mirrors' generation it was asked in), or raise."""

    def over_share(self, host: str) -> bool:
        """Another download joined ``host``: this one holds more than its share of its slots."""

    def wake(self) -> None:
        """The supervisor looks again (start connections, check the end)."""


class Crew:
    """The running connections of a download (asyncio tasks): how many (``len``), the first
    error one of them ended with (``fatal``, for the supervisor to act on), and the gate of
    a new one (``may_open``): before any host has answered, the next opens once the one
    before it has its answer; after, all at once."""

    def __init__(self, wake: Callable[[], None]):
        self.tasks: set[asyncio.Task] = set()
        self.fatal: BaseException | None = None
        self.answered = 0    # answers so far (the probe's included)
        self.waiting = 0     # connections waiting for their first answer
        self._wake = wake

    def __len__(self) -> int:
        return len(self.tasks)

    def may_open(self) -> bool:
        return self.answered > 0 or self.waiting == 0

    def host_answered(self) -> None:
        self.answered += 1

    def first_answer(self) -> None:
        """A connection has its first answer (or failed): a new one may open."""
        self.answered += 1
        self.waiting = max(0, self.waiting - 1)
        self._wake()

    def start(self, work: Coroutine[Any, Any, None]) -> None:
        self.waiting += 1
        t = asyncio.create_task(work)
        self.tasks.add(t)
        t.add_done_callback(self._done)

    def _done(self, t: asyncio.Task) -> None:
        self.tasks.discard(t)
        if not t.cancelled() and t.exception() is not None and self.fatal is None:
            self.fatal = t.exception()
        self._wake()

    def cancel(self) -> None:
        for t in list(self.tasks):
            t.cancel()

    async def stop(self) -> None:
        self.cancel()
        if self.tasks:
            await asyncio.gather(*self.tasks, return_exceptions=True)
        self.tasks.clear()


class Connection:
    """A worker's connection: ``fetch`` one range after another. ``on_answer`` is called
    once, when its first answer's head has arrived (or it failed), so the next
    connection may open."""

    def __init__(self, client: wire.Client, part: PartFile, mirrors: MirrorPool,
                 opts: DownloadOptions, bucket: TokenBucket, global_bucket: TokenBucket, *,
                 clock: Callable[[], float], log: LogFn, on_answer: Callable[[], None],
                 throttled: Gauge):
        self.client, self.part, self.mirrors, self.opts = client, part, mirrors, opts
        self.bucket, self.global_bucket = bucket, global_bucket
        self.clock, self.log, self.throttled = clock, log, throttled
        self._on_answer = on_answer
        self._gate = True

    def answered(self) -> None:
        """The first answer is in (or the attempt failed): the next connection may open."""
        if self._gate:
            self._gate = False
            self._on_answer()

    async def run(self, mi: int, plan: Planner, answer: wire.Response | None, sup: Supervisor, *,
                  name: str, sniff: bool) -> None:
        """Takes a range, fetches it from mirror ``mi``, then the next (or the back part of
        the slowest), until nothing is left for it, its mirror is dropped, or its host's
        slot goes to another download. ``answer``: the probe's answer, streaming from byte
        0 (the first range); ``name``, ``sniff``: as for fetch."""
        ms = self.mirrors[mi]
        attempt = 0
        while not sup.cancelled:
            if ms.dead:
                return
            seg = plan.take(mi, time.monotonic(), self.mirrors.states,
                            self.mirrors.start_latency(mi, self.client.pooled))
            if seg is None:
                return
            if answer is not None and seg.pos == 0 and not plan.grown:
                # alone so far, it reads the probe's answer: it runs on (see growth_limit)
                seg.open_ended = True
                plan.extend_open_stream()
            gen = self.mirrors.generation
            try:
                given, answer = answer, None
                size = await self.fetch(seg, ms, given, total=sup.total, ranged=plan.ranges,
                                        name=name, sniff=sniff)
                if size is not None:   # the file's size was unknown: this was its end
                    sup.ended(size)
                ms.failures = 0
                attempt = 0
                sp = seg.speed_at(time.monotonic())
                if sp:  # what one connection gets from this mirror (for splitting)
                    ms.conn_speed = sp if not ms.conn_speed else 0.5 * (ms.conn_speed + sp)
                # a short answer: the rest goes back to the pool
                plan.finish(seg, rest_back=sup.total is not None)
                if sup.over_share(ms.host):
                    return  # another download joined this host: its share of the slots
            except asyncio.CancelledError:
                plan.give_back(seg)
                raise
            except BaseException as e:
                plan.give_back(seg)
                self.answered()
                if seg.got:
                    ms.failures = 0
                    attempt = 0
                await sup.fetch_failed(e, ms, gen, attempt)
                attempt += 1
                if isinstance(e, (Busy, Expired)) or ms not in self.mirrors:
                    # busy: this connection closes and the supervisor opens fewer;
                    # expired: the supervisor opens new ones on the fresh mirrors
                    return
            sup.wake()

    async def fetch(self, seg: Seg, ms: MirrorState, given: wire.Response | None, *,
                    total: int | None, ranged: bool, name: str, sniff: bool) -> int | None:
        """Streams seg from a new request, or from ``given`` (the probe's answer, which runs
        from byte 0 to the end of the file: it is closed when seg is done). ``total``: the
        file's size (None: unknown); ``ranged``: the server honours Range; ``name``: the
        file's name (an answer that is a page instead is refused); ``sniff``: check the
        first bytes at offset 0. Returns the file's size when it was unknown and this
        body ended it, else None."""
        fd = self.part.fd
        assert fd is not None
        end_incl = seg.end - 1
        rng = f"bytes={seg.pos}-{end_incl}" if ranged else None
        if ranged and total is not None and seg.end >= total:
            rng = f"bytes={seg.pos}-{total - 1}"
        if given is not None and seg.pos != 0:
            given.close()   # the first range went elsewhere: this one needs its own request
            given = None
        if given is not None:
            resp = given
            seg.open_ended = True
        else:
            check_url_expiry(ms, self.clock)
            asked = time.monotonic()
            resp, _final = await self.client.get(
                ms.mirror.url, headers=request_headers(ms, self.opts.headers, rng),
                read_timeout=self.opts.stall_timeout)
            now = time.monotonic()
            wait = now - asked   # what one more request to this mirror costs
            ms.ttfb = wait if not ms.ttfb else 0.7 * ms.ttfb + 0.3 * wait
            ms.rtt = min(ms.rtt, wait) if ms.rtt else wait
            if resp.reused:
                ms.warm = wait if not ms.warm else 0.7 * ms.warm + 0.3 * wait
            else:
                ms.cold = wait if not ms.cold else 0.7 * ms.cold + 0.3 * wait
            if not seg.got:   # its speed counts from its answer, not from the wait for it
                seg.t0 = seg.last = now
        self.answered()
        reuse = False
        try:
            await check_status(resp, ms, self.log)
            await check_answer(resp, ms, total, name)
            if ranged:
                if resp.status == 200:
                    raise RangeIgnored()
                cr = content_range(resp.headers.get("Content-Range"))
                check_same_file(ms, self.mirrors, total, resp.headers.get("ETag"), cr[2] if cr else None)
                if cr is None or cr[0] != seg.pos or (cr[1] > end_incl and given is None):
                    raise ProtocolError(
                        f"{ms.host} answered a different byte range than asked "
                        f"({resp.headers.get('Content-Range')!r} for {rng}); nothing written")
            elif seg.pos != 0:
                raise ProtocolError("cannot resume without Range support")
            if not ms.checked:
                ms.checked = True
            buf = Buffer()
            try:
                if seg.pos == 0 and sniff:
                    await self._sniff_head(resp, seg, ms, buf)
                await self._stream(resp, seg, ms, buf)
            except BaseException:
                # what arrived before the failure is good data: keep it, and give
                # back exactly what is not on disk
                if buf:
                    try:
                        self.part.write(buf, seg.pos - len(buf))
                    except OSError:
                        seg.pos -= len(buf)
                    buf.clear()
                raise
            if seg.pos < seg.end:
                if not ranged and total is None:
                    reuse = True
                    return seg.pos
                raise Retry("connection closed early")
            reuse = resp.at_eof()
            if not ranged and total is None:
                return seg.pos
            return None
        finally:
            if reuse:
                resp.release()
            else:
                resp.close()

    async def _sniff_head(self, content: wire.Response, seg: Seg, ms: MirrorState, buf: Buffer) -> None:
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
            seg.arrived(time.monotonic())
        kind = identity.sniff(bytes(buf.view[:buf.size]))
        if kind:
            n = len(buf)      # nothing of it is written; the range goes back whole
            buf.clear()
            seg.pos -= n
            seg.got -= n
            ms.bytes -= n
            raise MirrorDead(identity.not_the_file(kind, ms.host, content.headers.get("Content-Type") or ""))

    async def _stream(self, content: wire.Response, seg: Seg, ms: MirrorState, buf: Buffer) -> None:
        """Copy the answer's body into the .part at seg.pos until seg.end (which a
        stealing connection may move closer while we read)."""
        bucket, global_bucket = self.bucket, self.global_bucket
        buckets = (bucket, global_bucket)
        part = self.part
        flushed = time.monotonic()

        def flush() -> None:
            nonlocal flushed
            part.write(buf, seg.pos - len(buf))
            buf.clear()
            flushed = time.monotonic()

        while seg.pos < seg.end:
            if buf and not content.pending():
                # nothing more has arrived: write what we hold before waiting, so a
                # connection that goes quiet holds no data back (another can take over
                # its tail, and the journal and progress see it)
                flush()
            limited = bucket.rate > 0 or global_bucket.rate > 0
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
                self.throttled.n += 1
                try:
                    await throttle(n, *buckets)
                finally:
                    self.throttled.n -= 1
            buf.size += n
            now = time.monotonic()
            if now - seg.last > BURST_GAP:   # (Seg.arrived, inlined: this runs per read)
                seg.arrived(now)
            seg.last = now
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
