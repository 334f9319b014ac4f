"""The sharing facade used by the CLI and the GUI (synchronous, quick calls)."""

from __future__ import annotations

import io
import os
import secrets
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import signing
from .config import ServerConfig, link_base, load_config, parse_duration, running_server
from .secret import forget_secret, get_secret
from .store import Share, ShareStore, Watch
from .watch import RetentionReport, apply_retention_all

if TYPE_CHECKING:
    from .server import ServerThread


@dataclass(frozen=True)
class ShareLink:
    share: Share
    url: str

    @property
    def id(self) -> str:
        return self.share.id

    @property
    def name(self) -> str:
        return self.share.name


class ShareAPI:
    """Create, list and revoke shares; optionally run the server in this process."""

    def __init__(self, store: ShareStore | None = None, config: ServerConfig | None = None):
        self.store = store or ShareStore()
        self.config = config or load_config()
        self._thread: ServerThread | None = None

    # -- links --
    def key(self) -> bytes:
        return get_secret(self.store.secret_id())

    def link_base(self) -> str:
        """Where links point: this process's server, a running ``serve``, or the settings."""
        if self._thread is not None:
            return self._thread.server.link_base()
        info = running_server()
        if info and info.get("link_base"):
            return str(info["link_base"])
        return link_base(self.config)

    def url_for(self, share: Share) -> str:
        return signing.build_url(self.link_base(), self.key(), share.id, share.name, share.expires)

    def create(self, path: str | os.PathLike, expires: str | int | None = None, password: str | None = None,
               limit_bps: int = 0) -> ShareLink:
        """Share one file. ``expires``: '24h', '7d', seconds, or 'never'."""
        key = self.key()                      # no keyring -> NoKeyring before anything is stored
        secs = parse_duration(self.config.default_expires if expires is None else expires)
        share = self.store.add(path, expires=int(time.time()) + secs if secs else 0,
                               password=password or None, limit_bps=int(limit_bps))
        return ShareLink(share, signing.build_url(self.link_base(), key, share.id, share.name,
                                                  share.expires))

    def get(self, share_id: str) -> ShareLink:
        s = self.store.find(share_id)
        return ShareLink(s, self.url_for(s))

    def list(self, include_inactive: bool = False) -> list[ShareLink]:
        key = self.key()
        base = self.link_base()
        return [ShareLink(s, signing.build_url(base, key, s.id, s.name, s.expires))
                for s in self.store.list(include_inactive)]

    def revoke(self, share_id: str) -> Share:
        return self.store.revoke(share_id)

    def control_token(self) -> str:
        """The token the control endpoints (``/api/...``) require."""
        return signing.control_token(self.key())

    def rotate_key(self) -> None:
        """A new link key: every link made so far stops working at once."""
        old = self.store.secret_id()
        new = secrets.token_hex(8)
        get_secret(new)                       # create it first; fail without touching the old one
        self.store.set_secret_id(new)
        forget_secret(old)

    # -- watched folders --
    def watch(self, folder: str | os.PathLike, expires: str | int | None = None, password: str | None = None,
              limit_bps: int = 0, recursive: bool = True, retention_days: float | None = None,
              retention_action: str | None = None,
              archive_dir: str | os.PathLike | None = None) -> Watch:
        secs = parse_duration(self.config.default_expires if expires is None else expires)
        return self.store.add_watch(folder, secs, password, limit_bps, recursive, retention_days,
                                    retention_action, archive_dir)

    def watches(self) -> list[Watch]:
        return self.store.watches()

    def unwatch(self, watch_id: str, revoke_shares: bool = True) -> None:
        self.store.remove_watch(watch_id, revoke_shares)

    def scan_now(self) -> list[ShareLink]:
        from .watch import scan_all
        return [ShareLink(s, self.url_for(s)) for s in scan_all(self.store)]

    def retention(self, dry_run: bool = False) -> list[RetentionReport]:
        return apply_retention_all(self.store, dry_run)

    # -- QR codes --
    @staticmethod
    def qr_png(url: str, scale: int = 6) -> bytes:
        import segno
        buf = io.BytesIO()
        segno.make(url, error="m").save(buf, kind="png", scale=scale, border=2)
        return buf.getvalue()

    @staticmethod
    def qr_text(url: str) -> str:
        import segno
        buf = io.StringIO()
        segno.make(url, error="m").terminal(out=buf, compact=True)
        return buf.getvalue()

    # -- a server inside this process (the desktop app) --
    def server_running(self) -> bool:
        return self._thread is not None or running_server() is not None

    def start_server(self, port: int | None = None) -> int:
        from .server import ServerThread, ShareServer
        if self._thread is None:
            srv = ShareServer(self.store, self.config)
            self._thread = ServerThread(srv, port).start()
        return self._thread.port

    def serving_here(self) -> bool:
        """Whether this process runs the server (see :meth:`start_server`)."""
        return self._thread is not None

    def use_server(self, thread: ServerThread) -> None:
        """Point links at an already running :class:`ServerThread`."""
        self._thread = thread

    def stop_server(self) -> None:
        if self._thread is not None:
            self._thread.stop()
            self._thread: ServerThread | None = None

    def set_global_limit(self, bps: int) -> None:
        self.config.global_limit_bps = int(bps)
        if self._thread is not None:
            self._thread.call(self._thread.server.set_global_limit, bps)
