"""The application settings, where the queue's callers have always found them.

They belong to the whole application (the hand-off reads its installs from them
too), so they live in core/settings.py; these names stay reachable from here.
"""

from ..settings import (
    FILE_NAME,
    LANGUAGES,
    PROXY_SCHEMES,
    Settings,
    SettingsError,
    load_settings,
    save_settings,
    settings_path,
    validate,
)

__all__ = ["FILE_NAME", "LANGUAGES", "PROXY_SCHEMES", "Settings", "SettingsError", "load_settings",
           "save_settings", "settings_path", "validate"]
