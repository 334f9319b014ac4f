"""One facade for every front end: the GUI (through gui/bridge.py's typed proxy), the
command line and the browser RPC call the core through ``App``.

Every method is a coroutine run on the core's event loop; whatever blocks (the system
keyring, SQLite of the share store, reading a manifest, scanning for HeyGem installs)
runs in a worker thread from here, so no front end does disk or keyring work on its own
(UI) thread. The values that cross (``TaskView``, ``State``, ``ErrorKind``,
``ShareLink``, ``AccountStatus``) are plain dataclasses and enums.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from .queue.events import Event, TaskView


@dataclass(frozen=True)
class ManifestAdded:
    """What ``add_manifest`` did: the tasks it queued, and the files it could not."""
    task_ids: list[int]
    skipped: list[str]           # names of files with no download URL


class App:
    """The core as front ends see it. ``queue`` is the QueueService it drives (started
    and closed with the app); shares and accounts are opened on first use."""

    def __init__(self, queue: Any = None, *, share_api_factory: Callable[[], Any] | None = None):
        if queue is None:
            from .queue.service import QueueService
            queue = QueueService()
        self.queue = queue
        self._share_api: Any = None
        self._share_factory = share_api_factory

    # -- life ---------------------------------------------------------------------------
    async def start(self) -> None:
        await self.queue.start()

    async def close(self) -> None:
        await self.queue.close()

    def subscribe(self, callback: Callable[[Event], None]) -> Callable[[], None]:
        return self.queue.subscribe(callback)

    async def leftovers(self) -> list[Any]:
        """Partial downloads no task owns (found when the queue started)."""
        return list(getattr(self.queue, "leftovers", []))

    # -- queue --------------------------------------------------------------------------
    async def tasks(self) -> list[TaskView]:
        return self.queue.tasks()

    async def get(self, task_id: int) -> TaskView:
        return self.queue.get(task_id)

    async def add(self, link_text: str, password: str | None = None, dest_dir: str | Path | None = None,
                  filename: str | None = None, connections: int | None = None, sha256: str | None = None,
                  priority: int = 0, handoff_to: str | None = None, *, md5: str | None = None,
                  time_limit: float | None = None, limit: int = 0) -> list[int]:
        return await self.queue.add(link_text, password=password, dest_dir=dest_dir, filename=filename,
                                    connections=connections, sha256=sha256, priority=priority,
                                    handoff_to=handoff_to, md5=md5, time_limit=time_limit, limit=limit)

    async def pause(self, task_id: int) -> None:
        await self.queue.pause(task_id)

    async def resume(self, task_id: int) -> None:
        await self.queue.resume(task_id)

    async def retry(self, task_id: int) -> None:
        await self.queue.retry(task_id)

    async def cancel(self, task_id: int) -> None:
        await self.queue.cancel(task_id)

    async def pause_all(self) -> None:
        await self.queue.pause_all()

    async def resume_all(self) -> None:
        await self.queue.resume_all()

    async def remove(self, task_id: int, delete_file: bool = False) -> None:
        await self.queue.remove(task_id, delete_file=delete_file)

    async def move(self, task_id: int, before_id: int | None = None, priority: int | None = None) -> None:
        await self.queue.move(task_id, before_id=before_id, priority=priority)

    async def replace_link(self, task_id: int, new_link_text: str) -> None:
        await self.queue.replace_link(task_id, new_link_text)

    async def set_global_limit(self, bps: float) -> None:
        self.queue.set_global_limit(bps)

    async def set_task_limit(self, task_id: int, bps: float) -> None:
        await self.queue.set_task_limit(task_id, bps)

    async def set_connections(self, task_id: int, n: int | None) -> None:
        await self.queue.set_connections(task_id, n)

    async def set_time_limit(self, task_id: int, seconds: float | None) -> None:
        await self.queue.set_time_limit(task_id, seconds)

    async def apply_settings(self, settings: Any) -> None:
        await self.queue.apply_settings(settings)

    # -- manifests ------------------------------------------------------------------------
    async def add_manifest(self, manifest: str | Path, *, dest_dir: str | Path, password: str | None = None,
                           connections: int | None = None, handoff_to: str | None = None) -> ManifestAdded:
        """One task per file of a manifest, with its checksums, under ``dest_dir`` in the
        manifest's folders. The queue takes one link per task: the preferred mirror."""
        from .manifest import load_manifest
        files = await asyncio.to_thread(load_manifest, Path(manifest))
        ids: list[int] = []
        skipped: list[str] = []
        base = Path(dest_dir)
        for f in files:
            if not f.mirrors:
                skipped.append(f.name)
                continue
            ids += await self.add(f.mirrors[0].url, password=password, dest_dir=str(base / Path(f.rel_path).parent),
                                  filename=f.filename, connections=connections, sha256=f.sha256, md5=f.md5,
                                  handoff_to=handoff_to)
        return ManifestAdded(ids, skipped)

    # -- shares ---------------------------------------------------------------------------
    def _shares(self) -> Any:
        if self._share_api is None:
            if self._share_factory is not None:
                self._share_api = self._share_factory()
            else:
                from .share import ShareAPI
                self._share_api = ShareAPI()
        return self._share_api

    async def share_api(self) -> Any:
        """The ShareAPI (its store opened in a worker thread, not the caller's)."""
        return await asyncio.to_thread(self._shares)

    async def share_create(self, path: str | Path, expires: str | int | None = None, password: str | None = None,
                           limit_bps: int = 0) -> Any:
        api = await self.share_api()
        return await asyncio.to_thread(api.create, path, expires=expires, password=password, limit_bps=limit_bps)

    async def share_list(self, include_inactive: bool = False) -> tuple[list[Any], str | None]:
        """(links, problem): without a usable keyring the rows come without links and
        ``problem`` says why."""
        from .errors import ZhilianError
        from .share import ShareLink
        api = await self.share_api()

        def _list() -> tuple[list[Any], str | None]:
            try:
                return api.list(include_inactive=include_inactive), None
            except ZhilianError as e:
                return [ShareLink(s, "") for s in api.store.list(include_inactive=include_inactive)], str(e)
        return await asyncio.to_thread(_list)

    async def share_revoke(self, share_id: str) -> Any:
        api = await self.share_api()
        return await asyncio.to_thread(api.revoke, share_id)

    async def share_url(self, share: Any) -> str:
        api = await self.share_api()
        return await asyncio.to_thread(api.url_for, share)

    async def share_server_status(self) -> tuple[bool, str, bool]:
        """(running, link base, reachable from the LAN)."""
        api = await self.share_api()
        return await asyncio.to_thread(lambda: (api.server_running(), api.link_base(), bool(api.config.lan)))

    async def share_start_server(self) -> int:
        api = await self.share_api()
        return await asyncio.to_thread(api.start_server)

    async def share_set_lan(self, on: bool) -> None:
        """Saves the LAN choice and restarts a server this process runs on the new address."""
        from .share import save_config
        api = await self.share_api()

        def _set() -> None:
            api.config.lan = on
            save_config(api.config)
            if api.serving_here():
                api.stop_server()
                api.start_server()
        await asyncio.to_thread(_set)

    async def share_session_secret(self) -> None:
        from .share import use_session_secret
        await asyncio.to_thread(use_session_secret)

    # -- accounts -------------------------------------------------------------------------
    async def accounts(self) -> list[Any]:
        from . import accounts
        return await asyncio.to_thread(accounts.list_accounts)

    async def account_import(self, host: str, text: str) -> Any:
        from . import accounts
        return await asyncio.to_thread(accounts.import_cookies, host, text)

    async def account_token(self, host: str, token: str | None) -> None:
        from . import accounts
        await asyncio.to_thread(accounts.set_token, host, token)

    async def account_remove(self, host: str) -> bool:
        from . import accounts
        return await asyncio.to_thread(accounts.remove_account, host)

    async def keyring_available(self) -> bool:
        from . import accounts
        return await asyncio.to_thread(accounts.keyring_available)

    # -- HeyGem ---------------------------------------------------------------------------
    async def heygem_detect(self, paths: list[str] | None = None, search_common: bool = True) -> tuple[list[Any], list[str]]:
        from .heygem.detect import detect
        return await asyncio.to_thread(lambda: detect(list(paths or []), search_common=search_common))

    async def heygem_handoff(self, path: str, install_dir: str, *, expected_sha256: str | None = None,
                             source: str | None = None, rel_path: str | None = None,
                             progress: Callable[[str, int, int], None] | None = None) -> Any:
        """Places ``path`` in the install; ``progress(phase, done, total)`` is called from
        the worker thread."""
        from .heygem.handoff import handoff_file
        return await asyncio.to_thread(lambda: handoff_file(path, install_dir, rel_path,
                                                            expected_sha256=expected_sha256, source=source,
                                                            progress=progress))

    # -- desktop front end: the add dialog's previews, session-only logins -------------------
    # What the GUI needs beyond the queue. Whatever reads the disk, the network or the
    # keyring runs in a worker thread; the pure helpers the add dialog uses while the
    # user types are the module-level functions below the class.
    async def preview_files(self, link_text: str) -> list[Any]:
        """The files behind the links (folder shares, repos), with sizes: ``LinkFiles``
        per link, a failing link carrying its one-line error."""
        from .selection import preview_files
        return await asyncio.to_thread(preview_files, link_text)

    async def manifest_files(self, manifest: str | Path) -> list[Any]:
        """The files a manifest (.yaml, .meta4) lists, for the add dialog's preview."""
        from .manifest import load_manifest
        return await asyncio.to_thread(lambda: list(load_manifest(Path(manifest))))

    async def account_session_only(self, enable: bool | None = None) -> bool:
        """Whether logins are kept for this session only (after ``enable``, when given)."""
        from . import accounts

        def _set() -> bool:
            if enable is not None:
                accounts.use_session_only(enable)
            return accounts.session_only()
        return await asyncio.to_thread(_set)


# -- helpers for front ends: pure ones for live feedback (no disk, network or keyring),
# and the settings file, read at start and written from a worker thread ----------------
def parse_links(text: str) -> list[Any]:
    """The links (and extraction codes) in pasted text, as the queue will read them."""
    from .linkparse import parse_links as parse
    return parse(text)


def include_only(url: str, paths: list[str]) -> str:
    """``url`` narrowed to exactly the files at ``paths`` (its ``--include`` options)."""
    from .selection import LinkOptions, exact_pattern, with_options
    return with_options(url, LinkOptions(include=[exact_pattern(p) for p in paths]))


def settings_problems(settings: Any) -> list[str]:
    """What is wrong with ``settings`` (empty: they can be saved)."""
    from .settings import validate
    return validate(settings.to_dict())[1]


def account_hosts() -> list[tuple[str, str]]:
    """(account host, label) of the hosts that have login rules."""
    from .accounts.hosts import RULES
    return [(r.account, r.label or r.account) for r in RULES]


def normalize_host(host: str) -> str:
    """The account host a typed host name is stored under."""
    from .accounts.hosts import normalize_host as norm
    return norm(host)


def load_settings() -> Any:
    """The application settings, read once at start before any window exists (later
    writes go through ``App.save_settings``); defaults plus ``load_error`` when the file
    is unreadable."""
    from .settings import load_settings as load
    return load()


def save_settings(settings: Any) -> None:
    """Writes the application settings. Blocking: a front end calls it from a worker
    thread (the GUI through ``bridge.run_blocking``), which also works while the queue
    cannot start (the user may be changing the folder that keeps it from starting)."""
    from .settings import save_settings as save
    save(settings)


def default_settings() -> Any:
    from .settings import Settings
    return Settings()


#: the methods that do not use the queue: a front end may call them before the queue has
#: started or when it could not (accounts, HeyGem, link previews, shares)
QUEUE_FREE = frozenset({
    "accounts", "account_import", "account_token", "account_remove", "keyring_available",
    "account_session_only", "heygem_detect", "heygem_handoff", "preview_files",
    "manifest_files", "share_api", "share_create", "share_list", "share_revoke", "share_url",
    "share_server_status", "share_start_server", "share_set_lan", "share_session_secret",
})


class _NoQueue:
    """The queue of an App made while the real one is not running."""

    def __getattr__(self, name: str) -> Any:
        from .errors import ZhilianError
        raise ZhilianError("The download service is not running")


def without_queue() -> App:
    """An App for the QUEUE_FREE methods while the queue is not running."""
    return App(_NoQueue())


def public_methods() -> frozenset[str]:
    """The names a front end may call (what gui/bridge.py's proxy accepts)."""
    return frozenset(n for n, v in vars(App).items()
                     if not n.startswith("_") and callable(v) and n not in ("start", "close", "subscribe"))


def as_app(service: Any) -> App:
    """``service`` when it already is an App, else an App driving that queue."""
    return service if isinstance(service, App) else App(service)
