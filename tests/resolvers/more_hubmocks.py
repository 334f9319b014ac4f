"""Local imitations of Kaggle (its API and the signed Google Cloud Storage links it
redirects to), the Ollama registry, and Hugging Face revisions.  The comment on each
route names the maintained client (repository and file) the shapes come from."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import secrets
import time
import zipfile

from aiohttp import web
from hubmocks import MockHF, MockHost, serve_bytes

GCS_EXPIRED = (b"<?xml version='1.0' encoding='UTF-8'?><Error><Code>ExpiredToken</Code>"
               b"<Message>The provided token has expired.</Message>"
               b"<Details>Request signature expired at: 2026-01-01T00:00:00+00:00</Details></Error>")


class MockGCS(MockHost):
    """storage.googleapis.com: V4-signed URLs (X-Goog-Date + X-Goog-Expires); an expired
    one gets 400 ExpiredToken (kagglehub downloads the redirect target as is:
    src/kagglehub/clients.py download_file)."""

    def __init__(self) -> None:
        super().__init__()
        self.objects: dict[str, bytes] = {}
        self.issued: dict[str, int] = {}        # signature -> expiry (unix)
        self.ttl = 3600

    def sign(self, key: str, data: bytes) -> str:
        self.objects[key] = data
        now = int(time.time())
        sig = secrets.token_hex(32)
        self.issued[sig] = now + self.ttl
        date = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))
        return (f"https://storage.googleapis.com/{key}?X-Goog-Algorithm=GOOG4-RSA-SHA256"
                f"&X-Goog-Credential=kaggle-mock%2F20260101%2Fauto%2Fstorage%2Fgoog4_request"
                f"&X-Goog-Date={date}&X-Goog-Expires={self.ttl}&X-Goog-SignedHeaders=host"
                f"&X-Goog-Signature={sig}")

    async def handle(self, request):
        key = request.path.lstrip("/")
        sig = request.query.get("X-Goog-Signature", "")
        if key not in self.objects or sig not in self.issued:
            return web.Response(status=403, content_type="application/xml",
                                body=b"<Error><Code>AccessDenied</Code></Error>")
        if self.issued[sig] < time.time():
            return web.Response(status=400, content_type="application/xml", body=GCS_EXPIRED)
        data = self.objects[key]
        md5 = base64.b64encode(hashlib.md5(data).digest()).decode()
        return await serve_bytes(request, data, {"X-Goog-Hash": f"crc32c=AAAAAA==,md5={md5}"})


class MockKaggle(MockHost):
    """api.kaggle.com: POST /v1/<service>/<method>, JSON bodies in camelCase."""

    USER, KEY = "alice", "kkey-" + "9" * 24

    def __init__(self, gcs: MockGCS) -> None:
        super().__init__()
        self.gcs = gcs
        self.models: dict[tuple, dict] = {}     # (owner, model, FRAMEWORK_ENUM, variation) -> info
        self.datasets: dict[tuple, dict] = {}   # (owner, dataset) -> info
        self.page_size_cap = 100
        self.bodies: list[tuple[str, dict]] = []

    def host_map(self) -> dict[str, str]:
        return {"api.kaggle.com": self.base, "storage.googleapis.com": self.gcs.base}

    def add_model(self, owner, model, framework_enum, variation, versions: dict[int, dict[str, bytes]], *,
                  private=False, gated=False):
        self.models[(owner, model, framework_enum, variation)] = {
            "versions": versions, "private": private, "gated": gated}

    def add_dataset(self, owner, dataset, versions: dict[int, dict[str, bytes]], *, private=False):
        self.datasets[(owner, dataset)] = {"versions": versions, "private": private}

    def _auth(self, request) -> str | None:
        """'ok', 'bad' or None (no credentials)."""
        h = request.headers.get("Authorization", "")
        if not h:
            return None
        if h.startswith("Basic "):
            user, _, key = base64.b64decode(h[6:]).decode().partition(":")
            return "ok" if (user, key) == (self.USER, self.KEY) else "bad"
        return "bad"

    @staticmethod
    def err(status: int, message: str) -> web.Response:
        # kagglesdk kaggle_http_client.py (_prepare_response: JSON "code" >= 400 + "message")
        return web.json_response({"code": status, "message": message}, status=status)

    def _gate(self, request, info) -> web.Response | None:
        auth = self._auth(request)
        if auth == "bad":
            return self.err(401, "Unauthenticated")
        if info["private"] and auth != "ok":
            return self.err(404, "Not found")          # private resources look missing
        if info.get("gated") and auth != "ok":
            return self.err(403, "Permission denied: accept the model's terms")
        return None

    async def handle(self, request):
        service, _, method = request.path.removeprefix("/v1/").partition("/")
        if request.method != "POST" or request.headers.get("Content-Type", "").split(";")[0] != "application/json":
            return self.err(400, "bad request")
        body = await request.json()
        self.bodies.append((method, body))
        if service == "models.ModelApiService":
            return await self._model(request, method, body)
        if service == "datasets.DatasetApiService":
            return await self._dataset(request, method, body)
        return self.err(404, "no such service")

    async def _model(self, request, method, body):
        # kagglesdk kagglesdk/models/types/model_api_service.py (field names) and
        # Kaggle/kagglehub src/kagglehub/http_resolver.py (ModelHttpResolver, _list_model_files)
        key = (body.get("ownerSlug"), body.get("modelSlug"), body.get("framework"), body.get("instanceSlug"))
        info = self.models.get(key)
        if info is None:
            return self.err(404, "Model instance not found")
        bad = self._gate(request, info)
        if bad:
            return bad
        if method == "GetModelInstance":
            return web.json_response({"id": 7, "slug": key[3], "framework": key[2],
                                      "versionNumber": max(info["versions"])})
        files = info["versions"].get(body.get("versionNumber"))
        if files is None:
            return self.err(404, "Version not found")
        if method == "ListModelInstanceVersionFiles":
            names = sorted(files)
            start = int(body.get("pageToken") or 0)
            size = min(int(body.get("pageSize") or 25), self.page_size_cap)
            page = names[start:start + size]
            nxt = str(start + size) if start + size < len(names) else ""
            return web.json_response({"files": [{"name": n, "size": len(files[n])} for n in page],
                                      "nextPageToken": nxt})
        if method == "DownloadModelInstanceVersion":
            # HttpRedirect answer (kagglesdk kagglesdk/common/types/http_redirect.py)
            path = body.get("path")
            if path not in files:
                return self.err(404, f"File {path} not found")
            loc = self.gcs.sign(f"kaggle-models-data/{key[0]}/{key[1]}/{body['versionNumber']}/{path}",
                                files[path])
            return web.Response(status=302, headers={"Location": loc})
        return self.err(404, "no such method")

    async def _dataset(self, request, method, body):
        # kagglesdk kagglesdk/datasets/types/dataset_api_service.py (field names) and
        # Kaggle/kagglehub src/kagglehub/http_resolver.py (DatasetHttpResolver, _get_current_version)
        key = (body.get("ownerSlug"), body.get("datasetSlug"))
        info = self.datasets.get(key)
        if info is None:
            return self.err(404, "Dataset not found")
        bad = self._gate(request, info)
        if bad:
            return bad
        if method == "GetDataset":
            return web.json_response({"ref": "/".join(key), "currentVersionNumber": max(info["versions"])})
        files = info["versions"].get(body.get("datasetVersionNumber"))
        if files is None:
            return self.err(404, "Version not found")
        if method == "ListDatasetFiles":
            names = sorted(files)
            start = int(body.get("pageToken") or 0)
            size = int(body.get("pageSize") or 20)
            page = names[start:start + size]
            nxt = str(start + size) if start + size < len(names) else None
            out = {"datasetFiles": [{"ref": n, "name": n, "totalBytes": len(files[n])} for n in page]}
            if nxt:
                out["nextPageToken"] = nxt
            return web.json_response(out)
        if method == "DownloadDataset":
            name = body.get("fileName")
            if name is None:       # the whole version as one archive
                buf = io.BytesIO()
                with zipfile.ZipFile(buf, "w") as z:
                    for n, d in sorted(files.items()):
                        z.writestr(n, d)
                data, obj = buf.getvalue(), f"{key[1]}.zip"
            elif name in files:
                data, obj = files[name], name
            else:
                return self.err(404, f"File {name} not found")
            loc = self.gcs.sign(f"kaggle-data-sets/{key[0]}/{key[1]}/{body['datasetVersionNumber']}/{obj}", data)
            return web.Response(status=302, headers={"Location": loc})
        return self.err(404, "no such method")


class MockOllama(MockHost):
    """registry.ollama.ai and the CDN its blob requests redirect to."""

    def __init__(self) -> None:
        super().__init__()
        self.models: dict[tuple[str, str, str], bytes] = {}      # (ns, model, tag) -> manifest bytes
        self.blobs: dict[str, bytes] = {}                          # hex -> data
        self.private: set[tuple[str, str]] = set()
        self.corrupt: set[str] = set()                             # hex of blobs served wrong
        # host written into the blob redirects; None: this mock as http://localhost:<port>
        # (another host name, reachable by a CLI subprocess without a host map for it)
        self.cdn_host: str | None = "https://dd20bb891979d25aebc8bec07b2b3bbc.r2.cloudflarestorage.com"

    def host_map(self) -> dict[str, str]:
        return {"registry.ollama.ai": self.base, "dd20bb891979d25aebc8bec07b2b3bbc.r2.cloudflarestorage.com": self.base}

    def add_model(self, ns: str, model: str, tag: str, layers: dict[str, bytes], config: bytes) -> bytes:
        def desc(media: str, data: bytes) -> dict:
            h = hashlib.sha256(data).hexdigest()
            self.blobs[h] = data
            return {"mediaType": media, "digest": f"sha256:{h}", "size": len(data)}
        manifest = {"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                    "config": desc("application/vnd.docker.container.image.v1+json", config),
                    "layers": [desc(m, d) for m, d in layers.items()]}
        raw = json.dumps(manifest, indent=None, separators=(",", ":")).encode()
        self.models[(ns, model, tag)] = raw
        return raw

    async def handle(self, request):
        parts = [p for p in request.path.split("/") if p]
        # ollama server/images.go (pullModelManifest: GET /v2/<ns>/<model>/manifests/<tag>,
        # Accept application/vnd.docker.distribution.manifest.v2+json; 401 + WWW-Authenticate
        # for private models, 404 unknown)
        if parts[:1] == ["v2"] and len(parts) == 5 and parts[3] == "manifests":
            ns, model, tag = parts[1], parts[2], parts[4]
            if (ns, model) in self.private:
                return web.Response(status=401, headers={
                    "WWW-Authenticate": 'Bearer realm="https://ollama.com:443/token",service="ollama.com",'
                                        f'scope="repository:{ns}/{model}:pull"'})
            raw = self.models.get((ns, model, tag))
            if raw is None or "manifest.v2+json" not in request.headers.get("Accept", ""):
                return web.json_response({"errors": [{"code": "MANIFEST_UNKNOWN",
                                                      "message": "manifest unknown"}]}, status=404)
            if request.method == "HEAD":
                return web.Response(headers={"Content-Length": str(len(raw))})
            return await serve_bytes(request, raw, {"Content-Type": "application/vnd.docker.distribution.manifest.v2+json",
                                                    "Docker-Content-Digest": "sha256:" + hashlib.sha256(raw).hexdigest()})
        # ollama server/download.go (downloadBlob / run: GET /v2/<ns>/<model>/blobs/<digest>
        # answers 307 to the CDN; the client stops at the first redirect to another host)
        if parts[:1] == ["v2"] and len(parts) == 5 and parts[3] == "blobs":
            hexd = parts[4].removeprefix("sha256:")
            if hexd not in self.blobs:
                return web.json_response({"errors": [{"code": "BLOB_UNKNOWN"}]}, status=404)
            cdn = self.cdn_host or f"http://localhost:{self.port}"
            return web.Response(status=307, headers={
                "Location": f"{cdn}/ollama/docker/registry/v2/blobs/sha256/{hexd[:2]}/{hexd}/data"})
        if parts[:4] == ["ollama", "docker", "registry", "v2"]:
            hexd = parts[-2]
            data = self.blobs.get(hexd)
            if data is None:
                return web.Response(status=404)
            if hexd in self.corrupt:
                data = bytes([data[0] ^ 1]) + data[1:]
            return await serve_bytes(request, data)
        return web.Response(status=404)


class MockHFRevisions(MockHF):
    """MockHF with named revisions: ``add_revision(prefix, "v1.0", files)`` serves those
    files under /tree/v1.0 and /resolve/v1.0 (huggingface_hub file_download.py /
    hf_api.py list_repo_tree take the revision in the same path place as "main")."""

    def __init__(self, cdn) -> None:
        super().__init__(cdn)
        self.revs: dict[tuple[str, str], str] = {}

    def add_revision(self, prefix: str, rev: str, files: dict[str, bytes]) -> None:
        alias = f"rev~{rev}/{prefix}" if "/" in prefix else f"rev~{rev}/x/{prefix}"
        self.add_repo(alias, files)
        self.revs[(prefix, rev)] = alias

    async def handle(self, request):
        path = request.path
        for (prefix, rev), alias in self.revs.items():
            for action in ("tree", "resolve"):
                marker = f"{prefix}/{action}/{rev}"
                if marker in path:
                    new = path.replace(marker, f"{alias}/{action}/main", 1)
                    q = f"?{request.query_string}" if request.query_string else ""
                    return await super().handle(request.clone(rel_url=new + q))
        return await super().handle(request)
