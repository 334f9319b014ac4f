"""123pan (123云盘) share links: ``https://www.123pan.com/s/<shareKey>`` and the
same share on 123pan.cn, 123684.com, 123865.com, 123912.com; the extraction code
(提取码) as ``?pwd=`` or in the pasted text.

Protocol (as OpenList ``drivers/123_share`` and qaiu/netdisk-fast-download
``YeTool.java`` speak it):

1. ``GET https://www.123pan.com/b/api/share/get?limit=100&next=0&orderBy=file_id&
   orderDirection=desc&parentFileId=<id>&Page=<n>&shareKey=<key>&SharePwd=<code>``
   plus the signature parameter every web API call carries (``<timeSign>=<ts>-
   <random>-<crc>``: CRC32 of the current minute in China time written with a
   letter table, then CRC32 of ``ts|random|path|web|3|timeSign``; OpenList
   ``drivers/123/util.go`` ``signPath``).  Headers ``platform: web``,
   ``app-version: 3``, ``Authorization: Bearer <token>`` when the user stored a
   123pan login token (public shares need none).
   Answer ``{"code":0,"data":{"InfoList":[{FileId, FileName, Type (1 = folder),
   Size, Etag (md5), S3KeyFlag}], "Next":"-1"}}``; folders are listed the same way
   with their FileId.
2. ``POST /b/api/share/download/info`` (signed) ``{shareKey, SharePwd, etag,
   fileId, s3keyFlag, size}`` -> ``data.DownloadURL``.  Its ``params`` query
   value is the base64 of the real URL; ``GET`` that URL without following
   redirects (``Referer`` of the site): a 302 ``Location`` or a JSON
   ``data.redirect_url`` is the file on the CDN.  Downloads send ``Referer`` =
   the DownloadURL's origin.  The CDN link's ``auth_key`` starts with its
   expiry (unix time); a fresh one is fetched for the same file on refresh.

Errors come as ``code`` != 0 with a Chinese ``message``: the message decides
(提取码/密码 -> wrong code, 失效/过期 -> expired, 不存在/取消/删除 -> gone,
登录 or code 401 -> login, 流量 or 5112 -> the sharer's traffic is used up).
"""

from __future__ import annotations

import base64
import binascii
import random
import re
import time
import zlib
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ..accounts.hosts import creds_for
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
from ._shares import ShareCache, api_json, login_digest, share_code
from ._web import fetch
from .base import Resolver, ResolverContext

SITE = "https://www.123pan.com"
API = SITE + "/b/api"
UA = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
      "Chrome/127.0.0.0 Safari/537.36")
_SIGN_TABLE = "adefghlmyijnopkqrstubcvwsz"
MAX_FILES = 5000
_cache = ShareCache(ttl=300)      # the CDN links live ~15 min


def sign_path(path: str, now: float, rnd: int | None = None) -> tuple[str, str]:
    """(parameter name, value) signing a web API path (OpenList ``signPath``)."""
    r = random.randint(0, 10_000_000) if rnd is None else rnd
    minute = time.strftime("%Y%m%d%H%M", time.gmtime(now + 8 * 3600))   # China time
    time_sign = str(zlib.crc32("".join(_SIGN_TABLE[int(c)] for c in minute).encode()))
    ts = str(int(now))
    data_sign = zlib.crc32("|".join((ts, str(r), path, "web", "3", time_sign)).encode())
    return time_sign, f"{ts}-{r}-{data_sign}"


def _share_key(url: str) -> str:
    m = re.match(r"^/s/([0-9A-Za-z_-]+?)(?:\.html)?/?$", urlsplit(url).path)
    if not m:
        raise UnsupportedLink("Not a 123pan share link (expected 123pan.com/s/<key>)")
    return m.group(1)


def _error(code: int, message: str, pwd: str) -> ResolveError:
    m = message or ""
    detail = f" ({m}, code {code})" if m else f" (code {code})"
    if code == 401 or "登录" in m or "login" in m.lower():
        return NeedLogin("123pan.com", message=(
            "123pan wants a login for this share" + detail + ": copy the authorToken of "
            "www.123pan.com (browser storage) into Accounts: zhilian accounts set 123pan.com --token -"))
    if "提取码" in m or "密码" in m:
        return WrongPassword("Wrong extraction code for this 123pan share" + detail) if pwd else \
            NeedPassword("This 123pan share needs an extraction code (提取码): add it to the link")
    if "过期" in m or "失效" in m:
        return LinkExpired("This 123pan share has expired" + detail)
    if "不存在" in m or "取消" in m or "删除" in m or "违规" in m:
        return NotFound("This 123pan share no longer exists" + detail)
    if code == 5112 or "流量" in m:
        return QuotaExceeded("The sharer's 123pan download traffic is used up" + detail +
                             "; try again later or ask the sharer")
    if code == 429 or "频繁" in m:
        return Throttled("123pan is limiting requests" + detail)
    return ResolveError("123pan answered an error" + detail)


def _auth_key_expiry(url: str) -> float | None:
    for v in parse_qs(urlsplit(url).query).get("auth_key", []):
        head = v.split("-", 1)[0]
        if head.isdigit() and 946_684_800 < int(head) < 32_503_680_000:
            return float(head)
    return None


class Pan123Resolver(Resolver):
    name = "123pan"
    hosts = ("123pan.com", "123pan.cn", "123684.com", "123865.com", "123912.com")
    priority = 10

    def _headers(self, ctx: ResolverContext) -> dict[str, str]:
        h = {"User-Agent": UA, "Origin": SITE, "Referer": SITE + "/", "platform": "web",
             "app-version": "3", "Accept": "application/json, text/plain, */*"}
        tok = creds_for(ctx.credentials, "123pan.com").get("token")
        if tok:
            h["Authorization"] = f"Bearer {tok}"
        return h

    async def _api(self, ctx: ResolverContext, method: str, path: str, pwd: str, *,
                   params: dict[str, Any] | None = None, body: Any = None) -> dict[str, Any]:
        k, v = sign_path(urlsplit(API + path).path, ctx.clock())
        status, ans = await api_json(ctx, method, f"{API}{path}?{k}={v}", headers=self._headers(ctx),
                                     params=params, body=body, host="123pan")
        if not isinstance(ans, dict):
            raise ResolveError(f"123pan answered something unexpected (HTTP {status})")
        code = int(ans.get("code") or 0)
        if code != 0 or status >= 400:
            raise _error(code or status, str(ans.get("message") or ""), pwd)
        return ans.get("data") or {}

    async def resolve(self, link: Link, ctx: ResolverContext) -> list[Resolved]:
        key = _share_key(link.url)
        pwd = share_code(link)
        tok = creds_for(ctx.credentials, "123pan.com").get("token")
        ck = (key, pwd, login_digest(tok))
        hit = _cache.get(ck, ctx.clock())
        if hit is not None:
            return hit
        files = await self._list(ctx, key, pwd)
        if not files:
            raise NotFound("This 123pan share is empty")
        folder = len(files) > 1 or any("/" in f["rel"] for f in files)
        out = []
        for f in files:
            ref = {"link": link.url, "password": pwd or None, "share_key": key,
                   "file_id": f["FileId"], "etag": f.get("Etag") or "",
                   "s3key_flag": f.get("S3KeyFlag") or "", "size": int(f.get("Size") or 0)}
            mirror = await self._mirror(ctx, ref)
            etag = str(f.get("Etag") or "").lower()
            out.append(Resolved(mirrors=[mirror], filename=f["FileName"],
                                size=int(f.get("Size") or 0) or None,
                                md5=etag if re.fullmatch(r"[0-9a-f]{32}", etag) else None,
                                expires_at=mirror.expires_at, resolver=self.name, ref=ref,
                                path=f["rel"] if folder else None))
        _cache.put(ck, out, ctx.clock())
        return out

    async def _list(self, ctx: ResolverContext, key: str, pwd: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        stack: list[tuple[str, str]] = [("0", "")]
        while stack:
            parent, rel = stack.pop()
            page = 1
            while True:
                data = await self._api(ctx, "GET", "/share/get", pwd, params={
                    "limit": 100, "next": 0, "orderBy": "file_id", "orderDirection": "desc",
                    "parentFileId": parent, "Page": page, "shareKey": key, "SharePwd": pwd})
                if data.get("Expired"):
                    raise LinkExpired("This 123pan share has expired")
                items = data.get("InfoList") or []
                for it in items:
                    r = f"{rel}/{it['FileName']}" if rel else str(it["FileName"])
                    if int(it.get("Type") or 0) == 1:
                        stack.append((str(it["FileId"]), r))
                    else:
                        out.append({**it, "rel": r})
                if len(out) > MAX_FILES:
                    raise ResolveError(f"This 123pan share holds more than {MAX_FILES} files")
                if not items or str(data.get("Next", "-1")) == "-1":
                    break
                page += 1
        out.sort(key=lambda f: f["rel"])
        return out

    async def _mirror(self, ctx: ResolverContext, ref: dict[str, Any]) -> Mirror:
        pwd = ref.get("password") or ""
        data = await self._api(ctx, "POST", "/share/download/info", pwd, body={
            "shareKey": ref["share_key"], "SharePwd": pwd, "etag": ref["etag"],
            "fileId": ref["file_id"], "s3keyFlag": ref["s3key_flag"], "size": ref["size"]})
        dl = str(data.get("DownloadURL") or data.get("DownloadUrl") or "")
        if not dl:
            raise ResolveError("123pan gave no download link for this file")
        outer = urlsplit(dl)
        url = dl
        packed = parse_qs(outer.query).get("params")
        if packed:
            try:
                url = base64.b64decode(packed[0] + "=" * (-len(packed[0]) % 4)).decode()
            except (binascii.Error, UnicodeDecodeError):
                raise ResolveError("123pan sent a download link Zhilian cannot read") from None
        ans = await fetch(ctx, url, headers={"Referer": SITE + "/", "User-Agent": UA}, follow=False)
        if ans.status in (301, 302, 303, 307, 308) and ans.headers.get("Location"):
            final = ans.headers["Location"]
        elif ans.status < 300:
            j = ans.json()
            final = str(((j or {}).get("data") or {}).get("redirect_url") or "") if isinstance(j, dict) else ""
            if not final:
                raise ResolveError("123pan gave no file address for this download")
        else:
            raise ResolveError(f"123pan refused the download link (HTTP {ans.status})")
        exp = _auth_key_expiry(final)
        if exp is None:
            from ..expiry import url_expires_at
            exp = url_expires_at(final)
        return Mirror(url=ctx.url(final), expires_at=exp,
                      headers={"Referer": f"{outer.scheme}://{outer.netloc}/", "User-Agent": UA})

    async def refresh(self, resolved: Resolved, ctx: ResolverContext) -> list[Mirror]:
        """A fresh CDN link for the same file (one download-info call)."""
        if not resolved.ref.get("share_key"):
            return await super().refresh(resolved, ctx)
        return [await self._mirror(ctx, resolved.ref)]
