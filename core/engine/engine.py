"""The ``Engine``: what all downloads share (the HTTP client of the data path, the
resolvers' session, the global speed limit, the per-host connection cap, the clocks,
the registry of names in use), and the factory of downloads."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Callable

from .. import identity, wire
from ..errors import NoUsableSource
from ..http import USER_AGENT, HostSlots
from ..models import Mirror, Refresher, Resolved
from ..ratelimit import TokenBucket
from .download import Download
from .options import DownloadOptions, Progress


class Engine:
    """Shared state of all downloads: the HTTP client of the data path, the global
    speed limit and the per-host connection cap. ``session`` is the aiohttp session
    resolvers use; it is made (and aiohttp imported) the first time one asks for it,
    and the cookies it collects go with the download requests too.

    ``clock`` (wall time, for link expiry), ``cpu_clock`` (CPU seconds of the event
    loop's thread, for the growth rule) and ``client`` (a core/wire.py Client, or
    anything with its ``get`` and ``close``) may be given; by default the engine makes
    its client and closes it with itself (a given client is the giver's to close)."""

    def __init__(self, *, global_limit: float = 0, per_host: int = 16,
                 user_agent: str | None = None, proxy: str | None = None,
                 clock: Callable[[], float] = time.time,
                 cpu_clock: Callable[[], float] = time.thread_time,
                 session=None, client: wire.Client | None = None):
        self.global_bucket = TokenBucket(global_limit)
        self.slots = HostSlots(per_host)
        self.clock = clock
        self.cpu_clock = cpu_clock   # CPU seconds of the event loop's thread (growth rule)
        self._proxy, self._ua = proxy, user_agent
        self._session = session
        self._own_session = session is None
        self._own_client = client is None
        self.client = client if client is not None else wire.Client(
            user_agent=user_agent or USER_AGENT, proxy=proxy, cookies=self._session_cookies)
        self._names: dict[str, object] = {}   # final path -> the Download that holds it

    @property
    def session(self):
        """The resolvers' aiohttp session (made on first use)."""
        if self._session is None:
            from ..http import make_session
            self._session = make_session(proxy=self._proxy, user_agent=self._ua)
        return self._session

    def _session_cookies(self, url: str) -> dict[str, str]:
        if self._session is None:
            return {}
        from yarl import URL
        return {k: m.value for k, m in self._session.cookie_jar.filter_cookies(URL(url)).items()}

    async def __aenter__(self) -> Engine:
        return self

    async def __aexit__(self, *exc) -> None:
        await self.close()

    async def close(self) -> None:
        if self._own_client:
            await self.client.close()
        if self._session is not None and self._own_session:
            await self._session.close()
            self._session = None

    def set_global_limit(self, bps: float) -> None:
        self.global_bucket.set_rate(bps)

    def set_per_host(self, cap: int) -> None:
        self.slots.set_cap(cap)

    def claim_name(self, path: Path, owner: object) -> bool:
        """In-process name reservation, one name per owner: True when `owner` may use
        `path` (free, or already its own); a new claim replaces the owner's earlier one."""
        key = os.path.normcase(os.path.abspath(path))
        holder = self._names.get(key)
        if holder is not None and holder is not owner:
            return False
        self.release_names(owner)
        self._names[key] = owner
        return True

    def release_names(self, owner: object) -> None:
        for k in [k for k, v in self._names.items() if v is owner]:
            del self._names[k]

    def download(self, source: list[Mirror] | Resolved, dest_dir: Path,
                 options: DownloadOptions | None = None, *,
                 on_progress: Callable[[Progress], None] | None = None,
                 refresh: Refresher | None = None) -> Download:
        opts = options or DownloadOptions()
        if isinstance(source, Resolved):
            opts = DownloadOptions(**{**opts.__dict__})
            opts.sha256 = opts.sha256 or source.sha256
            opts.md5 = opts.md5 or source.md5
            opts.size = opts.size if opts.size is not None else source.size
            if source.resolver != "direct":
                # a host's own name for the file; for plain links the server's
                # Content-Disposition (read by the probe) is the better authority
                opts.filename = opts.filename or source.filename
            if opts.connections is None and source.max_connections:
                opts.connections = source.max_connections
            mirrors = list(source.mirrors)
        else:
            mirrors = list(source)
        if not mirrors:
            raise NoUsableSource("No download source")
        return Download(self, mirrors, Path(dest_dir), opts, on_progress, refresh,
                        sources=identity.source_keys(source))
