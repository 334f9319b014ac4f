"""The engine's HTTP client (core/wire.py) against real local servers: aiohttp apps for
well-behaved HTTP, raw asyncio servers for what aiohttp would never send (bodies ended
by close, stalls, truncation, garbage), a self-signed TLS server and a real proxy."""

from __future__ import annotations

import asyncio
import os
import ssl
import subprocess
import sys
import time
from pathlib import Path

import pytest
from aiohttp import web
from servers import AppThread, RawServer, black_hole, make_blob, self_signed_cert, tls_server_context
from servers import ok_answer as _ok_answer
from servers import read_body as _body
from servers import read_request as _read_request
from servers import wire_client as client

from core import wire

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True, params=["raw-socket", "transport"])
def conn_kind(request, monkeypatch):
    """Every test runs over both kinds of connection: the socket read directly (Linux,
    macOS) and the asyncio transport (Windows' proactor loop has no add_reader)."""
    monkeypatch.setattr(wire, "RAW_SOCKETS", request.param == "raw-socket")
    return request.param


def _app(routes) -> AppThread:
    def make():
        app = web.Application()
        for path, h in routes.items():
            app.router.add_get(path, h)
        return app
    return AppThread(make).start()


def test_keep_alive_reuses_one_connection_and_sends_the_headers():
    seen = []

    async def h(request):
        seen.append((request.transport.get_extra_info("peername"), dict(request.headers)))
        return web.Response(body=b"x" * 1000)

    srv = _app({"/f": h})
    try:
        async def go():
            c = client()
            url = f"http://127.0.0.1:{srv.port}/f"
            for i in range(3):
                # an idle kept-alive connection is there from the second request on
                assert c.pooled(url) == (i > 0)
                assert not c.pooled(f"http://127.0.0.1:{srv.port + 1}/f")
                resp, final = await c.get(url, headers={"Range": "bytes=0-"})
                assert resp.reused == (i > 0) and not c.pooled(url)
                assert resp.status == 200 and await _body(resp) == b"x" * 1000
                assert resp.at_eof()
                resp.release()
            assert c.pooled(url)
            await c.close()
            assert not c.pooled(url)
            return c.opened
        assert asyncio.run(go()) == 1
    finally:
        srv.stop()
    assert len({peer for peer, _ in seen}) == 1
    assert seen[0][1]["Range"] == "bytes=0-" and seen[0][1]["User-Agent"] == "test"
    assert seen[0][1]["Host"] == f"127.0.0.1:{srv.port}"


def test_chunked_body_is_decoded_across_reads_of_any_size():
    data = make_blob(300_000, seed=3)

    async def h(request):
        resp = web.StreamResponse()
        resp.enable_chunked_encoding()
        await resp.prepare(request)
        for i in range(0, len(data), 7777):
            await resp.write(data[i:i + 7777])
        await resp.write_eof()
        return resp

    srv = _app({"/c": h})
    try:
        async def go():
            c = client()
            out = bytearray()
            resp, _ = await c.get(f"http://127.0.0.1:{srv.port}/c", headers={})
            assert resp.headers.get("transfer-encoding") == "chunked"
            sizes = [1, 5000, 3, 65536, 10]
            i = 0
            while chunk := await resp.read(sizes[i % len(sizes)]):
                assert len(chunk) <= sizes[i % len(sizes)]
                out += chunk
                i += 1
            assert resp.at_eof()
            resp.release()
            # the connection went back to the pool and serves the next request
            resp, _ = await c.get(f"http://127.0.0.1:{srv.port}/c", headers={})
            assert await _body(resp) == data
            resp.release()
            await c.close()
            return bytes(out), c.opened
        out, opened = asyncio.run(go())
    finally:
        srv.stop()
    assert out == data and opened == 1


def test_body_ended_by_close_and_interim_100_answer():
    async def h(reader, writer):
        await _read_request(reader)
        writer.write(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nConnection: close\r\n\r\nall of it")
        await writer.drain()

    async def go(url):
        c = client()
        resp, _ = await c.get(url, headers={})
        body = await _body(resp)
        resp.release()
        return resp.status, body

    with RawServer(h) as s:
        assert asyncio.run(go(s.url())) == (200, b"all of it")


def test_idle_connection_closed_by_the_server_is_replaced_transparently():
    async def h(reader, writer):
        await _read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        await writer.drain()
        # keep-alive promised, but the server drops the idle connection soon after

    async def go(url):
        c = client()
        r1, _ = await c.get(url, headers={})
        assert await _body(r1) == b"ok"
        r1.release()
        await asyncio.sleep(0.3)
        r2, _ = await c.get(url, headers={})
        assert await _body(r2) == b"ok"
        r2.release()
        return c.opened

    with RawServer(h) as s:
        assert asyncio.run(go(s.url())) == 2


def test_stall_raises_timeout_and_truncation_raises_disconnected():
    async def stall(reader, writer):
        await _read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc")
        await writer.drain()
        await asyncio.sleep(5)

    async def short(reader, writer):
        await _read_request(reader)
        writer.write(b"HTTP/1.1 206 Partial Content\r\nContent-Length: 100\r\n\r\n" + b"a" * 50)
        await writer.drain()

    async def go(url):
        c = client()
        resp, _ = await c.get(url, headers={}, read_timeout=0.5)
        got = await resp.readany()
        t = time.monotonic()
        try:
            await resp.readany()
            await resp.readany()
        except BaseException as e:
            return got, e, time.monotonic() - t
        finally:
            resp.close()

    with RawServer(stall) as s:
        got, err, waited = asyncio.run(go(s.url()))
        assert got == b"abc" and isinstance(err, TimeoutError) and 0.4 < waited < 3
    with RawServer(short) as s:
        got, err, _ = asyncio.run(go(s.url()))
        assert got == b"a" * 50 and isinstance(err, wire.ServerDisconnected)
        assert "50 bytes" in str(err)


@pytest.mark.parametrize("answer", [b"SSH-2.0-OpenSSH\r\n\r\n", b"HTTP/1.1 2OO OK\r\n\r\n",
                                    b"HTTP/1.1 200 OK\r\nContent-Length: ten\r\n\r\n",
                                    b"HTTP/1.1 200 OK\r\nX: " + b"a" * 70000 + b"\r\n\r\n"])
def test_garbage_answers_are_bad_responses(answer):
    async def h(reader, writer):
        await _read_request(reader)
        writer.write(answer)
        await writer.drain()

    async def go(url):
        with pytest.raises(wire.BadResponse):
            await client().get(url, headers={})

    with RawServer(h) as s:
        asyncio.run(go(s.url()))


def test_a_reset_while_the_answer_is_read_is_a_disconnect():
    """A server killed under a connection: its kernel answers with RST. That is
    ServerDisconnected (the engine retries), never a BufferError that ends `get` with a
    traceback (the reset's exception kept a view of the read buffer alive)."""
    import socket
    import struct

    async def rst(reader, writer):
        await _read_request(reader)
        writer.write(b"HTTP/1.1 206 Partial Content\r\nContent-Length: 100\r\n\r\n")
        await writer.drain()
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.transport.abort()

    async def rst_before_answer(reader, writer):
        await reader.read(10)     # the rest of the request stays unread: closing sends RST
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.transport.abort()

    async def go(url):
        c = client()
        try:
            with pytest.raises(wire.ClientError):
                resp, _ = await c.get(url, headers={"X-Pad": "a" * 2000}, read_timeout=5)
                try:
                    await _body(resp)
                finally:
                    resp.close()
        finally:
            await c.close()

    for handler in (rst, rst_before_answer):
        with RawServer(handler) as s:
            for _ in range(3):
                asyncio.run(go(s.url()))


def test_a_reset_in_the_middle_of_a_tls_body_is_a_disconnect(tls_cert):
    """Over TLS the body is read record after record by the TLS object: a reset between
    records ends the read with ServerDisconnected (the engine retries the rest) and what
    arrived before it whole, never a hang, an empty success or a traceback."""
    import socket
    import struct
    cert, key = tls_cert
    data = make_blob(300_000, seed=5)

    async def rst_mid_body(reader, writer):
        await _read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(data) + data[:200_000])
        await writer.drain()
        await asyncio.sleep(0.2)
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.transport.abort()

    async def go(url):
        c = client(ssl_context=ssl.create_default_context(cafile=str(cert)))
        resp, _ = await c.get(url, headers={}, read_timeout=5)
        got = bytearray()
        buf = memoryview(bytearray(1 << 19))
        try:
            with pytest.raises(wire.ServerDisconnected, match="100000 bytes of the answer missing"):
                while n := await resp.readinto(buf):
                    got += buf[:n]
        finally:
            resp.close()
            await c.close()
        return bytes(got)

    with RawServer(rst_mid_body, ssl_ctx=tls_server_context(cert, key)) as s:
        got = asyncio.run(go(s.url(scheme="https", host="localhost")))
    assert got == data[:200_000]


def test_refused_connection_is_a_connect_error():
    with RawServer(lambda r, w: asyncio.sleep(0)) as s:
        port = s.port
    # the server is gone: nothing listens on its port now

    async def go():
        with pytest.raises(wire.ConnectError, match="cannot connect"):
            await client().get(f"http://127.0.0.1:{port}/f", headers={})
    asyncio.run(go())


def test_redirect_to_another_host_drops_credentials_same_host_keeps_them():
    got: dict[str, dict] = {}

    async def final(request):
        got[request.path] = dict(request.headers)
        return web.Response(body=b"file")

    other = _app({"/there": final})

    async def hop(request):
        if request.path == "/away":
            raise web.HTTPFound(f"http://127.0.0.1:{other.port}/there")
        raise web.HTTPFound("/here")

    first = _app({"/away": hop, "/stay": hop, "/here": final})
    try:
        async def go():
            c = client()
            hdrs = {"Cookie": "sid=1", "Authorization": "Bearer t", "Range": "bytes=0-"}
            for path in ("/away", "/stay"):
                resp, final_url = await c.get(f"http://127.0.0.1:{first.port}{path}", headers=hdrs)
                assert await _body(resp) == b"file"
                resp.release()
            return final_url
        final_url = asyncio.run(go())
    finally:
        first.stop()
        other.stop()
    assert final_url.endswith("/here")
    assert "Cookie" not in got["/there"] and "Authorization" not in got["/there"]
    assert got["/there"]["Range"] == "bytes=0-"
    assert got["/here"]["Cookie"] == "sid=1" and got["/here"]["Authorization"] == "Bearer t"


def test_path_is_percent_encoded_and_cookie_hook_merges():
    seen = {}

    async def h(reader, writer):
        line, hdrs = await _read_request(reader)
        seen["line"], seen["cookie"] = line, hdrs.get("cookie")
        writer.write(b"HTTP/1.1 204 No Content\r\n\r\n")
        await writer.drain()

    async def go(url):
        c = client(cookies=lambda u: {"jar": "1", "sid": "old"})
        resp, _ = await c.get(url, headers={"Cookie": "sid=new"})
        assert resp.status == 204 and resp.at_eof()
        resp.release()

    with RawServer(h) as s:
        asyncio.run(go(s.url("/模型 v1%2F.bin?a=b c")))
    assert seen["line"] == "GET /%E6%A8%A1%E5%9E%8B%20v1%2F.bin?a=b%20c HTTP/1.1"
    assert seen["cookie"] == "jar=1; sid=new"


def test_reading_pauses_while_the_reader_is_behind():
    data = make_blob(24 << 20, seed=5)

    async def h(reader, writer):
        await _read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(data))
        writer.write(data)
        await writer.drain()

    async def go(url):
        c = client()
        resp, _ = await c.get(url, headers={})
        peak, out = 0, bytearray()
        while chunk := await resp.readany():
            out += chunk
            if len(out) < (4 << 20):
                await asyncio.sleep(0.05)   # a slow disk or a speed limit
            peak = max(peak, resp._conn._buffered)
        resp.release()
        return peak, bytes(out)

    with RawServer(h) as s:
        peak, out = asyncio.run(go(s.url()))
    assert out == data
    assert peak <= wire.HIGH_WATER + (1 << 20), peak


def test_https_verifies_the_certificate(tls_cert):
    cert, key = tls_cert
    sctx = tls_server_context(cert, key)

    async def go(url, ctx):
        c = client(ssl_context=ctx)
        resp, _ = await c.get(url, headers={})
        body = await _body(resp)
        resp.release()
        return body

    with RawServer(_ok_answer, ssl_ctx=sctx) as s:
        trusted = ssl.create_default_context(cafile=str(cert))
        assert asyncio.run(go(s.url(scheme="https", host="localhost"), trusted)) == b"secret"
        with pytest.raises(wire.ConnectError, match="TLS"):
            asyncio.run(go(s.url(scheme="https", host="localhost"), None))  # system CAs only


def test_https_checks_the_name_on_the_certificate(tls_cert, tmp_path):
    """The name goes to TLS as ASCII bytes (no IDNA codec for an ASCII name): it is still
    the SNI the server sees and the name the certificate must carry. A trusted certificate
    for another name is refused; a host name IDNA cannot encode is a client error at once."""
    other_cert, other_key = self_signed_cert(tmp_path, "other.test", "DNS:other.test")
    seen: list[str | None] = []

    async def go(url, cafile):
        c = client(ssl_context=ssl.create_default_context(cafile=str(cafile)))
        resp, _ = await c.get(url, headers={})
        body = await _body(resp)
        resp.release()
        return body

    for (cert, key), ok in ((tls_cert, True), ((other_cert, other_key), False)):
        sctx = tls_server_context(cert, key)
        sctx.sni_callback = lambda obj, name, ctx: seen.append(name)
        with RawServer(_ok_answer, ssl_ctx=sctx) as s:
            url = s.url(scheme="https", host="localhost")
            if ok:
                assert asyncio.run(go(url, cert)) == b"secret"
            else:
                with pytest.raises(wire.ConnectError, match="TLS.*(match|mismatch)") as refused:
                    asyncio.run(go(url, cert))
                assert refused.value.cause == "certificate"    # no later try would change it
    assert seen == ["localhost", "localhost"]

    async def bad_name():
        with pytest.raises(wire.ClientError, match="not a valid host name"):
            await client().get(f"https://ü{'a' * 70}.example/x", headers={})
    asyncio.run(bad_name())


class _Proxy:
    """A real forward proxy: absolute-form GETs relayed, CONNECT tunnels piped."""

    def __init__(self):
        self.seen: list[str] = []
        self.auth: list[str | None] = []

    async def handle(self, reader, writer):
        line, hdrs = await _read_request(reader)
        self.seen.append(line)
        self.auth.append(hdrs.get("proxy-authorization"))
        method, target, _ = line.split(" ")
        if method == "CONNECT":
            host, port = target.rsplit(":", 1)
            ur, uw = await asyncio.open_connection(host, int(port))
            writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            await writer.drain()
        else:
            from urllib.parse import urlsplit
            u = urlsplit(target)
            ur, uw = await asyncio.open_connection(u.hostname, u.port)
            rest = "".join(f"{k}: {v}\r\n" for k, v in hdrs.items() if k != "proxy-authorization")
            uw.write(f"GET {u.path} HTTP/1.1\r\n{rest}\r\n".encode())

        await _relay(reader, writer, ur, uw)


async def _relay(reader, writer, ur, uw) -> None:
    """Copy both ways between a client and an upstream connection until both end."""
    async def pipe(r, w):
        try:
            while data := await r.read(65536):
                w.write(data)
                await w.drain()
        finally:
            w.close()
    await asyncio.gather(pipe(reader, uw), pipe(ur, writer), return_exceptions=True)


class _Socks5:
    """A real SOCKS5 proxy (RFC 1928, user/password per RFC 1929) that resolves the names
    it is given itself: ``names`` maps host names only it knows to addresses."""

    def __init__(self, names: dict[str, str], auth: tuple[str, str]):
        self.names, self.auth = names, auth
        self.seen: list[tuple[str, int]] = []

    async def handle(self, reader, writer):
        _, n = await reader.readexactly(2)
        await reader.readexactly(n)
        writer.write(b"\x05\x02")                      # user/password, please
        _, ulen = await reader.readexactly(2)
        user = (await reader.readexactly(ulen)).decode()
        plen = (await reader.readexactly(1))[0]
        password = (await reader.readexactly(plen)).decode()
        ok = (user, password) == self.auth
        writer.write(b"\x01" + (b"\x00" if ok else b"\x01"))
        if not ok:
            await writer.drain()
            return
        _, cmd, _, atyp = await reader.readexactly(4)
        if atyp == 3:
            host = (await reader.readexactly((await reader.readexactly(1))[0])).decode()
        else:
            import socket
            host = socket.inet_ntoa(await reader.readexactly(4))
        port = int.from_bytes(await reader.readexactly(2), "big")
        self.seen.append((host, port))
        try:
            ur, uw = await asyncio.open_connection(self.names.get(host, host), port)
        except OSError:
            writer.write(b"\x05\x04\x00\x01" + bytes(6))   # host unreachable
            await writer.drain()
            return
        writer.write(b"\x05\x00\x00\x01" + bytes(6))
        await writer.drain()
        await _relay(reader, writer, ur, uw)


def test_socks5_proxy_for_downloads_and_for_resolvers(tls_cert):
    """The proxy setting's socks5h:// URL works for the engine's client (plain and https
    through the tunnel, the name resolved by the proxy) and for the resolvers' aiohttp
    session; a wrong password is a clear connect error."""
    from core.http import make_session
    cert, key = tls_cert
    sctx = tls_server_context(cert, key)
    socks = _Socks5({"files.socks.test": "127.0.0.1"}, ("u", "p@ss"))
    with RawServer(socks.handle) as p, RawServer(_ok_answer) as plain, \
            RawServer(_ok_answer, ssl_ctx=sctx) as tls:
        proxy = f"socks5h://u:p%40ss@127.0.0.1:{p.port}"

        async def via_client(url, proxy_url=proxy):
            c = client(proxy=proxy_url, ssl_context=ssl.create_default_context(cafile=str(cert)))
            resp, _ = await c.get(url, headers={})
            body = await _body(resp)
            resp.release()
            await c.close()
            return body

        async def via_session(url):
            async with make_session(proxy=proxy) as s, s.get(url) as r:
                return await r.read()

        assert asyncio.run(via_client(f"http://files.socks.test:{plain.port}/a")) == b"secret"
        assert asyncio.run(via_client(tls.url("/b", scheme="https", host="localhost"))) == b"secret"
        assert asyncio.run(via_session(f"http://files.socks.test:{plain.port}/c")) == b"secret"
        assert socks.seen == [("files.socks.test", plain.port), ("localhost", tls.port),
                              ("files.socks.test", plain.port)]
        with pytest.raises(wire.ConnectError, match="SOCKS proxy 127.0.0.1"):
            asyncio.run(via_client(f"http://files.socks.test:{plain.port}/d",
                                   f"socks5h://u:wrong@127.0.0.1:{p.port}"))


def test_http_and_https_through_a_proxy_from_the_environment(tls_cert, monkeypatch):
    cert, key = tls_cert
    sctx = tls_server_context(cert, key)
    proxy = _Proxy()
    with RawServer(proxy.handle) as p, RawServer(_ok_answer) as plain, \
            RawServer(_ok_answer, ssl_ctx=sctx) as tls:
        monkeypatch.setenv("http_proxy", f"http://u:p%40ss@127.0.0.1:{p.port}")
        monkeypatch.setenv("https_proxy", f"http://u:p%40ss@127.0.0.1:{p.port}")
        monkeypatch.setenv("no_proxy", "")

        async def go(url):
            c = client(ssl_context=ssl.create_default_context(cafile=str(cert)))
            resp, _ = await c.get(url, headers={})
            body = await _body(resp)
            resp.release()
            return body

        assert asyncio.run(go(plain.url("/a", host="localhost"))) == b"secret"
        assert asyncio.run(go(tls.url("/b", scheme="https", host="localhost"))) == b"secret"
        assert proxy.seen == [f"GET http://localhost:{plain.port}/a HTTP/1.1",
                              f"CONNECT localhost:{tls.port} HTTP/1.1"]
        assert proxy.auth == ["Basic dTpwQHNz"] * 2        # base64 of u:p@ss
        monkeypatch.setenv("no_proxy", "localhost")
        assert asyncio.run(go(plain.url("/c", host="localhost"))) == b"secret"
        assert len(proxy.seen) == 2                         # bypassed


def test_a_plain_download_never_imports_aiohttp(tmp_path):
    """The data path and the resolver registry load without aiohttp (0.15 s or more of
    start-up on every `get`); a plain link loads no host-specific resolver at all."""
    data = make_blob(300_000, seed=9)

    async def h(request):
        return web.Response(body=data)

    srv = AppThread(lambda: _mk(h)).start()
    try:
        imported = _get_imports(tmp_path, f"http://127.0.0.1:{srv.port}/m.bin")
    finally:
        srv.stop()
    assert (tmp_path / "d" / "m.bin").read_bytes() == data
    assert {"core.engine", "core.wire", "core.resolvers.direct"} <= imported
    # a plain link needs none of the host-specific resolvers (see core.resolvers.KNOWN_HOSTS)
    assert not [m for m in imported if m.startswith("core.resolvers.") and m not in (
        "core.resolvers.base", "core.resolvers.direct")]
    assert not [m for m in imported if m.split(".")[0] in ("aiohttp", "yarl", "multidict")]
    # argparse imports shutil for the help's width unless given one; get needs it nowhere else
    assert "shutil" not in imported
    # nor does the whole registry (a share or hub link) load aiohttp before a request
    code = ("import sys; from core.resolvers import registry; assert len(registry()) > 10; "
            "print([m for m in sys.modules if m.split('.')[0] in ('aiohttp', 'yarl', 'multidict')])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         check=True).stdout
    assert out.strip() == "[]"


def _get_imports(tmp_path: Path, url: str, **env) -> set[str]:
    """`main.py get -q url` into tmp_path/d as a real process: the modules it loaded."""
    log = tmp_path / "imports.txt"
    # main.py ends `get` with os._exit: the wrapper writes down every loaded module then
    prog = ("import os, sys, runpy\n"
            "real_exit = os._exit\n"
            "def dump_and_exit(rc):\n"
            f"    open({str(log)!r}, 'w').write('\\n'.join(sorted(sys.modules)))\n"
            "    real_exit(rc)\n"
            "os._exit = dump_and_exit\n"
            f"sys.argv = [{str(ROOT / 'main.py')!r}] + sys.argv[1:]\n"
            f"sys.path.insert(0, {str(ROOT)!r})\n"
            "runpy.run_path(sys.argv[0], run_name='__main__')\n")
    env = {**{k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}, **env}
    p = subprocess.run([sys.executable, "-c", prog, "get", "-q", "-d", str(tmp_path / "d"), url],
                       capture_output=True, text=True, env=env, timeout=60)
    assert p.returncode == 0, p.stderr[-2000:]
    return set(log.read_text().split())


def test_an_https_download_of_an_ascii_host_never_imports_the_idna_codec(tls_cert, tmp_path):
    """Its import (with stringprep's, 11 ms) would hold the GIL the start-up's imports
    want, for a name it gives back unchanged: the early thread's handshake, the engine's
    connections and its address lookups pass an ASCII name as bytes."""
    cert, key = tls_cert
    data = make_blob(200_000, seed=4)

    async def h(reader, writer):
        while True:
            _, hdrs = await _read_request(reader)
            rng = hdrs.get("range")
            if rng:
                a, _, b = rng.split("=")[1].partition("-")
                a = int(a)
                body = data[a:int(b) + 1] if b else data[a:]
                head = (f"HTTP/1.1 206 Partial Content\r\nContent-Range: bytes {a}-{a + len(body) - 1}"
                        f"/{len(data)}\r\n")
            else:
                body, head = data, "HTTP/1.1 200 OK\r\n"
            writer.write(f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body)
            await writer.drain()

    with RawServer(h, ssl_ctx=tls_server_context(cert, key)) as s:
        imported = _get_imports(tmp_path, s.url("/m.bin", scheme="https", host="localhost"),
                                SSL_CERT_FILE=str(cert))
    assert (tmp_path / "d" / "m.bin").read_bytes() == data
    assert "ssl" in imported and "core.preconnect" in imported
    assert "encodings.idna" not in imported and "stringprep" not in imported


def _mk(h) -> web.Application:
    app = web.Application()
    app.router.add_get("/m.bin", h)
    return app


def test_an_address_that_never_answers_costs_a_quarter_second_not_a_timeout():
    """Happy eyeballs: with a black-holed first address (a broken IPv6 route, say) the
    next address is tried 0.25 s later and wins."""
    import socket

    async def go(hole, port):
        c = client(connect_timeout=10)
        c._dns[("dual.test", port)] = (time.monotonic(), [(socket.AF_INET, hole),
                                                          (socket.AF_INET, ("127.0.0.1", port))])
        t = time.monotonic()
        resp, _ = await c.get(f"http://dual.test:{port}/f", headers={})
        body = await _body(resp)
        resp.release()
        return body, time.monotonic() - t

    with black_hole() as hole, RawServer(_ok_answer) as s:
        body, took = asyncio.run(go(hole, s.port))
    assert body == b"secret"
    assert 0.2 < took < 2, took


def test_readinto_fills_the_callers_buffer_over_http_and_tls(tls_cert, conn_kind):
    """Bodies read into one preallocated buffer arrive byte-exact, never past the declared
    length (the next answer on the kept-alive connection is intact), over plain TCP and TLS."""
    cert, key = tls_cert
    sctx = tls_server_context(cert, key)
    data = make_blob(5 << 20, seed=9)

    async def h(reader, writer):
        while True:
            await _read_request(reader)
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(data) + data)
            await writer.drain()

    async def go(url, ctx):
        c = client(ssl_context=ctx)
        buf = bytearray(300_000)   # not a divisor of anything: partial fills at the end
        mv = memoryview(buf)
        outs = []
        for _ in range(2):
            resp, _ = await c.get(url, headers={})
            out = bytearray()
            while n := await resp.readinto(mv):
                assert 0 < n <= len(buf)
                out += mv[:n]
            resp.release()
            outs.append(bytes(out))
        kinds = {type(cs[0]).__name__ for cs in c._idle.values() if cs}
        return outs, c.opened, kinds

    trusted = ssl.create_default_context(cafile=str(cert))
    for ctx, scheme in ((None, "http"), (sctx, "https")):
        with RawServer(h, ssl_ctx=ctx) as s:
            outs, opened, kinds = asyncio.run(go(s.url(scheme=scheme, host="localhost"), trusted))
        assert outs == [data, data], scheme
        assert opened == 1, "the second answer came over the kept-alive connection"
        assert kinds == ({"_SockConn"} if conn_kind == "raw-socket" else {"_Conn"})


@pytest.mark.parametrize("conn_kind", ["raw-socket"], indirect=True)
def test_tls_sessions_are_resumed_across_a_hosts_connections(tls_cert, conn_kind):
    """The second connection to a host resumes the first one's TLS session (no full
    handshake: no certificate check, no key exchange) where the socket is read directly
    (the transport-based connection of Windows does not resume)."""
    cert, key = tls_cert
    sctx = tls_server_context(cert, key)

    async def go(url):
        c = client(ssl_context=ssl.create_default_context(cafile=str(cert)))
        r1, _ = await c.get(url, headers={})
        r2, _ = await c.get(url, headers={})   # r1 is not released: a second connection
        reused = [r._conn.sock.session_reused for r in (r1, r2)]
        bodies = [await _body(r) for r in (r1, r2)]
        for r in (r1, r2):
            r.release()
        return reused, bodies, c.opened

    with RawServer(_ok_answer, ssl_ctx=sctx) as s:
        reused, bodies, opened = asyncio.run(go(s.url(scheme="https", host="localhost")))
    assert bodies == [b"secret", b"secret"] and opened == 2
    assert reused == [False, True]


@pytest.mark.parametrize("conn_kind", ["raw-socket"], indirect=True)
def test_tls_body_ended_by_a_close_without_close_notify_is_whole(tls_cert, conn_kind):
    """A body ended by the close of the connection, where the server drops TCP without
    TLS's close_notify (as many do): the body is complete, not an error. A body with a
    declared length cut short the same way is a disconnect, and so is a close before
    any answer (said as such, not as a TLS protocol error)."""
    cert, key = tls_cert
    sctx = tls_server_context(cert, key)
    data = make_blob(200_000, seed=3)

    def handler(head: bytes):
        async def h(reader, writer):
            await _read_request(reader)
            writer.write(head + data)
            await writer.drain()
            await asyncio.sleep(0.2)
            writer.transport.abort()   # no close_notify
        return h

    async def go(url):
        c = client(ssl_context=ssl.create_default_context(cafile=str(cert)))
        resp, _ = await c.get(url, headers={})
        buf = memoryview(bytearray(65536))
        out = bytearray()
        try:
            while n := await resp.readinto(buf):
                out += buf[:n]
        finally:
            resp.close()
        return bytes(out)

    with RawServer(handler(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n"), ssl_ctx=sctx) as s:
        assert asyncio.run(go(s.url(scheme="https", host="localhost"))) == data
    cut = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % (len(data) + 1000)
    with RawServer(handler(cut), ssl_ctx=sctx) as s:
        with pytest.raises(wire.ServerDisconnected):
            asyncio.run(go(s.url(scheme="https", host="localhost")))

    async def silent(reader, writer):   # reads the request, drops the connection
        await _read_request(reader)
        writer.transport.abort()
    with RawServer(silent, ssl_ctx=sctx) as s:
        with pytest.raises(wire.ServerDisconnected, match="closed the connection without answering"):
            asyncio.run(go(s.url(scheme="https", host="localhost")))


def test_connections_send_without_waiting_for_acks(tls_cert):
    """TCP_NODELAY on every connection, plain and TLS: with Nagle's rule a TLS request
    written right after the handshake waited for the server's delayed ACK (40 ms on
    loopback; 15 connections opening together each lost that much)."""
    import socket
    cert, key = tls_cert
    sctx = tls_server_context(cert, key)

    async def go(url):
        c = client(ssl_context=ssl.create_default_context(cafile=str(cert)))
        resp, _ = await c.get(url, headers={})
        conn = resp._conn
        sock = conn.sock if isinstance(conn, wire._SockConn) else conn.transport.get_extra_info("socket")
        nodelay = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
        await _body(resp)
        resp.release()
        await c.close()
        return nodelay

    with RawServer(_ok_answer) as plain, RawServer(_ok_answer, ssl_ctx=sctx) as tls:
        assert asyncio.run(go(plain.url())) != 0
        assert asyncio.run(go(tls.url(scheme="https", host="localhost"))) != 0


@pytest.mark.parametrize("conn_kind", ["raw-socket"], indirect=True)
def test_a_refused_certificate_elsewhere_does_not_break_the_resumption_of_a_trusted_host(
        tls_cert, tmp_path, monkeypatch, conn_kind):
    """A refused certificate (host B) makes the default context anew, so a fixed CA store is
    read by the next try; a TLS session of the old context (host A's) cannot be offered in
    the new one (ssl refuses: "Session refers to a different SSLContext"). A's next
    connection makes a full handshake in the new context instead, and then resumes again."""
    from core import preconnect
    cert, key = tls_cert
    other = self_signed_cert(tmp_path, "localhost", "DNS:localhost")
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))        # A's certificate is trusted, B's not
    monkeypatch.setattr(preconnect, "_context", None)

    async def go(a_url, b_url):
        c = client()
        reused = []
        for _ in range(2):
            r, _ = await c.get(a_url, headers={})
            await _body(r)
            reused.append(r._conn.sock.session_reused)
            r._conn.close()              # a new connection each time
        with pytest.raises(wire.ConnectError) as e:
            await c.get(b_url, headers={})
        for _ in range(2):
            r, _ = await c.get(a_url, headers={})
            assert await _body(r) == b"secret"
            reused.append(r._conn.sock.session_reused)
            r._conn.close()
        await c.close()
        return reused, e.value.cause

    with RawServer(_ok_answer, ssl_ctx=tls_server_context(cert, key)) as a, \
            RawServer(_ok_answer, ssl_ctx=tls_server_context(*other)) as b:
        reused, cause = asyncio.run(go(a.url(scheme="https", host="localhost"),
                                       b.url(scheme="https", host="localhost")))
    assert cause == "certificate"
    assert reused == [False, True, False, True]


def test_a_connection_idle_too_long_is_closed_though_no_request_comes_for_its_host(monkeypatch):
    """A long-lived client (the app's engine) closes a kept-alive connection once it has
    been idle for IDLE_KEEP, without waiting for a request to its host that may never come;
    one used again before that stays open and is closed when its own time is up."""
    monkeypatch.setattr(wire, "IDLE_KEEP", 0.3)
    closed: dict[int, float] = {}

    async def h(reader, writer):
        key = id(writer)
        try:
            while True:
                await _read_request(reader)
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecret")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            closed[key] = time.monotonic()      # the client closed its side

    async def go(a_url, b_url):
        c = client()
        t0 = time.monotonic()
        for url in (a_url, b_url):
            r, _ = await c.get(url, headers={})
            assert await _body(r) == b"secret"
            r.release()
        await asyncio.sleep(0.2)
        r, _ = await c.get(b_url, headers={})    # b's connection is used again: idle from now
        await _body(r)
        r.release()
        t_b = time.monotonic()
        pooled_then = sum(len(v) for v in c._idle.values())
        await asyncio.sleep(1.2)
        left = sum(len(v) for v in c._idle.values())
        await c.close()
        return t0, t_b, pooled_then, left, c.opened

    with RawServer(h) as a, RawServer(h) as b:
        t0, t_b, pooled_then, left, opened = asyncio.run(go(a.url("/f"), b.url("/f")))
        time.sleep(0.1)
    assert opened == 2 and pooled_then == 2 and left == 0
    assert len(closed) == 2, "both connections were closed by the client"
    first, second = sorted(closed.values())
    assert 0.25 <= first - t0 <= 1.0                  # a's: about IDLE_KEEP after its answer
    assert second - t_b >= 0.25                       # b's: counted from its last use
