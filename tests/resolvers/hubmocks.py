"""Local imitations of model hubs and object stores, each an aiohttp app on its
own thread and loop (so sync tests, asyncio.run tests and CLI subprocesses can
all reach them).  They follow the protocols described in PROTOCOLS.md."""

from __future__ import annotations

import asyncio
import base64
import calendar
import hashlib
import hmac
import json
import time
from urllib.parse import quote, unquote, urlencode

from aiohttp import web
from servers import ServedApp, catch_all

S3_EXPIRED = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>'
              b"<Message>Request has expired</Message><X-Amz-Expires>%d</X-Amz-Expires>"
              b"<Expires>%s</Expires><ServerTime>%s</ServerTime><RequestId>4442587FB7D0A2F9</RequestId>"
              b"<HostId>mock</HostId></Error>")


class MockHost(ServedApp):
    """Base: subclasses implement ``handle(request)``."""

    def __init__(self) -> None:
        self.requests: list[dict] = []

    def make_app(self) -> web.Application:
        return catch_all(self._entry)

    async def _entry(self, request: web.Request) -> web.StreamResponse:
        self.requests.append({"method": request.method, "path": request.path,
                              "query": dict(request.query), "headers": dict(request.headers)})
        return await self.handle(request)

    async def handle(self, request: web.Request) -> web.StreamResponse:  # pragma: no cover
        raise NotImplementedError


async def serve_bytes(request: web.Request, data: bytes, headers: dict[str, str] | None = None,
                      *, rate: float = 0.0, on_chunk=None) -> web.StreamResponse:
    """Serve ``data`` honouring Range; ``on_chunk(n)`` may return False to drop the connection."""
    size = len(data)
    start, end, status = 0, size - 1, 200
    rng = request.headers.get("Range", "")
    if rng.startswith("bytes="):
        a, _, b = rng[6:].partition("-")
        if a:
            start = int(a)
            end = min(int(b), size - 1) if b else size - 1
        else:
            start = max(0, size - int(b))
        if start >= size:
            return web.Response(status=416, headers={"Content-Range": f"bytes */{size}"})
        status = 206
    h = {"Accept-Ranges": "bytes", "Content-Length": str(end - start + 1),
         "Content-Type": "application/octet-stream"}
    h.update(headers or {})
    if status == 206:
        h["Content-Range"] = f"bytes {start}-{end}/{size}"
    resp = web.StreamResponse(status=status, headers=h)
    await resp.prepare(request)
    if request.method == "HEAD":
        return resp
    pos, chunk = start, 32 * 1024
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    while pos <= end:
        n = min(chunk, end + 1 - pos)
        if on_chunk is not None and on_chunk(n) is False:
            if request.transport:
                request.transport.abort()
            return resp
        await resp.write(data[pos:pos + n])
        pos += n
        if rate:
            ahead = (pos - start) / rate - (loop.time() - t0)
            if ahead > 0:
                await asyncio.sleep(ahead)
    await resp.write_eof()
    return resp


def amz_date(t: float) -> str:
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(t))


class MockS3CDN(MockHost):
    """A presigned-URL object store (S3 V4 style): ``sign(key)`` gives a URL valid
    ``ttl`` seconds by ``clock``; expired -> 403 S3 body.  ``expire_after_bytes``
    expires every signature issued so far once that many bytes were sent and
    drops the running transfers (a link that dies mid-download)."""

    SECRET = b"mock-secret"

    def __init__(self, clock=time.time) -> None:
        super().__init__()
        self.objects: dict[str, bytes] = {}
        self.clock = clock
        self.bytes_sent = 0
        self.expired_answers = 0
        self.revoked: set[str] = set()
        self.issued: list[str] = []
        self.expire_after_bytes: int | None = None
        self.rate = 0.0

    def put(self, key: str, data: bytes) -> None:
        self.objects[key] = data

    def _sig(self, key: str, date: str, ttl: int, session: str) -> str:
        return hmac.new(self.SECRET, f"{key}|{date}|{ttl}|{session}".encode(), hashlib.sha256).hexdigest()

    def sign(self, key: str, ttl: int = 3600, host: str | None = None) -> str:
        # Each URL carries its own temporary-credential token, so two URLs signed
        # in the same second differ (as with real STS-signed links).
        date = amz_date(self.clock())
        session = f"FwoGZXIvYXdzE{len(self.issued):06d}"
        sig = self._sig(key, date, ttl, session)
        self.issued.append(sig)
        q = urlencode({"X-Amz-Algorithm": "AWS4-HMAC-SHA256",
                       "X-Amz-Credential": "ASIAMOCK/20261123/us-east-1/s3/aws4_request",
                       "X-Amz-Date": date, "X-Amz-Expires": str(ttl),
                       "X-Amz-Security-Token": session, "X-Amz-SignedHeaders": "host",
                       "X-Amz-Signature": sig})
        return f"{host or self.base}/{quote(key)}?{q}"

    def revoke_all(self) -> None:
        self.revoked.update(self.issued)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        key = unquote(request.path.lstrip("/"))
        q = request.query
        if key not in self.objects:
            return web.Response(status=404, content_type="application/xml",
                                body=b"<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>")
        date, ttl, sig = q.get("X-Amz-Date", ""), q.get("X-Amz-Expires", "0"), q.get("X-Amz-Signature", "")
        if not hmac.compare_digest(sig, self._sig(key, date, int(ttl or 0), q.get("X-Amz-Security-Token", ""))):
            return web.Response(status=403, content_type="application/xml",
                                body=b"<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided.</Message></Error>")
        start = calendar.timegm(time.strptime(date, "%Y%m%dT%H%M%SZ"))
        now = self.clock()
        if now > start + int(ttl) or sig in self.revoked:
            self.expired_answers += 1
            body = S3_EXPIRED % (int(ttl), amz_date(start + int(ttl)).encode(), amz_date(now).encode())
            return web.Response(status=403, content_type="application/xml", body=body)
        data = self.objects[key]

        def on_chunk(n: int) -> bool:
            if sig in self.revoked:
                return False
            self.bytes_sent += n
            lim = self.expire_after_bytes
            if lim is not None and self.bytes_sent >= lim:
                self.expire_after_bytes = None
                self.revoke_all()
            return True

        return await serve_bytes(request, data, {"ETag": f'"{hashlib.md5(data).hexdigest()}"'},
                                 rate=self.rate, on_chunk=on_chunk)


def git_sha1(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


class MockHF(MockHost):
    """Hugging Face Hub: resolve (HEAD/GET), tree API with pagination, gated,
    private and renamed repos, X-Error-Code errors."""

    LFS_MIN = 1024

    def __init__(self, cdn: MockS3CDN, token: str = "hf_mocktoken") -> None:
        super().__init__()
        self.cdn = cdn
        self.token = token
        self.repos: dict[str, dict] = {}      # prefix -> {"files": {path: bytes}, "gated": bool, "private": bool}
        self.renamed: dict[str, str] = {}
        self.page_size = 1000
        self.ttl = 3600
        self.cdn_host: str | None = None      # host name written into Location (None: the mock's address)
        self.heads = 0

    def add_repo(self, prefix: str, files: dict[str, bytes], *, gated: bool = False,
                 private: bool = False) -> None:
        self.repos[prefix] = {"files": files, "gated": gated, "private": private}
        for data in files.values():
            if len(data) >= self.LFS_MIN:
                self.cdn.put(f"repos/{hashlib.sha256(data).hexdigest()}", data)

    def _err(self, status: int, code: str, msg: str) -> web.Response:
        return web.json_response({"error": msg}, status=status,
                                 headers={"X-Error-Code": code, "X-Error-Message": msg})

    def _authorized(self, request: web.Request) -> bool | None:
        auth = request.headers.get("Authorization", "")
        if not auth:
            return None
        return auth == f"Bearer {self.token}"

    def _split(self, parts: list[str]) -> tuple[str | None, list[str]]:
        for n in (3, 2, 1):
            prefix = "/".join(parts[:n])
            if prefix in self.repos or prefix in self.renamed:
                return prefix, parts[n:]
        return None, parts

    def _check_repo(self, request: web.Request, prefix: str | None) -> web.Response | None:
        auth = self._authorized(request)
        if auth is False:
            return self._err(401, "", "Invalid credentials in Authorization header")
        if prefix is None:
            return self._err(401 if not auth else 404, "RepoNotFound", "Repository not found")
        repo = self.repos[prefix]
        if repo["private"] and not auth:
            return self._err(401, "RepoNotFound", "Repository not found")
        if repo["gated"] and not auth:
            return self._err(401, "GatedRepo",
                             f"Access to model {prefix} is restricted. You must have access to it and be authenticated to access it. Please log in.")
        return None

    async def handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        parts = [unquote(p) for p in path.split("/") if p]
        if parts[:1] == ["api"] and len(parts) >= 2:
            kind = parts[1]
            rest = parts[2:]
            pre = {"models": "", "datasets": "datasets/", "spaces": "spaces/"}[kind]
            prefix, after = self._split([*(pre.rstrip("/").split("/") if pre else []), *rest])
            err = self._check_repo(request, prefix)
            if err:
                return err
            if after[:1] != ["tree"] or len(after) < 2:
                return self._err(404, "", "Not found")
            rev, folder = after[1], "/".join(after[2:])
            if rev != "main":
                return self._err(404, "RevisionNotFound", f"Invalid rev id: {rev}")
            files = self.repos[prefix]["files"]
            if folder and not any(p.startswith(folder + "/") for p in files):
                return self._err(404, "EntryNotFound", f"{folder} does not exist on \"main\"")
            entries = []
            for p in sorted(files):
                if folder and not p.startswith(folder + "/"):
                    continue
                data = files[p]
                e = {"type": "file", "oid": git_sha1(data), "size": len(data), "path": p}
                if len(data) >= self.LFS_MIN:
                    e["lfs"] = {"oid": hashlib.sha256(data).hexdigest(), "size": len(data), "pointerSize": 134}
                entries.append(e)
            dirs = sorted({p.rsplit("/", 1)[0] for p in files if "/" in p})
            entries += [{"type": "directory", "oid": "0" * 40, "size": 0, "path": d} for d in dirs]
            cursor = int(request.query.get("cursor", "0"))
            page = entries[cursor:cursor + self.page_size]
            headers = {}
            if cursor + self.page_size < len(entries):
                q = dict(request.query)
                q["cursor"] = str(cursor + self.page_size)
                headers["Link"] = f'<https://huggingface.co{path}?{urlencode(q)}>; rel="next"'
            return web.json_response(page, headers=headers)
        prefix, after = self._split(parts)
        if prefix in self.renamed:
            new = self.renamed[prefix]
            return web.Response(status=307, headers={"Location": "/" + new + "/" + "/".join(quote(a) for a in after)})
        err = self._check_repo(request, prefix)
        if err:
            return err
        if after[:1] != ["resolve"] or len(after) < 3:
            return web.Response(status=200, text="<html>repo page</html>", content_type="text/html")
        rev, fpath = after[1], "/".join(after[2:])
        if rev != "main":
            return self._err(404, "RevisionNotFound", f"Invalid rev id: {rev}")
        files = self.repos[prefix]["files"]
        if fpath not in files:
            return self._err(404, "EntryNotFound", f"{fpath} does not exist on \"main\"")
        if request.method == "HEAD":
            self.heads += 1
        data = files[fpath]
        commit = "c0ffee" * 6 + "abcd"
        if len(data) >= self.LFS_MIN:
            sha = hashlib.sha256(data).hexdigest()
            loc = self.cdn.sign(f"repos/{sha}", ttl=self.ttl, host=self.cdn_host)
            return web.Response(status=302, headers={
                "Location": loc, "X-Linked-Etag": f'"{sha}"', "X-Linked-Size": str(len(data)),
                "X-Repo-Commit": commit, "ETag": f'"{git_sha1(data)}"'})
        return await serve_bytes(request, data, {"ETag": f'"{git_sha1(data)}"', "X-Repo-Commit": commit})


class MockModelScope(MockHost):
    """www.modelscope.cn as the modelscope SDK talks to it (modelscope/modelscope
    modelscope/hub/api.py before its move to modelscope_hub, commit 1804ac6):
    - auth: cookie ``m_session_id=<access token>`` (``HubApi._get_cookies``); the repo API
      takes no ``Authorization: Bearer`` (the SDK sends Bearer only to its separate OpenAPI);
    - models: ``repo/files?Revision&Recursive`` (``get_model_files``), file
      ``repo?Revision&FilePath`` (file_download ``get_file_download_url``);
    - datasets: ``/api/v1/datasets/<ns>/<name>`` -> ``Data.Id`` (``get_dataset_id_and_type``),
      ``/api/v1/datasets/<Id>/repo/tree?Revision&Root&Recursive&PageNumber&PageSize``
      (``get_dataset_files``), file ``/api/v1/datasets/<ns>/<name>/repo?Source=SDK&Revision&FilePath``
      (``get_dataset_file_url``).
    Error codes and messages are guesses in the SDK's ``Code``/``Success``/``Message`` shape."""

    def __init__(self, token: str = "ms-token") -> None:
        super().__init__()
        self.models: dict[str, dict] = {}
        self.datasets: dict[str, dict] = {}
        self.token = token

    def add_model(self, model_id: str, files: dict[str, bytes], private: bool = False) -> None:
        self.models[model_id] = {"files": files, "private": private}

    def add_dataset(self, dataset_id: str, files: dict[str, bytes], private: bool = False) -> None:
        self.datasets[dataset_id] = {"files": files, "private": private, "id": 80000 + len(self.datasets)}

    def _authorized(self, request: web.Request) -> bool:
        c = request.headers.get("Cookie", "")
        return f"m_session_id={self.token}" in [x.strip() for x in c.split(";")]

    @staticmethod
    def _fail(status: int, code: int, message: str) -> web.Response:
        return web.json_response({"Code": code, "Success": False, "Message": message, "RequestId": "r1"},
                                 status=status)

    @staticmethod
    def _entries(files: dict[str, bytes], root: str = "") -> list[dict]:
        out = []
        dirs = sorted({p.rsplit("/", 1)[0] for p in files if "/" in p})
        for d in dirs:
            out.append({"Name": d.rsplit("/", 1)[-1], "Path": d, "Type": "tree", "Size": 0,
                        "Sha256": "", "Revision": "a1b2c3", "CommitId": None})
        for p, data in sorted(files.items()):
            out.append({"Name": p.rsplit("/", 1)[-1], "Path": p, "Type": "blob", "Size": len(data),
                        "Sha256": hashlib.sha256(data).hexdigest(), "Revision": "a1b2c3",
                        "IsLFS": len(data) > 1024})
        return [e for e in out if not root or e["Path"].startswith(root.strip("/") + "/")]

    async def handle(self, request: web.Request) -> web.StreamResponse:
        parts = [unquote(p) for p in request.path.split("/") if p]
        if parts[:3] == ["api", "v1", "datasets"]:
            return await self._dataset(request, parts[3:])
        if parts[:3] != ["api", "v1", "models"] or len(parts) < 6:
            return web.Response(status=404, text="not found")
        mid = f"{parts[3]}/{parts[4]}"
        m = self.models.get(mid)
        if m is None:
            return self._fail(404, 10010205001, f"model {mid} not exists")
        if m["private"] and not self._authorized(request):
            return self._fail(401, 10010205004, "permission denied, please login")
        rev = request.query.get("Revision", "master")
        if rev != "master":
            return self._fail(404, 10010205002, f"revision {rev} not exists")
        if parts[5:] == ["repo", "files"]:
            return web.json_response({"Code": 200, "Success": True, "Message": "success",
                                      "Data": {"Files": self._entries(m["files"]), "LatestCommitter": {}}})
        if parts[5:] == ["repo"]:
            fp = request.query.get("FilePath", "")
            if fp not in m["files"]:
                return self._fail(404, 10010205003, f"file {fp} not exists")
            return await serve_bytes(request, m["files"][fp])
        return web.Response(status=404)

    async def _dataset(self, request: web.Request, rest: list[str]) -> web.StreamResponse:
        q = request.query
        if len(rest) >= 3 and rest[0].isdigit() and rest[1:3] == ["repo", "tree"]:
            ds = next((d for d in self.datasets.values() if str(d["id"]) == rest[0]), None)
            if ds is None:
                return self._fail(404, 10010205001, f"dataset {rest[0]} not exists")
            if ds["private"] and not self._authorized(request):
                return self._fail(401, 10010205004, "permission denied, please login")
            if q.get("Revision", "master") != "master":
                return self._fail(404, 10010205002, f"revision {q.get('Revision')} not exists")
            entries = self._entries(ds["files"], q.get("Root", "/").strip("/"))
            if q.get("Recursive") != "True":
                root = q.get("Root", "/").strip("/")
                entries = [e for e in entries if e["Path"].count("/") == (root.count("/") + 1 if root else 0)]
            page, size = int(q.get("PageNumber", "1")), int(q.get("PageSize", "100"))
            return web.json_response({"Code": 200, "Success": True, "Message": "success",
                                      "Data": {"Files": entries[(page - 1) * size: page * size]}})
        if len(rest) < 2:
            return web.Response(status=404)
        did = f"{rest[0]}/{rest[1]}"
        ds = self.datasets.get(did)
        if ds is None:
            return self._fail(404, 10010205001, f"dataset {did} not exists")
        if ds["private"] and not self._authorized(request):
            return self._fail(401, 10010205004, "permission denied, please login")
        if rest[2:] == []:
            return web.json_response({"Code": 200, "Success": True, "Message": "success",
                                      "Data": {"Id": ds["id"], "Type": 0, "Name": rest[1], "Namespace": rest[0]}})
        if rest[2:] == ["repo"]:
            fp = q.get("FilePath", "")
            if fp not in ds["files"]:
                return self._fail(404, 10010205003, f"file {fp} not exists")
            return await serve_bytes(request, ds["files"][fp])
        return web.Response(status=404)


class MockGitHub(MockHost):
    """github.com release downloads (302 to the CDN) and api.github.com releases; repository
    files: ``github.com/<o>/<r>/raw/<ref>/<path>`` 302 to raw.githubusercontent.com, and
    ``api.github.com/repos/<o>/<r>/contents/<path>?ref=`` (GitHub REST docs "Repository
    contents": JSON with base64 ``content`` up to 1 MB, the file itself with
    ``Accept: application/vnd.github.raw``, up to 100 MB per the 2022-05-03 changelog).
    A private repository's files need the token on the host that serves them."""

    def __init__(self, cdn: MockS3CDN) -> None:
        super().__init__()
        self.cdn = cdn
        self.releases: dict[tuple[str, str], dict[str, bytes]] = {}   # (repo, tag) -> assets
        self.latest: dict[str, str] = {}
        self.rate_limited = False
        self.token: str | None = None      # set: repo is private, needs this token
        self.files: dict[tuple[str, str, str], bytes] = {}   # (repo, ref, path) -> data

    def add_file(self, repo: str, ref: str, path: str, data: bytes) -> None:
        self.files[(repo, ref, path)] = data

    def add_release(self, repo: str, tag: str, assets: dict[str, bytes], *, latest: bool = True,
                    with_digest: bool = True) -> None:
        self.releases[(repo, tag)] = {"assets": assets, "digest": with_digest}
        for name, data in assets.items():
            self.cdn.put(f"gh/{repo}/{tag}/{name}", data)
        if latest:
            self.latest[repo] = tag

    def _contents(self, request: web.Request, repo: str, path: str) -> web.StreamResponse:
        ref = request.query.get("ref", "main")
        data = self.files.get((repo, ref, path))
        if data is None or not self._authorized(request):
            return web.json_response({"message": "Not Found",
                                      "documentation_url": "https://docs.github.com/rest/repos/contents"},
                                     status=404)
        if request.headers.get("Accept", "").startswith(("application/vnd.github.raw",
                                                          "application/vnd.github.v3.raw")):
            return web.Response(body=data, headers={"Content-Type": "application/vnd.github.raw",
                                                    "ETag": f'"{git_sha1(data)}"'})
        small = len(data) <= 1 << 20
        return web.json_response({
            "type": "file", "name": path.rsplit("/", 1)[-1], "path": path, "size": len(data),
            "sha": git_sha1(data), "encoding": "base64" if small else "none",
            "content": base64.b64encode(data).decode() if small else "",
            "download_url": f"https://raw.githubusercontent.com/{repo}/{ref}/{quote(path)}"})

    def _asset_json(self, repo: str, tag: str, i: int, name: str, data: bytes, digest: bool) -> dict:
        a = {"url": f"https://api.github.com/repos/{repo}/releases/assets/{1000 + i}",
             "id": 1000 + i, "name": name, "label": "", "content_type": "application/octet-stream",
             "state": "uploaded", "size": len(data), "download_count": 42,
             "browser_download_url": f"https://github.com/{repo}/releases/download/{tag}/{quote(name)}"}
        if digest:
            a["digest"] = "sha256:" + hashlib.sha256(data).hexdigest()
        return a

    def _authorized(self, request: web.Request) -> bool:
        return self.token is None or request.headers.get("Authorization") == f"Bearer {self.token}"

    async def handle(self, request: web.Request) -> web.StreamResponse:
        parts = [unquote(p) for p in request.path.split("/") if p]
        if parts[:1] == ["repos"] and parts[3:4] == ["contents"]:
            return self._contents(request, f"{parts[1]}/{parts[2]}", "/".join(parts[4:]))
        if len(parts) >= 5 and parts[2:3] == ["raw"]:          # github.com/<o>/<r>/raw/<ref>/<path>
            repo, ref, path = f"{parts[0]}/{parts[1]}", parts[3], "/".join(parts[4:])
            if (repo, ref, path) not in self.files or not self._authorized(request):
                return web.Response(status=404, text="Not Found")
            return web.Response(status=302, headers={
                "Location": f"https://raw.githubusercontent.com/{repo}/{ref}/{quote(path)}"})
        key = (f"{parts[0]}/{parts[1]}", parts[2], "/".join(parts[3:])) if len(parts) >= 4 else None
        if key in self.files:                  # raw.githubusercontent.com/<o>/<r>/<ref>/<path>
            if not self._authorized(request):
                return web.Response(status=404, text="404: Not Found")
            return await serve_bytes(request, self.files[key], {"Content-Type": "text/plain; charset=utf-8"})
        if parts[:1] == ["repos"]:       # api.github.com
            if self.rate_limited:
                return web.json_response({"message": "API rate limit exceeded for 127.0.0.1.",
                                          "documentation_url": "https://docs.github.com/rest"},
                                         status=403, headers={"X-RateLimit-Remaining": "0",
                                                              "X-RateLimit-Reset": str(int(time.time()) + 600)})
            if not self._authorized(request):
                return web.json_response({"message": "Not Found"}, status=404)
            repo = f"{parts[1]}/{parts[2]}"
            if parts[3:5] == ["releases", "assets"]:
                aid = int(parts[5]) - 1000
                for (r, tag), rel in self.releases.items():
                    if r == repo and aid < len(rel["assets"]):
                        name = sorted(rel["assets"])[aid]
                        if request.headers.get("Accept") == "application/octet-stream":
                            return web.Response(status=302, headers={
                                "Location": self.cdn.sign(f"gh/{repo}/{tag}/{name}", ttl=300)})
                return web.json_response({"message": "Not Found"}, status=404)
            if parts[3:4] == ["releases"]:
                tag = self.latest.get(repo) if parts[4:5] == ["latest"] else (
                    parts[5] if parts[4:5] == ["tags"] and len(parts) > 5 else None)
                rel = self.releases.get((repo, tag or ""))
                if rel is None:
                    return web.json_response({"message": "Not Found",
                                              "documentation_url": "https://docs.github.com/rest/releases"}, status=404)
                assets = [self._asset_json(repo, tag, i, n, rel["assets"][n], rel["digest"])
                          for i, n in enumerate(sorted(rel["assets"]))]
                return web.json_response({"id": 1, "tag_name": tag, "name": tag, "draft": False,
                                          "prerelease": False, "assets": assets})
            return web.json_response({"message": "Not Found"}, status=404)
        # github.com/<o>/<r>/releases/download/<tag>/<name>
        if len(parts) >= 6 and parts[2:4] == ["releases", "download"]:
            repo, tag, name = f"{parts[0]}/{parts[1]}", parts[4], "/".join(parts[5:])
            rel = self.releases.get((repo, tag))
            if rel is None or name not in rel["assets"] or not self._authorized(request):
                return web.Response(status=404, text="Not Found")
            return web.Response(status=302, headers={"Location": self.cdn.sign(f"gh/{repo}/{tag}/{name}", ttl=300)})
        return web.Response(status=404, text="Not Found")


class MockCivitai(MockHost):
    """civitai.com (and civitai.red, the same site) as civitai/civitai answers
    (src/pages/api/download/models/[modelVersionId].ts, src/server/auth/get-server-auth-session.ts,
    src/server/utils/request-helpers.ts isRequestFromBrowser, src/server/services/file.service.ts):
    - auth: ``Authorization: Bearer <key>`` (read first) or ``?token=<key>``, or the site's
      session cookie (``__Secure-civ-token``);
    - every download needs it unless the site runs with UNAUTHENTICATED_DOWNLOAD
      (``unauthenticated_download`` here; off, as on the site now);
    - without it: a non-browser User-Agent gets 401 JSON, a browser one (mozilla, chrome, safari,
      firefox, opera, edge) a 307 to ``/login?returnUrl=/model-versions/<id>&reason=download-auth``;
    - early access: 403 JSON ``{"error": "Early Access", "deadline", "message"}``, or for a browser a
      307 to ``/model-versions/<id>``;
    - success: 307 to the signed file URL (Next.js ``res.redirect`` answers 307).
    ``browser_answers`` treats every request as a browser's: a guess at what a proxy or WAF that
    rewrites the User-Agent would cause."""

    BROWSERS = ("mozilla", "chrome", "safari", "firefox", "opera", "edge")

    def __init__(self, cdn: MockS3CDN, token: str = "civitai-token") -> None:
        super().__init__()
        self.cdn = cdn
        self.token = token
        self.session = "civ-session-" + "S" * 24
        self.versions: dict[int, dict] = {}
        self.models: dict[int, list[int]] = {}
        self.unauthenticated_download = False
        self.browser_answers = False

    def add_version(self, model_id: int, version_id: int, files: list[tuple[str, bytes, dict]],
                    *, login: bool = False, early_access: bool = False) -> None:
        self.versions[version_id] = {"model": model_id, "files": files, "login": login,
                                     "early_access": early_access}
        self.models.setdefault(model_id, []).insert(0, version_id)
        for name, data, _meta in files:
            self.cdn.put(f"civitai/{version_id}/{name}", data)

    def _user(self, request: web.Request) -> bool:
        auth = request.headers.get("Authorization", "")
        if auth:
            return auth.split(" ")[-1] == self.token
        if request.query.get("token"):
            return request.query["token"] == self.token
        c = request.headers.get("Cookie", "")
        return f"__Secure-civ-token={self.session}" in [x.strip() for x in c.split(";")]

    def _browser(self, request: web.Request) -> bool:
        ua = request.headers.get("User-Agent", "").lower()
        return self.browser_answers or any(b in ua for b in self.BROWSERS)

    def _files_json(self, vid: int) -> list[dict]:
        out = []
        for i, (name, data, meta) in enumerate(self.versions[vid]["files"]):
            q = urlencode({"type": meta.get("type", "Model"), "format": meta.get("format", "SafeTensor")})
            out.append({"id": vid * 10 + i, "name": name, "sizeKB": len(data) / 1024,
                        "type": meta.get("type", "Model"),
                        "metadata": {"format": meta.get("format", "SafeTensor"), "fp": "fp16", "size": "pruned"},
                        "hashes": {"AutoV2": "ABCDEF0123", "SHA256": hashlib.sha256(data).hexdigest().upper(),
                                   "CRC32": "00000000"},
                        "primary": i == 0,
                        "downloadUrl": f"https://civitai.com/api/download/models/{vid}?{q}"})
        return out

    async def handle(self, request: web.Request) -> web.StreamResponse:
        parts = [p for p in request.path.split("/") if p]
        if parts[:3] == ["api", "v1", "model-versions"] and len(parts) == 4:
            vid = int(parts[3])
            if vid not in self.versions:
                return web.json_response({"error": f"No version with id {vid}"}, status=404)
            return web.json_response({"id": vid, "modelId": self.versions[vid]["model"], "name": "v1.0",
                                      "files": self._files_json(vid),
                                      "downloadUrl": f"https://civitai.com/api/download/models/{vid}"})
        if parts[:3] == ["api", "v1", "models"] and len(parts) == 4:
            mid = int(parts[3])
            if mid not in self.models:
                return web.json_response({"error": f"No model with id {mid}"}, status=404)
            return web.json_response({"id": mid, "name": "Model", "modelVersions": [
                {"id": v, "name": f"v{v}", "files": self._files_json(v)} for v in self.models[mid]]})
        if parts[:3] == ["api", "download", "models"] and len(parts) == 4:
            vid = int(parts[3])
            v = self.versions.get(vid)
            browser = self._browser(request)
            if v is None:
                return (web.Response(status=404, text="File not found") if browser
                        else web.json_response({"error": "File not found"}, status=404))
            user = self._user(request)
            if (v["login"] or not self.unauthenticated_download) and not user:
                if browser:
                    return web.Response(status=307, headers={
                        "Location": "/login?" + urlencode({"returnUrl": f"/model-versions/{vid}",
                                                           "reason": "download-auth"})})
                return web.json_response({"error": "Unauthorized", "message":
                                          "The creator of this asset requires you to be logged in to download it"},
                                         status=401)
            if v["early_access"]:
                if browser:
                    return web.Response(status=307, headers={"Location": f"/model-versions/{vid}"})
                return web.json_response({"error": "Early Access", "deadline": "2026-12-01T00:00:00.000Z",
                                          "message": "This asset is in Early Access. You can use Buzz access it now!"},
                                         status=403)
            want = request.query.get("type")
            name = next((n for n, _d, m in v["files"] if want and m.get("type") == want), v["files"][0][0])
            return web.Response(status=307, headers={"Location": self.cdn.sign(f"civitai/{vid}/{name}", ttl=86400)})
        return web.Response(status=404, text="not found")


class MockDropbox(MockHost):
    """www.dropbox.com share links -> 302 to the content host (this same mock
    under another host name, dl.dropboxusercontent.com)."""

    def __init__(self) -> None:
        super().__init__()
        self.files: dict[str, tuple[bytes, str]] = {}   # share id -> (data, rlkey)
        self.banned: set[str] = set()

    def add(self, share_id: str, data: bytes, rlkey: str = "") -> None:
        self.files[share_id] = (data, rlkey)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        parts = [unquote(p) for p in request.path.split("/") if p]
        if parts[:1] == ["cd"]:
            sid, name = parts[1], parts[2]
            data, _ = self.files[sid]
            return await serve_bytes(request, data, {
                "Content-Disposition": f"attachment; filename=\"{name}\"; filename*=UTF-8''{quote(name)}"})
        if parts[:2] == ["scl", "fi"] and len(parts) >= 4:
            sid, name = parts[2], parts[3]
        elif parts[:1] == ["s"] and len(parts) >= 3:
            sid, name = parts[1], parts[2]
        else:
            return web.Response(status=404, text="<html>Error (404)</html>", content_type="text/html")
        if sid not in self.files:
            return web.Response(status=404, text="<html><title>Dropbox - Error</title>This item was deleted</html>",
                                content_type="text/html")
        data, rlkey = self.files[sid]
        if rlkey and request.query.get("rlkey") != rlkey:
            return web.Response(status=404, text="<html>Error (404) link not found</html>", content_type="text/html")
        if sid in self.banned:
            return web.Response(status=429, text="<html>This account's links are generating too much traffic</html>",
                                content_type="text/html")
        if request.query.get("dl") != "1":
            return web.Response(status=200, text="<html>preview page</html>", content_type="text/html")
        return web.Response(status=302, headers={
            "Location": f"https://uc8f1e2.dl.dropboxusercontent.com/cd/{sid}/{quote(name)}"})


class MockGDrive(MockHost):
    """drive.google.com/uc -> 303 to drive.usercontent.google.com/download, which
    serves the file, the virus-scan warning form, or the quota page."""

    def __init__(self) -> None:
        super().__init__()
        self.files: dict[str, tuple[str, bytes]] = {}
        self.big = 1 << 16           # files at least this big get the warning page
        self.quota: set[str] = set()
        self.private: set[str] = set()

    def add(self, fid: str, name: str, data: bytes) -> None:
        self.files[fid] = (name, data)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        q = request.query
        if request.path == "/uc":
            return web.Response(status=303, headers={
                "Location": "https://drive.usercontent.google.com/download?" + urlencode(
                    {"id": q.get("id", ""), "export": q.get("export", "download")})})
        if request.path != "/download":
            return web.Response(status=404, text="<html>Not Found</html>", content_type="text/html")
        fid = q.get("id", "")
        if fid not in self.files:
            return web.Response(status=404, content_type="text/html", text=(
                "<html><body><div class=\"uc-main\"><p class=\"uc-error-caption\">Google Drive - File does not exist"
                "</p><p class=\"uc-error-subcaption\">Sorry, the file you have requested does not exist.</p></div></body></html>"))
        name, data = self.files[fid]
        if fid in self.private:
            return web.Response(status=200, content_type="text/html", text=(
                "<html><head><title>Google Drive: Sign-in</title></head><body>"
                "<a href=\"https://accounts.google.com/ServiceLogin?service=wise\">Sign in</a></body></html>"))
        if fid in self.quota:
            return web.Response(status=200, content_type="text/html", text=(
                "<html><head><title>Google Drive - Quota exceeded</title></head><body><div class=\"uc-main\">"
                "<div id=\"uc-text\"><p class=\"uc-error-caption\">Sorry, you can&#39;t view or download this file at this time.</p>"
                "<p class=\"uc-error-subcaption\">Too many users have viewed or downloaded this file recently. "
                "Please try accessing the file again later. If the file you are trying to access is particularly "
                "large or is shared with many people, it may take up to 24 hours to be able to view or download "
                "the file. If you still can't access a file after 24 hours, contact your domain administrator.</p>"
                "</div></div></body></html>"))
        if len(data) >= self.big and q.get("confirm") != "t":
            return web.Response(status=200, content_type="text/html", text=(
                "<!DOCTYPE html><html><head><title>Google Drive - Virus scan warning</title></head><body>"
                "<div class=\"uc-main\"><div id=\"uc-text\"><p class=\"uc-warning-caption\">Google Drive can't scan "
                "this file for viruses.</p><p class=\"uc-warning-subcaption\"><span class=\"uc-name-size\">"
                f"<a href=\"/open?id={fid}\">{name}</a> (1.2G)</span> is too large for Google to scan for viruses. "
                "Would you still like to download this file?</p>"
                "<form id=\"download-form\" action=\"https://drive.usercontent.google.com/download\" method=\"get\">"
                "<input type=\"submit\" id=\"uc-download-link\" class=\"goog-inline-block jfk-button jfk-button-action\" value=\"Download anyway\"/>"
                f"<input type=\"hidden\" name=\"id\" value=\"{fid}\"><input type=\"hidden\" name=\"export\" value=\"download\">"
                "<input type=\"hidden\" name=\"confirm\" value=\"t\"><input type=\"hidden\" name=\"uuid\" "
                "value=\"3e8a1f2b-1c2d-4e5f-8a9b-0c1d2e3f4a5b\"></form></div></div></body></html>"))
        return await serve_bytes(request, data, {
            "Content-Disposition": f"attachment; filename=\"{name}\"; filename*=UTF-8''{quote(name)}",
            "Content-Type": "application/octet-stream"})


def json_dumps(x) -> str:
    return json.dumps(x)
