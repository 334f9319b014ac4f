"""Protections every local HTTP endpoint of Zhilian needs (the share server, the browser
RPC): connection caps and timeouts, constant-time token checks, Host/Origin checks, bounded
JSON bodies and failure counting for passwords.

Connections (:class:`ConnectionGuard`, :class:`GuardedSite`)
    aiohttp 3.14's server has an idle keep-alive timeout (``keepalive_timeout``, armed when a
    connection opens and after each answer) but no limit on how long the header block of a
    request may take, and no cap on connections.  The guard wraps each accepted connection's
    protocol: a connection waiting for a request is closed after ``idle_timeout``; once the
    first byte of a request has arrived its header block must be complete within
    ``header_timeout`` (the rule hyper and Go's ``ReadHeaderTimeout`` use); while a request is
    being answered no timer runs.  At most ``max_per_client`` connections per client address
    (an IPv6 client counts per /64) and ``max_connections`` in total, chosen from the process's
    file-descriptor limit.  When the total is reached a new connection pushes out the
    connection that has waited longest without a request; when none is waiting, and for a
    client over its own cap, the new connection gets ``503`` and is closed before any HTTP
    parsing.

Passwords (:class:`FailureCounter`, :class:`SecretCheckGate`)
    Failed attempts are counted per (client, scope) under one lock, and an attempt reserves
    its place before it is evaluated, so attempts sent in parallel cannot overtake the limit.
    Expensive checks (scrypt) run on a small executor of their own, a few at a time; excess
    attempts are answered "busy" without hashing; identical attempts in flight share one
    check.

Browser requests (:func:`browser_refusal`), tokens (:func:`token_matches`), bodies
(:func:`read_json`)
"""

from __future__ import annotations

import asyncio
import enum
import hashlib
import hmac
import ipaddress
import json
import logging
import threading
import time
from collections import OrderedDict, deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable, Hashable, Iterable, Mapping

from aiohttp import web

log = logging.getLogger(__name__)

# -- defaults (docs/sharing.md "Security" lists them) ---------------------------------------
HEADER_TIMEOUT = 10.0          # seconds from a request's first byte to the end of its headers
IDLE_TIMEOUT = 30.0            # seconds a connection may wait for its next request
MAX_PER_CLIENT = 64            # open connections per client address (aria2c -x16 four times)
FD_RESERVE = 256               # descriptors kept for files, databases, logs, the rest of the app
FDS_PER_CONNECTION = 2         # the socket and the file being sent
MIN_CONNECTIONS = 32
MAX_CONNECTIONS = 8192
NO_FD_LIMIT_CONNECTIONS = 2048     # where the process has no descriptor limit (Windows)
MAX_JSON_BYTES = 64 * 1024     # request bodies of control calls
BODY_TIMEOUT = 10.0            # seconds to receive such a body


# -- connection caps -------------------------------------------------------------------------

def fd_limit() -> int | None:
    """The soft limit on open file descriptors (None: no such limit, e.g. Windows)."""
    try:
        import resource
    except ImportError:
        return None
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    return None if soft == resource.RLIM_INFINITY else int(soft)


def connection_budget(soft_limit: int | None = None) -> int:
    """How many connections a server in this process may hold open: two descriptors each,
    after keeping ``FD_RESERVE`` (at most a quarter of the limit) for everything else."""
    soft = fd_limit() if soft_limit is None else soft_limit
    if soft is None:
        return NO_FD_LIMIT_CONNECTIONS
    reserve = min(FD_RESERVE, soft // 4)
    return max(MIN_CONNECTIONS, min(MAX_CONNECTIONS, (soft - reserve) // FDS_PER_CONNECTION))


def client_key(address: str | None) -> str:
    """The unit a per-client cap counts: the IPv4 address, or the /64 of an IPv6 one (one
    machine usually owns a whole /64)."""
    if not address:
        return "?"
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


@dataclass(frozen=True)
class GuardLimits:
    header_timeout: float = HEADER_TIMEOUT
    idle_timeout: float = IDLE_TIMEOUT
    max_connections: int = 0               # 0: from the descriptor limit (connection_budget)
    max_per_client: int = MAX_PER_CLIENT

    def total(self) -> int:
        return self.max_connections or connection_budget()


_REFUSAL_TEXT = b"Too many connections; try again later\n"
REFUSAL = (b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"
           b"Content-Length: " + str(len(_REFUSAL_TEXT)).encode() + b"\r\nRetry-After: 10\r\n"
           b"Connection: close\r\n\r\n" + _REFUSAL_TEXT)

_WAITING, _HEAD, _BUSY = "waiting", "head", "busy"


class _GuardedProtocol(asyncio.Protocol):
    """Sits between the transport and aiohttp's protocol: passes everything through and
    tells the guard what the connection is doing."""

    def __init__(self, guard: ConnectionGuard, inner_factory: Callable[[], asyncio.BaseProtocol]):
        self.guard = guard
        self._factory = inner_factory
        self.inner: Any = None
        self.transport: asyncio.Transport | None = None
        self.client = "?"
        self.state = _WAITING
        self.timer: asyncio.TimerHandle | None = None
        self.requests = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        peer = transport.get_extra_info("peername")
        self.client = client_key(peer[0] if isinstance(peer, tuple) and peer else None)
        if not self.guard._admit(self):
            try:
                transport.write(REFUSAL)
            finally:
                transport.close()
            return
        self.inner = self._factory()
        self.inner.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        if self.inner is None:
            return
        if self.state == _WAITING:
            self.guard._enter(self, _HEAD)
        self.inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self.inner.eof_received() if self.inner is not None else None

    def connection_lost(self, exc: Exception | None) -> None:
        self.guard._release(self)
        if self.inner is not None:
            self.inner.connection_lost(exc)
            self.inner = None

    def pause_writing(self) -> None:
        if self.inner is not None:
            self.inner.pause_writing()

    def resume_writing(self) -> None:
        if self.inner is not None:
            self.inner.resume_writing()


class ConnectionGuard:
    """Caps and timeouts for the connections of one listening server.

    Wire it into an aiohttp app with ``web.Application(middlewares=[guard.middleware, ...])``
    and listen through :class:`GuardedSite`.  Runs on the server's event loop only."""

    def __init__(self, limits: GuardLimits | None = None, name: str = "server"):
        self.limits = limits or GuardLimits()
        self.name = name
        self.max_connections = self.limits.total()
        self._open: dict[asyncio.BaseTransport, _GuardedProtocol] = {}
        self._waiting: OrderedDict[_GuardedProtocol, None] = OrderedDict()   # oldest first
        self._per_client: dict[str, int] = {}
        self.refused = 0
        self.evicted = 0
        self.timed_out = 0
        self._last_warning = 0.0

    # -- aiohttp wiring --
    def wrap(self, factory: Callable[[], asyncio.BaseProtocol]) -> Callable[[], asyncio.Protocol]:
        return lambda: _GuardedProtocol(self, factory)

    @web.middleware
    async def middleware(self, request: web.Request, handler):
        conn = self._open.get(request.transport) if request.transport is not None else None
        if conn is None:                     # an app served without the guard (tests)
            return await handler(request)
        self._enter(conn, _BUSY)
        try:
            return await handler(request)
        finally:
            if conn.inner is not None:
                self._enter(conn, _WAITING)

    def stats(self) -> dict[str, int]:
        return {"open": len(self._open), "max": self.max_connections,
                "max_per_client": self.limits.max_per_client, "refused": self.refused,
                "evicted": self.evicted, "timed_out": self.timed_out}

    def close_all(self) -> None:
        for conn in list(self._open.values()):
            if conn.transport is not None:
                conn.transport.close()

    # -- bookkeeping --
    def _admit(self, conn: _GuardedProtocol) -> bool:
        if self._per_client.get(conn.client, 0) >= self.limits.max_per_client:
            self._refuse(f"client {conn.client} already has {self.limits.max_per_client} connections")
            return False
        if len(self._open) >= self.max_connections:
            victim = next(iter(self._waiting), None)
            if victim is None:
                self._refuse(f"{self.max_connections} connections are open and all are busy")
                return False
            self.evicted += 1
            self._drop(victim)
        assert conn.transport is not None
        self._open[conn.transport] = conn
        self._per_client[conn.client] = self._per_client.get(conn.client, 0) + 1
        self._enter(conn, _WAITING)
        return True

    def _refuse(self, why: str) -> None:
        self.refused += 1
        now = time.monotonic()
        if now - self._last_warning > 60:
            self._last_warning = now
            log.warning("%s: refusing connections: %s (%d refused so far)", self.name, why,
                        self.refused)

    def _enter(self, conn: _GuardedProtocol, state: str) -> None:
        if conn.timer is not None:
            conn.timer.cancel()
            conn.timer = None
        conn.state = state
        self._waiting.pop(conn, None)
        if state == _BUSY:
            conn.requests += 1
            return
        self._waiting[conn] = None
        loop = asyncio.get_running_loop()
        delay = self.limits.idle_timeout if state == _WAITING else self.limits.header_timeout
        conn.timer = loop.call_later(delay, self._expire, conn, state)

    def _expire(self, conn: _GuardedProtocol, state: str) -> None:
        conn.timer = None
        if conn.state == state and conn.transport is not None and conn.inner is not None:
            self.timed_out += 1
            self._drop(conn)

    def _drop(self, conn: _GuardedProtocol) -> None:
        self._waiting.pop(conn, None)
        if conn.transport is not None:
            conn.transport.close()

    def _release(self, conn: _GuardedProtocol) -> None:
        if conn.timer is not None:
            conn.timer.cancel()
            conn.timer = None
        self._waiting.pop(conn, None)
        if conn.transport is not None and self._open.pop(conn.transport, None) is not None:
            n = self._per_client.get(conn.client, 1) - 1
            if n > 0:
                self._per_client[conn.client] = n
            else:
                self._per_client.pop(conn.client, None)


class GuardedSite(web.BaseSite):
    """A TCP site whose connections pass through a :class:`ConnectionGuard`."""

    def __init__(self, runner: web.BaseRunner, host: str, port: int, guard: ConnectionGuard,
                 *, backlog: int = 512, reuse_address: bool | None = True):
        super().__init__(runner, backlog=backlog)
        self._host, self._port = host, port
        self._guard = guard
        self._reuse_address = reuse_address

    @property
    def name(self) -> str:
        return f"http://{self._host}:{self.port}"

    @property
    def port(self) -> int:
        if self._server is not None and self._server.sockets:
            return int(self._server.sockets[0].getsockname()[1])
        return self._port

    async def start(self) -> None:
        await super().start()
        server = self._runner.server
        assert server is not None
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(self._guard.wrap(server), self._host, self._port,
                                                backlog=self._backlog,
                                                reuse_address=self._reuse_address)

    async def stop(self) -> None:
        await super().stop()
        self._guard.close_all()


# -- password attempts ------------------------------------------------------------------------

class FailureCounter:
    """Failed attempts per key within a sliding window, safe to use from any thread.

    ``begin(key)`` reserves an attempt (False when the failures so far plus the attempts
    being evaluated reach the limit); ``end(key, failed)`` settles it.  Keys are forgotten
    once their failures leave the window; at most ``max_keys`` are kept (oldest dropped)."""

    def __init__(self, limit: int = 10, window: float = 600.0,
                 clock: Callable[[], float] = time.monotonic, max_keys: int = 100_000):
        self.limit = limit
        self.window = window
        self.clock = clock
        self.max_keys = max_keys
        self._lock = threading.Lock()
        self._fails: OrderedDict[Hashable, deque[float]] = OrderedDict()
        self._pending: dict[Hashable, int] = {}

    def _recent(self, key: Hashable, now: float) -> deque[float]:
        fails = self._fails.get(key)
        if fails is None:
            return deque()
        while fails and now - fails[0] >= self.window:
            fails.popleft()
        if not fails:
            del self._fails[key]
        return fails

    def begin(self, key: Hashable) -> bool:
        with self._lock:
            used = len(self._recent(key, self.clock())) + self._pending.get(key, 0)
            if used >= self.limit:
                return False
            self._pending[key] = self._pending.get(key, 0) + 1
            return True

    def end(self, key: Hashable, failed: bool) -> None:
        with self._lock:
            n = self._pending.get(key, 0) - 1
            if n > 0:
                self._pending[key] = n
            else:
                self._pending.pop(key, None)
            if failed:
                now = self.clock()
                self._recent(key, now)
                fails = self._fails.setdefault(key, deque())
                fails.append(now)
                self._fails.move_to_end(key)
                while len(self._fails) > self.max_keys:
                    self._fails.popitem(last=False)

    def blocked(self, key: Hashable) -> bool:
        """The key's failures alone have reached the limit."""
        with self._lock:
            return len(self._recent(key, self.clock())) >= self.limit

    def failures(self, key: Hashable) -> int:
        with self._lock:
            return len(self._recent(key, self.clock()))

    def retry_after(self, key: Hashable) -> float:
        """Seconds until the key may try again (0 when it may now)."""
        with self._lock:
            now = self.clock()
            fails = self._recent(key, now)
            if len(fails) + self._pending.get(key, 0) < self.limit or not fails:
                return 0.0
            return max(0.0, self.window - (now - fails[0]))


class Verdict(enum.Enum):
    OK = "ok"
    WRONG = "wrong"
    TOO_MANY = "too many"       # the client's failures reached the limit
    BUSY = "busy"               # too many checks running; not evaluated


class SecretCheckGate:
    """Runs expensive secret checks (scrypt) for a server: failures counted per (client,
    scope) by a :class:`FailureCounter`, at most ``max_running`` checks at once (and
    ``max_per_client`` for one client) on an executor of ``workers`` threads of its own,
    identical attempts in flight sharing one check, successes remembered in memory.
    Use it from one event loop."""

    def __init__(self, failures: FailureCounter, max_running: int = 4, max_per_client: int = 2,
                 workers: int = 2, remember: int = 10_000):
        self.failures = failures
        self.max_running = max_running
        self.max_per_client = max_per_client
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="secret-check")
        self._running: dict[Hashable, asyncio.Future] = {}
        self._per_client: dict[str, int] = {}
        self._ok: OrderedDict[Hashable, None] = OrderedDict()
        self._remember = remember
        self.checks = 0             # expensive checks started (for status and tests)

    async def check(self, client: str, scope: str, attempt: str,
                    verify: Callable[[], bool]) -> Verdict:
        """``attempt`` names the attempt (a digest binding the stored hash and the given
        secret); ``verify`` computes the answer (runs on the gate's own threads).

        A client at its failure limit gets TOO_MANY whatever it sends (so a remembered
        right answer is no oracle).  An attempt identical to one in flight waits for that
        check and is not counted again: it is the same guess (16 connections of one
        download sending the same password cost one check and at most one failure)."""
        key = (client, scope)
        if self.failures.blocked(key):
            return Verdict.TOO_MANY
        memo = (scope, attempt)
        if memo in self._ok:
            self._ok.move_to_end(memo)
            return Verdict.OK
        fut = self._running.get(memo)
        if fut is not None:
            try:
                return Verdict.OK if await asyncio.shield(fut) else Verdict.WRONG
            except asyncio.CancelledError:
                raise
            except Exception:
                return Verdict.WRONG
        if not self.failures.begin(key):             # reserve its place before hashing
            return Verdict.TOO_MANY
        if (len(self._running) >= self.max_running
                or self._per_client.get(client, 0) >= self.max_per_client):
            self.failures.end(key, failed=False)
            return Verdict.BUSY
        fut = self._start(memo, client, verify)
        try:
            ok = await asyncio.shield(fut)
        except asyncio.CancelledError:
            # the client left: its attempt still counts once the check is done
            fut.add_done_callback(lambda f: self.failures.end(
                key, failed=f.cancelled() or f.exception() is not None or not f.result()))
            raise
        except Exception:
            log.exception("secret check failed")
            ok = False
        self.failures.end(key, failed=not ok)
        return Verdict.OK if ok else Verdict.WRONG

    def _start(self, memo: Hashable, client: str, verify: Callable[[], bool]) -> asyncio.Future:
        loop = asyncio.get_running_loop()
        fut = loop.run_in_executor(self._pool, verify)
        self.checks += 1
        self._running[memo] = fut
        self._per_client[client] = self._per_client.get(client, 0) + 1

        def done(f: asyncio.Future) -> None:
            self._running.pop(memo, None)
            n = self._per_client.get(client, 1) - 1
            if n > 0:
                self._per_client[client] = n
            else:
                self._per_client.pop(client, None)
            if not f.cancelled() and f.exception() is None and f.result():
                self._ok[memo] = None
                while len(self._ok) > self._remember:
                    self._ok.popitem(last=False)
        fut.add_done_callback(done)
        return fut

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


# -- tokens, Host and Origin ---------------------------------------------------------------------

def token_matches(given: str | bytes | None, expected: str | bytes) -> bool:
    """Constant-time comparison that leaks neither the content nor the length."""
    if not given or not expected:
        return False
    g = given.encode() if isinstance(given, str) else given
    e = expected.encode() if isinstance(expected, str) else expected
    return hmac.compare_digest(hashlib.sha256(g).digest(), hashlib.sha256(e).digest())


def loopback_hosts(port: int) -> set[str]:
    return {f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}"}


def browser_refusal(headers: Mapping[str, str], allowed_hosts: Iterable[str],
                    extra_origins: Iterable[str] = ()) -> str | None:
    """Why a request may not use a control endpoint, else None.

    - ``Host`` must name this server (``allowed_hosts``, ``host:port`` forms): a page on
      another name that resolves to this machine (DNS rebinding) is refused;
    - an ``Origin`` must be this server (``http://`` + an allowed host) or one of
      ``extra_origins`` (e.g. a browser extension the user allowed): other web pages are
      refused;
    - a browser's ``Sec-Fetch-Site`` other than ``same-origin``/``none`` is refused unless
      the Origin is one of ``extra_origins``."""
    hosts = {h.lower() for h in allowed_hosts}
    if headers.get("Host", "").lower() not in hosts:
        return "unexpected Host header"
    extra = {o.lower().rstrip("/") for o in extra_origins}
    origin = headers.get("Origin")
    if origin is not None:
        o = origin.lower().rstrip("/")
        if o in extra:
            return None
        if o.removeprefix("http://") not in hosts or not o.startswith("http://"):
            return "cross-origin request"
    if headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none"):
        return "cross-site request"
    return None


# -- JSON bodies ------------------------------------------------------------------------------------

class BadRequest(Exception):
    """A request refused before it reached its handler's logic: ``status`` and one line."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def _finite(text: str) -> float:
    v = float(text)
    if v != v or v in (float("inf"), float("-inf")):
        raise ValueError(f"number out of range: {text[:40]}")
    return v


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def parse_json(raw: bytes) -> Any:
    """Strict JSON: UTF-8, no NaN/Infinity, no number too big for a float, bounded depth."""
    try:
        text = raw.decode("utf-8")
        return json.loads(text, parse_float=_finite, parse_constant=_no_constants)
    except UnicodeDecodeError:
        raise BadRequest(400, "bad request: the body is not UTF-8") from None
    except RecursionError:
        raise BadRequest(400, "bad request: JSON nested too deeply") from None
    except ValueError as e:          # JSONDecodeError, huge integers, the checks above
        raise BadRequest(400, f"bad request: not valid JSON ({str(e)[:120]})") from None


async def read_json(request: web.Request, max_bytes: int = MAX_JSON_BYTES,
                    timeout: float = BODY_TIMEOUT) -> Any:
    """The request's JSON body: ``415`` unless it is sent as JSON, ``413`` above
    ``max_bytes``, ``408`` when it does not arrive within ``timeout`` seconds, ``400`` when
    it is not strict JSON (:func:`parse_json`)."""
    if request.content_type != "application/json":
        raise BadRequest(415, "send JSON (Content-Type: application/json)")
    if request.content_length is not None and request.content_length > max_bytes:
        raise BadRequest(413, f"request body larger than {max_bytes} bytes")
    buf = bytearray()

    async def collect() -> None:
        while True:
            chunk = await request.content.read(65536)
            if not chunk:
                return
            buf.extend(chunk)
            if len(buf) > max_bytes:
                raise BadRequest(413, f"request body larger than {max_bytes} bytes")
    try:
        await asyncio.wait_for(collect(), timeout)
    except TimeoutError:
        raise BadRequest(408, f"request body not received within {timeout:g} s") from None
    return parse_json(bytes(buf))


__all__ = ["ConnectionGuard", "GuardLimits", "GuardedSite", "FailureCounter", "SecretCheckGate",
           "Verdict", "BadRequest", "token_matches", "browser_refusal", "loopback_hosts",
           "read_json", "parse_json", "connection_budget", "fd_limit", "client_key",
           "HEADER_TIMEOUT", "IDLE_TIMEOUT", "MAX_PER_CLIENT", "MAX_JSON_BYTES", "BODY_TIMEOUT"]
