"""Retry policy: after a failed attempt, when to try again — or to give up.

A pure function of the error, the automatic attempts so far, the current time
and the settings (``max_retries``, ``retry_delay``):

- only errors the host may get over are retried (``ZhilianError.retryable``:
  HTTP 5xx, busy, quota, connection failures); anything else gives up at once
  (not found, wrong extraction code, checksum mismatch, disk full, a time
  limit, an unexpected error);
- after ``retry_delay`` seconds, doubling each time, at most ``MAX_RETRY_DELAY``;
  a host's own "retry after" (quota, throttling) is taken as it is;
- at most ``max_retries`` automatic retries; the next failure gives up.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import QuotaExceeded, Throttled, ZhilianError

MAX_RETRY_DELAY = 3600.0


@dataclass(frozen=True)
class RetryDecision:
    attempts: int                  # automatic attempts so far, this failure counted
    retry_at: float | None = None  # when to try again; None: give up (the task fails)
    delay: float = 0.0             # seconds from now until retry_at

    @property
    def gives_up(self) -> bool:
        return self.retry_at is None


def decide(error: BaseException, attempts: int, now: float, *, max_retries: int,
           retry_delay: float) -> RetryDecision:
    """What to do after ``error`` ended an attempt (``attempts``: the automatic
    attempts made before this one)."""
    attempts += 1
    if not (isinstance(error, ZhilianError) and error.retryable) or attempts > max_retries:
        return RetryDecision(attempts)
    wait = getattr(error, "retry_after", None) if isinstance(error, (QuotaExceeded, Throttled)) else None
    delay = wait if wait else min(MAX_RETRY_DELAY, retry_delay * 2 ** (attempts - 1))
    return RetryDecision(attempts, now + delay, delay)
