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
                             source: str | None = None) -> Any:
        from .heygem.handoff import handoff_file
        return await asyncio.to_thread(lambda: handoff_file(path, install_dir, expected_sha256=expected_sha256,
                                                            source=source))


def public_methods() -> frozenset[str]:
    """The names a front end may call (what gui/bridge.py's proxy accepts)."""
    return frozenset(n for n, v in vars(App).items()
                     if not n.startswith("_") and callable(v) and n not in ("start", "close", "subscribe"))


def as_app(service: Any) -> App:
    """``service`` when it already is an App, else an App driving that queue."""
    return service if isinstance(service, App) else App(service)
