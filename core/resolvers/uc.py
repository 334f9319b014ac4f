"""UC Drive (UC网盘) share links: ``https://drive.uc.cn/s/<pwd_id>`` (also
``fast.uc.cn``), passcode (提取码) in the pasted text or ``?pwd=``.

UC Drive runs on the same cloud-drive backend as Quark, on ``pc-api.uc.cn`` with
``pr=UCBrowser`` (OpenList ``drivers/quark_uc/meta.go``, the "UC" driver).  The
share flow follows qaiu/netdisk-fast-download ``parser/.../impl/UcTool.java``:

1. ``POST https://pc-api.uc.cn/1/clouddrive/share/sharepage/token?entry=ft&fr=pc&pr=UCBrowser``
   ``{share_for_transfer: true, pwd_id, passcode}`` -> ``data.stoken``.
2. ``GET …/transfer_share/detail?pwd_id&passcode&stoken&pdir_fid=<fid>&_page&_size=50
   &_fetch_total=1`` -> ``data.list[{fid, file_name, size, file (false = folder),
   share_fid_token}]``, ``metadata._total``.
3. ``POST …/file/download?entry=ft&fr=pc&pr=UCBrowser`` ``{fids, pwd_id, stoken,
   fids_token}`` -> ``data[0].download_url``.

Every call and every download needs the user's login cookies (``__pus`` …) of
uc.cn; OpenList marks UC as proxy-only for that reason.  The cookie goes to uc.cn
hosts only.  ``__puus`` is rotated by Set-Cookie and stored back (as Quark).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode, urlsplit

from ..accounts.hosts import cookie_allowed, cookie_header, creds_for
from ..errors import (
    LinkExpired,
    NeedLogin,
    NeedPassword,
    NotFound,
    ResolveError,
    Throttled,
    UnsupportedLink,
    WrongPassword,
)
from ..models import Link, Mirror, Resolved
from ._shares import ShareCache, cookie_json_call, login_digest, share_code
from .base import Resolver, ResolverContext

API = "https://pc-api.uc.cn/1/clouddrive"
BASE_Q = {"entry": "ft", "fr": "pc", "pr": "UCBrowser"}
UA = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
      "Chrome/131.0.0.0 Safari/537.36")
ACCOUNT = "uc.cn"
MAX_FILES = 5000
_LOGIN_HOWTO = ("log in at drive.uc.cn in your browser and import its cookies: "
                "zhilian accounts import drive.uc.cn --curl \"<Copy as cURL>\"")
_cache = ShareCache(ttl=120)


def _error(status: int, code: int, message: str, passcode: str) -> ResolveError:
    m = message or ""
    low = m.lower()
    detail = f" ({m}, code {code})" if m else f" (code {code})"
    if status == 401 or code in (31001, 31002) or "login" in low or "登录" in m:
        return NeedLogin(ACCOUNT, ("__pus",), "UC Drive login missing or expired" + detail + ": " + _LOGIN_HOWTO)
    if "提取码" in m or "passcode" in low or code == 41008:
        return WrongPassword("Wrong passcode for this UC Drive share" + detail) if passcode else \
            NeedPassword("This UC Drive share needs a passcode (提取码): add it to the link")
    if "过期" in m or "失效" in m or "expired" in low or code in (41004, 41011):
        return LinkExpired("This UC Drive share has expired" + detail)
    if "不存在" in m or "取消" in m or "删除" in m or "not exist" in low or code in (41006, 41012):
        return NotFound("This UC Drive share no longer exists" + detail)
    if status == 429 or "频繁" in m:
        return Throttled("UC Drive is limiting requests" + detail)
    return ResolveError("UC Drive answered an error" + detail)


class UCResolver(Resolver):
    name = "uc"
    hosts = ("drive.uc.cn", "fast.uc.cn")
    priority = 10

    async def _call(self, ctx: ResolverContext, method: str, path: str, cookies: dict[str, str],
                    rotated: dict[str, str], passcode: str, *, params: dict[str, Any] | None = None,
                    body: dict | None = None) -> dict[str, Any]:
        q = urlencode({**BASE_Q, **(params or {})})
        headers = {"Referer": "https://drive.uc.cn/", "Origin": "https://drive.uc.cn", "User-Agent": UA,
                   "Accept": "application/json"}
        status, ans = await cookie_json_call(ctx, method, f"{API}{path}?{q}", headers=headers, cookies=cookies,
                                             rotated=rotated, body=body, host="UC Drive")
        if not isinstance(ans, dict):
            raise ResolveError(f"UC Drive answered something unexpected (HTTP {status})")
        code = int(ans.get("code") or 0)
        if status >= 400 or code != 0:
            raise _error(status, code, str(ans.get("message") or ""), passcode)
        return ans

    def _cookies(self, ctx: ResolverContext) -> dict[str, str]:
        cookies = dict(creds_for(ctx.credentials, ACCOUNT).get("cookies") or {})
        if not cookies.get("__pus"):
            raise NeedLogin(ACCOUNT, ("__pus",), "UC Drive needs your login to open shares: " + _LOGIN_HOWTO)
        return cookies

    async def resolve(self, link: Link, ctx: ResolverContext) -> list[Resolved]:
        m = re.match(r"^/s/([0-9A-Za-z]+)", urlsplit(link.url).path)
        if not m:
            raise UnsupportedLink("Not a UC Drive share link (expected drive.uc.cn/s/...)")
        pwd_id = m.group(1)
        passcode = share_code(link)
        cookies = self._cookies(ctx)
        ck = (pwd_id, passcode, login_digest(cookies.get("__pus")))
        hit = _cache.get(ck, ctx.clock())
        if hit is not None:
            return hit
        rotated: dict[str, str] = {}
        try:
            out = await self._resolve(ctx, link, pwd_id, passcode, cookies, rotated)
        finally:
            if rotated and ctx.save_cookies:
                ctx.save_cookies("drive.uc.cn", dict(rotated))
        _cache.put(ck, out, ctx.clock())
        return out

    async def _resolve(self, ctx: ResolverContext, link: Link, pwd_id: str, passcode: str,
                       cookies: dict[str, str], rotated: dict[str, str]) -> list[Resolved]:
        tok = await self._call(ctx, "POST", "/share/sharepage/token", cookies, rotated, passcode,
                               body={"share_for_transfer": True, "pwd_id": pwd_id, "passcode": passcode})
        stoken = str((tok.get("data") or {}).get("stoken") or "")
        if not stoken:
            raise ResolveError("UC Drive gave no share token")
        files = await self._list(ctx, pwd_id, passcode, stoken, cookies, rotated)
        if not files:
            raise NotFound("This UC Drive share is empty")
        folder = len(files) > 1 or any("/" in f["rel"] for f in files)
        out = []
        for f in files:
            dl = await self._call(ctx, "POST", "/file/download", cookies, rotated, passcode,
                                  body={"fids": [f["fid"]], "pwd_id": pwd_id, "stoken": stoken,
                                        "fids_token": [f.get("share_fid_token") or ""]})
            items = dl.get("data") or []
            url = str(items[0].get("download_url") or "") if items else ""
            if not url:
                raise ResolveError(f"UC Drive gave no download link for {f['file_name']}")
            out.append(Resolved(mirrors=[self._mirror(ctx, url, cookies)], filename=f["file_name"],
                                size=int(f.get("size") or 0) or None, resolver=self.name,
                                ref={"link": link.url, "password": passcode or None, "fid": f["fid"]},
                                path=f["rel"] if folder else None))
        return out

    def _mirror(self, ctx: ResolverContext, url: str, cookies: dict[str, str]) -> Mirror:
        headers = {"User-Agent": UA, "Referer": "https://drive.uc.cn/"}
        if cookie_allowed(ACCOUNT, urlsplit(url).hostname or ""):
            headers["Cookie"] = cookie_header(cookies)
        return Mirror(url=ctx.url(url), headers=headers)

    async def _list(self, ctx: ResolverContext, pwd_id: str, passcode: str, stoken: str,
                    cookies: dict[str, str], rotated: dict[str, str]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        stack = [("0", "")]
        while stack:
            pdir, rel = stack.pop()
            page = 1
            while True:
                ans = await self._call(ctx, "GET", "/transfer_share/detail", cookies, rotated, passcode, params={
                    "pwd_id": pwd_id, "passcode": passcode, "stoken": stoken, "pdir_fid": pdir,
                    "_page": page, "_size": 50, "_fetch_total": 1, "_sort": "file_type:asc,file_name:asc"})
                items = (ans.get("data") or {}).get("list") or []
                for it in items:
                    r = f"{rel}/{it['file_name']}" if rel else str(it["file_name"])
                    if it.get("file", True) is False or it.get("dir"):
                        stack.append((str(it["fid"]), r))
                    else:
                        out.append({**it, "rel": r})
                if len(out) > MAX_FILES:
                    raise ResolveError(f"This UC Drive share holds more than {MAX_FILES} files")
                total = int((ans.get("metadata") or {}).get("_total") or 0)
                if not items or page * 50 >= total:
                    break
                page += 1
        out.sort(key=lambda f: f["rel"])
        return out
