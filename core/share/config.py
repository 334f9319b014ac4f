"""Share server settings (``config_dir()/share.json``, no secrets in it), the
running servers' addresses (``data_dir()/share-server-PORT.json``, one per server),
durations and the LAN address."""

from __future__ import annotations

import json
import logging
import os
import socket
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, Callable

from .. import netguard
from ..fsutil import atomic_write, pid_alive
from . import limits
from .store import ShareError

log = logging.getLogger(__name__)

DEFAULT_PORT = 8770


@dataclass
class ServerConfig:
    port: int = DEFAULT_PORT
    lan: bool = False                 # opt-in: listen on every interface, links use the LAN address
    public_host: str | None = None    # host name/IP put in links instead of the detected one
    global_limit_bps: int = 0         # all shares together (0 = unlimited)
    default_expires: str = "24h"
    poll_seconds: float = 5.0         # watched folders
    retention_every_hours: float = 6.0
    header_timeout: float = netguard.HEADER_TIMEOUT   # a request's headers must arrive within
    idle_timeout: float = netguard.IDLE_TIMEOUT       # a connection may wait for a request
    max_connections: int = 0          # all clients together (0 = from the descriptor limit)
    max_connections_per_client: int = netguard.MAX_PER_CLIENT

    @property
    def bind_host(self) -> str:
        return "0.0.0.0" if self.lan else "127.0.0.1"

    def guard_limits(self) -> netguard.GuardLimits:
        return netguard.GuardLimits(header_timeout=self.header_timeout,
                                    idle_timeout=self.idle_timeout,
                                    max_connections=self.max_connections,
                                    max_per_client=self.max_connections_per_client)


def _number(lo: float, hi: float, integer: bool = False) -> Callable[[Any], Any]:
    return lambda v: limits.number(v, lo, hi, "value", integer=integer, strict=True)


def _flag(v: Any) -> bool:
    if not isinstance(v, bool):
        raise ShareError("not true or false")
    return v


def _expiry_text(v: Any) -> str:
    if not isinstance(v, str):
        raise ShareError("not a duration text")
    limits.duration(v)
    return v


# how each setting is checked when share.json is read (a bad value falls back to its default)
_CHECKS: dict[str, Callable[[Any], Any]] = {
    "port": _number(1, 65535, integer=True),
    "lan": _flag,
    "public_host": limits.host,
    "global_limit_bps": lambda v: limits.rate(_number(0, limits.MAX_RATE_BPS)(v)),
    "default_expires": _expiry_text,
    "poll_seconds": _number(0.2, 3600),
    "retention_every_hours": _number(0.01, 24 * 365),
    "header_timeout": _number(0.5, 300),
    "idle_timeout": _number(0.5, 3600),
    "max_connections": _number(0, 1_000_000, integer=True),
    "max_connections_per_client": _number(1, 100_000, integer=True),
}


def config_path() -> Path:
    from ..paths import config_dir
    return config_dir() / "share.json"


def load_config() -> ServerConfig:
    """Saved settings; a broken file or value gives the default and a warning, never a crash."""
    p = config_path()
    try:
        raw = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return ServerConfig()
    except (OSError, ValueError, RecursionError) as e:
        log.warning("share settings %s unreadable (%s); using defaults", p, e)
        return ServerConfig()
    if not isinstance(raw, dict):
        log.warning("share settings %s are not a JSON object; using defaults", p)
        return ServerConfig()
    values: dict[str, Any] = {}
    for f in fields(ServerConfig):
        if f.name not in raw:
            continue
        try:
            values[f.name] = _CHECKS[f.name](raw[f.name])
        except ShareError as e:
            log.warning("share setting %s in %s ignored (%s); using the default", f.name, p, e)
    return ServerConfig(**values)


def save_config(cfg: ServerConfig) -> None:
    atomic_write(config_path(), json.dumps(asdict(cfg), indent=2))


# -- the running servers (one file per port) --------------------------------------------------

RUNTIME_PREFIX = "share-server"


def runtime_path(port: int) -> Path:
    """``data_dir()/share-server-PORT.json``: written by the server listening on PORT."""
    from ..paths import data_dir
    return data_dir() / f"{RUNTIME_PREFIX}-{int(port)}.json"


def write_runtime(port: int, lan: bool, link_base: str) -> None:
    atomic_write(runtime_path(port), json.dumps({
        "pid": os.getpid(), "port": port, "lan": lan, "link_base": link_base,
        "started": time.time()}))


def clear_runtime(port: int) -> None:
    """Remove this process's runtime file for ``port`` (another server's is left alone)."""
    p = runtime_path(port)
    info = _read_runtime(p)
    if info is not None and info["pid"] == os.getpid():
        p.unlink(missing_ok=True)


def _read_runtime(p: Path) -> dict | None:
    try:
        info = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    if not isinstance(info, dict):
        return None
    pid, port_, base = info.get("pid"), info.get("port"), info.get("link_base")
    started = info.get("started", 0)
    if (not isinstance(pid, int) or isinstance(pid, bool) or not isinstance(port_, int)
            or not 0 < port_ <= 65535 or not isinstance(base, str) or not base.startswith("http")
            or not isinstance(started, (int, float))):
        return None
    return {"pid": pid, "port": port_, "lan": info.get("lan") is True, "link_base": base,
            "started": float(started), "file": p}


def running_servers() -> list[dict]:
    """Live share servers, newest first: ``{"pid", "port", "lan", "link_base", "started"}``.
    Files of servers that are gone are removed."""
    from ..paths import data_dir
    live = []
    for p in sorted(data_dir().glob(f"{RUNTIME_PREFIX}*.json")):
        info = _read_runtime(p)
        if info is None:
            continue
        if not pid_alive(info["pid"]):
            p.unlink(missing_ok=True)
            continue
        live.append(info)
    live.sort(key=lambda i: i["started"], reverse=True)
    return live


def running_server(port: int | None = None, preferred_port: int | None = None) -> dict | None:
    """The server links should point at: the one on ``port`` when given (None if it does not
    run), else the one on ``preferred_port`` (the configured port), else the newest."""
    servers = running_servers()
    if port is not None:
        return next((s for s in servers if s["port"] == port), None)
    if preferred_port is not None:
        for s in servers:
            if s["port"] == preferred_port:
                return s
    return servers[0] if servers else None


# -- durations -----------------------------------------------------------------

def parse_duration(text: str | int | float | None) -> int:
    """'24h' -> 86400, '90m', '7d', '1w', '3600' (seconds); 'never'/'0' -> 0; at most 10
    years (see :func:`core.share.limits.duration`)."""
    return limits.duration(text)


# -- addresses -----------------------------------------------------------------

def lan_address() -> str | None:
    """This machine's address on the local network (no packet is sent)."""
    candidates: list[str] = []
    for probe in ("192.168.0.1", "10.0.0.1", "172.16.0.1", "192.0.2.1"):
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.connect((probe, 9))
                candidates.append(s.getsockname()[0])
        except OSError:
            continue
    try:
        candidates += socket.gethostbyname_ex(socket.gethostname())[2]
    except OSError:
        pass
    for ip in candidates:
        if ip and not ip.startswith("127.") and ip != "0.0.0.0":
            return ip
    return None


def link_host(cfg: ServerConfig) -> str:
    if cfg.public_host:
        return cfg.public_host
    if cfg.lan:
        return lan_address() or "127.0.0.1"
    return "127.0.0.1"


def link_base(cfg: ServerConfig, port: int | None = None) -> str:
    host = link_host(cfg)
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port or cfg.port}"
