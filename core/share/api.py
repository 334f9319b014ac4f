"""The sharing facade used by the CLI and the GUI (synchronous, quick calls)."""

from __future__ import annotations

import io
import os
import secrets
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import limits, signing
from .config import ServerConfig, link_base, load_config, running_server
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
        self.server_port: int | None = None   # links for the server on this port (else: the
                                              # configured port's, else the newest running)

    # -- links --
    def key(self) -> bytes:
        return get_secret(self.store.secret_id())

    def link_base(self) -> str:
        """Where links point: this process's server, a running ``serve``, or the settings."""
        if self._thread is not None:
            return self._thread.server.link_base()
        info = self._running()
        if info:
            return str(info["link_base"])
        return link_base(self.config, self.server_port)

    def _running(self) -> dict | None:
        return running_server(self.server_port, self.config.port)

    def url_for(self, share: Share) -> str:
        return signing.build_url(self.link_base(), self.key(), share.id, share.name, share.expires)

    def create(self, path: str | os.PathLike, expires: str | int | None = None, password: str | None = None,
               limit_bps: int = 0) -> ShareLink:
        """Share one file. ``expires``: '24h', '7d', seconds, or 'never'."""
        secs = limits.duration(self.config.default_expires if expires is None else expires, "expiry")
        password = limits.password(password)
        limit_bps = limits.rate(limit_bps)
        key = self.key()                      # no keyring -> NoKeyring before anything is stored
        share = self.store.add(path, expires=int(time.time()) + secs if secs else 0,
                               password=password, limit_bps=limit_bps)
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
        secs = limits.duration(self.config.default_expires if expires is None else expires, "expiry")
        if retention_days is not None:
            retention_days = limits.retention_days(retention_days)
        return self.store.add_watch(folder, secs, limits.password(password), limits.rate(limit_bps),
                                    recursive, retention_days, retention_action, archive_dir)

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
        return self._thread is not None or self._running() is not None

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
        bps = limits.rate(bps)
        self.config.global_limit_bps = bps
        if self._thread is not None:
            self._thread.call(self._thread.server.set_global_limit, bps)
