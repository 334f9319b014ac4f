"""Run resolver calls against the mocks from plain (sync) tests."""

from __future__ import annotations

import asyncio

import aiohttp

from core.resolve import make_context, make_refresher, resolve_links


def run_resolve(text: str, hosts: dict[str, str], *, credentials=None, env=None, clock=None,
                refresh_after: bool = False):
    async def go():
        async with aiohttp.ClientSession() as s:
            ctx = make_context(s, host_map=hosts, credentials=credentials or {}, env=env or {},
                               clock=clock, save_cookies=lambda h, c: None)
            out = await resolve_links(text, ctx)
            fresh = None
            if refresh_after:
                ref = make_refresher(out[0], ctx)
                fresh = await ref() if ref else None
            return out, fresh
    return asyncio.run(go())


def resolve(text: str, hosts: dict[str, str], **kw):
    return run_resolve(text, hosts, **kw)[0]


async def get_bytes(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    async with aiohttp.ClientSession() as s:
        async with s.get(url, headers=headers or {}) as r:
            return r.status, await r.read()


def fetch_mirror(mirror, hosts: dict[str, str]) -> tuple[int, bytes]:
    """GET a mirror like the engine would (following redirects through the host map)."""
    from urllib.parse import urljoin, urlsplit, urlunsplit

    async def go():
        url, headers = mirror.url, dict(mirror.headers)
        async with aiohttp.ClientSession() as s:
            for _ in range(10):
                async with s.get(url, headers=headers, allow_redirects=False) as r:
                    if r.status in (301, 302, 303, 307, 308):
                        nxt = urljoin(url, r.headers["Location"])
                        p = urlsplit(nxt)
                        if p.hostname in hosts:
                            t = urlsplit(hosts[p.hostname])
                            nxt = urlunsplit((t.scheme, t.netloc, p.path, p.query, ""))
                        if urlsplit(nxt).netloc != urlsplit(url).netloc:
                            headers.pop("Authorization", None)
                        url = nxt
                        continue
                    return r.status, await r.read()
        raise AssertionError("too many redirects")
    return asyncio.run(go())
