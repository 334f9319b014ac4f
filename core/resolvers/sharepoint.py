"""OneDrive for Business / SharePoint share links.

``https://<tenant>-my.sharepoint.com/:u:/g/personal/<user>/<token>?e=...`` ->
``.../personal/<user>/_layouts/52/download.aspx?share=<token>``.  Opening the share
link sets a ``FedAuth`` cookie (anonymous guest access); the download request
reuses it.  Links limited to an organisation need the user's own FedAuth/rtFa
cookies for that tenant (``zhilian accounts import <tenant>-my.sharepoint.com``).

A password-protected link answers the page itself (no redirect) with the form
``inputForm``; as OpenList drivers/onedrive_sharelink (getCookiesWithPassword) does,
its ``__VIEWSTATE`` and ``__EVENTVALIDATION`` are posted back with ``txtPassword``
(and an empty ``__VIEWSTATEENCRYPTED``) to the form's action; the answer sets
FedAuth when the password is right.  Personal OneDrive links are ``onedrive.py``.
"""

from __future__ import annotations

import html as htmllib
import re
from urllib.parse import unquote, urljoin, urlsplit

from ..accounts.hosts import cookie_header, creds_for
from ..errors import (
    LinkExpired,
    NeedLogin,
    NeedPassword,
    NotFound,
    ResolveError,
    UnsupportedLink,
    WrongPassword,
)
from ..models import Link, Mirror, Resolved
from ._web import Answer, fetch, total_size
from .base import Resolver, ResolverContext

UA = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
      "Chrome/124.0.0.0 Safari/537.36")
_LINK_RE = re.compile(r"^/:(?P<kind>[a-z]):/(?P<scope>[a-z])/(?P<site>personal|sites|teams)/"
                      r"(?P<owner>[^/]+)/(?P<token>[A-Za-z0-9_-]+)")
_LOGIN_HOSTS = ("login.microsoftonline.com", "login.live.com", "login.windows.net")
_PASSWORD_FORM = re.compile(r"<form\b[^>]*\bid=[\"']inputForm[\"'][^>]*>", re.I)


def _attr(tag: str, name: str) -> str:
    m = re.search(rf"\b{name}\s*=\s*[\"']([^\"']*)[\"']", tag, re.I)
    return m.group(1) if m else ""


def _hidden(page: str, field: str) -> str:
    """The value of the hidden input with this id (attributes in any order)."""
    for tag in re.findall(r"<input\b[^>]*>", page, re.I):
        if _attr(tag, "id") == field or _attr(tag, "name") == field:
            return htmllib.unescape(_attr(tag, "value"))
    return ""


def _filename(cd: str | None) -> str | None:
    if not cd:
        return None
    m = re.search(r"filename\*\s*=\s*UTF-8''([^;]+)", cd, re.I)
    if m:
        return unquote(m.group(1)).strip('"')
    m = re.search(r'filename\s*=\s*"?([^";]+)"?', cd, re.I)
    return m.group(1) if m else None


class SharePointResolver(Resolver):
    name = "sharepoint"
    hosts = ("sharepoint.com",)
    priority = 20

    async def resolve(self, link: Link, ctx: ResolverContext) -> list[Resolved]:
        parts = urlsplit(link.url)
        host = (parts.hostname or "").lower()
        m = _LINK_RE.match(parts.path)
        if "download.aspx" in parts.path:
            dl_url = link.url
        elif not m:
            raise UnsupportedLink("Not a SharePoint/OneDrive for Business share link "
                                  "(expected https://<tenant>-my.sharepoint.com/:u:/g/personal/...)")
        elif m.group("kind") == "f":
            raise UnsupportedLink("SharePoint folder links are not supported yet: open the folder in "
                                  "a browser and copy the share link of each file")
        else:
            dl_url = (f"https://{parts.netloc}/{m.group('site')}/{m.group('owner')}"
                      f"/_layouts/52/download.aspx?share={m.group('token')}")
        acc = creds_for(ctx.credentials, host)
        cookies = {k: v for k, v in (acc.get("cookies") or {}).items()}
        headers = {"User-Agent": UA}

        if m:  # open the share link once: it sets FedAuth for guest access
            ans = await self._req(ctx, link.url, cookies, headers)
            loc = ans.headers.get("Location", "")
            set_c = ans.cookies
            if ans.status == 200 and not loc and _PASSWORD_FORM.search(ans.text):
                set_c = await self._password(ctx, link, ans.text, cookies, headers)
            else:
                self._check(ans.status, loc, host, bool(cookies))
            cookies.update(set_c)
        ans = await self._req(ctx, dl_url, cookies, {**headers, "Range": "bytes=0-0"})
        set_c = ans.cookies
        cookies.update(set_c)
        self._check(ans.status, ans.headers.get("Location", ""), host, bool(cookies), final=True)
        size = total_size(ans)
        name = _filename(ans.headers.get("Content-Disposition"))
        mirror_headers = dict(headers)
        fed = {k: v for k, v in cookies.items() if k in ("FedAuth", "rtFa")}
        if fed:
            mirror_headers["Cookie"] = cookie_header(fed)
        if acc and set_c and ctx.save_cookies and any(acc.get("cookies", {}).get(k) != v
                                                      for k, v in set_c.items()):
            ctx.save_cookies(host, {k: v for k, v in set_c.items() if k in ("FedAuth", "rtFa")})
        return [Resolved(mirrors=[Mirror(url=ctx.url(dl_url), headers=mirror_headers)],
                         filename=name, size=size, resolver=self.name,
                         ref={"link": link.url, "password": link.password})]

    async def _password(self, ctx: ResolverContext, link: Link, page: str, cookies: dict[str, str],
                        headers: dict[str, str]) -> dict[str, str]:
        """Post the password form; -> the cookies it set (FedAuth when the password is right)."""
        if not link.password:
            raise NeedPassword("This OneDrive/SharePoint link is protected by a password: add it to the "
                               "link text (password: ...) or use --password")
        form_tag = _PASSWORD_FORM.search(page)
        action = htmllib.unescape(_attr(form_tag.group(0), "action") if form_tag else "")
        data = {"txtPassword": link.password, "__EVENTVALIDATION": _hidden(page, "__EVENTVALIDATION"),
                "__VIEWSTATE": _hidden(page, "__VIEWSTATE"), "__VIEWSTATEENCRYPTED": ""}
        if not action or not data["__VIEWSTATE"]:
            raise ResolveError("SharePoint changed its password page: the form could not be read")
        ans = await self._req(ctx, urljoin(link.url, action), cookies, headers, data=data)
        if ans.status >= 500:
            raise ResolveError(f"SharePoint answered HTTP {ans.status} to the password")
        if not ans.cookies.get("FedAuth"):
            raise WrongPassword("Wrong password for this OneDrive/SharePoint link")
        return ans.cookies

    async def _req(self, ctx: ResolverContext, url: str, cookies: dict[str, str],
                   headers: dict[str, str], data: dict[str, str] | None = None) -> Answer:
        h = dict(headers)
        if cookies:
            h["Cookie"] = cookie_header(cookies)
        return await fetch(ctx, url, method="POST" if data is not None else "GET", headers=h, data=data,
                           follow=False, label="SharePoint", retry_unreachable=False)

    def _check(self, status: int, location: str, host: str, had_cookies: bool,
               final: bool = False) -> None:
        loc_host = (urlsplit(location).hostname or "") if location else ""
        if any(loc_host.endswith(h) for h in _LOGIN_HOSTS) or status == 401 or \
                (status == 403 and not final):
            what = "Your SharePoint login expired" if had_cookies else "This SharePoint link needs a login"
            raise NeedLogin(host, ("FedAuth", "rtFa"),
                            f"{what}: import the cookies of {host} in Accounts "
                            f"(zhilian accounts import {host} ...)")
        if "expired" in location.lower() or "linkexpired" in location.lower():
            raise LinkExpired("This SharePoint share link has expired: ask its owner for a new one")
        if status == 404:
            raise NotFound("This SharePoint file or share no longer exists")
        if status == 403:
            raise LinkExpired("SharePoint refused the share link (expired or access removed)")
        if final and status not in (200, 206):
            raise ResolveError(f"SharePoint download answered HTTP {status}")
