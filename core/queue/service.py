"""``QueueService``: the queue as the GUI and ``main.py run`` use it.

    svc = QueueService()              # data_dir()/zhilian.db, settings.json
    await svc.start()                 # loads tasks, resumes unfinished ones
    ids = await svc.add("https://... 提取码: abcd")
    unsubscribe = svc.subscribe(print)
    await svc.close()

One process runs the queue at a time (a lock file beside the database). Other
processes may still add tasks (``main.py add``) or send commands (``main.py
pause ID``): the running service notices within about half a second.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from pathlib import Path
from typing import Any, Awaitable, Callable

from ..errors import Cancelled, ErrorKind, LinkExpired, UnsupportedLink, ZhilianError, outcome_of
from ..invocation import command
from ..linkparse import parse_links
from ..models import Resolved
from ..redact import redact_text
from ..settings import Settings, load_settings
from . import retry
from .admission import admit
from .attempt import AttemptRunner
from .dbfaults import Repaired, explain, repair
from .events import Event, Listeners, TaskView
from .leftovers import Leftover, find_leftovers, task_files, tidy
from .progress import ProgressCoalescer
from .store import ACTIVE_STATES, FINAL_STATES, QueueDbError, RunLock, Store, TaskRow, display_link, is_signed
from .store import db_path as default_db_path
from .tasks import Live, QueueError, TaskTable, host_of

log = logging.getLogger("zhilian.queue")

_HEX64 = re.compile(r"^[0-9a-fA-F]{64}$")
_HEX32 = re.compile(r"^[0-9a-fA-F]{32}$")


def parse_text(text: str) -> list[tuple[str, str | None]]:
    """(url, extraction code) for each link in pasted text; a path to a local
    manifest file is taken as it is."""
    text = (text or "").strip()
    links = [(ln.url, ln.password) for ln in parse_links(text)]
    if not links and text and "\n" not in text and Path(text).expanduser().is_file():
        links = [(str(Path(text).expanduser().resolve()), None)]
    return links


def make_rows(text: str, *, settings: Settings, password: str | None = None,
              dest_dir: str | Path | None = None, filename: str | None = None,
              connections: int | None = None, sha256: str | None = None, md5: str | None = None,
              priority: int = 0, handoff_to: str | None = None,
              time_limit: float | None = None, limit: int = 0) -> list[TaskRow]:
    """Validated new tasks for the links in ``text`` (not stored yet)."""
    links = parse_text(text)
    if not links:
        raise UnsupportedLink("No link found in the pasted text")
    if filename is not None and len(links) > 1:
        raise QueueError("A file name can be given for one link only")
    if sha256 is not None:
        sha256 = sha256.strip().lower() or None
        if sha256 and not _HEX64.match(sha256):
            raise QueueError("SHA-256 must be 64 hexadecimal characters")
        if sha256 and len(links) > 1:
            raise QueueError("A checksum can be given for one link only")
    if md5 is not None:
        md5 = md5.strip().lower() or None
        if md5 and not _HEX32.match(md5):
            raise QueueError("MD5 must be 32 hexadecimal characters")
    if connections is not None and connections != 0 and not 1 <= int(connections) <= 64:
        raise QueueError("Connections must be from 1 to 64")
    if filename is not None and (not filename.strip() or "/" in filename or "\\" in filename):
        raise QueueError(f"Not a usable file name: {filename!r}")
    folder = Path(dest_dir).expanduser() if dest_dir else settings.download_path()
    folder = folder.resolve()
    if folder.exists() and not folder.is_dir():
        raise QueueError(f"{folder} is not a folder")
    rows = []
    for url, code in links:
        rows.append(TaskRow(
            link=url, real_link=url, password=code or password or None, filename=filename,
            dest_dir=str(folder), priority=int(priority), connections=int(connections) if connections else None,
            sha256=sha256, md5=md5, host=host_of(url), handoff_to=handoff_to,
            time_limit=time_limit, speed_limit=int(limit or 0), state="queued"))
    return rows


def dedupe(rows: list[TaskRow], existing: list[TaskRow]) -> tuple[list[TaskRow], dict[int, int]]:
    """Drops rows whose link is already queued (unfinished) for the same folder.
    Returns (rows to insert, {index in rows: existing id})."""
    known = {(r.real_link, r.dest_dir, r.filename): r.id for r in existing
             if r.state not in FINAL_STATES and r.real_link}
    out, reused = [], {}
    for i, r in enumerate(rows):
        k = (r.real_link, r.dest_dir, r.filename)
        if k in known:
            reused[i] = known[k]
        else:
            out.append(r)
            known[k] = -1
    return out, reused


def queue_links(store: Store, text: str, settings: Settings | None = None, **kw: Any) -> list[int]:
    """Adds tasks straight to the database (``main.py add``); the running queue,
    if any, picks them up. Returns the ids, existing ones for links already queued."""
    settings = settings or load_settings()
    rows = make_rows(text, settings=settings, **kw)
    new, reused = dedupe(rows, store.load())
    store.insert(new)
    ids = []
    it = iter(new)
    for i in range(len(rows)):
        ids.append(reused[i] if i in reused else next(it).id)
    return ids


def _outcome(error: BaseException) -> dict[str, Any]:
    """The error_kind / error_params columns for an exception that ended an attempt."""
    return _outcome_of(*outcome_of(error))


def _outcome_of(kind: ErrorKind, params: dict[str, Any]) -> dict[str, Any]:
    return {"error_kind": kind.value, "error_params": json.dumps(params) if params else None}


class _TimeLimit(ZhilianError):
    kind = ErrorKind.TIME_LIMIT

    def __init__(self, seconds: float):
        self.seconds = seconds
        m, s = divmod(int(seconds), 60)
        h, m = divmod(m, 60)
        span = f"{h} h {m} min" if h else (f"{m} min {s} s" if m else f"{s} s")
        super().__init__(f"Stopped at the time limit ({span}); Retry continues from where it stopped")

    def params(self) -> dict[str, Any]:
        return {"seconds": self.seconds}


class QueueService:
    """The queue, made of parts (docs/queue.md "Design"): the task table
    (``table``), admission (``admit``), the retry policy (``retry.decide``), one
    attempt's runner (``runner``) and progress coalescing (``progress``). This
    class runs them on one asyncio loop: it starts what admission lets start,
    turns each attempt's outcome into the task's new state, and carries out the
    controls (pause, remove, limits, ...) of the GUI, the CLI and other processes."""

    def __init__(self, db_path: Path | str | None = None, settings: Settings | None = None, *,
                 context_factory: Callable[[Any], Any] | None = None,
                 clock: Callable[[], float] = time.time, watch_interval: float = 0.5):
        if settings is None:
            settings = load_settings()
            if settings.load_error:
                log.warning("%s", settings.load_error)
        self.db_path = Path(db_path) if db_path else default_db_path()
        self.watch_interval = watch_interval
        self.settings = settings
        self.clock = clock
        self._context_factory = context_factory
        self._lock = RunLock(self.db_path)
        self.listeners = Listeners()
        self.table = TaskTable(self.listeners)
        self.progress = ProgressCoalescer(self.table, self._storage_failed)
        self.runner: AttemptRunner | None = None      # made with the engine, at start
        self.running: dict[int, asyncio.Task] = {}
        self.engine: Any = None
        self._wake = asyncio.Event()
        self._bg: list[asyncio.Task] = []
        self._retry_handle: asyncio.TimerHandle | None = None
        self._closing = False
        self._started = False
        self._data_version = 0
        self.fault: QueueDbError | None = None    # the database failed: the queue has stopped
        self.leftovers: list[Leftover] = []       # partial downloads no task owns (found at start)
        # async (row, resolved) -> resolved, run before each download starts: e.g. the RPC
        # adds the headers and extra mirrors a client sent with its link (core/rpc/extras.py)
        self.source_hooks: list[Callable[[TaskRow, Resolved], Awaitable[Resolved]]] = []

    # -- the table, as callers see it -------------------------------------------------
    @property
    def store(self) -> Store:
        return self.table.store

    @property
    def rows(self) -> dict[int, TaskRow]:
        return self.table.rows

    @property
    def live(self) -> dict[int, Live]:
        return self.table.live

    def subscribe(self, callback: Callable[[Event], None]) -> Callable[[], None]:
        return self.listeners.subscribe(callback)

    def tasks(self) -> list[TaskView]:
        """All tasks in queue order (priority high->low, then FIFO)."""
        return self.table.views()

    def get(self, task_id: int) -> TaskView:
        return self.table.view(task_id)

    def pending(self) -> int:
        """Tasks that still have work to do on their own (queued or running)."""
        return self.table.pending()

    def flush_progress(self) -> int:
        """Sends the coalesced progress events now (see ``ProgressCoalescer.flush``)."""
        return self.progress.flush()

    # -- life cycle -----------------------------------------------------------------
    async def start(self) -> None:
        if self._started:
            return
        try:
            self.db_path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise explain(e, self.db_path) from None
        if not self._lock.acquire():
            raise QueueDbError(
                f"The download queue is already running in another Zhilian process "
                f"(pid {self._lock.holder()}); close it first, or use {command('add')} / pause / resume, "
                "which talk to the running queue", "running")
        try:
            self.table.store = await asyncio.to_thread(Store, self.db_path)
            await self._open()
        except BaseException:
            self._lock.release()
            raise
        self._data_version = self.store.data_version()
        self._bg.append(asyncio.get_running_loop().create_task(self._watch_loop(), name="queue-watch"))
        log.info("queue started: %d task(s), %d to do", len(self.rows), self.pending())

    async def _open(self) -> None:
        """The engine, the tasks of the database (those that were running are queued
        again), the leftovers report, the loops; then downloads start."""
        from ..engine import Engine
        s = self.settings
        self.engine = Engine(global_limit=s.global_limit, per_host=s.host_connections,
                             proxy=s.proxy or None, clock=self.clock)
        await self.engine.__aenter__()
        self.runner = AttemptRunner(self.table, self.engine, lambda: self.settings,
                                    report=self.progress.report, context_factory=self._context_factory,
                                    source_hooks=self.source_hooks)
        rows = self.store.load()
        fixes = []
        for r in rows:
            if r.state in ACTIVE_STATES:   # was running when the process ended
                r.state = "queued"
                fixes.append((r.id, {"state": "queued"}))
            if r.state not in FINAL_STATES and r.link_signed and r.real_link is None and r.state != "paused":
                r.state, r.error = "paused", (
                    "The full link was not saved (no system keyring to encrypt it): paste the link again")
                r.error_kind, r.error_params = ErrorKind.LINK_NOT_SAVED.value, None
                fixes.append((r.id, {"state": r.state, "error": r.error, "error_kind": r.error_kind,
                                     "error_params": None}))
        self.table.load(rows)
        self.store.update_many(fixes)
        self.leftovers = await asyncio.to_thread(find_leftovers, list(self.rows.values()),
                                                 [self.settings.download_path()])
        for lo in self.leftovers:
            log.info("partial download no task owns (kept): %s", lo.describe())
        loop = asyncio.get_running_loop()
        self._bg = [loop.create_task(self._schedule_loop(), name="queue-scheduler"),
                    loop.create_task(self.progress.loop(), name="queue-progress")]
        self._started = True
        for r in list(self.rows.values()):
            if r.state == "done" and r.handoff_to and not r.error and r.path and Path(r.path).is_file():
                self.running[r.id] = loop.create_task(self._handoff_only(r))
        self._kick()

    async def close(self) -> None:
        """Stops everything; unfinished tasks resume on the next start."""
        if not self._started or self._closing:
            return
        try:
            await self._shutdown()
        finally:
            self._lock.release()

    async def _shutdown(self) -> None:
        self._closing = True
        runners = list(self.running.values())
        for tid in list(self.running):
            live = self.live.get(tid)
            if live:
                live.stopping = True
            self._cancel(tid)
        for t in self._bg:
            t.cancel()
        await asyncio.gather(*runners, *self._bg, return_exceptions=True)
        self.progress.persist()
        if self._retry_handle:
            self._retry_handle.cancel()
        if self.engine is not None:
            await self.engine.close()
        self.store.close()

    def _check_started(self) -> None:
        if not self._started or self._closing:
            raise QueueError("The download queue is not running")

    def _storage_failed(self, e: QueueDbError) -> None:
        """The database cannot be written: stop every download (each keeps its .part
        and journal) and start nothing new; ``fault`` tells the CLI and the GUI."""
        if self.fault is not None:
            return
        self.fault = e
        log.info("queue stopped: %s", e)
        for tid in list(self.running):
            live = self.live.get(tid)
            if live:
                live.stopping = True
            self._cancel(tid)
        self.table.emit("fault", 0, message=str(e))

    # -- scheduling: what admission lets start, starts ------------------------------------
    def _kick(self) -> None:
        self._wake.set()

    async def _schedule_loop(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                self._schedule()
            except Exception:
                log.exception("scheduler error")

    def _schedule(self) -> None:
        if self._closing or self.fault is not None:
            return
        now = self.clock()
        plan = admit(self.rows, self.running, self.settings, now)
        if plan.full:
            return
        loop = asyncio.get_running_loop()
        for tid in plan.start:
            self.running[tid] = loop.create_task(self._run(self.rows[tid]), name=f"task-{tid}")
        if self._retry_handle:
            self._retry_handle.cancel()
            self._retry_handle = None
        if plan.wake_at is not None:
            self._retry_handle = loop.call_later(max(0.05, plan.wake_at - now), self._kick)

    # -- one task's run: the attempt, then what its outcome means -------------------------
    async def _run(self, row: TaskRow) -> None:
        live = self.live.setdefault(row.id, Live())
        try:
            await self._run_task(row, live)
        except QueueDbError as e:
            self._storage_failed(e)
        finally:
            live.dl = None
            live.speed, live.eta = 0.0, None
            if self.running.get(row.id) is asyncio.current_task():
                del self.running[row.id]
            if row.id in self.rows:
                tidy(row)
            self._kick()

    async def _run_task(self, row: TaskRow, live: Live) -> None:
        assert self.runner is not None
        live.stopping = live.timed_out = False
        limit = row.time_limit or self.settings.time_limit or None
        loop = asyncio.get_running_loop()
        timer = loop.call_later(limit, self._time_up, row.id) if limit else None
        try:
            try:
                path = await self.runner.run(row, live)
            finally:
                if timer:
                    timer.cancel()
            await self._finished(row, live, Path(path))
        except (asyncio.CancelledError, Cancelled) as e:
            if live.timed_out and not live.stopping and not self._closing:
                if isinstance(e, asyncio.CancelledError):
                    asyncio.current_task().uncancel()  # type: ignore[union-attr]
                self._failed(row, _TimeLimit(limit or 0))
            elif isinstance(e, asyncio.CancelledError):
                raise                 # whoever cancelled sets the state
        except LinkExpired as e:
            # paused (the .part waits for a new link), announced as a failure the user must act on
            self.table.set(row, kind="failed", state="paused", error=str(e), attempts=0, next_retry=None,
                           **_outcome(e))
        except QueueDbError:
            raise
        except ZhilianError as e:
            self._failed(row, e)
        except Exception as e:
            log.exception("task %d failed unexpectedly", row.id)
            detail = redact_text(str(e)) or "no details"
            self._failed(row, e, f"Unexpected error: {detail} (details in the log)",
                         _outcome_of(ErrorKind.UNEXPECTED, {"detail": detail}))

    def _failed(self, row: TaskRow, error: BaseException, message: str | None = None,
                outcome: dict[str, Any] | None = None) -> None:
        """An attempt ended on ``error``: queued for an automatic retry, or failed. Records
        the message (English, for logs and the CLI) and the error's kind and parameters
        (core.errors.ErrorKind, worded by each front end)."""
        if row.id not in self.rows:
            return
        message = message or str(error)
        outcome = outcome or _outcome(error)
        s = self.settings
        d = retry.decide(error, row.attempts, self.clock(), max_retries=s.max_retries, retry_delay=s.retry_delay)
        if not d.gives_up:
            self.table.set(row, kind=None, state="queued", attempts=d.attempts, next_retry=d.retry_at,
                           error=f"{message}; retrying in {int(d.delay + 0.5)} s "
                                 f"(attempt {d.attempts} of {s.max_retries})", **outcome)
            self.table.emit("changed", row.id)
            log.info("task %d: %s; retry %d in %.0f s", row.id, redact_text(message), d.attempts, d.delay)
            return
        self.table.set(row, kind=None, state="failed", error=message, attempts=d.attempts, next_retry=None,
                       **outcome)
        log.info("task %d failed: %s", row.id, redact_text(message))
        self.table.emit("failed", row.id)

    async def _finished(self, row: TaskRow, live: Live, path: Path) -> None:
        self.progress.settle(row, live)     # the last progress goes out before "finished"
        try:
            size = path.stat().st_size
        except OSError:
            size = row.size or 0
        if row.reserved_path != str(path):
            # the file got another name at the last moment: the task owns that one now
            if not self.table.claim(row, path):
                self.table.release_name(row)
        self.table.set(row, kind=None, state="done", path=str(path), name=path.name, size=size, done=size,
                       error=None, finished=self.clock(), attempts=0, next_retry=None)
        log.info("task %d done: %s", row.id, path.name)
        self.table.emit("finished", row.id)
        if row.handoff_to:
            await self._handoff(row)

    def _time_up(self, tid: int) -> None:
        live = self.live.get(tid)
        if live is None:
            return
        live.timed_out = True
        self._cancel(tid)

    def _cancel(self, tid: int) -> None:
        """Asks the engine to stop (it keeps the .part and journal) and cancels the
        task's coroutine (for the resolving step, where there is no download yet)."""
        live = self.live.get(tid)
        if live is not None and live.dl is not None:
            live.dl.cancel()
        runner = self.running.get(tid)
        if runner is not None:
            runner.cancel()

    # -- hand-off to a HeyGem / Wav2Lip install ----------------------------------------------
    async def _handoff_only(self, row: TaskRow) -> None:
        try:
            await self._handoff(row)
        finally:
            if self.running.get(row.id) is asyncio.current_task():
                del self.running[row.id]
            self._kick()

    def _install_dir(self, row: TaskRow) -> str | None:
        target = row.handoff_to or ""
        if target and Path(target).expanduser().is_dir():
            return str(Path(target).expanduser())
        installs = self.settings.heygem_installs
        return installs[0] if installs else None

    async def _handoff(self, row: TaskRow) -> None:
        install = self._install_dir(row)
        if install is None:
            self.table.set(row, error="Downloaded, but not placed: no HeyGem / Wav2Lip install is set in Settings",
                           **_outcome_of(ErrorKind.NO_INSTALL, {}))
            return
        try:
            from ..heygem.handoff import handoff_file
            res = await asyncio.to_thread(handoff_file, row.path, install,
                                          expected_sha256=row.sha256, expected_size=row.size,
                                          source=row.link)
        except ZhilianError as e:
            why, why_params = outcome_of(e)
            self.table.set(row, error=f"Downloaded, but not placed in {install}: {e}",
                           **_outcome_of(ErrorKind.NOT_PLACED, {"install": install, "why": why.value,
                                                                "why_params": why_params}))
            return
        except Exception as e:
            log.exception("hand-off of task %d failed", row.id)
            self.table.set(row, error=f"Downloaded, but not placed in {install}: {e or 'unexpected error'}",
                           **_outcome_of(ErrorKind.NOT_PLACED, {"install": install, "why": ErrorKind.OTHER.value,
                                                                "why_params": {}}))
            return
        self.table.set(row, kind=None, state="handed_off", path=str(res.path), error=None)
        self.table.release_name(row)    # the file moved into the install: its name is free
        self.table.emit("finished", row.id)

    # -- control ----------------------------------------------------------------------
    async def add(self, link_text: str, password: str | None = None, dest_dir: str | Path | None = None,
                  filename: str | None = None, connections: int | None = None, sha256: str | None = None,
                  priority: int = 0, handoff_to: str | None = None, *, md5: str | None = None,
                  time_limit: float | None = None, limit: int = 0) -> list[int]:
        """Queues every link in the pasted text; returns their task ids (the id of
        the existing task when the same link is already queued for that folder)."""
        self._check_started()
        rows = make_rows(link_text, settings=self.settings, password=password, dest_dir=dest_dir,
                         filename=filename, connections=connections, sha256=sha256, md5=md5,
                         priority=priority, handoff_to=handoff_to, time_limit=time_limit, limit=limit)
        return self.add_rows(rows)

    def add_rows(self, rows: list[TaskRow]) -> list[int]:
        """Stores tasks made by ``make_rows`` (a caller may set their state to "paused" or
        give them an ``rpath`` first); same return value as ``add``."""
        self._check_started()
        new, reused = dedupe(rows, list(self.rows.values()))
        self.table.register(new)
        self._kick()
        it = iter(new)
        return [reused[i] if i in reused else next(it).id for i in range(len(rows))]

    async def _stop(self, tid: int) -> None:
        """Cancels a running task and waits until the engine has let go of the file."""
        runner = self.running.get(tid)
        live = self.live.get(tid)
        if runner is None:
            return
        if live:
            live.stopping = True
        self._cancel(tid)
        await asyncio.gather(runner, return_exceptions=True)
        self.running.pop(tid, None)
        if live:
            live.stopping = False

    async def pause(self, task_id: int) -> None:
        row = self.table.row(task_id)
        if row.state in FINAL_STATES:
            raise QueueError(f"Task {task_id} is already finished")
        self._mark_paused(row)
        await self._stop(task_id)
        self._kick()

    def _mark_paused(self, row: TaskRow) -> None:
        """Paused in memory and on disk first, so the scheduler never starts it
        again while it is being stopped."""
        live = self.live.get(row.id)
        if live and row.id in self.running:
            live.stopping = True
        if row.state != "paused":
            self.table.set(row, state="paused", error=None, next_retry=None)

    async def cancel(self, task_id: int) -> None:
        """Stops a task for good (until Retry): state failed, "Stopped by the user".
        Its partial download is kept, so Retry continues; Remove deletes it."""
        row = self.table.row(task_id)
        if row.state in FINAL_STATES:
            raise QueueError(f"Task {task_id} is already finished")
        live = self.live.get(task_id)
        if live and task_id in self.running:
            live.stopping = True
        self.table.set(row, kind="failed", state="failed", error=Cancelled().message, next_retry=None,
                       **_outcome(Cancelled()))
        await self._stop(task_id)
        self._kick()

    async def resume(self, task_id: int) -> None:
        row = self.table.row(task_id)
        if row.state in ("paused", "failed"):
            if row.real_link is None:
                raise QueueError("The full link of this task was not saved: use Replace link and paste it again")
            self.table.set(row, state="queued", error=None, attempts=0, next_retry=None)
        elif row.state == "queued" and row.next_retry:
            self.table.set(row, next_retry=None)
        self._kick()

    async def retry(self, task_id: int) -> None:
        row = self.table.row(task_id)
        if row.state in FINAL_STATES:
            raise QueueError(f"Task {task_id} is already finished")
        await self.resume(task_id)

    async def pause_all(self) -> None:
        ids = [r.id for r in self.rows.values() if r.state not in FINAL_STATES and r.state not in ("paused", "failed")]
        for i in ids:
            self._mark_paused(self.rows[i])
        await asyncio.gather(*(self._stop(i) for i in ids))

    async def resume_all(self) -> None:
        for r in list(self.rows.values()):
            if r.state == "paused" and r.real_link is not None:
                self.table.set(r, state="queued", error=None, attempts=0, next_retry=None)
        self._kick()

    async def remove(self, task_id: int, delete_file: bool = False) -> None:
        self.table.row(task_id)
        await self._stop(task_id)
        row, view = self.table.forget(task_id)
        try:
            if delete_file:
                for p in task_files(row):
                    p.unlink(missing_ok=True)
            else:
                tidy(row, removed=True)
        except OSError as e:
            log.warning("could not delete the files of task %d: %s", task_id, e)
        self.listeners.send(Event("removed", task_id, view))
        self._kick()

    async def move(self, task_id: int, before_id: int | None = None, priority: int | None = None) -> None:
        """Put a task before another one (taking its priority), or give it a priority."""
        row = self.table.row(task_id)
        if before_id is None and priority is None:
            raise QueueError("move needs before_id or priority")
        if before_id is not None:
            if before_id == task_id:
                return
            b = self.table.row(before_id)
            prev = [r.position for r in self.rows.values()
                    if r.priority == b.priority and r.position < b.position and r.id != task_id]
            pos = (max(prev) + b.position) / 2 if prev else b.position - 1
            self.table.set(row, priority=b.priority, position=pos)
        else:
            self.table.set(row, priority=int(priority or 0))
        self._kick()

    async def replace_link(self, task_id: int, new_link_text: str) -> None:
        """A fresh link for the same file; the download goes on from the same .part."""
        row = self.table.row(task_id)
        if row.state in FINAL_STATES:
            raise QueueError(f"Task {task_id} is already finished")
        links = parse_text(new_link_text)
        if len(links) != 1:
            raise QueueError("Paste exactly one link for this task" if links else "No link found in the pasted text")
        url, code = links[0]
        await self._stop(task_id)
        self.table.set(row, kind=None, real_link=url, password=code or row.password, host=host_of(url),
                       resolver=None, ref=None)
        row.link, row.link_signed = display_link(url), int(is_signed(url))
        self.table.set(row, state="queued", error=None, attempts=0, next_retry=None)
        self._kick()

    def set_global_limit(self, bps: float) -> None:
        self.settings.global_limit = int(max(0, bps))
        if self.engine is not None:
            self.engine.set_global_limit(self.settings.global_limit)

    async def set_task_limit(self, task_id: int, bps: float) -> None:
        row = self.table.row(task_id)
        self.table.set(row, speed_limit=int(max(0, bps)))
        live = self.live.get(task_id)
        if live and live.dl is not None:
            live.dl.set_limit(row.speed_limit)

    async def set_connections(self, task_id: int, n: int | None) -> None:
        if n is not None and not 1 <= int(n) <= 64:
            raise QueueError("Connections must be from 1 to 64")
        row = self.table.row(task_id)
        self.table.set(row, connections=int(n) if n else None)
        live = self.live.get(task_id)
        if live and live.dl is not None:
            live.dl.set_connections(int(n) if n else (self.settings.connections or 16))

    async def set_time_limit(self, task_id: int, seconds: float | None) -> None:
        """Takes effect the next time the task starts."""
        self.table.set(self.table.row(task_id), time_limit=float(seconds) if seconds else None)

    async def apply_settings(self, settings: Settings) -> None:
        """New settings from the GUI: limits and caps change at once."""
        old = self.settings
        self.settings = settings
        if self.engine is not None:
            if settings.global_limit != old.global_limit:
                self.engine.set_global_limit(settings.global_limit)
            self.engine.set_per_host(settings.host_connections)
        self._kick()

    # -- other processes ---------------------------------------------------------------
    async def _watch_loop(self) -> None:
        # commands another process left that a queue killed before it had carried them out
        # (they stay in the table until done: see _carry_out_commands)
        try:
            await self._carry_out_commands()
        except QueueDbError as e:
            self._storage_failed(e)
        while True:
            await asyncio.sleep(self.watch_interval)
            try:
                await self.poll_other_processes()
            except asyncio.CancelledError:
                raise
            except QueueDbError as e:
                self._storage_failed(e)
            except Exception:
                log.exception("reading changes from other processes failed")

    async def poll_other_processes(self) -> None:
        """Picks up tasks added and commands sent by other processes."""
        dv = self.store.data_version()
        if dv == self._data_version:
            return
        self._data_version = dv
        known = max(self.rows, default=0)
        self.table.register(self.store.load(since_id=known), stored=True)
        await self._carry_out_commands()
        self._data_version = self.store.data_version()
        self._kick()

    async def _carry_out_commands(self) -> None:
        """Each command from another process, in order; it leaves the table only once it
        is carried out, so a queue killed meanwhile (a remove waits for its download to
        stop) carries it out when it starts again. Doing one twice is harmless: every
        command is stated as the end state it asks for."""
        for cid, task_id, action, arg in self.store.pending_commands():
            try:
                await self._command(task_id, action, arg)
            except ZhilianError as e:
                log.info("command %s %s: %s", action, task_id, e)
            self.store.drop_command(cid)

    async def _command(self, task_id: int | None, action: str, arg: Any) -> None:
        if action == "pause_all":
            await self.pause_all()
        elif action == "resume_all":
            await self.resume_all()
        elif task_id is None or task_id not in self.rows:
            return
        elif action == "pause":
            await self.pause(task_id)
        elif action == "resume":
            await self.resume(task_id)
        elif action == "cancel":
            await self.cancel(task_id)
        elif action == "retry":
            await self.retry(task_id)
        elif action == "remove":
            await self.remove(task_id, delete_file=bool(arg))
        elif action == "priority":
            await self.move(task_id, priority=int(arg))


def repair_database(db: Path | None = None) -> Repaired:
    """``main.py repair-queue`` and the app's Repair: rebuilds a damaged queue
    database (no queue may be running; the damaged file is kept as a copy)."""
    path = Path(db) if db else default_db_path()
    lock = RunLock(path)
    if not lock.acquire():
        raise QueueDbError(f"The download queue is running (pid {lock.holder()}); close it, then repair the "
                           "database again", "running")
    try:
        return repair(path)
    finally:
        lock.release()


__all__ = ["QueueService", "repair_database", "QueueError", "QueueDbError", "make_rows", "queue_links", "default_db_path"]
