"""Helpers of the share-host tests."""

from __future__ import annotations

import contextlib

from share_mocks import BaiduMock


@contextlib.asynccontextmanager
async def make_ctx(host_map, credentials=None, saved=None):
    """A ResolverContext on a fresh session; ``saved`` collects save_cookies calls."""
    import aiohttp

    from core.resolvers.base import ResolverContext
    async with aiohttp.ClientSession() as session:
        yield ResolverContext(session=session, host_map=dict(host_map),
                              credentials=credentials or {},
                              save_cookies=(lambda h, c: saved.append((h, dict(c))))
                              if saved is not None else None)


BAIDU_CREDS = {"baidu.com": {"cookies": {"BDUSS": BaiduMock.BDUSS, "STOKEN": BaiduMock.STOKEN}}}


def fetch_mirror(mirror) -> tuple[int, bytes]:
    """GET a resolved mirror with its headers: (status, body)."""
    import asyncio

    import aiohttp

    async def go():
        async with aiohttp.ClientSession() as s, s.get(mirror.url, headers=mirror.headers) as r:
            return r.status, await r.read()
    return asyncio.run(go())
