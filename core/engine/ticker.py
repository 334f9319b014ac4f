"""The tick of one download, four times a second while it downloads: the speed
(smoothed), the journal (every journal_interval, after an fdatasync of the .part; the
first new bytes at once when they are few, so a kill in the first second of a slow
download loses nothing), the hash of the finished prefix (so verifying at the end reads
only what came last), and a progress report."""

from __future__ import annotations

import asyncio
import time
from typing import Callable

from .. import journal
from ..ranges import RangeSet
from .options import DownloadOptions
from .partfile import PartFile, datasync

TICK = 0.25   # seconds between ticks
# The first new bytes are journaled at the first tick only up to this much: their fdatasync
# is then cheap. More came in the first tick on a fast link, whose first journal waits for
# journal_interval like every later one (a kill loses at most that much time, as later):
# syncing 100-300 MiB in the first second cost a 512 MiB download at 600 MiB/s a fifth of
# its time (the writeback competes with the writes), and one that ends within the
# interval syncs nothing.
FIRST_JOURNAL_MAX = 16 << 20


def smooth(speed: float, inst: float) -> float:
    """The speed shown after a tick that measured ``inst`` bytes/s (``speed``: the one
    shown before; 0 at the start)."""
    return inst if speed == 0 else 0.7 * speed + 0.3 * inst


class Ticker:
    """``speed``: bytes/s, smoothed. ``describe`` makes the journal's record of the
    finished ranges; ``report`` sends a progress event."""

    def __init__(self, part: PartFile, opts: DownloadOptions, *,
                 describe: Callable[[list[tuple[int, int]]], journal.JournalData],
                 report: Callable[[], None], clock: Callable[[], float] = time.monotonic):
        self.part, self.opts, self.describe, self.report, self.clock = part, opts, describe, report, clock
        self.speed = 0.0
        self._task: asyncio.Task | None = None

    def start(self, resumed_from: int) -> None:
        """Ticks from now on (``run`` in a task) until ``stop``."""
        self._task = asyncio.create_task(self.run(resumed_from))

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            try:
                await task
            except (asyncio.CancelledError, Exception):
                pass

    async def run(self, resumed_from: int) -> None:
        """Ticks until cancelled. ``resumed_from``: the bytes on disk when the run started."""
        f = self.part
        last_j = self.clock()
        journaled = False
        last_done, last_t = f.done.total(), self.clock()
        while True:
            await asyncio.sleep(TICK)
            now = self.clock()
            d = f.done.total()
            self.speed = smooth(self.speed, (d - last_done) / max(1e-6, now - last_t))
            last_done, last_t = d, now
            # the first new bytes are journaled at once (if few), then every journal_interval
            first = not journaled and 0 < d - resumed_from <= FIRST_JOURNAL_MAX
            if first or now - last_j >= self.opts.journal_interval:
                last_j, journaled = now, True
                snap = f.done.as_list()
                epoch = f.epoch
                fd = f.fd
                if self.opts.sync and fd is not None:
                    await asyncio.to_thread(datasync, fd)
                if f.jpath is not None and epoch == f.epoch:  # not across a restart from zero
                    await asyncio.to_thread(f.write_journal, self.describe(snap))
                hasher = f.hasher
                if hasher and fd is not None and epoch == f.epoch:
                    upto = RangeSet(snap).prefix()
                    await asyncio.to_thread(hasher.advance, f.path, upto)
            self.report()
