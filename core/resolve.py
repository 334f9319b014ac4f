"""From pasted text to downloadable files: the helpers the CLI, the queue and
the GUI share.

    ctx = make_context(session)                     # host map, logins, env
    files = await resolve_links(text, ctx)          # parse + resolver per link
    refresh = make_refresher(files[0], ctx)         # for the engine (None: bare link)

``ZHILIAN_HOST_MAP='{"huggingface.co": "http://127.0.0.1:8081"}'`` in the
environment points real host names at other servers (used by tests of the CLI
in a subprocess, and handy for a corporate mirror).
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Mapping
from typing import Any

from .errors import LinkExpired, UnsupportedLink, ZhilianError
from .linkoptions import link_options, select, without_options
from .linkparse import parse_links
from .models import Link, Mirror, Refresher, Resolved
from .redact import redact_url
from .resolvers import find, get
from .resolvers.base import ResolverContext

log = logging.getLogger(__name__)
HOST_MAP_ENV = "ZHILIAN_HOST_MAP"
# More refreshes than this within the window means no fresh link helps (a wrong
# local clock, or a host that signs already-expired URLs): stop instead of looping.
REFRESH_BURST = 8
REFRESH_WINDOW = 120.0


def host_map_from_env(env: dict[str, str] | None = None) -> dict[str, str]:
    """The host map given in ``ZHILIAN_HOST_MAP`` (JSON object), or {}."""
    raw = (env if env is not None else os.environ).get(HOST_MAP_ENV, "").strip()
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except ValueError as e:
        raise ZhilianError(f"{HOST_MAP_ENV} is not valid JSON: {e}") from e
    if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                             for k, v in data.items()):
        raise ZhilianError(f'{HOST_MAP_ENV} must be a JSON object like {{"host": "http://127.0.0.1:PORT"}}')
    return {k.lower(): v.rstrip("/") for k, v in data.items()}


def _stored_credentials() -> dict[str, dict[str, Any]]:
    try:
        from .accounts import load_credentials
        return load_credentials()
    except Exception as e:  # no keyring, broken store: resolve without logins
        log.warning("logins not available: %s", e)
        return {}


class LazyCredentials(Mapping):
    """Stored logins, read from the keyring only when a resolver first asks for one,
    so a plain direct link never touches the keyring.  ``overrides`` (host -> account)
    win over what is stored."""

    def __init__(self, loader: Callable[[], dict[str, dict[str, Any]]] | None = None,
                 overrides: dict[str, dict[str, Any]] | None = None):
        self._loader = loader or _stored_credentials
        self._overrides = dict(overrides or {})
        self._data: dict[str, dict[str, Any]] | None = None

    def _get(self) -> dict[str, dict[str, Any]]:
        if self._data is None:
            data = dict(self._loader())
            for host, acc in self._overrides.items():
                data[host] = {**data.get(host, {}), **acc}
            self._data = data
        return self._data

    def __getitem__(self, host: str) -> dict[str, Any]:
        return self._get()[host]

    def __iter__(self):
        return iter(self._get())

    def __len__(self) -> int:
        return len(self._get())


def make_context(session: Any, *, host_map: dict[str, str] | None = None,
                 credentials: dict[str, dict[str, Any]] | None = None,
                 save_cookies: Callable[[str, dict[str, str]], None] | None = None,
                 env: dict[str, str] | None = None,
                 clock: Callable[[], float] | None = None,
                 save_token: Callable[[str, str], None] | None = None) -> ResolverContext:
    """A resolver context.  ``session`` is an aiohttp session or a function making
    one (called when a resolver first needs it).  ``env`` defaults to the process environment (so
    ``HF_ENDPOINT``, ``HF_TOKEN``... work); ``credentials`` default to the logins
    stored in the keyring; the host map is ``ZHILIAN_HOST_MAP`` merged with
    ``host_map`` (the argument wins)."""
    env = dict(os.environ) if env is None else dict(env)
    hm = host_map_from_env(env)
    hm.update({k.lower(): v.rstrip("/") for k, v in (host_map or {}).items()})
    if credentials is None:
        credentials = LazyCredentials()
    if save_cookies is None:
        def save_cookies(host: str, cookies: dict[str, str]) -> None:
            try:
                from .accounts import save_cookies as store
                store(host, cookies)
            except Exception as e:  # keep going: the new cookie lives for this run
                log.warning("could not store rotated cookies for %s: %s", host, e)
    if save_token is None:
        def save_token(host: str, token: str) -> None:
            try:
                from .accounts import set_token
                set_token(host, token)
            except Exception as e:  # keep going: the new token lives for this run
                log.warning("could not store the renewed token for %s: %s", host, e)
    return ResolverContext(session=session, host_map=hm, clock=clock or time.time,
                           credentials=credentials, save_cookies=save_cookies, env=env,
                           save_token=save_token)


async def resolve_link(link: Link, ctx: ResolverContext) -> list[Resolved]:
    """Every file behind one parsed link, each with ``resolver`` and ``ref`` set."""
    resolver = find(link.url)
    if resolver is None:
        raise UnsupportedLink(f"Not a link Zhilian can download: {redact_url(link.url)[:100]}")
    out = select(await resolver.resolve(link, ctx), link_options(link.url),
                 redact_url(without_options(link.url))[:100])
    for r in out:
        r.resolver = resolver.name
        r.ref.setdefault("link", link.url)
        if link.password and "password" not in r.ref:
            r.ref["password"] = link.password
    return out


async def resolve_links(text: str, ctx: ResolverContext, *,
                        errors: list[tuple[Link, ZhilianError]] | None = None) -> list[Resolved]:
    """Parse ``text`` and resolve every link in it.

    Without ``errors`` the first failing link raises its typed error.  With an
    ``errors`` list, failures are appended as ``(link, error)`` and the other
    links still resolve (a paste of ten links with one dead share gives nine)."""
    links = parse_links(text)
    if not links:
        raise UnsupportedLink("No link found in the pasted text")
    out: list[Resolved] = []
    for link in links:
        try:
            found = await resolve_link(link, ctx)
            log.info("resolved %s: %d file(s) via %s", redact_url(link.url), len(found),
                     found[0].resolver if found else "-")
            out.extend(found)
        except ZhilianError as e:
            log.info("could not resolve %s: %s", redact_url(link.url), e)
            if errors is None:
                raise
            errors.append((link, e))
    return out


def make_refresher(resolved: Resolved, ctx: ResolverContext) -> Refresher | None:
    """A coroutine function giving fresh mirrors for ``resolved`` (for the engine),
    or None for a bare direct link (which cannot be renewed)."""
    name = resolved.resolver or "direct"
    if name == "direct" or not resolved.ref.get("link"):
        return None
    try:
        resolver = get(name)
    except KeyError:
        return None

    recent: list[float] = []

    async def refresh() -> list[Mirror]:
        now = ctx.clock()
        recent[:] = [t for t in recent if now - t < REFRESH_WINDOW]
        if len(recent) >= REFRESH_BURST:
            raise LinkExpired(
                "The host's links keep expiring right after they are renewed: check this "
                "computer's date and time, or paste a new link")
        recent.append(now)
        mirrors = await resolver.refresh(resolved, ctx)
        if not mirrors:
            raise LinkExpired("The host gave no fresh link for this file: paste a new link")
        for m in mirrors:
            if m.expires_at is not None:
                resolved.expires_at = m.expires_at
        resolved.mirrors = list(mirrors)
        return mirrors

    return refresh


__all__ = ["make_context", "resolve_link", "resolve_links", "make_refresher", "host_map_from_env"]
