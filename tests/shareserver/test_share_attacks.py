"""The share server under attack, as a client on the LAN would try it: parallel password
guessing, slow sockets, bad input, what files and processes show.  The server runs as
`main.py serve` in its own process (as a user runs it); the clients are raw sockets,
curl and the CLI."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import random
import resource
import signal
import socket
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RIGHT = "correct horse battery staple"
RESET = "connection reset"
ATTACKER = "127.0.0.5"         # another machine on the LAN (the downloads come from 127.0.0.1)
MAX_FAILURES = 10


# -- a `main.py serve` process ----------------------------------------------------------

def _write_config(values: dict) -> None:
    from core.share.config import config_path
    p = config_path()
    cur = json.loads(p.read_text()) if p.exists() else {}
    cur.update(values)
    p.write_text(json.dumps(cur))


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


class Served:
    def __init__(self, proc: subprocess.Popen, port: int, err_path: Path):
        self.proc, self.port, self.err_path = proc, port, err_path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stderr(self) -> str:
        return self.err_path.read_text(errors="replace")

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


@pytest.fixture
def serve(tmp_path):
    """``serve(config=..., nofile=...)`` starts `main.py serve` on a free port."""
    from core.share.server import free_port
    started: list[Served] = []

    def start(config: dict | None = None, nofile: int | None = None, args: tuple = ()) -> Served:
        if config:
            _write_config(config)
        port = free_port()
        err = tmp_path / f"serve-{port}.err"

        def limit_fds() -> None:
            if nofile:
                hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
                resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, hard))
        proc = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "serve", "--port", str(port),
                                 *args], stdout=subprocess.DEVNULL, stderr=open(err, "w"),
                                preexec_fn=limit_fds)
        srv = Served(proc, port, err)
        started.append(srv)
        deadline = time.time() + 30
        while not _port_open(port):
            if proc.poll() is not None or time.time() > deadline:
                raise AssertionError(f"serve did not start: {srv.stderr()}")
            time.sleep(0.05)
        return srv
    yield start
    for s in started:
        s.stop()


def _share(path: Path, password: str | None = None, expires: str = "2h") -> tuple[str, object]:
    """(URL path with query, share) for a file, made the way `main.py share` makes it."""
    from core.share import ShareAPI
    from core.share.signing import build_url
    api = ShareAPI()
    link = api.create(path, expires=expires, password=password)
    url = build_url("", api.key(), link.id, link.name, link.share.expires)
    api.store.close()
    return url, link.share


def _status(r: object) -> object:
    """An answer's status, RESET, or the exception's text (a result of gather)."""
    return r[0] if isinstance(r, tuple) else r if r == RESET else repr(r)


def _basic(pw: str) -> str:
    return "Basic " + base64.b64encode(f"x:{pw}".encode()).decode()


async def _request(port: int, path: str, headers: dict | None = None,
                   source: str | None = None, timeout: float = 120) -> tuple[int, bytes]:
    local = (source, 0) if source else None
    r, w = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port, local_addr=local), 30)
    try:
        head = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        w.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{head}Connection: close\r\n\r\n"
                .encode())
        data = await asyncio.wait_for(r.read(), timeout)
    finally:
        w.close()
    status = int(data.split(b" ", 2)[1])
    return status, data.partition(b"\r\n\r\n")[2]


def _curl(url: str, out: Path, *extra: str) -> tuple[int, float]:
    t0 = time.monotonic()
    r = subprocess.run(["curl", "-sS", "-f", "--max-time", "120", "-o", str(out), *extra, url],
                       capture_output=True, text=True)
    return r.returncode, time.monotonic() - t0


def _raise_own_fd_limit(want: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))


# -- 1. password guessing in parallel ---------------------------------------------------

def test_parallel_password_guessing_stops_at_the_limit_and_downloads_go_on(serve, tmp_path):
    secret = tmp_path / "secret.mp4"
    secret.write_bytes(b"S" * 4096)
    public = tmp_path / "public.bin"
    pub_data = os.urandom(16 * 1024 * 1024)
    public.write_bytes(pub_data)
    guarded, _ = _share(secret, password=RIGHT)
    open_url, _ = _share(public)
    srv = serve()

    async def wave(passwords: list[str], source: str = ATTACKER) -> list:
        got = await asyncio.gather(*(_request(srv.port, guarded, {"Authorization": _basic(pw)},
                                              source) for pw in passwords),
                                   return_exceptions=True)
        return [RESET if isinstance(r, ConnectionResetError) else r for r in got]

    async def attack_with_download() -> tuple[list, float, int]:
        cpu0 = srv.cpu_seconds()
        guesses = asyncio.ensure_future(wave([f"guess-{i}" for i in range(350)]))
        await asyncio.sleep(0.3)                         # the guesses are in the server now
        rc, took = await asyncio.to_thread(_curl, srv.base + open_url, tmp_path / "dl.bin")
        results = await guesses
        print(f"\nordinary 16 MiB download during 350 parallel guesses: {took:.2f} s; "
              f"server CPU for the wave: {srv.cpu_seconds() - cpu0:.1f} s")
        return results, took, rc

    results, took, rc = asyncio.run(attack_with_download())
    # keep guessing in parallel waves (as an attacker would) until the server says "too many"
    statuses = [_status(r) for r in results]
    for _ in range(10):
        if statuses.count(401) > MAX_FAILURES:
            break                                        # the limit is already broken
        st, body = asyncio.run(_request(srv.port, guarded, {"Authorization": _basic("probe")},
                                        source=ATTACKER))
        statuses.append(st)
        if st == 429 and b"Too many" in body:
            break
        statuses += [_status(r) for r in asyncio.run(wave([f"again-{i}" for i in range(350)]))]
    evaluated = statuses.count(401)
    # then a wave with the right password among 350
    batch = [f"late-{i}" for i in range(349)]
    batch.insert(random.randrange(350), RIGHT)
    final = [_status(r) for r in asyncio.run(wave(batch))]
    print(f"wrong guesses evaluated: {evaluated} of {len(statuses)} sent; answers: "
          f"{ {s: statuses.count(s) for s in set(statuses)} }; then a wave with the right "
          f"password among 350: { {s: final.count(s) for s in set(final)} }")
    assert rc == 0 and hashlib.sha256((tmp_path / "dl.bin").read_bytes()).digest() == \
        hashlib.sha256(pub_data).digest()
    assert took < 5.0, f"a plain download stalled {took:.1f} s behind the password checks"
    # refused unread: 429 (limit / busy), 503 or a reset (over the per-address connection cap)
    assert set(statuses) <= {401, 429, 503, RESET}, set(statuses)
    assert evaluated <= MAX_FAILURES
    # the limit is hit: the right password never gets a 200 from the guessing address ...
    assert set(final) <= {429, 503, RESET} and 429 in final, {s: final.count(s) for s in set(final)}
    assert asyncio.run(_request(srv.port, guarded, {"Authorization": _basic(RIGHT)},
                                source=ATTACKER))[0] == 429
    # ... while another address with the right password is let in (the limit is per client)
    st, body = asyncio.run(_request(srv.port, guarded, {"Authorization": _basic(RIGHT)},
                                    source="127.0.0.2"))
    assert st == 200 and body == b"S" * 4096
    assert "Traceback" not in srv.stderr()


# -- 2. slow clients ----------------------------------------------------------------------

HEADER_TIMEOUT = 2.0
IDLE_TIMEOUT = 4.0


async def _slow_socket(port: int, source: str, dribble: bool, opened: list, closed: list,
                       stop: asyncio.Event) -> None:
    """One slowloris socket: silent, or one header line per second. Records when the server
    closed it (None: it never did)."""
    try:
        r, w = await asyncio.wait_for(
            asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0)), 5)
    except (TimeoutError, OSError):
        closed.append(("no connection", 0.0))
        return
    t0 = time.monotonic()
    opened.append(t0)

    async def feed() -> None:
        w.write(b"GET /s/x/y HTTP/1.1\r\n")
        n = 0
        while True:
            await asyncio.sleep(1.0)
            n += 1
            w.write(f"X-Slow-{n}: {n}\r\n".encode())

    feeder = asyncio.ensure_future(feed()) if dribble else None
    reader = asyncio.ensure_future(r.read())
    stopper = asyncio.ensure_future(stop.wait())
    await asyncio.wait({reader, stopper}, return_when=asyncio.FIRST_COMPLETED)
    if feeder:
        feeder.cancel()
    stopper.cancel()
    if reader.done():
        closed.append(("closed", time.monotonic() - t0))
    else:
        reader.cancel()
        closed.append(("still open", time.monotonic() - t0))
    w.close()


def test_two_thousand_slow_sockets_neither_block_a_download_nor_stay(serve, tmp_path):
    """A desktop's default 1,024 descriptors: 2,000 silent or dribbling sockets from 40
    addresses; curl still downloads, and every slow socket is closed within the timeouts."""
    _raise_own_fd_limit(6000)
    data = os.urandom(16 * 1024 * 1024)
    f = tmp_path / "big.bin"
    f.write_bytes(data)
    url, _ = _share(f)
    srv = serve(config={"header_timeout": HEADER_TIMEOUT, "idle_timeout": IDLE_TIMEOUT},
                nofile=1024)

    async def attack() -> tuple[list, list, int, float, float]:
        opened: list = []
        closed: list = []
        stop = asyncio.Event()
        gate = asyncio.Semaphore(300)                    # connect a few hundred at a time

        async def one(i: int) -> None:
            async with gate:
                conn = asyncio.ensure_future(_slow_socket(
                    srv.port, f"127.0.1.{1 + i % 40}", i % 2 == 1, opened, closed, stop))
                await asyncio.sleep(0)
            await conn
        t_start = time.monotonic()
        tasks = [asyncio.ensure_future(one(i)) for i in range(2000)]
        while len(opened) + len(closed) < 2000 and time.monotonic() - t_start < 60:
            await asyncio.sleep(0.1)
        t_opened = time.monotonic() - t_start
        rc, took = await asyncio.to_thread(_curl, srv.base + url, tmp_path / "dl.bin")
        deadline = time.monotonic() + HEADER_TIMEOUT + IDLE_TIMEOUT + 15
        while len(closed) < 2000 and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        return opened, closed, rc, took, t_opened

    opened, closed, rc, took, t_opened = asyncio.run(attack())
    kinds = {k: sum(1 for c in closed if c[0] == k) for k in {c[0] for c in closed}}
    longest = max((c[1] for c in closed if c[0] == "closed"), default=0.0)
    import urllib.request
    try:
        with urllib.request.urlopen(urllib.request.Request(
                srv.base + "/api/status", headers={"Authorization": f"Bearer {_token()}"}),
                timeout=10) as r:
            counters = json.loads(r.read()).get("connections")
    except OSError as e:
        counters = repr(e)
    print(f"\n2000 slow sockets: {len(opened)} connected in {t_opened:.1f} s, outcomes {kinds}, "
          f"longest held {longest:.1f} s; curl download during the attack: rc {rc}, {took:.2f} s;"
          f" server counters: {counters}")
    assert rc == 0 and hashlib.sha256((tmp_path / "dl.bin").read_bytes()).digest() == \
        hashlib.sha256(data).digest()
    assert kinds.get("still open", 0) == 0 and kinds.get("no connection", 0) == 0, kinds
    assert longest <= HEADER_TIMEOUT + IDLE_TIMEOUT + 5
    assert srv.proc.poll() is None and "Traceback" not in srv.stderr()


def test_header_and_idle_timeouts_and_the_per_address_cap(serve, tmp_path):
    f = tmp_path / "a.bin"
    f.write_bytes(b"a" * 1000)
    url, _ = _share(f)
    srv = serve(config={"header_timeout": HEADER_TIMEOUT, "idle_timeout": IDLE_TIMEOUT})

    async def run() -> dict:
        out: dict = {}

        async def closed_after(r: asyncio.StreamReader, t0: float, limit: float = 30) -> float:
            try:
                while await asyncio.wait_for(r.read(65536), limit):
                    pass
            except (TimeoutError, ConnectionError):
                pass
            return time.monotonic() - t0

        # silent: closed by the idle timeout
        r, w = await asyncio.open_connection("127.0.0.1", srv.port)
        silent = asyncio.ensure_future(closed_after(r, time.monotonic()))
        # dribbling headers: closed by the header timeout, counted from its first byte
        r2, w2 = await asyncio.open_connection("127.0.0.1", srv.port)
        t_drib = time.monotonic()
        w2.write(b"GET / HTTP/1.1\r\n")
        drib = asyncio.ensure_future(closed_after(r2, t_drib))

        async def dribble() -> None:
            for i in range(60):
                await asyncio.sleep(0.5)
                w2.write(f"X-{i}: y\r\n".encode())
        feeding = asyncio.ensure_future(dribble())
        # a busy keep-alive client (one request a second) is left alone ...
        r3, w3 = await asyncio.open_connection("127.0.0.1", srv.port)
        t_busy = time.monotonic()
        answers = 0
        for i in range(int(IDLE_TIMEOUT * 2)):
            if i:
                await asyncio.sleep(1.0)
            w3.write(f"GET {url} HTTP/1.1\r\nHost: 127.0.0.1:{srv.port}\r\n\r\n".encode())
            head = await asyncio.wait_for(r3.readuntil(b"\r\n\r\n"), 10)
            assert head.startswith(b"HTTP/1.1 200")
            await r3.readexactly(1000)
            answers += 1
        out["busy_alive_for"] = time.monotonic() - t_busy
        out["busy_answers"] = answers
        # ... and closed by the idle timeout once it stops
        out["busy_then_idle"] = await closed_after(r3, time.monotonic())
        out["silent"] = await silent
        out["dribble"] = await drib
        feeding.cancel()
        for wr in (w, w2, w3):
            wr.close()
        # per-address cap: one address gets at most its share of connections
        conns = []
        for _ in range(100):
            try:
                conns.append(await asyncio.wait_for(
                    asyncio.open_connection("127.0.0.1", srv.port, local_addr=("127.0.3.1", 0)), 5))
            except (TimeoutError, OSError):
                pass
        await asyncio.sleep(0.5)
        alive = 0
        for rr, _ww in conns:
            try:
                got = await asyncio.wait_for(rr.read(200), 0.05)
            except TimeoutError:
                alive += 1                                 # nothing said, still open
                continue
            except ConnectionError:
                continue
            if got:
                out.setdefault("refusal", got)
        out["one_address_kept"] = alive
        status, _ = await _request(srv.port, url, source="127.0.3.2")
        out["other_address"] = status
        for _, ww in conns:
            ww.close()
        return out

    got = asyncio.run(run())
    print(f"\ntimeouts (header {HEADER_TIMEOUT} s, idle {IDLE_TIMEOUT} s): {got}")
    assert got["busy_answers"] == int(IDLE_TIMEOUT * 2)
    assert IDLE_TIMEOUT * 0.8 <= got["busy_then_idle"] <= IDLE_TIMEOUT + 5
    assert IDLE_TIMEOUT * 0.8 <= got["silent"] <= IDLE_TIMEOUT + 5
    assert HEADER_TIMEOUT * 0.8 <= got["dribble"] <= HEADER_TIMEOUT + 5
    assert 1 <= got["one_address_kept"] <= 64
    assert got["refusal"].startswith(b"HTTP/1.1 503")
    assert got["other_address"] == 200


# -- 3. bad input -------------------------------------------------------------------------

def _token() -> str:
    from core.share import ShareAPI
    return ShareAPI().control_token()


def _count_shares() -> int:
    from core.share.store import ShareStore
    s = ShareStore()
    try:
        return len(s.list(include_inactive=True))
    finally:
        s.close()


def test_control_api_answers_bad_json_with_400_never_500(serve, tmp_path):
    f = tmp_path / "f.bin"
    f.write_bytes(b"x")
    srv = serve()
    tok = _token()
    p = json.dumps(str(f))
    bodies = ["[1]", "null", '"text"', "5", "{", "",
              '{"path": ' + p + ', "password": 5}',
              '{"path": ' + p + ', "expires": 1e400}',
              '{"path": ' + p + ', "expires": NaN}',
              '{"path": ' + p + ', "expires": -5}',
              '{"path": ' + p + ', "expires": true}',
              '{"path": ' + p + ', "expires": "9999999w"}',
              '{"path": ' + p + ', "expires": [1]}',
              '{"path": ' + p + ', "limit_bps": "fast"}',
              '{"path": ' + p + ', "limit_bps": 1e30}',
              '{"path": ' + p + ', "limit_bps": 10}',
              '{"path": ' + p + ', "limit_bps": 11811160064}',
              '{"path": ' + p + ', "surprise": 1}',
              '{"path": 5}', '{"path": ["a"]}', '{"path": "relative/name.bin"}',
              "[" * 50_000 + "]" * 50_000]
    import http.client
    before = _count_shares()
    for body in bodies:
        c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
        c.request("POST", "/api/shares", body=body.encode(),
                  headers={"Authorization": f"Bearer {tok}", "Content-Type": "application/json"})
        r = c.getresponse()
        text = r.read().decode(errors="replace")
        c.close()
        assert r.status in (400, 413), (body[:80], r.status, text)
        assert text.count("\n") <= 1 and "Traceback" not in text, text
    assert _count_shares() == before
    for bad in ("/api/shares?all=maybe", "/api/shares/..%2f..", "/api/shares/" + "x" * 300):
        c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
        c.request("DELETE" if bad.count("/") > 2 else "GET", bad,
                  headers={"Authorization": f"Bearer {tok}"})
        assert c.getresponse().status in (400, 404), bad
        c.close()
    err = srv.stderr()
    assert "Traceback" not in err and "Error handling request" not in err, err[-2000:]


def _cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], capture_output=True,
                          text=True, input=stdin, timeout=60)


@pytest.mark.parametrize("option", [
    "--expires=9999999w", "--expires=99999999999999999w", "--expires=3651d", "--expires=nan",
    "--limit-rate=1e999M", "--limit-rate=nan", "--limit-rate=10", "--limit-rate=11G",
    "--limit-rate=-5K",
])
def test_share_refuses_out_of_range_options_with_one_line(tmp_path, option):
    f = tmp_path / "f.bin"
    f.write_bytes(b"x")
    r = _cli("share", str(f), option)
    assert r.returncode in (1, 2), r.stdout
    assert "Traceback" not in r.stderr and r.stderr.strip().splitlines()[-1].startswith("zhilian"), \
        r.stderr
    assert _count_shares() == 0


def test_shares_list_survives_out_of_range_rows(tmp_path):
    f = tmp_path / "f.bin"
    f.write_bytes(b"x")
    _share(f)
    from core.paths import data_dir
    con = sqlite3.connect(data_dir() / "shares.db")
    rows = con.execute("SELECT * FROM shares").fetchall()
    cols = [d[0] for d in con.execute("SELECT * FROM shares").description]
    base = dict(zip(cols, rows[0]))
    for i, (expires, size) in enumerate([(6_000_000_000_000, 1), (-10**15, 2), ("soon", "big"),
                                         (1e30, -5)]):
        row = {**base, "id": f"odd{i}", "expires": expires, "size": size}
        con.execute(f"INSERT INTO shares({','.join(row)}) VALUES({','.join('?' * len(row))})",
                    list(row.values()))
    con.commit()
    con.close()
    for args in (("shares", "list"), ("shares", "list", "--all")):
        r = _cli(*args)
        assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    assert "odd0" in _cli("shares", "list", "--all").stdout


# -- 4. files and processes ----------------------------------------------------------------

def _mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def test_files_holding_secrets_are_private(tmp_path):
    old = os.umask(0o022)
    try:
        from core.paths import data_dir, log_dir
        from core.queue.store import Store
        from core.share import ShareAPI
        from core.share.access_log import AccessLog
        f = tmp_path / "f.bin"
        f.write_bytes(b"x")
        api = ShareAPI()
        api.create(f, password="pw")                     # a hash goes into shares.db (+ wal)
        AccessLog().write(client="1.2.3.4", share="s", name="n", status=200, nbytes=1)
        q = Store()
        q.con.execute("CREATE TABLE IF NOT EXISTS probe(x)")
        files = [data_dir() / n for n in ("shares.db", "shares.db-wal", "shares.db-shm",
                                          "zhilian.db", "zhilian.db-wal", "zhilian.db-shm")]
        files.append(log_dir() / "share-access.log")
        modes = {p.name: oct(_mode(p)) for p in files}
        assert all(m == "0o600" for m in modes.values()), modes
        # files left 0644 by an older version (still open in it) are made private when opened
        for p in files:
            os.chmod(p, 0o644)
        ShareAPI().store.secret_id()
        AccessLog().write(client="1.2.3.4", share="s", name="n", status=200, nbytes=1)
        Store().con.execute("SELECT 1")
        modes = {p.name: oct(_mode(p)) for p in files if p.exists()}
        assert all(m == "0o600" for m in modes.values()), modes
    finally:
        os.umask(old)


def test_password_never_in_the_process_list(tmp_path):
    f = tmp_path / "video.mp4"
    f.write_bytes(b"v" * 5000)
    pw_file = tmp_path / "pw.txt"
    pw_file.write_text("file-secret-123\n")
    from core.share.server import free_port
    for how, secret, stdin in ((("--password-file", str(pw_file)), "file-secret-123", None),
                               (("--password", "-"), "stdin-secret-456", "stdin-secret-456\n")):
        port = free_port()
        proc = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "share", str(f), "--serve",
                                 "--port", str(port), *how], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            if stdin:
                proc.stdin.write(stdin)
            proc.stdin.close()
            url = proc.stdout.readline().strip()
            assert url.startswith(f"http://127.0.0.1:{port}/s/"), proc.stderr.read()
            cmdline = Path(f"/proc/{proc.pid}/cmdline").read_bytes()
            assert secret.encode() not in cmdline
            ok = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-u",
                                 f"x:{secret}", url], capture_output=True, text=True, timeout=30)
            assert ok.stdout == "200"
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(30)
            proc.stdout.close()
            proc.stderr.close()
    # a literal password would stay in `ps` for the life of the server: refused
    before = _count_shares()
    r = subprocess.run([sys.executable, str(ROOT / "main.py"), "share", str(f), "--serve",
                        "--port", str(free_port()), "--password", "literal-pw"],
                       capture_output=True, text=True, timeout=20)
    assert r.returncode in (1, 2) and "--password-file" in r.stderr and "Traceback" not in r.stderr
    assert _count_shares() == before


def test_two_servers_keep_their_own_runtime_files(serve, tmp_path):
    f = tmp_path / "f.bin"
    f.write_bytes(b"x")
    a = serve()
    time.sleep(0.3)
    b = serve()
    both = _cli("share", str(f), "--port", str(a.port))
    assert both.returncode == 0 and both.stdout.startswith(f"{a.base}/s/"), both.stdout + both.stderr
    b.stop()
    r = _cli("share", str(f))
    assert r.returncode == 0 and r.stdout.startswith(f"{a.base}/s/"), r.stdout + r.stderr
    from core.paths import data_dir
    runtime = [p for p in data_dir().iterdir() if p.name.startswith("share-server")]
    assert runtime and all(_mode(p) == 0o600 for p in runtime)


def test_a_shared_file_replaced_by_a_hard_link_is_refused(serve, tmp_path):
    outside = tmp_path / "private" / "id_rsa"
    outside.parent.mkdir()
    outside.write_bytes(b"PRIVATE KEY " * 100)
    shared = tmp_path / "public" / "notes.txt"
    shared.parent.mkdir()
    shared.write_bytes(b"public notes")
    url, _ = _share(shared)
    srv = serve()
    assert asyncio.run(_request(srv.port, url)) == (200, b"public notes")
    shared.unlink()
    os.link(outside, shared)                      # same path, now the private file's inode
    st, body = asyncio.run(_request(srv.port, url))
    assert st == 403 and b"PRIVATE KEY" not in body


def test_a_share_from_an_older_version_is_pinned_on_its_first_download(share_env, tmp_path):
    outside = tmp_path / "secret.txt"
    outside.write_bytes(b"PRIVATE " * 10)
    shared = tmp_path / "pub" / "a.txt"
    shared.parent.mkdir()
    shared.write_bytes(b"public")
    link = share_env.api.create(shared)
    store = share_env.api.store
    store._db.execute("UPDATE shares SET dev=NULL, ino=NULL WHERE id=?", (link.id,))
    assert store.get(link.id).ino is None                 # as an older version stored it
    assert share_env.get(link.url)[:3:2] == (200, b"public")
    assert store.get(link.id).ino == os.stat(shared).st_ino
    shared.unlink()
    os.link(outside, shared)
    st, _, body = share_env.get(link.url)
    assert st == 403 and b"PRIVATE" not in body


def test_bad_settings_fall_back_to_defaults_one_by_one(caplog):
    _write_config({"port": "abc", "lan": "yes", "header_timeout": -1, "idle_timeout": 5,
                   "max_connections_per_client": 1e9, "global_limit_bps": float("nan"),
                   "default_expires": "9999999w", "public_host": "evil host/x"})
    from core.share.config import ServerConfig, load_config
    cfg = load_config()
    d = ServerConfig()
    assert (cfg.port, cfg.lan, cfg.header_timeout, cfg.max_connections_per_client,
            cfg.global_limit_bps, cfg.default_expires, cfg.public_host) == \
        (d.port, d.lan, d.header_timeout, d.max_connections_per_client, d.global_limit_bps,
         d.default_expires, d.public_host)
    assert cfg.idle_timeout == 5
    assert sum("ignored" in r.getMessage() for r in caplog.records) == 7
