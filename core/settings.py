"""Application settings: ``config_dir()/settings.json``.

Every field has a default and a validator. ``load_settings()`` never raises: a
missing file gives the defaults, a broken file (not JSON, wrong types, values out
of range) gives the defaults for whatever is wrong and a message for the user in
``Settings.load_error``; an unreadable JSON file is kept beside as
``settings.json.broken`` so nothing the user wrote is lost.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit

from . import paths
from .errors import ZhilianError
from .fsutil import atomic_write

log = logging.getLogger("zhilian.settings")

FILE_NAME = "settings.json"
LANGUAGES = ("", "en", "zh_CN")
PROXY_SCHEMES = ("http", "https", "socks4", "socks5", "socks5h")


class SettingsError(ZhilianError, ValueError):
    """A value the settings cannot take (raised by ``save_settings``)."""


@dataclass
class Settings:
    download_dir: str = ""          # "" -> the system's Downloads folder
    max_active: int = 3             # downloads running at once
    per_host: int = 4               # downloads at once from one host
    connections: int = 0            # connections per download, 0 = automatic
    host_connections: int = 16      # connections to one host across all downloads
    global_limit: int = 0           # bytes/s for everything together, 0 = unlimited
    proxy: str = ""                 # http://host:port, socks5://host:port, "" = none
    max_retries: int = 5            # automatic retries of a failed download
    retry_delay: float = 10.0       # seconds before the first retry (doubles each time)
    time_limit: float = 0.0         # default per-download time limit in seconds, 0 = none
    heygem_installs: list[str] = field(default_factory=list)
    language: str = ""              # "" = follow the system
    close_to_tray: bool = True
    watch_clipboard: bool = False
    notify: bool = True
    # not saved: why the file could not be used as written (None when it was fine)
    load_error: str | None = field(default=None, compare=False, repr=False)

    def download_path(self) -> Path:
        return Path(self.download_dir).expanduser() if self.download_dir else paths.default_download_dir()

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("load_error", None)
        return d


def _int_range(lo: int, hi: int) -> Callable[[Any], int]:
    def check(v: Any) -> int:
        if isinstance(v, bool) or not isinstance(v, int):
            raise ValueError(f"must be a whole number from {lo} to {hi}")
        if not lo <= v <= hi:
            raise ValueError(f"must be from {lo} to {hi}")
        return v
    return check


def _float_range(lo: float, hi: float) -> Callable[[Any], float]:
    def check(v: Any) -> float:
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise ValueError(f"must be a number from {lo:g} to {hi:g}")
        if not lo <= v <= hi:
            raise ValueError(f"must be from {lo:g} to {hi:g}")
        return float(v)
    return check


def _bool(v: Any) -> bool:
    if not isinstance(v, bool):
        raise ValueError("must be true or false")
    return v


def _str(v: Any) -> str:
    if v is None:
        return ""
    if not isinstance(v, str):
        raise ValueError("must be text")
    return v


def _proxy(v: Any) -> str:
    v = _str(v).strip()
    if not v:
        return ""
    p = urlsplit(v)
    if p.scheme.lower() not in PROXY_SCHEMES or not p.hostname:
        raise ValueError("must look like http://host:port or socks5://host:port")
    try:
        _ = p.port
    except ValueError:
        raise ValueError("has an invalid port") from None
    return v


def _language(v: Any) -> str:
    v = _str(v)
    if v not in LANGUAGES:
        raise ValueError(f"must be one of {', '.join(repr(x) for x in LANGUAGES)}")
    return v


def _str_list(v: Any) -> list[str]:
    if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
        raise ValueError("must be a list of folder paths")
    return list(v)


VALIDATORS: dict[str, Callable[[Any], Any]] = {
    "download_dir": _str,
    "max_active": _int_range(1, 50),
    "per_host": _int_range(1, 50),
    "connections": _int_range(0, 64),
    "host_connections": _int_range(1, 256),
    "global_limit": _int_range(0, 1 << 40),
    "proxy": _proxy,
    "max_retries": _int_range(0, 100),
    "retry_delay": _float_range(0, 86400),
    "time_limit": _float_range(0, 30 * 86400),
    "heygem_installs": _str_list,
    "language": _language,
    "close_to_tray": _bool,
    "watch_clipboard": _bool,
    "notify": _bool,
}


def settings_path() -> Path:
    return paths.config_dir() / FILE_NAME


def validate(data: dict[str, Any]) -> tuple[Settings, list[str]]:
    """Settings from a dict plus one problem line per rejected value."""
    s = Settings()
    problems: list[str] = []
    for f in fields(Settings):
        if f.name == "load_error" or f.name not in data:
            continue
        try:
            setattr(s, f.name, VALIDATORS[f.name](data[f.name]))
        except ValueError as e:
            problems.append(f"{f.name} {e} (got {data[f.name]!r}); using {getattr(s, f.name)!r}")
    unknown = sorted(set(data) - {f.name for f in fields(Settings)})
    if unknown:
        problems.append(f"ignored unknown setting(s): {', '.join(unknown)}")
    return s, problems


def load_settings(path: Path | None = None) -> Settings:
    """Never raises. ``result.load_error`` says what was wrong, if anything."""
    path = path or settings_path()
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Settings()
    except (OSError, UnicodeDecodeError) as e:
        s = Settings()
        s.load_error = f"Cannot read {path} ({e.__class__.__name__}): using default settings"
        log.warning("%s", s.load_error)
        return s
    try:
        data = json.loads(raw)
        if not isinstance(data, dict):
            raise ValueError("the file must hold one JSON object {...}")
    except ValueError as e:
        s = Settings()
        kept = path.with_name(path.name + ".broken")
        try:
            kept.write_text(raw, encoding="utf-8")
            where = f"; your file was kept as {kept.name}"
        except OSError:
            where = ""
        s.load_error = f"{path} is not valid settings ({e}): using default settings{where}"
        log.warning("%s", s.load_error)
        return s
    s, problems = validate(data)
    if problems:
        s.load_error = f"Some settings in {path} were not usable: " + "; ".join(problems)
        log.warning("%s", s.load_error)
    return s


def save_settings(settings: Settings, path: Path | None = None) -> None:
    """Validates, then writes atomically (temp file + rename). Raises
    ``SettingsError`` with a message when a value is not acceptable."""
    path = path or settings_path()
    data = settings.to_dict()
    _, problems = validate(data)
    if problems:
        raise SettingsError("Settings not saved: " + "; ".join(problems))
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
