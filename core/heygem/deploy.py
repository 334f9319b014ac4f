"""One command for the ``start_app.sh`` flow of HeyGem deployment guides:

check free space -> download each missing model to ``<file>.part`` (resumable, several
connections, verified) -> rename when complete -> hand it off into the install (checked,
atomic, recorded) -> optionally start the app and wait until it answers.

Downloads are staged in ``<install>/.zhilian-downloads/`` so that the final move into place
is a rename on the same disk and an interrupted run resumes where it stopped.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Callable
from urllib.parse import unquote, urlsplit

from ..errors import DiskFull, ZhilianError, human_bytes
from ..models import Mirror
from . import catalog as _catalog
from .detect import DOCKER_EXPLANATION, Install
from .handoff import BadModelFile, HandoffResult, check_content, handoff_file, sha256_file

STAGING = ".zhilian-downloads"
WORK_SPACE = 5 * 1000 ** 3   # start_app.sh of the guides checks for 5 GB free


class DeployError(ZhilianError):
    pass


@dataclass
class DeployItem:
    name: str
    rel_path: str
    mirrors: list[Mirror]
    size: int | None = None
    sha256: str | None = None
    md5: str | None = None
    approx_size: int | None = None

    @property
    def staging_name(self) -> str:
        return self.rel_path.replace("/", "__")


@dataclass
class DeployReport:
    placed: list[HandoffResult] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    started: object = None          # health.StartResult when --start


def _url_name(url: str) -> str:
    return unquote(PurePosixPath(urlsplit(url).path).name)


def _load_items(manifest: Path) -> list[DeployItem]:
    from ..manifest import load_manifest
    return [DeployItem(name=mf.name or "", rel_path=mf.path or "", mirrors=list(mf.mirrors), size=mf.size,
                       sha256=mf.sha256, md5=mf.md5)
            for mf in load_manifest(manifest)]


def _file_name(item: DeployItem) -> str:
    if item.name and PurePosixPath(item.name).suffix:
        return PurePosixPath(item.name).name
    for m in item.mirrors:
        n = _url_name(m.url)
        if n:
            return n
    return item.name


def plan_from_manifest(inst: Install, manifest: str | os.PathLike) -> list[DeployItem]:
    """Items of a user manifest, each with the place it goes in this install."""
    items = _load_items(Path(manifest))
    if not items:
        raise DeployError(f"Manifest {manifest} lists no files")
    for it in items:
        if not it.mirrors:
            raise DeployError(f"Manifest entry {it.name or '?'} has no download URL")
        if it.rel_path:
            continue
        fname = _file_name(it)
        entry, _ = _catalog.find_entry(inst.kind, sha256=it.sha256, name=fname)
        if entry is not None:
            it.rel_path = entry.target
            it.approx_size = entry.approx_size
            if it.size is None:
                it.size = entry.expected_size()[0]
        elif inst.kind == "webui":
            it.rel_path = f"models/{fname}"
        else:
            raise DeployError(f"Zhilian does not know where {fname} goes in a {inst.label} install: "
                              "add `path: RELATIVE/PATH` to its manifest entry")
    return items


def plan_from_catalog(inst: Install) -> list[DeployItem]:
    """Every catalog file of this kind that has a known source."""
    items = []
    for e in _catalog.entries_for(inst.kind):
        if not e.sources:
            continue
        items.append(DeployItem(name=e.name, rel_path=e.target,
                                mirrors=[Mirror(url=u, priority=i + 1) for i, u in enumerate(e.sources)],
                                size=e.expected_size()[0], sha256=e.expected_sha256()[0], md5=e.md5,
                                approx_size=e.approx_size))
    if not items:
        raise DeployError(f"The catalog has no download source for {inst.label}: give a --manifest")
    return items


def in_place(inst: Install, item: DeployItem) -> bool:
    """The target is already there and matches what is known about it."""
    p = inst.path / item.rel_path
    if not p.is_file():
        return False
    size = p.stat().st_size
    if item.size is not None and size != item.size:
        return False
    try:
        check_content(p, size)
    except BadModelFile:
        return False
    if item.sha256:
        return sha256_file(p) == item.sha256.lower()
    return True


def free_space_check(inst: Install, todo: list[DeployItem]) -> tuple[int, list[str]]:
    """Raise DiskFull when the install's disk cannot take the missing files."""
    staging = inst.path / STAGING
    need, unknown = 0, []
    for it in todo:
        size = it.size or it.approx_size
        if size is None:
            unknown.append(it.rel_path)
            continue
        part = staging / (it.staging_name + ".part")
        have = getattr(part.stat(), "st_blocks", 0) * 512 if part.exists() else 0
        need += max(0, size - min(have, size))
    free = shutil.disk_usage(inst.path).free
    if need > free:
        raise DiskFull(need, free, str(inst.path))
    return need, unknown


Say = Callable[[str], None]


async def deploy(inst: Install, items: list[DeployItem], *, start: bool = False,
                 on_progress: Callable[[DeployItem, object], None] | None = None,
                 say: Say = lambda s: None, connections: int | None = None,
                 start_timeout: float = 120.0) -> DeployReport:
    """Download what is missing, hand each file off, optionally start the app."""
    if not inst.handoff:
        raise DeployError(DOCKER_EXPLANATION)
    from ..engine import DownloadOptions, Engine
    from ..errors import WebPageInsteadOfFile

    report = DeployReport()
    todo = []
    for it in items:
        if in_place(inst, it):
            report.already.append(it.rel_path)
            say(f"{it.rel_path}: already in place")
        else:
            todo.append(it)
    if todo:
        need, unknown = free_space_check(inst, todo)
        free = shutil.disk_usage(inst.path).free
        msg = f"free space: {human_bytes(free)}, needed {human_bytes(need)}"
        if unknown:
            msg += f" plus {len(unknown)} file(s) of unknown size"
        say(msg)
        if inst.kind in ("webui", "linux_hack") and free - need < WORK_SPACE:
            say(f"note: HeyGem deployment guides ask for at least {human_bytes(WORK_SPACE)} free "
                "for the app's own work (videos, temporary files)")
    staging = inst.path / STAGING
    staging.mkdir(exist_ok=True)
    async with Engine() as eng:
        for it in todo:
            say(f"{it.rel_path}: downloading from {len(it.mirrors)} source(s)")
            opts = DownloadOptions(connections=connections, sha256=it.sha256, md5=it.md5,
                                   size=it.size, filename=it.staging_name)
            cb = (lambda p, it=it: on_progress(it, p)) if on_progress else None
            dl = eng.download(list(it.mirrors), staging, opts, on_progress=cb)
            try:
                path = await dl.run()
            except WebPageInsteadOfFile as e:   # the engine saw it first: nothing was kept
                what = {"lfs": "a Git LFS pointer", "error": "an error message"}.get(e.answer, "an HTML page")
                raise BadModelFile(f"{it.rel_path}: the server sent {what}, not a model ({e})") from None
            src = it.mirrors[0].url if it.mirrors else None
            try:
                res = handoff_file(path, inst.path, it.rel_path, expected_sha256=it.sha256,
                                   expected_size=it.size, source=src, check_running=False)
            except BadModelFile:
                path.unlink(missing_ok=True)   # an error page is no start for a resume
                raise
            report.placed.append(res)
            say(res.message())
    try:
        staging.rmdir()   # only when empty: unfinished .part files stay for the next run
    except OSError:
        pass
    if start:
        from .health import start as start_app
        report.started = start_app(inst, timeout=start_timeout)
        say(report.started.message)
    elif todo:
        from .health import probe
        if inst.port and probe(inst, timeout=0.5).up:
            report.messages.append(f"{inst.label} is running: restart needed to load the new models")
            say(report.messages[-1])
    return report
