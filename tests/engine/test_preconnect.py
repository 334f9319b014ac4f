"""The TCP handshake begun as `get` starts (core/preconnect.py), against real local
servers: the engine's first connection takes that socket; an early attempt that hangs or
fails costs no more than the usual connect; one nobody takes is closed."""

from __future__ import annotations

import asyncio
import socket
import time

import pytest
from servers import RawServer, black_hole
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
