"""What the RPC adds to the checks every local endpoint shares (``core/netguard.py``:
connection caps and timeouts, constant-time tokens, Host/Origin, strict JSON).

- ``refusal``: ``netguard.browser_refusal`` with this server's loopback names as the
  only Hosts (no DNS rebinding) and, as the web origins that may call, those the user
  allowed plus any browser extension (``chrome-extension://``, ``moz-extension://`` ...):
  no web page can drive the RPC (CSRF).  A request with no ``Origin`` is not from a web
  page (aria2p, curl, a userscript manager's own requests).
- aria2's own limits: 2 MiB per request (``--rpc-max-request-size``), a refused token
  answered after 1 s.
"""

from __future__ import annotations

from typing import Iterable, Mapping
from urllib.parse import urlsplit

from .. import netguard

MAX_BODY = 2 << 20           # bytes per request or WebSocket message (aria2's --rpc-max-request-size)
MAX_SESSIONS = 32            # WebSocket connections at once
UNAUTHORIZED_DELAY = 1.0     # seconds before a refused token is answered (as aria2 does)

EXTENSION_SCHEMES = ("chrome-extension", "moz-extension", "safari-web-extension", "extension")


def normalize_origin(origin: str) -> str | None:
    """``scheme://host[:port]`` in lower case, or "null"; None when it is not an origin."""
    o = origin.strip()
    if o.lower() == "null":
        return "null"
    try:
        p = urlsplit(o)
        port = p.port
    except ValueError:
        return None
    if not p.scheme or not p.hostname or p.path not in ("", "/") or p.query or p.fragment:
        return None
    host = f"[{p.hostname}]" if ":" in p.hostname else p.hostname
    return f"{p.scheme.lower()}://{host.lower()}" + (f":{port}" if port is not None else "")


def is_extension_origin(origin: str) -> bool:
    scheme = origin.split("://", 1)[0].lower() if "://" in origin else ""
    return scheme in EXTENSION_SCHEMES


def refusal(headers: Mapping[str, str], port: int, allowed_origins: Iterable[str] = ()) -> str | None:
    """Why a request may not call the RPC on ``port``, else None (netguard's reasons)."""
    extra = [normalize_origin(o) or o for o in allowed_origins]
    origin = headers.get("Origin")
    if origin and is_extension_origin(origin.strip()):
        extra.append(origin.strip())
    return netguard.browser_refusal(headers, netguard.loopback_hosts(port), extra)
