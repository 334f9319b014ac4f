"""The reaction to a failed fetch (core/engine/failures.py) on real mirror states: no
server, no event loop. Times are seconds on a made-up monotonic clock."""

import random

import pytest

from core import wire
from core.engine.failures import FATAL, GO_ON, RECOVER_AFTER, REFRESH, Budget, Failures
from core.engine.mirrors import MirrorPool
from core.engine.options import DownloadOptions
from core.engine.probe import Busy, Expired, MirrorDead, RangeIgnored, Retry
from core.errors import NoProgress, NotFound, ServerFileChanged
from core.models import Mirror

NOW = 1000.0


def policy(*hosts, conns=8, uniform=random.uniform, give_up_after=60.0, **opts):
    pool = MirrorPool([Mirror(f"https://{h}/f.bin", priority=i) for i, h in enumerate(hosts)])
    budget = Budget(conns)
    notes: list[str] = []
    logs: list[str] = []
    f = Failures(pool, budget, DownloadOptions(give_up_after=give_up_after, **opts), note=notes.append,
                 log=lambda level, msg, *args: logs.append(msg % args), uniform=uniform)
    return pool, budget, f, notes, logs


def test_busy_on_the_last_mirror_lowers_the_target_and_backs_off():
    pool, budget, f, notes, _ = policy("a.example")
    ms = pool[0]
    ms.active = 5
    v = f.judge(Busy(7.0), ms, now=NOW, running=5, attempt=0)
    assert v == GO_ON and not v.fatal and v.wait is None
    assert ms.cap == 4 and ms.busy_until == NOW + 7.0          # the mirror: capped, resting
    assert budget.target == 4 and budget.until == NOW + 7.0    # the download: one fewer, none new
    assert budget.max == 8
    assert notes == ["server busy: fewer connections to a.example (4), retry in 7s"]
    assert f.why == "the server is busy (HTTP 429/503)"
    # a second busy answer with 2 running lowers the target below the running count
    f.judge(Busy(1.0), ms, now=NOW + 1, running=2, attempt=0)
    assert budget.target == 1 and budget.until == NOW + 2
    f.judge(Busy(1.0), ms, now=NOW + 2, running=1, attempt=0)
    assert budget.target == 1                                  # never below one


def test_busy_while_another_mirror_lives_caps_only_that_mirror():
    pool, budget, f, notes, _ = policy("a.example", "b.example")
    pool[0].active = 3
    f.judge(Busy(5.0), pool[0], now=NOW, running=6, attempt=0)
    assert pool[0].cap == 2 and pool[0].busy_until == NOW + 5
    assert budget.target == 8 and budget.until == 0.0
    assert pool.pick(NOW + 1, lambda host: True) == 1          # new connections go to the other one
    pool[1].dead = True                                        # the other one gone: the budget too
    f.judge(Busy(5.0), pool[0], now=NOW, running=6, attempt=0)
    assert budget.target == 5 and budget.until == NOW + 5


def test_the_target_grows_back_one_at_a_time_without_busy_answers():
    budget = Budget(4)
    budget.busy(NOW, running=4, retry_after=1.0)
    assert budget.target == 3
    budget.recover(NOW + RECOVER_AFTER)          # not yet: exactly RECOVER_AFTER
    assert budget.target == 3
    budget.recover(NOW + RECOVER_AFTER + 0.1)
    assert budget.target == 4
    budget.recover(NOW + 100)                    # never above what was asked for
    assert budget.target == 4
    budget.set(2)
    assert (budget.max, budget.target) == (2, 2)


def test_failures_drop_a_mirror_only_while_another_lives():
    pool, _, f, notes, logs = policy("a.example", "b.example", max_retries=3)
    a = pool[0]
    for n in (1, 2):
        v = f.judge(ConnectionResetError(), a, now=NOW, running=4, attempt=n - 1)
        assert v.wait is not None and v.wait > 0 and not v.fatal and not a.dead
        assert a.failures == n
    assert len(logs) == 2 and "failure 2 of 3" in logs[1]
    v = f.judge(TimeoutError(), a, now=NOW, running=4, attempt=2)
    assert v == GO_ON and a.dead and a.failures == 3
    assert notes == ["dropped source a.example after 3 failures"]
    assert isinstance(a.error, NoProgress) and a.error.retryable
    # the last one alive is never dropped for failing: it keeps its back-off
    b = pool[1]
    for n in range(10):
        v = f.judge(Retry("HTTP 502"), b, now=NOW, running=1, attempt=n)
        assert v.wait is not None and not b.dead
    assert b.failures == 10 and f.why == "HTTP 502"


def test_a_refused_connection_lowers_the_target_and_is_retried():
    pool, budget, f, _, _ = policy("a.example")
    budget.target = 6
    v = f.judge(wire.ConnectError("connection refused"), pool[0], now=NOW, running=5, attempt=0)
    assert budget.target == 4 and budget.last_busy == NOW
    assert v.wait is not None and pool[0].failures == 1


def test_a_refused_certificate_drops_the_mirror_at_once():
    """No later try changes a certificate that is not trusted (self-signed, expired, for
    another name): its mirror is dropped, not retried with back-off until the download
    gives up; any other TLS failure (a reset in the handshake) is still retried."""
    pool, budget, f, notes, _ = policy("a.example", "b.example")
    a, b = pool[0], pool[1]
    cert = wire.ConnectError("TLS with a.example failed: [SSL: CERTIFICATE_VERIFY_FAILED]", "certificate")
    assert f.judge(cert, a, now=NOW, running=3, attempt=0) == GO_ON
    assert a.dead and a.failures == 0 and budget.target == 8
    assert str(a.error) == "Cannot reach a.example: its certificate is not trusted"
    assert notes == ["dropped source a.example: Cannot reach a.example: its certificate is not trusted"]
    other = wire.ConnectError("TLS with b.example failed: reset", "tls")
    v = f.judge(other, b, now=NOW, running=2, attempt=0)
    assert v.wait is not None and not b.dead and b.failures == 1


def test_what_ends_the_download_what_drops_a_mirror_what_refreshes():
    pool, _, f, notes, logs = policy("a.example", "b.example")
    a = pool[0]
    assert f.judge(RangeIgnored(), a, now=NOW, running=1, attempt=0) == FATAL
    assert f.judge(ServerFileChanged("changed"), a, now=NOW, running=1, attempt=0) == FATAL
    assert f.judge(ValueError("a bug"), a, now=NOW, running=1, attempt=0) == FATAL
    gone = NotFound("Not found on a.example (HTTP 404)")
    assert f.judge(MirrorDead(gone), a, now=NOW, running=1, attempt=0) == GO_ON
    assert a.dead and a.error is gone and f.why == str(gone)
    assert notes == [f"dropped source a.example: {gone}"]
    assert f.judge(Expired(), pool[1], now=NOW, running=1, attempt=0) == REFRESH
    assert f.why == str(gone)                          # an expired link is not a reason to give up
    assert logs == ["link expired (https://b.example/f.bin): asking for a fresh one"]
    assert a.failures == 0 and pool[1].failures == 0


def test_backoff_doubles_with_jitter_within_its_bounds():
    _, _, f, _, _ = policy("a.example", give_up_after=60.0)
    for attempt in range(12):
        base = min(30.0, 60.0 / 4, 0.25 * 2 ** attempt)
        for _ in range(50):
            assert 0.5 * base <= f.backoff(attempt) <= 1.5 * base
    # the bounds themselves, with the jitter at its ends
    _, _, low, _, _ = policy("a.example", give_up_after=60.0, uniform=lambda a, b: a)
    _, _, high, _, _ = policy("a.example", give_up_after=1000.0, uniform=lambda a, b: b)
    assert [low.backoff(n) for n in range(4)] == [0.125, 0.25, 0.5, 1.0]
    assert low.backoff(20) == 7.5                      # a quarter of give_up_after, halved
    assert high.backoff(20) == 45.0                    # 30 s at most, times 1.5
    _, _, seeded, _, _ = policy("a.example", uniform=random.Random(5).uniform)
    assert seeded.backoff(3) == pytest.approx(2.0 * random.Random(5).uniform(0.5, 1.5))


def test_no_byte_for_give_up_after_ends_the_download():
    pool, _, f, _, _ = policy("a.example", "b.example", give_up_after=30.0)
    f.judge(Retry("HTTP 503"), pool[1], now=NOW, running=1, attempt=0)
    f.watch(NOW)
    f.check(NOW, 100, throttled=False)
    f.check(NOW + 30, 100, throttled=False)            # 30 s: not yet
    f.check(NOW + 40, 100, throttled=True)             # held back by our own limit: progress
    f.check(NOW + 69, 100, throttled=False)
    with pytest.raises(NoProgress) as e:
        f.check(NOW + 71, 100, throttled=False)
    assert e.value.seconds == pytest.approx(31) and e.value.host == "a.example, b.example"
    assert "last error: HTTP 503" in str(e.value)
    f.check(NOW + 72, 101, throttled=False)            # a byte: the silence starts over
    f.check(NOW + 101, 101, throttled=False)


def test_all_gone_waits_for_connections_on_a_mirror_that_may_come_back():
    pool, _, f, _, _ = policy("a.example", "b.example")
    assert not f.all_gone(True, lambda: True)
    assert f.all_gone(False, lambda: False)            # nothing runs, nothing left to hand out
    assert not f.all_gone(False, lambda: True)
    for n in range(8):
        f.judge(ConnectionResetError(), pool[0], now=NOW, running=2, attempt=n)
    assert pool[0].dead
    pool[1].dead, pool[1].error = True, NoProgress("b.example keeps failing", host="b.example")
    assert not f.all_gone(True, lambda: True)          # retryable: its running connections may finish
    assert f.all_gone(False, lambda: True)
    pool[1].error = NotFound("Not found on b.example (HTTP 404)")
    pool[0].error = NotFound("Not found on a.example (HTTP 404)")
    assert f.all_gone(True, lambda: True)              # dropped for good: nothing to wait for
