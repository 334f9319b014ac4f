"""Token-bucket speed limits, changeable while running. A download consumes
from its own bucket and from the engine's global one."""

from __future__ import annotations

import asyncio
import time


class TokenBucket:
    """Bytes are granted in order: each grant gets a place in the bucket's queue
    (``take``), and its owner waits until the bucket's allowance, which grows at the
    current rate, has reached that place (``wait``).  Waiters look again at least
    every 0.25 s, so a rate lowered while they wait slows them down at once instead of
    letting grants made at the old rate run on (no overshoot after a change)."""

    def __init__(self, rate: float = 0.0, burst_seconds: float = 0.25):
        self._rate = float(rate or 0)
        self._burst = burst_seconds
        self._granted = 0.0      # bytes handed out so far
        self._allowed = 0.0      # bytes the rate has allowed so far
        self._stamp = time.monotonic()

    @property
    def rate(self) -> float:
        return self._rate

    def set_rate(self, rate: float) -> None:
        self._advance()
        self._rate = float(rate or 0)
        if self._rate <= 0:
            self._allowed = self._granted
        else:
            self._allowed = min(self._allowed, self._granted + self._rate * self._burst)

    def _advance(self) -> None:
        now = time.monotonic()
        if self._rate > 0:
            # unused allowance is kept only up to a short burst
            self._allowed = min(self._allowed + (now - self._stamp) * self._rate,
                                max(self._allowed, self._granted + self._rate * self._burst))
        self._stamp = now

    def take(self, n: int) -> float:
        """A place in the queue for n bytes."""
        self._advance()
        if self._rate <= 0:
            self._granted += n
            self._allowed = max(self._allowed, self._granted)
        else:
            self._granted += n
        return self._granted

    def wait(self, place: float) -> float:
        """Seconds until the bytes up to ``place`` are allowed (0 = go)."""
        self._advance()
        if self._rate <= 0 or self._allowed >= place:
            return 0.0
        return (place - self._allowed) / self._rate


async def throttle(n: int, *buckets: TokenBucket) -> None:
    places = [(b, b.take(n)) for b in buckets if b.rate > 0]
    while places:
        delay = max(b.wait(p) for b, p in places)
        if delay <= 0:
            return
        await asyncio.sleep(min(delay, 0.25))


def parse_rate(text: str | None) -> float:
    """'2M' -> 2097152, '500K' -> 512000, '1.5MB' -> ..., '0' -> 0 (unlimited)."""
    if not text:
        return 0.0
    t = text.strip().upper().removesuffix("/S").removesuffix("B").removesuffix("I")
    mult = 1
    for suffix, m in (("K", 1024), ("M", 1024 ** 2), ("G", 1024 ** 3)):
        if t.endswith(suffix):
            t, mult = t[:-1], m
            break
    try:
        v = float(t) * mult
    except ValueError:
        raise ValueError(f"not a speed: {text!r} (use e.g. 500K, 2M)") from None
    if v < 0:
        raise ValueError(f"not a speed: {text!r}")
    return v
