"""Where the GUI keeps its own state (window geometry, layout) and how it reads and
writes the application settings shared with the core (core/settings.py, through the
facade core/app.py)."""

from __future__ import annotations

import copy
import itertools
import threading
from typing import Any, Callable

from PySide6.QtCore import QSettings

from core import app as facade
from core.paths import config_dir


def gui_state() -> QSettings:
    """Window geometry, splitter and column layout: config_dir()/gui.ini."""
    return QSettings(str(config_dir() / "gui.ini"), QSettings.Format.IniFormat)


def restore_layout(window: Any) -> None:
    st = gui_state()
    for key, restore in (("main/geometry", window.restoreGeometry), ("main/state", window.restoreState),
                         ("main/splitter", window.splitter.restoreState),
                         ("main/header", window.table.horizontalHeader().restoreState)):
        value = st.value(key)
        if value is not None:
            restore(value)
    window.act_details.setChecked(window.details.isVisibleTo(window) or not window.isVisible())


def save_layout(window: Any) -> None:
    st = gui_state()
    st.setValue("main/geometry", window.saveGeometry())
    st.setValue("main/state", window.saveState())
    st.setValue("main/splitter", window.splitter.saveState())
    st.setValue("main/header", window.table.horizontalHeader().saveState())
    st.sync()


def load_settings() -> tuple[Any, str | None]:
    """(settings, problem): the core's Settings, or defaults plus a message for the user.
    Read once at start on the GUI thread, before the event loop runs and any window exists:
    the language they name must be installed before the first widget is made."""
    try:
        res = facade.load_settings()
    except Exception as exc:  # noqa: BLE001 - shown, never a traceback
        return facade.default_settings(), str(exc)
    return res, getattr(res, "load_error", None)


_writes = itertools.count(1)
_write_lock = threading.Lock()
_written = [0]          # the number of the last write on disk


def save_settings(bridge: Any, settings: Any, on_error: Callable[[str], None]) -> None:
    """Writes the settings as they are now, in a worker thread (also while the queue
    cannot start); of two quick changes, the later one stays on disk."""
    snapshot, number = copy.deepcopy(settings), next(_writes)

    def write() -> None:
        with _write_lock:
            if number > _written[0]:
                facade.save_settings(snapshot)
                _written[0] = number
    bridge.run_blocking(write, on_error=on_error)


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
