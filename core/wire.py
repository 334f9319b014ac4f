"""A small HTTP/1.1 client for the engine's data path.

The engine only ever sends GET requests with a Range header and streams the body into
the ``.part``; for that, a general-purpose client costs more than it gives: importing
aiohttp took 0.15-0.25 s on the development VM (it builds TLS contexts at import time),
which every ``get`` paid before its first byte. This client is built on asyncio alone:

- keep-alive connections pooled per (scheme, host, port, proxy); a pooled connection
  that the server closed meanwhile is replaced once, transparently (GET is idempotent);
- bodies framed by Content-Length, chunked transfer coding, or the end of the
  connection; the body's chunks go to the caller as they arrive (no copies);
- a read timeout that fires only when no byte arrives (stall detection), a connect
  timeout, flow control (reading pauses while the caller is behind);
- http and https (verified with the system's CA store), HTTP proxies from the
  environment (``http_proxy``/``https_proxy``/``no_proxy``) or given, CONNECT tunnels
  for https; SOCKS4/5 proxies (``socks5://``, ``socks5h://`` with the name resolved by
  the proxy, user and password in the URL) through python-socks;
- redirects followed by the caller (``get``), dropping credentials when a redirect
  leaves the host (``strip_on_redirect``);
- connections opened ahead (``warm``): a request that will be followed by more to the
  same host (a download's first) and whose answer is slow to come connects the others
  meanwhile, so their handshakes are done when they are needed.

Resolvers talk to web APIs (forms, JSON, cookies) and keep using aiohttp; the engine
passes a cookie hook so that cookies a resolver's session collected still go with the
download requests.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import itertools
import os
import select
import socket
import ssl
import sys
import time
from asyncio import staggered
from collections import deque
from typing import Callable
from urllib.parse import SplitResult, quote, unquote, urljoin, urlsplit

from . import preconnect

SENSITIVE = ("authorization", "cookie", "proxy-authorization")
MAX_REDIRECTS = 10
MAX_HEAD = 65536            # status line + headers
HIGH_WATER = 2 << 20        # pause reading the socket above this much unread body
LOW_WATER = 512 << 10
IDLE_KEEP = 15.0            # seconds a pooled connection may sit idle
DNS_TTL = 300.0
READ_SIZE = 256 << 10       # one read of the socket (or of TLS records) for chunk()
# Connections read their socket directly (no asyncio transport in between) where the event
# loop can watch file descriptors (add_reader: every selector loop; not Windows' proactor
# loop, which keeps the transport-based connection).
RAW_SOCKETS = sys.platform != "win32"
# A request asked to warm (``Client.request(warm=n)``) whose answer has not come this long
# after it was sent, or whose connection is not open this long after it began (a TCP or
# TLS handshake with a far host), connects n more connections to its host meanwhile: the
# host is far (or slow), and the requests that follow the answer then pay one round trip
# instead of a handshake and one. A near host answers before this, and nothing is opened
# ahead for it; the connect's allowance is longer, as a near TLS handshake takes some CPU.
WARM_AFTER = 0.02
WARM_CONNECTING = 0.05


class _Skipped(Exception):
    """An attempt of the connect race that has nothing to report: no address left to try,
    an early connection whose TLS handshake failed (the usual attempts report what they
    find), or one that gives way to an early connection ahead of it."""


def _fresh(conn: _Conn, now: float) -> bool:
    """An idle connection that may still carry a request (open, idle less than IDLE_KEEP)."""
    return conn.alive and now - conn.idle_since < IDLE_KEEP


class ClientError(Exception):
    """Any failure of a request below HTTP status level."""


class ConnectError(ClientError):
    """The connection could not be made (refused, unreachable, name not found, proxy).
    ``cause``: a code of core.errors.NETWORK_CAUSES (dns, refused, timeout, failed)."""

    def __init__(self, message: str, cause: str = "failed"):
        super().__init__(message)
        self.cause = cause


class ServerDisconnected(ClientError):
    """The server closed the connection before the answer was complete."""


class BadResponse(ClientError):
    """The answer is not valid HTTP/1.x."""


class TooManyRedirects(ClientError):
    pass


def strip_on_redirect(headers: dict[str, str], src: str, dst: str) -> dict[str, str]:
    """Drop Cookie/Authorization when a redirect leaves the host or goes https -> http."""
    a, b = urlsplit(src), urlsplit(dst)
    if (a.hostname or "").lower() == (b.hostname or "").lower() and not (
            a.scheme == "https" and b.scheme == "http") and a.port == b.port:
        return headers
    return {k: v for k, v in headers.items() if k.lower() not in SENSITIVE}


class Headers:
    """Response headers: case-insensitive, repeated names kept in order."""

    __slots__ = ("_d",)

    def __init__(self, pairs: list[tuple[str, str]]):
        self._d: dict[str, list[str]] = {}
        for k, v in pairs:
            self._d.setdefault(k.lower(), []).append(v)

    def get(self, name: str, default: str | None = None) -> str | None:
        v = self._d.get(name.lower())
        return v[0] if v else default

    def getall(self, name: str) -> list[str]:
        return list(self._d.get(name.lower(), ()))

    def __getitem__(self, name: str) -> str:
        v = self._d.get(name.lower())
        if not v:
            raise KeyError(name)
        return v[0]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._d

    def items(self):
        return [(k, v) for k, vs in self._d.items() for v in vs]

    def keys(self):
        return list(self._d)

    def __iter__(self):
        return iter(self._d)

    def __len__(self) -> int:
        return len(self._d)


class _Conn(asyncio.Protocol):
    """One TCP (or TLS) connection: queues what arrives, hands it out chunk by chunk."""

    def __init__(self, loop: asyncio.AbstractEventLoop):
        self._loop = loop
        self.transport: asyncio.Transport | None = None
        self._chunks: deque[bytes] = deque()
        self._buffered = 0
        self._eof = False
        self._exc: BaseException | None = None
        self._waiter: asyncio.Future | None = None
        self._paused = False
        self.idle_since = 0.0
        self.tls_key: tuple[str, int] | None = None
        self.warm = False           # opened ahead and not used yet

    # -- protocol callbacks
    def connection_made(self, transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self._chunks.append(data)
        self._buffered += len(data)
        if self._buffered > HIGH_WATER and not self._paused and self.transport is not None:
            self._paused = True
            self.transport.pause_reading()
        self._wake()

    def eof_received(self):
        self._eof = True
        self._wake()
        return False  # close the transport

    def connection_lost(self, exc) -> None:
        self._eof = True
        self._exc = exc
        self._wake()

    def _wake(self) -> None:
        w = self._waiter
        if w is not None and not w.done():
            w.set_result(None)

    # -- used by the response parser
    @property
    def alive(self) -> bool:
        return (not self._eof and self.transport is not None
                and not self.transport.is_closing() and not self._chunks)

    def pending(self) -> bool:
        return bool(self._chunks)

    def unread(self, data: bytes) -> None:
        if data:
            self._chunks.appendleft(data)
            self._buffered += len(data)

    async def chunk(self, timeout: float | None) -> bytes:
        """The next received bytes; b"" at the end of the connection."""
        while not self._chunks:
            if self._eof:
                return b""
            fut = self._loop.create_future()
            self._waiter = fut
            handle = self._loop.call_later(timeout, _expire, fut) if timeout else None
            try:
                await fut
            finally:
                self._waiter = None
                if handle is not None:
                    handle.cancel()
        data = self._chunks.popleft()
        self._buffered -= len(data)
        if self._paused and self._buffered < LOW_WATER and self.transport is not None:
            self._paused = False
            self.transport.resume_reading()
        return data

    async def readinto(self, mv: memoryview, timeout: float | None) -> int:
        """What has arrived, copied into mv (at least one byte); 0 at the end."""
        data = await self.chunk(timeout)
        n = min(len(data), len(mv))
        mv[:n] = data[:n]
        self.unread(data[n:])
        return n

    def write(self, data: bytes) -> None:
        assert self.transport is not None
        self.transport.write(data)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()
        self._eof = True
        self._chunks.clear()
        self._buffered = 0


def _no_delay(sock: socket.socket) -> None:
    """Requests go out at once (TCP_NODELAY; asyncio's transports set it only on sockets
    made with an explicit IPPROTO_TCP, which the connect race's are not). With Nagle's
    rule a TLS request written right after the handshake's Finished waited for the server's
    delayed ACK of it: 40 ms at 0 ms RTT (15 connections opening together got their answers
    35-50 ms after their handshakes), a round trip on a far path."""
    if sock.family in (socket.AF_INET, socket.AF_INET6):
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass


class _SockConn:
    """One TCP or TLS connection read and written on its non-blocking socket directly.

    Body bytes go from the socket, or from the TLS object that decrypts them, straight
    into the caller's buffer (``readinto``): no transport buffer, no bytes object per TLS
    record, no join. The kernel's socket buffer is the only queue, so a slow reader slows
    the sender as TCP would (no flow-control bookkeeping here)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, sock: socket.socket):
        self._loop = loop
        self.sock = sock
        self._fd = sock.fileno()
        self._chunks: deque[bytes] = deque()   # bytes read past a head, given back
        self._buffered = 0
        self._eof = False
        self._exc: BaseException | None = None
        self._out = bytearray()                 # not yet accepted by the socket
        self._want_write = False                # TLS needs to write before it can read
        self.idle_since = 0.0
        self.tls_key: tuple[str, int] | None = None
        self.warm = False                       # opened ahead and not used yet
        self._tls_read = None   # the TLS object's read(n, buffer), once the handshake is done

    @property
    def tls(self) -> bool:
        return isinstance(self.sock, ssl.SSLSocket)

    async def start_tls(self, ctx, server_hostname: str, session=None) -> None:
        """Wraps the connected socket in TLS and does the handshake."""
        self.sock = ctx.wrap_socket(self.sock, server_hostname=preconnect.ascii_name(server_hostname),
                                    do_handshake_on_connect=False, session=session)
        while True:
            try:
                self.sock.do_handshake()
                self.tls_ready()
                return
            except ssl.SSLWantReadError:
                await self._wait(False, None)
            except ssl.SSLWantWriteError:
                await self._wait(True, None)

    def tls_ready(self) -> None:
        """The TLS handshake is done (here, or by core/preconnect.py's early thread)."""
        # decrypted records are read from the TLS object itself: SSLSocket.recv_into
        # adds three Python calls per 16 KiB record (0.1 s of CPU per 512 MiB)
        sslobj = getattr(self.sock, "_sslobj", None)
        self._tls_read = getattr(sslobj, "read", None)

    async def _wait(self, writable: bool, timeout: float | None) -> None:
        fut = self._loop.create_future()
        fd = self._fd
        if writable:
            self._loop.add_writer(fd, _ready, fut)
        else:
            self._loop.add_reader(fd, _ready, fut)
        handle = self._loop.call_later(timeout, _expire, fut) if timeout else None
        try:
            await fut
        finally:
            if writable:
                self._loop.remove_writer(fd)
            else:
                self._loop.remove_reader(fd)
            if handle is not None:
                handle.cancel()

    def _recv_into(self, mv: memoryview) -> int | None:
        """Bytes read into mv; 0 at the end of the connection; None when nothing is there now."""
        read = self._tls_read
        try:
            n = read(len(mv), mv) if read is not None else self.sock.recv_into(mv)
        except OSError as e:
            return self._read_failed(e)
        if n == 0:
            self._eof = True
        return n

    def _read_failed(self, e: OSError) -> int | None:
        """What a read that raised ``e`` means: None when nothing is there now, 0 at the
        end of the connection (``_eof``; ``_exc`` holds a reset or a TLS error)."""
        if isinstance(e, (BlockingIOError, InterruptedError, ssl.SSLWantReadError)):
            return None
        if isinstance(e, ssl.SSLWantWriteError):
            self._want_write = True
            return None
        if not isinstance(e, ssl.SSLEOFError):   # closed without a TLS close_notify: the end
            self._exc = e                         # a reset, or a TLS error
        self._eof = True
        return 0

    async def readinto(self, mv: memoryview, timeout: float | None) -> int:
        """Fills mv with what has arrived, waiting (up to timeout) for at least one byte;
        0 at the end of the connection."""
        if self._chunks:
            data = self._chunks.popleft()
            n = min(len(data), len(mv))
            mv[:n] = data[:n]
            self._buffered -= len(data)
            self.unread(data[n:])
            return n
        size, got = len(mv), 0
        while True:
            read = self._tls_read
            if read is not None:
                # TLS records (16 KiB at most) decrypted into mv one after another until
                # none is complete: 32 times per MiB, so the TLS object is called here
                # rather than through _recv_into (a Python call less per record)
                try:
                    while got < size and not self._eof:
                        n = read(size - got, mv[got:])
                        if not n:
                            self._eof = True
                            break
                        got += n
                except OSError as e:
                    self._read_failed(e)
            else:
                while got < size and not self._eof:
                    n = self._recv_into(mv[got:])
                    if not n:
                        break
                    got += n
            if got or self._eof:
                return got
            want_write, self._want_write = self._want_write, False
            await self._wait(want_write, timeout)

    async def chunk(self, timeout: float | None) -> bytes:
        """The next received bytes; b"" at the end of the connection."""
        if self._chunks:
            data = self._chunks.popleft()
            self._buffered -= len(data)
            return data
        buf = bytearray(READ_SIZE)
        n = await self.readinto(memoryview(buf), timeout)
        # a copy, not `del buf[n:]`: a reset's exception (kept in _exc) still holds a view
        # of buf, and a bytearray with live views cannot be resized
        return bytes(memoryview(buf)[:n])

    def unread(self, data: bytes) -> None:
        if data:
            self._chunks.appendleft(data)
            self._buffered += len(data)

    def pending(self) -> bool:
        """Whether a read would return data at once (given back, decrypted, or in the
        kernel's buffer)."""
        if self._chunks or (self.tls and self.sock.pending()):
            return True
        try:
            return bool(select.select([self._fd], [], [], 0)[0])
        except (OSError, ValueError):
            return False

    @property
    def alive(self) -> bool:
        """For a pooled connection: the server has not closed it (nor sent anything)."""
        if self._eof or self._chunks or self.sock.fileno() < 0:
            return False
        try:
            readable = select.select([self._fd], [], [], 0)[0]
        except (OSError, ValueError):
            return False
        if not readable:
            return True
        if not self.tls:
            return False   # the end of the connection, or bytes nobody asked for
        # TLS: a session ticket arriving late is readable but carries no data
        return self._recv_into(memoryview(bytearray(1))) is None and not self._eof

    def write(self, data: bytes) -> None:
        if self._out:
            self._out += data
            return
        try:
            n = self.sock.send(data)
        except (BlockingIOError, InterruptedError, ssl.SSLWantWriteError, ssl.SSLWantReadError):
            n = 0
        except OSError as e:   # the read that follows reports it
            self._exc = e
            self._eof = True
            return
        if n < len(data):
            self._out += data[n:]
            self._loop.add_writer(self._fd, self._flush_out)

    def _flush_out(self) -> None:
        try:
            n = self.sock.send(self._out)
        except (BlockingIOError, InterruptedError, ssl.SSLWantWriteError, ssl.SSLWantReadError):
            return
        except OSError as e:
            self._exc = e
            self._eof = True
            n = len(self._out)
        del self._out[:n]
        if not self._out:
            self._loop.remove_writer(self._fd)

    def close(self) -> None:
        if self._out:
            self._loop.remove_writer(self._fd)
            self._out.clear()
        self._eof = True
        self._chunks.clear()
        self._buffered = 0
        self._tls_read = None
        self.sock.close()


def _ready(fut: asyncio.Future) -> None:
    if not fut.done():
        fut.set_result(None)


def _expire(fut: asyncio.Future) -> None:
    if not fut.done():
        fut.set_exception(TimeoutError("no data from the server"))


_NO_BODY = (204, 304)


class Response:
    """An answer whose body is read as it arrives. ``release()`` hands a fully read
    keep-alive connection back to the pool; ``close()`` drops it."""

    def __init__(self, client: Client, key: tuple, conn: _Conn, method: str, url: str,
                 read_timeout: float | None):
        self._client, self._key, self._conn = client, key, conn
        self.method, self.url = method, url
        self._timeout = read_timeout
        self.status = 0
        self.reason = ""
        self.version = (1, 1)
        self.headers = Headers([])
        self._left: int | None = None       # bytes left of a Content-Length body
        self._chunked = False
        self._chunk_left = 0                # of the current chunk (chunked coding)
        self._buf = bytearray()             # chunked coding: bytes not yet parsed
        self._need_crlf = False
        self._done = False
        self._keep = False
        self._closed = False
        self.reused = False                 # sent on a kept-alive connection from the pool

    async def _read_head(self) -> None:
        buf = bytearray()
        while True:
            end = buf.find(b"\r\n\r\n")
            if end > MAX_HEAD or (end < 0 and len(buf) > MAX_HEAD):
                raise BadResponse("the server's headers are too long")
            if end >= 0:
                break
            data = await self._conn.chunk(self._timeout)
            if not data:
                if self._conn._exc is not None:
                    raise ServerDisconnected(f"connection lost: {self._conn._exc}")
                raise ServerDisconnected("the server closed the connection without answering")
            buf += data
        self._conn.unread(bytes(buf[end + 4:]))
        lines = buf[:end].decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
            raise BadResponse(f"not an HTTP answer: {lines[0][:80]!r}")
        self.version = (1, 0) if parts[0] == "HTTP/1.0" else (1, 1)
        self.status = int(parts[1])
        self.reason = parts[2] if len(parts) > 2 else ""
        pairs = []
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if not sep or not name or name != name.strip():
                raise BadResponse(f"malformed header line: {line[:80]!r}")
            pairs.append((name, value.strip()))
        self.headers = Headers(pairs)
        if 100 <= self.status < 200 and self.status != 101:
            await self._read_head()  # interim answer: the real one follows
            return
        conn_hdr = (self.headers.get("Connection") or "").lower()
        self._keep = ("close" not in conn_hdr if self.version == (1, 1)
                      else "keep-alive" in conn_hdr)
        te = (self.headers.get("Transfer-Encoding") or "").lower()
        cl = self.headers.get("Content-Length")
        if self.method == "HEAD" or self.status in _NO_BODY:
            self._left = 0
        elif te:
            if te.rsplit(",", 1)[-1].strip() != "chunked":
                self._keep = False  # body ends with the connection
            else:
                self._chunked = True
        elif cl is not None:
            if not cl.strip().isdigit():
                raise BadResponse(f"bad Content-Length {cl!r}")
            self._left = int(cl)
        else:
            self._keep = False
        if self._left == 0:
            self._done = True

    def at_eof(self) -> bool:
        return self._done

    def pending(self) -> bool:
        """Whether body bytes have arrived that the next read returns without waiting."""
        if self._chunked:
            return self._chunk_left > 0 and bool(self._buf)
        return not self._done and self._conn.pending()

    async def readany(self) -> bytes:
        """The next piece of the body as it arrived; b"" at its end. Raises
        ServerDisconnected when the connection ends before the declared length."""
        if self._done:
            return b""
        if self._chunked:
            return await self._read_chunked()
        data = await self._conn.chunk(self._timeout)
        if not data:
            if self._left is None:
                self._done = True
                return b""
            raise ServerDisconnected(f"connection closed with {self._left} bytes of the answer missing")
        if self._left is not None:
            if len(data) >= self._left:
                self._conn.unread(data[self._left:])
                data = data[:self._left]
                self._done = True
            self._left -= len(data)
        return data

    async def readinto(self, mv: memoryview) -> int:
        """The next piece of the body as it arrives, put at the start of ``mv``: the number
        of bytes (0 at the body's end). Over a direct connection, bytes go from the socket
        or the TLS object straight into ``mv``. Raises ServerDisconnected when the
        connection ends before the declared length."""
        if self._done:
            return 0
        if self._chunked:
            data = await self._read_chunked()
            n = min(len(data), len(mv))
            mv[:n] = data[:n]
            if n < len(data):
                self._push_back(data[n:])
            return n
        if self._left is not None and self._left < len(mv):
            mv = mv[:self._left]
        n = await self._conn.readinto(mv, self._timeout)
        if not n:
            if self._left is None:
                self._done = True
                return 0
            raise ServerDisconnected(f"connection closed with {self._left} bytes of the answer missing")
        if self._left is not None:
            self._left -= n
            if not self._left:
                self._done = True
        return n

    async def read(self, n: int) -> bytes:
        """At most ``n`` bytes of the body (what has arrived, never waiting for all n)."""
        data = await self.readany()
        if len(data) > n:
            self._push_back(data[n:])
            data = data[:n]
        return data

    def _push_back(self, data: bytes) -> None:
        if self._chunked:
            # the rest of the current chunk's data, in front of what is not decoded yet
            self._chunk_left += len(data)
            self._buf[0:0] = data
        else:
            self._conn.unread(data)
            if self._left is not None:
                self._left += len(data)
            self._done = False

    async def read_body(self, limit: int) -> bytes:
        """The body up to ``limit`` bytes (for error pages)."""
        out = bytearray()
        while len(out) < limit:
            data = await self.readany()
            if not data:
                break
            out += data
        return bytes(out[:limit])

    async def _fill(self) -> None:
        data = await self._conn.chunk(self._timeout)
        if not data:
            raise ServerDisconnected("connection closed inside a chunked answer")
        self._buf += data

    async def _line(self) -> bytes:
        while True:
            i = self._buf.find(b"\r\n")
            if i >= 0:
                line = bytes(self._buf[:i])
                del self._buf[:i + 2]
                return line
            if len(self._buf) > MAX_HEAD:
                raise BadResponse("chunk header too long")
            await self._fill()

    async def _read_chunked(self) -> bytes:
        while self._chunk_left == 0:
            if self._need_crlf:  # the CRLF that ends the previous chunk's data
                while len(self._buf) < 2:
                    await self._fill()
                if self._buf[:2] != b"\r\n":
                    raise BadResponse("chunk not followed by CRLF")
                del self._buf[:2]
                self._need_crlf = False
            size = (await self._line()).split(b";", 1)[0].strip()
            try:
                n = int(size, 16)
            except ValueError:
                raise BadResponse(f"bad chunk size {size[:20]!r}") from None
            if n == 0:
                while await self._line():  # trailers up to the empty line
                    pass
                self._conn.unread(bytes(self._buf))
                self._buf.clear()
                self._done = True
                return b""
            self._chunk_left, self._need_crlf = n, True
        if not self._buf:
            await self._fill()
        take = min(self._chunk_left, len(self._buf))
        data = bytes(self._buf[:take])
        del self._buf[:take]
        self._chunk_left -= take
        return data

    def release(self) -> None:
        """Done with the answer: the connection goes back to the pool when the body was
        read to its end and the server keeps connections, else it is closed."""
        if self._closed:
            return
        self._closed = True
        if self._done and self._keep and self._conn.alive:
            self._client._put(self._key, self._conn)
        else:
            self._conn.close()

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._conn.close()


def _tls_context():
    """The default context: core/preconnect.py's, whose early connection this client's
    next connections resume."""
    return preconnect.tls_context()


class Client:
    """GET requests over pooled keep-alive connections. Cheap to create: nothing is
    imported or connected before the first request."""

    def __init__(self, *, user_agent: str, proxy: str | None = None, trust_env: bool = True,
                 connect_timeout: float = 20.0, ssl_context=None,
                 cookies: Callable[[str], dict[str, str]] | None = None):
        self.user_agent = user_agent
        self.proxy = proxy
        self.trust_env = trust_env and proxy is None
        self.connect_timeout = connect_timeout
        self._ssl = ssl_context
        self.cookies = cookies      # url -> cookies to send (a resolver session's jar)
        self._idle: dict[tuple, list[_Conn]] = {}
        # TLS resumption: (host, port) -> (the context, its session)
        self._sessions: dict[tuple[str, int], tuple[ssl.SSLContext, ssl.SSLSession]] = {}
        self._dns: dict[tuple[str, int], tuple[float, list]] = {}
        self._env_proxies: dict[str, str] | None = None
        self._warming: dict[tuple, list[asyncio.Task]] = {}   # connections being opened ahead
        self._sweeper: asyncio.TimerHandle | None = None   # closes connections idle too long
        self._sweep_loop: asyncio.AbstractEventLoop | None = None
        self.opened = 0             # connections made (tests and diagnostics)
        self.warmed = 0             # ...of which opened ahead

    # -- pool
    def _put(self, key: tuple, conn: _Conn) -> None:
        conn.idle_since = time.monotonic()
        self._idle.setdefault(key, []).append(conn)
        loop = asyncio.get_running_loop()
        if self._sweeper is None or self._sweep_loop is not loop:   # (a client used on a new loop)
            self._sweep_loop, self._sweeper = loop, loop.call_later(IDLE_KEEP, self._sweep)

    def _sweep(self) -> None:
        """Close the pooled connections idle for IDLE_KEEP or that the server closed, and
        come back when the next one's time is up. ``_take`` drops a stale connection only
        when a request to its host comes; in a long-lived client (the app's engine) one
        for a host never asked again stayed open, or half-closed by the server, for good."""
        self._sweeper = None
        now = time.monotonic()
        due = None
        for key in list(self._idle):
            keep = []
            for c in self._idle[key]:
                if _fresh(c, now):
                    keep.append(c)
                    due = min(due, c.idle_since) if due is not None else c.idle_since
                else:
                    c.close()
            if keep:
                self._idle[key] = keep
            else:
                del self._idle[key]
        if due is not None and self._sweep_loop is not None:
            self._sweeper = self._sweep_loop.call_later(max(due + IDLE_KEEP - now, 0.0) + 0.01, self._sweep)

    def _take(self, key: tuple) -> _Conn | None:
        idle = self._idle.get(key)
        now = time.monotonic()
        while idle:
            conn = idle.pop()
            if _fresh(conn, now):
                return conn
            conn.close()
        return None

    def pooled(self, url: str) -> bool:
        """Whether a request to ``url`` would go out at once on a kept-alive connection
        (one is idle in the pool), rather than wait for a new connection (and its TLS
        handshake) first."""
        try:
            key = self._endpoint(url)[1]
        except (ClientError, ValueError):   # ValueError: urlsplit of a malformed URL
            return False
        now = time.monotonic()
        return any(_fresh(c, now) for c in self._idle.get(key, ()))

    async def close(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            self._sweeper = None
        for key in list(self._warming):
            self.cool(key)
        for conns in self._idle.values():
            for c in conns:
                c.close()
        self._idle.clear()

    # -- connections opened ahead
    def _warm(self, key: tuple, host: str, port: int, tls_host: str | None, n: int,
              first: asyncio.Future) -> None:
        """Open up to n connections to key's host ahead of their requests (fewer when some
        are idle in the pool or being opened already). A TLS one waits for ``first`` (the
        connection of the request that asked) to finish its handshake, so it resumes that
        session instead of making a full handshake of its own."""
        have = len(self._idle.get(key, ())) + len(self._warming.get(key, ()))
        loop = asyncio.get_running_loop()
        for _ in range(n - have):
            task = loop.create_task(self._warm_one(host, port, tls_host, first))
            self._warming.setdefault(key, []).append(task)
            task.add_done_callback(functools.partial(self._warm_done, key))

    async def _warm_one(self, host: str, port: int, tls_host: str | None,
                        first: asyncio.Future) -> _Conn:
        conn = await self._open(host, port, None)
        try:
            if tls_host:
                await asyncio.shield(first)
                await self._start_tls(conn, host, tls_host, port, "")
        except BaseException:
            conn.close()
            raise
        conn.warm = True
        self.warmed += 1
        return conn

    def _warm_done(self, key: tuple, task: asyncio.Task) -> None:
        """A connection opened ahead that no request claimed while it opened goes to the
        pool; one that failed is forgotten (the request that needs it connects itself)."""
        tasks = self._warming.get(key)
        if tasks is None or task not in tasks:
            return      # claimed: the request awaiting it has the result
        tasks.remove(task)
        if not tasks:
            del self._warming[key]
        if task.cancelled():
            return
        if task.exception() is None:
            self._put(key, task.result())

    async def _claim_warm(self, key: tuple) -> _Conn | None:
        """A connection being opened ahead for key, once it is open (None: none is being
        opened, or every one that was has failed)."""
        tasks = self._warming.get(key)
        while tasks:
            task = tasks.pop(0)
            if not tasks:
                del self._warming[key]
            try:
                return await task
            except (ClientError, OSError):
                tasks = self._warming.get(key)
            except asyncio.CancelledError:
                if task.done() and not task.cancelled() and task.exception() is None:
                    task.result().close()   # opened just as this request was cancelled
                raise
        return None

    def cool(self, key: tuple) -> None:
        """Stop opening connections ahead for key, and close the ones opened ahead that
        no request used (a redirect took the download to another host)."""
        for task in self._warming.pop(key, []):
            task.cancel()
        idle = self._idle.get(key)
        if idle:
            for c in [c for c in idle if c.warm]:
                idle.remove(c)
                c.close()

    # -- proxies
    def _proxy_for(self, scheme: str, host: str) -> str | None:
        if self.proxy:
            return self.proxy
        if not self.trust_env:
            return None
        if self._env_proxies is None:
            if any(k.lower().endswith("_proxy") for k in os.environ):
                import urllib.request
                self._env_proxies = urllib.request.getproxies_environment()
            else:
                self._env_proxies = {}
        if not self._env_proxies:
            return None
        import urllib.request
        if urllib.request.proxy_bypass_environment(host, self._env_proxies):
            return None
        return self._env_proxies.get(scheme)

    # -- connecting
    async def _addresses(self, host: str, port: int) -> list[tuple[int, tuple]]:
        """(family, socket address) pairs, IPv6 and IPv4 interleaved as RFC 8305 asks."""
        hit = self._dns.get((host, port))
        now = time.monotonic()
        if hit and now - hit[0] < DNS_TTL:
            return hit[1]
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(preconnect.ascii_name(host), port, type=socket.SOCK_STREAM)
        except socket.gaierror as e:
            raise ConnectError(f"cannot resolve {host}: {e.strerror or e}", "dns") from None
        by_family: dict[int, list] = {}
        for fam, _, _, _, addr in infos:
            if (fam, addr) not in by_family.setdefault(fam, []):
                by_family[fam].append((fam, addr))
        addrs = [a for group in itertools.zip_longest(*by_family.values()) for a in group if a]
        self._dns[(host, port)] = (now, addrs)
        return addrs

    async def _open(self, host: str, port: int, tls_host: str | None) -> _Conn:
        """A new connection to host:port (with TLS for tls_host when given). Addresses are
        tried a quarter of a second apart, the first to connect wins (happy eyeballs), so a
        broken IPv6 route costs 0.25 s, not a connect timeout. A connection begun as the
        process started (core/preconnect.py) runs first in that race; one that made its TLS
        handshake too is taken only for the same host name and this client's default
        context, and an attempt that connects while its TLS handshake is under way (it
        connected first) waits for that handshake and gives way unless it fails."""
        loop = asyncio.get_running_loop()
        early = preconnect.take(host, port)
        if early is not None and early.tls and (
                not RAW_SOCKETS or tls_host != early.server_hostname
                or not preconnect.is_default_context(self._tls())):
            early.discard()    # made for another name or context: not for this connection
            early = None

        async def attempt(fam: int, addr: tuple) -> socket.socket:
            sock = socket.socket(fam, socket.SOCK_STREAM)
            try:
                sock.setblocking(False)
                await loop.sock_connect(sock, addr)
                return sock
            except BaseException:
                sock.close()
                raise

        if early is None:
            addrs = await self._addresses(host, port)
            fns = [functools.partial(attempt, f, a) for f, a in addrs]
            lookup = None
        else:
            # the early socket first; the usual attempts follow it 0.25 s apart, their
            # address lookup running meanwhile
            lookup = asyncio.ensure_future(self._addresses(host, port))

            async def first() -> socket.socket:
                try:
                    return await early.wait()
                except Exception:
                    if early.tls_failed:
                        raise _Skipped() from None   # the usual attempt tells what is wrong
                    raise

            async def nth(i: int) -> socket.socket:
                addrs = await lookup
                if i >= len(addrs):
                    raise _Skipped()
                sock = await attempt(*addrs[i])
                try:
                    if await early.ahead():
                        raise _Skipped()    # the early one has won (or is about to)
                except BaseException:
                    sock.close()
                    raise
                return sock
            fns = [first] + [functools.partial(nth, i) for i in range(8)]
        try:
            sock, _, errors = await asyncio.wait_for(staggered.staggered_race(fns, 0.25), self.connect_timeout)
        except TimeoutError:
            raise ConnectError(f"connecting to {host}:{port} timed out", "timeout") from None
        finally:
            if lookup is not None and not lookup.cancel() and not lookup.cancelled():
                lookup.exception()   # retrieved (a failed lookup is in ``errors`` already)
        if sock is None:
            errors = [e for e in errors if not isinstance(e, _Skipped)]
            dns = next((e for e in errors if isinstance(e, ConnectError)), None)
            if dns is not None and all(isinstance(e, ConnectError) for e in errors[1:]):
                raise dns     # the early attempt failed and the name does not resolve
            last = next((e for e in reversed(errors) if e is not None), None)
            raise ConnectError(f"cannot connect to {host}:{port}: {getattr(last, 'strerror', None) or last}",
                               "refused" if isinstance(last, ConnectionRefusedError) else "failed")
        return await self._wrap(sock, host, tls_host, port)

    async def _wrap(self, sock: socket.socket, host: str, tls_host: str | None,
                    port: int = 0) -> _Conn:
        """A connection over a connected socket, with TLS for tls_host when given (an
        ``ssl.SSLSocket`` is core/preconnect.py's early connection, its handshake done).
        TLS sessions are resumed across the connections to one host and port."""
        loop = asyncio.get_running_loop()
        _no_delay(sock)
        if RAW_SOCKETS:
            conn: _Conn = _SockConn(loop, sock)
        else:
            try:
                _, conn = await asyncio.wait_for(loop.create_connection(
                    lambda: _Conn(loop), sock=sock), self.connect_timeout)
            except TimeoutError:
                sock.close()
                raise ConnectError(f"connecting to {host} timed out", "timeout") from None
        if isinstance(conn, _SockConn) and conn.tls:
            conn.tls_ready()
            conn.tls_key = (tls_host or host, port)
        elif tls_host:
            await self._start_tls(conn, host, tls_host, port, "")
        self.opened += 1
        return conn

    async def _start_tls(self, conn: _Conn, host: str, tls_host: str, port: int, via: str) -> None:
        loop = asyncio.get_running_loop()
        key = (tls_host, port)
        ctx = self._tls()
        try:
            if isinstance(conn, _SockConn):
                held = self._sessions.get(key)
                session = held[1] if held is not None and held[0] is ctx else None
                await asyncio.wait_for(conn.start_tls(ctx, tls_host, session), self.connect_timeout)
            else:
                assert conn.transport is not None
                conn.transport = await asyncio.wait_for(loop.start_tls(
                    conn.transport, conn, ctx, server_hostname=tls_host), self.connect_timeout)
        except TimeoutError:
            conn.close()
            raise ConnectError(f"TLS with {host}{via} timed out", "timeout") from None
        except OSError as e:  # ssl.SSLError is one: CERTIFICATE_VERIFY_FAILED, ...
            conn.close()
            cause = "certificate" if isinstance(e, ssl.SSLCertVerificationError) else "tls"
            if cause == "certificate":
                preconnect.forget_tls_context(ctx)   # the next try reads the CA store again
            raise ConnectError(f"TLS with {host}{via} failed: {e}", cause) from None
        conn.tls_key = key

    def _keep_session(self, conn: _Conn) -> None:
        """Remember a TLS connection's session (after its first answer, when a TLS 1.3
        server has sent its ticket) so the next connection resumes it."""
        key = conn.tls_key
        if key is not None and isinstance(conn, _SockConn):
            session = conn.sock.session
            if session is not None:
                # with its context: a session is offered only in the context that made it
                # (the default one is made anew after a refused certificate)
                self._sessions[key] = (conn.sock.context, session)

    async def _socks(self, proxy: str, host: str, port: int, tls_host: str | None) -> _Conn:
        """A connection to host:port through a SOCKS4/5 proxy (python-socks does the
        handshake; ``socks5h://`` and ``socks4a://`` let the proxy resolve the name)."""
        from python_socks import ProxyConnectionError, ProxyError, ProxyTimeoutError
        from python_socks.async_.asyncio import Proxy
        where = urlsplit(proxy).hostname
        try:
            url, rdns = socks_url(proxy)
            sock = await Proxy.from_url(url, rdns=rdns).connect(host, port, timeout=self.connect_timeout)
        except (ProxyError, ProxyConnectionError, ProxyTimeoutError, OSError) as e:
            raise ConnectError(f"SOCKS proxy {where}: {e}") from None
        except ValueError as e:   # a proxy URL python-socks cannot read
            raise ConnectError(f"SOCKS proxy {proxy.split('@')[-1]!r}: {e}") from None
        sock.setblocking(False)
        return await self._wrap(sock, host, tls_host, port)

    def _tls(self):
        """The context given to this client, else the process's default one, asked for
        each time (it is made anew after a refused certificate)."""
        return self._ssl if self._ssl is not None else _tls_context()

    async def _tunnel(self, p, host: str, port: int) -> _Conn:
        """A TLS connection to host:port through the HTTP proxy ``p`` (CONNECT)."""
        conn = await self._open(p.hostname or "", p.port or 80, None)
        lines = [f"CONNECT {_authority(host, port)} HTTP/1.1", f"Host: {_authority(host, port)}"]
        if p.username:
            lines.append(f"Proxy-Authorization: {_basic_auth(p)}")
        conn.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        resp = Response(self, (), conn, "CONNECT", p.geturl(), self.connect_timeout)
        try:
            await resp._read_head()
        except ClientError as e:
            conn.close()
            raise ConnectError(f"proxy {p.hostname}: {e}") from None
        if resp.status != 200:
            conn.close()
            raise ConnectError(f"proxy {p.hostname} refused the tunnel: HTTP {resp.status} {resp.reason}")
        await self._start_tls(conn, host, host, port, " through the proxy")
        return conn

    # -- requests
    def _endpoint(self, url: str) -> tuple[SplitResult, tuple]:
        """``url`` split, and the key of its connections in the pool (scheme, host, port,
        proxy); a ClientError for a URL no request can go to."""
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https"):
            raise ClientError(f"unsupported URL scheme {parts.scheme!r}")
        host = parts.hostname
        if not host:
            raise ClientError(f"no host in URL {url!r}")
        try:
            port = parts.port or (443 if scheme == "https" else 80)
        except ValueError:
            raise ClientError(f"bad port in URL {url!r}") from None
        return parts, (scheme, host.lower(), port, self._proxy_for(scheme, host))

    async def request(self, method: str, url: str, *, headers: dict[str, str] | None = None,
                      read_timeout: float | None = None, warm: int = 0) -> Response:
        """Send one request (no redirects followed); the answer's head has been read.
        ``warm``: this many more requests to the host will follow the answer; when the
        connection takes longer than WARM_CONNECTING to open or the answer longer than
        WARM_AFTER to come (a far host), connections for them are opened meanwhile (direct
        connections only: never through a proxy)."""
        parts, key = self._endpoint(url)
        scheme, _, port, proxy = key
        host = parts.hostname or ""
        target = _target(parts)
        http_proxy = proxy if proxy and not _is_socks(proxy) and scheme == "http" else None
        if http_proxy:  # a plain HTTP proxy gets the whole URL
            target = f"http://{_authority(host, port, 80)}{target}"
        head = self._head(method, target, host, port, scheme, parts, headers or {}, url, http_proxy)
        timer = first = None
        if warm > 0 and proxy is None:
            loop = asyncio.get_running_loop()
            first = loop.create_future()    # this request's connection is open (TLS done)
            ahead = (key, host, port, host if scheme == "https" else None, warm, first)
            timer = loop.call_later(WARM_CONNECTING, self._warm, *ahead)
        try:
            for attempt in (0, 1):
                conn = self._take(key)
                if conn is None:
                    conn = await self._claim_warm(key)
                reused = conn is not None
                if conn is None:
                    conn = await self._connect(scheme, host, port, proxy)
                    self._keep_session(conn)    # a TLS 1.2 session resumes at once
                conn.warm = False
                if first is not None and not first.done():
                    first.set_result(None)
                if timer is not None:   # connected: from now on the answer's wait tells
                    timer.cancel()
                    timer = loop.call_later(WARM_AFTER, self._warm, *ahead)
                resp = Response(self, key, conn, method, url, read_timeout)
                resp.reused = reused
                try:
                    conn.write(head)
                    await resp._read_head()
                    if not reused:
                        self._keep_session(conn)
                    return resp
                except ServerDisconnected:
                    conn.close()
                    if reused and attempt == 0:
                        continue  # the server had closed the idle connection: a new one
                    raise
                except BaseException:
                    conn.close()
                    raise
            raise AssertionError("unreachable")
        finally:
            if timer is not None:
                timer.cancel()
            if first is not None and not first.done():
                first.set_result(None)   # failed: the ones opened ahead go on without a session

    async def _connect(self, scheme: str, host: str, port: int, proxy: str | None) -> _Conn:
        """A new connection for requests to host:port: direct, through a SOCKS proxy,
        a CONNECT tunnel of an HTTP proxy (https), or to the HTTP proxy itself (http)."""
        tls_host = host if scheme == "https" else None
        if not proxy:
            return await self._open(host, port, tls_host)
        if _is_socks(proxy):
            return await self._socks(proxy, host, port, tls_host)
        p = urlsplit(proxy)
        if p.scheme != "http":
            raise ConnectError(f"unsupported proxy {p.scheme}:// (http:// and socks proxies only)")
        if tls_host:
            return await self._tunnel(p, host, port)
        return await self._open(p.hostname or "", p.port or 80, None)

    def _head(self, method: str, target: str, host: str, port: int, scheme: str, parts,
              headers: dict[str, str], url: str, http_proxy: str | None) -> bytes:
        default_port = 443 if scheme == "https" else 80
        out = {"host": ("Host", _authority(host, port, default_port)),
               "user-agent": ("User-Agent", self.user_agent),
               "accept": ("Accept", "*/*")}
        for k, v in headers.items():
            out[k.lower()] = (k, v)
        if parts.username and "authorization" not in out:
            out["authorization"] = ("Authorization", _basic_auth(parts))
        if self.cookies is not None:
            jar = self.cookies(url)
            if jar:
                have = {}
                if "cookie" in out:
                    for item in out["cookie"][1].split(";"):
                        name, _, value = item.strip().partition("=")
                        if name:
                            have[name] = value
                merged = {**jar, **have}
                out["cookie"] = (out.get("cookie", ("Cookie", ""))[0],
                                 "; ".join(f"{k}={v}" for k, v in merged.items()))
        proxy_parts = urlsplit(http_proxy) if http_proxy else None
        if proxy_parts and proxy_parts.username:
            out["proxy-authorization"] = ("Proxy-Authorization", _basic_auth(proxy_parts))
        lines = [f"{method} {target} HTTP/1.1"]
        for name, value in out.values():
            value = str(value)
            if any(c in name + value for c in "\r\n\0") or not name or ":" in name:
                raise ClientError(f"invalid header {name!r}")
            lines.append(f"{name}: {value}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")

    async def get(self, url: str, *, headers: dict[str, str], read_timeout: float | None = None,
                  warm: int = 0) -> tuple[Response, str]:
        """GET following redirects (credentials are dropped when one leaves the host).
        Returns (answer, final URL); the caller releases or closes the answer. ``warm``: as
        for ``request``, for each hop; the connections opened ahead for a host a redirect
        leaves are closed."""
        hdrs = dict(headers)
        for _ in range(MAX_REDIRECTS + 1):
            resp = await self.request("GET", url, headers=hdrs, read_timeout=read_timeout, warm=warm)
            loc = resp.headers.get("Location")
            if resp.status in (301, 302, 303, 307, 308) and loc:
                nxt = urljoin(url, loc)
                if warm:
                    try:
                        if self._endpoint(nxt)[1] != resp._key:
                            self.cool(resp._key)
                    except (ClientError, ValueError):
                        pass
                if len(await resp.read_body(65536)) < 65536 and resp.at_eof():
                    resp.release()
                else:
                    resp.close()
                hdrs = strip_on_redirect(hdrs, url, nxt)
                url = nxt
                continue
            return resp, url
        raise TooManyRedirects(f"more than {MAX_REDIRECTS} redirects")


def socks_url(proxy: str) -> tuple[str, bool]:
    """A SOCKS proxy URL as python-socks reads it, and whether the proxy resolves host
    names (``socks5h://``, ``socks4a://``; with ``socks5://``/``socks4://`` we do)."""
    scheme, sep, rest = proxy.partition("://")
    scheme = scheme.lower()
    rdns = scheme.endswith(("h", "a"))
    return f"{scheme.rstrip('ha')}{sep}{rest}", rdns


def _authority(host: str, port: int, default: int | None = None) -> str:
    try:
        h = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError:   # a label IDNA cannot encode (too long, say)
        raise ClientError(f"{host} is not a valid host name") from None
    if ":" in h:  # IPv6 literal
        h = f"[{h}]"
    return h if port == default else f"{h}:{port}"


def _target(parts) -> str:
    """The request target: path and query, percent-encoded where needed (existing
    %XX escapes are kept)."""
    path = quote(parts.path or "/", safe="/%:@!$&'()*+,;=-._~")
    if parts.query:
        path += "?" + quote(parts.query, safe="/%:@!$&'()*+,;=-._~?")
    return path


def _basic_auth(parts) -> str:
    """Basic credentials from a URL's user:password (percent-decoded)."""
    raw = f"{unquote(parts.username or '')}:{unquote(parts.password or '')}"
    return "Basic " + base64.b64encode(raw.encode()).decode()


def _is_socks(proxy: str) -> bool:
    return urlsplit(proxy).scheme.lower().startswith("socks")
