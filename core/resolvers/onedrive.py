"""Personal OneDrive share links (1drv.ms, onedrive.live.com).

Microsoft's documented anonymous route (``api.onedrive.com/v1.0/shares/u!...``)
answers "unauthenticated" for personal links since 2024.  This follows the flow a
maintained downloader uses today (jbsparrow/CyberDropDownloader,
cyberdrop_dl/crawlers/onedrive.py), which is what the OneDrive web page does for
a visitor who is not signed in:

1. ``1drv.ms/<t>/c/<cid>/<id>`` answers a redirect to
   ``onedrive.live.com/?redeem=<r>&...`` (older links carry ``resid`` + ``authkey``);
2. ``POST api-badgerp.svc.ms/v1.0/token`` (header ``AppId: 1141147648``, body
   ``{"appId": "5cbed6ac-a083-4e14-b191-b4ba07653de2"}``: the web app's ids) gives an
   anonymous "Badger" token, valid about a week, kept in memory;
3. ``GET my.microsoftpersonalcontent.com/_api/v2.0/shares/u!<r>/driveitem?expand=children``
   (or ``api.onedrive.com/v1.0/drives/<cid>/items/<resid>?authkey=`` for old links)
   with ``Authorization: Badger <token>`` and ``Prefer: autoredeem`` answers the
   driveItem: a file's ``@content.downloadUrl`` (a pre-authenticated URL), or a
   folder's ``children``; sub-folders are read by drive item id.

The token service is undocumented: if Microsoft changes it, these links stop
working and the error says so.  Links shared with specific people (sign-in
needed) are not supported.
"""

from __future__ import annotations

import calendar
import json
import re
import time
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urljoin, urlsplit

from ..errors import NotFound, ResolveError, UnsupportedLink
from ..models import Link, Mirror, Resolved
from ._web import UnexpectedAnswer, common_errors, fetch
from .base import Resolver, ResolverContext

BADGER = "https://api-badgerp.svc.ms/v1.0/token"
PERSONAL_API = "https://my.microsoftpersonalcontent.com/_api/v2.0"
LEGACY_API = "https://api.onedrive.com/v1.0"
APP_ID = "1141147648"
APP_UUID = "5cbed6ac-a083-4e14-b191-b4ba07653de2"
MARGIN = 12 * 3600          # a token is replaced this long before it expires
_TOKEN: dict[str, Any] = {}  # {"token": str, "until": unix time}: this process only


class OneDriveResolver(Resolver):
    name = "onedrive"
    hosts = ("1drv.ms", "onedrive.live.com")
    priority = 20

    async def _token(self, ctx: ResolverContext) -> str:
        if _TOKEN and _TOKEN["until"] > ctx.clock():
            return str(_TOKEN["token"])
        ans = await fetch(ctx, BADGER, method="POST", data=json.dumps({"appId": APP_UUID}),
                          headers={"Content-Type": "application/json", "AppId": APP_ID})
        data = ans.json() if ans.status == 200 else None
        if not isinstance(data, dict) or not data.get("token"):
            raise ResolveError("OneDrive did not hand out its anonymous access token (HTTP "
                               f"{ans.status}): personal OneDrive links cannot be read right now")
        until = ctx.clock() + 3600
        m = re.match(r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})", str(data.get("expiryTimeUtc") or ""))
        if m:       # e.g. 2026-05-08T10:00:00.0000000Z (UTC)
            until = max(until, calendar.timegm(time.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S")) - MARGIN)
        _TOKEN.update(token=str(data["token"]), until=until)
        return str(data["token"])

    async def _item(self, ctx: ResolverContext, url: str, headers: dict[str, str]) -> dict[str, Any]:
        ans = await fetch(ctx, url, headers=headers)
        if ans.status == 401 and _TOKEN.get("token") and headers["Authorization"].endswith(_TOKEN["token"]):
            _TOKEN.clear()                      # a kept token the host no longer takes: one new try
            headers["Authorization"] = f"Badger {await self._token(ctx)}"
            ans = await fetch(ctx, url, headers=headers)
        if ans.status in (401, 403):
            raise UnsupportedLink("This OneDrive link is not open to anyone with the link (it needs a "
                                  "sign-in or a password): such links are not supported yet")
        if ans.status == 404:
            raise NotFound("This OneDrive file or folder no longer exists (or the link is wrong)")
        common_errors(ans, "OneDrive")
        data = ans.json()
        if ans.status >= 400 or not isinstance(data, dict):
            raise UnexpectedAnswer(f"OneDrive answered HTTP {ans.status}")
        return data

    async def resolve(self, link: Link, ctx: ResolverContext) -> list[Resolved]:
        url = link.url
        if (urlsplit(url).hostname or "").lower().endswith("1drv.ms"):
            ans = await fetch(ctx, url, follow=False)
            if ans.status == 404:
                raise NotFound("This OneDrive share link does not exist")
            if ans.status not in (301, 302, 303, 307, 308) or not ans.headers.get("Location"):
                raise UnexpectedAnswer(f"1drv.ms answered HTTP {ans.status} instead of a redirect")
            url = urljoin(url, ans.headers["Location"])
        q = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
        redeem, authkey = q.get("redeem", ""), q.get("authkey", "")
        resid = q.get("resid") or (q.get("id", "") if "!" in q.get("id", "") else "")
        cid = q.get("cid") or resid.split("!")[0]
        if redeem:
            first = f"{PERSONAL_API}/shares/u!{redeem}/driveitem?expand=children"
        elif resid and authkey and cid:
            first = f"{LEGACY_API}/drives/{quote(cid)}/items/{quote(resid)}?" + urlencode(
                {"expand": "children", "authkey": authkey})
        else:
            raise UnsupportedLink("This OneDrive link has no share key (redeem or authkey): paste the "
                                  "link made with Share → Copy link")
        headers = {"Authorization": f"Badger {await self._token(ctx)}", "Prefer": "autoredeem"}
        root = await self._item(ctx, first, headers)
        if not root.get("folder"):
            return [self._resolved(ctx, link, root, None)]
        out: list[Resolved] = []
        stack: list[tuple[dict[str, Any], str]] = [(root, "")]
        while stack:
            folder, rel = stack.pop()
            for child in folder.get("children") or []:
                name = str(child.get("name") or "")
                path = f"{rel}/{name}" if rel else name
                if child.get("folder"):
                    drive = (child.get("parentReference") or {}).get("driveId") or cid
                    sub = f"{LEGACY_API}/drives/{quote(str(drive))}/items/{quote(str(child['id']))}?" + \
                        urlencode({"expand": "children", **({"authkey": authkey} if authkey else {})})
                    stack.append((await self._item(ctx, sub, headers), path))
                else:
                    out.append(self._resolved(ctx, link, child, path))
        if not out:
            raise NotFound("This OneDrive folder is empty")
        out.sort(key=lambda r: r.path or "")
        return out

    def _resolved(self, ctx: ResolverContext, link: Link, item: dict[str, Any], path: str | None) -> Resolved:
        dl = str(item.get("@content.downloadUrl") or "")
        if not dl:
            raise ResolveError(f"OneDrive gave no download link for {item.get('name') or 'this file'}")
        sha = ((item.get("file") or {}).get("hashes") or {}).get("sha256Hash")
        size = item.get("size") if isinstance(item.get("size"), int) else None
        return Resolved(mirrors=[Mirror(ctx.url(dl))], filename=str(item.get("name") or "") or None,
                        size=size, sha256=str(sha).lower() if sha else None, resolver=self.name,
                        ref={"link": link.url, "password": link.password},
                        path=path)
