"""Byte-range bookkeeping, kept apart from the HTTP code: a set of disjoint
half-open intervals [start, end)."""

from __future__ import annotations

from bisect import bisect_left, bisect_right


class RangeSet:
    __slots__ = ("_starts", "_ends")

    def __init__(self, ranges=()):
        self._starts: list[int] = []
        self._ends: list[int] = []
        for a, b in ranges:
            self.add(a, b)

    def add(self, start: int, end: int) -> None:
        if end <= start:
            return
        # intervals that touch or overlap [start, end)
        i = bisect_left(self._ends, start)
        j = bisect_right(self._starts, end)
        if i < j:
            start = min(start, self._starts[i])
            end = max(end, self._ends[j - 1])
        self._starts[i:j] = [start]
        self._ends[i:j] = [end]

    def __iter__(self):
        return iter(zip(self._starts, self._ends))

    def __len__(self) -> int:
        return len(self._starts)

    def as_list(self) -> list[tuple[int, int]]:
        return list(zip(self._starts, self._ends))

    def total(self) -> int:
        return sum(e - s for s, e in zip(self._starts, self._ends))

    def prefix(self) -> int:
        """Length of the finished run starting at byte 0."""
        return self._ends[0] if self._starts and self._starts[0] == 0 else 0

    def missing(self, total: int) -> list[tuple[int, int]]:
        out, pos = [], 0
        for s, e in zip(self._starts, self._ends):
            if s > pos:
                out.append((pos, min(s, total)))
            pos = max(pos, e)
        if pos < total:
            out.append((pos, total))
        return [(a, b) for a, b in out if b > a]

    def copy(self) -> RangeSet:
        r = RangeSet()
        r._starts, r._ends = list(self._starts), list(self._ends)
        return r
