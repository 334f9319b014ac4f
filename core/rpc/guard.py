"""The checks every RPC request passes before a method runs, in one small module so
the server depends on this interface only (a shared network guard can take its place).

- ``host_allowed``: the ``Host`` header must name this computer by a loopback name
  (``localhost``, ``127.x.x.x``, ``[::1]``), so a web page that rebinds its own DNS name
  to 127.0.0.1 is still refused (DNS rebinding).
- ``origin_allowed``: a browser sends ``Origin`` with every cross-site POST and WebSocket;
  only browser extensions (``chrome-extension://``, ``moz-extension://`` ...) and origins
  the user listed get through, so no web page can drive the RPC (CSRF).  A request with
  no ``Origin`` is not from a web page (aria2p, curl, userscript managers' own requests).
- ``token_matches``: the ``token:`` secret, compared in constant time.
- limits: body size, body read time, WebSocket sessions, requests in flight.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from typing import Iterable
from urllib.parse import urlsplit

MAX_BODY = 2 << 20           # bytes per request or WebSocket message (aria2's --rpc-max-request-size)
BODY_TIMEOUT = 30.0          # seconds to receive a request body (aria2 waits 30 s too)
MAX_SESSIONS = 32            # WebSocket connections at once
MAX_IN_FLIGHT = 64           # HTTP requests being answered at once; more get 503
UNAUTHORIZED_DELAY = 1.0     # seconds before a refused token is answered (as aria2 does)
IDLE_TIMEOUT = 30.0          # seconds a kept-alive connection may sit idle

EXTENSION_SCHEMES = ("chrome-extension", "moz-extension", "safari-web-extension", "extension")


def _loopback_name(host: str) -> bool:
    host = host.lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def host_allowed(host_header: str | None) -> bool:
    """``localhost[:port]``, ``127.0.0.1[:port]``, ``[::1][:port]``; nothing else."""
    if not host_header:
        return False
    h = host_header.strip()
    if h.startswith("["):
        inner, sep, rest = h[1:].partition("]")
        if not sep or (rest and not (rest.startswith(":") and rest[1:].isdigit())):
            return False
        return _loopback_name(inner)
    name, sep, port = h.partition(":")
    if sep and not port.isdigit():
        return False
    return _loopback_name(name)


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


def origin_allowed(origin: str | None, allowed: Iterable[str] = ()) -> bool:
    """No Origin (not a browser page), a browser extension, or an origin the user allowed."""
    if origin is None:
        return True
    if is_extension_origin(origin.strip()):
        return True
    norm = normalize_origin(origin)
    return norm is not None and norm in {normalize_origin(a) for a in allowed}


def token_matches(given: str | None, secret: str) -> bool:
    """Constant time whatever the lengths: both sides are hashed first."""
    if not secret:
        return False
    a = hashlib.sha256((given or "").encode("utf-8", "surrogatepass")).digest()
    b = hashlib.sha256(secret.encode("utf-8", "surrogatepass")).digest()
    return hmac.compare_digest(a, b) and given is not None
