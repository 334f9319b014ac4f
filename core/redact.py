"""Keep secrets out of logs: query values, headers, cookies, passwords and tokens are
masked wherever they appear in a text (a log message, its arguments, a traceback)."""

from __future__ import annotations

import functools
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


# any scheme: http(s), socks5://user:pw@host, ftp ...
_URL_RE = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]{1,15}://[^\s'\"<>]+")
_HEADER_NAMES = r"set-cookie|cookie|proxy-authorization|authorization|x-auth-token|x-api-key|x-share-token"
# Cookie names of the share hosts: a value after '=' or ':' is masked.
_COOKIE_NAMES = r"BDUSS\w*|STOKEN|PTOKEN|BDCLND|__puus|__pus|__kp|FedAuth|rtFa|ctoken"
# Generic secret names: masked after '=' (':' too for the password family).
_KEYS = (r"token|access_token|refresh_token|api_key|apikey|sign|signature|X-Amz-Signature|"
         r"X-Amz-Credential|X-Amz-Security-Token|secret|client_secret|sessionid")
_PASSWORDS = r"password|passwd|passcode|pwd|提取码|密码"
_NAMES = rf"{_HEADER_NAMES}|{_COOKIE_NAMES}|{_KEYS}|{_PASSWORDS}"
# 'Cookie': 'a=b; c=d' / "password": "x" (a dict's repr, JSON)
_QUOTED = rf"(?i)(['\"])({_NAMES})\1(\s*:\s*b?)(['\"])((?:\\.|(?!\4).)*)\4"
# Cookie: a=b; c=d  (a header line: the whole value up to the end of the line or a quote)
_HEADER = rf"(?i)\b({_HEADER_NAMES})(\s*:\s*)([^\r\n'\"]+)"
_VALUE = r"[^\s;&,'\"]*[^\s;&,'\":.)\]}]"   # a value never takes the text's punctuation
_KV = (rf"(?i)(?<![\w-])({_COOKIE_NAMES}|{_PASSWORDS})(\s*[=:]\s*)({_VALUE})"
       rf"|(?<![\w-])({_KEYS})(\s*=\s*)({_VALUE})")
_BEARER = r"(?i)\b(Bearer|Basic)(\s+)([A-Za-z0-9._~+/=-]{8,})"
# tokens recognisable by their shape: Hugging Face, GitHub, JWTs
_TOKEN = (r"\b(hf_|gh[pousr]_|github_pat_)[A-Za-z0-9_]{16,}"
          r"|\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*")
# Every ASCII text the patterns above can match holds one of these (lower-cased, as the
# patterns ignore case; a text with other characters goes through them all, as case-
# insensitive matching pairs some of those with ASCII letters): most log lines hold none,
# and then those patterns are neither compiled nor run. tests/logs hold the two ways equal.
_NAME_HINTS = ("cookie", "authorization", "x-api-key", "token", "bduss", "bdclnd", "__puus", "__pus",
               "__kp", "fedauth", "rtfa", "api_key", "apikey", "sign", "x-amz-credential", "secret",
               "sessionid", "passwd", "passcode", "password", "pwd")
_BEARER_HINTS = ("bearer", "basic")
_TOKEN_HINTS = ("hf_", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "eyJ")


@functools.cache
def _re(pattern: str) -> re.Pattern:
    return re.compile(pattern)


def _kv(m: re.Match) -> str:
    if m.group(1) is not None:
        return f"{m.group(1)}{m.group(2)}{MASK}"
    return f"{m.group(4)}{m.group(5)}{MASK}"


def _url(m: re.Match) -> str:
    url = m.group(0)
    core = url.rstrip(".,:;!?)]}")   # "see https://h/f?sign=x." keeps its full stop
    return redact_url(core) + url[len(core):]


def redact_text(text: str) -> str:
    """Mask URLs' secret query values and user info, header values of Cookie /
    Authorization, cookies of the share hosts, passwords, `NAME=secret` pairs, bearer
    and hub tokens."""
    if "://" in text:
        text = _URL_RE.sub(_url, text)
    folded = text.lower() if text.isascii() else None
    if folded is None or any(h in folded for h in _NAME_HINTS):
        text = _re(_QUOTED).sub(
            lambda m: f"{m.group(1)}{m.group(2)}{m.group(1)}{m.group(3)}{m.group(4)}{MASK}{m.group(4)}", text)
        text = _re(_HEADER).sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", text)
        text = _re(_KV).sub(_kv, text)
    if folded is None or any(h in folded for h in _BEARER_HINTS):
        text = _re(_BEARER).sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", text)
    if any(h in text for h in _TOKEN_HINTS):
        text = _re(_TOKEN).sub(lambda m: (m.group(1) or "") + MASK, text)
    return text


class RedactingFilter(logging.Filter):
    """Attach to handlers: rewrites each record's message (with its arguments merged)
    with secrets masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            msg = record.getMessage()
        except Exception:  # pragma: no cover - malformed record
            return True
        record.msg, record.args = redact_text(msg), None
        return True


class RedactingFormatter(logging.Formatter):
    """A formatter whose whole output (message, arguments, traceback, stack) goes
    through ``redact_text``: an exception's text can carry a signed URL as well."""

    def format(self, record: logging.LogRecord) -> str:
        return redact_text(super().format(record))
