"""Keep secrets out of logs: query values, headers and cookies are masked."""

from __future__ import annotations

import logging
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Query parameters whose values are secrets (compared lower-case).
SECRET_PARAMS = {
    "x-amz-signature", "x-amz-credential", "x-amz-security-token", "signature", "sign",
    "token", "access_token", "auth", "authorization", "key", "api_key", "apikey",
    "bduss", "stoken", "x-oss-signature", "x-oss-credential", "x-oss-security-token",
    "ossaccesskeyid", "rlkey", "pwd", "password", "passcode", "randsk", "sig", "se",
    "e", "skey", "session", "sessionid", "code", "bdstoken", "dstime", "x-goog-signature",
    "x-goog-credential", "hash", "fn", "share",
    "auth_key", "x-oss-access-key-id", "security-token",
}
SECRET_HEADERS = {"authorization", "cookie", "set-cookie", "proxy-authorization", "x-auth-token"}
MASK = "***"
# Path segments that are credentials: OneDrive's pre-authenticated download URLs carry
# their token as a path segment starting "y4" (…files.1drv.com/y4m<token>/name).
_SECRET_SEGMENT = re.compile(r"^y4[A-Za-z][\w-]{20,}$")


def redact_url(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:
        return MASK
    netloc = parts.netloc
    if "@" in netloc:  # user:password@host
        netloc = MASK + "@" + netloc.rsplit("@", 1)[1]
    if "/y4" in parts.path:
        parts = parts._replace(path="/".join(MASK if _SECRET_SEGMENT.match(seg) else seg
                                             for seg in parts.path.split("/")))
    if not parts.query:
        return urlunsplit(parts._replace(netloc=netloc))
    q = [(k, MASK if k.lower() in SECRET_PARAMS else v)
         for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    return urlunsplit(parts._replace(netloc=netloc, query=urlencode(q, safe="*")))


def redact_headers(headers) -> dict[str, str]:
    return {k: (MASK if k.lower() in SECRET_HEADERS else v) for k, v in dict(headers).items()}


_URL_RE = re.compile(r"https?://[^\s'\"<>]+")
_KV_RE = re.compile(
    r"(?i)\b(BDUSS|STOKEN|BDCLND|__puus|__pus|FedAuth|rtFa|token|sign|signature|"
    r"X-Amz-Signature|Authorization|Cookie|passcode|pwd)(\s*[=:]\s*)(Bearer\s+)?([^\s;&,'\"]+)")


def redact_text(text: str) -> str:
    """Mask URLs' secret query values and anything that looks like `NAME=secret`."""
    text = _URL_RE.sub(lambda m: redact_url(m.group(0)), text)
    return _KV_RE.sub(lambda m: f"{m.group(1)}{m.group(2)}{m.group(3) or ''}{MASK}", text)


class RedactingFilter(logging.Filter):
    """Attach to handlers: rewrites each record's message with secrets masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            msg = record.getMessage()
        except Exception:  # pragma: no cover - malformed record
            return True
        record.msg, record.args = redact_text(msg), None
        return True


def setup_logging(level: int = logging.INFO, to_file: bool = True) -> None:
    """Root logging for the app: a redacting file handler in the log dir."""
    from . import paths
    root = logging.getLogger()
    if any(getattr(h, "_zhilian", False) for h in root.handlers):
        return
    root.setLevel(level)
    handlers: list[logging.Handler] = []
    if to_file:
        from logging.handlers import RotatingFileHandler
        h = RotatingFileHandler(paths.log_dir() / "zhilian.log", maxBytes=2_000_000,
                                backupCount=3, encoding="utf-8")
        handlers.append(h)
    for h in handlers:
        h.addFilter(RedactingFilter())
        h.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        h._zhilian = True  # type: ignore[attr-defined]
        root.addHandler(h)
