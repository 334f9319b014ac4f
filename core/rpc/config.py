"""RPC settings (``config_dir()/rpc.json``, no secret in it) and the RPC secret (in the
system keyring).

The secret is generated on first use: 32 hex characters from ``secrets``.  It lives in
the keyring under ``rpc-secret-<id>`` (the id is random and kept in rpc.json, so two
Zhilian homes never share a secret).  With no usable keyring a secret is made for this
process only and ``SecretInfo.kept`` says so (the desktop app shows that it changes at
every start).
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from ..errors import NoKeyring, ZhilianError
from ..fsutil import atomic_write
from .guard import normalize_origin

log = logging.getLogger("zhilian.rpc")

DEFAULT_PORT = 6800          # aria2's, so every aria2 client works with its defaults


class RpcConfigError(ZhilianError, ValueError):
    """A value the RPC settings cannot take."""


@dataclass
class RpcConfig:
    enabled: bool = True                                        # the desktop app serves the RPC
    port: int = DEFAULT_PORT
    allowed_origins: list[str] = field(default_factory=list)    # web pages allowed to call (AriaNg)
    allowed_dirs: list[str] = field(default_factory=list)       # folders `dir` may name, besides downloads
    secret_id: str = ""                                         # names the keyring entry

    def check(self) -> None:
        """Raises RpcConfigError with a message for the first unusable value."""
        if not isinstance(self.enabled, bool):
            raise RpcConfigError("enabled must be true or false")
        if isinstance(self.port, bool) or not isinstance(self.port, int) or not 0 <= self.port <= 65535:
            raise RpcConfigError(f"port must be from 1 to 65535, or 0 for any free port (got {self.port!r})")
        for o in self.allowed_origins:
            if not isinstance(o, str) or normalize_origin(o) is None:
                raise RpcConfigError(f"not a web origin (scheme://host[:port]): {o!r}")
        for d in self.allowed_dirs:
            if not isinstance(d, str) or not d.strip() or not Path(d).expanduser().is_absolute():
                raise RpcConfigError(f"allowed folders must be absolute paths (got {d!r})")


def config_path() -> Path:
    from ..paths import config_dir
    return config_dir() / "rpc.json"


def load_config() -> RpcConfig:
    """Never raises: a missing file gives the defaults, a broken one the defaults and a warning."""
    p = config_path()
    try:
        raw = json.loads(p.read_text(encoding="utf-8"))
        if not isinstance(raw, dict):
            raise ValueError("not a JSON object")
    except FileNotFoundError:
        return RpcConfig()
    except (OSError, ValueError) as e:
        log.warning("RPC settings %s unusable (%s); using defaults", p, e)
        return RpcConfig()
    known = {f.name for f in fields(RpcConfig)}
    cfg = RpcConfig(**{k: v for k, v in raw.items() if k in known})
    try:
        cfg.check()
    except RpcConfigError as e:
        log.warning("RPC settings %s: %s; using defaults", p, e)
        return RpcConfig(secret_id=cfg.secret_id if isinstance(cfg.secret_id, str) else "")
    return cfg


def save_config(cfg: RpcConfig) -> None:
    """Checks, then writes atomically (the app's Settings and a first ``get_secret`` may
    both write at once: one at a time, each through its own temporary file)."""
    cfg.check()
    p = config_path()
    with _lock:
        atomic_write(p, json.dumps(asdict(cfg), indent=2, ensure_ascii=False) + "\n")


# -- the secret ------------------------------------------------------------------

@dataclass(frozen=True)
class SecretInfo:
    secret: str
    kept: bool                 # True: in the keyring; False: this process only
    problem: str | None = None  # why it is not kept


_lock = threading.RLock()
_session: dict[str, str] = {}


def _keyring_user(cfg: RpcConfig) -> str:
    return f"rpc-secret-{cfg.secret_id}"


def _ensure_id(cfg: RpcConfig) -> RpcConfig:
    if not cfg.secret_id:
        cfg.secret_id = secrets.token_hex(8)
        save_config(cfg)
    return cfg


def get_secret(cfg: RpcConfig | None = None, *, renew: bool = False) -> SecretInfo:
    """The RPC secret (created on first use; a new one with ``renew``). Blocking (keyring)."""
    from ..accounts.store import SERVICE, keyring_backend
    with _lock:
        cfg = _ensure_id(cfg or load_config())
        user = _keyring_user(cfg)
        try:
            kr = keyring_backend()
            value = None if renew else kr.get_password(SERVICE, user)
            if not value:
                value = secrets.token_hex(16)
                kr.set_password(SERVICE, user, value)
            return SecretInfo(value, True)
        except (NoKeyring, Exception) as e:  # any backend failure: this process only
            problem = str(e) or e.__class__.__name__
            if renew or user not in _session:
                _session[user] = secrets.token_hex(16)
            return SecretInfo(_session[user], False, problem)
