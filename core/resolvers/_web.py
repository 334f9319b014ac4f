"""Small HTTP helpers shared by the resolvers (model hubs and share hosts alike).

Every request goes through ``ctx.url`` (host map) and redirects are followed by
hand so each hop is mapped too and credentials never follow a redirect to
another host.  Answers are read only up to a limit: a resolver that meets the
file itself (Google Drive, Dropbox) must not pull gigabytes into memory.  A host
that cannot be reached or does not answer in time is ``HostUnreachable``, which
the queue retries later.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

from .. import preconnect
from ..accounts.hosts import creds_for
from ..errors import (
    LASTING_CAUSES,
    NETWORK_CAUSES,
    ErrorKind,
    NotFound,
    ResolveError,
    Throttled,
    network_cause,
)
from ..http import lazy_aiohttp as aiohttp
from ..http import strip_on_redirect
from .base import ResolverContext

BODY_LIMIT = 4 << 20          # enough for any API answer or HTML page
TEXT_TYPES = ("text/", "application/json", "application/xml", "application/xhtml", "+json", "+xml")


class HostUnreachable(ResolveError):
    """The host did not answer (network down, DNS, timeout): trying later may help."""
    retryable = True
    kind = ErrorKind.NETWORK

    def __init__(self, host: str, exc: BaseException, *, retryable: bool = True):
        self.host, self.cause = host, network_cause(exc)
        # an untrusted certificate stays untrusted: no automatic retry, no "try again later"
        lasting = self.cause in LASTING_CAUSES
        self.retryable = retryable and not lasting
        later = "" if lasting else "; try again later"
        super().__init__(f"Cannot reach {host}: {NETWORK_CAUSES[self.cause]}{later}")

    def params(self) -> dict[str, Any]:
        return {"host": self.host, "cause": self.cause}


class UnexpectedAnswer(ResolveError):
    """The host answered something its protocol does not describe."""
    retryable = True


class WebPageAnswer(UnexpectedAnswer):
    """A web page (a login wall, a deleted-file notice) came instead of the file."""
    kind = ErrorKind.WEB_PAGE

    def __init__(self, message: str, host: str = ""):
        self.host = host
        super().__init__(message)

    def params(self) -> dict[str, Any]:
        return {"host": self.host}


@dataclass
class Answer:
    status: int
    headers: Any  # case-insensitive (multidict.CIMultiDict)
    body: bytes
    url: str            # the real (unmapped) URL that gave this answer
    is_file: bool       # the answer is the file itself (body not read)
    cookies: dict[str, str] = field(default_factory=dict)   # what its Set-Cookie headers set

    def json(self) -> Any:
        try:
            return json.loads(self.body.decode("utf-8", "replace"))
        except ValueError as e:
            host = urlsplit(self.url).hostname or "the host"
            raise UnexpectedAnswer(f"{host} sent an unreadable answer (HTTP {self.status})") from e

    def json_or_none(self) -> Any:
        """The parsed body; None when it is empty or not JSON (the caller says what that means)."""
        try:
            return json.loads(self.body.decode("utf-8", "replace")) if self.body.strip() else None
        except ValueError:
            return None

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


def _is_text(headers: Any) -> bool:
    ctype = (headers.get("Content-Type") or "").lower()
    if headers.get("Content-Disposition", "").lower().startswith("attachment"):
        return False
    return any(t in ctype for t in TEXT_TYPES) or not ctype


async def _read_limited(stream: Any) -> bytes:
    """The body up to BODY_LIMIT bytes (``read(n)`` alone stops at what has arrived)."""
    chunks: list[bytes] = []
    got = 0
    while got < BODY_LIMIT:
        chunk = await stream.read(BODY_LIMIT - got)
        if not chunk:
            break
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


async def fetch(ctx: ResolverContext, url: str, *, method: str = "GET",
                headers: dict[str, str] | None = None, data: Any = None,
                follow: bool = True, max_hops: int = 10, read: bool = False,
                label: str | None = None, retry_unreachable: bool = True) -> Answer:
    """One request (plus redirects when ``follow``), body read unless it is a file.
    ``read``: the answer is an API's or a page, never the file: read it (up to the
    limit) whatever its Content-Type says. ``label`` names the host in messages
    ("Baidu"; default: the host name of ``url``). ``retry_unreachable=False``: a host
    that cannot be reached is not retried later by the queue (the share hosts, as
    they have always behaved)."""
    from multidict import CIMultiDict  # comes with aiohttp, which the session has loaded

    timeout = aiohttp.ClientTimeout(total=60, connect=20, sock_read=30)
    hdrs = dict(headers or {})
    host = label or urlsplit(url).hostname or url
    for _ in range(max_hops + 1):
        # the engine's TLS context (one CA store for the process, read again after a refused
        # certificate), not the one aiohttp made when it was imported
        target = ctx.url(url)
        tls = preconnect.tls_context() if target.startswith("https:") else None
        try:
            async with ctx.session.request(method, target, headers=hdrs, data=data,
                                           allow_redirects=False, timeout=timeout,
                                           ssl=tls if tls is not None else True) as r:
                if follow and r.status in (301, 302, 303, 307, 308) and "Location" in r.headers:
                    nxt = urljoin(url, r.headers["Location"])
                    hdrs = strip_on_redirect(hdrs, url, nxt)
                    if r.status == 303 or (r.status in (301, 302) and method == "POST"):
                        method, data = "GET", None
                    url = nxt
                    continue
                if method == "HEAD":
                    body, is_file = b"", False
                elif read or _is_text(r.headers) or r.status >= 300:
                    body, is_file = await _read_limited(r.content), False
                else:
                    body, is_file = b"", True
                cookies = {k: m.value for k, m in r.cookies.items() if m.value}
                return Answer(r.status, CIMultiDict(r.headers), body, url, is_file, cookies)
        except (TimeoutError, aiohttp.ClientError) as e:
            err = HostUnreachable(host, e, retryable=retry_unreachable)
            if err.cause == "certificate":
                preconnect.forget_tls_context(tls)   # the next try reads the CA store again
            raise err from e
    raise UnexpectedAnswer(f"{host} redirected too many times")


def retry_after(headers: Any) -> float | None:
    v = headers.get("Retry-After")
    try:
        return max(0.0, float(v)) if v else None
    except ValueError:
        return None


def common_errors(ans: Answer, what: str) -> None:
    """Map statuses every host uses the same way; returns when none applies."""
    if ans.status == 404 or ans.status == 410:
        raise NotFound(f"{what} no longer exists (HTTP {ans.status})")
    if ans.status in (429, 509):
        ra = retry_after(ans.headers)
        raise Throttled(f"{what}: the host is limiting requests (HTTP {ans.status}); try again later",
                        retry_after=ra)
    if ans.status >= 500:
        raise UnexpectedAnswer(f"{what}: the host has trouble right now (HTTP {ans.status}); "
                               "try again later")


def token_for(ctx: ResolverContext, host: str, *env_names: str) -> str | None:
    """A token for ``host`` from the stored account, else from the environment."""
    tok = creds_for(ctx.credentials, host).get("token")
    if tok:
        return str(tok)
    for name in env_names:
        if ctx.env.get(name):
            return ctx.env[name]
    return None


def total_size(ans: Answer) -> int | None:
    """File size from a probe sent with ``Range: bytes=0-0`` (206) or a plain 200."""
    cr = ans.headers.get("Content-Range", "")
    if ans.status == 206 and "/" in cr:
        tail = cr.rsplit("/", 1)[1].strip()
        return int(tail) if tail.isdigit() else None
    cl = ans.headers.get("Content-Length", "")
    if ans.status == 200 and cl.isdigit():
        return int(cl)
    return None
