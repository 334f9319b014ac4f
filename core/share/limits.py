"""What the share server and its commands accept, checked in one place.

Every value a person or a script hands to sharing — CLI options, control-API fields, the
settings file — passes through these functions, which either return a clean value or
raise :class:`ShareError` with one sentence saying what is allowed.  The numbers are
listed in docs/sharing.md ("Security").
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from dataclasses import dataclass
from typing import Any

from ..errors import ErrorKind
from .store import ShareError

YEAR = 365 * 86400
MAX_EXPIRY_SECONDS = 10 * YEAR           # a link lives at most 10 years (or 'never')
MIN_RATE_BPS = 1024                      # speed caps: 1 KiB/s ...
MAX_RATE_BPS = 10 * 1024 ** 3            # ... to 10 GiB/s (0 = no cap)
MAX_PASSWORD_CHARS = 1024
MAX_PATH_CHARS = 4096
MAX_RETENTION_DAYS = 3650
MAX_LOG_LINES = 100_000
SHARE_ID_RE = re.compile(r"^[A-Za-z0-9]{1,64}$")
_HOST_RE = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9]([A-Za-z0-9.\-:]{0,252}))$")

_DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_DURATION_HINT = "use e.g. 30m, 24h, 7d, 1w or 'never'"


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def duration(text: Any, what: str = "expiry", max_seconds: int = MAX_EXPIRY_SECONDS) -> int:
    """'24h' -> 86400, '90m', '7d', '1w', '1d12h', '3600' (seconds), a number of seconds;
    'never'/'0'/None -> 0.  At most ``max_seconds``."""
    if text is None:
        return 0
    if _is_number(text):
        if not math.isfinite(text) or text < 0:
            raise ShareError(f"Not a duration: {text!r} ({_DURATION_HINT})")
        total = float(text)
    elif isinstance(text, str):
        t = text.strip().lower()
        if t in ("never", "0", "none", "forever"):
            return 0
        total = 0.0
        pos = 0
        for m in re.finditer(r"\s*(\d{1,12}(?:\.\d{1,6})?)\s*([smhdw]?)", t):
            if m.start() != pos:
                break
            total += float(m.group(1)) * _DURATION_UNITS[m.group(2) or "s"]
            pos = m.end()
        if pos != len(t) or not t or total <= 0:
            raise ShareError(f"Not a duration: {text[:60]!r} ({_DURATION_HINT})")
    else:
        raise ShareError("Not a duration: expected text such as '24h' or a number of seconds")
    if total > max_seconds:
        shown = text[:60] if isinstance(text, str) else f"{total:g} s"
        raise ShareError(f"{what.capitalize()} too long: {shown} "
                         f"(at most {max_seconds // 86400} days, or 'never')")
    return int(total)


def rate(value: Any, what: str = "speed cap") -> int:
    """'2M' -> 2097152, '500K', '1.5MB', a number of bytes/s; '0'/0/None/'' -> 0 (no cap).
    Otherwise between 1 KiB/s and 10 GiB/s."""
    if value is None or value == "":
        return 0
    if _is_number(value):
        v = float(value)
    elif isinstance(value, str):
        from ..ratelimit import parse_rate
        try:
            v = parse_rate(value)
        except ValueError:
            raise ShareError(f"Not a {what}: {value[:40]!r} (use e.g. 500K, 2M, or 0 for none)") from None
    else:
        raise ShareError(f"Not a {what}: expected text such as '2M' or a number of bytes per second")
    if not math.isfinite(v) or v < 0:
        raise ShareError(f"Not a {what}: {value!r:.40} (use e.g. 500K, 2M, or 0 for none)")
    if v == 0:
        return 0
    if not MIN_RATE_BPS <= v <= MAX_RATE_BPS:
        raise ShareError(f"{what.capitalize()} out of range: {value!r:.40} "
                         "(from 1K to 10G per second, or 0 for none)")
    return int(v)


def password(value: Any) -> str | None:
    """A password (1..1024 characters) or None/'' for none."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ShareError("The password must be text")
    if len(value) > MAX_PASSWORD_CHARS:
        raise ShareError(f"The password is too long (at most {MAX_PASSWORD_CHARS} characters)",
                         kind=ErrorKind.SHARE_PASSWORD_TOO_LONG, params={"max": MAX_PASSWORD_CHARS})
    if "\x00" in value:
        raise ShareError("The password must not contain a NUL character")
    return value


def file_path(value: Any, absolute: bool = False) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ShareError("The path must be non-empty text")
    if len(value) > MAX_PATH_CHARS or "\x00" in value:
        raise ShareError(f"Not a usable path (at most {MAX_PATH_CHARS} characters, no NUL)")
    if absolute:
        import os
        if not os.path.isabs(value):
            raise ShareError("The path must be absolute (the server does not know your folder)")
    return value


def number(value: Any, lo: float, hi: float, what: str = "number", integer: bool = False,
           strict: bool = False) -> Any:
    """``value`` (a number, or text of one unless ``strict``) between ``lo`` and ``hi``;
    ``integer``: a whole number, returned as int."""
    try:
        if isinstance(value, bool) or (strict and not _is_number(value)):
            raise ValueError
        v = float(value) if not isinstance(value, int) else value
        if isinstance(value, str) and integer:
            v = int(value.strip())
        if not math.isfinite(v) or (integer and not float(v).is_integer()):
            raise ValueError
    except (TypeError, ValueError, OverflowError):
        raise ShareError(f"Not a {what}: {str(value)[:40]!r}") from None
    if not lo <= v <= hi:
        raise ShareError(f"{what.capitalize()} out of range: {str(value)[:40]} "
                         f"(from {lo:g} to {hi:g})")
    return int(v) if integer else float(v)


def port(value: Any, allow_zero: bool = True) -> int:
    return number(value, 0 if allow_zero else 1, 65535, "port number", integer=True)


def host(value: Any) -> str | None:
    """A host name or address for links ('' or None: detect)."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not _HOST_RE.match(value):
        raise ShareError(f"Not a host name or address: {str(value)[:60]!r}")
    return value


def retention_days(value: Any) -> float:
    v = number(value, 0, MAX_RETENTION_DAYS, "number of days")
    if v <= 0:
        raise ShareError("The number of days must be more than 0")
    return v


def log_lines(value: Any) -> int:
    return number(value, 1, MAX_LOG_LINES, "number of lines", integer=True)


def share_id(value: Any) -> str:
    if not isinstance(value, str) or not SHARE_ID_RE.match(value):
        raise ShareError(f"Not a share id: {str(value)[:40]!r}")
    return value


def when_text(ts: Any, never: str = "never") -> str:
    """A stored expiry as local time, never failing on a value out of range."""
    if not ts:
        return never
    try:
        return _dt.datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M")
    except (ValueError, OverflowError, OSError, TypeError):
        return "far future" if _is_number(ts) and ts > 0 else "invalid"


@dataclass(frozen=True)
class CreateRequest:
    path: str
    expires_seconds: int        # 0 = never
    password: str | None
    limit_bps: int


CREATE_FIELDS = ("path", "expires", "password", "limit_bps")


def create_request(body: Any, default_expires: Any) -> CreateRequest:
    """The control API's ``POST /api/shares`` body, checked field by field."""
    if not isinstance(body, dict):
        raise ShareError("The body must be a JSON object with 'path' (and optionally 'expires', "
                         "'password', 'limit_bps')")
    unknown = sorted(k for k in body if k not in CREATE_FIELDS)
    if unknown:
        raise ShareError(f"Unknown field {unknown[0][:40]!r} (allowed: {', '.join(CREATE_FIELDS)})")
    if "path" not in body:
        raise ShareError("'path' is required")
    return CreateRequest(
        path=file_path(body["path"], absolute=True),
        expires_seconds=duration(body["expires"] if "expires" in body else default_expires,
                                 "expiry"),
        password=password(body.get("password")),
        limit_bps=rate(body.get("limit_bps"), "limit_bps"))


__all__ = ["duration", "rate", "password", "file_path", "port", "host", "retention_days",
           "share_id", "when_text", "create_request", "CreateRequest", "MAX_EXPIRY_SECONDS",
           "MIN_RATE_BPS", "MAX_RATE_BPS", "MAX_PASSWORD_CHARS"]
