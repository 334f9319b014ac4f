"""Connections opened ahead (core/wire.py, ``warm``): a download's first request to a far
host connects the connections that will follow its answer while the answer is on its way,
so their handshakes are done when they are needed. A near host's quick answer opens nothing
ahead. The far host here is a local server that holds its first answer back."""

from __future__ import annotations

import asyncio
import ssl
import time

import pytest

from core import wire
from tests.servers import (
    RawServer,
    far,
    make_blob,
    read_body,
    read_request,
    run_download,
    sha256,
    tls_server_context,
    wire_client,
)

HOLD = 0.3    # how long the "far" server keeps its first answer back


class Host:
    """A server that answers every request with ``body`` (honouring one Range), the first
    answer ``hold`` seconds late, and notes when each connection was accepted and closed."""

    def __init__(self, body: bytes = b"hello", hold: float = HOLD, status: str = "200 OK",
                 extra: str = ""):
        self.body, self.hold, self.status, self.extra = body, hold, status, extra
        self.accepted: list[float] = []
        self.closed: list[float] = []
        self.requests: list[tuple[int, float, str]] = []   # (connection no., time, range)
        self.first_answer_at: float | None = None

    async def __call__(self, reader, writer):
        no = len(self.accepted)
        self.accepted.append(time.monotonic())
        try:
            while True:
                try:
                    line, hdrs = await read_request(reader)
                except asyncio.IncompleteReadError:
                    return
                self.requests.append((no, time.monotonic(), hdrs.get("range", "")))
                if self.first_answer_at is None:
                    await asyncio.sleep(self.hold)
                    self.first_answer_at = time.monotonic()
                body, status, head = self.body, self.status, self.extra
                rng = hdrs.get("range")
                if rng and self.status.startswith("200") and self.body:
                    a, _, b = rng[6:].partition("-")
                    a, b = int(a), min(int(b) if b else len(self.body) - 1, len(self.body) - 1)
                    body, status = self.body[a:b + 1], "206 Partial Content"
                    head += f"Content-Range: bytes {a}-{b}/{len(self.body)}\r\n"
                writer.write(f"HTTP/1.1 {status}\r\nContent-Length: {len(body)}\r\n{head}\r\n".encode() + body)
                await writer.drain()
        finally:
            self.closed.append(time.monotonic())


async def _get(c, url, **kw):
    resp, _ = await c.get(url, headers={}, **kw)
    body = await read_body(resp)
    reused = resp.reused
    resp.release()
    return body, reused


def test_a_slow_first_answer_opens_the_following_connections_meanwhile():
    host = Host()

    async def go(url):
        c = wire_client()
        first = await _get(c, url, warm=3)
        # the three that follow go out at once over the connections opened ahead
        rest = await asyncio.gather(*(c.get(url, headers={}) for _ in range(3)))
        out = [(await read_body(r), r.reused) for r, _ in rest]
        for r, _ in rest:
            r.release()
        await c.close()
        return first, out, c.opened, c.warmed

    with RawServer(host) as s:
        first, rest, opened, warmed = asyncio.run(go(s.url()))
    assert first == (b"hello", False)
    assert rest == [(b"hello", True)] * 3
    assert opened == 4 and warmed == 3 and len(host.accepted) == 4
    # all three were connected while the first answer was held back, not after it
    assert host.first_answer_at is not None
    assert all(t < host.first_answer_at for t in host.accepted[1:])
    assert all(t >= host.first_answer_at for _, t, _ in host.requests[1:])


def test_a_quick_answer_opens_nothing_ahead():
    host = Host(hold=0)

    async def go(url):
        c = wire_client()
        got = await _get(c, url, warm=15)
        await asyncio.sleep(wire.WARM_AFTER * 3)
        await c.close()
        return got, c.opened, c.warmed

    with RawServer(host) as s:
        got, opened, warmed = asyncio.run(go(s.url()))
    assert got == (b"hello", False)
    assert (opened, warmed, len(host.accepted)) == (1, 0, 1)


def test_without_warm_a_slow_answer_opens_nothing_ahead():
    host = Host()

    async def go(url):
        c = wire_client()
        got = await _get(c, url)
        await c.close()
        return got, c.opened

    with RawServer(host) as s:
        got, opened = asyncio.run(go(s.url()))
    assert got == (b"hello", False) and opened == 1 and len(host.accepted) == 1


def test_connections_opened_ahead_count_the_idle_ones():
    """A request asking to warm 3 that takes one of two idle connections of the host
    opens two more (the other idle one serves the third), not three."""
    host = Host()

    async def go(url):
        c = wire_client()
        a, b = await asyncio.gather(c.get(url, headers={}), c.get(url, headers={}))
        for r, _ in (a, b):
            await read_body(r)
            r.release()
        host.first_answer_at = None        # the next first answer is held back again
        r, _ = await c.get(url, headers={}, warm=3)   # takes one of the two idle ones
        await read_body(r)
        r.release()
        await asyncio.sleep(0.05)
        await c.close()
        return c.opened, c.warmed

    with RawServer(host) as s:
        opened, warmed = asyncio.run(go(s.url()))
    assert (opened, warmed) == (4, 2), (opened, warmed)


def test_a_redirect_to_another_host_closes_the_connections_opened_for_the_first():
    target = Host(hold=0, body=b"moved here")

    async def go(src, dst_url):
        c = wire_client()
        src.extra = f"Location: {dst_url}\r\n"
        got = await _get(c, src_url, warm=3)
        await asyncio.sleep(0.1)
        await c.close()
        return got, c.warmed

    with RawServer(target) as t:
        src = Host(status="302 Found", body=b"")
        with RawServer(src) as s:
            src_url = s.url()
            got, warmed = asyncio.run(go(src, t.url()))
            deadline = time.monotonic() + 5
            while len(src.closed) < 4 and time.monotonic() < deadline:
                time.sleep(0.02)
    assert got == (b"moved here", False)
    assert len(src.accepted) == 4, "three were opened ahead while the redirect was held back"
    assert len(src.closed) == 4, "...and closed once the download went elsewhere"
    assert len(src.requests) == 1, "none of them was used"
    assert len(target.accepted) == 1 and warmed == 3


def test_close_while_opening_ahead_leaves_nothing_open():
    host = Host(hold=1.0)

    async def go(url):
        c = wire_client()
        task = asyncio.ensure_future(c.get(url, headers={}, warm=5))
        await asyncio.sleep(0.2)         # the five are open (or opening) by now
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await c.close()

    with RawServer(host) as s:
        asyncio.run(go(s.url()))
        deadline = time.monotonic() + 5
        while len(host.closed) < len(host.accepted) and time.monotonic() < deadline:
            time.sleep(0.02)
    assert len(host.accepted) == 6
    assert len(host.closed) == 6, "every connection opened ahead was closed"


@pytest.mark.parametrize("version", ["TLSv1_2", "TLSv1_3"])
def test_tls_connections_opened_ahead_are_ready_for_their_requests(tls_cert, version):
    """Over TLS 1.2 the ones opened ahead resume the first connection's session (it is
    there as soon as the first handshake ends); over TLS 1.3 the session ticket comes
    later, so they make full handshakes, still before the first answer."""
    cert, key = tls_cert
    sctx = tls_server_context(cert, key)
    sctx.maximum_version = getattr(ssl.TLSVersion, version)
    host = Host()

    async def go(url):
        c = wire_client(ssl_context=ssl.create_default_context(cafile=str(cert)))
        r, _ = await c.get(url, headers={}, warm=2)
        first_reused = r._conn.sock.session_reused
        # the first answer not read yet: the next two go over the ones opened ahead
        rest = await asyncio.gather(*(c.get(url, headers={}) for _ in range(2)))
        info = [(await read_body(x), x.reused, x._conn.sock.session_reused) for x, _ in rest]
        for x, _ in [(r, None), *rest]:
            await read_body(x)
            x.release()
        await c.close()
        return first_reused, info, c.opened

    with RawServer(host, ssl_ctx=sctx) as s:
        first_reused, info, opened = asyncio.run(go(s.url(scheme="https", host="localhost")))
    assert first_reused is False and opened == 3 and len(host.accepted) == 3
    assert [i[:2] for i in info] == [(b"hello", True)] * 2
    assert all(t < host.first_answer_at for t in host.accepted[1:])
    assert [i[2] for i in info] == ([True, True] if version == "TLSv1_2" else [False, False])


def test_a_far_tls_handshake_opens_the_following_connections_before_the_request(tls_cert):
    """Far away the probe's own TLS handshake takes round trips: the ones that follow are
    connected while it runs (WARM_CONNECTING), not only once its request is out. Through
    a 0.3 s round trip the handshake takes 0.6 s or more; the others reach the server
    within a fraction of that."""
    cert, key = tls_cert
    sctx = tls_server_context(cert, key)
    sctx.maximum_version = ssl.TLSVersion.TLSv1_2
    host = Host(hold=0)

    async def go(url):
        c = wire_client(ssl_context=ssl.create_default_context(cafile=str(cert)))
        r, _ = await c.get(url, headers={}, warm=2)
        # the two that follow (r not released yet) go over the ones opened ahead
        rest = await asyncio.gather(*(c.get(url, headers={}) for _ in range(2)))
        for x, _ in [(r, None), *rest]:
            await read_body(x)
            x.release()
        await c.close()
        return c.warmed

    with RawServer(host, ssl_ctx=sctx) as s, far(s.port, 0.3) as (_, pport):
        warmed = asyncio.run(go(f"https://localhost:{pport}/f"))
    assert warmed == 2 and len(host.accepted) == 3
    # The server's handler starts when a TLS handshake is done. The first: its ClientHello
    # reaches the server after the TCP handshake's round trip and half of one (1.5 RTT),
    # the server has it done at 2.5 RTT. The others, connected 50 ms in, start theirs (a
    # resumed one) as soon as the first is done on the client's side (3 RTT): done on
    # the server's at 4.5 RTT, 2 RTT after the first. Connected only after the first
    # request was out, their own TCP round trip would come first: 3 RTT after the first.
    rtt = 0.3
    assert all(t - host.accepted[0] < 2.5 * rtt for t in host.accepted[1:]), host.accepted


def test_a_download_from_a_far_host_connects_its_connections_during_the_probe(tmp_path):
    """The engine's probe asks to warm as many connections as the download will open
    after it: with 4 connections, 3 are connected before the probe's answer, and the
    file is whole."""
    data = make_blob(4 << 20)
    host = Host(body=data)
    with RawServer(host) as s:
        path, _ = run_download(s.url("/w.bin"), tmp_path, connections=4, min_split=256 << 10)
    assert path.read_bytes() == data and sha256(path.read_bytes()) == sha256(data)
    assert len(host.accepted) >= 4
    assert sum(t < host.first_answer_at for t in host.accepted) == 4


def test_a_one_connection_download_opens_nothing_ahead(tmp_path):
    data = make_blob(1 << 20)
    host = Host(body=data)
    with RawServer(host) as s:
        path, _ = run_download(s.url("/one.bin"), tmp_path, connections=1)
    assert path.read_bytes() == data
    assert len(host.accepted) == 1
