"""Value types that travel between parser, resolvers, engine, queue and GUI."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Awaitable, Callable


class State(StrEnum):
    """Where a task is. A ``StrEnum``: it equals its stored text (``State.DONE == "done"``)."""
    QUEUED = "queued"
    RESOLVING = "resolving"
    DOWNLOADING = "downloading"
    PAUSED = "paused"
    VERIFYING = "verifying"
    DONE = "done"
    FAILED = "failed"
    HANDED_OFF = "handed_off"


@dataclass
class Link:
    """What the user pasted, after parsing: one URL and its extraction code."""
    url: str
    password: str | None = None


@dataclass
class Mirror:
    """One place a file can be fetched from, with the headers the host demands."""
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    priority: int = 1              # lower = preferred (manifest / metalink order)
    expires_at: float | None = None  # unix time after which the URL stops working
    region: str | None = None
    max_connections: int | None = None  # host's safe connection count for this mirror


@dataclass
class Resolved:
    """One downloadable file, produced by a resolver (or directly for a plain URL)."""
    mirrors: list[Mirror]
    filename: str | None = None
    size: int | None = None
    sha256: str | None = None
    md5: str | None = None
    expires_at: float | None = None
    max_connections: int | None = None
    resolver: str = "direct"        # registry name of the resolver that made this
    ref: dict[str, Any] = field(default_factory=dict)  # what the resolver needs for refresh()
    path: str | None = None         # path inside a folder share / repo (for picking)


# A coroutine function the engine calls when a mirror's URL expired; returns
# fresh mirrors for the same file or raises LinkExpired.
Refresher = Callable[[], Awaitable[list[Mirror]]]
