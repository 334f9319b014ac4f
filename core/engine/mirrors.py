"""The mirrors of one download: what each has shown so far (failures, speed of one
connection, round trip, the cap a busy answer taught, back-off), which one a new
connection goes to, and the fresh set after a link refresh."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterator
from urllib.parse import urlsplit

from ..errors import NoUsableSource, ZhilianError
from ..models import Mirror


@dataclass
class MirrorState:
    """One mirror of a download as the engine sees it: its connections, failures, what it
    delivered, the speeds and round trips measured, and whether it was dropped."""
    mirror: Mirror
    active: int = 0
    failures: int = 0
    dead: bool = False
    error: ZhilianError | None = None
    bytes: int = 0
    checked: bool = False     # first answer's size/validator checked
    etag: str | None = None   # this mirror's validator, from its first answer
    conn_speed: float = 0.0   # bytes/s of one connection to it, from finished pieces
    ttfb: float = 0.0         # seconds from a range request to its answer (moving average)
    warm: float = 0.0         # ...asked on a kept-alive connection (a request round trip)
    cold: float = 0.0         # ...asked on a new connection (connect, TLS handshake, request)
    rtt: float = 0.0          # the shortest of them: the round trip itself, without the time
                              # answers waited for a busy event loop (the end game's silences)
    cap: int = 0              # learned from 429/503/509 (0 = no cap learned)
    busy_until: float = 0.0
    last_busy: float = 0.0

    @property
    def host(self) -> str:
        return (urlsplit(self.mirror.url).hostname or "").lower()

    def busy(self, now: float, retry_after: float) -> None:
        """A 429/503/509: the limit belongs to that host: cap this mirror below what it has
        open now, and send it nothing before ``retry_after`` seconds."""
        self.cap = max(1, self.active - 1)
        self.last_busy = now
        self.busy_until = now + retry_after


class MirrorPool:
    """The mirrors in order of priority; ``generation`` counts link refreshes (each one
    replaces them all)."""

    def __init__(self, mirrors: list[Mirror]):
        self.states = self._states(mirrors)
        self.generation = 0

    @staticmethod
    def _states(mirrors: list[Mirror]) -> list[MirrorState]:
        return [MirrorState(m) for m in sorted(mirrors, key=lambda m: m.priority)]

    def __iter__(self) -> Iterator[MirrorState]:
        return iter(self.states)

    def __len__(self) -> int:
        return len(self.states)

    def __getitem__(self, i: int) -> MirrorState:
        return self.states[i]

    def __contains__(self, ms: object) -> bool:
        return ms in self.states

    def index(self, ms: MirrorState) -> int:
        return self.states.index(ms)

    def replace(self, fresh: list[Mirror]) -> None:
        """A refreshed link: the fresh mirrors replace the old ones (a new generation)."""
        self.states = self._states(fresh)
        self.generation += 1

    def received(self) -> int:
        """Bytes received from all mirrors so far."""
        return sum(ms.bytes for ms in self.states)

    def hosts(self) -> set[str]:
        return {ms.host for ms in self.states}

    def alive(self) -> list[MirrorState]:
        return [m for m in self.states if not m.dead]

    def all_dead(self) -> bool:
        return all(ms.dead for ms in self.states)

    def first_alive(self) -> MirrorState:
        return next((m for m in self.states if not m.dead), self.states[0])

    def start_latency(self, mirror: int | None, pooled: Callable[[str], bool]) -> float:
        """Seconds before a range taken now would see its first byte from ``mirror``: a
        request round trip when a kept-alive connection to it is idle (``pooled(url)``),
        else a new connection's (connect, TLS handshake, request). For any mirror (None):
        the least."""
        if mirror is None:
            live = [i for i, ms in enumerate(self.states) if not ms.dead]
            return min((self.start_latency(i, pooled) for i in live), default=0.0)
        ms = self.states[mirror]
        if pooled(ms.mirror.url):
            return ms.warm or ms.ttfb
        return ms.cold or ms.ttfb

    def pick(self, now: float, can_take: Callable[[str], bool]) -> int | None:
        """The mirror a new connection goes to: alive, under its caps and past its back-off,
        with a free slot on its host (``can_take``); the least busy, then the one with the
        fewest failures, then by priority."""
        best, key = None, None
        for i, ms in enumerate(self.states):
            if ms.dead:
                continue
            if ms.mirror.max_connections and ms.active >= ms.mirror.max_connections:
                continue
            if ms.cap and ms.active >= ms.cap:
                continue
            if ms.busy_until > now:
                continue
            if not can_take(ms.host):
                continue
            k = (ms.active, ms.failures, ms.mirror.priority, i)
            if key is None or k < key:
                best, key = i, k
        return best

    def recover_caps(self, now: float) -> None:
        """A cap learned from a busy answer grows back by one every 10 s without another."""
        for ms in self.states:
            if ms.cap and now - ms.last_busy > 10:
                ms.cap += 1
                ms.last_busy = now

    def error(self) -> ZhilianError:
        """Why no mirror can deliver the file."""
        errs = [m.error for m in self.states if m.error]
        if len(self.states) == 1 and errs:
            return errs[0]
        if errs:
            err = NoUsableSource("No mirror could deliver the file: " + "; ".join(dict.fromkeys(map(str, errs))))
            # trying again later helps only when one of the reasons is passing
            err.retryable = any(e.retryable for e in errs)
            return err
        return NoUsableSource("No mirror could deliver the file")
