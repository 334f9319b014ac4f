"""The Ollama model registry: ``https://ollama.com/library/<model>[:<tag>]``,
``https://ollama.com/<user>/<model>[:<tag>]``, ``registry.ollama.ai/…``.

Protocol (ollama ``server/images.go`` ``pullModelManifest`` / ``server/download.go``
``downloadBlob``, names from ``types/model/name.go``):

1. ``GET https://registry.ollama.ai/v2/<namespace>/<model>/manifests/<tag>`` with
   ``Accept: application/vnd.docker.distribution.manifest.v2+json`` -> the
   manifest: ``{schemaVersion, mediaType, config: {digest, size, mediaType},
   layers: [{digest, size, mediaType}]}``.  Namespace defaults to ``library``,
   tag to ``latest``.  404 = no such model or tag.
2. Each layer and the config is a blob: ``GET /v2/<namespace>/<model>/blobs/
   sha256:<hex>``; the registry answers 307 to its CDN (the engine follows it
   for every connection).  Every blob is verified against its sha256.

Files come out in the layout ``ollama`` reads (``manifest/paths.go``)::

    blobs/sha256-<hex>
    manifests/registry.ollama.ai/<namespace>/<model>/<tag>

the manifest last and byte for byte as the registry sent it (its sha256 is
checked too), so a models folder (``~/.ollama/models`` or ``OLLAMA_MODELS``) that
receives these files lists the model in ``ollama list``.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ..errors import NeedLogin, NotFound, ResolveError, UnsupportedLink
from ..models import Link, Mirror, Resolved
from ._web import common_errors, fetch
from .base import Resolver, ResolverContext

REGISTRY = "registry.ollama.ai"
MANIFEST_TYPE = "application/vnd.docker.distribution.manifest.v2+json"
_PART = r"[A-Za-z0-9_][A-Za-z0-9._-]{0,79}"
_NOT_MODELS = ("search", "download", "blog", "settings", "signin", "signup", "public", "models", "api")


def parse_ollama_url(url: str) -> tuple[str, str, str]:
    """(namespace, model, tag) of a pasted link (ollama ``ParseName`` defaults)."""
    parts = [unquote(p) for p in urlsplit(url).path.split("/") if p]
    if parts[:1] == ["v2"] and len(parts) >= 5 and parts[3] in ("manifests", "blobs"):
        ns, model, tag = parts[1], parts[2], parts[4] if parts[3] == "manifests" else "latest"
    else:
        if parts and parts[-1] in ("tags", "blobs"):
            parts = parts[:-1]
        if parts and parts[0] in _NOT_MODELS:
            raise UnsupportedLink("Not an Ollama model link (expected ollama.com/library/<model>:<tag>)")
        if len(parts) == 1:
            parts = ["library", parts[0]]
        if len(parts) != 2:
            raise UnsupportedLink("Not an Ollama model link (expected ollama.com/library/<model>:<tag>)")
        ns, rest = parts
        model, _, tag = rest.partition(":")
        tag = tag or "latest"
    for p in (ns, model, tag):
        if not re.fullmatch(_PART, p):
            raise UnsupportedLink(f"Not a valid Ollama model name part: {p!r}")
    return ns, model, tag


def default_models_dir(env: dict[str, str]) -> Path | None:
    """The models folder a local ``ollama`` uses, when it exists: ``OLLAMA_MODELS``,
    else ``~/.ollama/models`` (ollama ``envconfig.Models``)."""
    for cand in (env.get("OLLAMA_MODELS"), str(Path(env.get("HOME") or Path.home()) / ".ollama" / "models")):
        if cand and Path(cand).expanduser().is_dir():
            return Path(cand).expanduser()
    return None


class OllamaResolver(Resolver):
    name = "ollama"
    hosts = ("ollama.com", REGISTRY)
    priority = 20
    keep_layout = True

    async def resolve(self, link: Link, ctx: ResolverContext) -> list[Resolved]:
        ns, model, tag = parse_ollama_url(link.url)
        base = f"https://{REGISTRY}/v2/{ns}/{model}"
        name = f"{model}:{tag}" if ns == "library" else f"{ns}/{model}:{tag}"
        ans = await fetch(ctx, f"{base}/manifests/{tag}", headers={"Accept": MANIFEST_TYPE})
        if ans.status == 404:
            raise NotFound(f"Ollama has no model {name} (check the name and the tag)")
        if ans.status == 401:
            raise NeedLogin(REGISTRY, message=(
                f"Ollama model {name} is private: Zhilian does not sign registry requests with an "
                "ollama key; pull it with `ollama pull`"))
        common_errors(ans, f"Ollama model {name}")
        if ans.status >= 400:
            raise ResolveError(f"The Ollama registry answered HTTP {ans.status} for {name}")
        try:
            manifest = json.loads(ans.body)
            layers = list(manifest.get("layers") or [])
            if manifest.get("config", {}).get("digest"):
                layers.append(manifest["config"])
        except (ValueError, AttributeError, TypeError):
            raise ResolveError(f"The Ollama registry sent an unreadable manifest for {name}") from None
        out: list[Resolved] = []
        seen: set[str] = set()
        for layer in layers:
            digest = str(layer.get("digest") or "")
            m = re.fullmatch(r"sha256[:-]([0-9a-fA-F]{64})", digest)
            if not m:
                raise ResolveError(f"The manifest of {name} has a layer without a sha256 digest")
            hexd = m.group(1).lower()
            if hexd in seen:
                continue
            seen.add(hexd)
            out.append(Resolved(
                mirrors=[Mirror(ctx.url(f"{base}/blobs/sha256:{hexd}"))], filename=f"sha256-{hexd}",
                size=int(layer.get("size") or 0) or None, sha256=hexd, resolver=self.name,
                ref={"link": link.url, "digest": hexd}, path=f"blobs/sha256-{hexd}"))
        out.append(Resolved(
            mirrors=[Mirror(ctx.url(f"{base}/manifests/{tag}"), headers={"Accept": MANIFEST_TYPE})],
            filename=tag, size=len(ans.body), sha256=hashlib.sha256(ans.body).hexdigest(),
            resolver=self.name, ref={"link": link.url, "manifest": f"{ns}/{model}:{tag}"},
            path=f"manifests/{REGISTRY}/{ns}/{model}/{tag}"))
        return out
