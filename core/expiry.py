"""When does a signed URL stop working, and does an answer say "expired"?

Two questions the engine asks about every mirror:

- ``url_expires_at(url)``: the unix time after which a presigned URL is refused,
  read from the URL's own query (S3 V2/V4, Aliyun OSS V1/V2/V4, Google Cloud
  Storage V4, Azure SAS, CloudFront, Lanzou-style ``e=<unix>``).  ``None`` when
  the URL carries no expiry.
- ``is_expired_answer(status, headers, body)``: whether an error answer is the
  host's way of saying "this signature expired" (as opposed to "forbidden" or
  "not found"), so the engine asks the resolver for a fresh URL instead of
  failing the download.

Both are pure functions (no I/O) so they are cheap to call on every request.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from urllib.parse import parse_qsl, urlsplit

# Presigned URLs are valid for at most a week on S3/OSS/GCS; anything that
# parses to an absurd time is not an expiry (e.g. an unrelated "e=" param).
_MIN_EPOCH = 946_684_800        # 2000-01-01
_MAX_EPOCH = 32_503_680_000     # 3000-01-01


def _query(url: str) -> dict[str, str]:
    """Lower-cased query keys -> first value."""
    try:
        q = urlsplit(url).query
    except ValueError:
        return {}
    out: dict[str, str] = {}
    for k, v in parse_qsl(q, keep_blank_values=True):
        out.setdefault(k.lower(), v)
    return out


def _int(v: str | None) -> int | None:
    if v is None:
        return None
    v = v.strip()
    if not re.fullmatch(r"\d{1,13}", v):
        return None
    return int(v)


def _epoch(v: str | None) -> float | None:
    n = _int(v)
    if n is None:
        return None
    if n > 10 ** 11:            # milliseconds
        n //= 1000
    if _MIN_EPOCH <= n <= _MAX_EPOCH:
        return float(n)
    return None


def _timegm(t: tuple) -> float:
    import calendar  # only for URLs that carry a date (calendar also imports datetime)
    return float(calendar.timegm(t))


def _basic_time(v: str | None) -> float | None:
    """``20261123T094200Z`` (ISO 8601 basic, UTC) -> unix time."""
    if not v:
        return None
    m = re.fullmatch(r"(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z", v.strip(), re.I)
    if not m:
        return None
    try:
        return _timegm(time.struct_time((*map(int, m.groups()), 0, 0, 0)))
    except (ValueError, OverflowError):
        return None


def _iso_time(v: str | None) -> float | None:
    """``2026-11-23T09:42:00Z`` / ``2026-11-23`` (Azure SAS ``se``) -> unix time."""
    if not v:
        return None
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?Z?)?",
                     v.strip(), re.I)
    if not m:
        return None
    y, mo, d, h, mi, s = (int(x) if x else 0 for x in m.groups())
    try:
        return _timegm((y, mo, d, h, mi, s, 0, 0, 0))
    except (ValueError, OverflowError):
        return None


def url_expires_at(url: str) -> float | None:
    """Unix time at which a presigned URL expires, or ``None`` if it has no expiry."""
    q = _query(url)
    if not q:
        return None
    # S3 Signature V4 (also Cloudflare R2, MinIO, Backblaze B2 S3 API ...)
    if "x-amz-date" in q and "x-amz-expires" in q:
        start, secs = _basic_time(q["x-amz-date"]), _int(q["x-amz-expires"])
        if start is not None and secs is not None:
            return start + secs
    # Google Cloud Storage V4
    if "x-goog-date" in q and "x-goog-expires" in q:
        start, secs = _basic_time(q["x-goog-date"]), _int(q["x-goog-expires"])
        if start is not None and secs is not None:
            return start + secs
    # Aliyun OSS: V4 has x-oss-date + x-oss-expires (seconds); V2 has
    # x-oss-expires alone (epoch).
    if "x-oss-expires" in q:
        secs = _int(q["x-oss-expires"])
        start = _basic_time(q.get("x-oss-date"))
        if start is not None and secs is not None:
            return start + secs
        if "x-oss-date" not in q:
            e = _epoch(q["x-oss-expires"])
            if e is not None:
                return e
    # S3 V2 / OSS V1 / CloudFront canned policy / GCS V2: Expires=<epoch>
    if "expires" in q:
        e = _epoch(q["expires"])
        if e is not None:
            return e
    # Azure SAS: se=<ISO time> next to sig=
    if "se" in q and "sig" in q:
        e = _iso_time(q["se"])
        if e is not None:
            return e
    # Lanzou and other CDN-style signed links: e=<unix>, t=<unix>, ...
    if "e" in q:
        e = _epoch(q["e"])
        if e is not None:
            return e
    return None


# ---------------------------------------------------------------------------
# Answers that mean "expired"

_XML_CODE_RE = re.compile(rb"<Code>\s*([^<\s]+)\s*</Code>", re.I)
_XML_MSG_RE = re.compile(rb"<Message>\s*([^<]*?)\s*</Message>", re.I | re.S)
_XML_EC_RE = re.compile(rb"<EC>\s*([^<\s]+)\s*</EC>", re.I)

# Object-store error codes that only ever mean expiry.
_EXPIRED_CODES = {b"expiredrequest", b"expiredtoken", b"requestexpired", b"tokenexpired",
                  b"signatureexpired"}
# Aliyun OSS "Request has expired" error detail code.
_OSS_EXPIRED_EC = "0002-00000069"
# Messages that say the signature / request expired (lower-case, bytes).
_EXPIRED_MESSAGES = (b"request has expired", b"request expired", b"signature expired",
                     b"signed expiry time", b"url is expired", b"url has expired",
                     b"link has expired", b"link expired", b"token has expired",
                     b"signature not valid in the specified time frame")
# Baidu PCS / xpan JSON error codes meaning the download link expired.
_BAIDU_EXPIRED = {31360}


def _header(headers: Mapping[str, str], name: str) -> str:
    try:
        v = headers.get(name)
        if v is None:
            low = name.lower()
            for k, val in headers.items():
                if k.lower() == low:
                    return val
            return ""
        return v
    except AttributeError:
        return ""


def is_expired_answer(status: int, headers: Mapping[str, str], body: bytes) -> bool:
    """True when an HTTP answer means the (signed) URL expired.

    Recognised: S3 403 ``AccessDenied`` "Request has expired", Aliyun OSS 403
    "Request has expired." / EC ``0002-00000069`` (body or ``x-oss-ec`` header),
    Cloudflare R2 ``ExpiredRequest``, Google Cloud Storage ``ExpiredToken``,
    Azure "Signed expiry time", Baidu JSON ``error_code`` 31360.
    """
    if status < 400 or status >= 500:
        return False
    body = body or b""
    if _header(headers, "x-oss-ec").strip() == _OSS_EXPIRED_EC:
        return True
    if _header(headers, "x-error-code").strip().lower() in {"expiredrequest", "linkexpired"}:
        return True
    head = body[:65536]
    low = head.lower()
    # XML object-store errors
    codes = {c.lower() for c in _XML_CODE_RE.findall(head)}
    if codes & _EXPIRED_CODES:
        return True
    ecs = {e.decode("ascii", "replace") for e in _XML_EC_RE.findall(head)}
    if _OSS_EXPIRED_EC in ecs:
        return True
    msgs = [m.lower() for m in _XML_MSG_RE.findall(head)]
    if any(any(p in m for p in _EXPIRED_MESSAGES) for m in msgs):
        return True
    if codes and any(p in low for p in _EXPIRED_MESSAGES):  # e.g. Azure's error detail
        return True
    # JSON errors (Baidu, generic)
    stripped = head.strip()
    if stripped.startswith(b"{"):
        try:
            data = json.loads(stripped.decode("utf-8", "replace"))
        except (ValueError, RecursionError):
            data = None
        if isinstance(data, dict):
            for key in ("error_code", "errno", "errcode"):
                v = data.get(key)
                if isinstance(v, str) and v.lstrip("-").isdigit():
                    v = int(v)
                if isinstance(v, int) and v in _BAIDU_EXPIRED:
                    return True
            for key in ("error_msg", "message", "msg", "error"):
                v = data.get(key)
                if isinstance(v, str) and any(p in v.lower().encode() for p in _EXPIRED_MESSAGES):
                    return True
            return False
    # Plain text bodies of CDNs
    if not codes and not msgs and len(low) < 4096 and b"<html" not in low:
        return any(p in low for p in (b"request has expired", b"url is expired",
                                      b"url has expired", b"link has expired"))
    return False


__all__ = ["url_expires_at", "is_expired_answer"]
