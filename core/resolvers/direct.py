"""Plain http(s) links: the fallback for any URL no other resolver claims.

Nothing is fetched here (the engine probes size, name and Range support); the
URL's own expiry (S3/OSS/GCS/Azure/Lanzou signatures) is read so the engine
knows when the link stops working.  A bare link cannot be renewed: when it
expires the task pauses with "Link expired: paste a new link".
"""

from __future__ import annotations

from urllib.parse import urlsplit

from ..errors import LinkExpired, UnsupportedLink
from ..expiry import url_expires_at
from ..filenames import name_from_url
from ..models import Link, Mirror, Resolved
from .base import Resolver, ResolverContext

_SCRIPT_EXTS = (".php", ".asp", ".aspx", ".jsp", ".cgi", ".html", ".htm", ".do", ".action")


def guess_name(url: str) -> str | None:
    """The file name the URL path shows, when it looks like one ("model.pth", not
    "download.php" or "file")."""
    name = name_from_url(url)
    if not name or "." not in name.strip(".") or name.lower().endswith(_SCRIPT_EXTS):
        return None
    return name


class DirectResolver(Resolver):
    name = "direct"
    hosts = ()
    priority = 1_000_000  # loses against every host-specific resolver

    def matches(self, url: str) -> bool:
        try:
            p = urlsplit(url)
        except ValueError:
            return False
        return p.scheme.lower() in ("http", "https") and bool(p.hostname)

    async def resolve(self, link: Link, ctx: ResolverContext) -> list[Resolved]:
        if not self.matches(link.url):
            raise UnsupportedLink(f"Not an http(s) link: {link.url[:80]}")
        url = ctx.url(link.url)
        exp = url_expires_at(link.url)
        if exp is not None and exp <= ctx.clock():
            raise LinkExpired("This signed link has already expired: paste a new link")
        mirror = Mirror(url, expires_at=exp)
        return [Resolved(mirrors=[mirror], filename=guess_name(link.url), expires_at=exp,
                         resolver=self.name, ref={"link": link.url})]

    async def refresh(self, resolved: Resolved, ctx: ResolverContext) -> list[Mirror]:
        raise LinkExpired("Link expired: paste a new link")
