"""Where Zhilian keeps its files: platformdirs, or everything under $ZHILIAN_HOME
(tests and portable installs point it at one folder).

On Linux the four folders of the app follow the XDG rules platformdirs applies
(``$XDG_DATA_HOME`` when it is an absolute path, else ``~/.local/share``, ...), worked out
here without importing platformdirs: that import (with the tempfile, shutil, random and
configparser modules it brings) was 7 ms of every `get`. tests/test_paths.py holds the two
answers equal; anything unusual (a relative HOME, Android) asks platformdirs."""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP = "zhilian"

# kind -> (XDG variable, default under the home folder, sub-folder); as platformdirs' Unix
_XDG = {
    "config": ("XDG_CONFIG_HOME", ".config", ""),
    "data": ("XDG_DATA_HOME", ".local/share", ""),
    "log": ("XDG_STATE_HOME", ".local/state", "log"),
    "cache": ("XDG_CACHE_HOME", ".cache", ""),
}


def _xdg_dir(kind: str) -> str | None:
    """platformdirs' answer on Linux, without platformdirs (None: ask it)."""
    if (not sys.platform.startswith("linux") or hasattr(sys, "getandroidapilevel")
            or "ANDROID_DATA" in os.environ):
        return None
    var, default, sub = _XDG[kind]
    base = os.environ.get(var, "")
    if not os.path.isabs(base):
        home = os.environ.get("HOME", "")
        if not os.path.isabs(home):
            return None
        base = home.rstrip("/") + "/" + default
    return os.path.join(base, APP, sub) if sub else os.path.join(base, APP)


def _platform_dir(kind: str) -> str:
    import platformdirs
    return {
        "config": platformdirs.user_config_dir,
        "data": platformdirs.user_data_dir,
        "log": platformdirs.user_log_dir,
        "cache": platformdirs.user_cache_dir,
    }[kind](APP, appauthor=False)


def _base(kind: str) -> Path:
    home = os.environ.get("ZHILIAN_HOME")
    if home:
        p = Path(home) / kind
    else:
        p = Path(_xdg_dir(kind) or _platform_dir(kind))
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
    import platformdirs
    return Path(platformdirs.user_downloads_dir())


def resources_dir() -> Path:
    """resources/ beside the sources, or inside a frozen (PyInstaller) bundle."""
    import sys
    base = Path(getattr(sys, "_MEIPASS", Path(__file__).resolve().parent.parent))
    return base / "resources"
