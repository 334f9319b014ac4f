"""core/netguard.py: the protections shared by the share server and the browser RPC,
checked on their own (a small aiohttp app, real sockets, real threads)."""

from __future__ import annotations

import asyncio
import socket
import threading
import time

import pytest
from aiohttp import web

from core import netguard
from core.netguard import (
    BadRequest,
    ConnectionGuard,
    FailureCounter,
    GuardLimits,
    SecretCheckGate,
    Verdict,
)


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_failure_counter_is_atomic_under_threads():
    """200 threads start an attempt at the same moment: exactly `limit` are let through."""
    fc = FailureCounter(limit=10, window=600)
    barrier = threading.Barrier(200)
    admitted = []

    def attempt() -> None:
        barrier.wait()
        if fc.begin(("1.2.3.4", "share")):
            admitted.append(1)
            time.sleep(0.001)
            fc.end(("1.2.3.4", "share"), failed=True)
    threads = [threading.Thread(target=attempt) for _ in range(200)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(admitted) == 10
    assert fc.failures(("1.2.3.4", "share")) == 10
    assert not fc.begin(("1.2.3.4", "share"))
    assert fc.begin(("1.2.3.5", "share"))           # per client ...
    assert fc.begin(("1.2.3.4", "other"))           # ... and per share


def test_failure_counter_window_and_retry_after():
    clock = FakeClock()
    fc = FailureCounter(limit=2, window=60, clock=clock)
    for _ in range(2):
        assert fc.begin("k")
        fc.end("k", failed=True)
    assert not fc.begin("k") and 59 <= fc.retry_after("k") <= 60
    clock.now += 30
    assert not fc.begin("k") and 29 <= fc.retry_after("k") <= 30
    clock.now += 31
    assert fc.begin("k") and fc.retry_after("k") == 0
    fc.end("k", failed=False)                        # a success is not a failure
    assert fc.failures("k") == 0


def test_failure_counter_forgets_old_keys_beyond_its_bound():
    fc = FailureCounter(limit=1, window=600, max_keys=100)
    for i in range(1000):
        fc.begin(i)
        fc.end(i, failed=True)
    assert len(fc._fails) == 100 and fc.failures(999) == 1 and fc.failures(0) == 0


def _gate(**kw) -> SecretCheckGate:
    return SecretCheckGate(FailureCounter(limit=10, window=600), **kw)


def test_gate_identical_attempts_share_one_check_on_its_own_threads():
    calls = []

    def verify() -> bool:
        calls.append(threading.current_thread().name)
        time.sleep(0.2)
        return True

    async def run():
        gate = _gate()
        try:
            got = await asyncio.gather(*(gate.check("c", "s", "same", verify) for _ in range(16)))
            again = await gate.check("c2", "s", "same", verify)       # remembered
            return got, again
        finally:
            gate.close()
    got, again = asyncio.run(run())
    assert got == [Verdict.OK] * 16 and again is Verdict.OK
    assert len(calls) == 1 and calls[0].startswith("secret-check")


def test_gate_caps_running_checks_and_answers_the_rest_busy_without_hashing():
    release = threading.Event()
    started = []

    def slow_wrong() -> bool:
        started.append(1)
        release.wait(10)
        return False

    async def run():
        gate = _gate(max_running=4, max_per_client=2)
        try:
            tasks = [asyncio.ensure_future(gate.check(f"c{i}", "s", f"a{i}", slow_wrong))
                     for i in range(10)]
            await asyncio.sleep(0.2)
            busy = [t.result() for t in tasks if t.done()]
            same_client = await gate.check("c0", "s", "another", slow_wrong)
            release.set()
            rest = await asyncio.gather(*tasks)
            return busy, same_client, rest, gate.checks
        finally:
            gate.close()
    busy, same_client, rest, checks = asyncio.run(run())
    assert busy == [Verdict.BUSY] * 6 and same_client is Verdict.BUSY
    assert rest.count(Verdict.WRONG) == 4 and checks == 4 and len(started) == 4


def test_gate_counts_an_attempt_whose_client_left():
    release = threading.Event()
    fc = FailureCounter(limit=10, window=600)

    async def run():
        gate = SecretCheckGate(fc)
        try:
            t = asyncio.ensure_future(gate.check("c", "s", "a", lambda: release.wait(10) and False))
            await asyncio.sleep(0.1)
            t.cancel()
            release.set()
            await asyncio.sleep(0.3)
        finally:
            gate.close()
    asyncio.run(run())
    assert fc.failures(("c", "s")) == 1


def test_gate_stops_at_the_limit():
    async def run():
        gate = _gate()
        try:
            got = [await gate.check("c", "s", f"g{i}", lambda: False) for i in range(12)]
            right = await gate.check("c", "s", "right", lambda: True)
            other = await gate.check("d", "s", "right", lambda: True)
            return got, right, other
        finally:
            gate.close()
    got, right, other = asyncio.run(run())
    assert got == [Verdict.WRONG] * 10 + [Verdict.TOO_MANY] * 2
    assert right is Verdict.TOO_MANY and other is Verdict.OK


def test_token_matches():
    assert netguard.token_matches("abc", "abc")
    assert netguard.token_matches(b"abc", "abc")
    for given in ("abd", "ab", "abcd", "", None, "x" * 10_000):
        assert not netguard.token_matches(given, "abc")
    assert not netguard.token_matches("", "")


@pytest.mark.parametrize("headers, extra, why", [
    ({"Host": "127.0.0.1:8"}, (), None),
    ({"Host": "LOCALHOST:8"}, (), None),
    ({"Host": "evil.example:8"}, (), "unexpected Host header"),
    ({}, (), "unexpected Host header"),
    ({"Host": "127.0.0.1:8", "Origin": "http://127.0.0.1:8"}, (), None),
    ({"Host": "127.0.0.1:8", "Origin": "https://127.0.0.1:8"}, (), "cross-origin request"),
    ({"Host": "127.0.0.1:8", "Origin": "null"}, (), "cross-origin request"),
    ({"Host": "127.0.0.1:8", "Origin": "http://evil.example"}, (), "cross-origin request"),
    ({"Host": "127.0.0.1:8", "Sec-Fetch-Site": "cross-site"}, (), "cross-site request"),
    ({"Host": "127.0.0.1:8", "Sec-Fetch-Site": "none"}, (), None),
    ({"Host": "127.0.0.1:8", "Origin": "chrome-extension://abc", "Sec-Fetch-Site": "cross-site"},
     ("chrome-extension://abc",), None),
    ({"Host": "127.0.0.1:8", "Origin": "chrome-extension://other"}, ("chrome-extension://abc",),
     "cross-origin request"),
])
def test_browser_refusal(headers, extra, why):
    assert netguard.browser_refusal(headers, netguard.loopback_hosts(8), extra) == why


@pytest.mark.parametrize("raw", [b"NaN", b"[Infinity]", b'{"a": -Infinity}', b"1e400", b"[-1e999]",
                                 b"[" * 100_000 + b"]" * 100_000, b"\xff\xfe", b"{", b"",
                                 b"1" * 5000])
def test_parse_json_is_strict(raw):
    with pytest.raises(BadRequest) as e:
        netguard.parse_json(raw)
    assert e.value.status == 400 and "\n" not in e.value.message


def test_parse_json_accepts_ordinary_json():
    assert netguard.parse_json(b'{"a": [1, 2.5, "x", null, true]}') == {"a": [1, 2.5, "x", None, True]}


def test_connection_budget_from_the_descriptor_limit():
    assert netguard.connection_budget(1024) == (1024 - 256) // 2 == 384
    assert netguard.connection_budget(256) == (256 - 64) // 2
    assert netguard.connection_budget(40) == netguard.MIN_CONNECTIONS
    assert netguard.connection_budget(10 ** 7) == netguard.MAX_CONNECTIONS
    import resource
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    assert netguard.connection_budget() == netguard.connection_budget(soft)


def test_client_key_groups_an_ipv6_64():
    assert netguard.client_key("192.168.1.7") == "192.168.1.7"
    assert netguard.client_key("::ffff:192.168.1.7") == "192.168.1.7"
    a = netguard.client_key("2001:db8:1:2:aaaa::1")
    assert a == netguard.client_key("2001:db8:1:2:ffff:1:2:3") == "2001:db8:1:2::/64"
    assert a != netguard.client_key("2001:db8:1:3::1")
    assert netguard.client_key(None) == "?"


# -- the guard on a small app of its own (as the RPC server would use it) ----------------------

class GuardedApp:
    """An aiohttp app behind a ConnectionGuard on its own thread: /busy waits for an event."""

    def __init__(self, limits: GuardLimits):
        self.limits = limits
        self.release = threading.Event()
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)

        async def busy(request):
            await asyncio.to_thread(self.release.wait, 30)
            return web.Response(text="done")

        async def quick(request):
            return web.Response(text="ok")

        async def body(request):
            try:
                return web.json_response(await netguard.read_json(request, 1000, timeout=1.0))
            except BadRequest as e:
                return web.Response(status=e.status, text=e.message)

        async def start():
            self.guard = ConnectionGuard(self.limits, name="test")
            app = web.Application(middlewares=[self.guard.middleware])
            app.router.add_get("/busy", busy)
            app.router.add_get("/quick", quick)
            app.router.add_post("/body", body)
            self.runner = web.AppRunner(app)
            await self.runner.setup()
            site = netguard.GuardedSite(self.runner, "127.0.0.1", 0, self.guard)
            await site.start()
            self.port = site.port
        self.loop.run_until_complete(start())
        self.ready.set()
        self.loop.run_forever()
        self.loop.run_until_complete(self.runner.cleanup())

    def __enter__(self):
        self.thread.start()
        self.ready.wait(10)
        return self

    def __exit__(self, *exc):
        self.release.set()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)

    def stats(self) -> dict:
        return asyncio.run_coroutine_threadsafe(self._stats(), self.loop).result(5)

    async def _stats(self):
        return self.guard.stats()


def _connect(port: int) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    return s


def _closed(s: socket.socket, wait: float = 2.0) -> bool:
    s.settimeout(wait)
    try:
        while True:
            if not s.recv(4096):
                return True
    except (ConnectionError, OSError) as e:
        return not isinstance(e, socket.timeout)


def test_guard_pushes_out_the_longest_waiting_connection_not_busy_ones():
    with GuardedApp(GuardLimits(header_timeout=30, idle_timeout=30, max_connections=4)) as app:
        idle = [_connect(app.port) for _ in range(2)]
        time.sleep(0.1)
        busy = [_connect(app.port) for _ in range(2)]
        for b in busy:
            b.sendall(b"GET /busy HTTP/1.1\r\nHost: x\r\n\r\n")
        time.sleep(0.3)
        newcomer = _connect(app.port)                     # at the cap: the oldest idle goes
        assert _closed(idle[0]) and not _closed(idle[1], 0.2)
        newcomer.sendall(b"GET /quick HTTP/1.1\r\nHost: x\r\n\r\n")
        assert newcomer.recv(100).startswith(b"HTTP/1.1 200")
        idle[1].sendall(b"GET /busy HTTP/1.1\r\nHost: x\r\n\r\n")
        newcomer.sendall(b"GET /busy HTTP/1.1\r\nHost: x\r\n\r\n")
        time.sleep(0.3)
        refused = _connect(app.port)                      # all four busy: 503 and closed
        assert refused.recv(200).startswith(b"HTTP/1.1 503")
        app.release.set()
        for b in busy:
            assert b.recv(200).startswith(b"HTTP/1.1 200")
        st = app.stats()
        assert st["evicted"] == 1 and st["refused"] == 1 and st["max"] == 4
        for s in idle + busy + [newcomer, refused]:
            s.close()


def test_guard_times_out_headers_but_not_a_long_answer():
    with GuardedApp(GuardLimits(header_timeout=0.5, idle_timeout=1.0)) as app:
        slow = _connect(app.port)
        slow.sendall(b"GET /quick HTTP/1.1\r\n")
        t0 = time.monotonic()
        assert _closed(slow, 5) and 0.4 <= time.monotonic() - t0 < 3
        long = _connect(app.port)
        long.sendall(b"GET /busy HTTP/1.1\r\nHost: x\r\n\r\n")
        time.sleep(2.0)                                   # longer than both timeouts
        app.release.set()
        assert long.recv(200).startswith(b"HTTP/1.1 200")
        assert app.stats()["timed_out"] == 1
        slow.close()
        long.close()


def test_read_json_bounds_size_and_time():
    with GuardedApp(GuardLimits()) as app:
        def post(head: bytes, body: bytes = b"") -> bytes:
            s = _connect(app.port)
            s.sendall(b"POST /body HTTP/1.1\r\nHost: x\r\n" + head + b"\r\n" + body)
            s.settimeout(10)
            got = s.recv(500)
            s.close()
            return got
        assert post(b"Content-Type: application/json\r\nContent-Length: 7\r\n", b'{"a":1}') \
            .startswith(b"HTTP/1.1 200")
        assert b" 413 " in post(b"Content-Type: application/json\r\nContent-Length: 5000\r\n")
        assert b" 415 " in post(b"Content-Type: text/plain\r\nContent-Length: 2\r\n", b"{}")
        # a body that never comes: 408 after the timeout, not a socket held forever
        assert b" 408 " in post(b"Content-Type: application/json\r\nContent-Length: 100\r\n", b"{")
