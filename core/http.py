"""HTTP plumbing shared by the engine and resolvers: one session factory,
redirects followed by hand (so credentials never leak to another host), and
per-host connection slots."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from urllib.parse import urljoin, urlsplit

import aiohttp

from . import __version__

USER_AGENT = f"Zhilian/{__version__} (+download manager)"
SENSITIVE = ("authorization", "cookie", "proxy-authorization")
MAX_REDIRECTS = 10


def make_session(*, proxy: str | None = None, user_agent: str | None = None,
                 connect_timeout: float = 20.0) -> aiohttp.ClientSession:
    conn = aiohttp.TCPConnector(limit=0, limit_per_host=0, ttl_dns_cache=300,
                                enable_cleanup_closed=True)
    return aiohttp.ClientSession(
        connector=conn,
        timeout=aiohttp.ClientTimeout(total=None, connect=connect_timeout, sock_connect=connect_timeout),
        headers={"User-Agent": user_agent or USER_AGENT},
        auto_decompress=False,
        read_bufsize=1 << 18,
        max_line_size=16384, max_field_size=16384,
        trust_env=proxy is None,
        proxy=proxy,
    )


def strip_on_redirect(headers: dict[str, str], src: str, dst: str) -> dict[str, str]:
    """Drop Cookie/Authorization when a redirect leaves the host or goes https -> http."""
    a, b = urlsplit(src), urlsplit(dst)
    if (a.hostname or "").lower() == (b.hostname or "").lower() and not (
            a.scheme == "https" and b.scheme == "http") and a.port == b.port:
        return headers
    return {k: v for k, v in headers.items() if k.lower() not in SENSITIVE}


async def request_following(session: aiohttp.ClientSession, method: str, url: str, *,
                            headers: dict[str, str], timeout: aiohttp.ClientTimeout | None = None,
                            ) -> tuple[aiohttp.ClientResponse, str]:
    """Send a request and follow redirects ourselves. Returns (response, final URL).
    The caller must release/close the response."""
    hdrs = dict(headers)
    for _ in range(MAX_REDIRECTS + 1):
        resp = await session.request(method, url, headers=hdrs, allow_redirects=False,
                                     timeout=timeout or aiohttp.helpers.sentinel)
        if resp.status in (301, 302, 303, 307, 308) and "Location" in resp.headers:
            nxt = urljoin(url, resp.headers["Location"])
            resp.release()
            hdrs = strip_on_redirect(hdrs, url, nxt)
            if resp.status == 303:
                method = "GET"
            url = nxt
            continue
        return resp, url
    raise aiohttp.TooManyRedirects(resp.request_info, resp.history)  # type: ignore[possibly-undefined]


class HostSlots:
    """At most ``cap`` connections to one host across all downloads of an engine."""

    def __init__(self, cap: int):
        self.cap = max(1, cap)
        self._used: dict[str, int] = defaultdict(int)
        self._cond = asyncio.Condition()

    def set_cap(self, cap: int) -> None:
        self.cap = max(1, cap)

    def try_acquire(self, host: str) -> bool:
        if self._used[host] < self.cap:
            self._used[host] += 1
            return True
        return False

    def release(self, host: str) -> None:
        self._used[host] = max(0, self._used[host] - 1)

    def used(self, host: str) -> int:
        return self._used[host]
