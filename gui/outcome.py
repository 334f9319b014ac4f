"""What a user reads about a task's outcome, worded here (and so translated) from the
task's ``State`` and ``ErrorKind`` with its parameters; the core's English message is
shown only for a kind that says nothing more (``other``, or none)."""

from __future__ import annotations

import errno
import time
from typing import Any

from PySide6.QtCore import QCoreApplication

from core.errors import ErrorKind, ZhilianError, outcome_of
from core.models import State

from . import fmt

#: the button a row offers for a kind the user can mend (action name, kind)
IMPORT_LOGIN, REPLACE_LINK = "import_login", "replace_link"


def _stopped(t: Any) -> bool:
    return t.state in (State.FAILED, State.PAUSED) and t.error_kind is not None


def action(t: Any) -> str | None:
    """The one thing that mends this row, when there is one."""
    if not _stopped(t):
        return None
    if t.error_kind is ErrorKind.NEEDS_LOGIN:
        return IMPORT_LOGIN
    if t.error_kind is ErrorKind.LINK_EXPIRED:
        return REPLACE_LINK
    return None


def action_text(name: str) -> str:
    return QCoreApplication.translate("Outcome", "Import login…") if name == IMPORT_LOGIN else QCoreApplication.translate("Outcome", "Replace link…")


def state_text(t: Any) -> str:
    """The State column: "Needs login" / "Link expired" instead of Failed, "Retry at …"."""
    if _stopped(t):
        if t.error_kind is ErrorKind.NEEDS_LOGIN:
            return QCoreApplication.translate("Outcome", "Needs login")
        if t.error_kind is ErrorKind.LINK_EXPIRED:
            return QCoreApplication.translate("Outcome", "Link expired")
    if t.state == State.QUEUED and t.next_retry:
        return QCoreApplication.translate("Outcome", "Retry at %1").replace("%1", _clock(t.next_retry))
    return fmt.state(t.state)


def _clock(when: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(when))


def _cause(code: str) -> str:
    return {
        "dns": QCoreApplication.translate("Outcome", "name lookup failed"),
        "refused": QCoreApplication.translate("Outcome", "connection refused"),
        "timeout": QCoreApplication.translate("Outcome", "no answer in time"),
        "reset": QCoreApplication.translate("Outcome", "connection reset"),
        "closed": QCoreApplication.translate("Outcome", "the server closed the connection"),
        "bad_answer": QCoreApplication.translate("Outcome", "the server's answer could not be read"),
        "redirects": QCoreApplication.translate("Outcome", "too many redirects"),
        "tls": QCoreApplication.translate("Outcome", "secure connection failed"),
        "certificate": QCoreApplication.translate("Outcome", "its certificate is not trusted"),
    }.get(code, QCoreApplication.translate("Outcome", "connection failed"))


def _minutes(seconds: Any) -> str:
    return str(max(1, int(float(seconds) // 60)))


def _os_reason(p: dict[str, Any]) -> str:
    """An OSError's words (params ``errno``, ``reason``) in the user's language when the
    errno is a common one; the system's own words otherwise."""
    try:
        code = int(p.get("errno") or 0)
    except (TypeError, ValueError):
        code = 0
    if code in (errno.EACCES, errno.EPERM):
        return QCoreApplication.translate("Outcome", "permission denied")
    if code == errno.ENOENT:
        return QCoreApplication.translate("Outcome", "no such file or folder")
    if code == errno.ENOSPC:
        return QCoreApplication.translate("Outcome", "no space left on the disk")
    if code == errno.EROFS:
        return QCoreApplication.translate("Outcome", "the disk is read-only")
    if code == errno.EISDIR:
        return QCoreApplication.translate("Outcome", "it is a folder")
    if code == errno.EADDRINUSE:
        return QCoreApplication.translate("Outcome", "the address is already in use")
    if code == errno.EADDRNOTAVAIL:
        return QCoreApplication.translate("Outcome", "the address is not on this computer")
    return str(p.get("reason") or "")


def _sub(text: str, *values: Any) -> str:
    for i, v in enumerate(values, 1):
        text = text.replace(f"%{i}", str(v))
    return text


def _not_a_model(p: dict[str, Any]) -> str | None:
    name, what, size = str(p.get("name") or ""), p.get("what"), fmt.size(p.get("size") or 0)
    if what == "empty":
        return _sub(QCoreApplication.translate("Outcome", "%1 is empty (0 bytes): the download failed; not a model"), name)
    if what == "lfs":
        return _sub(QCoreApplication.translate("Outcome", "%1 is a Git LFS pointer (%2), not the model itself: download the real file"), name, size)
    if what == "html":
        return _sub(QCoreApplication.translate("Outcome", "%1 is an HTML page (%2), not a model: the server sent an error, login or captcha page "
                        "instead of the file. Get a fresh link and download again"), name, size)
    if what == "json":
        return _sub(QCoreApplication.translate("Outcome", "%1 is a JSON text (%2), probably an error answer from the server, not a model"), name, size)
    if what == "torch_cut":
        return _sub(QCoreApplication.translate("Outcome", "%1 is an incomplete PyTorch archive (%2): its end is missing, the download was cut short. "
                        "Download it again"), name, size)
    if what == "not_torch":
        return _sub(QCoreApplication.translate("Outcome", "%1 does not look like a PyTorch checkpoint: not placed"), name)
    if what == "safetensors":
        return _sub(QCoreApplication.translate("Outcome", "%1 is not a valid safetensors file (bad header): not placed"), name)
    return None


def _cookies_none_found(source: Any) -> str:
    if source == "netscape":
        return QCoreApplication.translate("Outcome", "No cookies found in the pasted cookies.txt (no cookie for this host in it)")
    if source == "header":
        return QCoreApplication.translate("Outcome", "No cookies found in the pasted Cookie header")
    return QCoreApplication.translate("Outcome", "No cookies found in the pasted command (no Cookie header or -b option)")


def words(kind: Any, params: dict[str, Any] | None) -> str | None:
    """``kind`` (core.errors.ErrorKind, or its value) with its parameters in the user's
    language; None for a kind that only the core's message says more about (``other``,
    one this build does not know)."""
    try:
        k = ErrorKind(kind) if kind is not None else None
    except ValueError:
        return None
    p = params or {}
    host = str(p.get("host") or "") or QCoreApplication.translate("Outcome", "the host")
    text: str | None
    if k is ErrorKind.NEEDS_LOGIN:
        text = QCoreApplication.translate("Outcome", "Log in to %1 first: import your login in Accounts").replace("%1", host)
        if p.get("cookies"):
            text += " " + QCoreApplication.translate("Outcome", "(cookies %1)").replace("%1", ", ".join(map(str, p["cookies"])))
    elif k is ErrorKind.LINK_EXPIRED:
        text = QCoreApplication.translate("Outcome", "Link expired: paste a new link")
    elif k is ErrorKind.NEEDS_CODE:
        text = QCoreApplication.translate("Outcome", "This share needs an extraction code: add it to the link (提取码)")
    elif k is ErrorKind.WRONG_CODE:
        text = QCoreApplication.translate("Outcome", "Wrong extraction code for this share")
    elif k is ErrorKind.CAPTCHA:
        text = QCoreApplication.translate("Outcome", "The host asks for a captcha: open the link in a browser once, then try again")
    elif k is ErrorKind.QUOTA:
        text = QCoreApplication.translate("Outcome", "Download quota exceeded on this host")
    elif k is ErrorKind.THROTTLED:
        text = QCoreApplication.translate("Outcome", "The host is limiting this account: too many connections or requests")
    elif k is ErrorKind.DISK_FULL:
        text = QCoreApplication.translate("Outcome", "Not enough disk space")
        if p.get("needed"):
            text = QCoreApplication.translate("Outcome", "Not enough disk space: need %1, only %2 free").replace(
                "%1", fmt.size(p["needed"])).replace("%2", fmt.size(p.get("free") or 0))
    elif k is ErrorKind.HOST_REFUSED:
        text = QCoreApplication.translate("Outcome", "%1 refused the download (HTTP %2)").replace("%1", host).replace("%2", str(p.get("status", "")))
    elif k is ErrorKind.WEB_PAGE:
        text = QCoreApplication.translate("Outcome", "%1 sent a web page instead of the file").replace("%1", host)
    elif k is ErrorKind.NOT_FOUND:
        text = QCoreApplication.translate("Outcome", "The file or share no longer exists")
    elif k is ErrorKind.CHECKSUM:
        text = QCoreApplication.translate("Outcome", "%1 mismatch: the file was not saved under its final name").replace(
            "%1", str(p.get("algo") or "checksum"))
    elif k is ErrorKind.SIZE_MISMATCH:
        text = QCoreApplication.translate("Outcome", "Size mismatch: expected %1 bytes, got %2").replace(
            "%1", str(p.get("expected", "?"))).replace("%2", str(p.get("actual", "?")))
    elif k is ErrorKind.FILE_CHANGED:
        text = QCoreApplication.translate("Outcome", "The file on the server changed since the download began")
    elif k is ErrorKind.NETWORK:
        text = QCoreApplication.translate("Outcome", "Cannot reach %1: %2").replace("%1", host).replace("%2", _cause(str(p.get("cause", ""))))
    elif k is ErrorKind.UNSUPPORTED:
        text = QCoreApplication.translate("Outcome", "Not a link Zhilian knows how to download")
    elif k is ErrorKind.CANCELLED:
        text = QCoreApplication.translate("Outcome", "Stopped by the user")
    elif k is ErrorKind.TIME_LIMIT:
        text = QCoreApplication.translate("Outcome", "Stopped at the time limit; Retry continues from where it stopped")
    elif k is ErrorKind.NO_PROGRESS:
        if p.get("seconds") is not None:
            text = QCoreApplication.translate("Outcome", "No data from %1 for %2 s; the partial file is kept and trying again resumes").replace(
                "%1", host).replace("%2", str(int(float(p["seconds"]))))
        else:
            text = QCoreApplication.translate("Outcome", "%1 keeps failing; the partial file is kept and trying again resumes").replace("%1", host)
    elif k is ErrorKind.NOT_PLACED:
        why = words(p.get("why"), p.get("why_params") if isinstance(p.get("why_params"), dict) else {})
        text = None if why is None else _sub(QCoreApplication.translate("Outcome", "Downloaded, but not placed in %1: %2"), p.get("install") or "", why)
    elif k is ErrorKind.NO_INSTALL:
        text = QCoreApplication.translate("Outcome", "Downloaded, but not placed: no HeyGem / Wav2Lip install is set in Settings")
    elif k is ErrorKind.LINK_NOT_SAVED:
        text = QCoreApplication.translate("Outcome", "The full link was not saved (no system keyring to encrypt it): paste the link again")
    elif k is ErrorKind.UNEXPECTED:
        text = _sub(QCoreApplication.translate("Outcome", "Unexpected error: %1 (details in the log)"), p.get("detail") or "")
    elif k is ErrorKind.HANDOFF_NO_FILE:
        text = _sub(QCoreApplication.translate("Outcome", "File not found: %1"), p.get("name") or "")
    elif k is ErrorKind.NOT_A_MODEL:
        text = _not_a_model(p)
    elif k is ErrorKind.HANDOFF_MISMATCH:
        if p.get("what") == "size":
            text = _sub(QCoreApplication.translate("Outcome", "%1 is %2 bytes, expected %3: the download is incomplete or a different file; not placed"),
                        p.get("name") or "", p.get("size"), p.get("expected"))
        else:
            text = _sub(QCoreApplication.translate("Outcome", "%1 is not the file that was asked for (its SHA-256 differs); not placed"),
                        p.get("name") or "")
    elif k is ErrorKind.HANDOFF_UNKNOWN_TARGET:
        text = _sub(QCoreApplication.translate("Outcome", "Zhilian does not know where %1 goes in a %2 install"), p.get("name") or "",
                    p.get("install") or "")
    elif k is ErrorKind.HANDOFF_NO_SPACE:
        text = _sub(QCoreApplication.translate("Outcome", "Not enough space in %1 to copy %2 (%3): not placed"), p.get("folder") or "",
                    p.get("name") or "", fmt.size(p.get("size") or 0))
    elif k is ErrorKind.HANDOFF_COPY_FAULTY:
        text = _sub(QCoreApplication.translate("Outcome", "The copy of %1 does not match the original: the disk or the connection to it is faulty; "
                        "not placed"), p.get("name") or "")
    elif k is ErrorKind.HANDOFF_IN_USE:
        text = _sub(QCoreApplication.translate("Outcome", "Cannot replace %1: if the app using it is running, stop it and try again (the new file "
                        "was not placed)"), p.get("path") or "")
    elif k is ErrorKind.HANDOFF_CANNOT_PLACE:
        text = _sub(QCoreApplication.translate("Outcome", "Could not place %1 at %2: %3; the file there (if any) was not changed"),
                    p.get("name") or "", p.get("path") or "", _os_reason(p))
    elif k is ErrorKind.HANDOFF_DOCKER:
        text = QCoreApplication.translate("Outcome", "This is the official HeyGem / Duix.Avatar (Docker) setup: its model weights live inside the "
                   "Docker images. A model file cannot be handed off here: load an image archive with "
                   "`docker load -i FILE.tar` and recreate the containers instead.")
    elif k is ErrorKind.NOT_AN_INSTALL:
        text = _sub(QCoreApplication.translate("Outcome", "%1 does not look like a HeyGem or Wav2Lip install") if p.get("folder", True)
                    else QCoreApplication.translate("Outcome", "%1 is not a folder"), p.get("path") or "")
    elif k is ErrorKind.SHARE_NO_FILE:
        text = _sub(QCoreApplication.translate("Outcome", "Cannot share %1: no such file"), p.get("path") or "")
    elif k is ErrorKind.SHARE_NOT_A_FILE:
        text = _sub(QCoreApplication.translate("Outcome", "Cannot share %1: only files can be shared (watch a folder instead)"), p.get("path") or "")
    elif k is ErrorKind.SHARE_UNREADABLE:
        text = _sub(QCoreApplication.translate("Outcome", "Cannot share %1: %2"), p.get("path") or "", _os_reason(p))
    elif k is ErrorKind.SHARE_PASSWORD_TOO_LONG:
        text = _sub(QCoreApplication.translate("Outcome", "The password is too long (at most %1 characters)"), p.get("max") or "")
    elif k is ErrorKind.SHARE_CANNOT_LISTEN:
        text = (_sub(QCoreApplication.translate("Outcome", "The sharing server cannot listen on %1: %2"), p["address"], _os_reason(p))
                if p.get("address") else _sub(QCoreApplication.translate("Outcome", "The sharing server could not start: %1"), _os_reason(p)))
    elif k is ErrorKind.SHARE_STORE:
        text = _sub(QCoreApplication.translate("Outcome", "Cannot open the share store %1: %2"), p.get("path") or "", _os_reason(p))
    elif k is ErrorKind.NO_KEYRING:
        text = QCoreApplication.translate("Outcome", "No usable system keyring (Secret Service, Windows Credential Manager or macOS Keychain): "
                   "logins and share links can be kept for this session only")
    elif k is ErrorKind.COOKIES_NO_HOST:
        text = QCoreApplication.translate("Outcome", "Give the host the cookies belong to, e.g. pan.baidu.com")
    elif k is ErrorKind.COOKIES_NOTHING:
        text = QCoreApplication.translate("Outcome", "Nothing to import: paste a Cookie header, a cookies.txt or a 'Copy as cURL' command")
    elif k is ErrorKind.COOKIES_NONE_FOUND:
        text = _cookies_none_found(p.get("source"))
    elif k is ErrorKind.COOKIES_WRONG_HOST:
        text = _sub(QCoreApplication.translate("Outcome", "This command was copied from %1, not from %2: its cookies would be sent to the wrong host"),
                    p.get("source_host") or "", p.get("host") or "")
    else:
        return None
    if text is not None and k in (ErrorKind.QUOTA, ErrorKind.THROTTLED) and p.get("retry_after"):
        text += QCoreApplication.translate("Outcome", "; try again in %1 min").replace("%1", _minutes(p["retry_after"]))
    return text


def problem_text(kind: Any, params: dict[str, Any] | None, english: str) -> str:
    """``kind`` worded in the user's language; the core's ``english`` message for a kind
    the window does not word."""
    text = words(kind, params)
    return english if text is None else text


def exception_text(exc: BaseException) -> str:
    """An error a facade call raised, in the user's language (its English message, or its
    class name, when its kind says nothing more)."""
    english = str(exc).strip() or exc.__class__.__name__
    kind, params = outcome_of(exc)
    if kind is ErrorKind.OTHER or not isinstance(exc, ZhilianError) and kind is not ErrorKind.DISK_FULL:
        return english
    return problem_text(kind, params, english)


def error_text(t: Any) -> str:
    """The task's error in the user's language ("" when it has none), with the retry notice."""
    if not t.error:
        return ""
    p = dict(t.error_params or {})
    if t.next_retry:
        p.pop("retry_after", None)      # the retry time says when
    text = words(t.error_kind, p)
    if text is None:
        return t.error if not t.next_retry else _retry_suffix(t.error.split("; retrying in ")[0], t)
    return _retry_suffix(text, t)


def _retry_suffix(text: str, t: Any) -> str:
    if t.state == State.QUEUED and t.next_retry:
        return text + QCoreApplication.translate("Outcome", "; retry at %1").replace("%1", _clock(t.next_retry))
    return text


def notice(t: Any) -> tuple[str, str]:
    """(notification kind, title) for a task that stopped with an error."""
    if t.error_kind is ErrorKind.LINK_EXPIRED:
        return "needs_link", QCoreApplication.translate("Outcome", "Needs a new link")
    if t.error_kind is ErrorKind.NEEDS_LOGIN:
        return "needs_login", QCoreApplication.translate("Outcome", "Needs a login")
    return "failed", QCoreApplication.translate("Outcome", "Download failed")
