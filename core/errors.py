"""Typed errors a person can act on.

Every error that may reach a user derives from ``ZhilianError`` and carries a
message written for a person (``str(err)``).  The CLI prints that line, the GUI
shows it in the task's error column; neither shows a traceback.
"""

from __future__ import annotations

import errno
from enum import StrEnum
from typing import Any, ClassVar


class ErrorKind(StrEnum):
    """What went wrong, as a value every front end words in its own language
    (the message of the exception stays the English line for logs and the CLI)."""
    NEEDS_LOGIN = "needs_login"        # params: host, cookies
    LINK_EXPIRED = "link_expired"      # a new link is needed
    NEEDS_CODE = "needs_code"          # the share needs an extraction code
    WRONG_CODE = "wrong_code"
    CAPTCHA = "captcha"
    QUOTA = "quota"                    # params: retry_after
    THROTTLED = "throttled"            # params: retry_after
    DISK_FULL = "disk_full"            # params: needed, free, path
    HOST_REFUSED = "host_refused"      # params: status, host
    WEB_PAGE = "web_page"              # a web page came instead of the file; params: host
    NOT_FOUND = "not_found"            # params: host
    CHECKSUM = "checksum"              # params: algo
    SIZE_MISMATCH = "size_mismatch"    # params: expected, actual
    FILE_CHANGED = "file_changed"      # the file on the server is not the one begun
    NETWORK = "network"                # params: host, cause (one of NETWORK_CAUSES)
    UNSUPPORTED = "unsupported"
    CANCELLED = "cancelled"
    TIME_LIMIT = "time_limit"          # params: seconds
    NO_PROGRESS = "no_progress"        # no byte from any source; params: seconds (None: a
                                       # source keeps failing), host (the sources' hosts)
    NOT_PLACED = "not_placed"          # downloaded, the hand-off failed; params: install, why
                                       # (the hand-off error's kind), why_params
    NO_INSTALL = "no_install"          # downloaded, no HeyGem / Wav2Lip install set to place it in
    LINK_NOT_SAVED = "link_not_saved"  # the signed link could not be kept (no keyring)
    UNEXPECTED = "unexpected"          # a bug; params: detail (redacted, English)
    # -- why a hand-off to HeyGem / Wav2Lip placed nothing (core/heygem) --
    HANDOFF_NO_FILE = "handoff_no_file"        # params: name
    NOT_A_MODEL = "not_a_model"                # params: name, what (empty, lfs, html, json,
                                               # torch_cut, not_torch, safetensors), size
    HANDOFF_MISMATCH = "handoff_mismatch"      # params: name, what (size, sha256), size, expected
    HANDOFF_UNKNOWN_TARGET = "handoff_unknown_target"   # params: name, install (its label)
    HANDOFF_NO_SPACE = "handoff_no_space"      # params: folder, name, size
    HANDOFF_COPY_FAULTY = "handoff_copy_faulty"  # params: name
    HANDOFF_IN_USE = "handoff_in_use"          # the file in the install cannot be replaced; params: path
    HANDOFF_CANNOT_PLACE = "handoff_cannot_place"  # params: name, path, errno, reason
    HANDOFF_DOCKER = "handoff_docker"          # the install keeps its weights in Docker images
    NOT_AN_INSTALL = "not_an_install"          # params: path, folder (False: not even a folder)
    # -- why a share link was not made or served (core/share) --
    SHARE_NO_FILE = "share_no_file"            # params: path
    SHARE_NOT_A_FILE = "share_not_a_file"      # params: path
    SHARE_UNREADABLE = "share_unreadable"      # params: path, errno, reason
    SHARE_PASSWORD_TOO_LONG = "share_password_too_long"  # params: max
    SHARE_CANNOT_LISTEN = "share_cannot_listen"  # params: address, errno, reason
    SHARE_STORE = "share_store"                # the share store cannot be opened; params: path, errno, reason
    NO_KEYRING = "no_keyring"
    # -- why a login could not be imported (core/accounts) --
    COOKIES_NO_HOST = "cookies_no_host"
    COOKIES_NOTHING = "cookies_nothing"        # nothing pasted
    COOKIES_NONE_FOUND = "cookies_none_found"  # params: source (header, netscape, command)
    COOKIES_WRONG_HOST = "cookies_wrong_host"  # params: source_host, host
    OTHER = "other"                    # only the message says more


#: why a connection failed, as a code (network_cause) and its English words
NETWORK_CAUSES = {
    "dns": "name lookup failed",
    "refused": "connection refused",
    "timeout": "no answer in time",
    "reset": "connection reset",
    "closed": "the server closed the connection",
    "bad_answer": "the server's answer could not be read",
    "redirects": "too many redirects",
    "tls": "secure connection failed",
    "certificate": "its certificate is not trusted",
    "failed": "connection failed",
}
#: causes no later try changes by itself (a certificate the system does not trust): not
#: retried on their own, their source dropped at once
LASTING_CAUSES = frozenset({"certificate"})


def network_cause(exc: BaseException) -> str:
    """A code from NETWORK_CAUSES for a connection failure (never a class name)."""
    own = getattr(exc, "cause", None)
    if isinstance(own, str) and own in NETWORK_CAUSES:
        return own
    names = {c.__name__ for c in type(exc).__mro__}
    if isinstance(exc, TimeoutError) or any("Timeout" in n for n in names):
        return "timeout"
    if any("DNS" in n for n in names) or (isinstance(exc, OSError) and exc.errno in (-2, -3, -5, 11001)):
        return "dns"
    if any("CertificateError" in n or "CertVerification" in n for n in names):
        return "certificate"   # ssl's verification failure, aiohttp's ...CertificateError
    if any("SSL" in n or "Certificate" in n for n in names):
        return "tls"
    if isinstance(exc, ConnectionRefusedError) or "ConnectError" in names or \
            any("ConnectorError" in n for n in names):
        return "refused" if isinstance(getattr(exc, "os_error", exc), ConnectionRefusedError) else "failed"
    if isinstance(exc, ConnectionResetError):
        return "reset"
    if "ServerDisconnected" in names or "ServerDisconnectedError" in names:
        return "closed"
    if "TooManyRedirects" in names:
        return "redirects"
    if "BadResponse" in names or any("Payload" in n or "ResponseError" in n for n in names):
        return "bad_answer"
    return "failed"


def human_bytes(n: float) -> str:
    """1536 -> '1.5 KiB'."""
    n = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"  # pragma: no cover


class ZhilianError(Exception):
    """Base of all errors meant for the user. ``retryable`` tells the scheduler
    whether trying again later can help. ``kind`` and ``params()`` say the same as the
    message as a stable code and its facts, for a front end that words it in another
    language; a class's kind can be given per error (``ShareError(msg, kind=..., params=...)``)."""

    retryable = False
    #: what a front end words for the user (with ``params()``)
    kind: ClassVar[ErrorKind] = ErrorKind.OTHER

    def __init__(self, message: str | None = None, *, kind: ErrorKind | None = None,
                 params: dict[str, Any] | None = None):
        super().__init__(message or self.default_message())
        if kind is not None:
            self.kind = kind  # type: ignore[misc]
        self._params = dict(params or {})

    def default_message(self) -> str:
        return "Something went wrong"

    def params(self) -> dict[str, Any]:
        """The facts a front end needs to word ``kind`` (no secrets: host names,
        cookie names, numbers)."""
        return dict(getattr(self, "_params", {}))

    @property
    def message(self) -> str:
        return str(self)


# -- download / disk -------------------------------------------------------

class DiskFull(ZhilianError):
    kind = ErrorKind.DISK_FULL

    def params(self) -> dict[str, Any]:
        return {"needed": self.needed, "free": self.free, "path": self.path}

    def __init__(self, needed: int, free: int, path: str = ""):
        self.needed, self.free, self.path = needed, free, path
        where = f" on {path}" if path else ""
        super().__init__(
            f"Not enough disk space{where}: need {human_bytes(needed)}, "
            f"only {human_bytes(free)} free")


class ChecksumMismatch(ZhilianError):
    kind = ErrorKind.CHECKSUM

    def params(self) -> dict[str, Any]:
        return {"algo": self.algo}

    def __init__(self, algo: str, expected: str, actual: str, path: str = ""):
        self.algo, self.expected, self.actual, self.path = algo, expected, actual, path
        super().__init__(
            f"{algo} mismatch: expected {expected[:16]}…, got {actual[:16]}…; "
            "the file was not saved under its final name")


class SizeMismatch(ZhilianError):
    kind = ErrorKind.SIZE_MISMATCH

    def params(self) -> dict[str, Any]:
        return {"expected": self.expected, "actual": self.actual}

    def __init__(self, expected: int, actual: int):
        self.expected, self.actual = expected, actual
        super().__init__(f"Size mismatch: expected {expected} bytes, got {actual}")


class HttpError(ZhilianError):
    kind = ErrorKind.HOST_REFUSED

    def params(self) -> dict[str, Any]:
        return {"status": self.status, "host": self.host}

    retryable = True

    def __init__(self, status: int, reason: str = "", url_host: str = ""):
        self.status, self.host = status, url_host
        host = f" from {url_host}" if url_host else ""
        super().__init__(f"HTTP {status} {reason}{host}".strip())


class ProtocolError(ZhilianError):
    """The server answered something we must not write (wrong Content-Range, ...)."""
    retryable = True


class ServerFileChanged(ZhilianError):
    """The file on the server is not the one the .part was started from."""
    kind = ErrorKind.FILE_CHANGED


class NoUsableSource(ZhilianError):
    """Every mirror failed."""
    retryable = True

    def __init__(self, message: str | None = None, host: str = "", cause: str = ""):
        self.host, self.cause = host, cause
        super().__init__(message)

    @property
    def kind(self) -> ErrorKind:  # type: ignore[override]
        return ErrorKind.NETWORK if self.cause else ErrorKind.OTHER

    def params(self) -> dict[str, Any]:
        return {"host": self.host, "cause": self.cause}

    @classmethod
    def unreachable(cls, host: str, exc: BaseException) -> NoUsableSource:
        """``host`` did not answer: the message in words, never an exception's class name."""
        cause = network_cause(exc)
        err = cls(f"Cannot reach {host}: {NETWORK_CAUSES[cause]}", host=host, cause=cause)
        # a later try (the queue's automatic retries) would fail the same way; the user's own
        # retry still runs
        err.retryable = cause not in LASTING_CAUSES
        return err


class NoProgress(NoUsableSource):
    """No source delivered a byte for the download's give-up time (refused, reset,
    mismatched ranges, short bodies, no answer). The .part and journal are kept; trying
    again later (the queue's retry, the same command) resumes. ``seconds``: how long
    nothing came (None when one source keeps failing); ``host``: the sources' hosts."""
    retryable = True
    kind = ErrorKind.NO_PROGRESS  # type: ignore[assignment]

    def __init__(self, message: str | None = None, seconds: float | None = None, host: str = ""):
        super().__init__(message, host=host)
        self.seconds = seconds

    def params(self) -> dict[str, Any]:
        return {"seconds": None if self.seconds is None else int(self.seconds), "host": self.host}


class WebPageInsteadOfFile(ZhilianError):
    """The host answered with a web page (a login, share or preview page), an error
    message (JSON/XML) or a Git LFS pointer where the file was expected. Retrying the
    same link gives the same page, so it is not retried; nothing is kept under the
    file's name."""
    kind = ErrorKind.WEB_PAGE

    def __init__(self, message: str, *, host: str = "", content_type: str = "", kind: str = "page"):
        # ``answer``: what came instead (page, error, lfs); ``kind`` is the ErrorKind
        self.host, self.content_type, self.answer = host, content_type, kind
        super().__init__(message)

    def params(self) -> dict[str, Any]:
        return {"host": self.host, "answer": self.answer}


class Cancelled(ZhilianError):
    kind = ErrorKind.CANCELLED
    def default_message(self) -> str:
        return "Stopped by the user"


# -- resolving (PROTOCOLS.md, "Errors every resolver maps to") -----------------

class ResolveError(ZhilianError):
    pass


class NeedPassword(ResolveError):
    kind = ErrorKind.NEEDS_CODE
    def default_message(self) -> str:
        return "This share needs an extraction code: add it to the link (提取码)"


class WrongPassword(ResolveError):
    kind = ErrorKind.WRONG_CODE
    def default_message(self) -> str:
        return "Wrong extraction code for this share"


class NeedLogin(ResolveError):
    kind = ErrorKind.NEEDS_LOGIN

    def params(self) -> dict[str, Any]:
        return {"host": self.host, "cookies": list(self.cookies)}

    def __init__(self, host: str = "", cookies: tuple[str, ...] | list[str] = (), message: str | None = None):
        self.host, self.cookies = host, tuple(cookies)
        if message is None:
            names = f" (cookies {', '.join(self.cookies)})" if self.cookies else ""
            message = f"Log in to {host or 'this host'} first: import your login{names} in Accounts"
        super().__init__(message)


class CaptchaRequired(ResolveError):
    kind = ErrorKind.CAPTCHA
    def default_message(self) -> str:
        return "The host asks for a captcha: open the link in a browser once, then try again"


class QuotaExceeded(ResolveError):
    kind = ErrorKind.QUOTA

    def params(self) -> dict[str, Any]:
        return {"retry_after": self.retry_after}

    retryable = True

    def __init__(self, message: str | None = None, retry_after: float | None = None):
        self.retry_after = retry_after
        if message is None:
            message = "Download quota exceeded on this host"
            if retry_after:
                message += f"; try again in {int(retry_after // 60) or 1} min"
        super().__init__(message)


class LinkExpired(ResolveError):
    kind = ErrorKind.LINK_EXPIRED
    def default_message(self) -> str:
        return "Link expired: paste a new link"


class NotFound(ResolveError):
    kind = ErrorKind.NOT_FOUND
    def default_message(self) -> str:
        return "The file or share no longer exists"


class Throttled(ResolveError):
    kind = ErrorKind.THROTTLED

    def params(self) -> dict[str, Any]:
        return {"retry_after": self.retry_after}

    retryable = True

    def __init__(self, message: str | None = None, retry_after: float | None = None):
        self.retry_after = retry_after
        super().__init__(message or "The host is limiting this account: too many connections or requests")


class UnsupportedLink(ResolveError):
    kind = ErrorKind.UNSUPPORTED
    def default_message(self) -> str:
        return "Not a link Zhilian knows how to download"


class NoKeyring(ZhilianError):
    kind = ErrorKind.NO_KEYRING

    def default_message(self) -> str:
        return ("No usable system keyring (Secret Service, Windows Credential Manager or "
                "macOS Keychain): logins can be kept for this session only")


def outcome_of(exc: BaseException) -> tuple[ErrorKind, dict[str, Any]]:
    """The kind and its parameters for any exception that ended a task."""
    if isinstance(exc, ZhilianError):
        try:
            return ErrorKind(exc.kind), exc.params()
        except ValueError:      # a kind this build does not know: the message says it
            return ErrorKind.OTHER, {}
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        return ErrorKind.DISK_FULL, {"path": exc.filename or ""}
    return ErrorKind.OTHER, {}


def os_reason(e: OSError) -> dict[str, Any]:
    """An OSError's errno and its (English) words, as params a front end can word itself."""
    return {"errno": e.errno or 0, "reason": e.strerror or str(e)}
