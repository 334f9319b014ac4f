"""Baidu Netdisk share links (pan.baidu.com/s/1<surl>, extraction code).

Each step is done the way maintained cookie-only clients do it (docs/shares.md
lists them; the tests' mock names the same sources per route):

1. Share page ``/s/1<surl>`` with the netdisk client User-Agent (a browser one is
   sent to a login page: BaiduPCS-Go PR #535).  Its share context (``shareid``,
   ``share_uk``, ``bdstoken``) is JSON wrapped as ``try { {...}; }``,
   ``locals.mset({...})`` or ``window.yunData = {...}``; a 302 to
   ``/share/init`` means an extraction code is needed.
2. ``POST /share/verify`` -> ``randsk``, kept as cookie ``BDCLND``.
3. ``GET /share/list`` (root by ``shorturl``, sub-folders by ``uk`` + ``shareid``).
4. The target folder ``/Zhilian/<surl>`` in the user's own disk: looked up with
   ``/api/list``, made with ``POST /api/create?a=commit`` (``isdir=1``) when
   missing, since a transfer into a missing folder fails with errno 2.
5. ``POST /share/transfer`` of the share's top-level items not already there.
6. The account's Baidu uid from the tieba client login (BDUSS only), then
   ``pcs.baidu.com/rest/2.0/pcs/file?method=locatedownload`` with its
   ``rand``/``devuid`` signature -> the download URL, fetched with the netdisk
   User-Agent and the BDUSS cookie.

Errno meanings differ per call (12 is "too many files" or "name clash" on a
transfer; -7 is a bad folder name on a transfer but a deleted share on the share
pages): ``errno_error(errno, call)`` reads them per call.  Ordinary accounts get
one connection (more makes the host throttle the account for hours); a VIP
account may raise it with ``zhilian accounts set pan.baidu.com --connections N``.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

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
from ..models import Link, Mirror, Resolved
from ._web import fetch
from .base import Resolver, ResolverContext

PAN = "https://pan.baidu.com"
PCS = "https://pcs.baidu.com"
TIEBA = "https://tieba.baidu.com"
# BaiduPCS-Go baidupcs.go NetdiskUA: the share page, locatedownload and the download use it
NETDISK_UA = ("netdisk;P2SP;3.0.0.8;netdisk;11.12.3;ANG-AN00;android-android;10.0;JSbridge4.4.0;"
              "jointBridge;1.1.0;")
TIEBA_UA = "bdtb for Android 6.9.2.1"
APP_ID = "250528"
LOCATE_SECRET = "ebrcUYiuxaZv2XGu7KIYKxUrqfnOfpDF"   # the constant of the locatedownload signature
SAVE_ROOT = "/Zhilian"
DLINK_LIFETIME = 8 * 3600            # locatedownload URLs carry expires=8h
MAX_FILES = 2000
LOGIN_COOKIES = ("BDUSS", "STOKEN")
_UIDS: dict[str, str] = {}           # sha256(BDUSS) -> uid, for this process only


class TooManyFiles(ResolveError):
    def __init__(self, count: int | None = None, limit: int | None = None):
        if count and limit:
            msg = (f"Baidu refused to save {count} files at once: your account may save {limit} per "
                   "transfer (error 12). Download a sub-folder of the share or fewer files")
        else:
            msg = ("Baidu refused the transfer: too many files for your account at once "
                   "(error 12); download a sub-folder of the share or fewer files")
        super().__init__(msg)


_LOGIN_HINT = ": import fresh BDUSS and STOKEN cookies of pan.baidu.com in Accounts"


def errno_error(errno: int, call: str = "", password: str | None = None) -> ResolveError:
    """A Baidu errno -> the error a person can act on.  ``call`` is the request that
    answered it: page, verify, list, share (any share page call), mkdir, transfer,
    uid, locate or download.  Sources: BaiduPCS-Go pcserror/panerrorinfo.go and
    pcserrorinfo.go, hxz393/BaiduPanFilesTransfers src/constants.py."""
    at = f" (error {errno})"
    saving = call in ("transfer", "mkdir")
    if errno in (-9, -12) and call in ("verify", ""):
        return WrongPassword("Wrong extraction code for this Baidu share" + at)
    if errno in (-62, -19, 8001):
        return CaptchaRequired("Baidu asks for a verification code" + at +
                               ": open the share in a browser once, solve it, then try again")
    if errno in (9019, 132):
        return CaptchaRequired("Baidu wants this account verified (a security check)" + at +
                               ": open pan.baidu.com in a browser, pass the check, then try again")
    if errno == -4:
        return NeedLogin("pan.baidu.com", LOGIN_COOKIES, "Baidu did not accept your login" + at +
                         ": log out of Baidu on other devices, log in again in the browser, then"
                         + _LOGIN_HINT)
    if errno in (-6, -11, 3, 31045):
        return NeedLogin("pan.baidu.com", LOGIN_COOKIES, "Baidu login expired or invalid" + at +
                         _LOGIN_HINT)
    if errno == 12 and call == "transfer":
        return TooManyFiles()
    if errno in (-8, 4) and saving:
        return ResolveError("Your Baidu disk already has a file of the same name in the target folder"
                            + at + ": rename or delete it there, then try again")
    if errno == -7 and saving:
        return ResolveError("Baidu refused the target folder name" + at + " (it may not contain "
                            "< > | * ? \\ :)")
    if errno == 2 and call == "transfer":
        return ResolveError("The target folder is missing from your Baidu disk" + at +
                            ": try again (it is created first)")
    if errno in (-10, 20, -32):
        return QuotaExceeded("Your Baidu disk is full: the share cannot be saved to it" + at +
                             "; free some space and try again")
    if errno == 115:
        return NotFound("Baidu says this file may not be shared (it was blocked)" + at)
    if errno in (31066, 31297, -9) and call in ("locate", "download"):
        return NotFound("The saved copy is no longer in your Baidu disk" + at +
                        ": it is saved again on the next try")
    if errno in (-7, -21, 105, 145, -70, -1, -3, -9):
        return NotFound("This Baidu share no longer exists (deleted or cancelled by its owner)" + at)
    if errno in (31360, 31362):
        return LinkExpired("Baidu download link expired" + at)
    if errno in (31326, 31626):
        return Throttled("Baidu refused the download" + at + ": the account is throttled or the "
                         "client was not accepted; wait a while and use 1 connection")
    if errno in (2, 112, 113, 31023):
        return ResolveError("Baidu did not accept the request" + at + ": try again later")
    return ResolveError(f"Baidu answered an error{at}" + (f" while {call}" if call else ""))


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


# Where the share page's context object starts: `try { {...}; }` (BaiduPCS-Go PR #535),
# `locals.mset({...})`, `yunData.setData({...})` (BaiduPCS-Py) and `window.yunData = {...}`.
_CONTEXT_START = re.compile(r"(?:locals\.mset\(|yunData\.setData\(|window\.yunData\s*=|try\s*\{)\s*(?=\{)")
_CONTEXT_KEYS = ("shareid", "share_uk", "bdstoken", "loginstate", "uk")


def page_json(html: str) -> dict[str, Any]:
    """The share context from the page: every wrapper is read with a JSON decoder
    (nested objects are fine) and merged; {} when the page has none."""
    dec = json.JSONDecoder()
    found: dict[str, Any] = {}
    for m in _CONTEXT_START.finditer(html):
        try:
            obj, _ = dec.raw_decode(html, m.end())
        except ValueError:
            continue
        if isinstance(obj, dict) and any(k in obj for k in _CONTEXT_KEYS):
            for k, v in obj.items():
                if k not in found or found[k] in (None, "", 0):
                    found[k] = v
    return found


def _md5_upper(s: str) -> str:
    return hashlib.md5(s.encode()).hexdigest().upper()


def locate_query(bduss: str, uid: str, path: str, now: float) -> dict[str, str]:
    """locatedownload's parameters and signature (BaiduPCS-Go netdisksign/
    locatedownloadsign.go + prepare.go; BaiduPCS-Py pcs.download_link)."""
    devuid = _md5_upper(bduss) + "|0"
    t = str(int(now))
    enc = hashlib.sha1(bduss.encode()).hexdigest()
    rand = hashlib.sha1((enc + uid + LOCATE_SECRET + t + devuid).encode()).hexdigest()
    return {"ant": "1", "check_blue": "1", "es": "1", "esl": "1", "app_id": APP_ID,
            "method": "locatedownload", "path": path, "ver": "4.0", "clienttype": "17",
            "channel": "0", "apn_id": "1_0", "freeisp": "0", "queryfree": "0", "use": "0",
            "time": t, "rand": rand, "devuid": devuid, "cuid": devuid}


def tieba_form(bduss: str, now: float) -> tuple[dict[str, str], dict[str, str]]:
    """The tieba client login that tells a BDUSS's uid (BaiduPCS-Py pcs.user_info,
    BaiduPCS-Go baidu-tools tieba): form with its md5 ``sign``, and headers."""
    ts = str(int(now))
    form = {"bdusstoken": bduss + "|null", "channel_id": "", "channel_uid": "", "stErrorNums": "0",
            "subapp_type": "mini", "timestamp": ts + "922"}
    form["sign"] = _md5_upper("".join(f"{k}={form[k]}" for k in sorted(form)) + "tiebaclient!!!")
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": "ka=open", "net": "1",
               "User-Agent": TIEBA_UA, "client_logid": ts + "416"}
    return form, headers


class BaiduResolver(Resolver):
    name = "baidu"
    hosts = ("pan.baidu.com", "yun.baidu.com")
    priority = 10

    def _account(self, ctx: ResolverContext) -> tuple[dict[str, str], int]:
        acc = creds_for(ctx.credentials, "pan.baidu.com")
        cookies = {k: v for k, v in (acc.get("cookies") or {}).items()
                   if k in ("BDUSS", "STOKEN", "BAIDUID", "BAIDUID_BFESS", "PANPSC", "PTOKEN",
                            "csrfToken")}
        if not all(cookies.get(n) for n in LOGIN_COOKIES):
            raise NeedLogin("pan.baidu.com", LOGIN_COOKIES,
                            "Baidu Netdisk needs your login: import the BDUSS and STOKEN cookies "
                            "of pan.baidu.com in Accounts (zhilian accounts import pan.baidu.com ...)")
        conns = acc.get("max_connections") or (acc.get("settings") or {}).get("max_connections") or 1
        return cookies, int(conns)

    async def _json(self, ctx: ResolverContext, method: str, url: str, cookies: dict[str, str],
                    *, data: dict | None = None, referer: str | None = None,
                    headers: dict[str, str] | None = None, where: str = "") -> dict[str, Any]:
        h = dict(headers) if headers else {"User-Agent": NETDISK_UA}
        if cookies:
            h["Cookie"] = cookie_header(cookies)
        if referer:
            h["Referer"] = referer
        ans = await fetch(ctx, url, method=method, headers=h, data=data, follow=False, read=True, label="Baidu",
                          retry_unreachable=False)
        loc = ans.headers.get("Location", "")
        if ans.status in (301, 302, 303, 307) and ("passport.baidu.com" in loc or "/login" in loc):
            raise NeedLogin("pan.baidu.com", LOGIN_COOKIES, "Baidu login expired" + _LOGIN_HINT)
        if ans.status in (429, 509):
            raise Throttled("Baidu is limiting this account: too many requests, wait a while")
        if ans.status >= 500:
            raise ResolveError(f"Baidu server error (HTTP {ans.status}) while {where}; try again later")
        body = ans.json_or_none()
        if not isinstance(body, dict):
            raise ResolveError(f"Baidu answered something unexpected while {where}")
        return body

    async def _page(self, ctx: ResolverContext, surl: str, cookies: dict[str, str]) -> tuple[str, str]:
        url = f"{PAN}/s/1{surl}"
        headers = {"User-Agent": NETDISK_UA, "Cookie": cookie_header(cookies)}
        ans = await fetch(ctx, url, headers=headers, follow=False, read=True, label="Baidu",
                          retry_unreachable=False)
        loc, text, status = ans.headers.get("Location", ""), ans.text, ans.status
        if status in (301, 302, 303, 307):
            if "passport.baidu.com" in loc or "/login" in loc:
                raise NeedLogin("pan.baidu.com", LOGIN_COOKIES, "Baidu login expired" + _LOGIN_HINT)
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

    @staticmethod
    def _unreadable() -> ResolveError:
        return ResolveError("Baidu: could not read the share page (its layout changed, or the login "
                            "lacks STOKEN); try again later or update Zhilian")

    async def resolve(self, link: Link, ctx: ResolverContext) -> list[Resolved]:
        surl, url_pwd = parse_share_url(link.url)
        password = (link.password or url_pwd or "").strip() or None
        cookies, conns = self._account(ctx)
        share_url = f"{PAN}/s/1{surl}"

        kind, html = await self._page(ctx, surl, cookies)
        info = page_json(html) if kind == "page" else {}
        if kind == "page" and not info:
            raise self._unreadable()
        if not info.get("shareid"):
            # Behind an extraction code: verify it, keep BDCLND, load the page again.
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
                raise errno_error(int(body["errno"]), "verify", password)
            cookies = {**cookies, "BDCLND": body["randsk"]}
            kind, html = await self._page(ctx, surl, cookies)
            info = page_json(html)
            if not info.get("shareid"):
                raise self._unreadable()
        if info.get("errno") not in (None, 0):
            raise errno_error(int(info["errno"]), "share", password)
        bdstoken = str(info.get("bdstoken") or "")
        shareid = info["shareid"]
        share_uk = info.get("share_uk") or info.get("uk")

        tops, files = await self._list(ctx, surl, shareid, share_uk, bdstoken, cookies, password)
        if not files:
            raise NotFound("This Baidu share is empty")
        target = await self._target_folder(ctx, surl, bdstoken, cookies)
        await self._transfer(ctx, shareid, share_uk, bdstoken, cookies, tops, target, share_url)
        uid = await self._uid(ctx, cookies)
        now = ctx.clock()
        out: list[Resolved] = []
        folder = len(files) > 1 or any("/" in f["rel"] for f in files)
        for f in files:
            own_path = f"{target}/{f['rel']}"
            url = await self._locate(ctx, cookies, uid, own_path)
            out.append(Resolved(
                mirrors=[self._mirror(ctx, url, cookies, conns, now)],
                filename=f["name"], size=f["size"] or None,
                expires_at=now + DLINK_LIFETIME, max_connections=conns, resolver=self.name,
                ref={"link": link.url, "password": password, "own_path": own_path},
                path=f["rel"] if folder else None))
        return out

    def _mirror(self, ctx: ResolverContext, url: str, cookies: dict[str, str], conns: int,
                now: float) -> Mirror:
        login = {k: v for k, v in cookies.items() if k in LOGIN_COOKIES}
        headers = {"User-Agent": NETDISK_UA}
        if cookie_allowed("baidu.com", urlsplit(url).hostname or ""):   # never to a foreign CDN
            headers["Cookie"] = cookie_header(login)
        return Mirror(url=ctx.url(url), headers=headers,
                      expires_at=now + DLINK_LIFETIME, max_connections=conns)

    async def _list(self, ctx: ResolverContext, surl: str, shareid: Any, share_uk: Any, bdstoken: str,
                    cookies: dict[str, str], password: str | None
                    ) -> tuple[list[tuple[int, str]], list[dict[str, Any]]]:
        """-> ((fs_id, name) of the share's top-level items, every file with its path in the share)."""
        tops: list[tuple[int, str]] = []
        out: list[dict[str, Any]] = []
        stack: list[tuple[str | None, str]] = [(None, "")]
        while stack:
            d, rel = stack.pop()
            page = 1
            while True:
                params: dict[str, Any] = {"channel": "chunlei", "web": 5, "app_id": APP_ID,
                                          "bdstoken": bdstoken, "page": page, "num": 100}
                if d is None:     # BaiduPCS-Go transfer.go: the root by shorturl
                    params.update(shorturl=surl, root=1)
                else:             # BaiduPCS-Py list_shared_paths: a folder by uk + shareid
                    params.update(root=0, dir=d, uk=share_uk, shareid=shareid, clienttype=0)
                body = await self._json(ctx, "GET", f"{PAN}/share/list?{urlencode(params)}",
                                        cookies, where="listing the share")
                if body.get("errno", 0) != 0:
                    raise errno_error(int(body["errno"]), "list", password)
                items = body.get("list") or []
                for it in items:
                    name = it.get("server_filename") or str(it["path"]).rsplit("/", 1)[-1]
                    r = f"{rel}/{name}" if rel else name
                    if d is None:
                        tops.append((int(it["fs_id"]), name))
                    if int(it.get("isdir", 0)):
                        stack.append((it["path"], r))
                    else:
                        out.append({"fs_id": int(it["fs_id"]), "name": name, "rel": r,
                                    "size": int(it.get("size") or 0)})
                        if len(out) > MAX_FILES:
                            raise TooManyFiles()
                if len(items) < 100:
                    break
                page += 1
        out.sort(key=lambda f: f["rel"])
        return tops, out

    async def _own_list(self, ctx: ResolverContext, path: str, bdstoken: str,
                        cookies: dict[str, str]) -> set[str] | None:
        """Names in a folder of the user's disk, or None when it does not exist
        (hxz393 network.py get_dir_list: any errno means missing)."""
        q = urlencode({"dir": path, "order": "time", "desc": 1, "showempty": 0, "web": 1, "page": 1,
                       "num": 1000, "bdstoken": bdstoken})
        body = await self._json(ctx, "GET", f"{PAN}/api/list?{q}", cookies, where="looking at your disk")
        errno = int(body.get("errno", 0))
        if errno in (-6, -4, 31045):
            raise errno_error(errno, "mkdir")
        if errno != 0:
            return None
        return {str(it.get("server_filename") or "") for it in body.get("list") or []}

    async def _mkdir(self, ctx: ResolverContext, path: str, bdstoken: str, cookies: dict[str, str]) -> str:
        """hxz393 network.py create_dir: POST /api/create?a=commit with isdir=1."""
        body = await self._json(ctx, "POST", f"{PAN}/api/create?{urlencode({'a': 'commit', 'bdstoken': bdstoken})}",
                                cookies, data={"path": path, "isdir": "1", "block_list": "[]"},
                                where="making the target folder in your disk")
        errno = int(body.get("errno", 0))
        if errno == -8:                  # it exists already
            return path
        if errno != 0:
            raise errno_error(errno, "mkdir")
        return str(body.get("path") or path)

    async def _target_folder(self, ctx: ResolverContext, surl: str, bdstoken: str,
                             cookies: dict[str, str]) -> str:
        target = f"{SAVE_ROOT}/{surl}"
        if await self._own_list(ctx, target, bdstoken, cookies) is not None:
            return target
        root = SAVE_ROOT
        if await self._own_list(ctx, SAVE_ROOT, bdstoken, cookies) is None:
            root = await self._mkdir(ctx, SAVE_ROOT, bdstoken, cookies)
        return await self._mkdir(ctx, f"{root}/{surl}", bdstoken, cookies)

    async def _transfer(self, ctx: ResolverContext, shareid: Any, share_uk: Any, bdstoken: str,
                        cookies: dict[str, str], tops: list[tuple[int, str]], target: str,
                        share_url: str) -> None:
        """Save the share's top-level items into ``target`` (folders keep their structure).
        Items already there are left alone: a name clash (errno 12 with info errno -30,
        or errno 4: BaiduPCS-Go transfer.go) means the copy is there."""
        present = await self._own_list(ctx, target, bdstoken, cookies) or set()
        fids = [fid for fid, name in tops if name not in present]
        if not fids:
            return
        q = urlencode({"shareid": shareid, "from": share_uk, "bdstoken": bdstoken,
                       "channel": "chunlei", "web": 1, "app_id": APP_ID, "clienttype": 0})
        body = await self._json(
            ctx, "POST", f"{PAN}/share/transfer?{q}", cookies,
            data={"fsidlist": json.dumps(fids), "path": target},
            referer=share_url, where="saving the share to your disk")
        errno = int(body.get("errno", 0))
        info = [x for x in body.get("info") or [] if isinstance(x, dict)]
        item_errnos = {int(x.get("errno") or 0) for x in info}
        if errno == 12:
            count, limit = body.get("target_file_nums"), body.get("target_file_nums_limit")
            if isinstance(count, int) and isinstance(limit, int) and count > limit:
                raise TooManyFiles(count, limit)
            if info and item_errnos <= {0, -30}:
                return                                   # a name clash: the copy is there
            raise ResolveError("Baidu refused to save the share (error 12: too many files, or a "
                               f"name clash in {target}); free that folder or save fewer files")
        if errno == 4:
            return
        if errno != 0:
            raise errno_error(errno, "transfer")
        bad = item_errnos - {0, -30}                     # BaiduPCS-Py: per-item errno
        if bad:
            raise errno_error(bad.pop(), "transfer")

    async def _uid(self, ctx: ResolverContext, cookies: dict[str, str]) -> str:
        bduss = cookies["BDUSS"]
        key = hashlib.sha256(bduss.encode()).hexdigest()
        if key in _UIDS:
            return _UIDS[key]
        form, headers = tieba_form(bduss, ctx.clock())
        body = await self._json(ctx, "POST", f"{TIEBA}/c/s/login", {}, data=form, headers=headers,
                                where="reading your account id")
        uid = str(((body.get("user") or {}).get("id")) or "")
        if str(body.get("error_code", "0")) != "0" or not uid.isdigit():
            raise NeedLogin("pan.baidu.com", LOGIN_COOKIES,
                            "Baidu did not accept your BDUSS cookie (account check, error "
                            f"{body.get('error_code')})" + _LOGIN_HINT)
        _UIDS[key] = uid
        return uid

    async def _locate(self, ctx: ResolverContext, cookies: dict[str, str], uid: str, path: str) -> str:
        """A download URL for a file in the user's own disk (locatedownload)."""
        q = urlencode(locate_query(cookies["BDUSS"], uid, path, ctx.clock()))
        login = {k: v for k, v in cookies.items() if k in LOGIN_COOKIES}
        body = await self._json(ctx, "POST", f"{PCS}/rest/2.0/pcs/file?{q}", login,
                                where="asking for the download link")
        if body.get("error_code"):
            raise errno_error(int(body["error_code"]), "locate")
        for u in body.get("urls") or []:
            url = str(u.get("url") or "") if isinstance(u, dict) else ""
            host = urlsplit(url).hostname or ""
            if url and not int(u.get("encrypt") or 0) and not host.startswith("nb.cache"):
                return url
        if "issuecdn" in str(body.get("host") or ""):
            raise NotFound("Baidu blocked this file (flagged by its content check): it cannot be "
                           "downloaded")
        raise ResolveError(f"Baidu gave no download link for {path.rsplit('/', 1)[-1]}; try again later")

    async def refresh(self, resolved: Resolved, ctx: ResolverContext) -> list[Mirror]:
        """A fresh link for the copy already in the user's disk (no new transfer)."""
        own_path = resolved.ref.get("own_path")
        if not own_path:
            return await super().refresh(resolved, ctx)
        cookies, conns = self._account(ctx)
        try:
            url = await self._locate(ctx, cookies, await self._uid(ctx, cookies), str(own_path))
        except NotFound:
            return await super().refresh(resolved, ctx)
        return [self._mirror(ctx, url, cookies, conns, ctx.clock())]
