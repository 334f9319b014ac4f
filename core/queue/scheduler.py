"""Runs the queue's tasks: K at once, a per-host cap, priorities (higher first)
and FIFO order within a priority, retries with backoff, time limits, pause and
resume, and the shared engine with its run-time-changeable global speed limit.

All of it runs on one asyncio loop. Each running task is one asyncio task
(``_run``); stopping a task (pause, remove, new link, close) cancels it: the
engine then keeps its ``.part`` and journal, so the next run resumes.

Every task owns one file name, reserved in the database before the engine may
use it (``DownloadOptions.claim`` -> ``Store.claim_name``). When the database
cannot be written any more (read-only, full, locked, damaged) the queue stops
all downloads (their ``.part`` and journal are kept) and sets ``fault``: one
line for the user; nothing is half-written to the database.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Awaitable, Callable
from urllib.parse import urlsplit

from .. import journal as _journal
from ..errors import (
    Cancelled,
    ErrorKind,
    LinkExpired,
    NotFound,
    QuotaExceeded,
    Throttled,
    UnsupportedLink,
    ZhilianError,
    outcome_of,
)
from ..models import Mirror, Resolved
from ..redact import redact_text
from ..selection import layout_dir
from .events import PROGRESS_INTERVAL, Event, TaskView, make_view
from .leftovers import Leftover, find_leftovers, task_files, tidy
from .settings import Settings
from .store import (
    ACTIVE_STATES,
    FINAL_STATES,
    QueueDbError,
    Store,
    TaskRow,
    clean_ref,
    display_link,
    is_signed,
    sources_json,
)

log = logging.getLogger("zhilian.queue")

PERSIST_INTERVAL = 2.0    # seconds between writes of bytes-done to the database
MAX_RETRY_DELAY = 3600.0

ENGINE_STATE = {"probing": "downloading", "downloading": "downloading", "verifying": "verifying"}


class QueueError(ZhilianError):
    """A queue operation that cannot be done (unknown task, finished task, ...)."""


@dataclass
class _Live:
    """Run-time state of a task that is not stored."""
    runner: asyncio.Task | None = None
    dl: Any = None
    speed: float = 0.0
    eta: float | None = None
    message: str | None = None
    progress: Any = None
    timed_out: bool = False
    dirty: bool = False          # progress not yet sent to listeners
    unsaved: bool = False        # bytes-done not yet written to the database
    stopping: bool = False


def host_of(link: str) -> str:
    try:
        return (urlsplit(link).hostname or "").lower()
    except ValueError:
        return ""


class Scheduler:
    def __init__(self, store: Store, settings: Settings, *,
                 context_factory: Callable[[Any], Any] | None = None,
                 clock: Callable[[], float] = time.time):
        self.store = store
        self.settings = settings
        self.clock = clock
        self._context_factory = context_factory
        self.rows: dict[int, TaskRow] = {}
        self.live: dict[int, _Live] = {}
        self.running: dict[int, asyncio.Task] = {}
        self.engine: Any = None
        self._subs: list[Callable[[Event], None]] = []
        self._wake = asyncio.Event()
        self._bg: list[asyncio.Task] = []
        self._retry_handle: asyncio.TimerHandle | None = None
        self._closing = False
        self._started = False
        self.fault: QueueDbError | None = None    # the database failed: the queue has stopped
        self.leftovers: list[Leftover] = []       # partial downloads no task owns (found at start)
        # async (row, resolved) -> resolved, run before each download starts: e.g. the RPC
        # adds the headers and extra mirrors a client sent with its link (core/rpc/extras.py)
        self.source_hooks: list[Callable[[TaskRow, Resolved], Awaitable[Resolved]]] = []

    # -- listeners ----------------------------------------------------------------
    def subscribe(self, callback: Callable[[Event], None]) -> Callable[[], None]:
        self._subs.append(callback)

        def unsubscribe() -> None:
            if callback in self._subs:
                self._subs.remove(callback)
        return unsubscribe

    def _emit(self, kind: str, tid: int, progress: Any = None, message: str | None = None) -> None:
        row = self.rows.get(tid)
        view = make_view(row, self.live.get(tid)) if row else None
        ev = Event(kind, tid, view, progress, message)  # type: ignore[arg-type]
        for cb in list(self._subs):
            try:
                cb(ev)
            except Exception:  # a broken listener must not stop the queue
                log.exception("queue event listener failed")

    # -- views --------------------------------------------------------------------
    def tasks(self) -> list[TaskView]:
        """All tasks in queue order (priority high->low, then FIFO)."""
        return [make_view(r, self.live.get(r.id)) for r in self._ordered(self.rows.values())]

    def get(self, task_id: int) -> TaskView:
        return make_view(self._row(task_id), self.live.get(task_id))

    def _row(self, task_id: int) -> TaskRow:
        row = self.rows.get(task_id)
        if row is None:
            raise QueueError(f"No task {task_id} in the queue")
        return row

    @staticmethod
    def _ordered(rows) -> list[TaskRow]:
        return sorted(rows, key=lambda r: (-r.priority, r.position, r.id))

    def pending(self) -> int:
        """Tasks that still have work to do on their own (queued or running)."""
        return sum(1 for r in self.rows.values() if r.state == "queued" or r.state in ACTIVE_STATES)

    # -- life cycle -----------------------------------------------------------------
    async def start_scheduler(self) -> None:
        from ..engine import Engine
        s = self.settings
        self.engine = Engine(global_limit=s.global_limit, per_host=s.host_connections,
                             proxy=s.proxy or None, clock=self.clock)
        await self.engine.__aenter__()
        fixes = []
        for r in self.store.load():
            if r.state in ACTIVE_STATES:   # was running when the process ended
                r.state = "queued"
                fixes.append((r.id, {"state": "queued"}))
            if r.state not in FINAL_STATES and r.link_signed and r.real_link is None and r.state != "paused":
                r.state, r.error = "paused", (
                    "The full link was not saved (no system keyring to encrypt it): paste the link again")
                fixes.append((r.id, {"state": r.state, "error": r.error}))
            self.rows[r.id] = r
            self.live[r.id] = _Live()
        self.store.update_many(fixes)
        self.leftovers = await asyncio.to_thread(find_leftovers, list(self.rows.values()),
                                                 [self.settings.download_path()])
        for lo in self.leftovers:
            log.info("partial download no task owns (kept): %s", lo.describe())
        loop = asyncio.get_running_loop()
        self._bg = [loop.create_task(self._schedule_loop(), name="queue-scheduler"),
                    loop.create_task(self._progress_loop(), name="queue-progress")]
        self._started = True
        for r in list(self.rows.values()):
            if r.state == "done" and r.handoff_to and not r.error and r.path and Path(r.path).is_file():
                self.running[r.id] = loop.create_task(self._handoff_only(r))
        self._kick()

    async def close(self) -> None:
        """Stops everything; unfinished tasks resume on the next start."""
        if self._closing:
            return
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
        self._persist_progress()
        if self._retry_handle:
            self._retry_handle.cancel()
        if self.engine is not None:
            await self.engine.close()
        self.store.close()

    # -- scheduling ---------------------------------------------------------------
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
        free = self.settings.max_active - len(self.running)
        if free <= 0:
            return
        per_host: dict[str, int] = {}
        for tid in self.running:
            h = self.rows[tid].host if tid in self.rows else ""
            per_host[h] = per_host.get(h, 0) + 1
        now = self.clock()
        next_retry: float | None = None
        queued = [r for r in self.rows.values() if r.state == "queued" and r.id not in self.running]
        for r in self._ordered(queued):
            if r.next_retry and r.next_retry > now:
                next_retry = r.next_retry if next_retry is None else min(next_retry, r.next_retry)
                continue
            if r.host and per_host.get(r.host, 0) >= self.settings.per_host:
                continue
            per_host[r.host] = per_host.get(r.host, 0) + 1
            self.running[r.id] = asyncio.get_running_loop().create_task(self._run(r), name=f"task-{r.id}")
            free -= 1
            if free <= 0:
                break
        if self._retry_handle:
            self._retry_handle.cancel()
            self._retry_handle = None
        if next_retry is not None:
            self._retry_handle = asyncio.get_running_loop().call_later(
                max(0.05, next_retry - now), self._kick)

    # -- state --------------------------------------------------------------------
    def _set(self, row: TaskRow, kind: str | None = "changed", *, _progress: Any = None, **values: Any) -> None:
        """Change a task in the database (committed at once), then in memory: when
        the write fails (QueueDbError), memory still says what the disk says.
        A new ``error`` without its ``error_kind`` clears the kind (and its parameters)."""
        if "error" in values and "error_kind" not in values:
            values.update(error_kind=None, error_params=None)
        if row.id in self.rows:
            self.store.update(row.id, **values)
        for k, v in values.items():
            setattr(row, k, v)
        if row.id in self.rows and kind:
            self._emit(kind, row.id, _progress)

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
        self._emit("fault", 0, message=str(e))

    # -- running one task -----------------------------------------------------------
    async def _run(self, row: TaskRow) -> None:
        live = self.live.setdefault(row.id, _Live())
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

    async def _run_task(self, row: TaskRow, live: _Live) -> None:
        live.stopping = live.timed_out = False
        limit = row.time_limit or self.settings.time_limit or None
        loop = asyncio.get_running_loop()
        timer = loop.call_later(limit, self._time_up, row.id) if limit else None
        try:
            try:
                path = await self._attempt(row, live)
            finally:
                if timer:
                    timer.cancel()
            await self._finished(row, live, Path(path))
        except (asyncio.CancelledError, Cancelled) as e:
            if live.timed_out and not live.stopping and not self._closing:
                if isinstance(e, asyncio.CancelledError):
                    asyncio.current_task().uncancel()  # type: ignore[union-attr]
                self._fail(row, live, _TimeLimit(limit or 0), retry=False)
            elif isinstance(e, asyncio.CancelledError):
                raise                 # whoever cancelled sets the state
        except LinkExpired as e:
            # paused (the .part waits for a new link), announced as a failure the user must act on
            self._set(row, kind="failed", state="paused", error=str(e), attempts=0, next_retry=None,
                      **_outcome(e))
        except QueueDbError:
            raise
        except ZhilianError as e:
            self._fail(row, live, e, retry=e.retryable,
                       wait=getattr(e, "retry_after", None) if isinstance(e, (QuotaExceeded, Throttled)) else None)
        except Exception as e:
            log.exception("task %d failed unexpectedly", row.id)
            self._fail(row, live, e, retry=False,
                       message=f"Unexpected error: {redact_text(str(e)) or 'no details'} (details in the log)")

    def _fail(self, row: TaskRow, live: _Live, error: BaseException, *, retry: bool, wait: float | None = None,
              message: str | None = None) -> None:
        """Records a failed attempt: the message (English, for logs and the CLI) and the
        error's kind and parameters (core.errors.ErrorKind, worded by each front end)."""
        if row.id not in self.rows:
            return
        message = message or str(error)
        outcome = _outcome(error)
        attempts = row.attempts + 1
        if retry and attempts <= self.settings.max_retries:
            delay = wait if wait else min(MAX_RETRY_DELAY, self.settings.retry_delay * 2 ** (attempts - 1))
            self._set(row, kind=None, state="queued", attempts=attempts, next_retry=self.clock() + delay,
                      error=f"{message}; retrying in {int(delay + 0.5)} s "
                            f"(attempt {attempts} of {self.settings.max_retries})", **outcome)
            self._emit("changed", row.id)
            log.info("task %d: %s; retry %d in %.0f s", row.id, redact_text(message), attempts, delay)
            return
        self._set(row, kind=None, state="failed", error=message, attempts=attempts, next_retry=None, **outcome)
        log.info("task %d failed: %s", row.id, redact_text(message))
        self._emit("failed", row.id)

    def _finished_on_disk(self, row: TaskRow) -> Path | None:
        """The engine renames the .part to the final name only after verifying it;
        when that happened just before a crash, the final file is there and the
        .part and its journal are gone: the task is done, not to be downloaded
        again (which would make a second copy)."""
        if not row.path:
            return None
        final = Path(row.path)
        part = final.with_name(final.name + ".part")
        if part.exists() or not final.is_file():
            return None
        if row.size is not None and final.stat().st_size != row.size:
            return None
        # the journal is removed right after the rename; a crash in between leaves it
        _journal.journal_path(part).unlink(missing_ok=True)
        return final

    async def _attempt(self, row: TaskRow, live: _Live) -> Path:
        if row.real_link is None:
            raise LinkExpired("The full link was not saved (no system keyring to encrypt it): paste the link again")
        done = self._finished_on_disk(row)
        if done is not None:
            live.message = "finished before the last shutdown"
            return done
        self._set(row, state="resolving", error=None)
        resolved, refresher = await self._resolve(row)
        for hook in self.source_hooks:
            resolved = await hook(row, resolved)
        from ..engine import DownloadOptions
        if row.reserved_path:      # the name this task owns: same name, same .part, after any restart
            dest, filename = Path(row.reserved_path).parent, Path(row.reserved_path).name
        elif resolved.resolver == "manifest" and resolved.path and "/" in resolved.path:
            dest = Path(row.dest_dir) / PurePosixPath(resolved.path).parent    # the manifest's own layout
            filename = row.name or row.filename
        else:      # a repo's folders (Hugging Face, ModelScope, Kaggle, Ollama)
            dest, filename = layout_dir(Path(row.dest_dir), resolved), row.name or row.filename
        opts = DownloadOptions(
            connections=row.connections or self.settings.connections or None,
            sha256=row.sha256, md5=row.md5, limit=row.speed_limit or 0,
            filename=filename, claim=lambda p: self._claim(row, p))
        dl = self.engine.download(resolved, dest, opts,
                                  on_progress=lambda p: self._on_progress(row, live, p),
                                  refresh=refresher)
        live.dl = dl
        self._set(row, state="downloading", sources=sources_json([m.url for m in resolved.mirrors]))
        return await dl.run()

    def _claim(self, row: TaskRow, path: Path) -> bool:
        """The engine asks before it uses a name (or its .part): one owner per path."""
        if row.id not in self.rows:
            return False
        ok = self.store.claim_name(row.id, path)
        if ok:
            row.reserved_path = self.store.reserved(row.id)
        return ok

    async def _context(self) -> Any:
        if self._context_factory is not None:
            return self._context_factory(self.engine.session)
        from .. import resolve as resolving
        creds: dict = {}
        save = None
        try:
            from .. import accounts
            creds = await asyncio.to_thread(accounts.load_credentials)
            save = accounts.save_cookies
        except ImportError:  # pragma: no cover - accounts are part of the product
            pass
        except ZhilianError as e:   # no keyring: go on without stored logins
            log.info("logins not available: %s", e)
        # the session is made when a resolver first needs it (never for plain links)
        return resolving.make_context(lambda: self.engine.session, credentials=creds, save_cookies=save)

    async def _resolve_manifest(self, path: str) -> list[Resolved]:
        """A local model manifest (YAML or Metalink): one file per entry, read
        again at every start so its (possibly signed) URLs never enter the database."""
        from ..manifest import load_manifest
        files = await asyncio.to_thread(load_manifest, Path(path))
        return [Resolved(list(f.mirrors), filename=f.filename, size=f.size if f.size_exact else None,
                         sha256=f.sha256, md5=f.md5, resolver="manifest", path=f.rel_path,
                         ref={"manifest": path}) for f in files]

    async def _resolve(self, row: TaskRow) -> tuple[Resolved, Any]:
        link = row.real_link or row.link
        if not link.startswith(("http://", "https://")) and Path(link).is_file():
            items = await self._resolve_manifest(link)
            return self._pick(row, items), None
        try:
            from .. import resolve as resolving
        except ImportError:
            resolving = None
        if resolving is None:
            if not link.startswith(("http://", "https://")):
                raise UnsupportedLink()
            return Resolved([Mirror(link)], filename=row.filename), None
        ctx = await self._context()
        text = link
        if row.password and row.password not in link:
            text = f"{link} 提取码: {row.password}"
        items = await resolving.resolve_links(text, ctx)
        pick = self._pick(row, items)
        return pick, resolving.make_refresher(pick, ctx)

    def _pick(self, row: TaskRow, items: list[Resolved]) -> Resolved:
        """This task's file among what the link gives; the other files become new tasks."""
        if not items:
            raise NotFound("Nothing to download behind this link")
        key = lambda r: r.path or r.filename or ""  # noqa: E731
        if row.rpath:   # one file of a folder share / repo
            pick = next((r for r in items if key(r) == row.rpath), None)
            if pick is None and len(items) == 1:
                pick = items[0]      # a new link given for just this file
            if pick is None:
                raise NotFound(f"{row.rpath} is no longer behind this link")
        else:
            pick = items[0]
            if len(items) > 1:
                self._add_siblings(row, items[1:])
                self._set(row, kind=None, rpath=key(pick) or None)
        self._set(row, kind=None, resolver=pick.resolver, ref=json.dumps(clean_ref(pick.ref), default=str),
                  size=pick.size if pick.size is not None else row.size,
                  sha256=row.sha256 or pick.sha256, md5=row.md5 or pick.md5)
        return pick

    def _add_siblings(self, row: TaskRow, items: list[Resolved]) -> None:
        """A folder share or a repo gives several files: one task each, placed
        right after the task of the link."""
        new = []
        step = 1.0 / (len(items) + 1) / 1024
        for i, r in enumerate(items, 1):
            new.append(TaskRow(
                link=row.link, real_link=row.real_link, password=row.password, dest_dir=row.dest_dir,
                priority=row.priority, position=row.position + i * step, connections=row.connections,
                speed_limit=row.speed_limit, host=row.host, rpath=r.path or r.filename,
                size=r.size, sha256=r.sha256, md5=r.md5, resolver=r.resolver,
                handoff_to=row.handoff_to, time_limit=row.time_limit, state="queued"))
        self.store.insert(new)
        for t in new:
            self.rows[t.id] = t
            self.live[t.id] = _Live()
            self._emit("added", t.id)
        self._kick()

    def _on_progress(self, row: TaskRow, live: _Live, p: Any) -> None:
        if row.id not in self.rows or live.stopping:
            return
        live.speed, live.eta, live.progress = p.speed, p.eta, p
        if p.message:
            live.message = p.message
        if p.total is not None or p.done:   # a failed probe reports 0 of unknown
            row.done = p.done
        if p.total is not None:
            row.size = p.total
        changes: dict[str, Any] = {}
        if p.path and p.path != row.path:
            # committed before any byte is written: after a crash the task knows its file
            changes.update(path=p.path, name=Path(p.path).name, size=row.size, done=row.done)
        if p.mirrors:
            src = json.dumps(list(p.mirrors))
            if src != row.sources:
                changes["sources"] = src
        state = ENGINE_STATE.get(p.state)
        if state and state != row.state:
            changes["state"] = state
        if changes:
            try:
                self._set(row, kind="changed" if ("state" in changes or "path" in changes) else None,
                          _progress=p, **changes)
            except QueueDbError as e:      # called by the engine: stop here, not in its listener
                self._storage_failed(e)
                return
            live.unsaved = False
        else:
            live.unsaved = True
        live.dirty = True

    async def _finished(self, row: TaskRow, live: _Live, path: Path) -> None:
        if live.dirty:   # the last progress goes out before "finished", never after it
            live.dirty = False
            self._emit("progress", row.id, live.progress)
        try:
            size = path.stat().st_size
        except OSError:
            size = row.size or 0
        if row.reserved_path != str(path):
            # the file got another name at the last moment: the task owns that one now
            if not self._claim(row, path):
                self.store.release_name(row.id)
                row.reserved_path = None
        self._set(row, kind=None, state="done", path=str(path), name=path.name, size=size, done=size,
                  error=None, finished=self.clock(), attempts=0, next_retry=None)
        log.info("task %d done: %s", row.id, path.name)
        self._emit("finished", row.id)
        if row.handoff_to:
            await self._handoff(row)

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
            self._set(row, error="Downloaded, but not placed: no HeyGem / Wav2Lip install is set in Settings")
            return
        try:
            from ..heygem.handoff import handoff_file
            res = await asyncio.to_thread(handoff_file, row.path, install,
                                          expected_sha256=row.sha256, expected_size=row.size,
                                          source=row.link)
        except ZhilianError as e:
            self._set(row, error=f"Downloaded, but not placed in {install}: {e}")
            return
        except Exception as e:
            log.exception("hand-off of task %d failed", row.id)
            self._set(row, error=f"Downloaded, but not placed in {install}: {e or 'unexpected error'}")
            return
        self._set(row, kind=None, state="handed_off", path=str(res.path), error=None)
        self.store.release_name(row.id)    # the file moved into the install: its name is free
        row.reserved_path = None
        self._emit("finished", row.id)

    # -- progress events: throttled and coalesced ---------------------------------------
    async def _progress_loop(self) -> None:
        last_persist = time.monotonic()
        while True:
            await asyncio.sleep(PROGRESS_INTERVAL)
            self.flush_progress()
            if time.monotonic() - last_persist >= PERSIST_INTERVAL:
                last_persist = time.monotonic()
                self._persist_progress()

    def flush_progress(self) -> int:
        """Sends one "progress" event per task that changed since the last flush
        (the latest values only). Returns how many were sent."""
        n = 0
        for tid, live in list(self.live.items()):
            if live.dirty and tid in self.rows:
                live.dirty = False
                n += 1
                self._emit("progress", tid, live.progress)
        return n

    def _persist_progress(self) -> None:
        rows = []
        for tid, live in self.live.items():
            if live.unsaved and tid in self.rows:
                live.unsaved = False
                r = self.rows[tid]
                rows.append((tid, {"done": r.done, "size": r.size}))
        try:
            self.store.update_many(rows)
        except QueueDbError as e:
            self._storage_failed(e)
        except Exception:
            log.exception("could not save progress")

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

    # -- control ----------------------------------------------------------------------
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
        row = self._row(task_id)
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
            self._set(row, state="paused", error=None, next_retry=None)

    async def cancel(self, task_id: int) -> None:
        """Stops a task for good (until Retry): state failed, "Stopped by the user".
        Its partial download is kept, so Retry continues; Remove deletes it."""
        row = self._row(task_id)
        if row.state in FINAL_STATES:
            raise QueueError(f"Task {task_id} is already finished")
        live = self.live.get(task_id)
        if live and task_id in self.running:
            live.stopping = True
        self._set(row, kind="failed", state="failed", error=Cancelled().message, next_retry=None)
        await self._stop(task_id)
        self._kick()

    async def resume(self, task_id: int) -> None:
        row = self._row(task_id)
        if row.state in ("paused", "failed"):
            if row.real_link is None:
                raise QueueError("The full link of this task was not saved: use Replace link and paste it again")
            self._set(row, state="queued", error=None, attempts=0, next_retry=None)
        elif row.state == "queued" and row.next_retry:
            self._set(row, next_retry=None)
        self._kick()

    async def retry(self, task_id: int) -> None:
        row = self._row(task_id)
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
                self._set(r, state="queued", error=None, attempts=0, next_retry=None)
        self._kick()

    async def remove(self, task_id: int, delete_file: bool = False) -> None:
        row = self._row(task_id)
        await self._stop(task_id)
        self.store.delete(task_id)
        view = make_view(row, self.live.get(task_id))
        del self.rows[task_id]
        self.live.pop(task_id, None)
        try:
            if delete_file:
                for p in task_files(row):
                    p.unlink(missing_ok=True)
            else:
                tidy(row, removed=True)
        except OSError as e:
            log.warning("could not delete the files of task %d: %s", task_id, e)
        ev = Event("removed", task_id, view)
        for cb in list(self._subs):
            try:
                cb(ev)
            except Exception:
                log.exception("queue event listener failed")
        self._kick()

    async def move(self, task_id: int, before_id: int | None = None, priority: int | None = None) -> None:
        """Put a task before another one (taking its priority), or give it a priority."""
        row = self._row(task_id)
        if before_id is None and priority is None:
            raise QueueError("move needs before_id or priority")
        if before_id is not None:
            if before_id == task_id:
                return
            b = self._row(before_id)
            prev = [r.position for r in self.rows.values()
                    if r.priority == b.priority and r.position < b.position and r.id != task_id]
            pos = (max(prev) + b.position) / 2 if prev else b.position - 1
            self._set(row, priority=b.priority, position=pos)
        else:
            self._set(row, priority=int(priority or 0))
        self._kick()

    async def replace_link(self, task_id: int, new_link_text: str) -> None:
        """A fresh link for the same file; the download goes on from the same .part."""
        row = self._row(task_id)
        if row.state in FINAL_STATES:
            raise QueueError(f"Task {task_id} is already finished")
        links = parse_text(new_link_text)
        if len(links) != 1:
            raise QueueError("Paste exactly one link for this task" if links else "No link found in the pasted text")
        url, code = links[0]
        await self._stop(task_id)
        self._set(row, kind=None, real_link=url, password=code or row.password, host=host_of(url),
                  resolver=None, ref=None)
        row.link, row.link_signed = display_link(url), int(is_signed(url))
        self._set(row, state="queued", error=None, attempts=0, next_retry=None)
        self._kick()

    def set_global_limit(self, bps: float) -> None:
        self.settings.global_limit = int(max(0, bps))
        if self.engine is not None:
            self.engine.set_global_limit(self.settings.global_limit)

    async def set_task_limit(self, task_id: int, bps: float) -> None:
        row = self._row(task_id)
        self._set(row, speed_limit=int(max(0, bps)))
        live = self.live.get(task_id)
        if live and live.dl is not None:
            live.dl.set_limit(row.speed_limit)

    async def set_connections(self, task_id: int, n: int | None) -> None:
        if n is not None and not 1 <= int(n) <= 64:
            raise QueueError("Connections must be from 1 to 64")
        row = self._row(task_id)
        self._set(row, connections=int(n) if n else None)
        live = self.live.get(task_id)
        if live and live.dl is not None:
            live.dl.set_connections(int(n) if n else (self.settings.connections or 16))

    async def set_time_limit(self, task_id: int, seconds: float | None) -> None:
        """Takes effect the next time the task starts."""
        self._set(self._row(task_id), time_limit=float(seconds) if seconds else None)

    async def apply_settings(self, settings: Settings) -> None:
        """New settings from the GUI: limits and caps change at once."""
        old = self.settings
        self.settings = settings
        if self.engine is not None:
            if settings.global_limit != old.global_limit:
                self.engine.set_global_limit(settings.global_limit)
            self.engine.set_per_host(settings.host_connections)
        self._kick()


def _outcome(error: BaseException) -> dict[str, Any]:
    """The error_kind / error_params columns for an exception that ended an attempt."""
    kind, params = outcome_of(error)
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


def parse_text(text: str) -> list[tuple[str, str | None]]:
    """(url, extraction code) for each link in pasted text; a path to a local
    manifest file is taken as it is."""
    text = (text or "").strip()
    try:
        from ..linkparse import parse_links
        links = [(ln.url, ln.password) for ln in parse_links(text)]
    except ImportError:  # pragma: no cover - the parser is part of the product
        links = [(w, None) for w in text.split() if w.startswith(("http://", "https://"))]
    if not links and text and "\n" not in text and Path(text).expanduser().is_file():
        links = [(str(Path(text).expanduser().resolve()), None)]
    return links
