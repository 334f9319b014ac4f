"""One attempt of one task: its link resolved to its own file, then the engine's
download of that file into the name the task owns.

- A file the engine finished just before a crash (final file there, no ``.part``)
  is taken as done instead of being downloaded again.
- The link is resolved again at every attempt (signed URLs never need storing):
  a local manifest file is read again, anything else goes through the resolvers
  with the stored logins. A folder share or repo gives several files: the task
  keeps the first (or the one it was made for, ``rpath``), the others become new
  tasks right after it.
- The task's reserved name, when it has one, is where the download goes (same
  name, same ``.part`` after any restart); otherwise the repo's own folders
  (``layout_dir``) or the manifest's. The engine claims a name through the task
  table before it uses it.

Errors go up to the queue, which decides what they mean for the task
(core/queue/retry.py).
"""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path, PurePosixPath
from typing import Any, Awaitable, Callable

from .. import journal as _journal
from ..errors import LinkExpired, NotFound, ZhilianError
from ..models import Resolved
from ..selection import layout_dir
from ..settings import Settings
from .store import TaskRow, clean_ref, sources_json
from .tasks import Live, TaskTable

log = logging.getLogger("zhilian.queue")


def finished_on_disk(row: TaskRow) -> Path | None:
    """The engine renames the .part to the final name only after verifying it;
    when that happened just before a crash, the final file is there and the
    .part and its journal are gone: the task is done, not to be downloaded
    again (which would make a second copy)."""
    if not row.path:
        return None
    final = Path(row.path)
    part = final.with_name(final.name + ".part")
    if part.exists() or not final.is_file():
        return None
    if row.size is not None and final.stat().st_size != row.size:
        return None
    # the journal is removed right after the rename; a crash in between leaves it
    _journal.journal_path(part).unlink(missing_ok=True)
    return final


class AttemptRunner:
    def __init__(self, table: TaskTable, engine: Any, settings: Callable[[], Settings], *,
                 report: Callable[[TaskRow, Live, Any], None],
                 context_factory: Callable[[Any], Any] | None = None,
                 source_hooks: list[Callable[[TaskRow, Resolved], Awaitable[Resolved]]] | None = None):
        self.table = table
        self.engine = engine
        self.settings = settings              # the queue's current settings (they change at run time)
        self.report = report                  # the engine's progress reports go there
        self._context_factory = context_factory
        # the queue's list (callers may add to it at any time): each may change what is downloaded
        self.source_hooks = source_hooks if source_hooks is not None else []

    async def run(self, row: TaskRow, live: Live) -> Path:
        """Resolves and downloads ``row``'s file; returns its final path. The
        engine's download is in ``live.dl`` while it runs (pause, limits)."""
        if row.real_link is None:
            raise LinkExpired("The full link was not saved (no system keyring to encrypt it): paste the link again")
        done = finished_on_disk(row)
        if done is not None:
            live.message = "finished before the last shutdown"
            return done
        self.table.set(row, state="resolving", error=None)
        resolved, refresher = await self.resolve(row)
        for hook in self.source_hooks:
            resolved = await hook(row, resolved)
        from ..engine import DownloadOptions
        if row.reserved_path:      # the name this task owns: same name, same .part, after any restart
            dest, filename = Path(row.reserved_path).parent, Path(row.reserved_path).name
        elif resolved.resolver == "manifest" and resolved.path and "/" in resolved.path:
            dest = Path(row.dest_dir) / PurePosixPath(resolved.path).parent    # the manifest's own layout
            filename = row.name or row.filename
        else:      # a repo's folders (Hugging Face, ModelScope, Kaggle, Ollama)
            dest, filename = layout_dir(Path(row.dest_dir), resolved), row.name or row.filename
        opts = DownloadOptions(
            connections=row.connections or self.settings().connections or None,
            sha256=row.sha256, md5=row.md5, limit=row.speed_limit or 0,
            filename=filename, claim=lambda p: self.table.claim(row, p))
        dl = self.engine.download(resolved, dest, opts,
                                  on_progress=lambda p: self.report(row, live, p),
                                  refresh=refresher)
        live.dl = dl
        self.table.set(row, state="downloading", sources=sources_json([m.url for m in resolved.mirrors]))
        return await dl.run()

    # -- resolving ------------------------------------------------------------------------
    async def _context(self) -> Any:
        if self._context_factory is not None:
            return self._context_factory(self.engine.session)
        # imported when first needed: the resolvers are many
        from .. import accounts
        from .. import resolve as resolving
        creds: dict = {}
        save = None
        try:
            creds = await asyncio.to_thread(accounts.load_credentials)
            save = accounts.save_cookies
        except ZhilianError as e:   # no keyring: go on without stored logins
            log.info("logins not available: %s", e)
        # the session is made when a resolver first needs it (never for plain links)
        return resolving.make_context(lambda: self.engine.session, credentials=creds, save_cookies=save)

    @staticmethod
    async def _resolve_manifest(path: str) -> list[Resolved]:
        """A local model manifest (YAML or Metalink): one file per entry, read
        again at every start so its (possibly signed) URLs never enter the database."""
        from ..manifest import load_manifest
        files = await asyncio.to_thread(load_manifest, Path(path))
        return [Resolved(list(f.mirrors), filename=f.filename, size=f.size if f.size_exact else None,
                         sha256=f.sha256, md5=f.md5, resolver="manifest", path=f.rel_path,
                         ref={"manifest": path}) for f in files]

    async def resolve(self, row: TaskRow) -> tuple[Resolved, Any]:
        """This task's file behind its link, and the refresher the engine asks
        for fresh URLs when they expire (None for a manifest)."""
        link = row.real_link or row.link
        if not link.startswith(("http://", "https://")) and Path(link).is_file():
            items = await self._resolve_manifest(link)
            return self._pick(row, items), None
        from .. import resolve as resolving
        ctx = await self._context()
        text = link
        if row.password and row.password not in link:
            text = f"{link} 提取码: {row.password}"
        items = await resolving.resolve_links(text, ctx)
        pick = self._pick(row, items)
        return pick, resolving.make_refresher(pick, ctx)

    def _pick(self, row: TaskRow, items: list[Resolved]) -> Resolved:
        """This task's file among what the link gives; the other files become new tasks."""
        if not items:
            raise NotFound("Nothing to download behind this link")
        key = lambda r: r.path or r.filename or ""  # noqa: E731
        if row.rpath:   # one file of a folder share / repo
            pick = next((r for r in items if key(r) == row.rpath), None)
            if pick is None and len(items) == 1:
                pick = items[0]      # a new link given for just this file
            if pick is None:
                raise NotFound(f"{row.rpath} is no longer behind this link")
        else:
            pick = items[0]
            if len(items) > 1:
                self.table.register(siblings(row, items[1:]))
                self.table.set(row, kind=None, rpath=key(pick) or None)
        self.table.set(row, kind=None, resolver=pick.resolver, ref=json.dumps(clean_ref(pick.ref), default=str),
                       size=pick.size if pick.size is not None else row.size,
                       sha256=row.sha256 or pick.sha256, md5=row.md5 or pick.md5)
        return pick


def siblings(row: TaskRow, items: list[Resolved]) -> list[TaskRow]:
    """A folder share or a repo gives several files: one task each, placed right
    after the task of the link, with its settings."""
    step = 1.0 / (len(items) + 1) / 1024
    return [TaskRow(
        link=row.link, real_link=row.real_link, password=row.password, dest_dir=row.dest_dir,
        priority=row.priority, position=row.position + i * step, connections=row.connections,
        speed_limit=row.speed_limit, host=row.host, rpath=r.path or r.filename,
        size=r.size, sha256=r.sha256, md5=r.md5, resolver=r.resolver,
        handoff_to=row.handoff_to, time_limit=row.time_limit, state="queued")
        for i, r in enumerate(items, 1)]
