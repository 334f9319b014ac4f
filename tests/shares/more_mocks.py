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
import json
import secrets
import time
import zlib
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

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
