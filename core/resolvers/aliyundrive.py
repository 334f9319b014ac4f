"""Aliyun Drive (阿里云盘) share links: ``https://www.alipan.com/s/<share_id>`` (also
``aliyundrive.com``, and ``…/s/<share_id>/folder/<file_id>`` for a sub-folder),
extraction code (提取码) in the pasted text or ``?pwd=``.

Protocol (OpenList ``drivers/aliyundrive_share``):

1. ``POST https://api.alipan.com/v2/share_link/get_share_token`` ``{share_id,
   share_pwd}`` -> ``share_token`` (no login needed).
2. ``POST https://api.alipan.com/adrive/v3/file/list`` with ``x-share-token``:
   ``{share_id, parent_file_id ("root"), limit, marker}`` -> ``items[]``
   (``file_id``, ``name``, ``type`` file/folder, ``size``, ``drive_id``) and
   ``next_marker``.
3. A download link needs the user's login: the refresh token of the web app
   (stored in Accounts as the token of ``alipan.com``) is exchanged at
   ``POST https://auth.alipan.com/v2/account/token`` ``{refresh_token,
   grant_type: "refresh_token"}`` for an ``access_token`` (``expires_in``
   seconds) and a NEW refresh token, which is stored back at once (the old one
   stops working).  The access token is kept in memory only and renewed when
   it expires or the API answers ``AccessTokenInvalid``.
4. ``POST https://api.alipan.com/v2/file/get_share_link_download_url``
   (``Authorization: Bearer``, ``x-share-token``) ``{drive_id, file_id,
   expire_sec: 600, share_id}`` -> ``download_url``: an OSS link whose expiry is
   its ``x-oss-expires``; it must be fetched with ``Referer:
   https://www.alipan.com/``.  When it expires, ``refresh`` asks for a new one
   for the same file (the file id is in ``ref``).

Error codes (OpenList, tickstep/aliyunpan-api ``apierror``, gaozhangmin/aliyunpan
``src/aliapi/share.ts``): ``InvalidResource.SharePwd`` wrong/missing code,
``ShareLink.Expired``, ``ShareLink.Cancelled``, ``ShareLink.Forbidden``,
``NotFound.ShareLink``, ``ShareLinkTokenInvalid`` (share token to renew),
``AccessTokenInvalid``/``AccessTokenExpired`` (access token to renew),
``InvalidParameter.RefreshToken`` (login expired), ``ParamFlowException``
(too many requests).
"""

from __future__ import annotations

import asyncio
import re
import weakref
from typing import Any
from urllib.parse import urlsplit

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
from ..expiry import url_expires_at
from ..models import Link, Mirror, Resolved
from ._shares import ShareCache, api_json, login_digest, share_code
from .base import Resolver, ResolverContext

API = "https://api.alipan.com"
AUTH = "https://auth.alipan.com/v2/account/token"
REFERER = "https://www.alipan.com/"
CANARY = ("X-Canary", "client=web,app=share,version=v2.3.1")
UA = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
      "Chrome/127.0.0.0 Safari/537.36")
ACCOUNT = "alipan.com"
MAX_FILES = 5000
_LOGIN_HOWTO = ("log in at www.alipan.com, copy the refresh_token (browser storage, key "
                "\"token\") and store it: zhilian accounts set alipan.com --token -")

_cache = ShareCache(ttl=120)       # download links are asked for 600 s
# refresh-token digest -> (access token, expires at, refresh token that replaced it)
_access: dict[str, tuple[str, float, str]] = {}
_locks: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _lock() -> asyncio.Lock:
    """One lock per event loop: two renewals at once would each spend the same
    refresh token, and the second would be refused."""
    loop = asyncio.get_running_loop()
    return _locks.setdefault(loop, asyncio.Lock())


class _Retry(Exception):
    """The call should be repeated after renewing a token."""


def _error(code: str, message: str, pwd: str) -> ResolveError:
    detail = f" ({code}: {message})" if message else f" ({code})"
    if code == "InvalidResource.SharePwd":
        return WrongPassword("Wrong extraction code for this Aliyun Drive share" + detail) if pwd else \
            NeedPassword("This Aliyun Drive share needs an extraction code (提取码): add it to the link")
    if code == "ShareLink.Expired":
        return LinkExpired("This Aliyun Drive share has expired" + detail)
    if code in ("ShareLink.Cancelled", "NotFound.ShareLink", "ShareLink.Forbidden", "NotFound.File",
                "NotFound.FileId"):
        return NotFound("This Aliyun Drive share no longer exists or was blocked" + detail)
    if code in ("InvalidParameter.RefreshToken", "RefreshTokenExpired"):
        return NeedLogin(ACCOUNT, message="Aliyun Drive login expired or invalid" + detail + ": "
                         + _LOGIN_HOWTO)
    if code in ("ParamFlowException", "TooManyRequests") or code.startswith("Throttl"):
        return Throttled("Aliyun Drive is limiting requests" + detail)
    if code.startswith("QuotaExhausted"):
        return QuotaExceeded("Aliyun Drive refused: quota exhausted" + detail)
    return ResolveError("Aliyun Drive answered an error" + detail)


def _parse(url: str) -> tuple[str, str]:
    m = re.match(r"^/s/([0-9A-Za-z]+)(?:/folder/([0-9A-Za-z]+))?/?$", urlsplit(url).path)
    if not m:
        raise UnsupportedLink("Not an Aliyun Drive share link (expected alipan.com/s/<id>)")
    return m.group(1), m.group(2) or "root"


class AliyunDriveResolver(Resolver):
    name = "alipan"
    hosts = ("alipan.com", "aliyundrive.com")
    priority = 10

    # -- calls ----------------------------------------------------------------------
    async def _post(self, ctx: ResolverContext, url: str, body: dict[str, Any], pwd: str, *,
                    share_token: str | None = None, access: str | None = None) -> dict[str, Any]:
        headers = {"User-Agent": UA, "Referer": REFERER, "Origin": REFERER.rstrip("/"),
                   CANARY[0]: CANARY[1]}
        if share_token:
            headers["x-share-token"] = share_token
        if access:
            headers["Authorization"] = f"Bearer {access}"
        status, ans = await api_json(ctx, "POST", url, headers=headers, body=body, host="Aliyun Drive")
        if not isinstance(ans, dict):
            raise ResolveError(f"Aliyun Drive answered something unexpected (HTTP {status})")
        code = str(ans.get("code") or "")
        if code or status >= 400:
            if code in ("AccessTokenInvalid", "AccessTokenExpired", "ShareLinkTokenInvalid"):
                raise _Retry(code)
            raise _error(code or f"HTTP {status}", str(ans.get("message") or ""), pwd)
        return ans

    async def _share_token(self, ctx: ResolverContext, share_id: str, pwd: str) -> str:
        ans = await self._post(ctx, f"{API}/v2/share_link/get_share_token",
                               {"share_id": share_id, "share_pwd": pwd}, pwd)
        tok = ans.get("share_token")
        if not tok:
            raise ResolveError("Aliyun Drive gave no share token")
        return str(tok)

    async def _access_token(self, ctx: ResolverContext, *, renew: bool = False) -> str:
        stored = creds_for(ctx.credentials, ACCOUNT).get("token")
        if not stored:
            raise NeedLogin(ACCOUNT, message="Aliyun Drive needs your login to download a share: "
                            + _LOGIN_HOWTO)
        async with _lock():
            key = login_digest(stored)
            hit = _access.get(key)
            if hit and not renew and ctx.clock() < hit[1] - 60:
                return hit[0]
            refresh = hit[2] if hit else str(stored)   # the stored one may have been replaced
            try:
                ans = await self._post(ctx, AUTH, {"refresh_token": refresh,
                                                   "grant_type": "refresh_token"}, "")
            except _Retry as e:
                raise _error(str(e), "", "") from None
            access, new_refresh = ans.get("access_token"), ans.get("refresh_token")
            if not access:
                raise NeedLogin(ACCOUNT, message="Aliyun Drive did not accept the stored login: "
                                + _LOGIN_HOWTO)
            new_refresh = str(new_refresh or refresh)
            _access[key] = (str(access), ctx.clock() + float(ans.get("expires_in") or 7200), new_refresh)
            if new_refresh != refresh and ctx.save_token is not None:
                ctx.save_token(ACCOUNT, new_refresh)
            return str(access)

    # -- resolve --------------------------------------------------------------------
    async def resolve(self, link: Link, ctx: ResolverContext) -> list[Resolved]:
        share_id, root = _parse(link.url)
        pwd = share_code(link)
        ck = (share_id, root, pwd, login_digest(creds_for(ctx.credentials, ACCOUNT).get("token")))
        hit = _cache.get(ck, ctx.clock())
        if hit is not None:
            return hit
        share_token = await self._share_token(ctx, share_id, pwd)
        files = await self._list(ctx, share_id, root, pwd, share_token)
        if not files:
            raise NotFound("This Aliyun Drive share is empty")
        folder = len(files) > 1 or any("/" in f["rel"] for f in files)
        out = []
        for f in files:
            ref = {"link": link.url, "password": pwd or None, "share_id": share_id,
                   "file_id": f["file_id"], "drive_id": f.get("drive_id") or ""}
            mirror = await self._mirror(ctx, ref, share_token)
            out.append(Resolved(mirrors=[mirror], filename=f["name"], size=int(f.get("size") or 0) or None,
                                expires_at=mirror.expires_at, resolver=self.name, ref=ref,
                                path=f["rel"] if folder else None))
        _cache.put(ck, out, ctx.clock())
        return out

    async def _list(self, ctx: ResolverContext, share_id: str, root: str, pwd: str,
                    share_token: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        stack = [(root, "")]
        while stack:
            parent, rel = stack.pop()
            marker = ""
            while True:
                body = {"share_id": share_id, "parent_file_id": parent, "limit": 100,
                        "order_by": "name", "order_direction": "ASC", "marker": marker}
                try:
                    ans = await self._post(ctx, f"{API}/adrive/v3/file/list", body, pwd,
                                           share_token=share_token)
                except _Retry:
                    share_token = await self._share_token(ctx, share_id, pwd)
                    continue
                for it in ans.get("items") or []:
                    r = f"{rel}/{it['name']}" if rel else str(it["name"])
                    if it.get("type") == "folder":
                        stack.append((str(it["file_id"]), r))
                    else:
                        out.append({**it, "rel": r})
                if len(out) > MAX_FILES:
                    raise ResolveError(f"This Aliyun Drive share holds more than {MAX_FILES} files")
                marker = str(ans.get("next_marker") or "")
                if not marker:
                    break
        out.sort(key=lambda f: f["rel"])
        return out

    async def _mirror(self, ctx: ResolverContext, ref: dict[str, Any], share_token: str) -> Mirror:
        pwd = ref.get("password") or ""
        body = {"drive_id": ref["drive_id"], "file_id": ref["file_id"], "expire_sec": 600,
                "share_id": ref["share_id"]}
        renewed = False
        for _ in range(3):
            access = await self._access_token(ctx, renew=renewed)
            try:
                ans = await self._post(ctx, f"{API}/v2/file/get_share_link_download_url", body, pwd,
                                       share_token=share_token, access=access)
                break
            except _Retry as e:
                if str(e) == "ShareLinkTokenInvalid":
                    share_token = await self._share_token(ctx, ref["share_id"], pwd)
                else:
                    renewed = True
        else:
            raise NeedLogin(ACCOUNT, message="Aliyun Drive keeps refusing the login: " + _LOGIN_HOWTO)
        url = str(ans.get("download_url") or ans.get("url") or "")
        if not url:
            raise ResolveError("Aliyun Drive gave no download link for this file")
        return Mirror(url=ctx.url(url), headers={"Referer": REFERER, "User-Agent": UA},
                      expires_at=url_expires_at(url))

    async def refresh(self, resolved: Resolved, ctx: ResolverContext) -> list[Mirror]:
        """A new download link for the same file (share token + one call)."""
        ref = resolved.ref
        if not ref.get("file_id"):
            return await super().refresh(resolved, ctx)
        share_token = await self._share_token(ctx, ref["share_id"], ref.get("password") or "")
        return [await self._mirror(ctx, ref, share_token)]


def forget_tokens() -> None:
    """Drop the in-memory access tokens and cached resolutions (tests, account removal)."""
    _access.clear()
    _cache.clear()
