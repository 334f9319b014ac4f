"""Encrypted cookie jar: a random key in the system keyring, ciphertext on disk.

Windows Credential Manager stores at most 2,560 bytes per secret and a browser's
cookies for one host are often bigger, so the keyring holds only a 32-byte
AES-256-GCM key (base64, 44 characters).  The jar itself (all accounts, JSON)
is encrypted with that key and written to ``data_dir()/accounts.jar``.  Without
the keyring entry the file is noise: no cookie value is readable on disk.

The file starts with a short clear-text header naming the key (a random id), so
two installs (or a portable copy with $ZHILIAN_HOME) never share or clobber a key.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import secrets
import threading
from pathlib import Path
from typing import Any

from ..errors import NoKeyring
from ..fsutil import atomic_write

log = logging.getLogger(__name__)

SERVICE = "Zhilian"
MAGIC = b"ZLJAR1\n"
_lock = threading.RLock()

# Backends that keep secrets readable on disk or keep nothing at all.
_REJECTED = {
    "keyring.backends.fail.Keyring": "no keyring backend is available",
    "keyring.backends.null.Keyring": "the keyring is switched off",
    "keyrings.alt.file.PlaintextKeyring": "it stores secrets in a plain-text file",
    "keyrings.alt.file.EncryptedKeyring": "it asks for a password on the terminal",
    "keyrings.alt.pyfs.PlaintextKeyring": "it stores secrets in a plain-text file",
    "keyrings.alt.pyfs.EncryptedKeyring": "it asks for a password on the terminal",
}


def _qualname(obj: object) -> str:
    c = type(obj)
    return f"{c.__module__}.{c.__name__}"


def keyring_backend():
    """The usable keyring backend, or raise NoKeyring saying why not."""
    try:
        import keyring
        from keyring.backends import chainer
        kr = keyring.get_keyring()
    except Exception as e:  # import problems, broken config
        raise NoKeyring(f"{NoKeyring().message} ({type(e).__name__})") from e
    backends = list(kr.backends) if isinstance(kr, chainer.ChainerBackend) else [kr]
    usable = []
    for b in backends:
        q = _qualname(b)
        if q in _REJECTED or "plaintext" in type(b).__name__.lower():
            continue
        usable.append(b)
    if not usable:
        why = "; ".join(f"{_qualname(b)}: {_REJECTED.get(_qualname(b), 'plain-text storage')}"
                        for b in backends) or "no keyring backend is available"
        err = NoKeyring(f"{NoKeyring().message} ({why})")
        err.reason = why  # type: ignore[attr-defined]
        raise err
    return kr if len(usable) == len(backends) else usable[0]


class KeyringJar:
    """All accounts in one AES-GCM encrypted file; the key in the keyring."""

    storage = "keyring"

    def __init__(self, path: Path | None = None):
        if path is None:
            from ..paths import data_dir
            path = data_dir() / "accounts.jar"
        self.path = path

    # -- keyring access (every failure -> NoKeyring) --
    def _kr_get(self, user: str) -> str | None:
        kr = keyring_backend()
        try:
            return kr.get_password(SERVICE, user)
        except Exception as e:
            raise NoKeyring(f"{NoKeyring().message} (reading failed: {type(e).__name__})") from e

    def _kr_set(self, user: str, value: str) -> None:
        kr = keyring_backend()
        try:
            kr.set_password(SERVICE, user, value)
        except Exception as e:
            raise NoKeyring(f"{NoKeyring().message} (writing failed: {type(e).__name__})") from e

    def _kr_del(self, user: str) -> None:
        try:
            keyring_backend().delete_password(SERVICE, user)
        except NoKeyring:
            raise
        except Exception:  # already gone
            pass

    # -- file format --
    def _read_header(self) -> tuple[dict[str, Any], bytes, bytes] | None:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None
        if not raw.startswith(MAGIC):
            log.warning("accounts file %s is not a Zhilian jar; ignoring it", self.path)
            return None
        try:
            head_end = raw.index(b"\n", len(MAGIC))
            header = json.loads(raw[len(MAGIC):head_end])
            if not isinstance(header, dict):
                raise ValueError("header")
        except ValueError:
            log.warning("accounts file %s is damaged; logins must be imported again", self.path)
            return None
        return header, raw[:head_end + 1], raw[head_end + 1:]

    def load(self) -> dict[str, Any]:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
        with _lock:
            got = self._read_header()
            if got is None:
                keyring_backend()       # still tell the caller when there is no keyring
                return {}
            header, header_bytes, blob = got
            key_b64 = self._kr_get(f"accounts-key-{header['key_id']}")
            if not key_b64:
                log.warning("the key of the stored logins is missing from the keyring; "
                            "logins must be imported again")
                return {}
            try:
                plain = AESGCM(base64.b64decode(key_b64)).decrypt(blob[:12], blob[12:], header_bytes)
            except Exception:
                log.warning("stored logins cannot be decrypted (keyring key changed); "
                            "logins must be imported again")
                return {}
            return json.loads(plain)

    def save(self, data: dict[str, Any]) -> None:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
        with _lock:
            got = self._read_header()
            key = None
            key_id = None
            if got is not None:
                key_id = got[0].get("key_id")
                k = self._kr_get(f"accounts-key-{key_id}") if key_id else None
                key = base64.b64decode(k) if k else None
            if key is None:
                key_id = secrets.token_hex(8)
                key = AESGCM.generate_key(bit_length=256)
                self._kr_set(f"accounts-key-{key_id}", base64.b64encode(key).decode())
            header_bytes = MAGIC + json.dumps({"key_id": key_id, "alg": "AES-256-GCM"}).encode() + b"\n"
            nonce = os.urandom(12)
            ct = AESGCM(key).encrypt(nonce, json.dumps(data).encode(), header_bytes)
            atomic_write(self.path, header_bytes + nonce + ct)

    def clear(self) -> None:
        with _lock:
            got = self._read_header()
            if got and got[0].get("key_id"):
                self._kr_del(f"accounts-key-{got[0]['key_id']}")
            self.path.unlink(missing_ok=True)


class MemoryJar:
    """Session-only logins: kept in this process, gone when it ends."""

    storage = "session"

    def __init__(self) -> None:
        self.data: dict[str, Any] = {}

    def load(self) -> dict[str, Any]:
        return json.loads(json.dumps(self.data))

    def save(self, data: dict[str, Any]) -> None:
        self.data = json.loads(json.dumps(data))

    def clear(self) -> None:
        self.data = {}
