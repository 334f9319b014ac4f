"""Admission: which queued tasks may start now.

A pure function of the task rows, the settings, the tasks already running and
the current time — no database, no engine, no event loop — so every rule is
tested directly (tests/queue/test_queue_parts.py):

- at most ``max_active`` downloads at once;
- at most ``per_host`` from one host (the host of the pasted link; a task with
  no host is not capped);
- higher priority first, then the order added (FIFO), then the id;
- a task waiting for its automatic retry starts when its time has come; the
  earliest such time among the tasks looked at is returned, so the queue knows
  when to look again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Collection, Mapping

from ..settings import Settings
from .store import TaskRow
from .tasks import queue_order


@dataclass(frozen=True)
class Admission:
    start: list[int] = field(default_factory=list)   # task ids to start now, in this order
    wake_at: float | None = None   # the earliest retry time still to come, None when none waits
    full: bool = False             # no free slot: nothing was looked at (wake_at says nothing)


def admit(rows: Mapping[int, TaskRow], running: Collection[int], settings: Settings, now: float) -> Admission:
    """The queued tasks that may start now, given the ones ``running``."""
    free = settings.max_active - len(running)
    if free <= 0:
        return Admission(full=True)
    per_host: dict[str, int] = {}
    for tid in running:
        h = rows[tid].host if tid in rows else ""
        per_host[h] = per_host.get(h, 0) + 1
    start: list[int] = []
    wake_at: float | None = None
    queued = [r for r in rows.values() if r.state == "queued" and r.id not in running]
    for r in sorted(queued, key=queue_order):
        if r.next_retry and r.next_retry > now:
            wake_at = r.next_retry if wake_at is None else min(wake_at, r.next_retry)
            continue
        if r.host and per_host.get(r.host, 0) >= settings.per_host:
            continue
        per_host[r.host] = per_host.get(r.host, 0) + 1
        start.append(r.id)
        free -= 1
        if free <= 0:
            break
    return Admission(start, wake_at)
