"""One download's supervisor: it runs the probe, chooses the target name, opens the
part file, starts and stops the connections as the planner and the mirrors allow,
acts on what they report (retry, back off, drop a mirror, refresh the link, restart
from zero), writes the journal every second and reports progress. The decisions live
in planner.py (which bytes), mirrors.py (which mirror), probe.py (the probe, what an
answer means), target.py (which name, resume or not), connection.py (one request's
bytes) and partfile.py (the .part)."""

from __future__ import annotations

import asyncio
import errno
import logging
import random
import shutil
import time
from pathlib import Path

from .. import identity, journal, wire
from ..errors import (
    Cancelled,
    ChecksumMismatch,
    DiskFull,
    LinkExpired,
    NoProgress,
    ProtocolError,
    ServerFileChanged,
    SizeMismatch,
    WebPageInsteadOfFile,
    ZhilianError,
)
from ..filenames import name_from_url
from ..models import Mirror, Refresher
from ..ranges import RangeSet
from ..ratelimit import TokenBucket
from ..redact import redact_url
from .connection import Connection, Gauge
from .mirrors import MirrorPool, MirrorState
from .options import DEFAULT_CONNECTIONS, MAX_CONNECTIONS, ConnInfo, DownloadOptions, Progress
from .partfile import PartFile, datasync
from .planner import Planner
from .probe import (
    Busy,
    Expired,
    MirrorDead,
    Probe,
    RangeIgnored,
    Retry,
    probe_mirrors,
    probe_one,
    reason,
    request_headers,
)
from .target import Target

log = logging.getLogger("zhilian.engine")


class Download:
    """Made by ``Engine.download`` (core/engine/engine.py), whose client, host slots,
    global limit, clocks and name registry it uses (``engine``)."""

    def __init__(self, engine, mirrors: list[Mirror], dest_dir: Path,
                 opts: DownloadOptions, on_progress, refresh: Refresher | None, *,
                 sources: list[str] | None = None):
        self.engine, self.opts, self.dest_dir = engine, opts, dest_dir
        # where the file comes from, free of secrets (core/identity.py): kept in the journal
        # and in the finished-file record, so neither is taken for another link's file
        self._sources = sources if sources is not None else identity.source_keys(mirrors)
        self._mirrors = MirrorPool(mirrors)
        self._on_progress = on_progress
        self._refresh_cb = refresh
        self.bucket = TokenBucket(opts.limit)
        want = opts.connections or min(
            [m.max_connections for m in mirrors if m.max_connections] or [DEFAULT_CONNECTIONS])
        self.max_conns = max(1, min(MAX_CONNECTIONS, want))
        self.target_conns = self.max_conns
        self.state = "queued"
        self.total: int | None = None
        self.message: str | None = None
        self._file = PartFile()
        self._target = Target(engine, self, dest_dir, opts, self._sources, self._file, self._mirrors,
                              log=self._log, note=self._note)
        self._plan = Planner(opts.min_split)
        self._wake = asyncio.Event()
        self._fatal: BaseException | None = None
        self._cancelled = False
        self._workers: set[asyncio.Task] = set()
        self._backoff_until = 0.0
        self._probe: Probe | None = None
        self._refresh_lock = asyncio.Lock()
        self._speed = 0.0
        self._last_busy = 0.0
        self._waiting_first_byte = 0
        self._answered = 0         # answers so far (none yet: one connection at a time)
        self._probe_resp: tuple[wire.Response, int] | None = None   # the probe's streaming answer
        self._changed_restarts = 0
        self._epoch = 0            # bumped by every restart from zero
        self._sniff = False        # check the first bytes at offset 0 (not a page, not an LFS pointer)
        self._throttled = Gauge()  # connections waiting for the speed limit (that is progress too)
        self._why: str | None = None   # the last failure, for the give-up message

    @property
    def path(self) -> Path | None:
        """The final path (known once the name is chosen; the name it got in the end once done)."""
        return self._target.path

    @path.setter
    def path(self, value: Path | None) -> None:
        self._target.path = value

    @property
    def part(self) -> Path | None:
        """The .part (known once the name is chosen)."""
        return self._file.path

    @property
    def resumed_from(self) -> int:
        """Bytes already on disk when this run started."""
        return self._target.resumed_from

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
        done = self._file.done.total()
        eta = None
        if total and self._speed >= 1:
            eta = (total - done) / self._speed
        now = time.monotonic()
        return Progress(
            state=self.state, total=total, done=done, speed=self._speed, eta=eta,
            connections=[ConnInfo(s.start, s.pos, s.end, s.mirror, s.speed_at(now))
                         for s in self._plan.active],
            done_ranges=self._file.done.as_list(),
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
            self._target.release()

    async def _run_reported(self) -> Path:
        try:
            path = await self._run()
        except asyncio.CancelledError:
            self._log(logging.INFO, "stopped at %d of %s bytes; the .part and its journal are kept",
                      self._file.done.total(), self.total)
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
        return max(0, (self.total or 0) - self._file.done.total())

    async def _run(self) -> Path:
        self._emit("probing")
        probe = self._take_probe(await self._do_probe())
        try:
            complete = await self._target.choose(probe)
        except BaseException:
            self._drop_probe_answer()
            raise
        f = self._file
        if complete is not None:
            self._drop_probe_answer()
            f.done = RangeSet([(0, probe.total or 0)])
            self._note("already downloaded and verified" if (self.opts.sha256 or self.opts.md5)
                       else "already downloaded (same name, size and date as when it was finished "
                            "from this link; no checksum to verify)")
            return complete
        assert f.path is not None and self.path is not None
        self._log(logging.INFO, "downloading %s bytes (ranges %s, resuming at %d) into %s from %s",
                  probe.total, "yes" if probe.ranges else "no", f.done.total(),
                  f.path, ", ".join(redact_url(m.mirror.url) for m in self._mirrors))
        self.dest_dir.mkdir(parents=True, exist_ok=True)
        f.open(probe.total, self.dest_dir)
        try:
            f.allocate(probe.total, [a for a, v in (("sha256", self.opts.sha256), ("md5", self.opts.md5)) if v])
            self._sniff = identity.wants_sniff(self.path.name)
            await self._download_all()
            return await self._finish()
        except WebPageInsteadOfFile:
            # a page is not the start of the file: nothing of this run stays under its name
            # (a .part that earlier runs filled is left as it was)
            if self.resumed_from == 0:
                await self._stop_workers()
                f.discard()
            raise
        finally:
            self._drop_probe_answer()
            await self._stop_workers()
            if f.fd is not None and f.path.exists() and f.jpath is not None and self.state != "done":
                try:
                    f.save_journal(self._journal_data, sync=self.opts.sync)
                except OSError:
                    pass
            f.close()

    # -- probe --------------------------------------------------------------------
    def _take_probe(self, probe: Probe) -> Probe:
        """What the probe says about the file becomes the download's (size, Range support);
        a size other than the one expected is refused."""
        self._probe = probe
        self.total, self._plan.ranges = probe.total, probe.ranges
        if self.opts.size is not None and probe.total is not None and probe.total != self.opts.size:
            raise SizeMismatch(self.opts.size, probe.total)
        return probe

    def _headers(self, ms: MirrorState, rng: str | None) -> dict[str, str]:
        return request_headers(ms, self.opts.headers, rng)

    async def _do_probe(self) -> Probe:
        return await probe_mirrors(self._mirrors, self._probe_one, refresh=self._refresh,
                                   backoff=self._backoff, give_up_after=self.opts.give_up_after,
                                   max_retries=self.opts.max_retries, log=self._log)

    async def _probe_one(self, ms: MirrorState) -> Probe:
        def answered() -> None:
            self._answered += 1

        probe, streaming = await probe_one(
            self.engine.client, ms, self._headers(ms, None), whole=not self._target.may_resume(ms),
            filename=self.opts.filename, stall_timeout=self.opts.stall_timeout,
            clock=self.engine.clock, log=self._log, on_answer=answered)
        if streaming is not None:
            self._probe_resp = (streaming, self._mirrors.index(ms))
        return probe

    def _drop_probe_answer(self) -> None:
        if self._probe_resp is not None:
            self._probe_resp[0].close()
            self._probe_resp = None

    # -- journal -----------------------------------------------------------------
    def _journal_data(self, done: list[tuple[int, int]]) -> journal.JournalData:
        p = self._probe
        assert p is not None
        return journal.JournalData(size=p.total, etag=p.etag, last_modified=p.last_modified,
                                   done=done, name=self.path.name if self.path else "",
                                   ranges_supported=p.ranges, sources=list(self._sources))

    async def _ticker(self) -> None:
        f = self._file
        last_j = time.monotonic()
        journaled = False
        last_done, last_t = f.done.total(), time.monotonic()
        while True:
            await asyncio.sleep(0.25)
            now = time.monotonic()
            d = f.done.total()
            inst = (d - last_done) / max(1e-6, now - last_t)
            self._speed = inst if self._speed == 0 else 0.7 * self._speed + 0.3 * inst
            last_done, last_t = d, now
            # the first new bytes are journaled at once (a kill in the first second then
            # loses nothing), then every journal_interval
            first = not journaled and d > self.resumed_from
            if first or now - last_j >= self.opts.journal_interval:
                last_j, journaled = now, True
                snap = f.done.as_list()
                epoch = self._epoch
                fd = f.fd
                if self.opts.sync and fd is not None:
                    await asyncio.to_thread(datasync, fd)
                if f.jpath is not None and epoch == self._epoch:  # not across a restart from zero
                    await asyncio.to_thread(f.write_journal, self._journal_data(snap))
                hasher = f.hasher
                if hasher and fd is not None and epoch == self._epoch:
                    upto = RangeSet(snap).prefix()
                    await asyncio.to_thread(hasher.advance, f.path, upto)
            self._emit()

    # -- the download proper -------------------------------------------------------
    async def _download_all(self) -> None:
        total = self.total
        plan = self._plan
        if not plan.ranges:
            self.max_conns = self.target_conns = 1
            self._file.done = RangeSet()
            plan.plan_single(total)
        else:
            assert total is not None
            plan.plan(self._file.done.missing(total), self.max_conns)
        self._emit("downloading")
        hosts = self._mirrors.hosts()
        for h in hosts:
            self.engine.slots.join(h, self, self.max_conns)
        ticker = asyncio.create_task(self._ticker())
        got, progress_at = -1, time.monotonic()
        try:
            while True:
                if self._cancelled:
                    raise Cancelled()
                now = time.monotonic()
                g = self._mirrors.received()
                if g != got or self._throttled.n:   # bytes arrived, or only our speed limit holds them
                    got, progress_at = g, now
                elif now - progress_at > self.opts.give_up_after:
                    raise self._no_progress(now - progress_at)
                if self._fatal is not None:
                    f, self._fatal = self._fatal, None
                    if isinstance(f, RangeIgnored):
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
                    raise self._mirrors.error()
                self._wake.clear()
                # the end game (nothing left to hand out, a tail may go silent) is watched
                # more closely than the rest of the download
                timeout = 0.05 if not plan.pool and len(self._workers) < self.target_conns else 0.25
                check_at = plan.growth_check_at()
                if check_at is not None:
                    timeout = min(timeout, max(0.005, check_at - time.monotonic()))
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
        return self._file.done.total() >= self.total

    _unknown_done = False

    def _all_gone(self) -> bool:
        """Every mirror is gone: nothing runs and nothing is left to hand out, or no mirror
        is left to take it (connections still running on a dropped mirror are waited for,
        unless every mirror was dropped for good: a page, not found)."""
        if not self._workers and not self._has_work():
            return True
        if not self._mirrors.all_dead():
            return False
        return not self._workers or not any(ms.error is not None and ms.error.retryable
                                            for ms in self._mirrors)

    def _no_progress(self, silent: float) -> ZhilianError:
        hosts = ", ".join(dict.fromkeys(ms.host for ms in self._mirrors))
        why = f" (last error: {self._why})" if self._why else ""
        return NoProgress(f"No data from {hosts} for {silent:.0f} s{why}; the .part is kept, "
                          "and trying again resumes", seconds=silent, host=hosts)

    def _has_work(self) -> bool:
        return self._plan.has_work(time.monotonic(), self._mirrors.states, self._start_latency(None))

    def _start_latency(self, mirror: int | None) -> float:
        """Seconds before a range taken now would see its first byte from ``mirror``: a
        request round trip when a kept-alive connection to it is idle, else a new
        connection's (connect, TLS handshake, request). For any mirror (None): the least."""
        if mirror is None:
            live = [i for i, ms in enumerate(self._mirrors.states) if not ms.dead]
            return min((self._start_latency(i) for i in live), default=0.0)
        ms = self._mirrors[mirror]
        if self.engine.client.pooled(ms.mirror.url):
            return ms.warm or ms.ttfb
        return ms.cold or ms.ttfb

    def _yield_slots(self) -> None:
        """When another download joined a host, this one holds more than its fair share of
        the host's connections: end one connection's range soon (the rest goes back to the
        pool) so it closes and the slot goes to the newcomer."""
        for mi, ms in enumerate(self._mirrors):
            excess = self.engine.slots.excess(ms.host, self) if ms.active else 0
            if excess:
                self._plan.retire(mi, excess)

    def _spawn_workers(self) -> None:
        now = time.monotonic()
        if now < self._backoff_until:
            return
        # adaptive recovery after a "too many connections" answer
        if self.target_conns < self.max_conns and now - self._last_busy > 10:
            self.target_conns += 1
            self._last_busy = now
        self._mirrors.recover_caps(now)
        # The probe's answer streams the first piece on its own connection; once a host has
        # answered, the other connections open all at once (one round trip for all of them,
        # not one per ramp step). Before any answer, one at a time. A host that refuses
        # extra connections (503/429) caps the count (see _on_fetch_error).
        first = self._probe_resp
        self._probe_resp = None
        pool = self._plan.pool
        if first is not None and not (pool and pool[0][0] == 0):
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

    def _pick_mirror(self) -> int | None:
        return self._mirrors.pick(time.monotonic(), lambda host: self.engine.slots.can_take(host, self))

    def _growth_limit(self, now: float) -> int:
        """How many connections may run now (the planner's growth rule)."""
        return self._plan.growth_limit(now, len(self._workers), self.target_conns,
                                       self._mirrors.received(), self.engine.cpu_clock(),
                                       self._probe.ttfb if self._probe is not None else 0.0)

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

    def _first_answer(self) -> None:
        """A new connection may open once the previous one has its answer."""
        self._answered += 1
        self._waiting_first_byte = max(0, self._waiting_first_byte - 1)
        self._wake.set()

    async def _worker(self, mi: int, answer: wire.Response | None = None) -> None:
        """One connection: takes a range, fetches it, then the next (or the back part of the
        slowest). ``answer``: the probe's answer, streaming from byte 0 (the first range)."""
        ms = self._mirrors[mi]
        plan = self._plan
        conn = Connection(self.engine.client, self._file, self._mirrors, self.opts, self.bucket,
                          self.engine.global_bucket, clock=self.engine.clock, log=self._log,
                          on_answer=self._first_answer, throttled=self._throttled)
        attempt = 0
        try:
            while not self._cancelled:
                if ms.dead:
                    return
                seg = plan.take(mi, time.monotonic(), self._mirrors.states, self._start_latency(mi))
                if seg is None:
                    return
                if answer is not None and seg.pos == 0 and not plan.grown:
                    # alone so far, it reads the probe's answer: it runs on (see growth_limit)
                    seg.open_ended = True
                    plan.extend_open_stream()
                gen = self._mirrors.generation
                try:
                    given, answer = answer, None
                    size = await conn.fetch(seg, ms, given, total=self.total, ranged=plan.ranges,
                                            name=self.path.name if self.path else "", sniff=self._sniff)
                    if size is not None:   # the file's size was unknown: this was its end
                        self.total = size
                        self._unknown_done = True
                    ms.failures = 0
                    attempt = 0
                    sp = seg.speed_at(time.monotonic())
                    if sp:  # what one connection gets from this mirror (for splitting)
                        ms.conn_speed = sp if not ms.conn_speed else 0.5 * (ms.conn_speed + sp)
                    # a short answer: the rest goes back to the pool
                    plan.finish(seg, rest_back=self.total is not None)
                    if self.engine.slots.over_share(ms.host, self):
                        return  # another download joined this host: its share of the slots
                except asyncio.CancelledError:
                    plan.give_back(seg)
                    raise
                except BaseException as e:
                    plan.give_back(seg)
                    conn.answered()
                    if seg.got:
                        ms.failures = 0
                        attempt = 0
                    await self._on_fetch_error(e, ms, gen, attempt)
                    attempt += 1
                    if isinstance(e, (Busy, Expired)) or ms not in self._mirrors:
                        # busy: this connection closes and the supervisor opens fewer;
                        # expired: the supervisor opens new ones on the fresh mirrors
                        return
                self._wake.set()
        finally:
            conn.answered()
            ms.active -= 1
            self.engine.slots.release(ms.host, self)
            self._wake.set()

    async def _on_fetch_error(self, e: BaseException, ms: MirrorState, gen: int, attempt: int) -> None:
        if not isinstance(e, Expired):
            self._why = reason(e.err if isinstance(e, MirrorDead) else e)
        if isinstance(e, Busy):
            now = time.monotonic()
            ms.busy(now, e.retry_after)
            if len(self._mirrors.alive()) <= 1:
                self._last_busy = now
                self.target_conns = max(1, min(self.target_conns, len(self._workers)) - 1)
                self._backoff_until = now + e.retry_after
            self._note(f"server busy: fewer connections to {ms.host} ({ms.cap}), "
                       f"retry in {e.retry_after:.0f}s")
            return
        if isinstance(e, Expired):
            self._log(logging.INFO, "link expired (%s): asking for a fresh one", redact_url(ms.mirror.url))
            await self._refresh(gen)
            return
        if isinstance(e, RangeIgnored):
            raise e
        if isinstance(e, MirrorDead):
            ms.dead, ms.error = True, e.err
            self._note(f"dropped source {ms.host}: {e.err}")
            return
        if isinstance(e, (ServerFileChanged,)):
            raise e
        if isinstance(e, wire.ConnectError):
            # refused / unreachable: fewer connections, short back-off
            self.target_conns = max(1, len(self._workers) - 1)
            self._last_busy = time.monotonic()
        if isinstance(e, (wire.ClientError, TimeoutError, Retry, ProtocolError, ConnectionError)):
            ms.failures += 1
            # retryable by nature: the .part stays, and a later try (the queue's retry, the
            # same command) resumes
            ms.error = NoProgress(f"{ms.host} keeps failing ({reason(e)}); the .part is kept, "
                                  "and trying again resumes", host=ms.host)
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
            if gen != self._mirrors.generation:
                return  # another connection refreshed already
            if self._refresh_cb is None:
                raise LinkExpired("Link expired: paste a new link")
            self._emit()
            fresh = await self._refresh_cb()
            if not fresh:
                raise LinkExpired("Link expired: paste a new link")
            self._mirrors.replace(fresh)
            self._note("link expired: got a fresh one, continuing")

    async def _restart_changed(self, why: ServerFileChanged) -> None:
        """The server's file changed under us: everything on disk belongs to the old
        version. Probe again and start from zero (at most twice per run)."""
        self._changed_restarts += 1
        self._epoch += 1
        await self._stop_workers()
        self._plan.active.clear()
        for ms in self._mirrors:
            ms.etag = None
        probe = self._take_probe(await self._do_probe())
        self._file.restart(probe.total)
        if not self._plan.ranges:
            self.max_conns = self.target_conns = 1
        if self._plan.ranges and probe.total is not None:
            self._plan.plan([(0, probe.total)], self.max_conns)
        else:
            self._plan.plan_single(probe.total)
        self._file.save_journal(self._journal_data, sync=False)
        self._note(f"restarted from zero: {why}")

    async def _restart_single(self) -> None:
        self._epoch += 1
        await self._stop_workers()
        self._plan.ranges = False
        self.max_conns = self.target_conns = 1
        self._file.done = RangeSet()
        self._plan.plan_single(self.total)
        if self._probe:
            self._probe.ranges = False
        self._note("the server ignored Range: restarted from zero with one connection")

    # -- finish ----------------------------------------------------------------------
    async def _finish(self) -> Path:
        assert self.path is not None
        self._emit("verifying")
        try:
            await self._file.verify(self.total or 0, {"sha256": self.opts.sha256, "md5": self.opts.md5},
                                    str(self.path))
        except ChecksumMismatch:
            self.state = "done"  # nothing left to journal
            raise
        final = self._file.rename(self.path)
        self.path = final
        self.state = "done"
        # the proof for later runs that this file is this download's (core/identity.py)
        probe = self._probe
        hashed = self._file.hasher is not None
        await asyncio.to_thread(
            identity.record, final, sources=self._sources, etag=probe.etag if probe else None,
            last_modified=probe.last_modified if probe else None,
            sha256=self.opts.sha256 if hashed and self.opts.sha256 else None,
            md5=self.opts.md5 if hashed and self.opts.md5 else None)
        return final
