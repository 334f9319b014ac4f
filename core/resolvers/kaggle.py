"""Kaggle models and datasets.

Links understood::

    https://www.kaggle.com/models/<owner>/<model>/<framework>/<variation>[/<version>]
    https://www.kaggle.com/models/<owner>/<model>/<framework>/<variation>/versions/<version>
    https://www.kaggle.com/datasets/<owner>/<dataset>[/versions/<version>]

Protocol (kagglehub ``src/kagglehub/http_resolver.py`` through kagglesdk
``kaggle_http_client.py``): every call is ``POST https://api.kaggle.com/v1/
<service>/<method>`` with a JSON body of camelCase fields.

- Models: ``models.ModelApiService/GetModelInstance`` ``{ownerSlug, modelSlug,
  framework: "MODEL_FRAMEWORK_PY_TORCH", instanceSlug}`` -> ``versionNumber``
  when the link names no version; ``ListModelInstanceVersionFiles`` (+
  ``versionNumber``, ``pageSize``, ``pageToken``) -> ``files[{name, size}]``,
  ``nextPageToken``; ``DownloadModelInstanceVersion`` (+ ``path``) answers a
  redirect to a signed Google Cloud Storage URL (``X-Goog-Date`` +
  ``X-Goog-Expires``: the engine renews it through ``refresh``).
- Datasets: ``datasets.DatasetApiService/GetDataset`` -> ``currentVersionNumber``;
  ``ListDatasetFiles`` -> ``datasetFiles[{name, totalBytes}]``; ``DownloadDataset``
  ``{ownerSlug, datasetSlug, datasetVersionNumber, fileName}`` -> redirect.  A
  dataset of more than ``MAX_DIRECT`` files is fetched as the one archive
  ``DownloadDataset`` gives without ``fileName`` (kagglehub does the same for
  big bundles); ``--include``/``--exclude`` are applied first.

Login (kagglehub ``config.py``): HTTP Basic with the username and API key, taken
from Accounts (token ``username:key`` of kaggle.com), else ``KAGGLE_USERNAME`` +
``KAGGLE_KEY``, else ``kaggle.json`` in ``KAGGLE_CONFIG_DIR`` or ``~/.kaggle``;
``KAGGLE_API_TOKEN`` is sent as a Bearer token.  Public models and datasets work
without; 401/403 mean a login (or accepting the model's terms) is needed.
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from ..accounts.hosts import creds_for
from ..errors import NeedLogin, NotFound, ResolveError, UnsupportedLink
from ..expiry import url_expires_at
from ..linkoptions import link_options, select
from ..models import Link, Mirror, Resolved
from ._shares import ShareCache, api_json, login_digest
from ._web import Answer, common_errors, fetch
from .base import Resolver, ResolverContext

API = "https://api.kaggle.com/v1"
WEB = "https://www.kaggle.com"
MAX_DIRECT = 200          # more files than this: the dataset's archive instead
MAX_FILES = 20000
_cache = ShareCache(ttl=300)
_LOGIN_HOWTO = ("create an API key at kaggle.com/settings and store it: zhilian accounts set "
                "kaggle.com --token - (as username:key), or set KAGGLE_USERNAME and KAGGLE_KEY, "
                "or keep it in ~/.kaggle/kaggle.json")


def framework_enum(name: str) -> str:
    """``pyTorch`` / ``PyTorch`` / ``transformers`` -> ``MODEL_FRAMEWORK_PY_TORCH`` …
    (kagglehub ``enum.py`` ``to_enum``: camelCase to UPPER_SNAKE)."""
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).upper().replace("-", "_")
    known = {"PYTORCH": "PY_TORCH", "TENSORFLOW1": "TENSOR_FLOW_1", "TENSORFLOW2": "TENSOR_FLOW_2",
             "TFLITE": "TF_LITE", "TFJS": "TF_JS", "SCIKITLEARN": "SCIKIT_LEARN", "GEMMACPP": "GEMMA_CPP",
             "MAXTEXT": "MAX_TEXT", "TENSORRTLLM": "TENSOR_RT_LLM"}
    snake = known.get(snake.replace("_", ""), snake)
    return f"MODEL_FRAMEWORK_{snake}"


class _Handle:
    def __init__(self, kind: str, owner: str, slug: str, framework: str = "", variation: str = "",
                 version: int | None = None):
        self.kind, self.owner, self.slug = kind, owner, slug
        self.framework, self.variation, self.version = framework, variation, version

    @property
    def label(self) -> str:
        if self.kind == "model":
            return f"{self.owner}/{self.slug}/{self.framework}/{self.variation}"
        return f"{self.owner}/{self.slug}"

    def model_body(self) -> dict[str, Any]:
        return {"ownerSlug": self.owner, "modelSlug": self.slug,
                "framework": framework_enum(self.framework), "instanceSlug": self.variation}

    def to_ref(self) -> dict[str, Any]:
        return {"kind": self.kind, "owner": self.owner, "slug": self.slug, "framework": self.framework,
                "variation": self.variation, "version": self.version}


def parse_kaggle_url(url: str) -> _Handle:
    parts = [unquote(p) for p in urlsplit(url).path.split("/") if p]
    if "versions" in parts:
        i = parts.index("versions")
        if i + 1 < len(parts) and parts[i + 1].isdigit():
            parts = parts[:i] + [parts[i + 1]] + parts[i + 2:]
    if parts[:1] == ["models"]:
        if len(parts) < 5:
            raise UnsupportedLink("This Kaggle model link names no variation: open the model page, "
                                  "pick a framework and variation and paste that link "
                                  "(kaggle.com/models/<owner>/<model>/<framework>/<variation>)")
        version = int(parts[5]) if len(parts) > 5 and parts[5].isdigit() else None
        return _Handle("model", parts[1], parts[2], parts[3], parts[4], version)
    if parts[:1] == ["datasets"] and len(parts) >= 3:
        version = int(parts[3]) if len(parts) > 3 and parts[3].isdigit() else None
        return _Handle("dataset", parts[1], parts[2], version=version)
    raise UnsupportedLink("Zhilian downloads Kaggle models and datasets "
                          "(kaggle.com/models/… or kaggle.com/datasets/…)")


def _auth(ctx: ResolverContext) -> dict[str, str]:
    tok = creds_for(ctx.credentials, "kaggle.com").get("token")
    user = key = None
    if tok and ":" in str(tok):
        user, key = str(tok).split(":", 1)
    elif ctx.env.get("KAGGLE_USERNAME") and ctx.env.get("KAGGLE_KEY"):
        user, key = ctx.env["KAGGLE_USERNAME"], ctx.env["KAGGLE_KEY"]
    else:
        folder = ctx.env.get("KAGGLE_CONFIG_DIR") or str(Path(ctx.env.get("HOME") or Path.home()) / ".kaggle")
        try:
            data = json.loads((Path(folder) / "kaggle.json").read_text(encoding="utf-8"))
            user, key = str(data["username"]), str(data["key"])
        except (OSError, ValueError, KeyError, TypeError):
            pass
    if user and key:
        return {"Authorization": "Basic " + base64.b64encode(f"{user}:{key}".encode()).decode()}
    bearer = str(tok) if tok else ctx.env.get("KAGGLE_API_TOKEN")
    return {"Authorization": f"Bearer {bearer}"} if bearer else {}


class KaggleResolver(Resolver):
    name = "kaggle"
    hosts = ("kaggle.com",)
    priority = 20
    keep_layout = True

    async def _call(self, ctx: ResolverContext, service: str, method: str, body: dict[str, Any],
                    h: _Handle, what: str) -> dict[str, Any]:
        headers = {"User-Agent": "Zhilian", "Accept": "application/json", **_auth(ctx)}
        status, ans = await api_json(ctx, "POST", f"{API}/{service}/{method}", headers=headers,
                                     body=body, host="Kaggle")
        code = int(ans.get("code") or 0) if isinstance(ans, dict) and str(ans.get("code", "")).isdigit() else 0
        if status >= 400 or code >= 400:
            self._raise(status if status >= 400 else code, ans, h, what, bool(headers.get("Authorization")))
        if not isinstance(ans, dict):
            raise ResolveError(f"Kaggle answered something unexpected (HTTP {status})")
        return ans

    @staticmethod
    def _raise(status: int, ans: Any, h: _Handle, what: str, has_login: bool) -> None:
        msg = str(ans.get("message") or "") if isinstance(ans, dict) else ""
        page = f"{WEB}/{h.kind}s/{h.label}"
        if status == 401:
            if has_login:
                raise NeedLogin("kaggle.com", message="Kaggle rejected your API key: " + _LOGIN_HOWTO)
            raise NeedLogin("kaggle.com", message=f"Kaggle wants a login for {h.label}: " + _LOGIN_HOWTO)
        if status == 403:
            raise NeedLogin("kaggle.com", message=(
                f"Kaggle refused {h.label}: accept its terms at {page} with the account of your API key"
                + ("" if has_login else ", then " + _LOGIN_HOWTO)))
        if status == 404:
            raise NotFound(f"Kaggle has no {what}" + (f" ({msg})" if msg else ""))
        common_errors(Answer(status, {}, b"", page, False), f"Kaggle {h.label}")
        raise ResolveError(f"Kaggle answered HTTP {status} for {h.label}" + (f": {msg}" if msg else ""))

    async def resolve(self, link: Link, ctx: ResolverContext) -> list[Resolved]:
        h = parse_kaggle_url(link.url)
        ck = (link.url, login_digest(_auth(ctx)))
        hit = _cache.get(ck, ctx.clock())
        if hit is not None:
            return hit
        if h.version is None:
            h.version = await self._current_version(ctx, h)
        files = await self._list(ctx, h)
        if not files:
            raise NotFound(f"Kaggle {h.kind} {h.label} has no files")
        listed = [Resolved(mirrors=[], filename=n.rsplit("/", 1)[-1], size=s or None, path=n,
                           resolver=self.name) for n, s in files]
        listed = select(listed, link_options(link.url), f"Kaggle {h.kind} {h.label}")
        if h.kind == "dataset" and len(listed) > MAX_DIRECT:
            listed = [Resolved(mirrors=[], filename=f"{h.slug}.zip", path=None, resolver=self.name)]
        out = []
        for r in listed:
            ref = {"link": link.url, **h.to_ref(), "path": r.path}
            r.mirrors = [await self._mirror(ctx, ref)]
            r.expires_at, r.ref = r.mirrors[0].expires_at, ref
            out.append(r)
        _cache.put(ck, out, ctx.clock())
        return out

    async def _current_version(self, ctx: ResolverContext, h: _Handle) -> int:
        if h.kind == "model":
            ans = await self._call(ctx, "models.ModelApiService", "GetModelInstance", h.model_body(), h,
                                   f"model variation {h.label}")
            v = ans.get("versionNumber")
        else:
            ans = await self._call(ctx, "datasets.DatasetApiService", "GetDataset",
                                   {"ownerSlug": h.owner, "datasetSlug": h.slug}, h, f"dataset {h.label}")
            v = ans.get("currentVersionNumber")
        if not isinstance(v, int) or v <= 0:
            raise ResolveError(f"Kaggle did not say which version of {h.label} is current")
        return v

    async def _list(self, ctx: ResolverContext, h: _Handle) -> list[tuple[str, int]]:
        out: list[tuple[str, int]] = []
        token = ""
        while True:
            if h.kind == "model":
                body = {**h.model_body(), "versionNumber": h.version, "pageSize": 100}
                if token:
                    body["pageToken"] = token
                ans = await self._call(ctx, "models.ModelApiService", "ListModelInstanceVersionFiles",
                                       body, h, f"version {h.version} of {h.label}")
                out += [(str(f["name"]), int(f.get("size") or 0)) for f in ans.get("files") or []]
            else:
                body = {"ownerSlug": h.owner, "datasetSlug": h.slug, "datasetVersionNumber": h.version,
                        "pageSize": 200}
                if token:
                    body["pageToken"] = token
                ans = await self._call(ctx, "datasets.DatasetApiService", "ListDatasetFiles", body, h,
                                       f"version {h.version} of dataset {h.label}")
                if ans.get("errorMessage"):
                    raise ResolveError(f"Kaggle: {ans['errorMessage']}")
                out += [(str(f["name"]), int(f.get("totalBytes") or 0)) for f in ans.get("datasetFiles") or []]
            if len(out) > MAX_FILES:
                raise ResolveError(f"Kaggle {h.kind} {h.label} holds more than {MAX_FILES} files")
            token = str(ans.get("nextPageToken") or "")
            if not token:
                return out

    async def _mirror(self, ctx: ResolverContext, ref: dict[str, Any]) -> Mirror:
        h = _Handle(ref["kind"], ref["owner"], ref["slug"], ref.get("framework") or "",
                    ref.get("variation") or "", ref.get("version"))
        if h.kind == "model":
            service, method = "models.ModelApiService", "DownloadModelInstanceVersion"
            body = {**h.model_body(), "versionNumber": h.version}
            if ref.get("path"):
                body["path"] = ref["path"]
        else:
            service, method = "datasets.DatasetApiService", "DownloadDataset"
            body = {"ownerSlug": h.owner, "datasetSlug": h.slug, "datasetVersionNumber": h.version}
            if ref.get("path"):
                body["fileName"] = ref["path"]
        headers = {"User-Agent": "Zhilian", "Content-Type": "application/json", **_auth(ctx)}
        ans = await fetch(ctx, f"{API}/{service}/{method}", method="POST", headers=headers,
                          data=json.dumps(body).encode(), follow=False)
        loc = ans.headers.get("Location")
        if ans.status in (301, 302, 303, 307, 308) and loc:
            return Mirror(url=ctx.url(loc), expires_at=url_expires_at(loc))
        if ans.status >= 400:
            try:
                parsed = ans.json()
            except ResolveError:
                parsed = None
            self._raise(ans.status, parsed, h, f"file {ref.get('path') or h.slug} in {h.label}",
                        bool(headers.get("Authorization")))
        raise ResolveError(f"Kaggle gave no download address for {ref.get('path') or h.label}")

    async def refresh(self, resolved: Resolved, ctx: ResolverContext) -> list[Mirror]:
        """A freshly signed storage URL for the same file."""
        if not resolved.ref.get("kind"):
            return await super().refresh(resolved, ctx)
        return [await self._mirror(ctx, resolved.ref)]
