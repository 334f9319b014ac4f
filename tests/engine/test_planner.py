"""The segment planner (core/engine/planner.py) driven with plain numbers: no server, no
event loop, no real clock. Times are seconds on a made-up monotonic clock; a mirror is
what the planner reads of one (speed of one connection, request round trip)."""

from types import SimpleNamespace

import pytest

from core.engine.options import DownloadOptions
from core.engine.planner import (
    BURST_GAP,
    FAR_TTFB,
    FAST_STREAM,
    GROWTH_WINDOW,
    RESCUE_MIN,
    SLOW_WINDOWS,
    UNKNOWN_END,
    Planner,
    plan,
)

M = 1 << 20
NOW = 1000.0


def mirror(conn_speed: float = 0.0, ttfb: float = 0.0, rtt: float = 0.0):
    return SimpleNamespace(conn_speed=conn_speed, ttfb=ttfb, rtt=rtt)


def running(p: Planner, segs, mirrors, now=NOW):
    """Ranges that have run 4 s on mirror 0: ``segs`` are (pos, end, speed, seconds since
    their last bytes). Planned and handed out through the planner, then moved forward
    as their connections would. Returns the Segs in the order given."""
    starts = [pos - int(speed * 4) for pos, _end, speed, _ in segs]
    p.plan(sorted((s, end) for s, (_p, end, _sp, _si) in zip(starts, segs)), 1)
    taken = {}
    while p.pool:
        seg = p.take(0, now - 4, mirrors)
        taken[seg.start] = seg
    out = []
    for start, (pos, end, _speed, silent) in zip(starts, segs):
        seg = taken[start]
        assert (seg.pos, seg.end) == (start, end)
        seg.got = pos - start
        seg.pos = pos
        seg.last = now - silent
        out.append(seg)
    return out


def split_policy(segs, idle_mirror_speed, latency=0.0):
    """Where an idle connection on mirror 1 (one connection there gets
    ``idle_mirror_speed``) would cut, as (index into ``segs``, cut)."""
    p = Planner(DownloadOptions().min_split)
    mirrors = [mirror(), mirror(idle_mirror_speed)]
    active = running(p, segs, mirrors)
    found = p.steal_candidate(NOW, mirrors, 1, latency)
    return None if found is None else (active.index(found[0]), found[1])


def test_split_policy_rescue_takeover_and_leaving_alone():
    # 1.5 MiB left at 100 KB/s (15 s): a ten times faster connection takes nine tenths
    i, cut = split_policy([(10 * M, 10 * M + 1_500_000, 100_000, 0.0)], 1_000_000)
    assert i == 0 and abs((10 * M + 1_500_000 - cut) - 0.9 * 1_500_000) < 8192
    # 30 KB left (0.3 s): too small to split; the far faster connection takes it whole
    assert split_policy([(5 * M, 5 * M + 30_000, 100_000, 0.0)], 1_000_000) == (0, 5 * M)
    # the same tail at the same speed, data flowing: left alone
    assert split_policy([(5 * M, 5 * M + 30_000, 1_000_000, 0.0)], 1_000_000) is None
    # ... but silent for a second: taken over
    assert split_policy([(5 * M, 5 * M + 30_000, 1_000_000, 1.0)], 1_000_000) == (0, 5 * M)
    # of two ranges, the one with the longest time left is cut
    i, _ = split_policy([(12 * M, 15 * M, 1_000_000, 0.0), (4 * M, 7 * M, 200_000, 0.0)], 1_000_000)
    assert i == 1


def test_split_policy_counts_the_takers_wait_for_its_first_byte():
    """A taker starts late by its wait for a first byte (a request round trip on a kept-alive
    connection; a new connection's connect, TLS handshake and request): it takes less, so
    both sides still end together, and a range that would be done before (or soon after)
    the taker's first byte is left alone: the cut would also close the old connection."""
    # 8 MiB left at 4 MiB/s (2 s): at once, halves; 0.76 s late, the taker gets what it can
    # fetch in the 0.62 s both then need: (8 MiB + 4 MiB/s * 0.76 s) / 2 = 5.52 MiB for the
    # old connection, 2.48 MiB for the taker
    _, cut = split_policy([(10 * M, 18 * M, 4 * M, 0.0)], 4 * M, latency=0.0)
    assert abs(cut - 14 * M) < 8192
    _, cut = split_policy([(10 * M, 18 * M, 4 * M, 0.0)], 4 * M, latency=0.76)
    assert abs((18 * M - cut) - 2.48 * M) < 8192
    # 3 MiB left (0.75 s): worth a request round trip (0.25 s) but not a new TLS
    # connection 250 ms away (0.76 s: the range is done before its first byte)
    assert split_policy([(10 * M, 13 * M, 4 * M, 0.0)], 4 * M, latency=0.25) is not None
    assert split_policy([(10 * M, 13 * M, 4 * M, 0.0)], 4 * M, latency=0.76) is None
    # a small tail a far faster connection would take whole: not when it would start
    # after the tail's own connection is done (30 KB at 100 KB/s: 0.3 s)
    assert split_policy([(5 * M, 5 * M + 30_000, 100_000, 0.0)], 1_000_000, latency=0.1) == (0, 5 * M)
    assert split_policy([(5 * M, 5 * M + 30_000, 100_000, 0.0)], 1_000_000, latency=0.5) is None
    # a silent tail moves whatever the wait
    assert split_policy([(5 * M, 5 * M + 30_000, 1_000_000, 1.0)], 1_000_000, latency=0.5) == (0, 5 * M)


def test_take_cuts_the_victim_and_both_sides_keep_min_split():
    p = Planner(M)
    mirrors = [mirror(), mirror(1_000_000)]
    [victim] = running(p, [(8 * M, 10 * M + M // 2, 1_000_000, 0.0)], mirrors)
    seg = p.take(1, NOW, mirrors)
    # equal speeds: halves, cut on a 4 KiB boundary
    assert seg.mirror == 1 and seg.start == seg.pos and seg.end == 10 * M + M // 2
    assert victim.end == seg.start and seg.start % 4096 == 0
    assert abs((victim.end - victim.pos) - (seg.end - seg.pos)) <= 4096
    assert p.active == [victim, seg]
    # a far faster taker would take 90 %, but the victim keeps min_split
    p2 = Planner(M)
    fast = [mirror(), mirror(100_000_000)]
    [v2] = running(p2, [(8 * M, 11 * M, 1_000_000, 0.0)], fast)
    s2 = p2.take(1, NOW, fast)
    assert v2.end - v2.pos == M and s2.end == 11 * M


def test_speeds_unknown_the_biggest_range_is_halved():
    p = Planner(64 << 10)
    mirrors = [mirror(), mirror()]
    p.plan([(0, 4 * M), (10 * M, 11 * M)], 1)
    a = p.take(0, NOW, mirrors)
    b = p.take(0, NOW, mirrors)
    assert (a.start, a.end, b.start, b.end) == (0, 4 * M, 10 * M, 11 * M)
    victim, cut = p.steal_candidate(NOW, mirrors, 1)   # nothing has arrived: no speeds
    assert victim is a and cut == 2 * M


def test_tail_rescue_depends_on_time_left_and_the_takers_round_trip():
    p = Planner(M)
    # 600 KB left at 200 KB/s: 3 s left, too small for min_split halves, big enough to rescue
    near = [mirror(), mirror(200_000, ttfb=0.01)]
    [s] = running(p, [(4 * M, 4 * M + 600_000, 200_000, 0.0)], near)
    victim, cut = p.steal_candidate(NOW, near, 1)
    assert victim is s and abs(cut - (4 * M + 300_000)) <= 4096 and s.end - cut >= RESCUE_MIN
    # a far taker (round trip 1 s: four of them are more than the 3 s left) leaves it alone
    far = [mirror(), mirror(200_000, ttfb=1.0)]
    assert p.steal_candidate(NOW, far, 1) is None


def test_takeover_waits_longer_for_a_far_mirror():
    p = Planner(M)
    # mirror 0 answers in 0.6 s: silence of 1 s is less than two of its round trips
    far = [mirror(ttfb=0.6), mirror(1_000_000)]
    running(p, [(5 * M, 5 * M + 30_000, 1_000_000, 1.0)], far)
    assert p.steal_candidate(NOW, far, 1) is None
    assert p.steal_candidate(NOW + 0.5, far, 1) is not None


def test_a_tail_left_short_of_a_throttled_burst_moves_soon():
    """nginx's limit_rate sends in bursts whose ends need not meet a range's end: a stream
    whose answer runs on past its range (the probe's) stops a few hundred bytes short of it
    and hears nothing until the next burst, half a second or more later. Near, an idle
    connection takes those bytes after TAKEOVER_SILENCE (50 ms) instead of the others
    waiting for that burst; a stream that only paused for a moment keeps its tail."""
    near = [mirror(ttfb=0.002), mirror(4 * M, ttfb=0.002)]
    p = Planner(M)
    running(p, [(8 * M - 1696, 8 * M, 4 * M, 0.08)], near)
    assert p.steal_candidate(NOW, near, 1) is not None
    p = Planner(M)
    running(p, [(8 * M - 1696, 8 * M, 4 * M, 0.02)], near)
    assert p.steal_candidate(NOW, near, 1) is None


def test_a_range_silent_until_its_hosts_next_burst_is_not_cut_as_the_burst_comes():
    """A rate limit like nginx's limit_rate lets each connection's allowance go at once
    (once a second) and then nothing. When the host's other connections have just got
    theirs after a silence, a range that has been silent since before that is about to get
    its own: an idle connection 150 ms away would only wait for bytes that come anyway, so
    it is not cut (for BURST_GAP); after that, or when nothing else had a burst, it is."""
    far = [mirror(ttfb=0.15), mirror(M, ttfb=0.15)]

    def two(p, since_burst):
        # range a: 1 MiB left, silent 0.8 s; range b: got a burst after a silence
        a, b = running(p, [(8 * M, 9 * M, M, 0.8), (20 * M, 21 * M, M, 0.0)], far)
        b.last = NOW - since_burst - 0.5
        b.arrived(NOW - since_burst)          # the burst, after half a second of silence
        b.arrived(NOW - since_burst + 0.005)
        return a, b

    p = Planner(M)
    a, b = two(p, 0.02)
    assert b.burst_at == pytest.approx(NOW - 0.02)
    found = p.steal_candidate(NOW, far, 1, latency=0.15)
    assert found is not None and found[0] is b, "the silent one is left to its burst"
    # the burst came to a range that has ended since (the taker's own, say): the same
    p.finish(b)
    b.pos = b.end
    assert p.steal_candidate(NOW, far, 1, latency=0.15) is None
    # a moment later (BURST_GAP), no burst came: it has stalled, and is cut
    assert p.steal_candidate(NOW + BURST_GAP, far, 1, latency=0.15)[0] is a
    # without the other range's burst, the silent range is cut at once (a tail rescue)
    p = Planner(M)
    running(p, [(8 * M, 9 * M, M, 0.8)], far)
    assert p.steal_candidate(NOW, far, 1, latency=0.15) is not None
    # a small tail is still taken over at once (the end game), burst or not
    p = Planner(M)
    a, b = running(p, [(8 * M - 848, 8 * M, M, 0.8), (20 * M, 20 * M + 30_000, M, 0.0)], far)
    b.last = NOW - 0.5
    b.arrived(NOW - 0.02)
    assert p.steal_candidate(NOW, far, 1, latency=0.15)[0] is a


def test_the_supervisor_is_told_when_a_silent_tail_may_be_taken_over():
    """The end game's silence rule has a time: the supervisor wakes then, not at its next
    tick. A tail whose silence is already long enough is due now; a range big enough to
    split, or none running, gives no time."""
    near = [mirror(ttfb=0.002), mirror(4 * M, ttfb=0.002)]
    p = Planner(M)
    [s] = running(p, [(8 * M - 1696, 8 * M, 4 * M, 0.01)], near)
    due = p.takeover_check_at(NOW, near)
    assert due == pytest.approx(s.last + 0.05)    # TAKEOVER_SILENCE after its last bytes
    assert p.steal_candidate(due - 0.001, near, 1) is None
    assert p.steal_candidate(due + 0.001, near, 1) is not None
    # a far mirror's two round trips count instead
    far = [mirror(ttfb=0.15), mirror(4 * M, ttfb=0.15)]
    p = Planner(M)
    [s] = running(p, [(8 * M - 1696, 8 * M, 4 * M, 0.01)], far)
    assert p.takeover_check_at(NOW, far) == pytest.approx(s.last + 0.3)
    p = Planner(M)
    running(p, [(8 * M, 12 * M, 4 * M, 0.01)], near)
    assert p.takeover_check_at(NOW, near) is None
    assert Planner(M).takeover_check_at(NOW, near) is None


def test_the_end_games_silence_counts_the_shortest_round_trip():
    """Answers to connections that all opened at once wait for an event loop busy with the
    others' first bursts: their average wait (ttfb) is far above the round trip. The
    silence that tells a tail's connection has stopped counts the shortest wait seen."""
    busy = [mirror(ttfb=0.065, rtt=0.003), mirror(4 * M, ttfb=0.065, rtt=0.003)]
    p = Planner(M)
    [s] = running(p, [(8 * M - 1696, 8 * M, 4 * M, 0.06)], busy)
    assert p.steal_candidate(NOW, busy, 1) is not None
    assert p.takeover_check_at(NOW, busy) == pytest.approx(s.last + 0.05)
    unknown = [mirror(ttfb=0.065), mirror(4 * M, ttfb=0.065)]   # no shortest wait yet
    p = Planner(M)
    running(p, [(8 * M - 1696, 8 * M, 4 * M, 0.06)], unknown)
    assert p.steal_candidate(NOW, unknown, 1) is None


def test_no_range_support_means_no_split():
    p = Planner(64 << 10)
    mirrors = [mirror(), mirror()]
    p.ranges = False
    p.plan_single(None)
    assert p.pool == [(0, UNKNOWN_END)]
    seg = p.take(0, NOW, mirrors)
    assert (seg.start, seg.end) == (0, UNKNOWN_END)
    seg.pos = seg.got = 5 * M
    assert p.take(1, NOW + 10, mirrors) is None and not p.has_work(NOW + 10, mirrors)


def test_plan_cuts_equal_pieces_never_below_min_split():
    assert plan([(0, 16 * M)], 4, M) == [(0, 4 * M), (4 * M, 8 * M), (8 * M, 12 * M), (12 * M, 16 * M)]
    assert plan([(0, 3 * M)], 16, M) == [(0, M), (M, 2 * M), (2 * M, 3 * M)]
    assert plan([(0, 100), (200, 300)], 8, M) == [(0, 100), (200, 300)]
    assert plan([], 4, M) == [] and plan([(5, 5)], 4, M) == []
    pieces = plan([(0, 10 * M), (20 * M, 21 * M)], 11, 64 << 10)
    assert sum(b - a for a, b in pieces) == 11 * M and len(pieces) == 11


def test_a_returned_range_goes_back_to_the_pool_in_order():
    p = Planner(M)
    mirrors = [mirror()]
    p.plan([(0, 3 * M)], 3)
    a = p.take(0, NOW, mirrors)
    b = p.take(0, NOW, mirrors)
    assert p.pool == [(2 * M, 3 * M)]
    b.pos += 1000
    p.give_back(b)          # failed: what it did not fetch is to fetch again
    assert p.pool == [(M + 1000, 2 * M), (2 * M, 3 * M)] and p.active == [a]
    a.pos += 500
    p.finish(a)             # a short answer: the rest goes back
    assert p.pool[0] == (500, M) and p.active == []
    c = p.take(0, NOW, mirrors)
    c.pos = c.end
    p.finish(c)
    assert p.active == [] and (c.start, c.end) not in p.pool
    d = p.take(0, NOW, mirrors)
    d.pos += 10
    p.finish(d, rest_back=False)   # the body ended the file of unknown size: nothing back
    assert (d.pos, d.end) not in p.pool and d not in p.active


def test_retire_gives_back_one_range_per_excess_connection():
    p = Planner(M)
    mirrors = [mirror(), mirror()]
    p.plan([(0, 8 * M)], 4)
    segs = [p.take(0, NOW, mirrors) for _ in range(4)]
    segs[3].mirror = 1                    # (as if taken by a connection to mirror 1)
    segs[2].end -= M // 2                 # the biggest range on mirror 0 is 0..2M or 2M..4M
    p.retire(0, 1)
    cut = [s for s in segs if s.end - s.pos == 128 << 10]
    assert len(cut) == 1 and cut[0].mirror == 0
    assert (cut[0].end, cut[0].start + 2 * M) in p.pool
    p.retire(0, 1)                        # one is already on its way out: nothing more
    assert len(p.pool) == 1
    p.retire(0, 2)                        # two too many: a second one
    assert len(p.pool) == 2 and all(s.end - s.pos == 128 << 10 for s in segs[:2])
    cut[0].pos = cut[0].end
    p.finish(cut[0])                      # done: no longer counted as retiring...
    p.retire(0, 2)                        # ...so the last range on mirror 0 is cut too
    assert len(p.pool) == 3 and segs[2].end - segs[2].pos == 128 << 10
    assert segs[3].end == 8 * M           # mirror 1's range is not this mirror's excess


def test_connections_grow_at_once_unless_one_stream_is_fast_or_keeps_the_loop_busy():
    """After the first answer the first stream runs alone for a short window; then every
    other connection opens at once, unless that one stream kept the event loop's thread busy
    or already brings FAST_STREAM (a near host: more connections would only add work). A
    stream that slows later lets them open."""
    W = GROWTH_WINDOW
    p = Planner(M)
    cpu = 0.0
    assert p.growth_limit(100.0, 0, 16, 0, cpu) == 16          # nothing runs yet: the first may open
    assert p.growth_limit(100.0, 1, 16, 0, cpu) == 1           # the first stream runs: its window starts
    assert p.growth_check_at() == 100.0 + W / 2                  # its first half: passed over
    cpu += 0.9 * W
    assert p.growth_limit(100.0 + 1.01 * W, 1, 16, 0, cpu) == 1    # 90 % busy: held at one
    cpu += 0.85 * W
    assert p.growth_limit(100.0 + 2.02 * W, 1, 16, 0, cpu) == 1    # still CPU-bound
    for k in range(3, 2 + SLOW_WINDOWS):                           # the stream slowed...
        cpu += 0.1 * W
        assert p.growth_limit(100.0 + (k + 0.01 * k) * W, 1, 16, 0, cpu) == 1   # ...maybe a stall
    cpu += 0.1 * W
    k = 2 + SLOW_WINDOWS
    assert p.growth_limit(100.0 + (k + 0.01 * k) * W, 1, 16, 0, cpu) == 16   # slow all along: all open
    assert p.growth_limit(100.0 + (k + 0.2) * W, 1, 16, 0, cpu) == 16        # and stay allowed
    assert p.grown and p.growth_check_at() is None

    fast = Planner(M)
    got = 0
    assert fast.growth_limit(7.0, 1, 16, got, 0.0) == 1
    got += int(0.6 * FAST_STREAM * W)
    assert fast.growth_limit(7.0 + 0.51 * W, 1, 16, got, 0.0) == 1   # the first half: passed over
    got += int(1.2 * FAST_STREAM * W)                               # idle thread, but a fast stream
    assert fast.growth_limit(7.0 + 1.52 * W, 1, 16, got, 0.0) == 1
    for k in range(1, SLOW_WINDOWS):
        got += int(0.3 * FAST_STREAM * W)                           # it slowed to 30 %
        assert fast.growth_limit(7.0 + (1.52 + 1.01 * k) * W, 1, 16, got, 0.0) == 1
    got += int(0.3 * FAST_STREAM * W)
    assert fast.growth_limit(7.0 + (1.52 + 1.01 * SLOW_WINDOWS) * W, 1, 16, got, 0.0) == 16

    slow = Planner(M)                   # slow in its first judged window: all open at once
    assert slow.growth_limit(7.0, 1, 16, 0, 0.0) == 1
    assert slow.growth_limit(7.0 + 0.51 * W, 1, 16, 6 * M, 0.0) == 1
    assert slow.growth_limit(7.0 + 1.52 * W, 1, 16, 6 * M + int(0.3 * FAST_STREAM * W), 0.0) == 16

    idle = Planner(M)
    assert idle.growth_limit(5.0, 1, 8, 0, 0.0) == 1
    assert idle.growth_limit(5.0 + W / 2, 1, 8, 0, 0.0) == 1       # inside the window
    assert idle.growth_limit(5.0 + 1.01 * W, 1, 8, 0, 0.0) == 8    # a far or throttled host: all at once

    # a far host (its first answer took FAR_TTFB or more): no window, whatever its first burst
    far = Planner(M)
    assert far.growth_limit(5.0, 1, 8, 4 * M, 0.0, first_answer=FAR_TTFB) == 8
    near = Planner(M)
    assert near.growth_limit(5.0, 1, 8, 4 * M, 0.0, first_answer=FAR_TTFB / 2) == 1


def test_a_stall_of_a_fast_stream_does_not_open_the_others():
    """A stream judged fast once, then nothing for a window or two (the machine stalled: a
    descheduled VM, a disk), stays the only one: more connections would not cure a stall,
    and opening them cost a 512 MiB TLS download 0.7 s. Slow windows count in a row only:
    a fast one between them starts the count over. A stream slow from its first judged
    window (a throttled or far host) still lets the others open at once."""
    W = GROWTH_WINDOW
    p = Planner(M)
    got, t = 0, 2.0
    assert p.growth_limit(t, 1, 16, got, 0.0) == 1
    got += 8 * M
    assert p.growth_limit(t + 0.51 * W, 1, 16, got, 0.0) == 1      # the first half: passed over
    # fast, a stall of two windows, fast, a stall of two windows, fast: always one stream
    k = 0
    for is_fast in (True, False, False, True, False, False, True):
        k += 1
        got += int((2 * FAST_STREAM if is_fast else FAST_STREAM // 10) * W)
        assert p.growth_limit(t + (0.51 + 1.01 * k) * W, 1, 16, got, 0.0) == 1, k
    assert not p.grown
    for n in (1, 2, 3):                 # ...then slow for good: the third slow window opens them
        k += 1
        got += int(FAST_STREAM // 10 * W)
        assert p.growth_limit(t + (0.51 + 1.01 * k) * W, 1, 16, got, 0.0) == (16 if n == 3 else 1), n
    assert p.grown


def test_a_throttled_streams_first_burst_does_not_hold_the_others_back():
    """A server that throttles each connection (nginx limit_rate) sends its first burst at
    once (a second's worth and what the socket buffers hold): it arrives in the first half
    of the window, then the stream goes quiet. Only the second half is judged, so the
    others open after one window, not after one more per burst."""
    W = GROWTH_WINDOW
    p = Planner(M)
    got = 0
    assert p.growth_limit(3.0, 1, 16, got, 0.0) == 1
    got += 6 * M                                                   # the burst: 400 MiB/s for 15 ms
    assert p.growth_limit(3.0 + 0.51 * W, 1, 16, got, 0.0) == 1
    got += int(4 * M * W / 2)                                      # then 4 MiB/s
    assert p.growth_limit(3.0 + 1.02 * W, 1, 16, got, 0.0) == 16
    assert p.grown and p.growth_check_at() is None

    # the supervisor came around late: what follows its look is judged, for half a window
    late = Planner(M)
    assert late.growth_limit(3.0, 1, 16, 0, 0.0) == 1
    assert late.growth_limit(3.0 + 0.8 * W, 1, 16, 6 * M, 0.0) == 1
    assert late.growth_check_at() == pytest.approx(3.0 + 1.3 * W)
    assert late.growth_limit(3.0 + 1.2 * W, 1, 16, 6 * M, 0.0) == 1
    assert late.growth_limit(3.0 + 1.31 * W, 1, 16, 6 * M, 0.0) == 16


def test_one_steadily_fast_stream_stays_one_stream():
    """A stream that keeps bringing FAST_STREAM or more (loopback, a LAN) stays the only one
    at every look, also when its first bytes came late in the window (the connection's first
    read comes after the supervisor's). Past the first window, each whole window is judged."""
    W = GROWTH_WINDOW
    rate = 2 * FAST_STREAM
    p = Planner(M)
    got, t = 0, 9.0
    assert p.growth_limit(t, 1, 16, got, 0.0) == 1
    assert p.growth_check_at() == pytest.approx(t + W / 2)
    for now in [t + 0.51 * W] + [t + (k + 0.02) * W for k in range(1, 20)]:
        got += int(rate * (now - t))
        t = now
        assert p.growth_limit(now, 1, 16, got, 0.0) == 1
        assert p.growth_check_at() == pytest.approx(now + (W / 2 if now < 9.0 + W else W))
    assert not p.grown

    late = Planner(M)                          # 1.2 x FAST_STREAM, but only from mid-window on
    assert late.growth_limit(9.0, 1, 16, 0, 0.0) == 1
    assert late.growth_limit(9.0 + 0.51 * W, 1, 16, 0, 0.0) == 1
    assert late.growth_limit(9.0 + 1.02 * W, 1, 16, int(1.2 * FAST_STREAM * W / 2), 0.0) == 1
    assert not late.grown


def test_one_fast_stream_reading_the_probe_answer_takes_the_whole_file():
    """Held at one stream, the connection that reads the probe's answer (which runs to the end
    of the file) takes the planned pieces after its own: no new request, as one curl would."""
    mirrors = [mirror()]
    p = Planner(M)
    p.plan([(0, 16 * M)], 4)
    seg = p.take(0, 1.0, mirrors)
    seg.open_ended = True                    # the connection reads the probe's answer
    assert (seg.end, p.pool) == (4 * M, [(4 * M, 8 * M), (8 * M, 12 * M), (12 * M, 16 * M)])
    assert p.growth_limit(1.0, 1, 4, 0, 0.0) == 1
    assert p.growth_limit(1.0 + 1.01 * GROWTH_WINDOW, 1, 4, int(2 * FAST_STREAM * GROWTH_WINDOW), 0.0) == 1
    assert seg.end == 16 * M and p.pool == []
    # a stream that asked for its own range (not open-ended) keeps it
    p2 = Planner(M)
    p2.plan([(0, 8 * M)], 2)
    s2 = p2.take(0, 1.0, mirrors)
    p2.growth_limit(1.0, 1, 4, 0, 0.0)
    p2.growth_limit(1.0 + 1.01 * GROWTH_WINDOW, 1, 4, int(2 * FAST_STREAM * GROWTH_WINDOW), 0.0)
    assert s2.end == 4 * M and p2.pool == [(4 * M, 8 * M)]


def test_the_lone_first_stream_gives_its_pieces_back_when_the_others_open():
    """The probe's answer streamed alone and took on the planned pieces after its own (its
    first burst looked fast); when the other connections open after all, the pieces it has
    not reached go back to the pool: each new connection starts with its planned piece
    instead of cutting one long range in halves."""
    mirrors = [mirror()]
    pieces = plan([(0, 64 * M)], 4, M)

    def lone(pos: int):
        p = Planner(M)
        p.plan([(0, 64 * M)], 4)
        seg = p.take(0, 1.0, mirrors)
        seg.open_ended = True
        p.extend_open_stream()
        assert seg.end == 64 * M and p.pool == []
        seg.pos = seg.got = pos
        return p, seg

    p, seg = lone(3 * M)
    p.give_back_lent()
    assert (seg.end, p.pool) == (16 * M, pieces[1:])
    # past its own piece when the others open: the piece it is in stays its own
    p, seg = lone(20 * M)
    p.give_back_lent()
    assert (seg.end, p.pool) == (32 * M, pieces[2:])
    # cut short meanwhile (another download took a slot): nothing past its end comes back
    p, seg = lone(0)
    seg.end = 40 * M
    p.give_back_lent()
    assert (seg.end, p.pool) == (16 * M, [(16 * M, 32 * M), (32 * M, 40 * M)])
    # the growth rule gives them back when it lets the others open
    p, seg = lone(M)
    assert p.growth_limit(1.0, 1, 4, 0, 0.0) == 1
    assert p.growth_limit(1.0 + 0.51 * GROWTH_WINDOW, 1, 4, 0, 0.0) == 1
    assert p.growth_limit(1.0 + 1.01 * GROWTH_WINDOW, 1, 4, 0, 0.0) == 4
    assert (seg.end, p.pool) == (16 * M, pieces[1:])


def test_the_lone_open_stream_runs_on_before_any_window_is_looked_at():
    """A fast stream keeps the event loop busy: the growth rule may be looked at only after
    it has read its own piece. So it takes on the planned pieces at the first look, and does
    not end at its piece to wait for a new connection while alone."""
    mirrors = [mirror()]
    p = Planner(M)
    p.plan([(0, 16 * M)], 4)
    seg = p.take(0, 1.0, mirrors)
    seg.open_ended = True
    assert p.growth_limit(1.0, 1, 4, 0, 0.0) == 1          # the window starts
    assert (seg.end, p.pool) == (16 * M, [])
