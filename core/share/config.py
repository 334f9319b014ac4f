"""Share server settings (``config_dir()/share.json``, no secrets in it), the
running server's address (``data_dir()/share-server.json``), durations and the
LAN address."""

from __future__ import annotations

import json
import logging
import os
import re
import socket
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from ..errors import ZhilianError

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

    @property
    def bind_host(self) -> str:
        return "0.0.0.0" if self.lan else "127.0.0.1"


def config_path() -> Path:
    from ..paths import config_dir
    return config_dir() / "share.json"


def load_config() -> ServerConfig:
    """Saved settings; a broken file gives the defaults and a warning, never a crash."""
    p = config_path()
    try:
        raw = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return ServerConfig()
    except (OSError, ValueError) as e:
        log.warning("share settings %s unreadable (%s); using defaults", p, e)
        return ServerConfig()
    known = {f.name for f in fields(ServerConfig)}
    try:
        return ServerConfig(**{k: v for k, v in raw.items() if k in known})
    except TypeError:
        return ServerConfig()


def save_config(cfg: ServerConfig) -> None:
    p = config_path()
    tmp = p.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(cfg), indent=2), encoding="utf-8")
    os.replace(tmp, p)


# -- the running server --------------------------------------------------------

def runtime_path() -> Path:
    from ..paths import data_dir
    return data_dir() / "share-server.json"


def write_runtime(port: int, lan: bool, link_base: str) -> None:
    p = runtime_path()
    tmp = p.with_suffix(".tmp")
    tmp.write_text(json.dumps({"pid": os.getpid(), "port": port, "lan": lan,
                               "link_base": link_base}), encoding="utf-8")
    os.replace(tmp, p)


def clear_runtime() -> None:
    try:
        info = json.loads(runtime_path().read_text(encoding="utf-8"))
        if info.get("pid") == os.getpid():
            runtime_path().unlink()
    except (OSError, ValueError):
        pass


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    if os.name == "nt":       # os.kill(pid, 0) would send Ctrl-C there
        import ctypes
        k32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
        h = k32.OpenProcess(0x1000, False, pid)      # PROCESS_QUERY_LIMITED_INFORMATION
        if not h:
            return False
        code = ctypes.c_ulong()
        try:
            ok = k32.GetExitCodeProcess(h, ctypes.byref(code))
        finally:
            k32.CloseHandle(h)
        return bool(ok) and code.value == 259        # STILL_ACTIVE
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def running_server() -> dict | None:
    """``{"pid", "port", "lan", "link_base"}`` of a live share server, else None."""
    try:
        info = json.loads(runtime_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(info, dict) or not _pid_alive(int(info.get("pid", 0))):
        return None
    return info


# -- durations -----------------------------------------------------------------

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_duration(text: str | int | float | None) -> int:
    """'24h' -> 86400, '90m', '7d', '1w', '3600' (seconds); 'never'/'0' -> 0."""
    if text is None:
        return 0
    if isinstance(text, (int, float)):
        return max(0, int(text))
    t = text.strip().lower()
    if t in ("never", "0", "none", "forever"):
        return 0
    total = 0
    pos = 0
    for m in re.finditer(r"\s*(\d+(?:\.\d+)?)\s*([smhdw]?)", t):
        if m.start() != pos:
            break
        total += float(m.group(1)) * _UNITS[m.group(2) or "s"]
        pos = m.end()
    if pos != len(t) or not t or total <= 0:
        raise ZhilianError(f"Not a duration: {text!r} (use e.g. 30m, 24h, 7d, 1w or 'never')")
    return int(total)


def human_duration(seconds: float) -> str:
    s = int(max(0, seconds))
    if s >= 86400:
        return f"{s // 86400}d {s % 86400 // 3600}h"
    if s >= 3600:
        return f"{s // 3600}h {s % 3600 // 60}m"
    if s >= 60:
        return f"{s // 60}m"
    return f"{s}s"


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
