"""The share server: aiohttp, signed links, Range, bandwidth caps, control API.

Only one kind of URL reaches a file: ``/s/<id>/<name>?e=..&sig=..``.  The file on
disk is never derived from the URL: the id picks a row in the share store and
that row names the file, so there is nothing to traverse and nothing to list.
Unthrottled answers go out with ``loop.sendfile`` (zero copy, full speed);
when a per-share or global cap applies the file is streamed in chunks through
token buckets.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import logging
import os
import socket
import stat
import threading
import time
from dataclasses import dataclass
from email.utils import formatdate
from typing import Any, Callable
from urllib.parse import quote

from aiohttp import web

from .. import netguard
from ..netguard import BadRequest, Verdict
from ..ratelimit import TokenBucket, throttle
from . import limits, signing
from .access_log import AccessLog
from .config import ServerConfig, clear_runtime, link_base, write_runtime
from .httprange import UNSATISFIABLE, if_range_allows, parse_range
from .passwords import verify_password
from .secret import get_secret
from .store import Share, ShareError, ShareStore, file_identity

log = logging.getLogger(__name__)

CHUNK = 256 * 1024
MAX_FAILURES = 10            # wrong passwords per client and share ...
FAILURE_WINDOW = 600.0       # ... within this many seconds -> 429
PASSWORD_CHECKS = 4          # scrypt checks running at once (more -> 429 without hashing) ...
PASSWORD_CHECKS_PER_CLIENT = 2   # ... of them for one client address
PASSWORD_WORKERS = 2         # threads that compute them (not the pool serving store lookups)


@dataclass
class _Served:
    status: int
    nbytes: int = 0
    reason: str = ""
    rng: str = ""
    started: bool = False           # a GET from byte 0 (not a 1-byte probe): one download begun


def _read_at(fobj, pos: int, n: int) -> bytes:
    """Read n bytes at pos (each answer has its own file object, so seek+read is safe)."""
    fobj.seek(pos)
    return fobj.read(n)


class ShareServer:
    """``await srv.start()`` then links work until ``await srv.stop()``."""

    def __init__(self, store: ShareStore | None = None, config: ServerConfig | None = None,
                 access_log: AccessLog | None = None,
                 clock: Callable[[], float] = time.time, watch: bool = True,
                 write_runtime_file: bool = True):
        from .config import load_config
        self.store = store or ShareStore()
        self.config = config or load_config()
        self.access_log = access_log or AccessLog()
        self.clock = clock
        self.port = 0
        self._global = TokenBucket(self.config.global_limit_bps)
        self._buckets: dict[str, TokenBucket] = {}
        self.failures = netguard.FailureCounter(MAX_FAILURES, FAILURE_WINDOW, clock=clock)
        self.passwords: netguard.SecretCheckGate | None = None
        self.guard = netguard.ConnectionGuard(self.config.guard_limits(), name="share server")
        self._runner: web.AppRunner | None = None
        self._link_base = ""
        self._tasks: list[asyncio.Task] = []
        self._watch = watch
        self._write_runtime = write_runtime_file
        self.active_connections = 0

    # -- lifecycle --
    def make_app(self) -> web.Application:
        app = web.Application(middlewares=[self.guard.middleware, self._headers_mw],
                              client_max_size=netguard.MAX_JSON_BYTES)
        app.router.add_get("/s/{sid}/{name}", self._serve_file)
        app.router.add_get("/api/status", self._api_status)
        app.router.add_get("/api/shares", self._api_list)
        app.router.add_post("/api/shares", self._api_create)
        app.router.add_delete("/api/shares/{sid}", self._api_revoke)
        return app

    async def start(self, port: int | None = None) -> int:
        key = get_secret(self.store.secret_id())      # NoKeyring surfaces here, before binding
        del key
        self.passwords = netguard.SecretCheckGate(self.failures, PASSWORD_CHECKS,
                                                  PASSWORD_CHECKS_PER_CLIENT, PASSWORD_WORKERS)
        self._runner = web.AppRunner(self.make_app(), access_log=None, handle_signals=False,
                                     keepalive_timeout=self.config.idle_timeout)
        await self._runner.setup()
        want = self.config.port if port is None else port
        site = netguard.GuardedSite(self._runner, self.config.bind_host, want, self.guard)
        try:
            await site.start()
        except OSError as e:
            await self._runner.cleanup()
            self._runner = None
            self.passwords.close()
            from ..errors import ErrorKind, ZhilianError, os_reason
            raise ZhilianError(f"Cannot listen on {self.config.bind_host}:{want}: {e.strerror or e}; "
                               "choose another port with --port", kind=ErrorKind.SHARE_CANNOT_LISTEN,
                               params={"address": f"{self.config.bind_host}:{want}", **os_reason(e)}) from e
        self.port = site.port
        self._link_base = link_base(self.config, self.port)
        if self._write_runtime:
            write_runtime(self.port, self.config.lan, self.link_base())
        if self._watch:
            self._tasks.append(asyncio.create_task(self._watch_loop()))
        return self.port

    async def stop(self) -> None:
        for t in self._tasks:
            t.cancel()
        for t in self._tasks:
            try:
                await t
            except (asyncio.CancelledError, Exception):
                pass
        self._tasks.clear()
        if self._runner:
            await self._runner.cleanup()
            self._runner = None
        if self.passwords is not None:
            self.passwords.close()
        if self._write_runtime and self.port:
            clear_runtime(self.port)

    def link_base(self) -> str:
        """``http://host:port`` that links use (LAN address when the user opted in)."""
        return self._link_base or link_base(self.config, self.port)

    def bound_address(self) -> tuple[str, int] | None:
        if self._runner is None:
            return None
        for site in self._runner.sites:
            srv = getattr(site, "_server", None)
            if srv and srv.sockets:
                addr = srv.sockets[0].getsockname()
                return str(addr[0]), int(addr[1])
        return None

    def set_global_limit(self, bps: float) -> None:
        self.config.global_limit_bps = int(bps)
        self._global.set_rate(bps)

    def key(self) -> bytes:
        return get_secret(self.store.secret_id())

    def url_for(self, share: Share) -> str:
        return signing.build_url(self.link_base(), self.key(), share.id, share.name, share.expires)

    # -- watched folders --
    async def _watch_loop(self) -> None:
        from .watch import apply_retention_all, scan_all
        last_retention = 0.0
        while True:
            try:
                new = await asyncio.to_thread(scan_all, self.store)
                for s in new:
                    log.info("watched folder: new share %s for %s", s.id, s.name)
                if self.clock() - last_retention >= self.config.retention_every_hours * 3600:
                    last_retention = self.clock()
                    reports = await asyncio.to_thread(apply_retention_all, self.store)
                    for r in reports:
                        if r.files:
                            log.info("%s", r.summary())
            except Exception:  # a broken folder must not stop the server
                log.exception("watched folder scan failed")
            await asyncio.sleep(self.config.poll_seconds)

    # -- middleware --
    @web.middleware
    async def _headers_mw(self, request: web.Request, handler):
        try:
            resp = await handler(request)
        except web.HTTPException as e:
            resp = e
        except BadRequest as e:
            resp = self._deny(request, e.status, e.message)
        except (asyncio.CancelledError, ConnectionError):
            raise
        except Exception as e:     # a bug: one line in the log, one line to the client
            log.error("share server: %s %s failed: %s: %s", request.method, request.path,
                      type(e).__name__, e)
            log.debug("details", exc_info=True)
            resp = self._deny(request, 500, "Internal error")
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("Referrer-Policy", "no-referrer")
        resp.headers.setdefault("Cache-Control", "private, no-store")
        resp.headers.setdefault("Server", "Zhilian")
        if isinstance(resp, web.HTTPException):
            raise resp
        return resp

    # -- file answers --
    def _client(self, request: web.Request) -> str:
        peer = request.transport.get_extra_info("peername") if request.transport else None
        return str(peer[0]) if peer else "?"

    def _counted_as(self, request: web.Request) -> str:
        """Whom failures are counted for: the address (an IPv6 client per /64)."""
        return netguard.client_key(self._client(request))

    def _deny(self, request: web.Request, status: int, reason: str, share_id: str = "",
              name: str = "", headers: dict | None = None) -> web.Response:
        self.access_log.write(client=self._client(request), share=share_id, name=name, status=status,
                              nbytes=0, rng=request.headers.get("Range", ""), reason=reason,
                              agent=request.headers.get("User-Agent", ""), method=request.method)
        return web.Response(status=status, text=reason + "\n", headers=headers)

    async def _password_check(self, request: web.Request, share: Share) -> Verdict | None:
        """None when the request carries no usable password, else the gate's verdict."""
        auth = request.headers.get("Authorization", "")
        if not auth.lower().startswith("basic "):
            return None
        try:
            _user, _, password = base64.b64decode(auth[6:].strip(), validate=True).decode(
                "utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return None
        if len(password) > limits.MAX_PASSWORD_CHARS:
            password = password[:limits.MAX_PASSWORD_CHARS + 1]   # wrong anyway; bounded work
        assert self.passwords is not None and share.pw_hash
        pw_hash = share.pw_hash
        # one attempt = this password against this stored hash; good ones are remembered
        # (as a digest, in memory) so 16 connections cost one scrypt
        attempt = hashlib.sha256(f"{pw_hash}\0{password}".encode()).hexdigest()
        return await self.passwords.check(self._counted_as(request), share.id, attempt,
                                          lambda: verify_password(password, pw_hash))

    def _password_denial(self, request: web.Request, share: Share,
                         verdict: Verdict | None) -> web.Response:
        sid, name = share.id, share.name
        if verdict is Verdict.TOO_MANY:
            wait = self.failures.retry_after((self._counted_as(request), sid))
            return self._deny(request, 429, "Too many wrong passwords; try again later", sid, name,
                              {"Retry-After": str(max(1, int(wait) + 1))})
        if verdict is Verdict.BUSY:
            return self._deny(request, 429, "Busy checking passwords; try again in a moment",
                              sid, name, {"Retry-After": "1"})
        return self._deny(request, 401, "Password required" if verdict is None else "Wrong password",
                          sid, name,
                          {"WWW-Authenticate": 'Basic realm="Zhilian share", charset="UTF-8"'})

    def _file_allowed(self, share: Share) -> str | None:
        """None when the share's file may be sent, else why not."""
        real_now = os.path.realpath(share.path)
        if real_now != share.real:
            return "the shared path now points somewhere else"
        if share.watch_id:
            w = self.store.get_watch(share.watch_id)
            if w is None:
                return "the watched folder was removed"
            root = os.path.realpath(w.folder)
            if os.path.commonpath([root, real_now]) != root:
                return "the file is a link out of the watched folder"
        return None

    async def _serve_file(self, request: web.Request) -> web.StreamResponse:
        sid = request.match_info["sid"]
        name = request.match_info["name"]
        try:
            expires = int(request.query.get("e", ""))
            sig = request.query["sig"]
        except (ValueError, KeyError):
            return self._deny(request, 403, "Forbidden: not a signed share link", sid)
        try:
            key = self.key()
        except Exception as e:
            log.error("share key unavailable: %s", e)
            return self._deny(request, 503, "Sharing is unavailable: the link key cannot be read", sid)
        if not signing.verify(key, sid, name, expires, sig):
            return self._deny(request, 403, "Forbidden: bad link signature", sid)
        share = await asyncio.to_thread(self.store.get, sid)
        if share is None or share.name != name:
            return self._deny(request, 404, "Not found: this share no longer exists", sid)
        if share.revoked:
            return self._deny(request, 410, "Gone: this link was revoked", sid, name)
        if expires != share.expires:
            return self._deny(request, 403, "Forbidden: link does not match the share", sid, name)
        if expires and self.clock() >= expires:
            return self._deny(request, 410, "Gone: this link has expired", sid, name)
        if share.pw_hash:
            verdict = await self._password_check(request, share)
            if verdict is not Verdict.OK:
                return self._password_denial(request, share, verdict)
        bad = self._file_allowed(share)
        if bad:
            return self._deny(request, 403, f"Forbidden: {bad}", sid, name)
        try:
            fd = os.open(share.real, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0))
        except FileNotFoundError:
            return self._deny(request, 404, "Not found: the shared file was moved or deleted", sid, name)
        except OSError as e:
            return self._deny(request, 403, f"Forbidden: cannot open the file ({e.strerror})", sid, name)
        fobj = os.fdopen(fd, "rb", buffering=0)
        try:
            st = os.fstat(fobj.fileno())
            if not stat.S_ISREG(st.st_mode):
                return self._deny(request, 403, "Forbidden: not a regular file", sid, name)
            if share.ino is None:             # shared by an older version: remember it now
                await asyncio.to_thread(self.store.pin_identity, share.id, st)
            elif file_identity(st) != (share.dev, share.ino):
                return self._deny(request, 403, "Forbidden: the shared file was replaced; "
                                  "share it again", sid, name)
            return await self._send(request, share, fobj, st)
        finally:
            fobj.close()

    async def _send(self, request: web.Request, share: Share, fobj,
                    st: os.stat_result) -> web.StreamResponse:
        size = st.st_size
        etag = f'"{st.st_mtime_ns:x}-{size:x}"'
        headers = {
            "Accept-Ranges": "bytes",
            "ETag": etag,
            "Last-Modified": formatdate(st.st_mtime, usegmt=True),
            "Content-Type": "application/octet-stream",
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(share.name, safe='')}",
            "Content-Security-Policy": "sandbox",
        }
        rng_header = request.headers.get("Range")
        rng = parse_range(rng_header, size) if if_range_allows(request.headers.get("If-Range"), etag,
                                                                st.st_mtime) else None
        if rng == UNSATISFIABLE:
            headers["Content-Range"] = f"bytes */{size}"
            return self._deny(request, 416, "Range not satisfiable", share.id, share.name, headers)
        if rng is None:
            start, count, status = 0, size, 200
        else:
            assert isinstance(rng, tuple)
            start, end = rng
            count, status = end - start + 1, 206
            headers["Content-Range"] = f"bytes {start}-{end}/{size}"
        resp = web.StreamResponse(status=status, headers=headers)
        resp.content_length = count
        bucket = self._bucket(share)
        throttled = bucket.rate > 0 or self._global.rate > 0
        served = _Served(status, 0, "", rng_header or "",
                         started=request.method == "GET" and start == 0 and count > 1)
        self.active_connections += 1
        try:
            await resp.prepare(request)
            if request.method == "HEAD" or count == 0:
                await resp.write_eof()
                return resp
            if throttled:
                await self._send_throttled(resp, fobj, start, count, bucket, served)
            else:
                await self._sendfile(request, resp, fobj, start, count, served)
            await resp.write_eof()

        except asyncio.CancelledError:
            served.reason = "client went away"
            self._log_served(request, share, served)
            raise
        except ConnectionError:
            served.reason = "client went away"
        except OSError as e:
            served.reason = f"read error: {e.strerror or e}"
        finally:
            self.active_connections -= 1
        self._log_served(request, share, served)
        return resp

    def _log_served(self, request: web.Request, share: Share, served: _Served) -> None:
        self.access_log.write(client=self._client(request), share=share.id, name=share.name,
                              status=served.status, nbytes=served.nbytes, rng=served.rng,
                              reason=served.reason, agent=request.headers.get("User-Agent", ""),
                              method=request.method)
        try:
            self.store.record_access(share.id, served.nbytes, served.started)
        except Exception:  # statistics only
            log.debug("could not record access", exc_info=True)

    def _bucket(self, share: Share) -> TokenBucket:
        b = self._buckets.get(share.id)
        if b is None:
            b = self._buckets[share.id] = TokenBucket(share.limit_bps)
        elif b.rate != share.limit_bps:
            b.set_rate(share.limit_bps)
        return b

    async def _sendfile(self, request: web.Request, resp: web.StreamResponse, fobj, start: int,
                        count: int, served: _Served) -> None:
        loop = asyncio.get_running_loop()
        transport = request.transport
        if transport is None:
            raise ConnectionResetError("client went away")
        fobj.seek(start)
        try:
            sent = await loop.sendfile(transport, fobj, start, count)
            served.nbytes += sent
        except (ConnectionError, OSError, asyncio.CancelledError):
            # the file position is left after the last byte handed to the socket
            served.nbytes += max(0, fobj.tell() - start)
            raise
        except NotImplementedError:  # TLS or a platform without sendfile: plain copy
            await self._send_chunks(resp, fobj, start, count, served, None)

    async def _send_chunks(self, resp: web.StreamResponse, fobj, start: int, count: int,
                           served: _Served, buckets: tuple[TokenBucket, ...] | None) -> None:
        loop = asyncio.get_running_loop()
        pos, left = start, count
        chunk = CHUNK
        if buckets:
            slowest = min(b.rate for b in buckets if b.rate > 0)
            chunk = int(min(CHUNK, max(4096, slowest / 16)))
        while left > 0:
            n = min(chunk, left)
            if buckets:
                await throttle(n, *buckets)
            data = await loop.run_in_executor(None, _read_at, fobj, pos, n)
            if not data:
                raise OSError(0, "file shrank while sending")
            await resp.write(data)
            pos += len(data)
            left -= len(data)
            served.nbytes += len(data)

    async def _send_throttled(self, resp, fobj, start, count, bucket, served) -> None:
        buckets = tuple(b for b in (bucket, self._global) if b.rate > 0)
        await self._send_chunks(resp, fobj, start, count, served, buckets)

    # -- control API --
    def _allowed_hosts(self) -> set[str]:
        return netguard.loopback_hosts(self.port) | {self.link_base().removeprefix("http://")}

    def _check_control(self, request: web.Request) -> web.Response | None:
        why = netguard.browser_refusal(request.headers, self._allowed_hosts())
        if why:
            return self._deny(request, 403, f"Forbidden: {why}")
        token = request.headers.get("X-Zhilian-Token", "")
        auth = request.headers.get("Authorization", "")
        if auth.lower().startswith("bearer "):
            token = auth[7:].strip()
        try:
            expected = signing.control_token(self.key())
        except Exception:
            return self._deny(request, 503, "Sharing is unavailable: the link key cannot be read")
        key = (self._counted_as(request), "control")
        if not self.failures.begin(key):
            return self._deny(request, 429, "Too many wrong control tokens; try again later",
                              headers={"Retry-After": str(max(1, int(self.failures.retry_after(key))))})
        ok = netguard.token_matches(token, expected)
        self.failures.end(key, failed=not ok)
        if not ok:
            return self._deny(request, 401, "Unauthorized: control token required")
        return None

    def _share_json(self, s: Share) -> dict:
        return {"id": s.id, "name": s.name, "path": s.path, "size": s.size, "created": s.created,
                "expires": s.expires, "password": s.has_password, "limit_bps": s.limit_bps,
                "state": s.state(self.clock()), "downloads": s.downloads, "bytes_sent": s.bytes_sent,
                "watch_id": s.watch_id, "url": self.url_for(s)}

    async def _api_status(self, request: web.Request) -> web.Response:
        if (bad := self._check_control(request)) is not None:
            return bad
        return web.json_response({"port": self.port, "lan": self.config.lan,
                                  "link_base": self.link_base(),
                                  "global_limit_bps": self.config.global_limit_bps,
                                  "active_connections": self.active_connections,
                                  "connections": self.guard.stats(),
                                  "password_checks": self.passwords.checks if self.passwords else 0})

    _FLAGS = {"": False, "0": False, "false": False, "no": False, "1": True, "true": True, "yes": True}

    async def _api_list(self, request: web.Request) -> web.Response:
        if (bad := self._check_control(request)) is not None:
            return bad
        unknown = set(request.query) - {"all"}
        if unknown:
            raise BadRequest(400, f"bad request: unknown parameter {sorted(unknown)[0][:40]!r}")
        flag = self._FLAGS.get(request.query.get("all", "").lower())
        if flag is None:
            raise BadRequest(400, "bad request: 'all' must be 0 or 1")
        shares = await asyncio.to_thread(self.store.list, flag)
        return web.json_response([self._share_json(s) for s in shares])

    async def _api_create(self, request: web.Request) -> web.Response:
        if (bad := self._check_control(request)) is not None:
            return bad
        body = await netguard.read_json(request)
        try:
            req = limits.create_request(body, self.config.default_expires)
            share = await asyncio.to_thread(
                self.store.add, req.path,
                int(self.clock()) + req.expires_seconds if req.expires_seconds else 0,
                req.password, req.limit_bps)
        except ShareError as e:
            raise BadRequest(400, f"bad request: {e}") from None
        return web.json_response(self._share_json(share), status=201)

    async def _api_revoke(self, request: web.Request) -> web.Response:
        if (bad := self._check_control(request)) is not None:
            return bad
        try:
            sid = limits.share_id(request.match_info["sid"])
        except ShareError as e:
            raise BadRequest(400, f"bad request: {e}") from None
        if await asyncio.to_thread(self.store.get, sid) is None:
            raise BadRequest(404, f"No share with id {sid!r}")
        s = await asyncio.to_thread(self.store.revoke, sid)
        return web.json_response(self._share_json(s))


class ServerThread:
    """A share server on its own thread and event loop (for the GUI and tests)."""

    def __init__(self, server: ShareServer, port: int | None = None):
        self.server = server
        self._port = port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._started = threading.Event()
        self._error: BaseException | None = None

    def start(self) -> ServerThread:
        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                loop.run_until_complete(self.server.start(self._port))
            except BaseException as e:
                self._error = e
                self._started.set()
                loop.close()
                return
            self._started.set()
            loop.run_forever()
            loop.run_until_complete(self.server.stop())
            loop.close()

        self._thread = threading.Thread(target=run, name="share-server", daemon=True)
        self._thread.start()
        self._started.wait(30)
        if self._error:
            raise self._error
        return self

    @property
    def port(self) -> int:
        return self.server.port

    def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run ``fn(*args)`` on the server's loop and wait for it."""
        assert self._loop is not None
        fut = asyncio.run_coroutine_threadsafe(self._acall(fn, *args), self._loop)
        return fut.result(30)

    @staticmethod
    async def _acall(fn, *args):
        return fn(*args)

    def stop(self) -> None:
        if self._loop and self._thread and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(30)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


__all__ = ["ShareServer", "ServerThread", "free_port"]
