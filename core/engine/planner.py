"""The segment planner: which bytes each connection fetches.

Pure bookkeeping: no asyncio, no I/O, no clock. Whoever drives it passes the current
time (``now``, monotonic seconds) and what it knows of the mirrors; the same numbers in
give the same plan out, so the policy is tested with plain numbers (tests/engine/
test_planner.py).

It holds the ranges nobody fetches (``pool``) and the ones being fetched (``active``,
``Seg``s that their connections move forward), and decides:
- the first plan: the missing ranges cut into equal pieces, one per connection;
- what an idle connection takes next: a planned piece, else the back part of the range
  with the longest time left (``steal_candidate``: proportional split, tail rescue,
  end-game takeover);
- what comes back when a connection stops (``give_back``) or gives a host slot back
  (``retire``);
- how many connections may run (``growth_limit``: the growth rule), and the extension
  of the one open stream that reads the probe's answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, Sequence

UNKNOWN_END = 1 << 62
RESCUE_SECONDS = 0.5     # a range with this much time left (and RESCUE_RTTS request round
RESCUE_RTTS = 4          # trips of the taking mirror) may be split below min_split...
RESCUE_MIN = 64 << 10    # ...down to pieces of this size (tail rescue)
GROWTH_WINDOW = 0.03     # seconds of the first stream watched (its second half judged)
                         # before more connections open...
BUSY_SHARE = 0.8         # ...held back while the event loop's thread is this busy (a
                         # CPU-bound stream gains nothing from more) or while that one
FAST_STREAM = 64 << 20   # stream brings this many bytes/s (a near host or a LAN)
SLOW_WINDOWS = 3         # a stream held alone so far lets the others open only after this
                         # many slow windows in a row (a lone one is a stall: the VM, a disk)
FAR_TTFB = 0.06          # a first answer this slow: no growth window (it would see only a burst)
TAKEOVER_RATIO = 2.0     # end game: a connection this much faster takes a small tail whole,
TAKEOVER_SILENCE = 0.05  # as does any idle one when the tail's connection is silent this long
                         # (and longer than two of its mirror's request round trips)
BURST_GAP = 0.1          # silence this long between two reads: the next bytes are a burst
                         # (a rate limit that lets a second's worth go at once); a range
                         # silent since before the host's other connections got theirs is
                         # not cut until this long after (its own burst is on its way)


class MirrorSpeeds(Protocol):
    """What the planner reads of a mirror (core/engine/mirrors.py's MirrorState has it)."""
    conn_speed: float   # bytes/s of one connection to it (0 = not measured yet)
    ttfb: float         # seconds from a range request to its answer
    rtt: float          # the shortest such wait seen (0 = none yet)


def _stopped_after(s: Seg, m: MirrorSpeeds, speed: float) -> float:
    """The silence of a tail's connection that tells it has stopped (the end game): longer
    than its rest should take at ``speed``, than TAKEOVER_SILENCE and than two request round
    trips to its mirror. The shortest round trip seen, not the average: when all
    connections open at once, their answers wait for an event loop busy with the others'
    first bursts, and the average of those (60-70 ms at 0 ms) held the last tail 0.13 s."""
    return max(TAKEOVER_SILENCE, 2 * (m.rtt or m.ttfb), (s.end - s.pos) / speed)


@dataclass
class Seg:
    """A range being fetched: its connection writes from ``pos`` on; ``end`` may move
    closer when another connection takes the back part."""
    start: int
    pos: int
    end: int
    mirror: int = 0
    t0: float = 0.0
    got: int = 0
    last: float = 0.0     # when its last bytes arrived (monotonic)
    open_ended: bool = False   # streams from an answer that runs to the end of the file
    burst_at: float = 0.0      # when bytes last came after a silence (see BURST_GAP)

    def __post_init__(self):
        self.last = self.last or self.t0

    def arrived(self, now: float) -> None:
        """Bytes arrived now (its connection calls this for every read)."""
        if now - self.last > BURST_GAP and self.got:
            self.burst_at = now
        self.last = now

    def speed_at(self, now: float) -> float:
        """Bytes/s since it started (0 until it has run 50 ms and has bytes)."""
        dt = now - self.t0
        return self.got / dt if dt > 0.05 and self.got else 0.0


def plan(missing: list[tuple[int, int]], conns: int, min_split: int) -> list[tuple[int, int]]:
    """The missing ranges cut into about ``conns`` pieces of equal size (never below
    ``min_split``), so every connection starts with an equal share instead of waiting
    to steal one; stealing then only evens out differences in speed."""
    total = sum(b - a for a, b in missing)
    if total <= 0:
        return []
    piece = max(min_split, -(-total // max(1, conns)))
    out = []
    for a, b in missing:
        n = max(1, round((b - a) / piece))
        step = -(-(b - a) // n)
        out += [(x, min(b, x + step)) for x in range(a, b, step)]
    return out


class Planner:
    def __init__(self, min_split: int):
        self.min_split = min_split
        self.pool: list[tuple[int, int]] = []   # ranges no connection holds, sorted
        self.active: list[Seg] = []             # ranges being fetched
        self.ranges = True         # the server honours Range (False: one stream, never split)
        self.grown = False         # more connections than the first were allowed
        self._mark: tuple[float, float, int] | None = None   # growth rule: wall, thread CPU, bytes...
        self._look_at = 0.0        # ...measured from here, looked at then
        self._burst = True         # the next look ends the first half of the first window
        self._kept = False         # a window has held the first stream alone
        self._slow = 0             # slow windows in a row since then
        self._retiring: set[int] = set()   # ranges cut short to give a host slot back
        self._bursts: dict[int, float] = {}  # mirror -> latest burst of a range that ended
        self._lent: list[tuple[int, int]] = []   # planned pieces the lone first stream took on

    # -- the plan ------------------------------------------------------------------
    def plan(self, missing: list[tuple[int, int]], conns: int) -> None:
        """Start over: the missing ranges, cut for ``conns`` connections, are to fetch."""
        self.active.clear()
        self.pool = plan(missing, conns, self.min_split)
        self._lent = []

    def plan_single(self, total: int | None) -> None:
        """Start over with the whole file as one range (no Range support, or no size)."""
        self.active.clear()
        self.pool = [(0, total if total is not None else UNKNOWN_END)]
        self._lent = []

    # -- handing out work -------------------------------------------------------------
    def take(self, mirror: int, now: float, mirrors: Sequence[MirrorSpeeds],
             latency: float = 0.0) -> Seg | None:
        """The next range for an idle connection on ``mirror``: a planned piece, else the
        back part of a running range (see steal_candidate; ``latency``: the taker's wait for
        its first byte); None: nothing worth taking."""
        if self.pool:
            a, b = self.pool.pop(0)
            seg = Seg(a, a, b, mirror, now)
            self.active.append(seg)
            return seg
        found = self.steal_candidate(now, mirrors, mirror, latency)
        if found is None:
            return None
        victim, mid = found
        seg = Seg(mid, mid, victim.end, mirror, now)
        victim.end = mid
        self.active.append(seg)
        return seg

    def has_work(self, now: float, mirrors: Sequence[MirrorSpeeds], latency: float = 0.0) -> bool:
        """Would a new connection (waiting ``latency`` for its first byte) find something to
        fetch?"""
        if self.pool:
            return True
        return self.steal_candidate(now, mirrors, None, latency) is not None

    def avg_speed(self, now: float) -> float:
        """Mean speed of the connections that have one yet (0 = none measured)."""
        speeds = [sp for sp in (s.speed_at(now) for s in self.active) if sp > 0]
        return sum(speeds) / len(speeds) if speeds else 0.0

    def steal_candidate(self, now: float, mirrors: Sequence[MirrorSpeeds],
                        mirror: int | None = None, latency: float = 0.0) -> tuple[Seg, int] | None:
        """The range an idle connection (on ``mirror``) should take the back part of, and
        where to cut it: the range with the longest time left, cut so that both sides
        finish together (a connection on a mirror four times as fast takes four fifths;
        halves while speeds are unknown). Both sides keep at least ``min_split``, except
        to rescue a tail: when the range still needs RESCUE_SECONDS or more, pieces down
        to RESCUE_MIN are worth one more request. And in the end game, the last bytes of a
        range too small to split move whole to an idle connection when that one is at least
        TAKEOVER_RATIO times as fast, or when the range's connection has been silent longer
        than its rest should take and than two request round trips (the old connection stops there): throttled servers send
        data in bursts, once a second or so, and the last few KiB of a range would wait
        for the next burst while other connections sit idle. So the last percent never
        hangs on one connection.

        ``latency``: how long the taker waits for its first byte (a request round trip on an
        idle kept-alive connection, else a new connection's connect, TLS handshake and
        request). It starts that much later, so it takes less (both sides still finish
        together), and a range with less than twice that time left is not split at all: far
        away, and over TLS on a new connection, the split would cost more than it saves (and
        the cut connection must close at the cut).

        ``mirrors[i]`` tells the planner about the mirror ``Seg.mirror == i`` is on."""
        if not self.ranges:
            return None
        avg = self.avg_speed(now)
        s_new = (mirrors[mirror].conn_speed if mirror is not None else 0.0) or avg
        rescue_min = min(self.min_split, RESCUE_MIN)
        # a rescue costs the taker one request round trip before its first byte: worth it
        # only when the range has several of those left (far hosts: more than half a second)
        rescue_after = max(RESCUE_SECONDS,
                           RESCUE_RTTS * (mirrors[mirror].ttfb if mirror is not None else 0.0))
        best, best_t = None, -1.0
        for s in self.active:
            rem = s.end - s.pos
            if rem <= 0:
                continue
            if rem > RESCUE_MIN and now - s.last > BURST_GAP:
                burst = self._host_burst(s.mirror, now)
                if s.last < burst and now - burst < BURST_GAP:
                    # the host's other connections got a burst after a silence a moment ago
                    # and this one has been silent since before it: a rate limit that lets
                    # each connection's allowance go at once (nginx's, once a second); its
                    # own burst is on its way, and a cut now would only make the taker wait
                    # for bytes that come anyway
                    continue
            s_speed = s.speed_at(now)
            sp = s_speed or avg
            if sp and s_new:
                t_left = rem / sp
                # both sides finish together, the taker starting `latency` later
                t_both = (rem + s_new * latency) / (sp + s_new)
                take = int(min(0.9 * rem, max(0.1 * rem, rem - sp * t_both)))
                worth = t_left >= 2 * latency
            else:  # no speed measured yet: biggest range first, halves
                t_left, take, worth = float(rem), rem // 2, True
            if rem >= 2 * self.min_split and worth:
                take = min(max(take, self.min_split), rem - self.min_split)
            elif sp and worth and t_left >= rescue_after and take >= rescue_min:
                pass  # tail rescue
            elif s_speed and ((s_new >= TAKEOVER_RATIO * s_speed and t_left > latency + rem / s_new)
                              or now - s.last > _stopped_after(s, mirrors[s.mirror], s_speed)):
                # end game: too little to split, and this connection is far faster or
                # the range's own connection has gone quiet for longer than its rest needs
                take = rem
            else:
                continue
            if t_left > best_t:
                best, best_t = (s, s.end - take), t_left
        if best is None:
            return None
        victim, mid = best
        if mid - victim.pos > 8192 and victim.end - mid > 8192:
            mid -= mid % 4096
        return victim, mid

    def _host_burst(self, mirror: int, now: float) -> float:
        """When a connection to ``mirror`` last got a burst (bytes after a silence): of a
        range that ended, or of one running that is receiving now."""
        t = self._bursts.get(mirror, 0.0)
        for s in self.active:
            if s.mirror == mirror and s.burst_at > t and now - s.last <= BURST_GAP:
                t = s.burst_at
        return t

    # -- taking back ---------------------------------------------------------------------
    def give_back(self, seg: Seg) -> None:
        """``seg``'s connection stopped: what it did not fetch goes back to the pool."""
        if seg.burst_at > self._bursts.get(seg.mirror, 0.0):
            self._bursts[seg.mirror] = seg.burst_at
        self._retiring.discard(id(seg))
        if seg in self.active:
            self.active.remove(seg)
        if seg.pos < seg.end:
            self.pool.append((seg.pos, seg.end))
            self.pool.sort()

    def finish(self, seg: Seg, *, rest_back: bool = True) -> None:
        """``seg``'s request ended without an error: a short answer's rest goes back to the
        pool (``rest_back``: not when the file's size was unknown, and the end of the body
        was the end of the file)."""
        if seg.burst_at > self._bursts.get(seg.mirror, 0.0):
            self._bursts[seg.mirror] = seg.burst_at
        self._retiring.discard(id(seg))
        if seg.pos < seg.end and rest_back:
            self.give_back(seg)
        elif seg in self.active:
            self.active.remove(seg)

    def retire(self, mirror: int, excess: int) -> None:
        """``excess`` connections on ``mirror`` hold more than this download's share of the
        host: end one of their ranges soon (the rest goes back to the pool) so its
        connection closes and the slot goes to the newcomer."""
        mine = [s for s in self.active if s.mirror == mirror]
        if sum(1 for s in mine if id(s) in self._retiring) >= excess:
            return  # enough connections are already on their way out
        segs = [s for s in mine if s.end - s.pos > (256 << 10) and id(s) not in self._retiring]
        if segs:
            seg = max(segs, key=lambda s: s.end - s.pos)
            cut = seg.pos + (128 << 10)
            self.pool.append((cut, seg.end))
            self.pool.sort()
            seg.end = cut
            self._retiring.add(id(seg))

    # -- the growth rule -------------------------------------------------------------------
    def growth_limit(self, now: float, running: int, target: int, got: int, cpu: float,
                     first_answer: float = 0.0) -> int:
        """How many connections may run now (``running`` run, ``target`` are wanted, ``got``
        bytes arrived so far, ``cpu``: CPU seconds of the event loop's thread). The first
        one streams alone for GROWTH_WINDOW; then the rest open at once, unless that one
        stream is already fast (FAST_STREAM or more: a near host or a LAN, where more
        connections share the same pipe and add work on both ends) or kept this thread busy
        (CPU-bound). Only the second half of that window is judged: a server that throttles
        each connection still sends its first burst at once (nginx limit_rate: a second's
        worth and what the socket buffers hold), which arrives in the first few milliseconds
        and made a throttled stream look fast. Then the count stays, and it is looked at
        again every window (the whole window: no burst left to pass over): a stream that
        slows for SLOW_WINDOWS windows in a row lets the others open (one slow window of a
        fast stream is most often a stall of the machine, which more connections would
        not cure: on the development VM, about one 512 MiB TLS download in 15 opened 15
        connections for a stall and took 1.5 s instead of 0.8). ``first_answer``: seconds
        the probe waited for its answer; FAR_TTFB or more is a far host, where a window this short would see only
        the first burst (a stream is in slow start for several round trips), so the others
        open at once."""
        if self.grown or not running:
            return target
        if first_answer >= FAR_TTFB:
            self.grown = True
            self.give_back_lent()
            return target
        # while it runs alone, the first stream goes on past its piece (it would otherwise end
        # there and wait for a new connection, which a fast stream reaches before the window
        # is looked at); the pieces it has not reached go back if the others open
        self.extend_open_stream()
        if self._mark is None:
            self._mark, self._look_at = (now, cpu, got), now + GROWTH_WINDOW / 2
            return running
        if now < self._look_at:
            return running
        if self._burst:  # the first half of the first window: the first burst, not a speed
            self._burst = False
            self._mark, self._look_at = (now, cpu, got), now + GROWTH_WINDOW / 2
            return running
        t0, c0, b0 = self._mark
        elapsed = now - t0
        if (cpu - c0) / elapsed >= BUSY_SHARE or (got - b0) / elapsed >= FAST_STREAM:
            self._kept, self._slow = True, 0
            self._mark, self._look_at = (now, cpu, got), now + GROWTH_WINDOW
            return running
        self._slow += 1
        if self._kept and self._slow < SLOW_WINDOWS:
            self._mark, self._look_at = (now, cpu, got), now + GROWTH_WINDOW
            return running
        self.grown = True
        self.give_back_lent()
        return target

    def takeover_check_at(self, now: float, mirrors: Sequence[MirrorSpeeds]) -> float | None:
        """When the first silent tail becomes one an idle connection may take over (the end
        game's silence rule in steal_candidate), if a tail too small to split is running:
        the supervisor looks then, not at its next 50 ms tick (at 0 ms the last tail was
        taken 40-50 ms after every other range had ended)."""
        due = None
        for s in self.active:
            rem = s.end - s.pos
            sp = s.speed_at(now)
            if rem <= 0 or rem >= 2 * self.min_split or not sp:
                continue
            t = s.last + _stopped_after(s, mirrors[s.mirror], sp)
            if due is None or t < due:
                due = t
        return due

    def growth_check_at(self) -> float | None:
        """When the growth rule next wants a look (the middle or the end of its window), if
        it does."""
        if self._mark is None or self.grown:
            return None
        return self._look_at

    def extend_open_stream(self) -> None:
        """One stream is all this download gets: when it reads the probe's answer, which runs
        to the end of the file, it takes the planned pieces after its own too, so it goes on
        without a new request (as one curl would). Others may still steal from it later."""
        if len(self.active) != 1 or not self.active[0].open_ended:
            return
        seg = self.active[0]
        while self.pool and self.pool[0][0] == seg.end:
            self._lent.append(self.pool.pop(0))
            seg.end = self._lent[-1][1]

    def give_back_lent(self) -> None:
        """The other connections open after all: the planned pieces the lone first stream
        took on (``extend_open_stream``) and has not reached go back to the pool, so each
        new connection starts with its planned piece. A server that sends a second's worth
        at once (nginx limit_rate) makes the lone stream look fast for one window: without
        this, the connections opening a window later had to cut its one long range in
        halves, quarters... and ended unevenly, with a tail of rescues."""
        lent, self._lent = self._lent, []
        if not lent or len(self.active) != 1 or not self.active[0].open_ended:
            return
        seg = self.active[0]
        i = 0
        while i < len(lent) and lent[i][1] <= seg.pos:
            i += 1
        if i < len(lent) and lent[i][0] <= seg.pos:
            i += 1                      # the piece it is in stays its own
        back = [(a, min(b, seg.end)) for a, b in lent[i:] if a < seg.end]
        if back:
            seg.end = back[0][0]
            self.pool = sorted(back + self.pool)
