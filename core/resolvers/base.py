"""The resolver interface.

A resolver turns a ``Link`` (URL + extraction code) into one or more ``Resolved``
files.  One resolver per module in ``core/resolvers/``; each module defines a
subclass of ``Resolver`` and the registry (``core/resolvers/__init__.py``)
finds it by itself, so adding a host touches no other file.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Callable, ClassVar
from urllib.parse import urlsplit, urlunsplit

from ..models import Link, Mirror, Resolved

if TYPE_CHECKING:
    import aiohttp


class ResolverContext:
    """What a resolver may use. Tests swap every part of it.

    - ``session``: the shared aiohttp session. It may be given as a function that
      makes it: then it is made (and aiohttp imported) only when a resolver first
      uses it, so a plain link never pays for it.
    - ``host_map``: real host name -> "http://127.0.0.1:PORT" of a local mock.
      ``ctx.url(...)`` rewrites a URL through it; resolvers must build every
      request URL with ``ctx.url``.
    - ``clock``: returns unix time; tests move time forward.
    - ``credentials``: host -> dict of cookies/tokens for that account
      (``{"cookies": {...}, "token": "..."}``); filled from the keyring.
    - ``save_cookies``: called with (host, cookies) when a host rotates a
      cookie, so the new value is stored back.
    - ``env``: environment (HF_ENDPOINT, ...), a dict so tests control it.
    - ``save_token``: called with (host, token) when a host hands out a new
      long-lived token in exchange for the stored one (Aliyun Drive rotates its
      refresh token), so the new one is stored back.
    """

    def __init__(self, session: Any, host_map: dict[str, str] | None = None,
                 clock: Callable[[], float] = time.time,
                 credentials: Mapping[str, dict[str, Any]] | None = None,
                 save_cookies: Callable[[str, dict[str, str]], None] | None = None,
                 env: dict[str, str] | None = None,
                 save_token: Callable[[str, str], None] | None = None):
        self._session = session
        self.host_map = host_map if host_map is not None else {}
        self.clock = clock
        self.credentials = credentials if credentials is not None else {}
        self.save_cookies = save_cookies
        self.env = env if env is not None else {}
        self.save_token = save_token

    @property
    def session(self) -> aiohttp.ClientSession:
        if callable(self._session):  # a factory: make the session now
            self._session = self._session()
        return self._session

    def url(self, url: str) -> str:
        """Rewrite scheme+host through the host map (identity when unmapped)."""
        parts = urlsplit(url)
        target = self.host_map.get(parts.hostname or "")
        if not target:
            return url
        t = urlsplit(target)
        return urlunsplit((t.scheme, t.netloc, parts.path, parts.query, parts.fragment))

    def creds(self, host: str) -> dict[str, Any]:
        return self.credentials.get(host, {})


class Resolver:
    """Subclass per host. ``name`` is stored in the queue with each task so the
    same resolver can ``refresh`` later; ``hosts`` are matched against the URL's
    host (exact or as a suffix after a dot)."""

    name: ClassVar[str] = ""
    hosts: ClassVar[tuple[str, ...]] = ()
    priority: ClassVar[int] = 50  # lower wins when several match
    # True when the files keep their folder layout below the target folder
    # (a model repo's tree, an Ollama models folder); share folders are flat.
    keep_layout: ClassVar[bool] = False

    def matches(self, url: str) -> bool:
        host = (urlsplit(url).hostname or "").lower()
        return any(host == h or host.endswith("." + h) for h in self.hosts)

    async def resolve(self, link: Link, ctx: ResolverContext) -> list[Resolved]:
        """All files behind the link (a folder share or repo gives several)."""
        raise NotImplementedError

    async def refresh(self, resolved: Resolved, ctx: ResolverContext) -> list[Mirror]:
        """Fresh mirrors for the same file after its URL expired.  The default
        resolves the original link again and picks the same path/name."""
        link = Link(resolved.ref["link"], resolved.ref.get("password"))
        for r in await self.resolve(link, ctx):
            if (r.path or r.filename) == (resolved.path or resolved.filename):
                return r.mirrors
        from ..errors import LinkExpired
        raise LinkExpired()
