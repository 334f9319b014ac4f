"""What a caller gives a download (``DownloadOptions``) and what it hears back
(``Progress``, ``ConnInfo``): plain values, shared by every module of the engine."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

DEFAULT_CONNECTIONS = 16
MAX_CONNECTIONS = 64
GIVE_UP_AFTER = 60.0     # seconds without a byte from any source (while attempts fail) -> NoProgress


def _give_up_default() -> float:
    """GIVE_UP_AFTER, or ZHILIAN_GIVE_UP_AFTER (seconds) from the environment: a knob for
    tests and for users on links that pause for long."""
    try:
        v = float(os.environ.get("ZHILIAN_GIVE_UP_AFTER", ""))
        return v if v > 0 else GIVE_UP_AFTER
    except ValueError:
        return GIVE_UP_AFTER


@dataclass
class DownloadOptions:
    """How one download runs: connections, checksums, limits, name, timeouts and the
    hooks of its caller (the queue, `get`)."""
    connections: int | None = None   # None -> default (16 for direct links, or the resolver's max)
    sha256: str | None = None
    md5: str | None = None
    size: int | None = None          # expected size, when known in advance
    limit: float = 0                 # bytes/s for this download, 0 = unlimited
    filename: str | None = None      # target name (-o); else from Content-Disposition / URL
    headers: dict[str, str] = field(default_factory=dict)  # extra headers for every mirror
    min_split: int = 1 << 20         # never split a range below this
    stall_timeout: float = 20.0      # no byte for this long -> the range goes back to the pool
    journal_interval: float = 1.0    # seconds between journal writes
    sync: bool = True                # fdatasync the .part before each journal write
    max_retries: int = 8             # failures in a row (no progress) before a mirror is dropped
    # Name ownership: called with each candidate final path before the download may use it
    # (or its .part).  False = another owner (a queue task, another download) holds that
    # name, so the engine moves on to "name (1).ext".  One name per download: a later claim
    # replaces the earlier one.  The engine's own in-process registry is always consulted
    # as well (several links of one `get`).
    claim: Callable[[Path], bool] | None = None
    # No byte from any source for this long (refused, reset, wrong ranges, short bodies, no
    # answer, busy): the download fails with NoProgress, keeping its .part and journal.
    # Also bounds the probe. Back-off between retries is at most a quarter of it.
    give_up_after: float = field(default_factory=_give_up_default)


@dataclass
class ConnInfo:
    """One running connection in a progress report: its range and speed."""
    start: int
    pos: int
    end: int
    mirror: int      # index into the mirror list
    speed: float     # bytes/s


@dataclass
class Progress:
    """A download's progress report: state, bytes, speed, connections, name, notices."""
    state: str                       # probing, downloading, verifying, done, failed, paused
    total: int | None = None
    done: int = 0
    speed: float = 0.0
    eta: float | None = None
    connections: list[ConnInfo] = field(default_factory=list)
    done_ranges: list[tuple[int, int]] = field(default_factory=list)
    filename: str | None = None
    path: str | None = None          # final path (known once the name is chosen)
    message: str | None = None       # notices: "restarted from zero: ...", "link refreshed"
    error: str | None = None
    mirrors: list[str] = field(default_factory=list)  # redacted mirror URLs
    resumed_from: int = 0            # bytes already on disk when this run started
