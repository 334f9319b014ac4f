"""Sharing finished files as signed, expiring direct links (see docs/sharing.md).

    from core.share import ShareAPI
    api = ShareAPI()
    link = api.create("outputs/video.mp4", expires="24h", password=None)
    print(link.url)       # served by `main.py serve` or api.start_server()
"""

from __future__ import annotations

from .api import ShareAPI, ShareLink
from .config import ServerConfig, load_config, parse_duration, save_config
from .secret import session_secret_in_use, use_session_secret
from .server import ServerThread, ShareServer
from .store import Share, ShareError, ShareStore, Watch
from .watch import RetentionReport

__all__ = ["ShareAPI", "ShareLink", "ServerConfig", "load_config", "save_config", "parse_duration",
           "use_session_secret", "session_secret_in_use", "ShareServer", "ServerThread", "Share",
           "ShareError", "ShareStore", "Watch", "RetentionReport"]
