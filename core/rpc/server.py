"""The aria2-compatible RPC endpoint: ``/jsonrpc`` over HTTP POST and WebSocket, on the
loopback interface only (127.0.0.1 and ::1), on the queue's own event loop.

Connections pass ``core/netguard``'s ``ConnectionGuard`` (caps, header and idle
timeouts); every request then passes ``guard.refusal``: a loopback ``Host``, an ``Origin``
that is absent, a browser extension's, this server's or one the user allowed; a body of
at most 2 MiB read within ``netguard.BODY_TIMEOUT`` and parsed as strict JSON.  Then each
call's ``token:`` is checked (``methods.Aria2Api``); a refused token is answered after
1 s, as aria2 does.  HTTP status codes and the error object follow
aria2's ``HttpServerBodyCommand.cc``: 200 for results and batches, 400 for method errors
(``{"code": 1, "message": ...}``) and invalid requests, 404 for an unknown JSON-RPC
method code, 500 for a parse error.  Requests the guard refuses get the same error
object with 403 (Host, Origin), 408 (body too slow), 413 (too large) or 503 (too many
WebSocket sessions); a connection over netguard's caps gets its plain 503.

WebSocket sessions receive aria2's notifications:
``{"jsonrpc": "2.0", "method": "aria2.onDownloadStart", "params": [{"gid": "..."}]}``.
Nothing about a request's content is logged (no access log: a URL may carry a token).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
from typing import Any

from aiohttp import WSMsgType, web

from .. import netguard
from ..errors import ZhilianError
from . import guard
from .config import RpcConfig, SecretInfo, get_secret, load_config
from .extras import ExtrasStore
from .methods import Aria2Api

log = logging.getLogger("zhilian.rpc")

PATH = "/jsonrpc"
CONTENT_TYPE = "application/json-rpc"
QUEUE_PER_SESSION = 1000       # notifications waiting for a slow WebSocket client


class RpcPortBusy(ZhilianError):
    pass


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def _http_status(resp: dict) -> int:
    """aria2: 1 and -32600 -> 400, -32601 -> 404, any other error -> 500."""
    err = resp.get("error")
    if not err:
        return 200
    return {1: 400, -32600: 400, -32601: 404}.get(err.get("code"), 500)


def refusal(status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    body = _dumps({"id": None, "jsonrpc": "2.0", "error": {"code": 1, "message": message}})
    return web.Response(status=status, text=body, content_type=CONTENT_TYPE, headers=headers)


@dataclasses.dataclass(eq=False)
class _Session:
    ws: web.WebSocketResponse
    queue: asyncio.Queue
    writer: asyncio.Task | None = None


class RpcServer:
    """``await srv.start()``; ``srv.port``; ``await srv.stop()``."""

    def __init__(self, api: Aria2Api, config: RpcConfig, secret_info: SecretInfo | None = None):
        self.api = api
        self.config = config
        self.secret_info = secret_info
        self.port = 0
        self._runner: web.AppRunner | None = None
        self._sessions: set[_Session] = set()
        self.guard = netguard.ConnectionGuard(name="RPC")
        api.notify = self._broadcast

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{PATH}"

    # -- life cycle -----------------------------------------------------------------
    async def start(self) -> None:
        app = web.Application(middlewares=[self.guard.middleware], client_max_size=guard.MAX_BODY)
        app.router.add_route("*", PATH, self._handle)
        app.router.add_route("*", "/{tail:.*}", self._not_here)
        runner = web.AppRunner(app, access_log=None, keepalive_timeout=netguard.IDLE_TIMEOUT,
                               handle_signals=False)
        await runner.setup()
        try:
            site = netguard.GuardedSite(runner, "127.0.0.1", self.config.port, self.guard)
            await site.start()
        except OSError as e:
            await runner.cleanup()
            raise RpcPortBusy(f"The RPC port {self.config.port} cannot be used ({e.strerror or e}): another "
                              "program (aria2?) may have it; choose another port in Settings > Browser") from None
        self._runner = runner
        self.port = site.port
        with contextlib.suppress(OSError):        # IPv6 loopback too, when the system has it
            await netguard.GuardedSite(runner, "::1", self.port, self.guard).start()
        log.info("RPC listening on 127.0.0.1:%d", self.port)

    async def stop(self) -> None:
        for s in list(self._sessions):
            with contextlib.suppress(Exception):
                await s.ws.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        self.api.close()
        await self.api.extras.flush()

    def reconfigure(self, config: RpcConfig, secret: str | None = None) -> None:
        """New allowed origins / folders (and secret) for the next requests."""
        self.config = config
        self.api.config = config
        if secret:
            self.api.secret = secret

    # -- guard --------------------------------------------------------------------------
    def _refuse(self, request: web.Request) -> web.Response | None:
        # this server's own origin passes too: it serves no page, and WebSocket libraries
        # (websocket-client, which aria2p uses) send "Origin: http://127.0.0.1:<port>"
        why = guard.refusal(request.headers, self.port, self.config.allowed_origins)
        if why is None:
            return None
        if why == "unexpected Host header":
            return refusal(403, f"Forbidden: the Host header must be localhost:{self.port}, "
                                f"127.0.0.1:{self.port} or [::1]:{self.port}")
        origin = request.headers.get("Origin", "(no Origin)")
        return refusal(403, f"Forbidden: calls from the web page {origin} are refused ({why}); add it to "
                            "the allowed origins in Zhilian's Settings > Browser to allow them")

    def _cors(self, request: web.Request) -> dict[str, str]:
        origin = request.headers.get("Origin")
        return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"} if origin else {}

    # -- HTTP -----------------------------------------------------------------------------
    async def _not_here(self, request: web.Request) -> web.Response:
        return refusal(404, f"Not found: the RPC is at {PATH}")

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        refused = self._refuse(request)
        if refused is not None:
            return refused
        if request.method == "OPTIONS":       # CORS preflight (aria2 answers it the same way)
            headers = {**self._cors(request), "Access-Control-Allow-Methods": "POST, GET, OPTIONS",
                       "Access-Control-Max-Age": "1728000"}
            if request.headers.get("Access-Control-Request-Headers"):
                headers["Access-Control-Allow-Headers"] = request.headers["Access-Control-Request-Headers"]
            return web.Response(status=200, headers=headers)
        if request.method == "GET" and request.headers.get("Upgrade", "").lower() == "websocket":
            return await self._websocket(request)
        if request.method != "POST":
            return refusal(405, "Use POST or a WebSocket for JSON-RPC (GET with parameters is not served)",
                           {"Allow": "POST, OPTIONS"})
        try:   # any Content-Type: aria2 clients send text/plain, form or none
            body = await asyncio.wait_for(request.read(), netguard.BODY_TIMEOUT)
        except web.HTTPRequestEntityTooLarge:
            return refusal(413, f"Request too large: at most {guard.MAX_BODY >> 20} MiB", {"Connection": "close"})
        except TimeoutError:
            return refusal(408, f"Request body not received within {netguard.BODY_TIMEOUT:g} s")
        status, text, authorized = await self.process(body)
        if not authorized:
            await asyncio.sleep(guard.UNAUTHORIZED_DELAY)
        return web.Response(status=status, text=text, content_type=CONTENT_TYPE, headers=self._cors(request))

    async def process(self, body: bytes | str) -> tuple[int, str, bool]:
        """A request body -> (HTTP status, answer text, authorized)."""
        try:
            obj = netguard.parse_json(body.encode() if isinstance(body, str) else body)
        except netguard.BadRequest:
            resp = {"id": None, "jsonrpc": "2.0", "error": {"code": -32700, "message": "Parse error."}}
            return _http_status(resp), _dumps(resp), True
        if isinstance(obj, dict):
            resp, authorized = await self.api.call(obj)
            return _http_status(resp), _dumps(resp), authorized
        if isinstance(obj, list):                 # a batch: every object answered, 200
            answers = [await self.api.call(x) for x in obj if isinstance(x, dict)]
            return 200, _dumps([a for a, _ in answers]), all(ok for _, ok in answers)
        resp = {"id": None, "jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request."}}
        return _http_status(resp), _dumps(resp), True

    # -- WebSocket ----------------------------------------------------------------------------
    async def _websocket(self, request: web.Request) -> web.StreamResponse:
        if len(self._sessions) >= guard.MAX_SESSIONS:
            return refusal(503, f"Busy: at most {guard.MAX_SESSIONS} WebSocket connections")
        ws = web.WebSocketResponse(max_msg_size=guard.MAX_BODY, autoping=True)
        await ws.prepare(request)
        session = _Session(ws, asyncio.Queue(QUEUE_PER_SESSION))
        session.writer = asyncio.get_running_loop().create_task(self._write(session))
        self._sessions.add(session)
        try:
            async for msg in ws:
                if msg.type in (WSMsgType.TEXT, WSMsgType.BINARY):
                    _status, text, authorized = await self.process(msg.data)
                    if not authorized:
                        await asyncio.sleep(guard.UNAUTHORIZED_DELAY)
                    self._queue(session, text)
                elif msg.type == WSMsgType.ERROR:
                    break
        finally:
            self._sessions.discard(session)
            session.writer.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await session.writer
        return ws

    async def _write(self, session: _Session) -> None:
        while True:
            text = await session.queue.get()
            try:
                await session.ws.send_str(text)
            except (ConnectionError, RuntimeError):
                return

    def _queue(self, session: _Session, text: str) -> None:
        try:
            session.queue.put_nowait(text)
        except asyncio.QueueFull:            # a client that does not read: let it go
            self._sessions.discard(session)
            asyncio.get_running_loop().create_task(session.ws.close(code=1008))

    def _broadcast(self, method: str, gid: str) -> None:
        text = _dumps({"jsonrpc": "2.0", "method": method, "params": [{"gid": gid}]})
        for s in list(self._sessions):
            self._queue(s, text)


async def start_rpc(app: Any, *, port: int | None = None, secret: str | None = None,
                    config: RpcConfig | None = None) -> RpcServer:
    """Serves the RPC for a started ``App`` (core/app.py; on its loop). ``secret`` None:
    the one in the keyring (made on first use)."""
    cfg = config or await asyncio.to_thread(load_config)
    if port is not None:
        cfg = dataclasses.replace(cfg, port=port)
    info = None
    if secret is None:
        info = await asyncio.to_thread(get_secret, cfg)
        secret = info.secret
    elif not secret:
        raise ZhilianError("The RPC secret must not be empty")
    api = Aria2Api(app, cfg, secret, ExtrasStore(app.queue.store.con))
    server = RpcServer(api, cfg, info)
    try:
        await server.start()
    except BaseException:
        api.close()
        raise
    return server
