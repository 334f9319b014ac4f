"""Segmented download engine (API fixed; implementation in progress).

    async with Engine(global_limit=0, per_host=16) as eng:
        dl = eng.download([Mirror(url)], Path("dir"), DownloadOptions(sha256=...),
                          on_progress=cb, refresh=None)
        path = await dl.run()      # final file, verified; raises ZhilianError subclasses
        # dl.set_limit(bps), dl.cancel() -> run() raises Cancelled, .part + journal kept

Progress events are ``Progress`` dataclasses, delivered to ``on_progress`` on the
engine's loop at most ~4 times a second plus on every state change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .models import Mirror, Refresher, Resolved


@dataclass
class DownloadOptions:
    connections: int | None = None   # None -> default (16 for direct links, or the resolver's max)
    sha256: str | None = None
    md5: str | None = None
    size: int | None = None          # expected size, when known in advance
    limit: float = 0                 # bytes/s for this download, 0 = unlimited
    filename: str | None = None      # target name (-o); else from Content-Disposition / URL
    headers: dict[str, str] = field(default_factory=dict)  # extra headers for every mirror
    min_split: int = 1 << 20         # never split a range below this


@dataclass
class ConnInfo:
    start: int
    pos: int
    end: int
    mirror: int      # index into the mirror list
    speed: float     # bytes/s


@dataclass
class Progress:
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


class Engine:  # implementation follows
    def __init__(self, *, global_limit: float = 0, per_host: int = 16,
                 user_agent: str | None = None, proxy: str | None = None):
        raise NotImplementedError

    def download(self, source: list[Mirror] | Resolved, dest_dir: Path,
                 options: DownloadOptions | None = None, *,
                 on_progress: Callable[[Progress], None] | None = None,
                 refresh: Refresher | None = None) -> "Download":
        raise NotImplementedError


class Download:
    async def run(self) -> Path:
        raise NotImplementedError
