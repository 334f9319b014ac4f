"""Where the files of a repo or folder link go, and the list the add dialog shows.

``layout_dir`` places a file of a repo below the target folder with the repo's
own folders (never outside it: ``..``, absolute paths and drive letters are
refused). ``preview_files`` resolves pasted links to their files.

Which files to take (``--include/--exclude/--revision`` in the link's fragment)
is core/linkoptions.py; its names are also reachable from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .errors import ZhilianError
from .linkoptions import (
    LinkOptions,
    apply_options,
    exact_pattern,
    keeps,
    link_options,
    select,
    with_options,
    without_options,
)
from .models import Resolved


@dataclass
class LinkFiles:
    """What the add dialog lists for one pasted link."""
    url: str
    password: str | None
    files: list[Resolved]
    error: str | None = None


def preview_files(text: str) -> list[LinkFiles]:
    """Blocking (run it off the GUI thread): every link in ``text`` resolved to its
    files, with the logins stored in Accounts; a failing link carries its message."""
    import asyncio

    from .linkparse import parse_links

    async def go() -> list[LinkFiles]:
        from . import resolve as resolving
        from .http import lazy_aiohttp as aiohttp
        out = []
        async with aiohttp.ClientSession() as session:
            ctx = resolving.make_context(session)
            for link in parse_links(text):
                try:
                    out.append(LinkFiles(link.url, link.password, await resolving.resolve_link(link, ctx)))
                except ZhilianError as e:
                    out.append(LinkFiles(link.url, link.password, [], str(e)))
        return out
    return asyncio.run(go())


def safe_relpath(path: str) -> PurePosixPath:
    """A relative path from a remote listing, refused when it would leave the folder."""
    p = PurePosixPath(path.replace("\\", "/"))
    parts = [x for x in p.parts if x not in ("", ".")]
    if (not parts or p.is_absolute() or any(x == ".." for x in parts)
            or (parts and len(parts[0]) >= 2 and parts[0][1] == ":")):
        raise ZhilianError(f"Refusing a file path that leaves the target folder: {path!r}")
    return PurePosixPath(*parts)


def layout_dir(base: Path, resolved: Resolved) -> Path:
    """The folder a file goes to: ``base`` plus its folders inside the repo when its
    resolver keeps the layout (Hugging Face, Kaggle, Ollama …), else ``base``."""
    if not resolved.path or "/" not in resolved.path.strip("/"):
        return base
    try:
        from .resolvers import get
        keep = get(resolved.resolver).keep_layout
    except KeyError:
        keep = False
    if not keep:
        return base
    return base.joinpath(*safe_relpath(resolved.path).parent.parts)


__all__ = ["LinkFiles", "preview_files", "keeps", "exact_pattern", "LinkOptions", "link_options", "with_options", "apply_options", "without_options", "select",
           "layout_dir", "safe_relpath"]
