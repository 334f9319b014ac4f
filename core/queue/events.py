"""What the queue tells its listeners (GUI, CLI): ``TaskView`` snapshots and
``Event``s, and the listeners themselves. Progress is coalesced before it gets
here (core/queue/progress.py), so many downloads cannot flood them."""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from typing import Any, Callable, Literal
from urllib.parse import unquote, urlsplit

from ..errors import ErrorKind
from ..models import State

EventKind = Literal["added", "changed", "progress", "finished", "failed", "removed", "fault"]

PROGRESS_INTERVAL = 0.25   # seconds: at most ~4 progress events per task per second

log = logging.getLogger("zhilian.queue")


@dataclass(frozen=True)
class TaskView:
    """A read-only snapshot of one task, safe to hand to another thread."""
    id: int
    link: str                    # as pasted, with any signature masked
    password: str | None
    name: str                    # file name on disk, or the best guess before it is known
    dest_dir: str
    path: str | None             # final path once known
    state: State                 # a StrEnum: compares equal to "queued", "done", ...
    error: str | None            # English, for logs and the CLI; a front end words error_kind

    size: int | None
    done: int
    speed: float
    eta: float | None
    priority: int
    connections: int | None
    limit: int                   # bytes/s for this task, 0 = unlimited
    sha256: str | None
    created: float
    finished: float | None
    host: str
    sources: list[str] = field(default_factory=list)   # redacted mirror URLs
    handoff_to: str | None = None
    md5: str | None = None
    time_limit: float | None = None
    attempts: int = 0
    next_retry: float | None = None
    message: str | None = None   # notices from the engine ("resuming: ...", "link refreshed")
    error_kind: ErrorKind | None = None                  # what kind of error ``error`` is
    error_params: dict[str, Any] = field(default_factory=dict)   # its facts (host, cookies, ...)

    @property
    def progress(self) -> float | None:
        """0..1 when the size is known."""
        return min(1.0, self.done / self.size) if self.size else None


@dataclass(frozen=True)
class Event:
    kind: EventKind
    task_id: int
    task: TaskView | None
    progress: Any = None         # core.engine.Progress for "progress" events
    message: str | None = None   # "fault" (task_id 0): the queue database failed, the queue stopped

    @property
    def state(self) -> str | None:
        return self.task.state if self.task else None


class Listeners:
    """The callbacks the queue's events go to, in the order they subscribed."""

    def __init__(self) -> None:
        self._subs: list[Callable[[Event], None]] = []

    def subscribe(self, callback: Callable[[Event], None]) -> Callable[[], None]:
        self._subs.append(callback)

        def unsubscribe() -> None:
            if callback in self._subs:
                self._subs.remove(callback)
        return unsubscribe

    def send(self, ev: Event) -> None:
        for cb in list(self._subs):
            try:
                cb(ev)
            except Exception:  # a broken listener must not stop the queue
                log.exception("queue event listener failed")


def guess_name(link: str) -> str:
    """The last part of the link's path (cheap: called for every task shown)."""
    if "://" not in link:
        return link.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1] or link
    rest = link.split("://", 1)[1].split("?", 1)[0].split("#", 1)[0].rstrip("/")
    if "/" in rest:
        name = unquote(rest.rsplit("/", 1)[-1])
        if name:
            return name
    try:
        return urlsplit(link).hostname or link
    except ValueError:
        return link


def make_view(row: Any, live: Any | None = None) -> TaskView:
    sources: list[str] = []
    if row.sources and row.sources != "[]":
        try:
            sources = json.loads(row.sources)
        except ValueError:
            pass
    return TaskView(
        id=row.id, link=row.link, password=row.password,
        name=(row.name or (row.reserved_path and os.path.basename(row.reserved_path)) or row.filename
              or (row.rpath and row.rpath.rsplit("/", 1)[-1]) or guess_name(row.link)),
        dest_dir=row.dest_dir, path=row.path, state=_state(row.state), error=row.error, size=row.size,
        done=row.done, speed=live.speed if live else 0.0, eta=live.eta if live else None,
        priority=row.priority, connections=row.connections, limit=row.speed_limit or 0,
        sha256=row.sha256, created=row.created, finished=row.finished, host=row.host,
        sources=list(sources), handoff_to=row.handoff_to, md5=row.md5, time_limit=row.time_limit,
        attempts=row.attempts, next_retry=row.next_retry, message=live.message if live else None,
        error_kind=_kind(row.error_kind), error_params=_params(row.error_params))


def _state(text: str) -> State | str:
    try:
        return State(text)
    except ValueError:      # a state a newer version wrote: shown as it is
        return text


def _kind(text: str | None) -> ErrorKind | None:
    if not text:
        return None
    try:
        return ErrorKind(text)
    except ValueError:      # a kind a newer version wrote
        return ErrorKind.OTHER


def _params(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
