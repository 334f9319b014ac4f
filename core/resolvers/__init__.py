"""Resolver registry: every module in this package that defines a ``Resolver``
subclass with a ``name`` is registered; ``find(url)`` picks one by URL."""

from __future__ import annotations

import importlib
import pkgutil

from .base import Resolver, ResolverContext

_registry: dict[str, Resolver] | None = None


def registry() -> dict[str, Resolver]:
    global _registry
    if _registry is None:
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


def find(url: str) -> Resolver | None:
    """The best resolver for a URL, or None (then it is a plain direct link)."""
    cands = [r for r in registry().values() if r.matches(url)]
    return min(cands, key=lambda r: r.priority) if cands else None


def get(name: str) -> Resolver:
    return registry()[name]


__all__ = ["Resolver", "ResolverContext", "registry", "find", "get"]
