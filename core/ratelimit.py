"""Token-bucket speed limits, changeable while running. A download consumes
from its own bucket and from the engine's global one."""

from __future__ import annotations

import asyncio
import time


class TokenBucket:
    def __init__(self, rate: float = 0.0, burst_seconds: float = 0.25):
        self._rate = float(rate or 0)
        self._burst = burst_seconds
        self._tokens = 0.0
        self._stamp = time.monotonic()

    @property
    def rate(self) -> float:
        return self._rate

    def set_rate(self, rate: float) -> None:
        self._refill()
        self._rate = float(rate or 0)
        self._tokens = min(self._tokens, self._rate * self._burst)

    def _refill(self) -> None:
        now = time.monotonic()
        if self._rate > 0:
            self._tokens = min(self._rate * self._burst, self._tokens + (now - self._stamp) * self._rate)
        self._stamp = now

    def delay_for(self, n: int) -> float:
        """Take n bytes' worth of tokens (going into debt) and say how long to wait."""
        if self._rate <= 0:
            return 0.0
        self._refill()
        self._tokens -= n
        return -self._tokens / self._rate if self._tokens < 0 else 0.0


async def throttle(n: int, *buckets: TokenBucket) -> None:
    delay = 0.0
    for b in buckets:
        delay = max(delay, b.delay_for(n))
    if delay > 0:
        await asyncio.sleep(delay)


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
