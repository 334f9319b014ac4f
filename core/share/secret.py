"""The HMAC key that signs share links, kept in the system keyring.

The key is 32 random bytes.  It lives only in the keyring (Secret Service,
Windows Credential Manager, macOS Keychain) under a name that carries a random
id stored in the share database, so two installs never share a key.  With no
usable keyring, :func:`get_secret` raises :class:`core.errors.NoKeyring`; the
user may then choose :func:`use_session_secret`: a key held in this process
only, so links stop working when the process ends.  The key is never written
to disk in clear text.
"""

from __future__ import annotations

import base64
import secrets
import threading

from ..accounts.store import SERVICE, keyring_backend
from ..errors import NoKeyring

_lock = threading.Lock()
_session_key: bytes | None = None
_session_only = False
_cache: dict[str, bytes] = {}

NO_KEYRING_HINT = ("share links need a secret kept in the system keyring; "
                   "choose a session-only secret (links stop working when the server stops) "
                   "with --session-secret, or the matching choice in the app")


def _no_keyring(e: NoKeyring) -> NoKeyring:
    text = str(e)
    why = text[len(NoKeyring().message):].strip() if text.startswith(NoKeyring().message) else text
    return NoKeyring("No usable system keyring (Secret Service, Windows Credential Manager or macOS "
                     f"Keychain){' ' + why if why else ''}: {NO_KEYRING_HINT}")


def use_session_secret(enabled: bool = True) -> None:
    """Sign links with a key kept in this process only (the user's choice when
    there is no keyring).  Links made this way die with the process."""
    global _session_only, _session_key
    with _lock:
        _session_only = enabled
        if enabled and _session_key is None:
            _session_key = secrets.token_bytes(32)


def session_secret_in_use() -> bool:
    return _session_only


def keyring_user(secret_id: str) -> str:
    return f"share-link-key-{secret_id}"


def get_secret(secret_id: str, create: bool = True) -> bytes:
    """The signing key named by ``secret_id`` (created on first use)."""
    with _lock:
        if _session_only:
            assert _session_key is not None
            return _session_key
        if secret_id in _cache:
            return _cache[secret_id]
        try:
            kr = keyring_backend()
        except NoKeyring as e:
            raise _no_keyring(e) from e
        user = keyring_user(secret_id)
        try:
            value = kr.get_password(SERVICE, user)
        except Exception as e:
            raise _no_keyring(NoKeyring(f"{NoKeyring().message} (reading failed: {type(e).__name__})")) from e
        if not value:
            if not create:
                raise NoKeyring("the share link key is missing from the keyring; "
                                "links made before cannot be verified")
            value = base64.b64encode(secrets.token_bytes(32)).decode()
            try:
                kr.set_password(SERVICE, user, value)
            except Exception as e:
                raise _no_keyring(NoKeyring(f"{NoKeyring().message} (writing failed: {type(e).__name__})")) from e
        key = base64.b64decode(value)
        _cache[secret_id] = key
        return key


def forget_secret(secret_id: str) -> None:
    """Delete a key from the keyring (after rotation)."""
    with _lock:
        _cache.pop(secret_id, None)
        if _session_only:
            return
        try:
            keyring_backend().delete_password(SERVICE, keyring_user(secret_id))
        except Exception:  # already gone or no keyring: nothing to delete
            pass


def clear_cache() -> None:
    """Forget cached keys (tests; a new process starts like this)."""
    global _session_only, _session_key
    with _lock:
        _cache.clear()
        _session_only = False
        _session_key = None
