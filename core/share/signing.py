"""Signed share links: HMAC-SHA256 over the link's path and its expiry.

A link looks like ``http://HOST:PORT/s/<share id>/<file name>?e=<unix expiry>&sig=<mac>``.
The MAC covers the path (which carries the share id and the file name) and the
expiry, so changing any of them — a later expiry, another share's id, another
name — makes the signature wrong.  ``e=0`` means the link never expires.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import quote


def link_path(share_id: str, name: str) -> str:
    """The URL path of a share (percent-encoded)."""
    return f"/s/{share_id}/{quote(name, safe='')}"


def _message(share_id: str, name: str, expires: int) -> bytes:
    return f"zhilian-share-v1\n{share_id}\n{name}\n{int(expires)}".encode()


def sign(key: bytes, share_id: str, name: str, expires: int) -> str:
    mac = hmac.new(key, _message(share_id, name, expires), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def verify(key: bytes, share_id: str, name: str, expires: int, sig: str) -> bool:
    return hmac.compare_digest(sign(key, share_id, name, expires).encode(), sig.encode())


def build_url(base: str, key: bytes, share_id: str, name: str, expires: int) -> str:
    """``base`` is ``http://host:port`` (no trailing slash)."""
    e = int(expires)
    return f"{base.rstrip('/')}{link_path(share_id, name)}?e={e}&sig={sign(key, share_id, name, e)}"


def control_token(key: bytes) -> str:
    """The token control endpoints need: derived from the link key, so it is as
    secret as the key, lives nowhere on disk, and changes when the key rotates."""
    mac = hmac.new(key, b"zhilian-share-control-v1", hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()
