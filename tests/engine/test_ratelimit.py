"""The token bucket's arithmetic on a hand-moved clock (no sleeping, no timing)."""

import asyncio

import pytest

from core import ratelimit
from core.ratelimit import TokenBucket, parse_rate, throttle


class FakeTime:
    def __init__(self):
        self.now = 1000.0

    def monotonic(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    ft = FakeTime()
    monkeypatch.setattr(ratelimit.time, "monotonic", ft.monotonic)
    return ft


def test_grants_queue_up_at_the_rate(clock):
    b = TokenBucket(1000)
    assert b.wait(b.take(500)) == pytest.approx(0.5)
    assert b.wait(b.take(500)) == pytest.approx(1.0)   # behind the first grant
    clock.now += 1.0
    assert b.wait(b.take(0)) == 0


def test_idle_time_gives_only_a_short_burst(clock):
    b = TokenBucket(1000, burst_seconds=0.25)
    clock.now += 60                                   # a minute idle
    assert b.wait(b.take(250)) == 0                   # the burst
    assert b.wait(b.take(1000)) == pytest.approx(1.0)


def test_lowering_the_rate_slows_grants_already_waiting(clock):
    b = TokenBucket(1000)
    place = b.take(1000)
    assert b.wait(place) == pytest.approx(1.0)
    clock.now += 0.5                                  # half of it allowed at the old rate
    b.set_rate(250)
    assert b.wait(place) == pytest.approx(2.0)        # the other 500 bytes at 250 B/s


def test_raising_or_removing_the_limit_releases_waiters(clock):
    b = TokenBucket(100)
    place = b.take(1000)
    b.set_rate(10_000)
    assert b.wait(place) == pytest.approx(0.1)
    b.set_rate(0)
    assert b.wait(place) == 0 and b.wait(b.take(10 ** 9)) == 0


def test_throttle_honours_the_slowest_bucket(clock, monkeypatch):
    slept = []

    async def fake_sleep(d):
        slept.append(d)
        clock.now += d
    monkeypatch.setattr(ratelimit.asyncio, "sleep", fake_sleep)
    own, shared = TokenBucket(1000), TokenBucket(500)
    asyncio.run(throttle(500, own, shared))
    assert sum(slept) == pytest.approx(1.0)           # 500 bytes at the shared 500 B/s
    assert max(slept) <= 0.25                          # waiters look again at least every 0.25 s


def test_parse_rate():
    assert parse_rate("2M") == 2 * 1024 ** 2 and parse_rate("500K") == 500 * 1024
    assert parse_rate("1.5MiB") == 1.5 * 1024 ** 2 and parse_rate("0") == 0 and parse_rate(None) == 0
    with pytest.raises(ValueError):
        parse_rate("fast")
