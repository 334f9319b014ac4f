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
import json
import logging
import os
import socket
import threading
import time
from dataclasses import dataclass
from email.utils import formatdate
from typing import Any, Callable
from urllib.parse import quote

from aiohttp import web

from ..ratelimit import TokenBucket, throttle
from . import signing
from .access_log import AccessLog
from .config import ServerConfig, clear_runtime, link_base, write_runtime
from .httprange import UNSATISFIABLE, if_range_allows, parse_range
from .passwords import verify_password
from .secret import get_secret
from .store import Share, ShareStore

log = logging.getLogger(__name__)

CHUNK = 256 * 1024
MAX_FAILURES = 10            # wrong passwords per client and share ...
FAILURE_WINDOW = 600.0       # ... within this many seconds -> 429


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
        self._failures: dict[tuple[str, str], list[float]] = {}
        self._pw_ok: set[tuple[str, str]] = set()
        self._runner: web.AppRunner | None = None
        self._link_base = ""
        self._tasks: list[asyncio.Task] = []
        self._watch = watch
        self._write_runtime = write_runtime_file
        self.active_connections = 0

    # -- lifecycle --
    def make_app(self) -> web.Application:
        app = web.Application(middlewares=[self._headers_mw], client_max_size=64 * 1024)
        app.router.add_get("/s/{sid}/{name}", self._serve_file)
        app.router.add_get("/api/status", self._api_status)
        app.router.add_get("/api/shares", self._api_list)
        app.router.add_post("/api/shares", self._api_create)
        app.router.add_delete("/api/shares/{sid}", self._api_revoke)
        return app

    async def start(self, port: int | None = None) -> int:
        key = get_secret(self.store.secret_id())      # NoKeyring surfaces here, before binding
        del key
        self._runner = web.AppRunner(self.make_app(), access_log=None, handle_signals=False)
        await self._runner.setup()
        want = self.config.port if port is None else port
        site = web.TCPSite(self._runner, self.config.bind_host, want, reuse_address=True)
        try:
            await site.start()
        except OSError as e:
            await self._runner.cleanup()
            self._runner = None
            from ..errors import ZhilianError
            raise ZhilianError(f"Cannot listen on {self.config.bind_host}:{want}: {e.strerror or e}; "
                               "choose another port with --port") from e
        sock = site._server.sockets[0]  # type: ignore[union-attr]
        self.port = sock.getsockname()[1]
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
        if self._write_runtime:
            clear_runtime()

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

    def _deny(self, request: web.Request, status: int, reason: str, share_id: str = "",
              name: str = "", headers: dict | None = None) -> web.Response:
        self.access_log.write(client=self._client(request), share=share_id, name=name, status=status,
                              nbytes=0, rng=request.headers.get("Range", ""), reason=reason,
                              agent=request.headers.get("User-Agent", ""), method=request.method)
        return web.Response(status=status, text=reason + "\n", headers=headers)

    def _password_ok(self, request: web.Request, share: Share) -> tuple[bool, str]:
        client = self._client(request)
        fails = [t for t in self._failures.get((client, share.id), []) if self.clock() - t < FAILURE_WINDOW]
        self._failures[(client, share.id)] = fails
        if len(fails) >= MAX_FAILURES:
            return False, "too many"
        auth = request.headers.get("Authorization", "")
        if not auth.lower().startswith("basic "):
            return False, "missing"
        try:
            _user, _, password = base64.b64decode(auth[6:].strip()).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False, "missing"
        # remember good answers (as a hash, in memory) so 16 connections cost one scrypt
        memo = (share.id, hashlib.sha256(f"{share.pw_hash}\0{password}".encode()).hexdigest())
        if memo in self._pw_ok:
            return True, ""
        if share.pw_hash and verify_password(password, share.pw_hash):
            self._pw_ok.add(memo)
            return True, ""
        fails.append(self.clock())
        return False, "wrong"

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
            ok, why = await asyncio.to_thread(self._password_ok, request, share)
            if not ok:
                if why == "too many":
                    return self._deny(request, 429, "Too many wrong passwords; try again later",
                                      sid, name, {"Retry-After": str(int(FAILURE_WINDOW))})
                return self._deny(request, 401, "Password required" if why == "missing"
                                  else "Wrong password", sid, name,
                                  {"WWW-Authenticate": 'Basic realm="Zhilian share", charset="UTF-8"'})
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
            return await self._send(request, share, fobj)
        finally:
            fobj.close()

    async def _send(self, request: web.Request, share: Share, fobj) -> web.StreamResponse:
        st = os.fstat(fobj.fileno())
        import stat as _stat
        if not _stat.S_ISREG(st.st_mode):
            return self._deny(request, 403, "Forbidden: not a regular file", share.id, share.name)
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
        hosts = {f"127.0.0.1:{self.port}", f"localhost:{self.port}", f"[::1]:{self.port}"}
        base = self.link_base().removeprefix("http://")
        hosts.add(base)
        return {h.lower() for h in hosts}

    def _check_control(self, request: web.Request) -> web.Response | None:
        host = request.headers.get("Host", "").lower()
        allowed = self._allowed_hosts()
        if host not in allowed:
            return self._deny(request, 403, "Forbidden: unexpected Host header")
        origin = request.headers.get("Origin")
        if origin is not None and origin.lower().removeprefix("http://") not in allowed:
            return self._deny(request, 403, "Forbidden: cross-origin request")
        if request.headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none"):
            return self._deny(request, 403, "Forbidden: cross-site request")
        token = request.headers.get("X-Zhilian-Token", "")
        auth = request.headers.get("Authorization", "")
        if auth.lower().startswith("bearer "):
            token = auth[7:].strip()
        try:
            expected = signing.control_token(self.key())
        except Exception:
            return self._deny(request, 503, "Sharing is unavailable: the link key cannot be read")
        import hmac
        if not token or not hmac.compare_digest(token.encode(), expected.encode()):
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
                                  "active_connections": self.active_connections})

    async def _api_list(self, request: web.Request) -> web.Response:
        if (bad := self._check_control(request)) is not None:
            return bad
        shares = await asyncio.to_thread(self.store.list, request.query.get("all") == "1")
        return web.json_response([self._share_json(s) for s in shares])

    async def _api_create(self, request: web.Request) -> web.Response:
        if (bad := self._check_control(request)) is not None:
            return bad
        if request.content_type != "application/json":
            return web.Response(status=415, text="send JSON\n")
        try:
            body = await request.json()
            from .config import parse_duration
            secs = parse_duration(body.get("expires", self.config.default_expires))
            share = await asyncio.to_thread(
                self.store.add, body["path"], int(self.clock()) + secs if secs else 0,
                body.get("password") or None, int(body.get("limit_bps") or 0))
        except (ValueError, KeyError, TypeError, json.JSONDecodeError) as e:
            return web.Response(status=400, text=f"bad request: {e}\n")
        except Exception as e:
            from ..errors import ZhilianError
            if isinstance(e, ZhilianError):
                return web.Response(status=400, text=f"{e}\n")
            raise
        return web.json_response(self._share_json(share), status=201)

    async def _api_revoke(self, request: web.Request) -> web.Response:
        if (bad := self._check_control(request)) is not None:
            return bad
        from .store import ShareError
        try:
            s = await asyncio.to_thread(self.store.revoke, request.match_info["sid"])
        except ShareError as e:
            return web.Response(status=404, text=f"{e}\n")
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
