"""Range header handling for the share server (RFC 9110 section 14)."""

from __future__ import annotations

from email.utils import parsedate_to_datetime

UNSATISFIABLE = "unsatisfiable"


def parse_range(header: str | None, size: int) -> tuple[int, int] | str | None:
    """One byte range as ``(start, end_inclusive)``; None = send the whole file
    (no header, a malformed one, or several ranges — all allowed by the RFC);
    ``UNSATISFIABLE`` = answer 416."""
    if not header:
        return None
    unit, _, spec = header.partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    first, dash, last = spec.strip().partition("-")
    if not dash:
        return None
    first, last = first.strip(), last.strip()
    try:
        if first == "":
            if not last.isdigit():
                return None
            n = int(last)
            if n == 0:
                return UNSATISFIABLE
            return (max(0, size - n), size - 1) if size else UNSATISFIABLE
        if not first.isdigit() or (last and not last.isdigit()):
            return None
        start = int(first)
        end = int(last) if last else size - 1
    except ValueError:
        return None
    if last and end < start:
        return None
    if start >= size:
        return UNSATISFIABLE
    return start, min(end, size - 1)


def if_range_allows(if_range: str | None, etag: str, mtime: float) -> bool:
    """Whether a Range may be honoured given an If-Range precondition."""
    if not if_range:
        return True
    v = if_range.strip()
    if v.startswith('"') or v.startswith("W/"):
        return v == etag          # strong comparison: weak tags never match
    try:
        return int(parsedate_to_datetime(v).timestamp()) >= int(mtime)
    except (TypeError, ValueError, IndexError, OverflowError):
        return False
