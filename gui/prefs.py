"""Where the GUI keeps its own state (window geometry, layout) and how it reads the
application settings shared with the core (core/queue/settings.py)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSettings

from core.paths import config_dir


def gui_state() -> QSettings:
    """Window geometry, splitter and column layout: config_dir()/gui.ini."""
    return QSettings(str(config_dir() / "gui.ini"), QSettings.Format.IniFormat)


def load_settings() -> tuple[Any, str | None]:
    """(settings, problem): the core's Settings, or defaults plus a message for the user."""
    try:
        from core.queue import settings as mod
    except ImportError as exc:
        return None, f"settings module missing: {exc}"
    try:
        res = mod.load_settings()
    except Exception as exc:  # noqa: BLE001 - shown, never a traceback
        return mod.Settings(), str(exc)
    if isinstance(res, tuple):        # (settings, warning) form
        return res[0], (res[1] if len(res) > 1 else None)
    return res, getattr(res, "load_error", None)


def save_settings(settings: Any) -> None:
    from core.queue import settings as mod
    mod.save_settings(settings)


def get(settings: Any, name: str, default: Any) -> Any:
    if settings is None:
        return default
    value = getattr(settings, name, default)
    return default if value is None else value


def download_dir(settings: Any) -> str:
    """The folder new downloads go to ("" in the settings = the system's Downloads)."""
    if settings is not None and hasattr(settings, "download_path"):
        return str(settings.download_path())
    from core.paths import default_download_dir
    return str(get(settings, "download_dir", "") or default_download_dir())
