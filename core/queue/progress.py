"""Progress coalescing: what the engine reports, turned into task values, events
and database writes at a pace listeners and SQLite can take.

- ``report`` takes every engine report: the numbers go into the task (memory) and
  mark it *dirty* (not yet sent) and *unsaved* (not yet written). What must not
  wait is written at once: the file's path (before any byte is written, so a
  crash knows the task's file), the mirrors, a change of state.
- ``flush`` (every ``PROGRESS_INTERVAL``) sends one "progress" event per dirty task,
  with its latest numbers only: a hundred downloads give at most ~400 events a
  second however often the engine reports.
- ``persist`` (every ``PERSIST_INTERVAL``) writes bytes-done of the unsaved tasks
  in one transaction: the engine's journal, not the database, is the truth
  about bytes on disk.
- ``settle`` sends a task's last progress before its "finished": never after it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from pathlib import Path
from typing import Any, Callable

from .events import PROGRESS_INTERVAL
from .store import QueueDbError, TaskRow
from .tasks import Live, TaskTable

log = logging.getLogger("zhilian.queue")

PERSIST_INTERVAL = 2.0    # seconds between writes of bytes-done to the database

ENGINE_STATE = {"probing": "downloading", "downloading": "downloading", "verifying": "verifying"}


class ProgressCoalescer:
    def __init__(self, table: TaskTable, storage_failed: Callable[[QueueDbError], None]):
        self.table = table
        self.storage_failed = storage_failed     # the database cannot be written: the queue stops

    def report(self, row: TaskRow, live: Live, p: Any) -> None:
        """One report of the engine (``core.engine.Progress``) for a running task."""
        if row.id not in self.table.rows or live.stopping:
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
                self.table.set(row, kind="changed" if ("state" in changes or "path" in changes) else None,
                               _progress=p, **changes)
            except QueueDbError as e:      # called by the engine: stop here, not in its listener
                self.storage_failed(e)
                return
            live.unsaved = False
        else:
            live.unsaved = True
        live.dirty = True

    def settle(self, row: TaskRow, live: Live) -> None:
        """The last progress goes out before "finished", never after it."""
        if live.dirty:
            live.dirty = False
            self.table.emit("progress", row.id, live.progress)

    def flush(self) -> int:
        """Sends one "progress" event per task that changed since the last flush
        (the latest values only). Returns how many were sent."""
        n = 0
        rows = self.table.rows
        for tid, live in list(self.table.live.items()):
            if live.dirty and tid in rows:
                live.dirty = False
                n += 1
                self.table.emit("progress", tid, live.progress)
        return n

    def persist(self) -> None:
        """Writes bytes-done of every task whose numbers changed since the last write."""
        rows = []
        for tid, live in self.table.live.items():
            if live.unsaved and tid in self.table.rows:
                live.unsaved = False
                r = self.table.rows[tid]
                rows.append((tid, {"done": r.done, "size": r.size}))
        try:
            self.table.store.update_many(rows)
        except QueueDbError as e:
            self.storage_failed(e)
        except Exception:
            log.exception("could not save progress")

    async def loop(self) -> None:
        last_persist = time.monotonic()
        while True:
            await asyncio.sleep(PROGRESS_INTERVAL)
            self.flush()
            if time.monotonic() - last_persist >= PERSIST_INTERVAL:
                last_persist = time.monotonic()
                self.persist()
