"""Local imitations of the share hosts (PROTOCOLS.md), each on its own thread and
event loop so in-process tests, the engine and CLI subprocesses can all use them.

Every mock records the requests it got (path, headers) so tests can check which
cookies went where."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import time
from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import quote

from aiohttp import web
from servers import ServedApp


class ThreadedApp(ServedApp):
    """Run an aiohttp app (the routes ``routes(app)`` adds) on 127.0.0.1:<random port> in
    a background thread, recording every request."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []

    def routes(self, app: web.Application) -> None:
        raise NotImplementedError

    def make_app(self) -> web.Application:
        @web.middleware
        async def record(request: web.Request, handler):
            self.requests.append({"host": request.headers.get("Host", ""), "path": request.path,
                                  "query": request.query_string, "method": request.method,
                                  "headers": dict(request.headers)})
            return await handler(request)

        app = web.Application(middlewares=[record])
        self.routes(app)
        return app


def cookies_of(request: web.Request) -> dict[str, str]:
    c = SimpleCookie()
    try:
        c.load(request.headers.get("Cookie", ""))
    except Exception:
        return {}
    return {k: m.value for k, m in c.items()}


def serve_bytes(request: web.Request, data: bytes, name: str | None = None,
                extra: dict[str, str] | None = None) -> web.Response:
    """200 or 206 with Content-Range, like a CDN."""
    headers = {"Accept-Ranges": "bytes", "ETag": '"' + hashlib.md5(data).hexdigest() + '"'}
    if name:
        headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{name}"
    headers.update(extra or {})
    rng = request.headers.get("Range", "")
    m = re.match(r"bytes=(\d+)-(\d*)$", rng)
    if m:
        start = int(m.group(1))
        end = int(m.group(2)) if m.group(2) else len(data) - 1
        end = min(end, len(data) - 1)
        if start >= len(data):
            return web.Response(status=416, headers={"Content-Range": f"bytes */{len(data)}"})
        headers["Content-Range"] = f"bytes {start}-{end}/{len(data)}"
        return web.Response(status=206, body=data[start:end + 1], headers=headers,
                            content_type="application/octet-stream")
    return web.Response(body=data, headers=headers, content_type="application/octet-stream")


class CDN(ThreadedApp):
    """A plain file host reached as http://localhost:<port> (a different host
    from the 127.0.0.1 mocks) — where the share hosts redirect downloads."""

    def __init__(self) -> None:
        super().__init__()
        self.files: dict[str, bytes] = {}

    def routes(self, app):
        app.router.add_get("/{tail:.*}", self.get)

    def url(self, path: str) -> str:
        return f"http://localhost:{self.port}{path}"

    async def get(self, request):
        data = self.files.get(request.path)
        if data is None:
            return web.Response(status=404)
        return serve_bytes(request, data)


# -------------------------------------------------------------------- Baidu
#
# Imitates pan.baidu.com as these maintained clients talk to it (each route names its source):
#   BaiduPCS-Go  = qjfoidnh/BaiduPCS-Go (baidupcs/transfer.go, baidupcs/prepare.go,
#                  baidupcs/netdisksign/*.go, baidupcs/pcserror/*.go, PR #535)
#   BaiduPCS-Py  = PeterDing/BaiduPCS-Py (baidupcs_py/baidupcs/pcs.py)
#   hxz393      = hxz393/BaiduPanFilesTransfers (src/network.py, src/constants.py)
# Details no client shows (exact HTTP statuses of error answers, the shape of a locatedownload
# URL, which errno /api/list gives for a missing folder) are guesses and marked "guess".

LOCATE_SECRET = "ebrcUYiuxaZv2XGu7KIYKxUrqfnOfpDF"   # BaiduPCS-Go netdisksign/locatedownloadsign.go


def expected_rand(bduss: str, uid: str, t: str, devuid: str) -> str:
    """locatedownload's ``rand`` written from BaiduPCS-Py pcs.download_link (independently of
    the resolver): sha1(sha1hex(BDUSS) + uid + secret + time + devuid)."""
    enc = hashlib.sha1(bduss.encode()).hexdigest()
    return hashlib.sha1((enc + uid + LOCATE_SECRET + t + devuid).encode()).hexdigest()


def tieba_sign(form: dict[str, str]) -> str:
    """BaiduPCS-Go baidu-tools tieba client signature / BaiduPCS-Py pcs.user_info."""
    raw = "".join(f"{k}={form[k]}" for k in sorted(form) if k != "sign") + "tiebaclient!!!"
    return hashlib.md5(raw.encode()).hexdigest().upper()


@dataclass
class BaiduShare:
    surl: str
    pwd: str | None
    files: list[dict[str, Any]]            # {fs_id, path, isdir, size?, data?}
    state: str = "ok"                       # ok | expired | gone
    shareid: int = 0
    share_uk: int = 0


@dataclass
class BaiduKnobs:
    verify_errno: int | None = None         # e.g. -62 (captcha)
    list_errno: int | None = None           # e.g. 8001
    transfer_errno: int | None = None       # e.g. -10, 20, -7
    file_limit: int = 0                     # > 0: a transfer of more files answers errno 12 + the counts
    clash_style: str = "12"                 # name already in the folder: "12" (info[].errno -30) or "4"
    dlink_expired: int = 0                  # next N downloads answer 31360
    locate_blocked: bool = False            # locatedownload answers the "issuecdn" host, no urls
    page_style: str = "try"                 # try | mset | yundata | changed
    stale_listing: bool = False             # /api/list shows folders empty (another program saved meanwhile)


class BaiduMock(ThreadedApp):
    BDUSS = "bduss-" + "Q" * 40
    STOKEN = "stoken-" + "Z" * 30
    UID = "3127450019"                      # the account's Baidu uid, as the tieba login reports it

    def __init__(self, cdn: CDN) -> None:
        super().__init__()
        self.cdn = cdn
        self.shares: dict[str, BaiduShare] = {}
        self.knobs = BaiduKnobs()
        self.bdstoken = secrets.token_hex(16)
        self.randsk: dict[str, str] = {}
        self.own: dict[str, dict[str, Any]] = {"/": {"isdir": 1, "fs_id": 1}}   # the user's disk
        self._next_fs = 900_000
        self.signs: list[str] = []

    def host_map(self) -> dict[str, str]:
        return {h: self.base for h in ("pan.baidu.com", "pcs.baidu.com", "d.pcs.baidu.com",
                                       "tieba.baidu.com")}

    def add_share(self, surl: str, pwd: str | None, files: dict[str, bytes], **kw) -> BaiduShare:
        entries: list[dict[str, Any]] = []
        fs = 1000
        dirs: set[str] = set()
        for path, data in files.items():
            parts = path.split("/")
            for i in range(1, len(parts)):
                d = "/" + "/".join(parts[:i])
                if d not in dirs:
                    dirs.add(d)
                    fs += 1
                    entries.append({"fs_id": fs, "path": d, "isdir": 1})
            fs += 1
            entries.append({"fs_id": fs, "path": "/" + path, "isdir": 0, "size": len(data),
                            "data": data})
        s = BaiduShare(surl, pwd, entries, shareid=4242 + len(self.shares), share_uk=777, **kw)
        self.shares[surl] = s
        return s

    def own_file(self, path: str) -> dict[str, Any] | None:
        e = self.own.get(path)
        return e if e and not e["isdir"] else None

    def routes(self, app):
        app.router.add_get("/s/{surl}", self.page)
        app.router.add_get("/share/init", self.init_page)
        app.router.add_post("/share/verify", self.verify)
        app.router.add_get("/share/list", self.list)
        app.router.add_get("/api/list", self.api_list)
        app.router.add_post("/api/create", self.create)
        app.router.add_post("/share/transfer", self.transfer)
        app.router.add_post("/c/s/login", self.tieba_login)
        app.router.add_route("*", "/rest/2.0/pcs/file", self.locatedownload)
        app.router.add_get("/file/{md5}", self.dfile)

    def logged_in(self, request) -> bool:
        c = cookies_of(request)
        return c.get("BDUSS") == self.BDUSS and c.get("STOKEN") == self.STOKEN

    @staticmethod
    def err(errno: int, **kw) -> web.Response:
        return web.json_response({"errno": errno, "newno": "", "request_id": 1, **kw})

    # -- share page: BaiduPCS-Go transfer.go AccessSharePage (+ PR #535), BaiduPCS-Py shared_paths
    async def page(self, request):
        # PR #535: a browser User-Agent is sent to a login page without `loginstate`.
        if not request.headers.get("User-Agent", "").startswith("netdisk"):
            return web.Response(status=302, headers={"Location": "https://passport.baidu.com/v2/?login"})
        if not self.logged_in(request):
            return web.Response(status=302, headers={"Location": "https://passport.baidu.com/v2/?login"})
        surl = request.match_info["surl"][1:]
        s = self.shares.get(surl)
        if s is None or s.state == "gone":      # BaiduPCS-Go: "error-404" in the body
            return web.Response(text="<html><div class='error-404'>啊哦，你所访问的页面不存在了。</div></html>",
                                content_type="text/html")
        if s.state == "expired":                # BaiduPCS-Go: "platform-non-found" in the body
            return web.Response(text="<html><div id='share_nofound_des' class='platform-non-found'>"
                                     "啊哦，你来晚了，分享的文件已经被取消了</div></html>",
                                content_type="text/html")
        # BaiduPCS-Py shared_init_url / BaiduPCS-Go (second visit with Referer share/init):
        # a share behind a code sends the visitor to /share/init until BDCLND is set.
        if s.pwd and (surl not in self.randsk or cookies_of(request).get("BDCLND") != self.randsk[surl]):
            return web.Response(status=302, headers={"Location": f"/share/init?surl={surl}"})
        # field names and types: hxz393 utils.py regexes ("shareid":123,"  "share_uk":"456",")
        info = {"username": "zhilian_user", "loginstate": 1, "bdstoken": self.bdstoken, "uk": 123,
                "share_uk": str(s.share_uk), "shareid": s.shareid,
                "file_list": [{"fs_id": f["fs_id"], "server_filename": f["path"].rsplit("/", 1)[1],
                               "isdir": f["isdir"]} for f in s.files if f["path"].count("/") == 1]}
        blob = json.dumps(info, ensure_ascii=False)
        style = self.knobs.page_style
        if style == "try":          # PR #535 (2026): try { {...}; } catch(ex){...}
            script = f"try {{ {blob}; }} catch(ex){{ console.log(ex); }}"
        elif style == "mset":       # BaiduPCS-Py regex (?:yunData.setData|locals.mset)\((.+?)\);
            script = f"locals.mset({blob});"
        elif style == "yundata":    # PROTOCOLS.md: window.yunData={...}; locals.mset({...}) (guess: which
            # object carries the share context; here locals.mset holds only page state)
            script = (f"window.yunData = {blob};\n"
                      f"locals.mset({json.dumps({'loginstate': 1, 'sharepagetype': 'multi'})});")
        else:                       # a page layout none of the clients can read
            script = "window.__INITIAL_STATE__ = window.__bootstrap__ || null;"
        return web.Response(text=f"<html><head><script>{script}</script></head><body></body></html>",
                            content_type="text/html")

    async def init_page(self, request):
        return web.Response(text="<html>请输入提取码</html>", content_type="text/html")

    # -- hxz393 network.py verify_pass_code / BaiduPCS-Py pcs.access_shared
    async def verify(self, request):
        q = request.query
        form = await request.post()
        surl = q.get("surl", "")
        s = self.shares.get(surl)
        if not self.logged_in(request):
            return self.err(-6)
        if not q.get("t") or q.get("channel") != "chunlei" or surl not in request.headers.get("Referer", ""):
            return self.err(2)
        if self.knobs.verify_errno is not None:
            return self.err(self.knobs.verify_errno)
        if s is None or form.get("pwd") != s.pwd:
            return self.err(-9)                 # hxz393 constants: -9 提取码错误
        rk = secrets.token_urlsafe(24)
        self.randsk[surl] = rk
        resp = web.json_response({"errno": 0, "err_msg": "", "request_id": 1, "randsk": rk})
        resp.set_cookie("BDCLND", rk)
        return resp

    def _share_for(self, request) -> BaiduShare | None:
        q = request.query
        if q.get("shorturl"):
            return self.shares.get(q["shorturl"])
        return next((s for s in self.shares.values() if str(s.shareid) == q.get("shareid")
                     and str(s.share_uk) == q.get("uk")), None)

    # -- BaiduPCS-Go transfer.go ExtractShareInfo (root=1 + shorturl),
    #    BaiduPCS-Py pcs.list_shared_paths (dir + uk + shareid)
    async def list(self, request):
        if not self.logged_in(request):
            return self.err(-6)
        if self.knobs.list_errno is not None:
            return self.err(self.knobs.list_errno)
        s = self._share_for(request)
        if s is None:
            return self.err(105)
        if s.pwd and (s.surl not in self.randsk or cookies_of(request).get("BDCLND") != self.randsk[s.surl]):
            return self.err(-9)
        q = request.query
        parent = "" if q.get("root") == "1" else q.get("dir", "")
        items = [{"fs_id": f["fs_id"], "server_filename": f["path"].rsplit("/", 1)[1],
                  "isdir": f["isdir"], "size": f.get("size", 0), "path": f["path"]}
                 for f in s.files if f["path"].rsplit("/", 1)[0] == parent]
        page, num = int(q.get("page", "1")), int(q.get("num", "100"))
        return web.json_response({"errno": 0, "request_id": 1,
                                  "list": items[(page - 1) * num: page * num]})

    # -- hxz393 network.py get_dir_list (any errno = the folder does not exist; which one: guess)
    async def api_list(self, request):
        if not self.logged_in(request):
            return self.err(-6)
        d = request.query.get("dir", "/").rstrip("/") or "/"
        if d not in self.own or not self.own[d]["isdir"]:
            return self.err(-9)
        items = [{"fs_id": e["fs_id"], "server_filename": p.rsplit("/", 1)[1], "path": p,
                  "isdir": e["isdir"], "size": len(e.get("data") or b"")}
                 for p, e in self.own.items() if p != "/" and (p.rsplit("/", 1)[0] or "/") == d]
        if self.knobs.stale_listing:
            items = []
        return web.json_response({"errno": 0, "request_id": 1, "list": items})

    # -- hxz393 network.py create_dir: POST /api/create?a=commit, path + isdir=1 + block_list=[]
    async def create(self, request):
        if not self.logged_in(request):
            return self.err(-6)
        if request.query.get("a") != "commit" or request.query.get("bdstoken") != self.bdstoken:
            return self.err(2)
        form = await request.post()
        path = str(form.get("path", ""))
        name = path.rsplit("/", 1)[-1]
        if form.get("isdir") != "1" or not path.startswith("/"):
            return self.err(2)
        if any(c in name for c in '<>|*?\\:'):
            return self.err(-7)                 # hxz393 constants: -7 bad folder name
        parent = path.rsplit("/", 1)[0] or "/"
        if parent not in self.own:
            return self.err(2)                  # guess: the parent must exist
        if path in self.own:
            return self.err(-8)                 # hxz393 constants: -8 same name exists
        self._next_fs += 1
        self.own[path] = {"isdir": 1, "fs_id": self._next_fs}
        return web.json_response({"errno": 0, "fs_id": self._next_fs, "isdir": 1, "path": path,
                                  "ctime": int(time.time()), "mtime": int(time.time()), "status": 0,
                                  "name": path, "category": 6})

    # -- hxz393 network.py transfer_file, BaiduPCS-Go transfer.go GenerateRequestQuery,
    #    BaiduPCS-Py pcs.transfer_shared_paths ("Referer must be set to shared_url")
    async def transfer(self, request):
        if not self.logged_in(request):
            return self.err(-6)
        if self.knobs.transfer_errno is not None:
            return self.err(self.knobs.transfer_errno)
        q = request.query
        if q.get("bdstoken") != self.bdstoken or "pan.baidu.com" not in request.headers.get("Referer", ""):
            return self.err(-6)
        s = next((x for x in self.shares.values() if str(x.shareid) == q.get("shareid")
                  and str(x.share_uk) == q.get("from")), None)
        if s is None:
            return self.err(105)
        form = await request.post()
        ids = json.loads(form["fsidlist"])
        dest = str(form["path"]).rstrip("/") or "/"
        if dest not in self.own or not self.own[dest]["isdir"]:
            return self.err(2)                  # hxz393 constants: 2 目标目录不存在
        tops = [next(x for x in s.files if x["fs_id"] == fid) for fid in ids]
        subtree = [f for t in tops for f in s.files if f["path"] == t["path"]
                   or f["path"].startswith(t["path"] + "/")]
        n_files = sum(1 for f in subtree if not f["isdir"])
        if self.knobs.file_limit and n_files > self.knobs.file_limit:
            # BaiduPCS-Go: errno 12 with target_file_nums > target_file_nums_limit
            return web.json_response({"errno": 12, "task_id": 0, "info": [], "newno": "",
                                      "target_file_nums": n_files,
                                      "target_file_nums_limit": self.knobs.file_limit})
        clash = [t for t in tops if f"{dest.rstrip('/')}/{t['path'].rsplit('/', 1)[1]}" in self.own]
        if clash:
            if self.knobs.clash_style == "4":   # BaiduPCS-Go "文件重复", hxz393 "目录中存在同名文件"
                return self.err(4)
            # BaiduPCS-Go: errno 12 with info[0].errno -30 = a name clash
            return web.json_response({"errno": 12, "task_id": 0, "newno": "",
                                      "info": [{"path": t["path"], "fsid": t["fs_id"],
                                                "errno": -30 if t in clash else 0} for t in tops],
                                      "target_file_nums": n_files, "target_file_nums_limit": 500})
        info, lst = [], []
        for t in tops:
            base = t["path"].rsplit("/", 1)[0]
            for f in s.files:
                if f["path"] == t["path"] or f["path"].startswith(t["path"] + "/"):
                    to = f"{dest.rstrip('/')}{f['path'][len(base):]}"
                    self._next_fs += 1
                    self.own[to] = {"isdir": f["isdir"], "fs_id": self._next_fs, "data": f.get("data")}
            info.append({"errno": 0, "fsid": t["fs_id"], "path": t["path"]})
            lst.append({"from": t["path"], "to": f"{dest.rstrip('/')}/{t['path'].rsplit('/', 1)[1]}",
                        "from_fs_id": t["fs_id"], "to_fs_id": self._next_fs})
        return web.json_response({"errno": 0, "task_id": 0, "info": info, "extra": {"list": lst},
                                  "newno": "", "request_id": 1})

    # -- BaiduPCS-Py pcs.user_info / BaiduPCS-Go (baidu-tools) tieba.NewUserInfoByBDUSS
    async def tieba_login(self, request):
        form = dict(await request.post())
        if form.get("sign") != tieba_sign(form) or request.headers.get("User-Agent") != "bdtb for Android 6.9.2.1":
            return web.json_response({"error_code": "4", "error_msg": "sign error"})   # guess
        if form.get("bdusstoken") != self.BDUSS + "|null":
            return web.json_response({"error_code": "1", "error_msg": "用户未登录或登录失败"})   # guess
        return web.json_response({"error_code": "0", "user": {"id": self.UID, "name": "zhilian_user",
                                                               "portrait": "tb.1.x"},
                                  "anti": {"tbs": secrets.token_hex(8)}})

    # -- BaiduPCS-Go prepare.go PrepareLocateDownload (POST) / BaiduPCS-Py pcs.download_link (GET);
    #    errors as BaiduPCS-Go pcserror/pcserrorinfo.go (error_code / error_msg)
    async def locatedownload(self, request):
        q = request.query
        if q.get("method") != "locatedownload":
            return web.json_response({"error_code": 31023, "error_msg": "param error"}, status=400)
        if not request.headers.get("User-Agent", "").startswith("netdisk"):
            # BaiduPCS-Go download_task_unit.go: 31626 "user is not authorized" = wrong User-Agent
            return web.json_response({"error_code": 31626, "error_msg": "user is not authorized, hitcode:119"},
                                     status=403)
        if cookies_of(request).get("BDUSS") != self.BDUSS:
            return web.json_response({"error_code": 31045, "error_msg": "user not exists"}, status=403)
        devuid = hashlib.md5(self.BDUSS.encode()).hexdigest().upper() + "|0"
        ok = (q.get("app_id") == "250528" and q.get("ver") == "4.0" and q.get("clienttype") == "17"
              and q.get("devuid") == devuid and q.get("cuid") == devuid
              and q.get("rand") == expected_rand(self.BDUSS, self.UID, q.get("time", ""), devuid))
        if not ok:
            return web.json_response({"error_code": 31326, "error_msg": "user is not authorized"},
                                     status=403)   # guess: which code a bad rand gets
        path = q.get("path", "")
        e = self.own_file(path)
        if e is None:
            return web.json_response({"error_code": 31066, "error_msg": "file does not exist",
                                      "request_id": 1}, status=404)
        if self.knobs.locate_blocked:        # BaiduPCS-Py: host issuecdn.baidupcs.com = blocked file
            return web.json_response({"host": "issuecdn.baidupcs.com", "server_time": int(time.time()),
                                      "urls": []})
        sign = secrets.token_hex(20)
        self.signs.append(sign)
        md5 = hashlib.md5(e["data"]).hexdigest()
        url = (f"https://d.pcs.baidu.com/file/{md5}?fid={self.UID}-250528-{e['fs_id']}"
               f"&time={int(time.time())}&rt=pr&sign={sign}&expires=8h&chkv=3&chkbd=0&chkpc=&r=1"
               f"&path={quote(path)}")   # guess: the URL's exact parameters
        return web.json_response({"host": "d.pcs.baidu.com", "server_time": int(time.time()),
                                  "urls": [{"url": url, "rank": 1, "encrypt": 0}]})

    async def dfile(self, request):
        # BaiduPCS-Py file_stream: Cookie BDUSS + the netdisk User-Agent on the download
        if not request.headers.get("User-Agent", "").startswith("netdisk") or not self.logged_in(request):
            return web.json_response({"error_code": 31326, "error_msg": "user is not authorized"},
                                     status=403)
        if self.knobs.dlink_expired > 0:
            self.knobs.dlink_expired -= 1
            return web.json_response({"error_code": 31360, "error_msg": "url is expired"}, status=403)
        e = self.own_file(request.query.get("path", ""))
        if e is None or request.query.get("sign") not in self.signs:
            return web.json_response({"error_code": 31066, "error_msg": "file does not exist"}, status=404)
        cdn_path = f"/baidu/{e['fs_id']}/{request.query['path'].rsplit('/', 1)[1]}"
        self.cdn.files[cdn_path] = e["data"]
        return web.Response(status=302, headers={"Location": self.cdn.url(cdn_path)})

# -------------------------------------------------------------------- Quark
#
# Imitates drive(-pc).quark.cn as these maintained clients talk to it:
#   QuarkPanTool    = ihmily/QuarkPanTool quark.py (token, detail, task, file/download + 23018)
#   quark-auto-save = Cp0204/quark-auto-save quark_auto_save.py (detail paging, save, extract_url)
#   OpenList        = OpenListTeam/OpenList drivers/quark_uc (desktop UA, Referer pan.quark.cn)
# Answers use their fields (status, code, message, data, metadata._total/_size/_count).
# The error codes other than 23018 and 31001 are guesses.

QUARKPANTOOL_RETRY_UA = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
                         "quark-cloud-drive/2.5.56 Chrome/100.0.4896.160 Electron/18.3.5.12-a038f7b798 "
                         "Safari/537.36 Channel/pckk_other_ch")


class QuarkMock(ThreadedApp):
    PUS = "pus-" + "K" * 40

    def __init__(self) -> None:
        super().__init__()
        self.shares: dict[str, dict[str, Any]] = {}
        self.puus = "puus-initial-" + "A" * 20
        self.rotations = 0
        self.tasks: dict[str, dict[str, Any]] = {}
        self.own: dict[str, dict[str, Any]] = {}
        self.stokens: dict[str, str] = {}
        self.download_tokens: list[str] = []
        self.download_host = "dl-pc.pds.quark.cn"
        self.web_cap = 0            # > 0: files bigger than this get 23018 on a web download
        self.cap_everywhere = False  # 23018 even for QuarkPanTool's desktop retry
        self.saved_fids: list[list[str]] = []

    def host_map(self) -> dict[str, str]:
        return {h: self.base for h in ("drive-pc.quark.cn", "drive.quark.cn", "dl-pc.pds.quark.cn")}

    @staticmethod
    def fid(pwd_id: str, path: str) -> str:
        """32 hex characters, like the fids quark-auto-save's extract_url reads from links."""
        return hashlib.md5(f"{pwd_id}/{path}".encode()).hexdigest()

    def add_share(self, pwd_id: str, passcode: str, files: dict[str, bytes], state: str = "ok"):
        items: list[dict[str, Any]] = []
        n = 0
        dirs: dict[str, str] = {"": "0"}
        for path, data in files.items():
            parts = path.split("/")
            for i in range(1, len(parts)):
                d = "/".join(parts[:i])
                if d not in dirs:
                    dirs[d] = self.fid(pwd_id, d)
                    items.append({"fid": dirs[d], "pdir_fid": dirs["/".join(parts[:i - 1])],
                                  "file_name": parts[i - 1], "dir": True, "file_type": 0,
                                  "share_fid_token": f"dtok{len(dirs)}", "status": 1})
            n += 1
            items.append({"fid": self.fid(pwd_id, path), "pdir_fid": dirs["/".join(parts[:-1])],
                          "file_name": parts[-1], "dir": False, "file_type": 1, "size": len(data),
                          "share_fid_token": f"tok{n}", "status": 1, "data": data})
        self.shares[pwd_id] = {"passcode": passcode, "items": items, "state": state}

    def routes(self, app):
        p = "/1/clouddrive"
        app.router.add_post(p + "/share/sharepage/token", self.token)
        app.router.add_get(p + "/share/sharepage/detail", self.detail)
        app.router.add_post(p + "/share/sharepage/save", self.save)
        app.router.add_get(p + "/task", self.task)
        app.router.add_post(p + "/file/download", self.download)
        app.router.add_get("/dl/{fid}", self.file)

    @staticmethod
    def err(status: int, code: int, message: str) -> web.Response:
        return web.json_response({"status": status, "code": code, "message": message,
                                  "timestamp": int(time.time()), "data": None}, status=status)

    @staticmethod
    def ok(data: Any, **extra) -> web.Response:
        return web.json_response({"status": 200, "code": 0, "message": "ok",
                                  "timestamp": int(time.time()), "data": data, **extra})

    def check(self, request, need_puus: bool = False) -> web.Response | None:
        c = cookies_of(request)
        if c.get("__pus") != self.PUS:
            return self.err(401, 31001, "require login [guest]")
        if request.headers.get("Referer", "").rstrip("/") != "https://pan.quark.cn":
            return self.err(403, 10002, "referer not allowed")
        if need_puus and c.get("__puus") != self.puus:
            return self.err(401, 31001, "require login [puus]")
        if request.query.get("pr") != "ucpro":
            return self.err(400, 10001, "bad request")
        return None

    def rotate(self, resp: web.Response) -> web.Response:
        self.rotations += 1
        self.puus = f"puus-rotated-{self.rotations}-" + secrets.token_hex(12)
        resp.set_cookie("__puus", self.puus, domain=".quark.cn")
        return resp

    # -- QuarkPanTool get_stoken / quark-auto-save get_stoken
    async def token(self, request):
        if (bad := self.check(request)):
            return bad
        body = await request.json()
        s = self.shares.get(body.get("pwd_id"))
        if s is None or s["state"] == "gone":
            return self.err(404, 41006, "分享不存在")
        if s["state"] == "expired":
            return self.err(400, 41004, "分享已过期")
        if s["passcode"] and body.get("passcode") != s["passcode"]:
            return self.err(400, 41008, "提取码错误")
        st = secrets.token_urlsafe(16)
        self.stokens[body["pwd_id"]] = st
        return self.rotate(self.ok({"stoken": st, "title": "share", "share_type": 1}))

    # -- QuarkPanTool get_detail / quark-auto-save get_detail (pdir_fid, _page, _size=50)
    async def detail(self, request):
        if (bad := self.check(request)):
            return bad
        q = request.query
        s = self.shares.get(q.get("pwd_id", ""))
        if s is None or self.stokens.get(q["pwd_id"]) != q.get("stoken"):
            return self.err(400, 41010, "stoken invalid")
        lst = [{k: v for k, v in it.items() if k != "data"} for it in s["items"]
               if it["pdir_fid"] == q.get("pdir_fid")]
        page, size = int(q.get("_page", "1")), int(q.get("_size", "50"))
        chunk = lst[(page - 1) * size: page * size]
        return self.ok({"is_owner": 0, "list": chunk},
                       metadata={"_total": len(lst), "_size": size, "_page": page, "_count": len(chunk)})

    # -- quark-auto-save save_file (fid_list, fid_token_list, to_pdir_fid, pdir_fid "0", scene link)
    async def save(self, request):
        if (bad := self.check(request, need_puus=True)):
            return bad
        body = await request.json()
        s = self.shares[body["pwd_id"]]
        self.saved_fids.append(list(body["fid_list"]))
        saved = []
        for fid, tok in zip(body["fid_list"], body["fid_token_list"]):
            it = next(i for i in s["items"] if i["fid"] == fid)
            if it.get("share_fid_token") != tok:
                return self.err(400, 41013, "token mismatch")
            own = "own" + secrets.token_hex(6)
            self.own[own] = it
            saved.append(own)
        tid = secrets.token_hex(8)
        self.tasks[tid] = {"polls": 0, "fids": saved}
        return self.ok({"task_id": tid})

    # -- QuarkPanTool submit_task / quark-auto-save query_task: status 2 = done
    async def task(self, request):
        if (bad := self.check(request)):
            return bad
        t = self.tasks[request.query["task_id"]]
        t["polls"] += 1
        if t["polls"] < 2:
            return self.ok({"status": 0, "task_title": "分享-转存"})
        return self.ok({"status": 2, "task_title": "分享-转存",
                        "save_as": {"save_as_top_fids": t["fids"], "to_pdir_name": "根目录"}})

    def _quarkpantool_retry(self, request) -> bool:
        q = request.query
        return (request.headers.get("User-Agent") == QUARKPANTOOL_RETRY_UA
                and q.get("sys") == "win32" and q.get("ve") == "2.5.56")

    # -- QuarkPanTool download: 23018 "download file size limit[<id>]" (HTTP 400: zhangjingwei/
    #    kuake_cli #12) for big files, passed by its retry with the 2.5.56 desktop UA + sys/ve
    async def download(self, request):
        if (bad := self.check(request, need_puus=True)):
            return bad
        body = await request.json()
        items = [self.own[fid] for fid in body["fids"]]
        over = self.web_cap and any(len(it["data"]) > self.web_cap for it in items)
        if over and (self.cap_everywhere or not self._quarkpantool_retry(request)):
            return self.err(400, 23018, f"download file size limit[{secrets.token_hex(12)}]")
        out = []
        for fid, it in zip(body["fids"], items):
            tok = secrets.token_hex(16)
            self.download_tokens.append(tok)
            out.append({"fid": fid, "file_name": it["file_name"], "size": len(it["data"]),
                        "md5": hashlib.md5(it["data"]).hexdigest(), "pdir_fid": "0",
                        "download_url": f"https://{self.download_host}/dl/{fid}?auth_key={tok}"})
        return self.rotate(self.ok(out))

    # -- QuarkPanTool download_file: cookie + referer + a browser-like User-Agent
    async def file(self, request):
        c = cookies_of(request)
        if (c.get("__pus") != self.PUS or request.headers.get("Referer", "").rstrip("/") != "https://pan.quark.cn"
                or "Mozilla" not in request.headers.get("User-Agent", "")):
            return web.Response(status=403, text="forbidden")
        it = self.own.get(request.match_info["fid"])
        if it is None:
            return web.Response(status=404)
        return serve_bytes(request, it["data"])

# -------------------------------------------------------------------- Lanzou
#
# Imitates lanzou[a-z].com shares as these maintained clients read them:
#   OpenList     = OpenListTeam/OpenList drivers/lanzou/util.go + help.go
#   LanZouCloud  = zaxtyson/LanZouCloud-API lanzou/api/core.py + utils.py
# Page markup beyond what their regular expressions need is a guess.

# OpenList drivers/lanzou/help.go unbox(): arg1[i] goes to position _BOX[i]; then XOR with the mask
_BOX = (6, 28, 34, 31, 33, 18, 30, 23, 9, 8, 19, 38, 17, 24, 0, 5, 32, 21, 10, 22, 25, 14, 15, 3, 16,
        27, 13, 35, 2, 29, 11, 26, 4, 36, 1, 39, 37, 7, 20, 12)
_MASK = "3000176000856006061501533003690027800375"


def expected_acw(arg1: str) -> str:
    """acw_sc__v2 as OpenList's CalcAcwScV2 computes it (written independently of the resolver)."""
    box = [""] * len(arg1)
    for i, j in enumerate(_BOX):
        if j < len(box):
            box[j] = arg1[i]
    return bytes(x ^ y for x, y in zip(bytes.fromhex("".join(box)), bytes.fromhex(_MASK))).hex()


class LanzouMock(ThreadedApp):
    DOM = "https://developer-oss.lanzouc.com"

    def __init__(self) -> None:
        super().__init__()
        self.shares: dict[str, dict[str, Any]] = {}
        self.arg1 = secrets.token_hex(20).upper()
        self.challenges = 0
        self.expiry = int(time.time()) + 1800
        self.files: dict[str, bytes] = {}
        self.folders: dict[str, dict[str, Any]] = {}
        self.file_arg1: str | None = None       # a second challenge on the download host
        self.verify_page = False                # the /file/ hop answers a page, not a 302
        self.el2_delay = 2.0                    # LanZouCloud: ajax.php needs ~2 s after that page
        self.busy_pages = 0                     # next N folder pages answer zt 4 (try again)
        self._verify_at: dict[str, float] = {}

    def host_map(self) -> dict[str, str]:
        return {h: self.base for h in ("www.lanzoux.com", "wwa.lanzoui.com", "wwk.lanzouk.com",
                                       "wwu.lanzouu.com", "www.lanzn.com", "developer-oss.lanzouc.com",
                                       "down-load.lanzouc.com", "www.ilanzou.com")}

    def add_share(self, sid: str, name: str, data: bytes, pwd: str | None = None, state: str = "ok"):
        self.shares[sid] = {"name": name, "data": data, "pwd": pwd, "state": state,
                            "file": str(1000 + len(self.shares))}

    def add_folder(self, sid: str, name: str, pwd: str, files: list[str], page_size: int = 2,
                   files_locked: bool = False):
        """``files_locked``: the folder's files ask for the folder's password too
        (OpenList getFolderByShareUrl gives every file the folder's pwd)."""
        self.folders[sid] = {"name": name, "pwd": pwd, "files": files, "fid": 7000 + len(self.folders),
                             "page_size": page_size}
        if files_locked:
            for f in files:
                self.shares[f]["pwd"] = pwd

    def routes(self, app):
        app.router.add_get("/fn", self.fn)
        app.router.add_post("/ajaxm.php", self.ajax)
        app.router.add_post("/filemoreajax.php", self.more)
        app.router.add_get("/file/", self.file_redirect)
        app.router.add_post("/file/ajax.php", self.file_ajax)
        app.router.add_get("/dl/{name}", self.dl)
        app.router.add_get("/{sid}", self.page)

    def challenge(self, request, arg1: str | None = None) -> web.Response | None:
        """OpenList request()/LanZouCloud: a page with `arg1='...'` until cookie acw_sc__v2 answers it."""
        arg1 = arg1 or self.arg1
        if cookies_of(request).get("acw_sc__v2") == expected_acw(arg1):
            return None
        self.challenges += 1
        return web.Response(text=f"<html><script>var arg1='{arg1}';"
                                 "function setCookie(){}</script></html>", content_type="text/html")

    def browserish(self, request) -> bool:
        return ("Mozilla" in request.headers.get("User-Agent", "")
                and "zh-CN" in request.headers.get("Accept-Language", ""))

    async def page(self, request):
        if not self.browserish(request):
            return web.Response(status=403, text="forbidden")
        if (c := self.challenge(request)):
            return c
        if request.match_info["sid"] in self.folders:
            # LanZouCloud get_folder_info_by_url: 'lx', 'fid', t and k from `var xxxxxx = '...'`;
            # OpenList getFolderByShareUrl: the same `data : {...}` read by htmlJsonToMap
            f = self.folders[request.match_info["sid"]]
            return web.Response(text=f"""<html><title>{f['name']} - 蓝奏云</title>
<div id="pwdload"><input id="pwd"></div>
<script>
var pgs;
var ib4i8f = '1763800000';
var _h2d8c = 'k{f['fid']}abcdefghijklmno';
pgs = 1;
function more(){{
  var pwd = document.getElementById('pwd').value;
  $.ajax({{
    type : 'post',
    url : '/filemoreajax.php?file={f['fid']}',
    data : {{ 'lx':2,'fid':{f['fid']},'uid':'1234','pg':pgs,'rep':'0','t':ib4i8f,'k':_h2d8c,'up':1,'ls':1,'pwd':pwd }},
    dataType : 'json'
  }});
}}
</script></html>""", content_type="text/html")
        s = self.shares.get(request.match_info["sid"])
        if s is None or s["state"] == "gone":
            return web.Response(text="<html><div class='off'>来晚啦...文件取消分享了</div></html>",
                                content_type="text/html")
        if s["pwd"]:
            # OpenList getFilesByShareUrl: "pwdload"/"passwddiv", function down_p, '/ajaxm.php?file=N'
            return web.Response(text=f"""<html><title>{s['name']} - 蓝奏云</title>
<div id="passwddiv"><input id="pwd"></div><div id="pwdload"></div>
<script>
var skdklds = 'psign{s['file']}';
function down_p(){{
  var pwd = document.getElementById('pwd').value;
  $.ajax({{
    type : 'post',
    url : '/ajaxm.php?file={s['file']}',
    //url : '/ajaxm.php?file=1',
    data : 'action=downprocess&sign='+skdklds+'&p='+pwd+'&kd=1',
    dataType : 'json',
  }});
}}
</script></html>""", content_type="text/html")
        # OpenList: the <iframe src="/fn?..."> download frame
        return web.Response(text=f"""<html><title>{s['name']} - 蓝奏云</title>
<div class="n_box_3fn">{s['name']}</div>
<iframe class="ifr2" name="1" src="/fn?TOKEN{s['file']}" frameborder="0"></iframe></html>""",
                            content_type="text/html")

    # -- LanZouCloud get_folder_info_by_url / OpenList getFolderByShareUrl: zt 1 page, 2 done,
    #    3 wrong password, 4 try again
    async def more(self, request):
        form = await request.post()
        fid = request.query.get("file") or form.get("fid")
        f = next((x for x in self.folders.values() if str(x["fid"]) == str(fid)), None)
        if f is None or form.get("k") != f"k{f['fid']}abcdefghijklmno" or form.get("t") != "1763800000":
            return web.json_response({"zt": 0, "info": "sign error"})
        if form.get("pwd") != f["pwd"]:
            return web.json_response({"zt": 3, "info": "密码不正确"})
        if self.busy_pages > 0:
            self.busy_pages -= 1
            return web.json_response({"zt": 4, "info": "请稍后再试"})
        pg = int(form.get("pg", "1"))
        n = f["page_size"]
        chunk = f["files"][(pg - 1) * n: pg * n]
        if not chunk:
            return web.json_response({"zt": 2, "info": "没有了", "text": 0})
        return web.json_response({"zt": 1, "info": "success", "text": [
            {"icon": "zip", "t": 0, "id": sid, "name_all": self.shares[sid]["name"], "size": "1.0 K",
             "time": "2 天前", "duoimg": 0, "p": 0} for sid in chunk]})

    async def fn(self, request):
        if (c := self.challenge(request)):
            return c
        fid = request.query_string.replace("TOKEN", "")
        return web.Response(text=f"""<html><script>
var ajaxdata = '?ctdf';
var wp_sign = 'wsign{fid}';
var ciucjdsdc = '';
var aihidcms = '2jzy';
$.ajax({{
  type : 'post',
  //url : '/ajaxm.php?file=9',
  url : '/ajaxm.php?file={fid}',
  data : {{ 'action':'downprocess','signs':ajaxdata,'sign':wp_sign,'websign':ciucjdsdc,'websignkey':aihidcms,'ves':1,'kd':1 }},
  dataType : 'json'
}});
</script></html>""", content_type="text/html")

    async def ajax(self, request):
        form = await request.post()
        fid = request.query.get("file", "")
        s = next((x for x in self.shares.values() if x["file"] == fid), None)
        if s is None or form.get("action") != "downprocess":
            return web.json_response({"zt": 0, "inf": "文件取消分享了"})
        if s["pwd"]:
            if form.get("sign") != f"psign{fid}":
                return web.json_response({"zt": 0, "inf": "sign错误"})
            if form.get("p") != s["pwd"]:
                return web.json_response({"zt": 0, "inf": "密码不正确"})
            inf = s["name"]
        else:
            if (form.get("sign") != f"wsign{fid}" or form.get("signs") != "?ctdf"
                    or form.get("websignkey") != "2jzy"):
                return web.json_response({"zt": 0, "inf": "sign错误"})
            inf = 0
        # OpenList FileShareInfoAndUrlResp: dom + "/file/" + url
        return web.json_response({"zt": 1, "dom": self.DOM, "url": f"?tok{fid}", "inf": inf})

    def _direct(self, fid: str) -> str:
        s = next(x for x in self.shares.values() if x["file"] == fid)
        self.files[s["name"]] = s["data"]
        return f"https://down-load.lanzouc.com/dl/{s['name']}?e={self.expiry}&sign=abc"

    # -- OpenList getFilesByShareUrl: GET dom/file/<url> with cookie down_ip=1 and Referer
    #    dom/file, no redirects; acw_sc__v2 again; a page instead of a 302 -> ajax.php el=2
    async def file_redirect(self, request):
        if not self.browserish(request):
            return web.Response(status=403)
        if self.file_arg1 and (c := self.challenge(request, self.file_arg1)):
            return c
        fid = request.query_string.replace("tok", "")
        down_ip = cookies_of(request).get("down_ip") == "1"
        if self.verify_page or not down_ip or not request.headers.get("Referer"):
            # LanZouCloud: '网络异常' page holding 'file' and 'sign'; OpenList reads its `data : {...}`
            # (the markup around those is a guess)
            self._verify_at[fid] = time.monotonic()
            return web.Response(text=f"""<html><head><title>验证</title></head><body>
<div class="load">网络异常，请点击验证后下载</div>
<script>
var ws_sign = 'vsign{fid}';
function down_r(el){{
  $.ajax({{
    type : 'post',
    url : 'ajax.php',
    data : {{ 'file':'?tok{fid}','el':el,'sign':ws_sign }},
    dataType : 'json',
    success:function(msg){{ if(msg.zt == 1){{ window.location.href = msg.url; }} }}
  }});
}}
</script></body></html>""", content_type="text/html")
        return web.Response(status=302, headers={"Location": self._direct(fid)})

    async def file_ajax(self, request):
        form = await request.post()
        fid = str(form.get("file", "")).replace("?tok", "")
        if cookies_of(request).get("down_ip") != "1" or form.get("sign") != f"vsign{fid}" \
                or form.get("el") != "2":
            return web.json_response({"zt": 0, "info": "sign error"})
        shown = self._verify_at.get(fid)
        if shown is None or time.monotonic() - shown < self.el2_delay:
            # LanZouCloud core.py: "必需等待2s, 否则直链返回 ?SignError"
            return web.json_response({"zt": 0, "info": "?SignError"})
        return web.json_response({"zt": 1, "info": "success", "url": self._direct(fid)})

    async def dl(self, request):
        data = self.files.get(request.match_info["name"])
        if data is None:
            return web.Response(status=404)
        if int(request.query.get("e", "0")) < time.time():
            return web.Response(status=403, text="expired")
        return serve_bytes(request, data)

# -------------------------------------------------------------------- SharePoint

class SharePointMock(ThreadedApp):
    """OneDrive for Business / SharePoint share links as OpenList drivers/onedrive_sharelink
    (util.go getHeaders, getCookiesWithPassword) reads them: the share link answers 302 and a
    guest FedAuth cookie; a password-protected link answers 200 with the form ``inputForm``
    (``__VIEWSTATE``, ``__EVENTVALIDATION``) that takes ``txtPassword`` and sets FedAuth when
    right.  Page markup beyond those ids, and the error redirects, are guesses."""

    HOST = "contoso-my.sharepoint.com"

    def __init__(self) -> None:
        super().__init__()
        self.shares: dict[str, dict[str, Any]] = {}
        self.fedauth = "fedauth-guest-" + secrets.token_hex(16)
        self.org_fedauth = "fedauth-org-" + "M" * 30
        self.password_posts: list[dict[str, str]] = []

    def host_map(self) -> dict[str, str]:
        return {self.HOST: self.base}

    def add_share(self, token: str, name: str, data: bytes, state: str = "ok", password: str | None = None):
        self.shares[token] = {"name": name, "data": data, "state": state, "password": password,
                              "viewstate": secrets.token_urlsafe(24), "validation": secrets.token_urlsafe(12)}

    def link(self, token: str, kind: str = "u") -> str:
        return f"https://{self.HOST}/:{kind}:/g/personal/alice_contoso_com/{token}?e=AbCd12"

    def routes(self, app):
        app.router.add_get("/personal/{user}/_layouts/52/download.aspx", self.download)
        app.router.add_post("/personal/{user}/_layouts/15/guestaccess.aspx", self.password_form)
        app.router.add_get("/{kind}/g/personal/{user}/{token}", self.share)

    def _form(self, token: str, wrong: bool = False) -> web.Response:
        s = self.shares[token]
        note = '<span id="passwordError">The password is incorrect.</span>' if wrong else ""
        return web.Response(text=f"""<html><head><title>Enter password</title></head><body>
<form method="post" action="/personal/alice_contoso_com/_layouts/15/guestaccess.aspx?share={token}&amp;e=AbCd12" id="inputForm">
<input type="hidden" name="__VIEWSTATE" id="__VIEWSTATE" value="{s['viewstate']}" />
<input type="hidden" name="__EVENTVALIDATION" id="__EVENTVALIDATION" value="{s['validation']}" />
<input name="txtPassword" type="password" id="txtPassword" />{note}
<input type="submit" name="btnSubmitPassword" value="Verify" id="btnSubmitPassword" />
</form></body></html>""", content_type="text/html")

    async def share(self, request):
        s = self.shares.get(request.match_info["token"])
        if s is None:
            return web.Response(status=404, text="Sorry, something went wrong")
        if s["state"] == "expired":
            return web.Response(status=302, headers={
                "Location": "/personal/alice_contoso_com/_layouts/15/guestaccess.aspx?error=LinkExpired"})
        if s["state"] == "org" and cookies_of(request).get("FedAuth") != self.org_fedauth:
            return web.Response(status=302, headers={
                "Location": "https://login.microsoftonline.com/common/oauth2/authorize?client_id=x"})
        if s["password"]:               # OpenList: no Location = a password-protected link
            return self._form(request.match_info["token"])
        resp = web.Response(status=302, headers={
            "Location": "/personal/alice_contoso_com/_layouts/15/onedrive.aspx?id=x"})
        if s["state"] == "ok":
            resp.set_cookie("FedAuth", self.fedauth, httponly=True, secure=True)
        return resp

    async def password_form(self, request):
        token = request.query.get("share", "")
        s = self.shares.get(token)
        form = dict(await request.post())
        self.password_posts.append(form)
        if s is None:
            return web.Response(status=404)
        if (form.get("__VIEWSTATE") != s["viewstate"] or form.get("__EVENTVALIDATION") != s["validation"]
                or "__VIEWSTATEENCRYPTED" not in form):
            return web.Response(status=400, text="Bad Request")
        if form.get("txtPassword") != s["password"]:
            return self._form(token, wrong=True)    # OpenList: no FedAuth = wrong password
        resp = web.Response(status=302, headers={
            "Location": "/personal/alice_contoso_com/_layouts/15/onedrive.aspx?id=x"})
        resp.set_cookie("FedAuth", self.fedauth, httponly=True, secure=True)
        return resp

    async def download(self, request):
        s = self.shares.get(request.query.get("share", ""))
        if s is None:
            return web.Response(status=404)
        fed = cookies_of(request).get("FedAuth")
        if fed not in (self.fedauth, self.org_fedauth):
            return web.Response(status=403, text="Access denied")
        return serve_bytes(request, s["data"], s["name"])


# -------------------------------------------------------------------- OneDrive (personal)

class OneDriveMock(ThreadedApp):
    """Personal OneDrive share links as a maintained downloader reads them today:
    jbsparrow/CyberDropDownloader cyberdrop_dl/crawlers/onedrive.py (1drv.ms -> onedrive.live.com
    with ``redeem``; anonymous "Badger" token from api-badgerp.svc.ms with AppId 1141147648 and
    appId 5cbed6ac-...; ``my.microsoftpersonalcontent.com/_api/v2.0/shares/u!<redeem>/driveitem``
    with ``Authorization: Badger``, ``Prefer: autoredeem``; old links with ``resid`` + ``authkey``
    on ``api.onedrive.com/v1.0/drives/<cid>/items/<resid>``), sub-folders by drive item id as
    felixrieseberg/onedrive-link issue #1 describes.  The 401 body without a token is the one
    recorded in diego-apellaniz/PowerBI3D issue #2.  Item JSON uses Microsoft's driveItem field
    names; the ids, the redirect's other parameters and the download host are guesses."""

    APP_ID, APP_UUID = "1141147648", "5cbed6ac-a083-4e14-b191-b4ba07653de2"
    CID = "a1b2c3d4e5f60718"

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[str, dict[str, Any]] = {}       # item id -> {name, data?, children?, parent}
        self.redeems: dict[str, str] = {}                # redeem -> item id
        self.shares: dict[str, str] = {}                 # 1drv.ms token -> item id
        self.tokens: list[str] = []
        self.downloads: dict[str, str] = {}              # download token -> item id
        self._n = 100

    def host_map(self) -> dict[str, str]:
        return {h: self.base for h in ("1drv.ms", "onedrive.live.com", "api-badgerp.svc.ms",
                                       "my.microsoftpersonalcontent.com", "api.onedrive.com",
                                       "public.dm.files.1drv.com")}

    def _new_id(self) -> str:
        self._n += 1
        return f"{self.CID.upper()}!s{self._n}"

    def add_file(self, name: str, data: bytes, parent: str | None = None) -> str:
        iid = self._new_id()
        self.items[iid] = {"name": name, "data": data, "parent": parent}
        if parent:
            self.items[parent]["children"].append(iid)
        return iid

    def add_folder(self, name: str, parent: str | None = None) -> str:
        iid = self._new_id()
        self.items[iid] = {"name": name, "children": [], "parent": parent}
        if parent:
            self.items[parent]["children"].append(iid)
        return iid

    def share(self, iid: str) -> str:
        """A new-style 1drv.ms link to ``iid``."""
        token = "E" + secrets.token_urlsafe(12).replace("-", "x").replace("_", "y")
        link = f"https://1drv.ms/u/c/{self.CID}/{token}"
        redeem = base64.urlsafe_b64encode(link.encode()).decode().rstrip("=")
        self.shares[token] = iid
        self.redeems[redeem] = iid
        return link + "?e=Ab12Cd"

    def routes(self, app):
        app.router.add_get("/{kind}/c/{cid}/{token}", self.short)
        app.router.add_post("/v1.0/token", self.badger)
        app.router.add_get("/_api/v2.0/shares/{share}/driveitem", self.shared_item)
        app.router.add_get("/v1.0/drives/{drive}/items/{item}", self.drive_item)
        app.router.add_get("/y4m{tok}/{name}", self.content)

    async def short(self, request):
        iid = self.shares.get(request.match_info["token"])
        if iid is None:
            return web.Response(status=404, text="<html>This item might not exist</html>", content_type="text/html")
        redeem = next(r for r, i in self.redeems.items() if i == iid)
        return web.Response(status=301, headers={
            "Location": f"https://onedrive.live.com/?redeem={redeem}&cid={self.CID}&id={quote(iid)}"
                        f"&parId=root&o=OneUp"})

    async def badger(self, request):
        body = await request.json()
        if request.headers.get("AppId") != self.APP_ID or body.get("appId") != self.APP_UUID:
            return web.json_response({"error": {"code": "invalidRequest"}}, status=400)
        tok = "badger-" + secrets.token_hex(16)
        self.tokens.append(tok)
        return web.json_response({"token": tok, "expiryTimeUtc": "2099-01-01T00:00:00.0000000Z",
                                  "authScheme": "Badger"})

    def _auth(self, request) -> web.Response | None:
        auth = request.headers.get("Authorization", "")
        if not (auth.startswith("Badger ") and auth[7:] in self.tokens
                and request.headers.get("Prefer") == "autoredeem"):
            return web.json_response({"error": {"code": "unauthenticated", "message":
                                      "Exception of type 'Microsoft.Vroom.Exceptions.UnauthenticatedVroomException' "
                                      "was thrown."}}, status=401)
        return None

    def _item_json(self, iid: str, expand: bool) -> dict[str, Any]:
        it = self.items[iid]
        out: dict[str, Any] = {
            "id": iid, "name": it["name"], "webUrl": f"https://1drv.ms/u/c/{self.CID}/{iid}",
            "fileSystemInfo": {"lastModifiedDateTime": "2026-05-01T10:00:00Z"},
            "parentReference": {"driveId": self.CID, "id": it["parent"] or "root"}}
        if "children" in it:
            out["folder"] = {"childCount": len(it["children"])}
            if expand:
                out["children"] = [self._item_json(c, False) for c in it["children"]]
        else:
            tok = secrets.token_urlsafe(40)
            self.downloads[tok] = iid
            out["size"] = len(it["data"])
            out["file"] = {"mimeType": "application/octet-stream", "hashes": {
                "sha1Hash": hashlib.sha1(it["data"]).hexdigest().upper(),
                "sha256Hash": hashlib.sha256(it["data"]).hexdigest().upper()}}
            out["@content.downloadUrl"] = f"https://public.dm.files.1drv.com/y4m{tok}/{quote(it['name'])}?download"
        return out

    async def shared_item(self, request):
        if (bad := self._auth(request)):
            return bad
        share = request.match_info["share"]
        iid = self.redeems.get(share[2:]) if share.startswith("u!") else None
        if iid is None:
            return web.json_response({"error": {"code": "itemNotFound", "message": "Item does not exist"}},
                                     status=404)
        return web.json_response(self._item_json(iid, request.query.get("expand") == "children"))

    async def drive_item(self, request):
        if (bad := self._auth(request)):
            return bad
        iid = request.match_info["item"]
        if iid not in self.items or request.match_info["drive"].lower() != self.CID:
            return web.json_response({"error": {"code": "itemNotFound", "message": "Item does not exist"}},
                                     status=404)
        return web.json_response(self._item_json(iid, request.query.get("expand") == "children"))

    async def content(self, request):
        iid = self.downloads.get(request.match_info["tok"])
        if iid is None:
            return web.Response(status=404)
        return serve_bytes(request, self.items[iid]["data"])
