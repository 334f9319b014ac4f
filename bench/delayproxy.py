#!/usr/bin/env python3
"""A TCP proxy that adds a round-trip time, for benchmarks at real distances.

    .venv/bin/python bench/delayproxy.py --listen 127.0.0.1:9000 --to 127.0.0.1:8080 --rtt-ms 150

This kernel has no netem, so the delay is made in user space. Every byte is held for half
the round trip in each direction (client -> server and server -> client), so a request and
its answer cost one RTT. The TCP handshake the client sees completes locally at once, so the
bytes a client sends on a new connection may not reach the origin before the handshake
would have ended: one RTT after the connection was accepted, plus the half trip of the bytes
themselves. Over a real path connect() returns after that RTT (SYN / SYN-ACK) and nothing
can be sent before it, so a client that sends at once gets its first answer 2 x RTT after
connect(), and one that connected earlier and sends later (a connection opened ahead of its
request) pays only the request's round trip, as over a real path. TLS handshakes pay their
own round trips naturally, since their messages cross the proxy like any other bytes.

(Before 2026-12-03 the first bytes were held one more RTT from when they were *sent*, which
is the same for a client that sends at once, such as aria2c or curl, but charged a client
that connected ahead of its request the handshake a second time.)

Bandwidth is not limited here (the origin server throttles, e.g. nginx `limit_rate`); the
proxy pipelines: bytes keep flowing while earlier ones wait, so a stream's throughput is
unchanged and only its latency grows. Each direction is a queue of (release time, bytes)
with a reader and a writer task; the reader stops reading when more than `--buffer` bytes
wait (back-pressure, so a slow client slows the origin as TCP would).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import signal
import socket
import time


class _Pipe:
    """One direction: what the reader takes from `src` is written to `dst` `delay` s later."""

    def __init__(self, src: asyncio.StreamReader, dst: asyncio.StreamWriter, delay: float,
                 not_before: float, limit: int):
        self.src, self.dst = src, dst
        self.delay, self.not_before, self.limit = delay, not_before, limit
        self.queue: collections.deque[tuple[float, bytes]] = collections.deque()
        self.queued = 0
        self.more = asyncio.Event()     # something was queued (or the source ended)
        self.room = asyncio.Event()     # the queue has room again
        self.room.set()
        self.eof = False

    async def read(self) -> None:
        try:
            while True:
                await self.room.wait()
                data = await self.src.read(256 << 10)
                if not data:
                    break
                # never before the (simulated) handshake has ended; FIFO keeps later bytes
                # behind the first ones
                self.queue.append((max(time.monotonic() + self.delay, self.not_before), data))
                self.queued += len(data)
                if self.queued > self.limit:
                    self.room.clear()
                self.more.set()
        except (ConnectionError, OSError):
            pass
        finally:
            self.eof = True
            self.more.set()

    async def write(self) -> None:
        try:
            while True:
                if not self.queue:
                    if self.eof:
                        break
                    self.more.clear()
                    await self.more.wait()
                    continue
                due, data = self.queue[0]
                wait = due - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                # everything already due goes out in one write
                now = time.monotonic()
                out = []
                while self.queue and self.queue[0][0] <= now:
                    out.append(self.queue.popleft()[1])
                n = sum(map(len, out))
                self.queued -= n
                if self.queued <= self.limit:
                    self.room.set()
                self.dst.write(b"".join(out))
                await self.dst.drain()
            if self.dst.can_write_eof():
                self.dst.write_eof()
        except (ConnectionError, OSError):
            pass


async def _handle(cr: asyncio.StreamReader, cw: asyncio.StreamWriter, target: tuple[str, int],
                  one_way: float, limit: int) -> None:
    accepted = time.monotonic()
    try:
        sr, sw = await asyncio.open_connection(*target)
    except OSError:
        cw.close()
        return
    for w in (cw, sw):
        sock = w.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    # client -> origin: not before the handshake's round trip (from the accept) and the
    # bytes' own half trip
    up = _Pipe(cr, sw, one_way, accepted + 3 * one_way, limit)
    down = _Pipe(sr, cw, one_way, 0.0, limit)
    tasks = [asyncio.ensure_future(x) for x in (up.read(), up.write(), down.read(), down.write())]
    try:
        await asyncio.gather(*tasks)
    except asyncio.CancelledError:
        pass    # the proxy stops: the connection ends with it (no traceback per connection)
    finally:
        for t in tasks:
            t.cancel()
        for w in (cw, sw):
            w.close()


async def serve(listen: tuple[str, int], target: tuple[str, int], rtt: float,
                limit: int = 8 << 20, ready: asyncio.Event | None = None) -> None:
    one_way = rtt / 2
    server = await asyncio.start_server(
        lambda r, w: _handle(r, w, target, one_way, limit), *listen, backlog=1024)
    if ready is not None:
        ready.set()
    async with server:
        await server.serve_forever()


def _addr(s: str) -> tuple[str, int]:
    host, _, port = s.rpartition(":")
    return host or "127.0.0.1", int(port)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--listen", required=True, help="host:port to listen on")
    ap.add_argument("--to", required=True, help="host:port of the origin")
    ap.add_argument("--rtt-ms", type=float, required=True, help="round-trip time to add")
    ap.add_argument("--buffer", type=int, default=8 << 20, help="bytes held per direction at most")
    a = ap.parse_args()
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)   # the closing gather below runs outside run_until_complete
    task = loop.create_task(serve(_addr(a.listen), _addr(a.to), a.rtt_ms / 1000, a.buffer))
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, task.cancel)
    with contextlib.suppress(asyncio.CancelledError):
        loop.run_until_complete(task)
    # the connections still being relayed end with the proxy, quietly
    rest = asyncio.all_tasks(loop)
    for t in rest:
        t.cancel()
    loop.run_until_complete(asyncio.gather(*rest, return_exceptions=True))
    loop.close()


if __name__ == "__main__":
    main()
