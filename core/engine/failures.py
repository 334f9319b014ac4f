"""What a download does when a request fails, decided from the failure and the state of
its mirrors (so each decision can be checked without a server):

- busy (429/503/509): that mirror is capped below what it has open and rests for the
  Retry-After; when no other mirror is left, the download also runs one connection fewer
  and opens none before the Retry-After (``Budget``);
- the link expired: a fresh one is asked for;
- a mirror that cannot deliver (not found, denied, a page instead of the file): dropped;
- refused or unreachable: one connection fewer, then as a transient failure;
- transient (no answer, reset, 5xx, a short body, a wrong range): tried again after a
  back-off; after max_retries failures in a row the mirror is dropped while another one
  lives, the last one is tried until give_up_after passes without a byte (NoProgress);
- the server ignored Range, the file changed, anything else: it ends the download (the
  supervisor restarts from zero or fails).

And when the download gives up: no byte from any mirror for give_up_after seconds
(``check``), or no mirror left that could deliver what is missing (``all_gone``).

The supervisor (download.py) carries a ``Verdict`` out: it waits, refreshes the link or
raises."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable

from .. import wire
from ..errors import NoProgress, NoUsableSource, ProtocolError, ServerFileChanged, ZhilianError
from ..redact import redact_url
from .mirrors import MirrorPool, MirrorState
from .options import DownloadOptions
from .probe import Busy, Expired, LogFn, MirrorDead, RangeIgnored, Retry, reason, refused_for_good

#: failures worth another try on the same mirror
TRANSIENT = (wire.ClientError, TimeoutError, Retry, ProtocolError, ConnectionError)

RECOVER_AFTER = 10.0   # seconds without a busy or refused answer before one more connection


class Budget:
    """How many connections a download runs: ``max`` (asked for), ``target`` (what the
    hosts take now: lowered by a busy or refused answer, one more every RECOVER_AFTER
    seconds without another), and ``until``: no new connection before this time (a
    Retry-After when no other mirror is left)."""

    def __init__(self, n: int):
        self.max = self.target = n
        self.last_busy = 0.0
        self.until = 0.0

    def set(self, n: int) -> None:
        self.max = self.target = n

    def busy(self, now: float, running: int, retry_after: float) -> None:
        """A busy answer from the only mirror left, with ``running`` connections open."""
        self.last_busy = now
        self.target = max(1, min(self.target, running) - 1)
        self.until = now + retry_after

    def refused(self, now: float, running: int) -> None:
        """A connection refused or a host unreachable, with ``running`` connections open."""
        self.target = max(1, running - 1)
        self.last_busy = now

    def recover(self, now: float) -> None:
        if self.target < self.max and now - self.last_busy > RECOVER_AFTER:
            self.target += 1
            self.last_busy = now


@dataclass(frozen=True)
class Verdict:
    """What the supervisor does about a failure: ``fatal``: raise it (the download ends or
    restarts); ``refresh``: ask for a fresh link; ``wait``: seconds to back off before the
    connection tries again (None: go on at once)."""
    fatal: bool = False
    refresh: bool = False
    wait: float | None = None


FATAL, REFRESH, GO_ON = Verdict(fatal=True), Verdict(refresh=True), Verdict()


def _uniform(a: float, b: float) -> float:
    import random  # here: a download that never waits to retry does without it
    return random.uniform(a, b)


class Failures:
    """The failure policy of one download over its ``mirrors`` and connection ``budget``;
    ``note`` tells the user a decision (Download._note), ``log`` records one. ``why``: the
    last failure in words, for the give-up message."""

    def __init__(self, mirrors: MirrorPool, budget: Budget, opts: DownloadOptions, *,
                 log: LogFn, note: Callable[[str], None],
                 uniform: Callable[[float, float], float] | None = None):
        self.mirrors, self.budget, self.opts = mirrors, budget, opts
        self.log, self.note, self.uniform = log, note, uniform or _uniform
        self.why: str | None = None
        self._got, self._heard = -1, 0.0   # bytes received when last checked, and when they changed

    def judge(self, e: BaseException, ms: MirrorState, *, now: float, running: int,
              attempt: int) -> Verdict:
        """``e`` ended a fetch from ``ms`` (``attempt``: the failures in a row of that
        connection before this one) while ``running`` connections were open."""
        if not isinstance(e, Expired):
            self.why = reason(e.err if isinstance(e, MirrorDead) else e)
        if isinstance(e, Busy):
            ms.busy(now, e.retry_after)
            if len(self.mirrors.alive()) <= 1:
                self.budget.busy(now, running, e.retry_after)
            self.note(f"server busy: fewer connections to {ms.host} ({ms.cap}), "
                      f"retry in {e.retry_after:.0f}s")
            return GO_ON
        if isinstance(e, Expired):
            self.log(logging.INFO, "link expired (%s): asking for a fresh one", redact_url(ms.mirror.url))
            return REFRESH
        if isinstance(e, RangeIgnored):
            return FATAL
        if isinstance(e, MirrorDead):
            ms.dead, ms.error = True, e.err
            self.note(f"dropped source {ms.host}: {e.err}")
            return GO_ON
        if isinstance(e, ServerFileChanged):
            return FATAL
        if refused_for_good(e):
            ms.dead, ms.error = True, NoUsableSource.unreachable(ms.host, e)
            self.note(f"dropped source {ms.host}: {ms.error}")
            return GO_ON
        if isinstance(e, wire.ConnectError):
            # refused / unreachable: fewer connections, short back-off
            self.budget.refused(now, running)
        if not isinstance(e, TRANSIENT):
            return FATAL
        ms.failures += 1
        # retryable by nature: the .part stays, and a later try (the queue's retry, the
        # same command) resumes
        ms.error = NoProgress(f"{ms.host} keeps failing ({reason(e)}); the .part is kept, "
                              "and trying again resumes", host=ms.host)
        if ms.failures >= self.opts.max_retries and any(
                m is not ms and not m.dead for m in self.mirrors):
            # dropped while other mirrors can take its ranges; the last one is retried
            # with back-off until give_up_after passes without a byte (NoProgress)
            ms.dead = True
            self.note(f"dropped source {ms.host} after {ms.failures} failures")
            return GO_ON
        self.log(logging.INFO, "%s from %s (failure %d of %d): retry after a back-off",
                 e.__class__.__name__ + (f" {e}" if str(e) else ""), redact_url(ms.mirror.url),
                 ms.failures, self.opts.max_retries)
        return Verdict(wait=self.backoff(attempt))

    def backoff(self, attempt: int) -> float:
        """0.25 s doubling with jitter, at most 30 s and at most a quarter of the give-up
        time (so a few tries fit before the download gives up)."""
        base = min(30.0, self.opts.give_up_after / 4, 0.25 * (2 ** attempt))
        return base * self.uniform(0.5, 1.5)

    def watch(self, now: float) -> None:
        """The silence that ends the download counts from ``now`` (see check)."""
        self._got, self._heard = -1, now

    def check(self, now: float, received: int, throttled: bool) -> None:
        """Raises NoProgress when ``received`` (bytes from all mirrors so far) has not
        grown for give_up_after seconds; connections waiting for the download's own speed
        limit (``throttled``) count as progress."""
        if received != self._got or throttled:
            self._got, self._heard = received, now
        elif now - self._heard > self.opts.give_up_after:
            raise self.no_progress(now - self._heard)

    def all_gone(self, running: bool, has_work: Callable[[], bool]) -> bool:
        """Every mirror is gone: nothing runs (``running``: a connection is open) and nothing
        is left to hand out (``has_work``), or no mirror is left to take it (connections
        still running on a dropped mirror are waited for, unless every mirror was dropped
        for good: a page, not found)."""
        if not running and not has_work():
            return True
        if not self.mirrors.all_dead():
            return False
        return not running or not any(ms.error is not None and ms.error.retryable
                                      for ms in self.mirrors)

    def no_progress(self, silent: float) -> ZhilianError:
        """No byte from any mirror for ``silent`` seconds: the download gives up."""
        hosts = ", ".join(dict.fromkeys(ms.host for ms in self.mirrors))
        why = f" (last error: {self.why})" if self.why else ""
        return NoProgress(f"No data from {hosts} for {silent:.0f} s{why}; the .part is kept, "
                          "and trying again resumes", seconds=silent, host=hosts)
