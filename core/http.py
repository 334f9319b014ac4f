"""HTTP plumbing shared by the engine and resolvers: the resolvers' aiohttp session
factory, the rule that drops credentials when a redirect leaves the host
(``strip_on_redirect``, from core/wire.py), and per-host connection slots. aiohttp is imported on first use only: a plain download
never needs it (the engine's data path is ``core/wire.py``)."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from . import __version__
from .wire import socks_url, strip_on_redirect

if TYPE_CHECKING:
    import aiohttp

USER_AGENT = f"Zhilian/{__version__} (+download manager)"


class _LazyAiohttp:
    """Stands for the aiohttp module in resolver modules: the module is imported on the
    first attribute used (a request, an ``except aiohttp.ClientError`` after one), so
    loading the resolver registry for a plain link costs no aiohttp import."""

    def __getattr__(self, name: str):
        import aiohttp
        return getattr(aiohttp, name)


lazy_aiohttp = _LazyAiohttp()
__all__ = ["USER_AGENT", "HostSlots", "lazy_aiohttp", "make_session", "strip_on_redirect"]


def make_session(*, proxy: str | None = None, user_agent: str | None = None,
                 connect_timeout: float = 20.0) -> aiohttp.ClientSession:
    import aiohttp
    kw = dict(limit=0, limit_per_host=0, ttl_dns_cache=300, enable_cleanup_closed=True)
    use_env = proxy is None   # no proxy given: http_proxy/https_proxy/no_proxy apply
    if proxy and proxy.lower().startswith("socks"):
        # aiohttp itself speaks HTTP proxies only; aiohttp-socks tunnels through SOCKS
        from aiohttp_socks import ProxyConnector
        url, rdns = socks_url(proxy)
        conn = ProxyConnector.from_url(url, rdns=rdns, **kw)
        proxy = None
    else:
        conn = aiohttp.TCPConnector(**kw)
    return aiohttp.ClientSession(
        connector=conn,
        timeout=aiohttp.ClientTimeout(total=None, connect=connect_timeout, sock_connect=connect_timeout),
        headers={"User-Agent": user_agent or USER_AGENT},
        auto_decompress=False,
        read_bufsize=1 << 18,
        max_line_size=16384, max_field_size=16384,
        trust_env=use_env,
        proxy=proxy,
    )


class HostSlots:
    """At most ``cap`` connections to one host across all downloads of an engine, shared
    fairly: each download on a host gets an equal share of its slots (a download that
    wants fewer leaves the rest to the others), so two downloads from one throttled host
    run at the same speed whichever started first."""

    def __init__(self, cap: int):
        self.cap = max(1, cap)
        # host -> owner -> slots held; owners (downloads) leave it when they hold none, so a
        # finished download is not kept alive by it
        self._held: dict[str, dict[object, int]] = defaultdict(dict)
        self._wants: dict[str, dict[object, int]] = defaultdict(dict)   # host -> owner -> demand

    def set_cap(self, cap: int) -> None:
        self.cap = max(1, cap)

    def join(self, host: str, owner: object, demand: int) -> None:
        self._wants[host][owner] = max(1, demand)

    def leave(self, host: str, owner: object) -> None:
        self._wants[host].pop(owner, None)

    def share(self, host: str, owner: object) -> int:
        """The owner's fair number of slots on host (water-filling over the demands)."""
        wants = self._wants.get(host) or {}
        if owner not in wants:
            return self.cap
        left, owners = self.cap, sorted(wants.items(), key=lambda kv: kv[1])
        for i, (o, d) in enumerate(owners):
            fair = max(1, left // (len(owners) - i))
            give = min(d, fair)
            if o is owner:
                return give
            left -= give
        return 1

    def can_take(self, host: str, owner: object) -> bool:
        return self.used(host) < self.cap and self._holds(host, owner) < self.share(host, owner)

    def try_acquire(self, host: str, owner: object) -> bool:
        if not self.can_take(host, owner):
            return False
        self._held[host][owner] = self._holds(host, owner) + 1
        return True

    def release(self, host: str, owner: object) -> None:
        n = self._holds(host, owner) - 1
        if n > 0:
            self._held[host][owner] = n
        else:
            self._held[host].pop(owner, None)

    def excess(self, host: str, owner: object) -> int:
        """How many slots the owner holds beyond its share now (another download joined)."""
        return max(0, self._holds(host, owner) - self.share(host, owner))

    def over_share(self, host: str, owner: object) -> bool:
        return self.excess(host, owner) > 0

    def _holds(self, host: str, owner: object) -> int:
        return self._held[host].get(owner, 0)

    def used(self, host: str) -> int:
        return sum(self._held[host].values())
