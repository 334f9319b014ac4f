"""Tianyi Cloud (天翼云盘) share links: ``https://cloud.189.cn/t/<code>`` or
``https://cloud.189.cn/web/share?code=<code>``, access code (访问码) in the pasted
text or ``?pwd=``.

Protocol (the web client's open share API, as WhiteSevs/TamperMonkeyScript's
网盘链接识别 ``NetDiskParse_Tianyiyun`` and 1307super/cloud189-auto-save call it;
every call sends ``Accept: application/json;charset=UTF-8``, ``Sign-Type: 1`` and
the share page as ``Referer``):

1. ``GET https://cloud.189.cn/api/open/share/getShareInfoByCodeV2.action?shareCode=<code>``
   -> ``{res_code: 0, shareId?, fileId, fileName, fileSize, isFolder, needAccessCode,
   shareMode}``; ``res_code`` names the error otherwise (``ShareNotFound``,
   ``ShareExpiredError``, ``ShareAuditNotPass`` …).
2. With an access code: ``GET …/checkAccessCode.action?shareCode=&accessCode=`` ->
   ``{res_code: 0, shareId}`` (no ``shareId``: the code is wrong).
3. Folders: ``GET …/listShareDir.action?pageNum&pageSize=60&fileId&shareDirFileId
   &isFolder=true&shareId&shareMode&iconOption=5&orderBy=lastOpTime&descending=true
   &accessCode`` -> ``fileListAO: {count, fileList[{id, name, size, md5}],
   folderList[{id, name}]}``.
4. Downloads need the user's login (cookie ``COOKIE_LOGIN_USER`` of cloud.189.cn):
   ``GET https://cloud.189.cn/api/open/file/getFileDownloadUrl.action?fileId&dt=1
   &shareId`` -> ``fileDownloadUrl`` (``InvalidSessionKey`` = not logged in or the
   login expired).  The link redirects to the CDN; the cookie goes to 189.cn hosts
   only.
"""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

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
from ._shares import ShareCache, api_json, login_digest, share_code
from .base import Resolver, ResolverContext

WEB = "https://cloud.189.cn"
API = WEB + "/api/open"
UA = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
      "Chrome/127.0.0.0 Safari/537.36")
ACCOUNT = "189.cn"
MAX_FILES = 5000
_LOGIN_HOWTO = ("log in at cloud.189.cn in your browser and import its cookies: "
                "zhilian accounts import cloud.189.cn --curl \"<Copy as cURL>\"")
_cache = ShareCache(ttl=120)


def _error(code: str, message: str) -> ResolveError:
    detail = f" ({code}: {message})" if message and message != code else f" ({code})"
    if code in ("InvalidSessionKey", "UserNotLogin", "InvalidAccessToken"):
        return NeedLogin(ACCOUNT, ("COOKIE_LOGIN_USER",),
                         "Tianyi Cloud login missing or expired" + detail + ": " + _LOGIN_HOWTO)
    if code in ("ShareExpiredError", "ShareOverdue"):
        return LinkExpired("This Tianyi Cloud share has expired" + detail)
    if code in ("ShareNotFound", "ShareInfoNotFound", "FileNotFound", "ShareNotFoundFlatDir",
                "ShareAuditNotPass", "ShareAuditWaiting"):
        return NotFound("This Tianyi Cloud share no longer exists or is blocked" + detail)
    if code in ("ShareAccessCodeError", "AccessCodeError", "PasswordError"):
        return WrongPassword("Wrong access code for this Tianyi Cloud share" + detail)
    if "Frequently" in code or "频繁" in message:
        return Throttled("Tianyi Cloud is limiting requests" + detail)
    if code == "FileTooLarge":
        return ResolveError("Tianyi Cloud refuses to hand out this file: too large for a share download"
                            + detail)
    return ResolveError("Tianyi Cloud answered an error" + detail)


def _share_code(url: str) -> str:
    p = urlsplit(url)
    code = (parse_qs(p.query).get("code") or [""])[0]
    m = re.match(r"^/t/([0-9A-Za-z]+)/?$", p.path) or re.search(r"/t/([0-9A-Za-z]+)", p.fragment)
    if m:
        code = m.group(1)
    if not re.fullmatch(r"[0-9A-Za-z]{4,32}", code or ""):
        raise UnsupportedLink("Not a Tianyi Cloud share link (expected cloud.189.cn/t/<code>)")
    return code


class TianyiResolver(Resolver):
    name = "tianyi"
    hosts = ("cloud.189.cn",)
    priority = 10

    def _headers(self, code: str, cookies: dict[str, str] | None = None) -> dict[str, str]:
        h = {"Accept": "application/json;charset=UTF-8", "Sign-Type": "1", "User-Agent": UA,
             "Referer": f"{WEB}/web/share?code={code}"}
        if cookies:
            h["Cookie"] = cookie_header(cookies)
        return h

    async def _get(self, ctx: ResolverContext, path: str, code: str, params: dict[str, Any],
                   cookies: dict[str, str] | None = None) -> dict[str, Any]:
        status, ans = await api_json(ctx, "GET", f"{API}{path}", headers=self._headers(code, cookies),
                                     params=params, host="Tianyi Cloud")
        if not isinstance(ans, dict):
            raise ResolveError(f"Tianyi Cloud answered something unexpected (HTTP {status})")
        rc = ans.get("res_code", 0)
        err = str(ans.get("errorCode") or (rc if rc not in (0, "0") else ""))
        if err or status >= 400:
            raise _error(err or f"HTTP {status}", str(ans.get("res_message") or ans.get("errorMsg") or ""))
        return ans

    async def resolve(self, link: Link, ctx: ResolverContext) -> list[Resolved]:
        code = _share_code(link.url)
        pwd = share_code(link)
        cookies = dict(creds_for(ctx.credentials, ACCOUNT).get("cookies") or {})
        ck = (code, pwd, login_digest(sorted(cookies.items())))
        hit = _cache.get(ck, ctx.clock())
        if hit is not None:
            return hit
        info = await self._get(ctx, "/share/getShareInfoByCodeV2.action", code, {"shareCode": code})
        share_id = info.get("shareId")
        need = info.get("needAccessCode") in (True, 1, "1", "true") or int(info.get("shareType") or 0) == 3
        if need and not pwd:
            raise NeedPassword("This Tianyi Cloud share needs an access code (访问码): add it to the link")
        if pwd and (need or not share_id):
            chk = await self._get(ctx, "/share/checkAccessCode.action", code,
                                  {"shareCode": code, "accessCode": pwd})
            share_id = chk.get("shareId")
            if not share_id:
                raise WrongPassword("Wrong access code for this Tianyi Cloud share")
        if not share_id:
            raise ResolveError("Tianyi Cloud did not say which share this is")
        if info.get("isFolder") in (True, 1, "1", "true"):
            files = await self._list(ctx, code, pwd, str(share_id), str(info["fileId"]),
                                     info.get("shareMode", 1))
        else:
            files = [{"id": info["fileId"], "name": info.get("fileName") or "file",
                      "size": info.get("fileSize"), "md5": info.get("md5"), "rel": ""}]
        if not files:
            raise NotFound("This Tianyi Cloud share is empty")
        if not cookies.get("COOKIE_LOGIN_USER"):
            raise NeedLogin(ACCOUNT, ("COOKIE_LOGIN_USER",),
                            "Tianyi Cloud needs your login to download a share: " + _LOGIN_HOWTO)
        folder = info.get("isFolder") in (True, 1, "1", "true")
        out = []
        for f in files:
            ref = {"link": link.url, "password": pwd or None, "share_code": code,
                   "share_id": str(share_id), "file_id": str(f["id"])}
            md5 = str(f.get("md5") or "").lower()
            out.append(Resolved(mirrors=[await self._mirror(ctx, ref, cookies)], filename=str(f["name"]),
                                size=int(f.get("size") or 0) or None,
                                md5=md5 if re.fullmatch(r"[0-9a-f]{32}", md5) else None,
                                resolver=self.name, ref=ref, path=f["rel"] if folder else None))
        _cache.put(ck, out, ctx.clock())
        return out

    async def _list(self, ctx: ResolverContext, code: str, pwd: str, share_id: str, root: str,
                    share_mode: Any) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        stack = [(root, "")]
        while stack:
            fid, rel = stack.pop()
            page, seen = 1, 0
            while True:
                ans = await self._get(ctx, "/share/listShareDir.action", code, {
                    "pageNum": page, "pageSize": 60, "fileId": fid, "shareDirFileId": fid,
                    "isFolder": "true", "shareId": share_id, "shareMode": share_mode, "iconOption": 5,
                    "orderBy": "lastOpTime", "descending": "true", "accessCode": pwd})
                ao = ans.get("fileListAO") or {}
                files, folders = ao.get("fileList") or [], ao.get("folderList") or []
                for d in folders:
                    stack.append((str(d["id"]), f"{rel}/{d['name']}" if rel else str(d["name"])))
                for f in files:
                    out.append({**f, "rel": f"{rel}/{f['name']}" if rel else str(f["name"])})
                seen += len(files) + len(folders)
                if len(out) > MAX_FILES:
                    raise ResolveError(f"This Tianyi Cloud share holds more than {MAX_FILES} files")
                if not (files or folders) or seen >= int(ao.get("count") or 0):
                    break
                page += 1
        out.sort(key=lambda f: f["rel"])
        return out

    async def _mirror(self, ctx: ResolverContext, ref: dict[str, Any], cookies: dict[str, str]) -> Mirror:
        ans = await self._get(ctx, "/file/getFileDownloadUrl.action", ref["share_code"],
                              {"fileId": ref["file_id"], "dt": 1, "shareId": ref["share_id"]}, cookies)
        url = html.unescape(str(ans.get("fileDownloadUrl") or ""))
        if not url:
            raise ResolveError("Tianyi Cloud gave no download link for this file")
        if url.startswith("//"):
            url = "https:" + url
        headers = {"User-Agent": UA, "Referer": WEB + "/"}
        if cookie_allowed(ACCOUNT, urlsplit(url).hostname or ""):
            headers["Cookie"] = cookie_header(cookies)
        return Mirror(url=ctx.url(url), headers=headers)

    async def refresh(self, resolved: Resolved, ctx: ResolverContext) -> list[Mirror]:
        if not resolved.ref.get("file_id"):
            return await super().refresh(resolved, ctx)
        cookies = dict(creds_for(ctx.credentials, ACCOUNT).get("cookies") or {})
        return [await self._mirror(ctx, resolved.ref, cookies)]
