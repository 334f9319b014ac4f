"""Typed errors a person can act on.

Every error that may reach a user derives from ``ZhilianError`` and carries a
message written for a person (``str(err)``).  The CLI prints that line, the GUI
shows it in the task's error column; neither shows a traceback.
"""

from __future__ import annotations


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
    whether trying again later can help."""

    retryable = False

    def __init__(self, message: str | None = None):
        super().__init__(message or self.default_message())

    def default_message(self) -> str:
        return self.__class__.__name__

    @property
    def message(self) -> str:
        return str(self)


# -- download / disk -------------------------------------------------------

class DiskFull(ZhilianError):
    def __init__(self, needed: int, free: int, path: str = ""):
        self.needed, self.free, self.path = needed, free, path
        where = f" on {path}" if path else ""
        super().__init__(
            f"Not enough disk space{where}: need {human_bytes(needed)}, "
            f"only {human_bytes(free)} free")


class ChecksumMismatch(ZhilianError):
    def __init__(self, algo: str, expected: str, actual: str, path: str = ""):
        self.algo, self.expected, self.actual, self.path = algo, expected, actual, path
        super().__init__(
            f"{algo} mismatch: expected {expected[:16]}…, got {actual[:16]}…; "
            "the file was not saved under its final name")


class SizeMismatch(ZhilianError):
    def __init__(self, expected: int, actual: int):
        self.expected, self.actual = expected, actual
        super().__init__(f"Size mismatch: expected {expected} bytes, got {actual}")


class HttpError(ZhilianError):
    retryable = True

    def __init__(self, status: int, reason: str = "", url_host: str = ""):
        self.status = status
        host = f" from {url_host}" if url_host else ""
        super().__init__(f"HTTP {status} {reason}{host}".strip())


class ProtocolError(ZhilianError):
    """The server answered something we must not write (wrong Content-Range, ...)."""
    retryable = True


class ServerFileChanged(ZhilianError):
    """The file on the server is not the one the .part was started from."""


class NoUsableSource(ZhilianError):
    """Every mirror failed."""
    retryable = True


class NoProgress(NoUsableSource):
    """No source delivered a byte for the download's give-up time (refused, reset,
    mismatched ranges, short bodies, no answer). The .part and journal are kept; trying
    again later (the queue's retry, the same command) resumes."""
    retryable = True


class WebPageInsteadOfFile(ZhilianError):
    """The host answered with a web page (a login, share or preview page), an error
    message (JSON/XML) or a Git LFS pointer where the file was expected. Retrying the
    same link gives the same page, so it is not retried; nothing is kept under the
    file's name."""

    def __init__(self, message: str, *, host: str = "", content_type: str = "", kind: str = "page"):
        self.host, self.content_type, self.kind = host, content_type, kind
        super().__init__(message)


class Cancelled(ZhilianError):
    def default_message(self) -> str:
        return "Stopped by the user"


# -- resolving (PROTOCOLS.md, "Errors every resolver maps to") -----------------

class ResolveError(ZhilianError):
    pass


class NeedPassword(ResolveError):
    def default_message(self) -> str:
        return "This share needs an extraction code: add it to the link (提取码)"


class WrongPassword(ResolveError):
    def default_message(self) -> str:
        return "Wrong extraction code for this share"


class NeedLogin(ResolveError):
    def __init__(self, host: str = "", cookies: tuple[str, ...] | list[str] = (), message: str | None = None):
        self.host, self.cookies = host, tuple(cookies)
        if message is None:
            names = f" (cookies {', '.join(self.cookies)})" if self.cookies else ""
            message = f"Log in to {host or 'this host'} first: import your login{names} in Accounts"
        super().__init__(message)


class CaptchaRequired(ResolveError):
    def default_message(self) -> str:
        return "The host asks for a captcha: open the link in a browser once, then try again"


class QuotaExceeded(ResolveError):
    retryable = True

    def __init__(self, message: str | None = None, retry_after: float | None = None):
        self.retry_after = retry_after
        if message is None:
            message = "Download quota exceeded on this host"
            if retry_after:
                message += f"; try again in {int(retry_after // 60) or 1} min"
        super().__init__(message)


class LinkExpired(ResolveError):
    def default_message(self) -> str:
        return "Link expired: paste a new link"


class NotFound(ResolveError):
    def default_message(self) -> str:
        return "The file or share no longer exists"


class Throttled(ResolveError):
    retryable = True

    def __init__(self, message: str | None = None, retry_after: float | None = None):
        self.retry_after = retry_after
        super().__init__(message or "The host is limiting this account: too many connections or requests")


class UnsupportedLink(ResolveError):
    def default_message(self) -> str:
        return "Not a link Zhilian knows how to download"


class NoKeyring(ZhilianError):
    def default_message(self) -> str:
        return ("No usable system keyring (Secret Service, Windows Credential Manager or "
                "macOS Keychain): logins can be kept for this session only")
