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
import logging
import re
import time
from pathlib import Path
from typing import Any, Callable

from ..errors import UnsupportedLink, ZhilianError
from ..invocation import command
from .dbfaults import Repaired, explain, repair
from .scheduler import QueueError, Scheduler, _Live, host_of, parse_text
from .settings import Settings, load_settings
from .store import FINAL_STATES, QueueDbError, RunLock, Store, TaskRow
from .store import db_path as default_db_path

log = logging.getLogger("zhilian.queue")

_HEX64 = re.compile(r"^[0-9a-fA-F]{64}$")
_HEX32 = re.compile(r"^[0-9a-fA-F]{32}$")


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


class QueueService(Scheduler):
    def __init__(self, db_path: Path | str | None = None, settings: Settings | None = None, *,
                 context_factory: Callable[[Any], Any] | None = None,
                 clock: Callable[[], float] = time.time, watch_interval: float = 0.5):
        if settings is None:
            settings = load_settings()
            if settings.load_error:
                log.warning("%s", settings.load_error)
        self.db_path = Path(db_path) if db_path else default_db_path()
        self.watch_interval = watch_interval
        self._lock = RunLock(self.db_path)
        super().__init__(None, settings, context_factory=context_factory, clock=clock)  # type: ignore[arg-type]
        self._data_version = 0

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
            self.store = await asyncio.to_thread(Store, self.db_path)
            await self.start_scheduler()
        except BaseException:
            self._lock.release()
            raise
        self._data_version = self.store.data_version()
        self._bg.append(asyncio.get_running_loop().create_task(self._watch_loop(), name="queue-watch"))
        log.info("queue started: %d task(s), %d to do", len(self.rows), self.pending())

    async def close(self) -> None:
        if not self._started or self._closing:
            return
        try:
            await super().close()
        finally:
            self._lock.release()

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
        self.store.insert(new)
        for r in new:
            self.rows[r.id] = r
            self.live[r.id] = _Live()
            self._emit("added", r.id)
        self._kick()
        it = iter(new)
        return [reused[i] if i in reused else next(it).id for i in range(len(rows))]

    def _check_started(self) -> None:
        if not self._started or self._closing:
            raise QueueError("The download queue is not running")

    # -- other processes ---------------------------------------------------------------
    async def _watch_loop(self) -> None:
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
        for r in self.store.load(since_id=known):
            if r.id not in self.rows:
                self.rows[r.id] = r
                self.live[r.id] = _Live()
                self._emit("added", r.id)
        for task_id, action, arg in self.store.take_commands():
            try:
                await self._command(task_id, action, arg)
            except ZhilianError as e:
                log.info("command %s %s: %s", action, task_id, e)
        self._data_version = self.store.data_version()
        self._kick()

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
