"""Local HTTP servers for tests: a Range-capable file server with fault knobs,
running on its own thread and event loop so sync tests, async tests and
subprocesses (the CLI) can all use it."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import random
import threading
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web


def make_blob(size: int, seed: int = 1) -> bytes:
    """Deterministic, incompressible test data."""
    return random.Random(seed).randbytes(size)


@dataclass
class Faults:
    """Per-file fault injection. All counters are shared across connections."""
    ignore_range: bool = False          # answer 200 with the whole body
    wrong_content_range: int = 0        # next N ranged answers lie about their start
    reset_at: list[int] = field(default_factory=list)  # absolute offsets: drop the connection when passed (once each)
    stall_at: list[int] = field(default_factory=list)  # absolute offsets: stop sending (once each) for stall_seconds
    stall_seconds: float = 30.0
    # reset_at / stall_at also hit answers to open-ended ranges (`bytes=N-`, the engine's
    # probe). Such an answer is closed by the client after its first piece while the server
    # has already pushed further into the socket buffers: set False to keep the faults for
    # the connections that really read that far.
    open_ended_faults: bool = True
    busy: int = 0                       # next N requests get 503 + Retry-After
    busy_status: int = 503
    retry_after: float = 1.0
    truncate: int = 0                   # next N answers end early (short body, then close)
    rate: float = 0.0                   # bytes/s per connection (0 = unlimited)
    max_conns: int = 0                  # > 0: more concurrent requests than this get 503
    etag: str | None = '"v1"'
    last_modified: str | None = "Mon, 02 Nov 2026 10:00:00 GMT"
    expired_body: bytes | None = None   # when set, answer 403 with this body
    content_disposition: str | None = None
    content_type: str | None = None     # Content-Type of the answer (None: aiohttp's octet-stream)
    reset_all: bool = False             # every request: the connection is dropped before any answer
    short_body: bool = False            # every answer: headers with the full Content-Length, no body
    hang: bool = False                  # every request: no answer at all (the connection stays open)


class ServedApp:
    """A test server: the aiohttp app ``make_app()`` builds runs on an AppThread from
    ``start()`` to ``stop()``; ``port`` and ``base`` say where."""

    port = 0
    _server: AppThread | None = None

    def make_app(self) -> web.Application:  # pragma: no cover
        raise NotImplementedError

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, port: int = 0):
        self._server = AppThread(self.make_app, port).start()
        self.port = self._server.port
        return self

    def stop(self) -> None:
        if self._server:
            self._server.stop()


def catch_all(handler) -> web.Application:
    """An app that sends every method and path to ``handler``."""
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    return app


class FileServer(ServedApp):
    """`srv.add("/f.bin", data)` then `srv.url("/f.bin")`."""

    def __init__(self):
        self.files: dict[str, bytes] = {}
        self.faults: dict[str, Faults] = {}
        self.bytes_sent = 0
        self.requests: list[dict] = []
        self.active = 0
        self.max_active = 0            # most requests streaming at once on open connections
        self.stalling = 0              # answers sleeping in a stall_at fault right now
        self._streaming: set = set()   # transports of requests being answered
        self._lock = threading.Lock()

    def add(self, path: str, data: bytes, **faults) -> Faults:
        self.files[path] = data
        f = Faults(**faults)
        self.faults[path] = f
        return f

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    # ------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        if path not in self.files:
            return web.Response(status=404, text="not found")
        data, f = self.files[path], self.faults[path]
        self.requests.append({"path": path, "range": request.headers.get("Range"),
                              "headers": dict(request.headers), "query": dict(request.query)})
        if f.reset_all:
            if request.transport:
                request.transport.abort()
            return web.Response(status=500)
        if f.hang:
            await asyncio.sleep(3600)
        if f.expired_body is not None:
            return web.Response(status=403, body=f.expired_body, content_type="application/xml")
        if f.busy > 0:
            f.busy -= 1
            return web.Response(status=f.busy_status, headers={"Retry-After": str(f.retry_after)})
        if f.max_conns and self.active >= f.max_conns:
            return web.Response(status=503, headers={"Retry-After": "1"})
        size = len(data)
        start, end = 0, size - 1
        status = 200
        rng = request.headers.get("Range")
        if rng and not f.ignore_range and rng.startswith("bytes="):
            a, _, b = rng[6:].partition("-")
            start = int(a)
            end = min(int(b), size - 1) if b else size - 1
            if start >= size:
                return web.Response(status=416, headers={"Content-Range": f"bytes */{size}"})
            status = 206
        headers = {"Accept-Ranges": "bytes", "Content-Length": str(end - start + 1)}
        if f.etag:
            headers["ETag"] = f.etag
        if f.last_modified:
            headers["Last-Modified"] = f.last_modified
        if f.content_disposition:
            headers["Content-Disposition"] = f.content_disposition
        if f.content_type:
            headers["Content-Type"] = f.content_type
        if status == 206:
            claimed = start
            if f.wrong_content_range > 0:
                f.wrong_content_range -= 1
                claimed = start + 1
            headers["Content-Range"] = f"bytes {claimed}-{claimed + end - start}/{size}"
        resp = web.StreamResponse(status=status, headers=headers)
        if request.method == "HEAD":
            await resp.prepare(request)
            return resp
        truncate = False
        if f.truncate > 0:
            f.truncate -= 1
            truncate = True
        if f.short_body:
            await resp.prepare(request)
            if request.transport:
                request.transport.abort()
            return resp
        self.active += 1
        tr = request.transport
        self._streaming.add(tr)
        try:
            await resp.prepare(request)
            pos = start
            chunk = 64 * 1024
            stop = end + 1
            if truncate:
                stop = start + max(1, (end + 1 - start) // 2)
            faulty = f.open_ended_faults or not (rng or "").endswith("-")
            loop = asyncio.get_running_loop()
            t0 = loop.time()
            sent_here = 0
            while pos < stop:
                n = min(chunk, stop - pos)
                for off in list(f.reset_at) if faulty else ():
                    if pos <= off < pos + n:
                        f.reset_at.remove(off)
                        n = off - pos
                        if n:
                            await resp.write(data[pos:pos + n])
                            self.bytes_sent += n
                        request.transport.abort() if request.transport else None
                        return resp
                for off in list(f.stall_at) if faulty else ():
                    if pos <= off < pos + n:
                        f.stall_at.remove(off)
                        self.stalling += 1
                        try:
                            await asyncio.sleep(f.stall_seconds)
                        finally:
                            self.stalling -= 1
                await resp.write(data[pos:pos + n])
                self.bytes_sent += n
                pos += n
                sent_here += n
                # counted after a write, so a connection the client has just closed (its
                # handler may still sleep for the rate limit) is already seen as closing
                self.max_active = max(self.max_active, sum(
                    1 for t in self._streaming if t is not None and not t.is_closing()))
                if f.rate:
                    ahead = sent_here / f.rate - (loop.time() - t0)
                    if ahead > 0:
                        await asyncio.sleep(ahead)
            if truncate:
                if request.transport:
                    request.transport.abort()
                return resp
            await resp.write_eof()
            return resp
        except (ConnectionResetError, asyncio.CancelledError):
            raise
        finally:
            self.active -= 1
            self._streaming.discard(tr)

    # ------------------------------------------------------------------
    def make_app(self) -> web.Application:
        return catch_all(self._handle)


class AppThread:
    """An aiohttp app served on 127.0.0.1:<free port> by its own thread and event loop, so
    sync tests, asyncio.run tests and CLI subprocesses can all reach it. ``make_app`` runs
    on that loop."""

    def __init__(self, make_app, port: int = 0):
        self._make_app = make_app
        self.loop: asyncio.AbstractEventLoop | None = None
        self.port = port
        self._thread: threading.Thread | None = None

    def start(self) -> AppThread:
        ready = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            self.loop = loop
            runner = web.AppRunner(self._make_app(), access_log=None)
            loop.run_until_complete(runner.setup())
            site = web.TCPSite(runner, "127.0.0.1", self.port)
            loop.run_until_complete(site.start())
            self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            ready.set()
            loop.run_forever()
            loop.run_until_complete(runner.cleanup())
            loop.close()

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()
        ready.wait(10)
        return self

    def stop(self) -> None:
        if self.loop and self._thread:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(10)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_sha256(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for b in iter(lambda: fh.read(1 << 20), b""):
            h.update(b)
    return h.hexdigest()


def run_download(urls, dest, *, refresh=None, progress=None, engine_kw=None, **opts):
    """Run one engine download to completion on a fresh event loop; returns (path, Download)."""
    from core.engine import DownloadOptions, Engine
    from core.models import Mirror
    if isinstance(urls, str):
        urls = [urls]
    mirrors = [u if isinstance(u, Mirror) else Mirror(u) for u in urls]
    opts.setdefault("sync", False)

    async def go():
        async with Engine(**(engine_kw or {})) as eng:
            dl = eng.download(mirrors, dest, DownloadOptions(**opts), on_progress=progress,
                              refresh=refresh)
            try:
                return await dl.run(), dl
            except Exception as e:
                e.download = dl
                raise
    return asyncio.run(go())




def run_cli(*args, env_extra=None, stdin=None, timeout=90):
    """``main.py ARGS`` in a subprocess (the tests' environment plus ``env_extra``)."""
    import subprocess
    import sys
    from pathlib import Path
    root = Path(__file__).resolve().parents[1]
    env = dict(os.environ)
    env.update(env_extra or {})
    return subprocess.run([sys.executable, str(root / "main.py"), *args], cwd=root, env=env, input=stdin,
                          capture_output=True, text=True, timeout=timeout)


def _serve_main(argv: list[str]) -> None:
    """``python tests/servers.py FILE ROUTE [--port P] [--rate BPS] [--fault MODE]``: one
    file served by a FileServer in a process of its own (so a test can kill -9 the
    origin). MODE: reset, range (every Content-Range lies), short (headers, no body),
    hang (no answer). Prints the port once listening, then serves until killed."""
    import argparse
    import time
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("route")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--rate", type=float, default=0.0)
    ap.add_argument("--fault", choices=["", "reset", "range", "short", "hang"], default="")
    a = ap.parse_args(argv)
    faults = {"reset": {"reset_all": True}, "range": {"wrong_content_range": 1 << 60},
              "short": {"short_body": True}, "hang": {"hang": True}}.get(a.fault, {})
    srv = FileServer()
    with open(a.file, "rb") as fh:
        srv.add(a.route, fh.read(), rate=a.rate, **faults)
    srv.start(a.port)
    print(srv.port, flush=True)
    while True:
        time.sleep(3600)



class RawServer:
    """asyncio.start_server on its own thread; ``handler(reader, writer)`` per connection."""

    def __init__(self, handler, ssl_ctx=None):
        self.handler, self.ssl_ctx = handler, ssl_ctx
        self.connections = 0
        self.port = 0
        self.loop: asyncio.AbstractEventLoop | None = None

    def __enter__(self) -> RawServer:
        ready = threading.Event()

        async def serve(reader, writer):
            self.connections += 1
            try:
                await self.handler(reader, writer)
            except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
                pass
            finally:
                writer.close()

        def run():
            self.loop = asyncio.new_event_loop()
            srv = self.loop.run_until_complete(
                asyncio.start_server(serve, "127.0.0.1", 0, ssl=self.ssl_ctx))
            self.port = srv.sockets[0].getsockname()[1]
            self._srv = srv
            ready.set()
            self.loop.run_forever()
            srv.close()
            tasks = asyncio.all_tasks(self.loop)
            for t in tasks:
                t.cancel()

            async def drain():
                await asyncio.gather(*tasks, return_exceptions=True)
            self.loop.run_until_complete(drain())
            self.loop.close()

        self._t = threading.Thread(target=run, daemon=True)
        self._t.start()
        ready.wait(10)
        return self

    def __exit__(self, *exc) -> None:
        assert self.loop is not None
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._t.join(10)

    def url(self, path: str = "/f", scheme: str = "http", host: str = "127.0.0.1") -> str:
        return f"{scheme}://{host}:{self.port}{path}"


async def read_request(reader) -> tuple[str, dict[str, str]]:
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
    hdrs = {}
    for line in head[1:]:
        if line:
            k, _, v = line.partition(":")
            hdrs[k.strip().lower()] = v.strip()
    return head[0], hdrs


async def ok_answer(reader, writer):
    while True:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecret")
        await writer.drain()



# -- for tests of the engine's HTTP client (core/wire.py) ----------------------------------

def self_signed_cert(folder: Path, cn: str, san: str) -> tuple[Path, Path]:
    """A self-signed certificate (RSA, two days) for ``san`` ("DNS:localhost,IP:127.0.0.1")
    written into folder: (cert.pem, key.pem)."""
    import subprocess
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", f"/CN={cn}", "-addext", f"subjectAltName={san}",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


def tls_server_context(cert, key):
    """A server-side TLS context for a test server with the given certificate and key."""
    import ssl
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    return ctx


def wire_client(**kw):
    """A core.wire.Client as the tests use it."""
    from core import wire
    return wire.Client(user_agent="test", **kw)


async def read_body(resp) -> bytes:
    """The whole body of a core.wire.Response."""
    out = bytearray()
    while chunk := await resp.readany():
        out += chunk
    return bytes(out)


@contextlib.contextmanager
def far(port: int, rtt: float):
    """bench/delayproxy.py in front of 127.0.0.1:port, in a thread: its address."""
    import socket
    import time

    from bench._util import free_port
    from bench.delayproxy import serve
    listen = ("127.0.0.1", free_port())
    loop = asyncio.new_event_loop()
    task = loop.create_task(serve(listen, ("127.0.0.1", port), rtt))

    def run():
        asyncio.set_event_loop(loop)    # (gather of no task asks for the thread's loop)
        with contextlib.suppress(asyncio.CancelledError):
            loop.run_until_complete(task)
        rest = asyncio.all_tasks(loop)   # the connections still relayed end with it
        for r in rest:
            r.cancel()
        loop.run_until_complete(asyncio.gather(*rest, return_exceptions=True))
        loop.close()
    t = threading.Thread(target=run, daemon=True)
    t.start()
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(listen, 0.2).close()
            break
        except OSError:
            assert time.monotonic() < deadline, "the delay proxy did not start"
            time.sleep(0.02)
    try:
        yield listen
    finally:
        loop.call_soon_threadsafe(task.cancel)
        t.join(10)


@contextlib.contextmanager
def black_hole():
    """The address of a listening socket that never answers a connect: its accept queue is
    full, so further SYNs are dropped and a connect hangs (a broken route, say)."""
    import socket
    import time
    hole = socket.socket()
    hole.bind(("127.0.0.1", 0))
    hole.listen(0)
    fill = []
    try:
        for _ in range(3):
            s = socket.socket()
            fill.append(s)
            s.setblocking(False)
            try:
                s.connect(hole.getsockname())
            except BlockingIOError:
                pass
        time.sleep(0.2)
        yield hole.getsockname()
    finally:
        for s in fill + [hole]:
            s.close()

if __name__ == "__main__":
    import sys
    _serve_main(sys.argv[1:])


__all__ = ["run_cli", "run_download", "AppThread", "ServedApp", "catch_all", "FileServer", "Faults", "make_blob", "sha256", "file_sha256", "os"]
