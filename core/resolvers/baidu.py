"""Baidu Netdisk share links (pan.baidu.com/s/1<surl>, extraction code).

Protocol (PROTOCOLS.md, "Baidu Netdisk share"): share page with a netdisk client
User-Agent -> verify the code (cookie BDCLND=randsk) -> share page JSON
(shareid, share_uk, bdstoken) -> list -> transfer into the user's own disk ->
filemetas dlink fetched with ``User-Agent: pan.baidu.com``.  Downloads need the
login cookies BDUSS and STOKEN; ordinary accounts get one connection (more makes
the host throttle the account for hours); a VIP account may raise it with
``zhilian accounts set pan.baidu.com --connections N``.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

from ..accounts.hosts import cookie_allowed, cookie_header, creds_for
from ..errors import (
    CaptchaRequired,
    LinkExpired,
    NeedLogin,
    NeedPassword,
    NotFound,
    QuotaExceeded,
    ResolveError,
    Throttled,
    UnsupportedLink,
    WrongPassword,
)
from ..http import lazy_aiohttp as aiohttp
from ..models import Link, Mirror, Resolved
from .base import Resolver, ResolverContext

PAN = "https://pan.baidu.com"
NETDISK_UA = ("netdisk;7.42.0.5;PC;PC-Windows;10.0.22631;WindowsBaiduYunGuanJia")
DOWNLOAD_UA = "pan.baidu.com"
SAVE_DIR = "/Zhilian"
DLINK_LIFETIME = 8 * 3600
MAX_FILES = 2000
LOGIN_COOKIES = ("BDUSS", "STOKEN")


class TooManyFiles(ResolveError):
    def default_message(self) -> str:
        return ("This Baidu share holds more files than your account may save at once "
                "(error 12): download a sub-folder or fewer files")


def errno_error(errno: int, where: str = "", password: str | None = None) -> ResolveError:
    """Baidu errno -> the error a person can act on."""
    at = f" ({where}, error {errno})" if where else f" (error {errno})"
    if errno == -9:
        return WrongPassword("Wrong extraction code for this Baidu share" + at)
    if errno in (-62, 8001):
        return CaptchaRequired("Baidu asks for a verification code" + at +
                               ": open the share in a browser once, then try again")
    if errno in (-6, -4):
        return NeedLogin("pan.baidu.com", LOGIN_COOKIES,
                         "Baidu login expired or invalid" + at +
                         ": import fresh BDUSS and STOKEN cookies in Accounts")
    if errno == 12:
        return TooManyFiles()
    if errno in (-10, -32):
        return QuotaExceeded("Your Baidu disk is full: the share cannot be saved to it" + at)
    if errno in (105, 115, 145, -7, -8, 31066, -70):
        return NotFound("This Baidu share or file no longer exists" + at)
    if errno in (31360, 31362, 117):
        return LinkExpired("Baidu link expired" + at)
    if errno in (31326, 31626, 31045):
        return Throttled("Baidu refused the download" + at + ": the account is throttled or "
                         "the client was not accepted; wait and use 1 connection")
    if errno in (-12,):
        return NeedPassword() if not password else WrongPassword()
    return ResolveError(f"Baidu answered an error{at}")


def parse_share_url(url: str) -> tuple[str, str | None]:
    """-> (surl without the leading '1', pwd from the URL or None)."""
    parts = urlsplit(url)
    q = parse_qs(parts.query)
    m = re.match(r"^/s/1([\w-]+)", parts.path)
    if m:
        surl = m.group(1)
    elif parts.path.startswith("/share/init") and q.get("surl"):
        surl = q["surl"][0]
    else:
        raise UnsupportedLink("Not a Baidu share link (expected pan.baidu.com/s/1...)")
    return surl, (q.get("pwd") or [None])[0]


_MSET_RE = re.compile(r"locals\.mset\((\{.*?\})\);", re.S)
_YUNDATA_RE = re.compile(r"window\.yunData\s*=\s*(\{.*?\});", re.S)


def page_json(html: str) -> dict[str, Any]:
    for rx in (_MSET_RE, _YUNDATA_RE):
        m = rx.search(html)
        if m:
            try:
                return json.loads(m.group(1))
            except ValueError:
                pass
    return {}


class BaiduResolver(Resolver):
    name = "baidu"
    hosts = ("pan.baidu.com", "yun.baidu.com")
    priority = 10

    def _account(self, ctx: ResolverContext) -> tuple[dict[str, str], int]:
        acc = creds_for(ctx.credentials, "pan.baidu.com")
        cookies = {k: v for k, v in (acc.get("cookies") or {}).items()
                   if k in ("BDUSS", "STOKEN", "BAIDUID", "BAIDUID_BFESS", "PANPSC", "PTOKEN")}
        if not all(cookies.get(n) for n in LOGIN_COOKIES):
            raise NeedLogin("pan.baidu.com", LOGIN_COOKIES,
                            "Baidu Netdisk needs your login: import the BDUSS and STOKEN cookies "
                            "of pan.baidu.com in Accounts (zhilian accounts import pan.baidu.com ...)")
        conns = acc.get("max_connections") or (acc.get("settings") or {}).get("max_connections") or 1
        return cookies, int(conns)

    async def _json(self, ctx: ResolverContext, method: str, url: str, cookies: dict[str, str],
                    *, data: dict | None = None, referer: str | None = None,
                    ua: str = NETDISK_UA, where: str = "") -> dict[str, Any]:
        headers = {"User-Agent": ua, "Cookie": cookie_header(cookies)}
        if referer:
            headers["Referer"] = referer
        try:
            async with ctx.session.request(method, ctx.url(url), data=data, headers=headers,
                                           allow_redirects=False) as r:
                loc = r.headers.get("Location", "")
                if r.status in (301, 302, 303, 307) and ("passport.baidu.com" in loc or "/login" in loc):
                    raise NeedLogin("pan.baidu.com", LOGIN_COOKIES,
                                    "Baidu login expired: import fresh BDUSS and STOKEN cookies in Accounts")
                if r.status in (429, 509):
                    raise Throttled("Baidu is limiting this account: too many requests, wait a while")
                if r.status >= 500:
                    raise ResolveError(f"Baidu server error (HTTP {r.status}) while {where}")
                text = await r.text()
        except aiohttp.ClientError as e:
            raise ResolveError(f"Cannot reach Baidu while {where}: {type(e).__name__}") from None
        try:
            body = json.loads(text)
        except ValueError:
            raise ResolveError(f"Baidu answered something unexpected while {where}") from None
        return body

    async def _page(self, ctx: ResolverContext, surl: str, cookies: dict[str, str]) -> tuple[str, str]:
        url = f"{PAN}/s/1{surl}"
        headers = {"User-Agent": NETDISK_UA, "Cookie": cookie_header(cookies)}
        try:
            async with ctx.session.get(ctx.url(url), headers=headers, allow_redirects=False) as r:
                loc = r.headers.get("Location", "")
                text = await r.text()
                status = r.status
        except aiohttp.ClientError as e:
            raise ResolveError(f"Cannot reach Baidu: {type(e).__name__}") from None
        if status in (301, 302, 303, 307):
            if "passport.baidu.com" in loc or "/login" in loc:
                raise NeedLogin("pan.baidu.com", LOGIN_COOKIES,
                                "Baidu login expired: import fresh BDUSS and STOKEN cookies in Accounts")
            if "share/init" in loc:
                return "init", ""
            if "error" in loc:
                raise NotFound("This Baidu share no longer exists")
        if status == 404 or "error-404" in text:
            raise NotFound("This Baidu share no longer exists (deleted or never existed)")
        if "platform-non-found" in text:
            raise LinkExpired("This Baidu share has expired or was cancelled by its owner")
        if status != 200:
            raise ResolveError(f"Baidu share page answered HTTP {status}")
        return "page", text

    async def resolve(self, link: Link, ctx: ResolverContext) -> list[Resolved]:
        surl, url_pwd = parse_share_url(link.url)
        password = (link.password or url_pwd or "").strip() or None
        cookies, conns = self._account(ctx)
        share_url = f"{PAN}/s/1{surl}"

        kind, html = await self._page(ctx, surl, cookies)
        info = page_json(html) if kind == "page" else {}
        if not info.get("shareid"):
            # The share is behind an extraction code: verify it, keep BDCLND, reload.
            if not password:
                raise NeedPassword("This Baidu share needs an extraction code (提取码): "
                                   "add it to the link, e.g. ?pwd=abcd")
            t = int(ctx.clock() * 1000)
            q = urlencode({"surl": surl, "t": t, "channel": "chunlei", "web": 1, "clienttype": 0,
                           "bdstoken": info.get("bdstoken", "")})
            body = await self._json(ctx, "POST", f"{PAN}/share/verify?{q}", cookies,
                                    data={"pwd": password, "vcode": "", "vcode_str": ""},
                                    referer=share_url, where="checking the extraction code")
            if body.get("errno", 0) != 0:
                raise errno_error(int(body["errno"]), "extraction code", password)
            cookies = {**cookies, "BDCLND": body["randsk"]}
            kind, html = await self._page(ctx, surl, cookies)
            info = page_json(html)
            if not info.get("shareid"):
                raise ResolveError("Baidu share page did not list the share after the code was accepted")
        if info.get("errno") not in (None, 0):
            raise errno_error(int(info["errno"]), "share page", password)
        bdstoken = info.get("bdstoken", "")
        shareid = info["shareid"]
        share_uk = info.get("share_uk") or info.get("uk")

        files = await self._list(ctx, surl, bdstoken, cookies, password)
        if not files:
            raise NotFound("This Baidu share is empty")
        own = await self._transfer(ctx, shareid, share_uk, bdstoken, cookies, files, share_url)
        metas = await self._filemetas(ctx, cookies, [o["fs_id"] for o in own])
        now = ctx.clock()
        out: list[Resolved] = []
        folder = len(files) > 1 or any("/" in f["rel"] for f in files)
        by_id = {m["fs_id"]: m for m in metas}
        for f, o in zip(files, own):
            m = by_id.get(o["fs_id"])
            if not m or not m.get("dlink"):
                raise ResolveError(f"Baidu gave no download link for {f['name']}")
            out.append(Resolved(
                mirrors=[self._mirror(ctx, m["dlink"], cookies, conns, now)],
                filename=f["name"], size=int(m.get("size") or f["size"] or 0) or None,
                expires_at=now + DLINK_LIFETIME, max_connections=conns, resolver=self.name,
                ref={"link": link.url, "password": password, "fs_id": o["fs_id"]},
                path=f["rel"] if folder else None))
        return out

    def _mirror(self, ctx: ResolverContext, dlink: str, cookies: dict[str, str], conns: int,
                now: float) -> Mirror:
        login = {k: v for k, v in cookies.items() if k in LOGIN_COOKIES}
        headers = {"User-Agent": DOWNLOAD_UA}
        if cookie_allowed("baidu.com", urlsplit(dlink).hostname or ""):   # never to a foreign CDN
            headers["Cookie"] = cookie_header(login)
        return Mirror(url=ctx.url(dlink), headers=headers,
                      expires_at=now + DLINK_LIFETIME, max_connections=conns)

    async def _list(self, ctx: ResolverContext, surl: str, bdstoken: str, cookies: dict[str, str],
                    password: str | None) -> list[dict[str, Any]]:
        """Every file of the share (folders walked), with its path relative to the share."""
        out: list[dict[str, Any]] = []
        stack: list[tuple[str | None, str]] = [(None, "")]
        while stack:
            d, rel = stack.pop()
            page = 1
            while True:
                params: dict[str, Any] = {"shorturl": surl, "web": 5, "app_id": 250528,
                                          "channel": "chunlei", "bdstoken": bdstoken,
                                          "page": page, "num": 100}
                if d is None:
                    params["root"] = 1
                else:
                    params.update(root=0, dir=d)
                body = await self._json(ctx, "GET", f"{PAN}/share/list?{urlencode(params)}",
                                        cookies, where="listing the share")
                if body.get("errno", 0) != 0:
                    raise errno_error(int(body["errno"]), "listing the share", password)
                items = body.get("list") or []
                for it in items:
                    name = it.get("server_filename") or it["path"].rsplit("/", 1)[-1]
                    r = f"{rel}/{name}" if rel else name
                    if int(it.get("isdir", 0)):
                        stack.append((it["path"], r))
                    else:
                        out.append({"fs_id": int(it["fs_id"]), "name": name, "rel": r,
                                    "size": int(it.get("size") or 0), "path": it.get("path")})
                        if len(out) > MAX_FILES:
                            raise TooManyFiles()
                if len(items) < 100:
                    break
                page += 1
        out.sort(key=lambda f: f["rel"])
        return out

    async def _transfer(self, ctx: ResolverContext, shareid: Any, share_uk: Any, bdstoken: str,
                        cookies: dict[str, str], files: list[dict[str, Any]],
                        share_url: str) -> list[dict[str, Any]]:
        """Save the files into the user's own disk; -> [{fs_id, path}] in the same order."""
        q = urlencode({"shareid": shareid, "from": share_uk, "bdstoken": bdstoken,
                       "channel": "chunlei", "web": 1, "app_id": 250528, "clienttype": 0})
        body = await self._json(
            ctx, "POST", f"{PAN}/share/transfer?{q}", cookies,
            data={"fsidlist": json.dumps([f["fs_id"] for f in files]), "path": SAVE_DIR},
            referer=share_url, where="saving the share to your disk")
        errno = int(body.get("errno", 0))
        info = body.get("info") or []
        if errno not in (0, -30) or (errno == -30 and not info):
            raise errno_error(errno, "saving the share to your disk")
        saved = {int(x["from_fs_id"]): x for x in (body.get("extra") or {}).get("list") or []}
        own: list[dict[str, Any]] = []
        existing: dict[str, int] | None = None
        for i, f in enumerate(files):
            x = saved.get(f["fs_id"])
            if x:
                own.append({"fs_id": int(x["to_fs_id"]), "path": x.get("to")})
                continue
            e = int(info[i].get("errno", 0)) if i < len(info) else 0
            if e not in (0, -30):
                raise errno_error(e, f"saving {f['name']}")
            if existing is None:   # already in the user's disk: look it up there
                existing = await self._own_listing(ctx, cookies)
            fs_id = existing.get(f["name"])
            if fs_id is None:
                raise ResolveError(f"{f['name']} is already in your Baidu disk but could not be found "
                                   f"in {SAVE_DIR}")
            own.append({"fs_id": fs_id, "path": f"{SAVE_DIR}/{f['name']}"})
        return own

    async def _own_listing(self, ctx: ResolverContext, cookies: dict[str, str]) -> dict[str, int]:
        q = urlencode({"method": "list", "dir": SAVE_DIR, "web": 1, "limit": 1000})
        body = await self._json(ctx, "GET", f"{PAN}/rest/2.0/xpan/file?{q}", cookies,
                                where="listing your disk")
        if body.get("errno", 0) != 0:
            raise errno_error(int(body["errno"]), "listing your disk")
        return {it["server_filename"]: int(it["fs_id"]) for it in body.get("list") or []
                if not int(it.get("isdir", 0))}

    async def _filemetas(self, ctx: ResolverContext, cookies: dict[str, str],
                         fs_ids: list[int]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for i in range(0, len(fs_ids), 100):
            q = "method=filemetas&dlink=1&fsids=" + quote(json.dumps(fs_ids[i:i + 100]))
            body = await self._json(ctx, "GET", f"{PAN}/rest/2.0/xpan/multimedia?{q}", cookies,
                                    ua=DOWNLOAD_UA, where="asking for the download link")
            if body.get("errno", 0) != 0:
                raise errno_error(int(body["errno"]), "download link")
            out += [{**m, "fs_id": int(m["fs_id"])} for m in body.get("list") or []]
        return out

    async def refresh(self, resolved: Resolved, ctx: ResolverContext) -> list[Mirror]:
        """A fresh dlink for the file already saved in the user's disk (no new transfer)."""
        fs_id = resolved.ref.get("fs_id")
        if fs_id is None:
            return await super().refresh(resolved, ctx)
        cookies, conns = self._account(ctx)
        try:
            metas = await self._filemetas(ctx, cookies, [int(fs_id)])
        except (NotFound, ResolveError):
            metas = []
        if not metas or not metas[0].get("dlink"):
            return await super().refresh(resolved, ctx)
        return [self._mirror(ctx, metas[0]["dlink"], cookies, conns, ctx.clock())]


