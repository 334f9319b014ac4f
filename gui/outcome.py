"""What a user reads about a task's outcome, worded here (and so translated) from the
task's ``State`` and ``ErrorKind`` with its parameters; the core's English message is
shown only for a kind that says nothing more (``other``, or none)."""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import QCoreApplication

from core.errors import ErrorKind
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
    }.get(code, QCoreApplication.translate("Outcome", "connection failed"))


def _minutes(seconds: Any) -> str:
    return str(max(1, int(float(seconds) // 60)))


def error_text(t: Any) -> str:
    """The task's error in the user's language ("" when it has none), with the retry notice."""
    if not t.error:
        return ""
    p = t.error_params or {}
    host = str(p.get("host") or "") or QCoreApplication.translate("Outcome", "the host")
    k = t.error_kind
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
    else:
        return t.error if not t.next_retry else _retry_suffix(t.error.split("; retrying in ")[0], t)
    if k in (ErrorKind.QUOTA, ErrorKind.THROTTLED) and p.get("retry_after") and not t.next_retry:
        text += QCoreApplication.translate("Outcome", "; try again in %1 min").replace("%1", _minutes(p["retry_after"]))
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
