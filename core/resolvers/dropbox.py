"""Dropbox shared links.

``/s/<id>/<name>?dl=0`` and ``/scl/fi/<id>/<name>?rlkey=<k>&dl=0`` (and shared
folders ``/sh/...`` / ``/scl/fo/...``, which Dropbox serves as one zip): the file
itself is at the same URL with ``dl=1``; ``rlkey`` (the link's key) and ``st``
must be kept.  That URL answers 302 to ``*.dl.dropboxusercontent.com``, which
serves Range requests.  The stable ``dl=1`` URL is what the engine gets (it
follows the redirect itself).  No login is needed for public links.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from ..errors import NeedLogin, NotFound, QuotaExceeded, UnsupportedLink
from ..filenames import parse_content_disposition
from ..models import Link, Mirror, Resolved
from ._web import UnexpectedAnswer, WebPageAnswer, common_errors, fetch, total_size
from .base import Resolver, ResolverContext


def direct_url(url: str) -> str:
    """The ``dl=1`` form of a shared link (other parameters kept, ``raw`` dropped)."""
    p = urlsplit(url)
    q = [(k, v) for k, v in parse_qsl(p.query, keep_blank_values=True) if k not in ("dl", "raw")]
    q.append(("dl", "1"))
    host = p.netloc if p.netloc.lower() != "dropbox.com" else "www.dropbox.com"
    return urlunsplit(("https" if p.scheme == "http" else p.scheme, host, p.path, urlencode(q), ""))


class DropboxResolver(Resolver):
    name = "dropbox"
    hosts = ("dropbox.com",)
    priority = 20

    async def resolve(self, link: Link, ctx: ResolverContext) -> list[Resolved]:
        p = urlsplit(link.url)
        parts = [unquote(x) for x in p.path.split("/") if x]
        if not parts or parts[0] not in ("s", "scl", "sh"):
            raise UnsupportedLink("Paste a Dropbox shared link (dropbox.com/s/… or /scl/fi/…)")
        is_folder = parts[0] == "sh" or parts[:2] == ["scl", "fo"]
        if parts[:2] == ["scl", "fi"] and "rlkey" not in {k for k, _ in parse_qsl(p.query)}:
            raise UnsupportedLink("This Dropbox link lacks its rlkey= part: copy the whole link again")
        url = direct_url(link.url)
        ans = await fetch(ctx, url, headers={"Range": "bytes=0-0"}, follow=True)
        what = "This Dropbox link"
        if ans.status in (401, 403):
            if b"password" in ans.body.lower():
                raise NeedLogin("dropbox.com", message=(
                    "This Dropbox link is protected by a password: open it in a browser, "
                    "then share a link without a password"))
            raise NeedLogin("dropbox.com", message="This Dropbox link is private to its owner's team")
        if ans.status in (429, 509) or (ans.status == 460):
            raise QuotaExceeded("This Dropbox link is temporarily disabled: it drew too much "
                                "traffic; try again later")
        if ans.status == 404 or ans.status == 410:
            raise NotFound("This Dropbox link was deleted or never existed")
        common_errors(ans, what)
        if ans.status >= 400:
            raise UnexpectedAnswer(f"Dropbox answered HTTP {ans.status}")
        if not ans.is_file and b"<html" in ans.body[:2048].lower():
            # A page instead of the file: deleted or a login wall.
            low = ans.body.lower()
            if b"error" in low and (b"deleted" in low or b"not found" in low or b"doesn" in low):
                raise NotFound("This Dropbox link was deleted or never existed")
            raise WebPageAnswer("Dropbox showed a web page instead of the file", "dropbox.com")
        name = parse_content_disposition(ans.headers.get("Content-Disposition"))
        if not name:
            tail = [x for x in parts if x][-1]
            name = tail + (".zip" if is_folder and not tail.endswith(".zip") else "")
        size = total_size(ans) if ans.is_file and not is_folder else None
        return [Resolved(mirrors=[Mirror(ctx.url(url))], filename=name, size=size,
                         resolver=self.name, ref={"link": link.url})]

    async def refresh(self, resolved: Resolved, ctx: ResolverContext) -> list[Mirror]:
        fresh = await self.resolve(Link(resolved.ref["link"]), ctx)
        return fresh[0].mirrors
