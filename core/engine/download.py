"""One download's supervisor: it runs the probe, chooses the target name, opens the
part file, starts and stops the connections as the planner and the mirrors allow,
carries out what failures.py decides about what they report (retry, back off, drop a
mirror, refresh the link), restarts from zero, and reports progress. The decisions live
in planner.py (which bytes), mirrors.py (which mirror), failures.py (what a failure
means), probe.py (the probe, what an answer means), target.py (which name, resume or
not); connection.py runs one connection, ticker.py the journal and speed ticks, and
partfile.py owns the .part."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

from .. import identity, journal, wire
from ..errors import (
    Cancelled,
    ChecksumMismatch,
    LinkExpired,
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
from .connection import Connection, Crew, Gauge
from .failures import Budget, Failures
from .mirrors import MirrorPool, MirrorState
from .options import DEFAULT_CONNECTIONS, MAX_CONNECTIONS, ConnInfo, DownloadOptions, Progress
from .partfile import PartFile, write_error
from .planner import Planner
from .probe import Probe, Prober, RangeIgnored
from .target import Target
from .ticker import Ticker

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
        self._budget = Budget(max(1, min(MAX_CONNECTIONS, want)))
        self.state = "queued"
        self.total: int | None = None
        self.message: str | None = None
        self._file = PartFile()
        self._target = Target(engine, self, dest_dir, opts, self._sources, self._file, self._mirrors,
                              log=self._log, note=self._note)
        self._plan = Planner(opts.min_split)
        self._wake = asyncio.Event()
        self._crew = Crew(self._wake.set)   # the running connections
        self._failures = Failures(self._mirrors, self._budget, opts, log=self._log, note=self._note)
        self._prober = Prober(engine.client, self._mirrors, opts, whole=lambda ms: not self._target.may_resume(ms),
                              refresh=self._refresh, backoff=self._failures.backoff, clock=engine.clock,
                              log=self._log, on_answer=self._crew.host_answered, warm=self._warm_count)
        self._ticker = Ticker(self._file, opts, describe=self._journal_data, report=self._emit)
        self.cancelled = False
        self._probe: Probe | None = None
        self._refresh_lock = asyncio.Lock()
        self._changed_restarts = 0
        self._sniff = False        # check the first bytes at offset 0 (not a page, not an LFS pointer)
        self._throttled = Gauge()  # connections waiting for the speed limit (that is progress too)
        self._unknown_done = False  # a body of unknown length ended: the file is complete

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

    @property
    def max_conns(self) -> int:
        """The connections asked for (options, the resolver, set_connections)."""
        return self._budget.max

    @property
    def target_conns(self) -> int:
        """The connections the hosts take now (fewer after busy or refused answers)."""
        return self._budget.target

    # -- public control --------------------------------------------------------
    def set_limit(self, bps: float) -> None:
        self.bucket.set_rate(bps)

    def set_connections(self, n: int) -> None:
        self._budget.set(max(1, min(MAX_CONNECTIONS, int(n))))
        self._wake.set()

    def cancel(self) -> None:
        self.cancelled = True
        self._crew.cancel()
        self._wake.set()

    @property
    def progress(self) -> Progress:
        total = self.total
        done = self._file.done.total()
        speed = self._ticker.speed
        eta = None
        if total and speed >= 1:
            eta = (total - done) / speed
        now = time.monotonic()
        return Progress(
            state=self.state, total=total, done=done, speed=speed, eta=eta,
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
            if self.cancelled:
                raise Cancelled() from None
            raise
        except ZhilianError as e:
            self._log(logging.INFO, "failed (%s): %s; sources: %s", e.__class__.__name__, e,
                      ", ".join(redact_url(m.mirror.url) + (f" ({m.error})" if m.error else "")
                                for m in self._mirrors))
            self._emit("paused" if isinstance(e, (Cancelled, LinkExpired)) else "failed", error=str(e))
            raise
        except OSError as e:
            err = write_error(e, max(0, (self.total or 0) - self._file.done.total()), self.dest_dir, self.part)
            self._log(logging.INFO, "failed: %s", err)
            self._emit("failed", error=str(err))
            raise err from None
        self._log(logging.INFO, "done: %s bytes saved as %s", self.total, path)
        self._emit("done")
        return path

    async def _run(self) -> Path:
        self._emit("probing")
        probe = self._take_probe(await self._prober.run())
        try:
            complete = await self._target.choose(probe)
        except BaseException:
            self._prober.drop()
            raise
        f = self._file
        if complete is not None:
            self._prober.drop()
            f.done = RangeSet([(0, probe.total or 0)])
            self._note("already downloaded and verified" if (self.opts.sha256 or self.opts.md5)
                       else "already downloaded (same name, size and date as when it was finished "
                            "from this link; no checksum to verify)")
            return complete
        assert f.path is not None and self.path is not None
        self._log(logging.INFO, "downloading %s bytes (ranges %s, resuming at %d) into %s from %s",
                  probe.total, "yes" if probe.ranges else "no", f.done.total(),
                  f.path, ", ".join(redact_url(m.mirror.url) for m in self._mirrors))
        try:
            # inside: a full or read-only disk still closes the probe's streaming answer
            self.dest_dir.mkdir(parents=True, exist_ok=True)
            f.open(probe.total, self.dest_dir)
            f.allocate(probe.total, [a for a, v in (("sha256", self.opts.sha256), ("md5", self.opts.md5)) if v])
            self._sniff = identity.wants_sniff(self.path.name)
            await self._download_all()
            return await self._finish()
        except WebPageInsteadOfFile:
            # a page is not the start of the file: nothing of this run stays under its name
            # (a .part that earlier runs filled is left as it was)
            if self.resumed_from == 0:
                await self._crew.stop()
                f.discard()
            raise
        finally:
            self._prober.drop()
            await self._crew.stop()
            if f.fd is not None and f.path.exists() and f.jpath is not None and self.state != "done":
                try:
                    f.save_journal(self._journal_data, sync=self.opts.sync)
                except OSError:
                    pass
            f.close()

    # -- probe --------------------------------------------------------------------
    def _warm_count(self, ms: MirrorState) -> int:
        """How many connections to the probe's host may follow its answer (opened ahead
        while a far host's answer comes): the connections asked for, within the host's
        own limit and the slots other downloads leave free."""
        n = min(self.max_conns, ms.mirror.max_connections or self.max_conns,
                self.engine.slots.cap - self.engine.slots.used(ms.host))
        return max(0, n - 1)

    def _take_probe(self, probe: Probe) -> Probe:
        """What the probe says about the file becomes the download's (size, Range support);
        a size other than the one expected is refused."""
        self._probe = probe
        self.total, self._plan.ranges = probe.total, probe.ranges
        if self.opts.size is not None and probe.total is not None and probe.total != self.opts.size:
            raise SizeMismatch(self.opts.size, probe.total)
        return probe

    def _journal_data(self, done: list[tuple[int, int]]) -> journal.JournalData:
        assert self._probe is not None
        return self._target.journal_record(self._probe, done)

    # -- the download proper -------------------------------------------------------
    def _plan_missing(self) -> None:
        """The bytes not on disk, planned: cut for max_conns connections, or one stream
        from zero when the server ignores Range."""
        if not self._plan.ranges:
            self._budget.set(1)
            self._file.done = RangeSet()
            self._plan.plan_single(self.total)
        else:
            assert self.total is not None
            self._plan.plan(self._file.done.missing(self.total), self.max_conns)

    async def _download_all(self) -> None:
        plan = self._plan
        self._plan_missing()
        self._emit("downloading")
        hosts = self._mirrors.hosts()
        for h in hosts:
            self.engine.slots.join(h, self, self.max_conns)
        self._ticker.start(self.resumed_from)
        self._failures.watch(time.monotonic())
        try:
            while True:
                if self.cancelled:
                    raise Cancelled()
                self._failures.check(time.monotonic(), self._mirrors.received(), self._throttled.n > 0)
                if self._crew.fatal is not None:
                    f, self._crew.fatal = self._crew.fatal, None
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
                if not self._complete() and self._failures.all_gone(bool(self._crew), self._has_work):
                    raise self._mirrors.error()
                self._wake.clear()
                # the end game (nothing left to hand out, a tail may go silent) is watched
                # more closely than the rest of the download
                end_game = not plan.pool and len(self._crew) < self.target_conns
                timeout = 0.05 if end_game else 0.25
                if end_game:
                    due = plan.takeover_check_at(time.monotonic(), self._mirrors.states)
                    if due is not None:   # (a moment after it, so the rule sees it due; one
                        # already due that was not taken, held back by a burst or a back-off,
                        # is looked at every 20 ms)
                        wait = due + 0.002 - time.monotonic()
                        timeout = min(timeout, wait if wait > 0 else 0.02)
                check_at = plan.growth_check_at()
                if check_at is not None:
                    timeout = min(timeout, max(0.005, check_at - time.monotonic()))
                if self._budget.until > time.monotonic():
                    timeout = min(timeout, self._budget.until - time.monotonic())
                try:
                    async with asyncio.timeout(max(0.01, timeout)):  # never swallows a cancel (wait_for can on 3.11)
                        await self._wake.wait()
                except TimeoutError:
                    pass
        finally:
            for h in hosts:
                self.engine.slots.leave(h, self)
            await self._ticker.stop()

    def _complete(self) -> bool:
        if self.total is None:
            return self._unknown_done
        return self._file.done.total() >= self.total

    def _has_work(self) -> bool:
        return self._plan.has_work(time.monotonic(), self._mirrors.states,
                                   self._mirrors.start_latency(None, self.engine.client.pooled))

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
        if now < self._budget.until:
            return
        # adaptive recovery after a "too many connections" answer
        self._budget.recover(now)
        self._mirrors.recover_caps(now)
        # The probe's answer streams the first piece on its own connection; once a host has
        # answered, the other connections open all at once (one round trip for all of them,
        # not one per ramp step). Before any answer, one at a time. A host that refuses
        # extra connections (503/429) caps the count (see failures.py).
        pool = self._plan.pool
        first = self._prober.take(bool(pool) and pool[0][0] == 0)
        while len(self._crew) < self._growth_limit(now) and self._crew.may_open() and self._has_work():
            mi = first[1] if first is not None else self._pick_mirror()
            if mi is None:
                return
            ms = self._mirrors[mi]
            if not self.engine.slots.try_acquire(ms.host, self):
                if first is not None:
                    first[0].close()
                return
            ms.active += 1
            self._crew.start(self._worker(mi, first[0] if first is not None else None))
            first = None

    def _pick_mirror(self) -> int | None:
        return self._mirrors.pick(time.monotonic(), lambda host: self.engine.slots.can_take(host, self))

    def _growth_limit(self, now: float) -> int:
        """How many connections may run now (the planner's growth rule)."""
        return self._plan.growth_limit(now, len(self._crew), self.target_conns,
                                       self._mirrors.received(), self.engine.cpu_clock(),
                                       self._probe.ttfb if self._probe is not None else 0.0)

    async def _worker(self, mi: int, answer: wire.Response | None = None) -> None:
        """One connection (connection.py's run). ``answer``: the probe's answer, streaming
        from byte 0 (the first range)."""
        ms = self._mirrors[mi]
        conn = Connection(self.engine.client, self._file, self._mirrors, self.opts, self.bucket,
                          self.engine.global_bucket, clock=self.engine.clock, log=self._log,
                          on_answer=self._crew.first_answer, throttled=self._throttled)
        try:
            await conn.run(mi, self._plan, answer, self, name=self.path.name if self.path else "",
                           sniff=self._sniff)
        finally:
            conn.answered()
            ms.active -= 1
            self.engine.slots.release(ms.host, self)
            self._wake.set()

    # -- what a connection asks of its supervisor (connection.py's Supervisor) ----------
    def ended(self, size: int) -> None:
        self.total = size
        self._unknown_done = True

    async def fetch_failed(self, e: BaseException, ms: MirrorState, gen: int, attempt: int) -> None:
        v = self._failures.judge(e, ms, now=time.monotonic(), running=len(self._crew), attempt=attempt)
        if v.fatal:
            raise e
        if v.refresh:
            await self._refresh(gen)
        elif v.wait is not None:
            await asyncio.sleep(v.wait)

    def over_share(self, host: str) -> bool:
        return self.engine.slots.over_share(host, self)

    def wake(self) -> None:
        self._wake.set()

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
        self._file.epoch += 1
        await self._crew.stop()
        self._plan.active.clear()
        for ms in self._mirrors:
            ms.etag = None
        self._file.restart(self._take_probe(await self._prober.run()).total)
        self._plan_missing()   # all of it (a server that honours Range gives the size)
        self._file.save_journal(self._journal_data, sync=False)
        self._note(f"restarted from zero: {why}")

    async def _restart_single(self) -> None:
        self._file.epoch += 1
        await self._crew.stop()
        self._plan.ranges = False
        self._plan_missing()
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
        await self._target.record(self._probe)   # the proof for later runs that it is this download's
        return final
