"""One facade for every front end: the GUI (through gui/bridge.py's typed proxy), the
command line and the browser RPC call the core through ``App``.

Every method is a coroutine run on the core's event loop; whatever blocks (the system
keyring, SQLite of the share store, reading a manifest, scanning for HeyGem installs)
runs in a worker thread from here, so no front end does disk or keyring work on its own
(UI) thread. The values that cross (``TaskView``, ``State``, ``ErrorKind``,
``ShareLink``, ``AccountStatus``, ``ShareRow``, ``ShareOutcome``, ``Controlled``) are plain
dataclasses and enums.

The command line, which runs no queue for most commands, uses the ``db_*`` methods: they
work on the queue's database directly (a queue running in another process is told through
it). The desktop app's aria2 RPC is hosted here (``rpc_*``); core/rpc receives the App it
serves and does not import this module.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from .incoming import Incoming, IncomingRead
from .queue.events import Event, TaskView


@dataclass(frozen=True)
class ManifestAdded:
    """What ``add_manifest`` did: the tasks it queued, and the files it could not."""
    task_ids: list[int]
    skipped: list[str]           # names of files with no download URL


class App:
    """The core as front ends see it. ``queue`` is the QueueService it drives (started
    and closed with the app); shares and accounts are opened on first use."""

    def __init__(self, queue: Any = None, *, share_api_factory: Callable[[], Any] | None = None,
                 settings: Any = None):
        self._queue = queue              # made on first use (a command line that only
                                         # reads the database never makes one)
        self._settings = settings        # for that queue (None: the saved settings)
        self._share_api: Any = None
        self._share_factory = share_api_factory
        self._rpc: Any = None            # the browser RPC server this app runs (rpc_serve)

    @property
    def queue(self) -> Any:
        """The QueueService this app drives."""
        if self._queue is None:
            from .queue.service import QueueService
            self._queue = QueueService(settings=self._settings)
        return self._queue

    # -- life ---------------------------------------------------------------------------
    async def start(self) -> None:
        await self.queue.start()

    async def close(self) -> None:
        """Stops what this app runs: the browser RPC, a share server it started in this
        process (its port is free again), and the queue."""
        try:
            await self.rpc_stop()
            api = self._share_api
            if api is not None:
                await asyncio.to_thread(api.stop_server)
        finally:
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
        links, problem = await self._share_list(include_inactive)
        return links, str(problem) if problem is not None else None

    async def _share_list(self, include_inactive: bool) -> tuple[list[Any], Any]:
        from .errors import ZhilianError
        from .share import ShareLink
        api = await self.share_api()

        def _list() -> tuple[list[Any], ZhilianError | None]:
            try:
                return api.list(include_inactive=include_inactive), None
            except ZhilianError as e:
                return [ShareLink(s, "") for s in api.store.list(include_inactive=include_inactive)], e
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

    async def share_set_lan(self, on: bool) -> str | None:
        """Saves the LAN choice and restarts a server this process runs on the new address.
        Returns why the choice could not be saved (it still applies until the app closes)."""
        from .share import save_config
        api = await self.share_api()

        def _set() -> str | None:
            api.config.lan = on
            problem = None
            try:
                save_config(api.config)
            except OSError as e:
                problem = e.strerror or str(e)
            if api.serving_here():
                api.stop_server()
                api.start_server()
            return problem
        return await asyncio.to_thread(_set)

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
                             expected_size: int | None = None, progress: Callable[[str, int, int], None] | None = None,
                             copy: bool = False, force: bool = False) -> Any:
        """Places a finished model file in an install (checked, atomically); ``progress``
        (phase, done, total) is called from the worker thread."""
        from .heygem.handoff import handoff_file
        return await asyncio.to_thread(lambda: handoff_file(path, install_dir, rel_path, expected_sha256=expected_sha256,
                                                            expected_size=expected_size, source=source,
                                                            progress=progress, copy=copy, force=force))

    # == the command line (core/commands): the queue's database when this process does not
    #    run the queue, the rest of sharing, account details ================================

    async def pending(self) -> int:
        """Tasks of the running queue that still have work to do on their own."""
        return self.queue.pending()

    async def fault(self) -> Exception | None:
        """Why the running queue stopped (its database failed), or None."""
        return self.queue.fault

    async def db_add(self, link_text: str, *, password: str | None = None, dest_dir: str | Path | None = None,
                     filename: str | None = None, connections: int | None = None, sha256: str | None = None,
                     priority: int = 0, limit: int = 0, time_limit: float | None = None) -> list[TaskView]:
        """Queues links straight into the database (no queue runs in this process); a
        queue running elsewhere picks them up within a second. The tasks, existing ones for
        links already queued."""
        def _add() -> list[TaskView]:
            from .queue.events import make_view
            from .queue.service import queue_links
            from .queue.store import Store
            store = Store(write=True)
            try:
                ids = queue_links(store, link_text, password=password, dest_dir=dest_dir, filename=filename,
                                  connections=connections, sha256=sha256, priority=priority, limit=limit,
                                  time_limit=time_limit)
                rows = [store.get(tid) for tid in ids]
                return [make_view(r) for r in rows if r is not None]
            finally:
                store.close()
        return await asyncio.to_thread(_add)

    async def db_tasks(self) -> StoredQueue:
        """The database's tasks in queue order, and the partial downloads no task owns."""
        def _read() -> StoredQueue:
            from .queue.events import make_view
            from .queue.leftovers import find_leftovers
            from .queue.store import Store
            from .settings import load_settings
            store = Store(write=False)
            try:
                rows = store.load()
            finally:
                store.close()
            leftovers = find_leftovers(rows, [load_settings().download_path()])
            rows.sort(key=lambda r: (-r.priority, r.position, r.id))
            return StoredQueue([make_view(r) for r in rows], leftovers)
        return await asyncio.to_thread(_read)

    async def db_control(self, action: str, task_ids: list[int], delete_file: bool = False) -> list[Controlled]:
        """pause / resume / retry / cancel / remove tasks in the database: a queue running in
        another process is asked (it acts within a second), else the rows change here."""
        if action not in ("pause", "resume", "retry", "cancel", "remove"):
            raise ValueError(f"not a queue action: {action}")

        def _control() -> list[Controlled]:
            from .queue.leftovers import task_files, tidy
            from .queue.store import FINAL_STATES, RunLock, Store
            store = Store(write=True)
            out = []
            try:
                running = RunLock(store.path).is_held_elsewhere()
                for tid in task_ids:
                    row = store.get(tid)
                    if row is None:
                        out.append(Controlled(tid, "missing"))
                    elif running:
                        store.post_command(action, tid, delete_file)
                        out.append(Controlled(tid, "asked"))
                    elif action == "remove":
                        store.delete(tid)
                        if delete_file:
                            for p in task_files(row):
                                p.unlink(missing_ok=True)
                        else:
                            tidy(row, removed=True)
                        out.append(Controlled(tid, "removed"))
                    elif action in ("pause", "cancel"):
                        if row.state in FINAL_STATES:
                            out.append(Controlled(tid, "finished", row.state))
                        elif action == "pause":
                            store.update(tid, state="paused", error=None, next_retry=None)
                            out.append(Controlled(tid, "paused", "paused"))
                        else:
                            store.update(tid, state="failed", error="Stopped by the user", next_retry=None,
                                         error_kind="cancelled", error_params=None)
                            out.append(Controlled(tid, "cancelled", "failed"))
                    elif row.state in ("paused", "failed"):
                        store.update(tid, state="queued", error=None, attempts=0, next_retry=None)
                        out.append(Controlled(tid, "queued", "queued"))
                    else:
                        out.append(Controlled(tid, "unchanged", row.state))
                return out
            finally:
                store.close()
        return await asyncio.to_thread(_control)

    async def db_repair(self) -> QueueRepaired:
        """Rebuilds a damaged queue database (no queue may run): what was kept, where the
        damaged file was saved."""
        def _repair() -> QueueRepaired:
            from .queue.store import db_path
            done = repair_queue_database()
            return QueueRepaired(db_path(), done.tasks, done.backup)
        return await asyncio.to_thread(_repair)

    async def account_status(self, host: str) -> Any:
        from . import accounts
        return await asyncio.to_thread(accounts.account_status, host)

    async def account_set(self, host: str, name: str, value: Any) -> None:
        """One per-account setting (``max_connections``)."""
        from . import accounts
        await asyncio.to_thread(accounts.set_setting, host, name, value)

    async def account_host(self, host: str) -> str:
        """The account a host's login is kept under (pan.baidu.com -> baidu.com)."""
        from . import accounts
        return accounts.normalize_host(host)

    async def heygem_status(self, install_dir: str, verify: bool = False) -> tuple[Any, Any]:
        """(the install, its model files present / missing / bad and whether it runs);
        ``verify`` also hashes the files with a known SHA-256."""
        from .heygem.detect import require_install
        from .heygem.status import install_status

        def _status() -> tuple[Any, Any]:
            inst = require_install(install_dir)
            return inst, install_status(inst, verify=verify)
        return await asyncio.to_thread(_status)

    async def heygem_catalog(self) -> dict[str, Any]:
        """The model files known for each kind of install (with locally pinned hashes)."""
        from .heygem.catalog import load_catalog
        return await asyncio.to_thread(load_catalog)

    async def share_get(self, share_id: str) -> Any:
        api = await self.share_api()
        return await asyncio.to_thread(api.get, share_id)

    async def share_watch(self, folder: str | Path, **options: Any) -> Any:
        """Shares every new file of a folder (options as ShareAPI.watch)."""
        api = await self.share_api()
        return await asyncio.to_thread(lambda: api.watch(folder, **options))

    async def share_watches(self) -> list[tuple[Any, int]]:
        """(watched folder, number of its active shares)."""
        api = await self.share_api()
        return await asyncio.to_thread(lambda: [(w, len(api.store.list(watch_id=w.id))) for w in api.watches()])

    async def share_unwatch(self, watch_id: str, revoke_shares: bool = True) -> None:
        api = await self.share_api()
        await asyncio.to_thread(api.unwatch, watch_id, revoke_shares)

    async def share_scan(self) -> list[Any]:
        """Shares the new files of every watched folder now; their links."""
        api = await self.share_api()
        return await asyncio.to_thread(api.scan_now)

    async def share_retention(self, dry_run: bool = False) -> list[Any]:
        api = await self.share_api()
        return await asyncio.to_thread(api.retention, dry_run)

    async def share_rotate_key(self) -> None:
        api = await self.share_api()
        await asyncio.to_thread(api.rotate_key)

    async def share_control_token(self) -> str:
        api = await self.share_api()
        return await asyncio.to_thread(api.control_token)

    async def share_qr_text(self, url: str) -> str:
        api = await self.share_api()
        return await asyncio.to_thread(api.qr_text, url)

    async def share_config(self) -> Any:
        """The share server's settings (ServerConfig) this app uses; changes to it apply
        to what this app does next, ``share_save_config`` keeps them."""
        api = await self.share_api()
        return api.config

    async def share_save_config(self) -> Path:
        """Writes the settings; returns the file."""
        from .share.config import config_path, save_config
        api = await self.share_api()
        await asyncio.to_thread(save_config, api.config)
        return config_path()

    async def share_config_path(self) -> Path:
        from .share.config import config_path
        return config_path()

    async def share_link_port(self, port: int | None) -> None:
        """Links made from now on point at the server running on ``port``."""
        api = await self.share_api()
        api.server_port = port

    async def share_access_log(self, n: int) -> list[dict]:
        from .share.access_log import AccessLog
        return await asyncio.to_thread(lambda: AccessLog().tail(n))

    async def share_serve_here(self) -> Any:
        """Runs the share server on this loop (``main.py serve``); returns it (``stop()``
        when done). Without the keyring, ``share_session_secret`` first."""
        from .share import ShareServer
        api = await self.share_api()
        srv = ShareServer(api.store, api.config)
        await srv.start()
        return srv

    async def share_session_in_use(self) -> bool:
        from .share.secret import session_secret_in_use
        return session_secret_in_use()

    # == the share dialog (gui/share_dialog.py): typed answers (ShareRow, ShareOutcome, …
    #    below the class); the share store, the keyring and the disk only in worker threads ==

    async def share_rows(self, include_inactive: bool = False) -> SharesShown:
        import time

        from .errors import outcome_of
        links, problem = await self._share_list(include_inactive)
        kind, params = outcome_of(problem) if problem is not None else (None, {})
        return await asyncio.to_thread(lambda: SharesShown(
            [_share_row(x, time.time()) for x in links], str(problem) if problem is not None else None,
            kind, params))

    async def share_make(self, path: str | Path, expires: str | int | None = None, password: str | None = None,
                         limit_bps: int = 0, qr_scale: int = 4) -> ShareOutcome:
        """Shares one file: its link and QR code, or why not (never raises for what the
        user can mend: a missing file, a value out of range, no keyring)."""
        import time

        from .errors import ZhilianError
        api = await self.share_api()

        def _make() -> ShareOutcome:
            try:
                link = api.create(path, expires=expires, password=password, limit_bps=limit_bps)
            except ZhilianError as e:
                return _share_failure(e)
            return ShareOutcome(_share_row(link, time.time()), link.url, api.qr_png(link.url, scale=qr_scale))
        return await asyncio.to_thread(_make)

    async def share_show(self, share_id: str, qr_scale: int = 4) -> ShareOutcome:
        """An existing share's link and QR code for where links point now (after the
        server started or moved to the local network)."""
        import time

        from .errors import ZhilianError
        api = await self.share_api()

        def _show() -> ShareOutcome:
            try:
                link = api.get(share_id)
            except ZhilianError as e:
                return _share_failure(e)
            return ShareOutcome(_share_row(link, time.time()), link.url, api.qr_png(link.url, scale=qr_scale))
        return await asyncio.to_thread(_show)

    async def share_server_state(self) -> ShareServerState:
        from .share.limits import MAX_PASSWORD_CHARS
        running, base, lan = await self.share_server_status()
        return ShareServerState(running, base, lan, MAX_PASSWORD_CHARS)

    async def share_serve(self) -> ShareOutcome:
        """Starts the sharing server in this process; ``error`` says why it did not."""
        from .errors import ZhilianError
        try:
            await self.share_start_server()
        except (ZhilianError, OSError) as e:
            return _share_failure(e)
        return ShareOutcome()

    # == the browser RPC the desktop app serves (gui/browser_rpc.py): its settings file and
    #    its secret (keyring) in worker threads; the server on this loop ====================

    async def rpc_config(self) -> Any:
        """The RPC settings (core.rpc.config.RpcConfig) as saved."""
        from .rpc.config import load_config
        return await asyncio.to_thread(load_config)

    async def rpc_secret(self, config: Any = None, renew: bool = False) -> Any:
        """The secret clients send (SecretInfo: secret, kept in the keyring or not, why not);
        a new one with ``renew``. ``config`` gets its keyring name on first use."""
        from .rpc.config import get_secret
        return await asyncio.to_thread(lambda: get_secret(config, renew=renew))

    async def rpc_serve(self, config: Any = None) -> RpcState:
        """(Re)starts the RPC server with ``config`` (None: the saved settings); none runs
        when they say it is off."""
        from .rpc.config import load_config
        from .rpc.server import start_rpc
        await self.rpc_stop()
        cfg = config or await asyncio.to_thread(load_config)
        if cfg.enabled:
            self._rpc = await start_rpc(self, config=cfg)
        return self._rpc_state()

    async def rpc_apply(self, config: Any) -> RpcState:
        """Saves new RPC settings and applies them: a new port or on/off restarts the
        server, the rest (origins, folders) applies to the running one at once."""
        from .rpc.config import save_config
        await asyncio.to_thread(save_config, config)
        server = self._rpc
        if server is not None and config.enabled and config.port == server.config.port:
            server.reconfigure(config)
            return self._rpc_state()
        if server is None and not config.enabled:
            return self._rpc_state()
        return await self.rpc_serve(config)

    async def rpc_set_secret(self, secret: str) -> None:
        """A new secret (already in the keyring) for the running server, at once."""
        if self._rpc is not None:
            self._rpc.reconfigure(self._rpc.config, secret)

    async def rpc_stop(self) -> None:
        server, self._rpc = self._rpc, None
        if server is not None:
            await server.stop()

    def _rpc_state(self) -> RpcState:
        return RpcState(self._rpc.port if self._rpc is not None else None)

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

    async def read_incoming(self, items: list[Incoming]) -> IncomingRead:
        """What a drop, the command line or a second start hands in (``Incoming`` items:
        link text, dropped or opened files, command-line words): link lists read (at most
        ``core.incoming.MAX_LINK_LIST`` bytes of text each), manifests checked, and for each
        file that gives nothing a ``FileProblem`` (missing, denied, folder, too big, not
        text, unreadable)."""
        from .incoming import read_incoming
        return await asyncio.to_thread(read_incoming, list(items))

    async def account_session_only(self, enable: bool | None = None) -> bool:
        """Whether logins are kept for this session only (after ``enable``, when given)."""
        from . import accounts

        def _set() -> bool:
            if enable is not None:
                accounts.use_session_only(enable)
            return accounts.session_only()
        return await asyncio.to_thread(_set)


# == the share dialog's answers (App.share_rows, share_make, share_show, share_server_state,
#    share_serve): plain values, made in the worker thread ====================================

@dataclass(frozen=True)
class ShareRow:
    """One share as a list shows it; ``state`` is 'active', 'expired', 'revoked' or
    'missing' (the file is gone: looked at in the worker thread, not the caller's)."""
    id: str
    name: str
    path: str
    state: str
    expires: int                 # unix seconds; 0 = never
    downloads: int
    bytes_sent: int
    has_password: bool
    limit_bps: int
    revoked: bool
    url: str                     # "" without a keyring


@dataclass(frozen=True)
class SharesShown:
    rows: list[ShareRow]
    problem: str | None          # why the rows come without links (no keyring), in English
    problem_kind: Any = None     # the same as core.errors.ErrorKind and its params
    problem_params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ShareOutcome:
    """A link made or shown (with its QR code as PNG), or why not: ``error`` in English
    words, ``error_kind`` (core.errors.ErrorKind) and ``error_params`` the same for a front
    end that words it in another language; ``no_keyring`` when a session-only secret would help."""
    row: ShareRow | None = None
    url: str = ""
    qr_png: bytes = b""
    error: str | None = None
    no_keyring: bool = False
    error_kind: Any = None
    error_params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ShareServerState:
    running: bool
    link_base: str
    lan: bool                    # reachable from the local network
    max_password_chars: int


def _share_row(link: Any, now: float) -> ShareRow:
    s = link.share
    return ShareRow(s.id, s.name, s.path, s.state(now), int(s.expires or 0), int(s.downloads),
                    int(s.bytes_sent), bool(s.has_password), int(s.limit_bps or 0), bool(s.revoked), link.url)


def _share_failure(e: BaseException) -> ShareOutcome:
    from .errors import ErrorKind, NoKeyring, os_reason, outcome_of
    kind, params = outcome_of(e)
    if kind is ErrorKind.OTHER and isinstance(e, OSError):      # the server could not start
        kind, params = ErrorKind.SHARE_CANNOT_LISTEN, {"address": "", **os_reason(e)}
    return ShareOutcome(error=str(e) or "The share could not be made", no_keyring=isinstance(e, NoKeyring),
                        error_kind=kind, error_params=params)


# == the command line's answers (App.db_tasks, db_control, db_repair) ======================

@dataclass(frozen=True)
class StoredQueue:
    tasks: list[TaskView]        # in queue order
    leftovers: list[Any]         # partial downloads no task owns (``describe()``)


@dataclass(frozen=True)
class Controlled:
    """What ``db_control`` did to one task: ``outcome`` is 'missing' (no such task), 'asked'
    (the running queue was told), 'removed', 'paused', 'cancelled', 'queued', 'finished'
    (refused: already finished) or 'unchanged' (nothing to do); ``state`` the task's."""
    task_id: int
    outcome: str
    state: str = ""


@dataclass(frozen=True)
class QueueRepaired:
    path: Path                   # the database
    tasks: int                   # tasks kept
    backup: Path                 # the damaged file, saved as a copy


# == the browser RPC's state, and the queue database when the queue could not start ========

@dataclass(frozen=True)
class RpcState:
    port: int | None             # where the RPC listens; None: it does not run


def queue_database_fault(exc: BaseException | None) -> str | None:
    """What is wrong with the queue's database ('read-only', 'full', 'locked', 'damaged',
    'unreadable', 'running', …) when ``exc`` (why the queue did not start) is about it;
    None for anything else."""
    from .queue.store import QueueDbError
    return exc.kind if isinstance(exc, QueueDbError) else None


def repair_queue_database() -> Any:
    """Rebuilds a damaged queue database while no queue runs (blocking: call it from a
    worker thread). Returns what was kept (``tasks``) and where the damaged file was saved
    (``backup``); raises QueueDbError with a message when it cannot."""
    from .queue.service import repair_database
    return repair_database()


# -- helpers for front ends: pure ones for live feedback (no disk, network or keyring),
# and the settings file, read at start and written from a worker thread ----------------
def parse_links(text: str) -> list[Any]:
    """The links (and extraction codes) in pasted text, as the queue will read them."""
    from .linkparse import parse_links as parse
    return parse(text)


def link_file_kind(name: str) -> str | None:
    """'manifest', 'list' or None for a file name (by its suffix): what a drop may bring."""
    from .incoming import file_kind
    return file_kind(name)


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
#: started or when it could not (accounts, HeyGem, link previews, dropped files, the share list)
QUEUE_FREE = frozenset({
    "accounts", "account_import", "account_token", "account_remove", "keyring_available",
    "account_session_only", "heygem_detect", "heygem_handoff", "preview_files",
    "manifest_files", "read_incoming", "share_api", "share_create", "share_list", "share_revoke",
    "share_url", "share_server_status", "share_set_lan", "share_session_secret", "share_rows", "share_make",
    "share_show", "share_server_state", "rpc_config", "rpc_secret", "rpc_set_secret",
})
# not the servers (share_start_server, share_serve, rpc_serve): each call of an App without
# the queue runs on a loop of its own that ends with the call, and a server with it


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
