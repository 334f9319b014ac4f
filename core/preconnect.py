"""Connecting while Python starts. ``get URL`` spends about a tenth of a second importing
before it sends its first request; begun only then, the TCP handshake to a far host is one
more round trip after that, and over https the TLS handshake's work (loading the CA store
into a context, 40-60 ms; the key exchange, the certificate check) comes after the imports
too, and its round trip after the TCP one. ``start_for_argv`` begins the connection (and
its DNS lookup) in a thread as the process starts, and the engine's first connection to
that host and port takes the socket (``take`` in core/wire.py), racing it against the
usual connect so a slow or failed early attempt never costs more than it would have
without it.

For an https link the thread also makes the TLS handshake, with the link's host name as
SNI and the TLS context the engine's client uses by default (``tls_context``: one object
for the process, so the client's next connections resume this one's session; it is made
while the SYN is on its way); OpenSSL does its work without holding the GIL, beside the
imports. The engine takes such a socket only for a connection with that host name and that
context; a failed early handshake is never reported (the engine's own attempt then
connects and reports what it finds). Not on Windows, where the client's connections are
asyncio transports that make their own TLS: only the TCP handshake is early there. No
request byte is sent early. Nothing is connected early when a proxy is set in the
environment (the request then goes to the proxy, and a direct connection to the host must
not be made at all). A socket nobody takes within ``KEEP`` seconds is closed."""

from __future__ import annotations

import os
import sys
import threading
from urllib.parse import urlsplit

TYPE_CHECKING = False   # (the typing module is 4 ms of imports: not here)
if TYPE_CHECKING:
    import asyncio
    import socket
    import ssl

# Only what the main thread needs to start the early thread is imported here (asyncio
# alone is 50 ms): the socket and ssl modules are imported by that thread, asyncio by the
# engine.

KEEP = 10.0              # seconds an early connection waits to be taken, then it is closed
CONNECT_TIMEOUT = 20.0   # as core/wire.py's Client: the TCP and the TLS handshake together
# The early thread makes the TLS handshake too where the client reads and writes its
# sockets itself (core/wire.py RAW_SOCKETS); Windows' asyncio transports make their own.
EARLY_TLS = sys.platform != "win32"
# options of `get` that take no value: a link may follow them directly
_FLAGS = {"-q", "--quiet", "-v", "--verbose"}

_lock = threading.Lock()
_early: dict[tuple[str, int], Early] = {}
_context_lock = threading.Lock()
_context: ssl.SSLContext | None = None


def tls_context() -> ssl.SSLContext:
    """The TLS context of the engine's clients that are given none of their own (the
    system's CA store), one for the process: a connection resumes the TLS session of an
    earlier one only in the context that made it. Made by whichever thread needs it first
    (loading the CA store takes 40-60 ms, without the GIL)."""
    global _context
    with _context_lock:
        if _context is None:
            import ssl
            _context = ssl.create_default_context()
        return _context


def forget_tls_context(ctx: object) -> None:
    """A certificate was refused in ``ctx``: when that is ``tls_context()``'s context, the
    next call makes a new one, reading the CA store again. The store was read once per
    process; a user who makes the system trust a certificate (a company's TLS-inspecting
    proxy, say) and then retries must not have to restart the app first."""
    global _context
    with _context_lock:
        if ctx is not None and ctx is _context:
            _context = None


def ascii_name(host: str) -> str | bytes:
    """The host name as the resolver and the ssl module get it: an ASCII name as bytes,
    which both take as it is, where a str goes through the IDNA codec (its import and
    stringprep's: 11 ms holding the GIL the main thread's imports want, for a name the
    codec would give back unchanged). A name that is not ASCII stays a str, for the codec."""
    return host.encode("ascii") if host.isascii() else host


def _connect_making_context(host: str, port: int, deadline: float) -> socket.socket:
    """socket.create_connection, the TLS context made (ssl imported, the CA store loaded)
    while the SYN is on its way rather than before or after it."""
    import errno
    import select
    import socket
    import time
    err: OSError | None = None
    for fam, kind, proto, _, addr in socket.getaddrinfo(ascii_name(host), port, type=socket.SOCK_STREAM):
        sock = socket.socket(fam, kind, proto)
        try:
            sock.setblocking(False)
            rc = sock.connect_ex(addr)
            try:
                tls_context()
            except Exception:   # the handshake's own call reports it
                pass
            if rc == errno.EINPROGRESS:
                poll = select.poll()
                poll.register(sock, select.POLLOUT)
                if not poll.poll(max(deadline - time.monotonic(), 0) * 1000):
                    raise TimeoutError("timed out")
                rc = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if rc:
                raise OSError(rc, os.strerror(rc))
            return sock
        except OSError as e:
            sock.close()
            err = e
    raise err or OSError(f"no address for {host}")


def is_default_context(ctx: object) -> bool:
    """Whether ctx is ``tls_context()``'s context (without making it)."""
    return ctx is not None and ctx is _context


class Early:
    """One early connection to host:port, made by its own thread: TCP, and TLS for
    ``server_hostname`` (the SNI, and the name the certificate must carry) when it is
    given, in ``context`` (``tls_context()``, set when the handshake begins)."""

    def __init__(self, host: str, port: int, keep: float = KEEP,
                 server_hostname: str | None = None):
        self.host, self.port, self.keep = host, port, keep
        self.server_hostname = server_hostname
        self.context: ssl.SSLContext | None = None
        self.sock: socket.socket | None = None     # an ssl.SSLSocket over TLS, handshake done
        self.error: Exception | None = None
        self.connected = False     # the TCP handshake is done (the TLS one may be under way)
        self.tls_failed = False    # ...and the TLS handshake failed
        self.done = False
        self.abandoned = False     # ...which gave up on it (another attempt won)
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future]] = []
        self._taken = threading.Event()   # a connect of the engine waits for it / has it

    @property
    def tls(self) -> bool:
        return self.server_hostname is not None

    def _run(self) -> None:
        import socket
        import time
        start = time.monotonic()
        sock: socket.socket | None = None
        err: Exception | None = None
        try:
            if self.tls:
                sock = _connect_making_context(self.host, self.port, start + CONNECT_TIMEOUT)
            else:
                sock = socket.create_connection((ascii_name(self.host), self.port), timeout=CONNECT_TIMEOUT)
        except Exception as e:   # OSError; UnicodeError for a name IDNA cannot encode
            err = e
        if sock is not None and self.tls:
            with _lock:
                self.connected = True
                abandoned = self.abandoned
            if abandoned:
                sock.close()
                sock, err = None, OSError("abandoned")
            else:
                sock, err = self._handshake(sock, CONNECT_TIMEOUT - (time.monotonic() - start))
                self.tls_failed = err is not None
        if sock is not None:
            sock.setblocking(False)
        with _lock:
            self.done, self.sock, self.error = True, sock, err
            self.connected = self.connected or sock is not None
            waiters, self._waiters = self._waiters, []
            if self.abandoned:
                self._close()
        for loop, fut in waiters:
            try:
                loop.call_soon_threadsafe(_wake, fut)
            except RuntimeError:   # that loop is closed
                pass
        if not self._taken.wait(self.keep):
            with _lock:
                if not self._taken.is_set():
                    _early.pop((self.host, self.port), None)
                    self._close()

    def _handshake(self, sock: socket.socket, timeout: float) -> tuple[socket.socket | None, Exception | None]:
        """The TLS handshake on the connected sock (blocking, within timeout)."""
        try:
            ctx = self.context = tls_context()
            sock.settimeout(max(timeout, 0.001))
            return ctx.wrap_socket(sock, server_hostname=ascii_name(self.server_hostname)), None
        except Exception as e:   # ssl.SSLError (a certificate refused), a reset, a timeout
            sock.close()
            return None, e

    def _close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    async def _done(self) -> None:
        import asyncio
        loop = asyncio.get_running_loop()
        with _lock:
            if self.done:
                return
            fut = loop.create_future()
            self._waiters.append((loop, fut))
        await fut

    async def wait(self) -> socket.socket:
        """The connected socket, over TLS with its handshake done when ``tls`` (or the early
        attempt's error). Cancelled: the socket, when it comes, is closed."""
        import asyncio
        try:
            await self._done()
        except asyncio.CancelledError:
            self.discard()
            raise
        with _lock:
            sock, self.sock = self.sock, None
        if sock is None:
            raise self.error or OSError(f"early connection to {self.host}:{self.port} was closed")
        return sock

    async def ahead(self) -> bool:
        """For another attempt to the same host that has just connected: whether this one
        is ahead of it and ready (True once its TLS handshake has succeeded, waiting for
        that while its TCP handshake is done and the TLS one under way: it began sooner).
        False when it failed, or has not connected yet."""
        with _lock:
            pending = self.connected and not self.done
        if pending:
            await self._done()
        return self.done and self.error is None

    def discard(self) -> None:
        """Given up by whoever took it: the socket is closed, now or when it comes."""
        with _lock:
            self.abandoned = True
            self._close()


def _wake(fut: asyncio.Future) -> None:
    if not fut.done():
        fut.set_result(None)


def start(host: str, port: int, keep: float = KEEP, server_hostname: str | None = None) -> Early:
    """Begin connecting to host:port in a thread (one attempt per host and port), and
    the TLS handshake for server_hostname when given."""
    key = (host.lower(), port)
    with _lock:
        e = _early.get(key)
        if e is None:
            e = _early[key] = Early(key[0], port, keep, server_hostname)
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
    """Connect early to the first link of ``get``'s arguments (with TLS for an https
    link), unless a proxy is set."""
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
    return start(host, port, server_hostname=host if parts.scheme == "https" and EARLY_TLS else None)
