"""Resolver registry: every module in this package that defines a ``Resolver``
subclass with a ``name`` is registered; ``find(url)`` picks one by URL."""

from __future__ import annotations

import importlib
import re
from urllib.parse import urlsplit

from .base import Resolver, ResolverContext

_registry: dict[str, Resolver] | None = None


def registry() -> dict[str, Resolver]:
    global _registry
    if _registry is None:
        import pkgutil  # (a plain link never needs the registry: see KNOWN_HOSTS)
        found: dict[str, Resolver] = {}
        for mod in pkgutil.iter_modules(__path__):
            if mod.name.startswith("_") or mod.name == "base":
                continue
            m = importlib.import_module(f"{__name__}.{mod.name}")
            for obj in vars(m).values():
                if (isinstance(obj, type) and issubclass(obj, Resolver) and obj is not Resolver
                        and obj.name and obj.__module__ == m.__name__):
                    found[obj.name] = obj()
        _registry = found
    return _registry


# The hosts the host-specific resolvers answer for, known without importing them: a plain
# link (no host below) needs only the direct resolver, so `get` of a plain link does not
# import the twenty others (a tenth of its start-up). tests/resolvers check this against
# every resolver's ``hosts`` and ``matches``. A link to any host below goes through the
# whole registry as before.
KNOWN_HOSTS = (
    "alipan.com", "aliyundrive.com", "pan.baidu.com", "yun.baidu.com", "civitai.com",
    "civitai.green", "civitai.red", "dropbox.com", "drive.google.com", "docs.google.com",
    "drive.usercontent.google.com", "github.com", "huggingface.co", "hf.co", "hf-mirror.com",
    "kaggle.com", "lanzoux.com", "lanzoui.com", "lanzn.com", "ilanzou.com", "modelscope.cn",
    "modelscope.ai", "ollama.com", "registry.ollama.ai", "1drv.ms", "onedrive.live.com",
    "123pan.com", "123pan.cn", "123684.com", "123865.com", "123912.com", "pan.quark.cn",
    "sharepoint.com", "cloud.189.cn", "drive.uc.cn", "fast.uc.cn", "pan.xunlei.com",
)
KNOWN_HOST_RE = re.compile(r"(?:^|\.)(?:lanzou[a-z]|lanzou|lanzn|lanzv|woozooo)\.com$")   # lanzou's own
_direct: Resolver | None = None


def _plain(url: str) -> bool:
    """No host-specific resolver can claim this URL (its host is none of KNOWN_HOSTS)."""
    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        return False
    return not (KNOWN_HOST_RE.search(host) or any(host == h or host.endswith("." + h) for h in KNOWN_HOSTS))


def find(url: str) -> Resolver | None:
    """The best resolver for a URL, or None (then it is a plain direct link)."""
    global _direct
    if _registry is None and _plain(url):
        if _direct is None:
            from .direct import DirectResolver
            _direct = DirectResolver()
        return _direct if _direct.matches(url) else None
    cands = [r for r in registry().values() if r.matches(url)]
    return min(cands, key=lambda r: r.priority) if cands else None


def get(name: str) -> Resolver:
    return registry()[name]


__all__ = ["Resolver", "ResolverContext", "registry", "find", "get"]
