"""The queue's task table: every task's row (as stored) and its run-time state,
the one way tasks join the queue (``register``) and the one way they change
(``set``: the database first, then memory, then the listeners).

Whoever adds tasks — ``QueueService.add``, another process through
``main.py add``, a folder share or repo that turns out to hold several files —
goes through ``register``, so a task is never in memory without being in the
database, never announced twice and always has its run-time state.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable
from urllib.parse import urlsplit

from ..errors import ZhilianError
from .events import Event, Listeners, TaskView, make_view
from .store import ACTIVE_STATES, Store, TaskRow


class QueueError(ZhilianError):
    """A queue operation that cannot be done (unknown task, finished task, ...)."""


@dataclass
class Live:
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


def queue_order(row: TaskRow) -> tuple[int, float, int]:
    """Higher priority first, then the order added (``position``), then the id."""
    return (-row.priority, row.position, row.id)


class TaskTable:
    def __init__(self, listeners: Listeners, store: Store | None = None):
        self.listeners = listeners
        self.store: Store = store  # type: ignore[assignment]    # set when the queue opens its database
        self.rows: dict[int, TaskRow] = {}
        self.live: dict[int, Live] = {}

    # -- joining and leaving ---------------------------------------------------------
    def load(self, rows: Iterable[TaskRow]) -> None:
        """The tasks of the database when the queue opens (no events: nobody listens yet
        to a queue that is not open)."""
        for r in rows:
            self.rows[r.id] = r
            self.live[r.id] = Live()

    def register(self, rows: list[TaskRow], *, stored: bool = False) -> None:
        """New tasks join the queue: written to the database in one transaction
        (unless another process already did, ``stored=True``), then kept in memory
        with their run-time state, each announced as "added"."""
        if not stored:
            self.store.insert(rows)
        for r in rows:
            if r.id in self.rows:
                continue
            self.rows[r.id] = r
            self.live[r.id] = Live()
            self.emit("added", r.id)

    def forget(self, task_id: int) -> tuple[TaskRow, TaskView]:
        """Deletes a task from the database and memory; returns its row and its last view."""
        row = self.row(task_id)
        self.store.delete(task_id)
        view = make_view(row, self.live.get(task_id))
        del self.rows[task_id]
        self.live.pop(task_id, None)
        return row, view

    # -- reading ------------------------------------------------------------------------
    def row(self, task_id: int) -> TaskRow:
        row = self.rows.get(task_id)
        if row is None:
            raise QueueError(f"No task {task_id} in the queue")
        return row

    def view(self, task_id: int) -> TaskView:
        return make_view(self.row(task_id), self.live.get(task_id))

    def views(self) -> list[TaskView]:
        """All tasks in queue order (priority high->low, then FIFO)."""
        return [make_view(r, self.live.get(r.id)) for r in sorted(self.rows.values(), key=queue_order)]

    def pending(self) -> int:
        """Tasks that still have work to do on their own (queued or running)."""
        return sum(1 for r in self.rows.values() if r.state == "queued" or r.state in ACTIVE_STATES)

    # -- changing -----------------------------------------------------------------------
    def set(self, row: TaskRow, kind: str | None = "changed", *, _progress: Any = None, **values: Any) -> None:
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
            self.emit(kind, row.id, _progress)

    def claim(self, row: TaskRow, path: Path) -> bool:
        """The engine asks before it uses a name (or its .part): one owner per path."""
        if row.id not in self.rows:
            return False
        ok = self.store.claim_name(row.id, path)
        if ok:
            row.reserved_path = self.store.reserved(row.id)
        return ok

    def release_name(self, row: TaskRow) -> None:
        """The task's file name is free for others (the file moved away, or was renamed)."""
        self.store.release_name(row.id)
        row.reserved_path = None

    # -- telling the listeners ------------------------------------------------------------
    def emit(self, kind: str, tid: int, progress: Any = None, message: str | None = None) -> None:
        row = self.rows.get(tid)
        view = make_view(row, self.live.get(tid)) if row else None
        self.listeners.send(Event(kind, tid, view, progress, message))  # type: ignore[arg-type]
