"""Local imitations of 123pan, Aliyun Drive, Tianyi Cloud and UC Drive shares.

Each route follows a maintained open-source client; the comment on each route
names the repository and file the request and answer shapes were taken from.
Where those clients do not show an answer (the exact error code of a wrong
extraction code, say), the mock's answer is our guess and docs/shares.md says so.
Every mock records the requests it got (path, headers) so tests can check which
login went where."""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
import zlib
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from share_mocks import ThreadedApp, cookies_of, serve_bytes

SIGN_TABLE = "adefghlmyijnopkqrstubcvwsz"


def _tree(files: dict[str, bytes]) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Entries (dirs and files) with ids and parent ids for a {path: data} share."""
    entries: list[dict[str, Any]] = []
    ids: dict[str, str] = {"": "0"}
    n = 100
    for path, data in files.items():
        parts = path.split("/")
        for i in range(1, len(parts)):
            d = "/".join(parts[:i])
            if d not in ids:
                n += 1
                ids[d] = str(n)
                entries.append({"id": str(n), "parent": ids["/".join(parts[:i - 1])], "name": parts[i - 1],
                                "dir": True, "path": d})
        n += 1
        entries.append({"id": str(n), "parent": ids["/".join(parts[:-1])], "name": parts[-1], "dir": False,
                        "path": path, "data": data, "md5": hashlib.md5(data).hexdigest()})
    return entries, ids


# -------------------------------------------------------------------- 123pan

@dataclass
class Share123:
    key: str
    pwd: str
    entries: list[dict[str, Any]]
    state: str = "ok"                 # ok | expired | gone
    login_required: bool = False      # the download-info call wants a login
    traffic_out: bool = False


class Pan123Mock(ThreadedApp):
    """www.123pan.com share API, the download-v2 redirector and the CDN (one app)."""

    TOKEN = "eyJhbGciOiJIUzI1NiJ9.mock123." + "T" * 24

    def __init__(self) -> None:
        super().__init__()
        self.shares: dict[str, Share123] = {}
        self.redirect_style = "302"       # or "json": data.redirect_url
        self.ttl = 900
        self.bad_signatures = 0
        self.issued: list[str] = []

    def host_map(self) -> dict[str, str]:
        return {h: self.base for h in ("www.123pan.com", "download.123pan.cn", "cdn-hz.123pan.cn")}

    def add_share(self, key: str, pwd: str, files: dict[str, bytes], **kw) -> Share123:
        entries, _ = _tree(files)
        s = Share123(key, pwd, entries, **kw)
        self.shares[key] = s
        return s

    def routes(self, app):
        # OpenList drivers/123_share/util.go (FileList = MainApi + "/share/get", getFiles)
        app.router.add_get("/b/api/share/get", self.share_get)
        # OpenList drivers/123_share/driver.go (Link: DownloadInfo POST, data.DownloadURL)
        app.router.add_post("/b/api/share/download/info", self.download_info)
        # OpenList drivers/123_share/driver.go (Link: base64 "params" URL, 302 Location or
        # data.redirect_url); qaiu/netdisk-fast-download parser/.../impl/YeTool.java (down)
        app.router.add_get("/a100/redirect", self.redirector)
        # the CDN the redirect points at; auth_key = "<expiry>-<rand>-<uid>-<md5>" as in
        # OpenList drivers/123_link/util.go (SignURL)
        app.router.add_get("/cdn/{key}/{fid}/{name}", self.cdn)

    def _signed(self, request) -> bool:
        # OpenList drivers/123/util.go (signPath / GetApi): "<timeSign>=<ts>-<rand>-<crc>"
        for k, v in request.query.items():
            if not k.isdigit():
                continue
            ts, _, rest = v.partition("-")
            rnd, _, crc = rest.partition("-")
            if not (ts.isdigit() and rnd.isdigit() and crc.isdigit()):
                continue
            for minute_off in (0, -60, 60):
                minute = time.strftime("%Y%m%d%H%M", time.gmtime(int(ts) + minute_off + 8 * 3600))
                tsign = str(zlib.crc32("".join(SIGN_TABLE[int(c)] for c in minute).encode()))
                data = "|".join((ts, rnd, request.path, "web", "3", tsign))
                if tsign == k and str(zlib.crc32(data.encode())) == crc:
                    return abs(time.time() - int(ts)) < 600
        self.bad_signatures += 1
        return False

    @staticmethod
    def err(code: int, message: str) -> web.Response:
        return web.json_response({"code": code, "message": message, "data": None})

    def _check(self, request, key: str, pwd: str) -> tuple[Share123 | None, web.Response | None]:
        if not self._signed(request) or request.headers.get("platform") != "web":
            return None, self.err(403, "签名错误")
        s = self.shares.get(key)
        if s is None or s.state == "gone":
            return None, self.err(5113, "分享页面不存在")
        if s.pwd and pwd != s.pwd:
            return None, self.err(5103, "分享提取码错误")
        return s, None

    async def share_get(self, request):
        q = request.query
        s, bad = self._check(request, q.get("shareKey", ""), q.get("SharePwd", ""))
        if bad:
            return bad
        if s.state == "expired":
            # the listing says "Expired" (a maintained Rust port of the Android client reads
            # data.Expired the same way)
            return web.json_response({"code": 0, "message": "ok",
                                      "data": {"InfoList": [], "Next": "-1", "Expired": True}})
        parent = q.get("parentFileId", "0")
        items = [{"FileId": int(e["id"]), "FileName": e["name"], "Type": 1 if e["dir"] else 0,
                  "Size": 0 if e["dir"] else len(e["data"]), "Etag": "" if e["dir"] else e["md5"],
                  "S3KeyFlag": "" if e["dir"] else f"1815{e['id']}-0", "Status": 0,
                  "ParentFileId": int(parent)}
                 for e in s.entries if e["parent"] == parent]
        page, size = int(q.get("Page", "1")), int(q.get("limit", "100"))
        chunk = items[(page - 1) * size: page * size]
        nxt = "-1" if page * size >= len(items) else str(page)
        return web.json_response({"code": 0, "message": "ok", "data": {"InfoList": chunk, "Next": nxt}})

    async def download_info(self, request):
        body = await request.json()
        s, bad = self._check(request, body.get("shareKey", ""), body.get("SharePwd", ""))
        if bad:
            return bad
        if s.login_required and request.headers.get("Authorization") != f"Bearer {self.TOKEN}":
            return self.err(401, "请登录后下载")
        if s.traffic_out:
            return self.err(5112, "分享者流量不足")
        e = next((x for x in s.entries if not x["dir"] and int(x["id"]) == int(body.get("fileId", -1))), None)
        if e is None or body.get("etag") != e["md5"] or int(body.get("size", -1)) != len(e["data"]):
            return self.err(400, "参数错误")
        inner = f"https://download.123pan.cn/a100/redirect?fid={e['id']}&key={s.key}"
        packed = base64.b64encode(inner.encode()).decode()
        return web.json_response({"code": 0, "message": "ok", "data": {
            "DownloadURL": f"https://download.123pan.cn/download-v2/?params={packed}&is_s3=0"}})

    async def redirector(self, request):
        if request.headers.get("Referer", "").rstrip("/") != "https://www.123pan.com":
            return web.json_response({"code": 403, "message": "referer"}, status=403)
        s = self.shares[request.query["key"]]
        e = next(x for x in s.entries if x["id"] == request.query["fid"])
        auth = f"{int(time.time()) + self.ttl}-{secrets.randbelow(10**6)}-0-{secrets.token_hex(16)}"
        self.issued.append(auth)
        target = f"https://cdn-hz.123pan.cn/cdn/{s.key}/{e['id']}/{e['name']}?auth_key={auth}"
        if self.redirect_style == "json":
            return web.json_response({"code": 0, "message": "ok", "data": {"redirect_url": target}})
        return web.Response(status=302, headers={"Location": target})

    async def cdn(self, request):
        auth = request.query.get("auth_key", "")
        if auth not in self.issued:
            return web.Response(status=403, text="auth failed")
        if int(auth.split("-", 1)[0]) < time.time():
            return web.Response(status=403, text="expired")
        for s in self.shares.values():
            for e in s.entries:
                if e["id"] == request.match_info["fid"] and not e["dir"]:
                    return serve_bytes(request, e["data"])
        return web.Response(status=404)



# -------------------------------------------------------------------- Aliyun Drive

OSS_EXPIRED = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>'
               b"<Message>Request has expired.</Message><RequestId>64E2F7A1</RequestId>"
               b"<HostId>cn-beijing-data.aliyundrive.net</HostId><EC>0002-00000069</EC></Error>")


@dataclass
class AliShare:
    share_id: str
    pwd: str
    entries: list[dict[str, Any]]
    state: str = "ok"          # ok | expired | cancelled | gone


class AliyunMock(ThreadedApp):
    """api.alipan.com, auth.alipan.com and the OSS download host (one app)."""

    def __init__(self) -> None:
        super().__init__()
        self.shares: dict[str, AliShare] = {}
        self.refresh_token = "rt-" + secrets.token_hex(16)
        self.access: dict[str, float] = {}          # access token -> expiry (real time)
        self.access_ttl = 7200
        self.share_tokens: set[str] = set()
        self.url_ttl = 600
        self.expire_next_url = 0                     # next N download URLs are already expired
        self.issued: list[str] = []
        self.exchanges = 0
        self.page_size = 100

    def host_map(self) -> dict[str, str]:
        return {h: self.base for h in ("api.alipan.com", "auth.alipan.com",
                                       "cn-beijing-data.aliyundrive.net")}

    def add_share(self, share_id: str, pwd: str, files: dict[str, bytes], **kw) -> AliShare:
        entries, _ = _tree(files)
        for e in entries:
            e["id"] = f"63{len(self.shares):03d}{int(e['id']):06d}ab"
        ids = {e["path"]: e["id"] for e in entries}
        for e in entries:
            parent = e["path"].rsplit("/", 1)[0] if "/" in e["path"] else ""
            e["parent"] = ids.get(parent, "root")
        s = AliShare(share_id, pwd, entries, **kw)
        self.shares[share_id] = s
        return s

    def expire_access_tokens(self) -> None:
        self.access = {k: 0.0 for k in self.access}

    def routes(self, app):
        # OpenList drivers/aliyundrive_share/util.go (refreshToken: auth.alipan.com/v2/account/token);
        # tickstep/aliyunpan-api aliyunpan/apierror/api_error.go (InvalidParameter.RefreshToken)
        app.router.add_post("/v2/account/token", self.token)
        # OpenList drivers/aliyundrive_share/util.go (getShareToken); error codes from
        # gaozhangmin/aliyunpan src/aliapi/share.ts (ApiGetShareToken)
        app.router.add_post("/v2/share_link/get_share_token", self.share_token)
        # OpenList drivers/aliyundrive_share/util.go (getFiles: adrive/v3/file/list + x-share-token)
        app.router.add_post("/adrive/v3/file/list", self.file_list)
        # OpenList drivers/aliyundrive_share/driver.go (Link: get_share_link_download_url,
        # Referer https://www.alipan.com/ on the download)
        app.router.add_post("/v2/file/get_share_link_download_url", self.download_url)
        # the OSS host: x-oss-expires, 403 "Request has expired." (PROTOCOLS.md, Aliyun OSS)
        app.router.add_get("/{drive}/{file_id}/{name}", self.oss)

    @staticmethod
    def err(status: int, code: str, message: str = "") -> web.Response:
        return web.json_response({"code": code, "message": message or code}, status=status)

    async def token(self, request):
        body = await request.json()
        if body.get("grant_type") != "refresh_token" or body.get("refresh_token") != self.refresh_token:
            return self.err(400, "InvalidParameter.RefreshToken", "refresh_token is not valid")
        self.exchanges += 1
        access = "at-" + secrets.token_hex(20)
        self.access[access] = time.time() + self.access_ttl
        self.refresh_token = "rt-" + secrets.token_hex(16)       # rotated on every exchange
        return web.json_response({"access_token": access, "refresh_token": self.refresh_token,
                                  "expires_in": self.access_ttl, "token_type": "Bearer",
                                  "user_id": "u1", "default_drive_id": "9001"})

    async def share_token(self, request):
        body = await request.json()
        s = self.shares.get(body.get("share_id", ""))
        if s is None or s.state == "gone":
            return self.err(404, "NotFound.ShareLink", "not found share_link")
        if s.state == "expired":
            return self.err(403, "ShareLink.Expired", "share_link is expired")
        if s.state == "cancelled":
            return self.err(403, "ShareLink.Cancelled", "share_link is cancelled")
        if s.pwd and body.get("share_pwd") != s.pwd:
            return self.err(400, "InvalidResource.SharePwd", "share_pwd is not valid")
        tok = "st-" + secrets.token_hex(16)
        self.share_tokens.add(tok)
        return web.json_response({"share_token": tok, "expires_in": 7200})

    async def file_list(self, request):
        body = await request.json()
        if request.headers.get("x-share-token") not in self.share_tokens:
            return self.err(401, "ShareLinkTokenInvalid", "share token is invalid")
        s = self.shares[body["share_id"]]
        items = [{"drive_id": "9001", "domain_id": "bj29", "file_id": e["id"], "share_id": s.share_id,
                  "name": e["name"], "type": "folder" if e["dir"] else "file",
                  "parent_file_id": e["parent"], "size": 0 if e["dir"] else len(e["data"])}
                 for e in s.entries if e["parent"] == body.get("parent_file_id")]
        start = int(body.get("marker") or 0)
        chunk = items[start:start + self.page_size]
        nxt = str(start + self.page_size) if start + self.page_size < len(items) else ""
        return web.json_response({"items": chunk, "next_marker": nxt, "punished_file_count": 0})

    async def download_url(self, request):
        body = await request.json()
        auth = request.headers.get("Authorization", "")
        exp = self.access.get(auth[7:]) if auth.startswith("Bearer ") else None
        if exp is None or exp < time.time():
            return self.err(401, "AccessTokenInvalid", "AccessToken is invalid. ErrValidateTokenFailed")
        if request.headers.get("x-share-token") not in self.share_tokens:
            return self.err(401, "ShareLinkTokenInvalid", "share token is invalid")
        s = self.shares.get(body.get("share_id", ""))
        e = next((x for x in (s.entries if s else []) if x["id"] == body.get("file_id") and not x["dir"]), None)
        if e is None or body.get("drive_id") != "9001":
            return self.err(404, "NotFound.File", "file not found")
        expires = int(time.time()) + self.url_ttl
        if self.expire_next_url > 0:
            self.expire_next_url -= 1
            expires = int(time.time()) - 5
        sig = secrets.token_urlsafe(18)
        self.issued.append(sig)
        q = urlencode({"di": "bj29", "dr": "9001", "f": e["id"], "security-token": "CAIS" + secrets.token_hex(8),
                       "u": "u1", "x-oss-access-key-id": "STS.mock", "x-oss-additional-headers": "referer",
                       "x-oss-expires": str(expires), "x-oss-signature": sig,
                       "x-oss-signature-version": "OSS2"})
        url = f"https://cn-beijing-data.aliyundrive.net/9001/{e['id']}/{e['name']}?{q}"
        return web.json_response({"domain_id": "bj29", "download_url": url, "url": url,
                                  "expiration": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(expires))})

    async def oss(self, request):
        q = request.query
        if q.get("x-oss-signature") not in self.issued:
            return web.Response(status=403, content_type="application/xml",
                                body=b"<Error><Code>SignatureDoesNotMatch</Code></Error>")
        if int(q.get("x-oss-expires", "0")) < time.time():
            return web.Response(status=403, content_type="application/xml", body=OSS_EXPIRED)
        if request.headers.get("Referer") != "https://www.alipan.com/":
            return web.Response(status=403, content_type="application/xml",
                                body=b"<Error><Code>AccessDenied</Code><Message>You are denied by bucket referer policy.</Message></Error>")
        for s in self.shares.values():
            for e in s.entries:
                if e["id"] == request.match_info["file_id"] and not e["dir"]:
                    return serve_bytes(request, e["data"])
        return web.Response(status=404)


# -------------------------------------------------------------------- Tianyi Cloud

@dataclass
class TianyiShare:
    code: str
    pwd: str
    entries: list[dict[str, Any]]
    share_id: int
    state: str = "ok"            # ok | expired | gone | audit


class TianyiMock(ThreadedApp):
    """cloud.189.cn open share API and its download host (one app)."""

    LOGIN = "cookie-login-user-" + "C" * 32

    def __init__(self) -> None:
        super().__init__()
        self.shares: dict[str, TianyiShare] = {}
        self.page_size_seen: list[str] = []

    def host_map(self) -> dict[str, str]:
        return {h: self.base for h in ("cloud.189.cn", "download.cloud.189.cn")}

    def add_share(self, code: str, pwd: str, files: dict[str, bytes], **kw) -> TianyiShare:
        entries, _ = _tree(files)
        sid = 10_000 + len(self.shares)
        for e in entries:
            e["id"] = str(sid * 1000 + int(e["id"]))
            e["parent"] = str(sid * 1000 + int(e["parent"])) if e["parent"] != "0" else "0"
        s = TianyiShare(code, pwd, entries, sid, **kw)
        self.shares[code] = s
        return s

    def routes(self, app):
        # WhiteSevs/TamperMonkeyScript 网盘链接识别 NetDiskParse_Tianyiyun (getShareInfoByCodeV2);
        # 1307super/cloud189-auto-save (getShareInfo: GET …/getShareInfoByCodeV2.action)
        app.router.add_get("/api/open/share/getShareInfoByCodeV2.action", self.info)
        # WhiteSevs/TamperMonkeyScript NetDiskParse_Tianyiyun (getShareId: checkAccessCode.action)
        app.router.add_get("/api/open/share/checkAccessCode.action", self.check)
        # WhiteSevs/TamperMonkeyScript NetDiskParse_Tianyiyun (listShareDir: fileListAO)
        app.router.add_get("/api/open/share/listShareDir.action", self.list_dir)
        # WhiteSevs/TamperMonkeyScript NetDiskParse_Tianyiyun (getDownloadUrl: InvalidSessionKey)
        app.router.add_get("/api/open/file/getFileDownloadUrl.action", self.download_url)
        app.router.add_get("/file/downloadFile.action", self.download)

    @staticmethod
    def res(code, message="", **kw) -> web.Response:
        return web.json_response({"res_code": code, "res_message": message or str(code), **kw})

    def _api_ok(self, request) -> bool:
        return (request.headers.get("Sign-Type") == "1"
                and "application/json" in request.headers.get("Accept", ""))

    async def info(self, request):
        if not self._api_ok(request):
            return self.res("ErrorAccept", "bad request")
        s = self.shares.get(request.query.get("shareCode", ""))
        if s is None or s.state == "gone":
            return self.res("ShareNotFound", "抱歉，您访问的页面地址有误，或者该页面不存在")
        if s.state == "expired":
            return self.res("ShareExpiredError", "分享已过期")
        if s.state == "audit":
            return self.res("ShareAuditNotPass", "抱歉，该内容审核不通过")
        top = [e for e in s.entries if e["parent"] == "0"]
        folder = len(top) != 1 or top[0]["dir"]
        root = top[0] if len(top) == 1 else None
        info = {"fileId": root["id"] if root else str(s.share_id * 1000), "fileName": root["name"] if root else "share",
                "isFolder": folder, "shareMode": 1 if s.pwd else 2, "needAccessCode": 1 if s.pwd else 0}
        if root and not root["dir"]:
            info.update(fileSize=len(root["data"]), md5=root["md5"].upper())
        if not s.pwd:
            info["shareId"] = s.share_id        # public shares name their id at once
        return self.res(0, "成功", **info)

    async def check(self, request):
        s = self.shares.get(request.query.get("shareCode", ""))
        if s is None:
            return self.res("ShareNotFound")
        if request.query.get("accessCode") != s.pwd:
            # the clients only look for a missing shareId; this code is our guess
            return self.res("ShareAccessCodeError", "访问码错误")
        return self.res(0, "成功", shareId=s.share_id)

    def _share_by_id(self, sid) -> TianyiShare | None:
        return next((s for s in self.shares.values() if str(s.share_id) == str(sid)), None)

    async def list_dir(self, request):
        q = request.query
        s = self._share_by_id(q.get("shareId"))
        if s is None or (s.pwd and q.get("accessCode") != s.pwd):
            return self.res("ShareNotFound")
        self.page_size_seen.append(q.get("pageSize", ""))
        fid = q.get("fileId")
        parent = "0" if fid == str(s.share_id * 1000) else fid
        kids = [e for e in s.entries if e["parent"] == parent]
        size = int(q.get("pageSize", "60"))
        page = kids[(int(q.get("pageNum", "1")) - 1) * size: int(q.get("pageNum", "1")) * size]
        return self.res(0, "成功", fileListAO={
            "count": len(kids),
            "fileList": [{"id": e["id"], "name": e["name"], "size": len(e["data"]), "md5": e["md5"].upper()}
                         for e in page if not e["dir"]],
            "folderList": [{"id": e["id"], "name": e["name"]} for e in page if e["dir"]]})

    async def download_url(self, request):
        if cookies_of(request).get("COOKIE_LOGIN_USER") != self.LOGIN:
            return web.json_response({"errorCode": "InvalidSessionKey", "errorMsg": "user not login"},
                                     status=400)
        s = self._share_by_id(request.query.get("shareId"))
        e = next((x for x in (s.entries if s else []) if x["id"] == request.query.get("fileId")), None)
        if e is None or e["dir"]:
            return self.res("FileNotFound")
        token = secrets.token_hex(8)
        return self.res(0, "成功", fileDownloadUrl=(
            f"https://download.cloud.189.cn/file/downloadFile.action?dt=51&expired={int(time.time() * 1000) + 3600000}"
            f"&amp;sk={token}&amp;ufi={e['id']}&amp;zyc=5"))

    async def download(self, request):
        if cookies_of(request).get("COOKIE_LOGIN_USER") != self.LOGIN:
            return web.Response(status=403, text="forbidden")
        fid = request.query.get("ufi")
        for s in self.shares.values():
            for e in s.entries:
                if e["id"] == fid and not e["dir"]:
                    return serve_bytes(request, e["data"])
        return web.Response(status=404)


# -------------------------------------------------------------------- UC Drive

class UCMock(ThreadedApp):
    """pc-api.uc.cn share API and the download host (one app)."""

    PUS = "uc-pus-" + "U" * 36

    def __init__(self) -> None:
        super().__init__()
        self.shares: dict[str, dict[str, Any]] = {}
        self.stokens: dict[str, str] = {}
        self.puus = "uc-puus-0"
        self.rotations = 0

    def host_map(self) -> dict[str, str]:
        return {h: self.base for h in ("pc-api.uc.cn", "dl-uc.pds.uc.cn")}

    def add_share(self, pwd_id: str, passcode: str, files: dict[str, bytes], state: str = "ok"):
        entries, _ = _tree(files)
        for e in entries:
            e["id"] = f"{pwd_id}{e['id']}"
            e["parent"] = f"{pwd_id}{e['parent']}" if e["parent"] != "0" else "0"
        self.shares[pwd_id] = {"passcode": passcode, "entries": entries, "state": state}

    def routes(self, app):
        # qaiu/netdisk-fast-download parser/src/main/java/cn/qaiu/parser/impl/UcTool.java (FIRST_REQUEST_URL)
        app.router.add_post("/1/clouddrive/share/sharepage/token", self.token)
        # qaiu/netdisk-fast-download …/impl/UcTool.java (SECOND_REQUEST_URL, parseDir pdir_fid)
        app.router.add_get("/1/clouddrive/transfer_share/detail", self.detail)
        # qaiu/netdisk-fast-download …/impl/UcTool.java (THIRD_REQUEST_URL: fids + fids_token)
        app.router.add_post("/1/clouddrive/file/download", self.download)
        # downloads need the cookie (OpenList drivers/quark_uc/meta.go: UC is OnlyProxy)
        app.router.add_get("/dl/{fid}/{name}", self.file)

    def _logged_in(self, request) -> bool:
        return cookies_of(request).get("__pus") == self.PUS and request.query.get("pr") == "UCBrowser"

    @staticmethod
    def err(code: int, message: str, status: int = 200) -> web.Response:
        return web.json_response({"status": status if status != 200 else 400, "code": code, "message": message},
                                 status=status)

    def _rotate(self, resp: web.Response) -> web.Response:
        self.rotations += 1
        self.puus = f"uc-puus-{self.rotations}"
        resp.set_cookie("__puus", self.puus)
        return resp

    async def token(self, request):
        if not self._logged_in(request):
            return self.err(31001, "require login [guest]", 401)
        body = await request.json()
        s = self.shares.get(body.get("pwd_id", ""))
        if s is None or s["state"] == "gone":
            return self.err(41006, "分享不存在")
        if s["state"] == "expired":
            return self.err(41004, "分享已过期")
        if s["passcode"] and body.get("passcode") != s["passcode"]:
            return self.err(41008, "提取码错误")
        if body.get("share_for_transfer") is not True:
            return self.err(400, "bad request")
        tok = secrets.token_hex(12)
        self.stokens[body["pwd_id"]] = tok
        return self._rotate(web.json_response({"status": 200, "code": 0, "message": "ok",
                                               "data": {"stoken": tok}}))

    async def detail(self, request):
        if not self._logged_in(request):
            return self.err(31001, "require login [guest]", 401)
        q = request.query
        s = self.shares.get(q.get("pwd_id", ""))
        if s is None or self.stokens.get(q["pwd_id"]) != q.get("stoken"):
            return self.err(14001, "非法token")
        kids = [e for e in s["entries"] if e["parent"] == q.get("pdir_fid", "0")]
        page, size = int(q.get("_page", "1")), int(q.get("_size", "50"))
        chunk = kids[(page - 1) * size: page * size]
        return web.json_response({"status": 200, "code": 0, "message": "ok", "data": {"list": [
            {"fid": e["id"], "file_name": e["name"], "file": not e["dir"], "dir": e["dir"],
             "size": 0 if e["dir"] else len(e["data"]), "share_fid_token": f"sft-{e['id']}"}
            for e in chunk]}, "metadata": {"_total": len(kids), "_page": page, "_size": size}})

    async def download(self, request):
        if not self._logged_in(request):
            return self.err(31001, "require login [guest]", 401)
        body = await request.json()
        s = self.shares.get(body.get("pwd_id", ""))
        if s is None or self.stokens.get(body["pwd_id"]) != body.get("stoken"):
            return self.err(14001, "非法token")
        out = []
        for fid, tok in zip(body.get("fids") or [], body.get("fids_token") or []):
            e = next((x for x in s["entries"] if x["id"] == fid and not x["dir"]), None)
            if e is None or tok != f"sft-{fid}":
                return self.err(41010, "文件不存在")
            out.append({"fid": fid, "file_name": e["name"], "size": len(e["data"]),
                        "download_url": f"https://dl-uc.pds.uc.cn/dl/{fid}/{e['name']}?auth=1"})
        return web.json_response({"status": 200, "code": 0, "message": "ok", "data": out})

    async def file(self, request):
        if cookies_of(request).get("__pus") != self.PUS:
            return web.Response(status=403, text="forbidden")
        for s in self.shares.values():
            for e in s["entries"]:
                if e["id"] == request.match_info["fid"] and not e["dir"]:
                    return serve_bytes(request, e["data"])
        return web.Response(status=404)
