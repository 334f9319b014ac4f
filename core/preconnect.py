"""Connecting while Python starts. ``get URL`` spends about a tenth of a second importing
before it sends its first request; to a host 150 ms away, the TCP handshake is one more
round trip after that. ``start_for_argv`` begins that handshake (and its DNS lookup) in a
thread as the process starts, and the engine's first connection to that host and port
takes the socket (``take`` in core/wire.py), racing it against the usual connect so a slow
or failed early attempt never costs more than it would have without it.

Nothing but the TCP handshake happens early: no byte is sent, TLS starts later on the
engine's own terms. It is skipped when a proxy is set in the environment (the request
then goes to the proxy, and a direct connection to the host must not be made at all).
A socket nobody takes within ``KEEP`` seconds is closed."""

from __future__ import annotations

import os
import threading
from urllib.parse import urlsplit

TYPE_CHECKING = False   # (the typing module is 4 ms of imports: not here)
if TYPE_CHECKING:
    import asyncio
    import socket

# Only what the main thread needs to start the early thread is imported here (asyncio
# alone is 50 ms): the socket module is imported by that thread, asyncio by the engine.

KEEP = 10.0              # seconds an early connection waits to be taken, then it is closed
CONNECT_TIMEOUT = 20.0   # as core/wire.py's Client
# options of `get` that take no value: a link may follow them directly
_FLAGS = {"-q", "--quiet", "-v", "--verbose"}

_lock = threading.Lock()
_early: dict[tuple[str, int], Early] = {}


class Early:
    """One early connection to host:port, made by its own thread."""

    def __init__(self, host: str, port: int, keep: float = KEEP):
        self.host, self.port, self.keep = host, port, keep
        self.sock: socket.socket | None = None
        self.error: OSError | None = None
        self.done = False
        self.abandoned = False     # ...which gave up on it (another attempt won)
        self._waiter: tuple[asyncio.AbstractEventLoop, asyncio.Future] | None = None
        self._taken = threading.Event()   # a connect of the engine waits for it / has it

    def _run(self) -> None:
        import socket
        try:
            sock = socket.create_connection((self.host, self.port), timeout=CONNECT_TIMEOUT)
            sock.setblocking(False)
        except OSError as e:
            sock, err = None, e
        else:
            err = None
        with _lock:
            self.done, self.sock, self.error = True, sock, err
            waiter = self._waiter
            if self.abandoned:
                self._close()
        if waiter is not None:
            loop, fut = waiter
            try:
                loop.call_soon_threadsafe(_wake, fut)
            except RuntimeError:   # that loop is closed
                pass
        if not self._taken.wait(self.keep):
            with _lock:
                if not self._taken.is_set():
                    _early.pop((self.host, self.port), None)
                    self._close()

    def _close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    async def wait(self) -> socket.socket:
        """The connected socket (or the early attempt's OSError). Cancelled: the socket,
        when it comes, is closed."""
        import asyncio
        with _lock:
            if not self.done:
                fut = asyncio.get_running_loop().create_future()
                self._waiter = (asyncio.get_running_loop(), fut)
            else:
                fut = None
        if fut is not None:
            try:
                await fut
            except asyncio.CancelledError:
                with _lock:
                    self.abandoned = True
                    self._close()
                raise
        with _lock:
            sock, self.sock = self.sock, None
        if sock is None:
            raise self.error or OSError(f"early connection to {self.host}:{self.port} was closed")
        return sock


def _wake(fut: asyncio.Future) -> None:
    if not fut.done():
        fut.set_result(None)


def start(host: str, port: int, keep: float = KEEP) -> Early:
    """Begin connecting to host:port in a thread (one attempt per host and port)."""
    key = (host.lower(), port)
    with _lock:
        e = _early.get(key)
        if e is None:
            e = _early[key] = Early(key[0], port, keep)
            threading.Thread(target=e._run, name=f"preconnect {host}", daemon=True).start()
    return e


def take(host: str, port: int) -> Early | None:
    """The early connection to host:port, if one was started and is still there; it is
    the caller's from now on (nobody else gets it)."""
    if not _early:
        return None
    with _lock:
        e = _early.pop((host.lower(), port), None)
        if e is not None:
            e._taken.set()
    return e


def link_of(argv: list[str]) -> str | None:
    """The first link on a `get` command line (not the value of an option)."""
    prev = "get"
    for a in argv:
        if a.startswith(("http://", "https://")) and (not prev.startswith("-") or prev in _FLAGS or "=" in prev):
            return a
        prev = a
    return None


def start_for_argv(argv: list[str]) -> Early | None:
    """Connect early to the first link of ``get``'s arguments, unless a proxy is set."""
    if any(k.lower().endswith("_proxy") for k in os.environ):
        return None
    url = link_of(argv)
    if url is None:
        return None
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return None
    if not host:
        return None
    return start(host, port)
