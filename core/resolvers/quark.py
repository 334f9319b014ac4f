"""Quark (夸克网盘) share links: pan.quark.cn/s/<pwd_id>, optional passcode.

Protocol (ihmily/QuarkPanTool quark.py, Cp0204/quark-auto-save, OpenList
drivers/quark_uc): token (pwd_id + passcode -> stoken) -> detail (files, folders
walked) -> save into the user's drive -> poll the task until status 2 ->
``file/download`` gives ``download_url``.  Every call carries the account Cookie,
``Referer: https://pan.quark.cn`` and a Quark desktop User-Agent; downloads need
the same three.  The host rotates ``__puus`` with Set-Cookie: the new value is
used at once and saved back to the keyring.

A link to a sub-folder (``/s/<pwd_id>#/list/share/<fid>-<name>[/<fid>-<name>...]``)
lists and saves that folder only, starting at the last fid (quark-auto-save
``extract_url``).  ``file/download`` answers error 23018 "download file size limit"
for big files on the web API; as QuarkPanTool does, the call is repeated once with
its older desktop User-Agent (quark-cloud-drive/2.5.56) and ``sys=win32&ve=2.5.56``;
a second 23018 is reported as such.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from ..accounts.hosts import cookie_allowed, cookie_header, creds_for
from ..errors import (
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
from ..models import Link, Mirror, Resolved
from ._shares import cookie_json_call
from .base import Resolver, ResolverContext

API = "https://drive-pc.quark.cn/1/clouddrive"
DL_API = "https://drive.quark.cn/1/clouddrive"             # OpenList drivers/quark_uc

REFERER = "https://pan.quark.cn"
DESKTOP_UA = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
              "quark-cloud-drive/3.14.2 Chrome/112.0.5615.165 Electron/24.1.3.8 Safari/537.36 "
              "Channel/pckk_other_ch")
BASE_Q = {"pr": "ucpro", "fr": "pc"}
# QuarkPanTool's retry after 23018: its older desktop UA and these parameters
RETRY_UA = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "quark-cloud-drive/2.5.56 Chrome/100.0.4896.160 Electron/18.3.5.12-a038f7b798 Safari/537.36 "
            "Channel/pckk_other_ch")
RETRY_Q = {"pr": "ucpro", "fr": "pc", "sys": "win32", "ve": "2.5.56", "ut": "", "guid": ""}
_SUBFOLDER_RE = re.compile(r"/(\w{32})(?:-[^/]*)?")
MAX_CONNECTIONS = 3
POLL_DELAYS = (0.2, 0.3, 0.5, 0.5, 1, 1, 1, 2, 2, 2, 3, 3, 3, 5, 5, 5, 5, 5)


class SizeLimit(ResolveError):
    """Error 23018: the web API refuses to hand out a link for a file this big."""


def _error(status: int, code: int, message: str, passcode: str | None) -> ResolveError:
    m = message or ""
    if code == 23018:
        return SizeLimit("Quark refuses a web download of this file: download file size limit "
                         "(error 23018). Download it with the Quark desktop app, or ask the sharer "
                         "to split it")
    low = m.lower()
    detail = f" ({m}, code {code})" if m else f" (code {code})"
    if status == 401 or code in (31001, 31002) or "login" in low or "登录" in m:
        return NeedLogin("pan.quark.cn", ("__pus",),
                         "Quark needs your login" + detail + ": import the cookies of pan.quark.cn "
                         "in Accounts (zhilian accounts import pan.quark.cn ...)")
    if "提取码" in m or "passcode" in low or code in (41008,):
        return WrongPassword("Wrong passcode for this Quark share" + detail) if passcode else \
            NeedPassword("This Quark share needs a passcode (提取码): add it to the link")
    if "过期" in m or "失效" in m or "expired" in low or code in (41004, 41011):
        return LinkExpired("This Quark share has expired" + detail)
    if "不存在" in m or "取消" in m or "删除" in m or "not exist" in low or code in (41006, 41012):
        return NotFound("This Quark share no longer exists" + detail)
    if "容量" in m or "capacity" in low or code in (32003,):
        return QuotaExceeded("Your Quark drive is full: the share cannot be saved to it" + detail)
    if status == 429 or "频繁" in m:
        return Throttled("Quark is limiting this account: too many requests" + detail)
    return ResolveError("Quark answered an error" + detail)


class QuarkResolver(Resolver):
    name = "quark"
    hosts = ("pan.quark.cn",)
    priority = 10

    def _cookies(self, ctx: ResolverContext) -> dict[str, str]:
        acc = creds_for(ctx.credentials, "pan.quark.cn")
        cookies = dict(acc.get("cookies") or {})
        if not cookies.get("__pus"):
            raise NeedLogin("pan.quark.cn", ("__pus",),
                            "Quark needs your login: import the cookies of pan.quark.cn in Accounts "
                            "(zhilian accounts import pan.quark.cn ...)")
        return cookies

    async def _call(self, ctx: ResolverContext, method: str, url: str, cookies: dict[str, str],
                    rotated: dict[str, str], *, params: dict[str, Any] | None = None,
                    body: dict | None = None, passcode: str | None = None,
                    ua: str = DESKTOP_UA, base_q: dict[str, str] = BASE_Q) -> Any:
        q = urlencode({**base_q, **(params or {})})
        headers = {"Referer": REFERER, "User-Agent": ua, "Accept": "application/json, text/plain, */*"}
        status, ans = await cookie_json_call(ctx, method, f"{url}?{q}", headers=headers, cookies=cookies,
                                             rotated=rotated, body=body, host="Quark")
        if not isinstance(ans, dict):
            raise ResolveError(f"Quark answered something unexpected (HTTP {status})")
        code = int(ans.get("code") or 0)
        if status >= 400 or code != 0:
            raise _error(status, code, str(ans.get("message") or ""), passcode)
        return ans

    async def resolve(self, link: Link, ctx: ResolverContext) -> list[Resolved]:
        parts = urlsplit(link.url)
        m = re.match(r"^/s/([0-9A-Za-z]+)", parts.path)
        if not m:
            raise UnsupportedLink("Not a Quark share link (expected pan.quark.cn/s/...)")
        pwd_id = m.group(1)
        sub = _SUBFOLDER_RE.findall(parts.fragment) if parts.fragment.startswith("/list/share") else []
        pdir = sub[-1] if sub else "0"
        passcode = (link.password or (parse_qs(parts.query).get("pwd") or [""])[0]).strip()
        cookies = self._cookies(ctx)
        rotated: dict[str, str] = {}
        try:
            return await self._resolve(ctx, link, pwd_id, passcode, cookies, rotated, pdir)
        finally:
            if rotated and ctx.save_cookies:
                ctx.save_cookies("pan.quark.cn", dict(rotated))

    async def _resolve(self, ctx: ResolverContext, link: Link, pwd_id: str, passcode: str,
                       cookies: dict[str, str], rotated: dict[str, str], pdir: str) -> list[Resolved]:
        tok = await self._call(ctx, "POST", f"{API}/share/sharepage/token", cookies, rotated,
                               body={"pwd_id": pwd_id, "passcode": passcode}, passcode=passcode)
        stoken = tok["data"]["stoken"]
        files = await self._list(ctx, pwd_id, stoken, cookies, rotated, pdir)
        if not files:
            raise NotFound("This Quark share is empty")
        save = await self._call(ctx, "POST", f"{API}/share/sharepage/save", cookies, rotated,
                                body={"fid_list": [f["fid"] for f in files],
                                      "fid_token_list": [f["token"] for f in files],
                                      "to_pdir_fid": "0", "pwd_id": pwd_id, "stoken": stoken,
                                      "pdir_fid": "0", "scene": "link"})
        task_id = save["data"]["task_id"]
        own: list[str] = []
        for i, delay in enumerate(POLL_DELAYS):
            t = await self._call(ctx, "GET", f"{API}/task", cookies, rotated,
                                 params={"task_id": task_id, "retry_index": i})
            data = t.get("data") or {}
            if int(data.get("status", 0)) == 2:
                own = list((data.get("save_as") or {}).get("save_as_top_fids") or [])
                break
            if int(data.get("status", 0)) == 3:
                raise _error(200, int(data.get("err_code") or 0), str(data.get("message") or
                             "saving failed"), passcode)
            await asyncio.sleep(delay)
        else:
            raise ResolveError("Quark did not finish saving the share in time; try again")
        if len(own) != len(files):
            raise ResolveError("Quark saved a different number of files than the share holds")
        items, ua = await self._download(ctx, own, cookies, rotated)
        urls = {d["fid"]: d for d in items}
        folder = len(files) > 1 or any("/" in f["rel"] for f in files)
        out: list[Resolved] = []
        for f, fid in zip(files, own):
            d = urls.get(fid)
            if not d or not d.get("download_url"):
                raise ResolveError(f"Quark gave no download link for {f['name']}")
            out.append(Resolved(
                mirrors=[self._mirror(ctx, d["download_url"], cookies, ua)],
                filename=f["name"], size=int(d.get("size") or f["size"] or 0) or None,
                md5=(d.get("md5") or None) if re.fullmatch(r"[0-9a-f]{32}", d.get("md5") or "") else None,
                max_connections=MAX_CONNECTIONS, resolver=self.name,
                ref={"link": link.url, "password": passcode or None, "fid": fid},
                path=f["rel"] if folder else None))
        return out

    async def _download(self, ctx: ResolverContext, fids: list[str], cookies: dict[str, str],
                        rotated: dict[str, str]) -> tuple[list[dict[str, Any]], str]:
        """``file/download`` -> (items with download_url, the User-Agent that got them)."""
        try:
            dl = await self._call(ctx, "POST", f"{DL_API}/file/download", cookies, rotated,
                                  body={"fids": fids})
            return list(dl.get("data") or []), DESKTOP_UA
        except SizeLimit:
            pass
        dl = await self._call(ctx, "POST", f"{API}/file/download", cookies, rotated,
                              body={"fids": fids}, ua=RETRY_UA, base_q=RETRY_Q)
        return list(dl.get("data") or []), RETRY_UA

    def _mirror(self, ctx: ResolverContext, url: str, cookies: dict[str, str], ua: str = DESKTOP_UA) -> Mirror:
        headers = {"Referer": REFERER, "User-Agent": ua}
        if cookie_allowed("quark.cn", urlsplit(url).hostname or ""):   # never to a foreign CDN
            headers["Cookie"] = cookie_header(cookies)
        return Mirror(url=ctx.url(url), headers=headers, max_connections=MAX_CONNECTIONS)

    async def _list(self, ctx: ResolverContext, pwd_id: str, stoken: str, cookies: dict[str, str],
                    rotated: dict[str, str], root: str = "0") -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        stack: list[tuple[str, str]] = [(root, "")]
        while stack:
            pdir, rel = stack.pop()
            page = 1
            while True:
                ans = await self._call(ctx, "GET", f"{API}/share/sharepage/detail", cookies, rotated,
                                       params={"pwd_id": pwd_id, "stoken": stoken, "pdir_fid": pdir,
                                               "force": 0, "_page": page, "_size": 50,
                                               "_fetch_total": 1})
                items = (ans.get("data") or {}).get("list") or []
                for it in items:
                    r = f"{rel}/{it['file_name']}" if rel else it["file_name"]
                    if it.get("dir") or it.get("file_type") == 0:
                        stack.append((it["fid"], r))
                    else:
                        out.append({"fid": it["fid"], "token": it.get("share_fid_token", ""),
                                    "name": it["file_name"], "rel": r, "size": it.get("size")})
                total = int((ans.get("metadata") or {}).get("_total") or 0)
                if not items or page * 50 >= total:
                    break
                page += 1
        out.sort(key=lambda f: f["rel"])
        return out

    async def refresh(self, resolved: Resolved, ctx: ResolverContext) -> list[Mirror]:
        """A fresh download_url for the file already saved in the user's drive."""
        fid = resolved.ref.get("fid")
        if not fid:
            return await super().refresh(resolved, ctx)
        cookies = self._cookies(ctx)
        rotated: dict[str, str] = {}
        try:
            items, ua = await self._download(ctx, [fid], cookies, rotated)
            if items and items[0].get("download_url"):
                return [self._mirror(ctx, items[0]["download_url"], cookies, ua)]
        except NotFound:
            pass
        finally:
            if rotated and ctx.save_cookies:
                ctx.save_cookies("pan.quark.cn", dict(rotated))
        return await super().refresh(resolved, ctx)
