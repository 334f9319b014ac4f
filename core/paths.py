"""Where Zhilian keeps its files: platformdirs, or everything under $ZHILIAN_HOME
(tests and portable installs point it at one folder)."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP = "zhilian"


def _base(kind: str) -> Path:
    home = os.environ.get("ZHILIAN_HOME")
    if home:
        p = Path(home) / kind
    else:
        p = Path({
            "config": platformdirs.user_config_dir,
            "data": platformdirs.user_data_dir,
            "log": platformdirs.user_log_dir,
            "cache": platformdirs.user_cache_dir,
        }[kind](APP, appauthor=False))
    p.mkdir(parents=True, exist_ok=True)
    return p


def config_dir() -> Path:
    return _base("config")


def data_dir() -> Path:
    return _base("data")


def log_dir() -> Path:
    return _base("log")


def default_download_dir() -> Path:
    if os.environ.get("ZHILIAN_HOME"):
        return Path(os.environ["ZHILIAN_HOME"]) / "Downloads"
    return Path(platformdirs.user_downloads_dir())


def resources_dir() -> Path:
    """resources/ beside the sources, or inside a frozen (PyInstaller) bundle."""
    import sys
    base = Path(getattr(sys, "_MEIPASS", Path(__file__).resolve().parent.parent))
    return base / "resources"
