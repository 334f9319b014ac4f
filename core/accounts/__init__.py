"""Logins (cookies, tokens) per host, kept in the system keyring.

Public API::

    load_credentials() -> {account_host: {"cookies": {...}, "token": str|None,
                                          "max_connections": int|None, "settings": {...}}}
    save_cookies(host, cookies)          # merge rotated cookies back
    import_cookies(host, text) -> AccountStatus
    list_accounts() -> list[AccountStatus]
    account_status(host) -> AccountStatus
    remove_account(host) -> bool
    set_setting(host, name, value)       # e.g. "max_connections" for Baidu
    set_token(host, token)
    use_session_only(True)               # after NoKeyring: keep logins in memory only

Where it is stored and why: ``store.py``.  Never a plain-text fallback: with no
usable keyring the functions that write raise ``core.errors.NoKeyring`` until the
caller opts into a session-only store.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

from ..errors import ErrorKind, NoKeyring
from .hosts import cookie_allowed, normalize_host, rule_for
from .parse import CookieImportError, ParsedCookies, detect_and_parse
from .store import KeyringJar, MemoryJar, keyring_backend

log = logging.getLogger(__name__)

__all__ = [
    "AccountStatus", "CookieImportError", "NoKeyring", "load_credentials", "save_cookies",
    "import_cookies", "list_accounts", "account_status", "remove_account", "set_setting",
    "set_token", "use_session_only", "session_only", "keyring_available", "normalize_host",
]

_memory = MemoryJar()
_session_only = False
_warned = False


@dataclass
class AccountStatus:
    host: str
    label: str = ""
    cookie_names: list[str] = field(default_factory=list)
    required: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    expired: list[str] = field(default_factory=list)
    expires_at: float | None = None      # earliest expiry of the login cookies, when known
    has_token: bool = False
    settings: dict[str, Any] = field(default_factory=dict)
    stored: bool = False
    storage: str = "keyring"             # keyring | session
    valid: bool = False
    message: str = ""                    # in English, for the CLI and logs
    #: the same as ``message``, as a code a front end words (with the fields above):
    #: none (no login stored), incomplete (``missing``), expired (``expired``), empty (no
    #: cookies, no token), valid (a login the host needs), cookies, token (stored)
    state: str = "none"


def use_session_only(enabled: bool = True) -> None:
    """Keep logins in this process only (the choice offered when there is no keyring)."""
    global _session_only
    _session_only = enabled


def session_only() -> bool:
    return _session_only


def keyring_available() -> bool:
    try:
        keyring_backend()
        return True
    except NoKeyring:
        return False


def _store():
    return _memory if _session_only else KeyringJar()


def _load() -> dict[str, Any]:
    data = _store().load()
    data.setdefault("accounts", {})
    return data


def _update(host: str, fn) -> dict[str, Any]:
    store = _store()
    data = store.load()
    accounts = data.setdefault("accounts", {})
    acc = accounts.setdefault(host, {"cookies": {}, "expires": {}, "token": None, "settings": {}})
    fn(acc)
    acc["updated"] = time.time()
    store.save(data)
    return acc


def load_credentials() -> dict[str, dict[str, Any]]:
    """Every stored login, for ``ResolverContext.credentials``.  With no usable
    keyring (and no session-only choice) this returns what this process was
    given in memory and logs why; it never reads anything from plain text."""
    global _warned
    try:
        data = _load()
    except NoKeyring as e:
        if not _warned:
            log.warning("%s", e)
            _warned = True
        data = _memory.load()
        data.setdefault("accounts", {})
    out: dict[str, dict[str, Any]] = {}
    for host, acc in data["accounts"].items():
        settings = dict(acc.get("settings") or {})
        out[host] = {"cookies": dict(acc.get("cookies") or {}), "token": acc.get("token"),
                     "max_connections": settings.get("max_connections"), "settings": settings}
    return out


def save_cookies(host: str, cookies: dict[str, str]) -> None:
    """Store cookies a host rotated (merged into that account).  Never raises for a
    missing keyring: the new values are then kept for this process only."""
    if not cookies:
        return
    acc_host = normalize_host(host)

    def merge(acc: dict[str, Any]) -> None:
        acc.setdefault("cookies", {}).update(cookies)
        for name in cookies:
            acc.setdefault("expires", {}).pop(name, None)
    try:
        _update(acc_host, merge)
    except NoKeyring as e:
        log.warning("rotated cookies kept for this session only: %s", e)
        data = _memory.load()
        data.setdefault("accounts", {})
        acc = data["accounts"].setdefault(acc_host, {"cookies": {}, "expires": {}, "token": None,
                                                     "settings": {}})
        merge(acc)
        _memory.save(data)


def import_cookies(host: str, text: str, *, now: float | None = None) -> AccountStatus:
    """Parse cookies from a Cookie header, cookies.txt or copied cURL/PowerShell
    command and store them for ``host`` (replacing the previous login)."""
    acc_host = normalize_host(host)
    if not acc_host:
        raise CookieImportError("Give the host the cookies belong to, e.g. pan.baidu.com",
                                kind=ErrorKind.COOKIES_NO_HOST)
    p: ParsedCookies = detect_and_parse(text, acc_host)
    if p.url_host and not cookie_allowed(acc_host, p.url_host):
        raise CookieImportError(
            f"This command was copied from {p.url_host}, not from {acc_host}: "
            "its cookies would be sent to the wrong host", kind=ErrorKind.COOKIES_WRONG_HOST,
            params={"source_host": p.url_host, "host": acc_host})

    def replace(acc: dict[str, Any]) -> None:
        acc["cookies"] = dict(p.cookies)
        acc["expires"] = dict(p.expires)
        acc["imported"] = time.time()
    _update(acc_host, replace)
    return account_status(acc_host, now=now)


def _status(host: str, acc: dict[str, Any] | None, now: float, storage: str) -> AccountStatus:
    rule = rule_for(host)
    required = list(rule.required) if rule else []
    st = AccountStatus(host=host, label=rule.label if rule else host, required=required,
                       storage=storage)
    if not acc:
        st.missing = required
        st.message = "No login stored"
        return st
    cookies = acc.get("cookies") or {}
    expires = acc.get("expires") or {}
    st.stored = True
    st.cookie_names = sorted(cookies)
    st.has_token = bool(acc.get("token"))
    st.settings = dict(acc.get("settings") or {})
    st.missing = [n for n in required if not cookies.get(n)]
    watched = required or list(cookies)
    st.expired = sorted(n for n in watched if n in expires and expires[n] <= now)
    known = [expires[n] for n in watched if n in expires]
    st.expires_at = min(known) if known else None
    if st.missing:
        st.state, st.message = "incomplete", f"Login incomplete: missing {', '.join(st.missing)}"
    elif st.expired:
        st.state, st.message = "expired", f"Login expired ({', '.join(st.expired)}): import fresh cookies"
    elif not cookies and not st.has_token:
        st.state, st.message = "empty", "No cookies stored"
    else:
        st.valid = True
        st.state = "valid" if required else "cookies" if cookies else "token"
        st.message = ("Login looks valid" if required else
                      "Cookies stored" if cookies else "Token stored")
        if st.expires_at:
            st.message += time.strftime(" until %Y-%m-%d", time.localtime(st.expires_at))
    return st


def account_status(host: str, *, now: float | None = None) -> AccountStatus:
    acc_host = normalize_host(host)
    data = _load()
    return _status(acc_host, data["accounts"].get(acc_host), time.time() if now is None else now,
                   _store().storage)


def list_accounts(*, now: float | None = None) -> list[AccountStatus]:
    data = _load()
    t = time.time() if now is None else now
    return [_status(h, a, t, _store().storage) for h, a in sorted(data["accounts"].items())]


def remove_account(host: str) -> bool:
    acc_host = normalize_host(host)
    store = _store()
    data = store.load()
    accounts = data.setdefault("accounts", {})
    if acc_host not in accounts:
        return False
    del accounts[acc_host]
    if accounts:
        store.save(data)
    else:
        store.clear()      # nothing left: drop the file and its key
    return True


def set_setting(host: str, name: str, value: Any) -> None:
    def put(acc: dict[str, Any]) -> None:
        s = acc.setdefault("settings", {})
        if value is None:
            s.pop(name, None)
        else:
            s[name] = value
    _update(normalize_host(host), put)


def set_token(host: str, token: str | None) -> None:
    def put(acc: dict[str, Any]) -> None:
        acc["token"] = token
    _update(normalize_host(host), put)
