"""The connection begun as `get` starts (core/preconnect.py), against real local servers:
the engine's first connection takes that socket (over https with its TLS handshake done,
the next connections resuming its session); an early attempt that hangs or fails costs no
more than the usual connect and leaves the usual error; one nobody takes is closed."""

from __future__ import annotations

import asyncio
import socket
import ssl
import time

import pytest
from servers import RawServer, black_hole, far, read_request, tls_server_context
from servers import ok_answer as _ok_answer
from servers import read_body as _body
from servers import wire_client as client

from core import preconnect


async def _fetch(url: str) -> tuple[bytes, int]:
    """The body of one GET by a new client, and how many connections that client made."""
    c = client()
    resp, _ = await c.get(url, headers={})
    body = await _body(resp)
    resp.release()
    return body, c.opened


@pytest.fixture(autouse=True)
def _clean():
    yield
    with preconnect._lock:
        for e in preconnect._early.values():
            e._close()
        preconnect._early.clear()


def _wait_done(e: preconnect.Early) -> None:
    deadline = time.monotonic() + 5
    while not e.done and time.monotonic() < deadline:
        time.sleep(0.01)
    assert e.done


class PeerServer(RawServer):
    """Answers every request with "secret" and writes down each connection's client port."""

    def __init__(self):
        self.peers: list[int] = []

        async def handler(reader, writer):
            self.peers.append(writer.get_extra_info("peername")[1])
            await _ok_answer(reader, writer)
        super().__init__(handler)


def test_the_first_connection_takes_the_early_socket():
    with PeerServer() as s:
        e = preconnect.start("127.0.0.1", s.port)
        _wait_done(e)
        assert e.sock is not None
        early_port = e.sock.getsockname()[1]
        body, opened = asyncio.run(_fetch(s.url()))
    assert body == b"secret" and opened == 1
    assert s.peers == [early_port]           # the request went out on the early socket
    assert preconnect.take("127.0.0.1", s.port) is None   # taken once, by that connection


def test_the_connect_waits_for_an_early_attempt_still_under_way():
    """The request is made right after the early start, its handshake most likely still
    in flight: the request waits for that socket rather than opening a second connection."""
    with PeerServer() as s:
        e = preconnect.start("127.0.0.1", s.port)
        body, opened = asyncio.run(_fetch(s.url()))
        _wait_done(e)
    assert body == b"secret" and opened == 1 and len(s.peers) == 1


def test_a_hanging_early_attempt_costs_a_quarter_second_not_a_timeout():
    """The early handshake goes to an address that never answers (a full accept queue
    drops further SYNs): the usual attempt starts 0.25 s later and wins."""
    with black_hole() as (_, port), PeerServer() as s:
        e = preconnect.start("127.0.0.1", port)

        async def go():
            c = client(connect_timeout=10)
            # the name of the link resolves (for the usual attempts) to the live server
            c._dns[("127.0.0.1", port)] = (time.monotonic(), [(socket.AF_INET, ("127.0.0.1", s.port))])
            t = time.monotonic()
            resp, _ = await c.get(f"http://127.0.0.1:{port}/f", headers={})
            body = await _body(resp)
            resp.release()
            return body, time.monotonic() - t
        body, took = asyncio.run(go())
    assert body == b"secret"
    assert 0.2 < took < 2, took
    assert e.abandoned and e.sock is None


def test_a_failed_early_attempt_leaves_the_usual_error():
    with RawServer(lambda r, w: asyncio.sleep(0)) as s:
        port = s.port
    e = preconnect.start("127.0.0.1", port)    # nothing listens there now
    _wait_done(e)
    assert isinstance(e.error, ConnectionRefusedError)

    async def go():
        with pytest.raises(Exception) as info:
            await client().get(f"http://127.0.0.1:{port}/f", headers={})
        return info.value
    err = asyncio.run(go())
    assert err.__class__.__name__ == "ConnectError" and err.cause == "refused", err
    assert "cannot connect" in str(err)


def test_an_early_socket_nobody_takes_is_closed():
    closed = []

    async def handler(reader, writer):
        closed.append(await reader.read() == b"")    # EOF: the client closed it

    with RawServer(handler) as s:
        e = preconnect.start("127.0.0.1", s.port, keep=0.2)
        deadline = time.monotonic() + 5
        while not closed and time.monotonic() < deadline:
            time.sleep(0.02)
        assert closed == [True]
        assert preconnect.take("127.0.0.1", s.port) is None and e.sock is None


@pytest.mark.parametrize("argv, link", [
    (["-q", "-d", "out", "http://h/a.bin"], "http://h/a.bin"),
    (["--referer", "https://r/page", "https://h/a.bin"], "https://h/a.bin"),
    (["--referer=https://r/page", "-x", "4", "https://h/a.bin", "https://other/b"], "https://h/a.bin"),
    (["-v", "https://h/a.bin"], "https://h/a.bin"),
    (["--mirror", "https://m/a.bin"], None),
    (["a.txt"], None),
])
def test_the_link_of_a_get_command_line(argv, link):
    assert preconnect.link_of(argv) == link


def test_no_early_connection_through_a_proxy(monkeypatch):
    """With a proxy in the environment the request goes to the proxy: no direct
    connection to the link's host may be made at all."""
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    assert preconnect.start_for_argv(["https://h.example/a.bin"]) is None
    assert not preconnect._early
    monkeypatch.delenv("HTTPS_PROXY")
    for k in [k for k in __import__("os").environ if k.lower().endswith("_proxy")]:
        monkeypatch.delenv(k)
    e = preconnect.start_for_argv(["-q", "http://127.0.0.1:9/a.bin"])   # discard port
    assert e is not None and (e.host, e.port) == ("127.0.0.1", 9)


# -- the TLS handshake made early (https links) ---------------------------------------------

@pytest.fixture
def trusted(tls_cert, monkeypatch):
    """The engine's default TLS context (core/preconnect.py's, which the early thread uses
    too) trusts the test certificate, as SSL_CERT_FILE would make it for `get`."""
    ctx = ssl.create_default_context(cafile=str(tls_cert[0]))
    monkeypatch.setattr(preconnect, "_context", ctx)
    return ctx


class TLSHost:
    """A TLS server answering every request with "secret" (the first answer ``hold``
    seconds late). Notes the SNI of every ClientHello (one per handshake begun, even one
    that fails), whether each connection's session was resumed, and when each request
    came and its answer left."""

    def __init__(self, tls_cert, version: str | None = None, hold: float = 0.0):
        cert, key = tls_cert
        self.ctx = tls_server_context(cert, key)
        if version:
            self.ctx.maximum_version = getattr(ssl.TLSVersion, version)
        self.hello: list[str | None] = []
        self.ctx.sni_callback = lambda obj, name, ctx: self.hello.append(name)
        self.hold = hold
        self.resumed: list[bool] = []
        self.server: RawServer | None = None

    async def __call__(self, reader, writer):
        self.resumed.append(writer.get_extra_info("ssl_object").session_reused)
        while True:
            await read_request(reader)
            if self.hold:
                hold, self.hold = self.hold, 0.0
                await asyncio.sleep(hold)
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecret")
            await writer.drain()

    def __enter__(self) -> RawServer:
        self.server = RawServer(self, ssl_ctx=self.ctx).__enter__()
        return self.server

    def __exit__(self, *exc) -> None:
        assert self.server is not None
        self.server.__exit__(*exc)


def _early_tls(port: int, name: str = "localhost") -> tuple[preconnect.Early, ssl.SSLSocket]:
    """An early connection to localhost:port with TLS for ``name``, once its handshake is
    done: (it, its socket)."""
    e = preconnect.start("localhost", port, server_hostname=name)
    _wait_done(e)
    assert e.error is None and isinstance(e.sock, ssl.SSLSocket), e.error
    return e, e.sock


def test_an_https_connection_takes_the_early_socket_with_its_handshake_done(tls_cert, trusted):
    host = TLSHost(tls_cert)
    with host as s:
        e, early_sock = _early_tls(s.port)
        assert host.hello == ["localhost"]     # the handshake was made early, for that name

        async def go():
            c = client()
            resp, _ = await c.get(s.url(scheme="https", host="localhost"), headers={})
            taken = resp._conn.sock is early_sock
            body = await _body(resp)
            resp.release()
            return body, taken, c.opened
        body, taken, opened = asyncio.run(go())
    assert body == b"secret" and opened == 1
    assert taken, "the request went out on the early TLS socket"
    assert host.hello == ["localhost"], "and no second handshake was made"
    assert e.context is trusted and preconnect.tls_context() is trusted


def test_the_connect_waits_for_an_early_tls_handshake_under_way(tls_cert, trusted):
    """The request is made right after the early start: it waits for that connection's
    handshake rather than making one of its own."""
    host = TLSHost(tls_cert)
    with host as s:
        e = preconnect.start("localhost", s.port, server_hostname="localhost")

        async def go():
            c = client()
            resp, _ = await c.get(s.url(scheme="https", host="localhost"), headers={})
            body = await _body(resp)
            resp.release()
            return body, c.opened
        body, opened = asyncio.run(go())
        _wait_done(e)
    assert body == b"secret" and opened == 1
    assert e.tls and e.error is None
    assert host.hello == ["localhost"] and len(host.resumed) == 1


@pytest.mark.parametrize("version", ["TLSv1_2", "TLSv1_3"])
def test_the_next_connections_resume_the_early_connections_session(tls_cert, trusted, version):
    """Over TLS 1.2 the connections opened ahead while the first answer is held back resume
    the early connection's session; over TLS 1.3 (the ticket comes after the handshake)
    a connection opened after the first answer does."""
    host = TLSHost(tls_cert, version, hold=0.3)
    with host as s:
        url = s.url(scheme="https", host="localhost")
        _, early_sock = _early_tls(s.port)

        async def go():
            c = client()
            r, _ = await c.get(url, headers={}, warm=2)
            taken = r._conn.sock is early_sock
            await _body(r)
            # r not released: these two go over the ones opened ahead, the third over a new one
            rest = [(await c.get(url, headers={}))[0] for _ in range(3)]
            resumed = [x._conn.sock.session_reused for x in rest]
            for x in [r, *rest]:
                await _body(x)
                x.release()
            await c.close()
            return taken, resumed, c.opened, c.warmed
        taken, resumed, opened, warmed = asyncio.run(go())
    assert taken and opened == 4 and warmed == 2
    assert host.resumed[0] is False      # the early connection: a full handshake
    if version == "TLSv1_2":
        assert resumed == [True, True, True] and host.resumed[1:] == [True, True, True]
    else:
        assert resumed[2] is True and host.resumed[3] is True
    assert len(host.hello) == 4


def test_a_usual_attempt_gives_way_to_an_early_tls_handshake_under_way(tls_cert, trusted):
    """Far away (0.4 s round trip) the early handshake takes longer than the quarter second
    after which the usual attempt starts; that one connects while the early handshake is
    under way, which began sooner: it waits for it and gives way, rather than make a
    second handshake."""
    host = TLSHost(tls_cert)
    with host as s, far(s.port, 0.4) as (_, pport):
        e = preconnect.start("localhost", pport, server_hostname="localhost")

        async def go():
            c = client()
            resp, _ = await c.get(f"https://localhost:{pport}/f", headers={})
            early = resp._conn.sock.do_handshake_on_connect    # the early thread's handshake
            body = await _body(resp)
            resp.release()
            return body, early, c.opened
        body, early, opened = asyncio.run(go())
    assert body == b"secret" and opened == 1
    assert early and e.tls and e.error is None
    assert host.hello == ["localhost"], "one handshake"


async def _error(url: str) -> Exception:
    with pytest.raises(Exception) as info:
        await client().get(url, headers={})
    return info.value


@pytest.mark.parametrize("wait", [True, False], ids=["failed-before", "failing-during"])
def test_an_early_handshake_with_an_untrusted_certificate_leaves_the_usual_error(tls_cert, wait):
    """The system's CA store does not know the test certificate: the early handshake fails,
    and the request reports what the usual attempt finds, word for word as without an
    early connection (also when the request comes while the early handshake still runs)."""
    host = TLSHost(tls_cert)
    with host as s:
        url = s.url(scheme="https", host="localhost")
        usual = asyncio.run(_error(url))
        hellos = len(host.hello)
        e = preconnect.start("localhost", s.port, server_hostname="localhost")
        if wait:
            _wait_done(e)
        err = asyncio.run(_error(url))
        _wait_done(e)
    assert e.tls_failed and isinstance(e.error, ssl.SSLCertVerificationError), e.error
    assert (type(err), err.cause, str(err)) == (type(usual), usual.cause, str(usual))
    assert err.cause == "certificate" and "CERTIFICATE_VERIFY_FAILED" in str(err)
    assert len(host.hello) == hellos + 2     # the early handshake and the usual one


def test_a_client_with_its_own_tls_context_leaves_the_early_tls_socket(tls_cert, trusted):
    """Its connections could not resume a session of the early one's context: it connects
    itself, and the early socket is closed."""
    host = TLSHost(tls_cert)
    with host as s:
        e, early_sock = _early_tls(s.port)

        async def go():
            c = client(ssl_context=ssl.create_default_context(cafile=str(tls_cert[0])))
            resp, _ = await c.get(s.url(scheme="https", host="localhost"), headers={})
            taken = resp._conn.sock is early_sock
            body = await _body(resp)
            resp.release()
            return body, taken
        body, taken = asyncio.run(go())
    assert body == b"secret" and not taken
    assert host.hello == ["localhost", "localhost"]     # a handshake of its own
    assert e.abandoned and e.sock is None and early_sock.fileno() == -1


def test_a_request_for_another_host_name_leaves_the_early_tls_socket(tls_cert, trusted):
    """Made for "localhost" on 127.0.0.1: a request for https://127.0.0.1 (its own name,
    no SNI) connects itself."""
    host = TLSHost(tls_cert)
    with host as s:
        e = preconnect.start("127.0.0.1", s.port, server_hostname="localhost")
        _wait_done(e)
        assert e.error is None
        body, opened = asyncio.run(_fetch(s.url(scheme="https")))
    assert body == b"secret" and opened == 1
    assert host.hello == ["localhost", None]
    assert e.abandoned and e.sock is None


def test_a_far_https_request_after_the_early_handshake_takes_one_round_trip(tls_cert, trusted):
    """`get` far away, its imports longer than the handshakes: through a 0.4 s round trip the
    request made once the early connection is open gets its answer after one round trip
    (the request's own) when the TLS handshake was made early, after two when only the TCP
    handshake was (the TLS handshake's round trip comes first)."""
    rtt = 0.4
    host = TLSHost(tls_cert)

    async def timed(url):
        c = client()
        t = time.monotonic()
        resp, _ = await c.get(url, headers={})
        took = time.monotonic() - t
        assert await _body(resp) == b"secret"
        resp.release()
        return took

    took = {}
    with host as s, far(s.port, rtt) as (_, pport):
        url = f"https://localhost:{pport}/f"
        for name in (None, "localhost"):
            e = preconnect.start("localhost", pport, server_hostname=name)
            _wait_done(e)
            assert e.error is None
            # the proxy accepts at once and holds the first bytes one round trip (a TCP
            # handshake's): the imports outlast that too
            time.sleep(rtt)
            took[name] = asyncio.run(timed(url))
    assert took[None] >= 2 * rtt
    assert took["localhost"] < 1.5 * rtt, took
