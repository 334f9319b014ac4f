"""Every download ends: when no source can make progress (refused, reset, Content-Range
not matching the request, bodies shorter than their Content-Length, no answer), the
download fails within a bound, keeps its .part and journal, and a later run resumes.

ZHILIAN_GIVE_UP_AFTER shortens the bound (default 60 s) so these run in seconds."""

from __future__ import annotations

import os
import random
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from servers import (
    FileServer,
    RawServer,
    file_sha256,
    make_blob,
    ok_answer,
    run_download,
    sha256,
    tls_server_context,
)

from core import journal
from core.errors import NoUsableSource, ZhilianError
from core.models import Mirror

ROOT = Path(__file__).resolve().parents[2]
SERVERS = ROOT / "tests" / "servers.py"
GIVE_UP = 2.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _origin(blob: Path, port: int, *, rate: float = 0, fault: str = "") -> subprocess.Popen:
    """The only server of the download, as a process of its own (so it can be killed -9)."""
    p = subprocess.Popen([sys.executable, str(SERVERS), str(blob), "/m.bin", "--port", str(port),
                          "--rate", str(rate), "--fault", fault],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert p.stdout.readline().strip() == str(port)
    return p


def _kill(p: subprocess.Popen) -> None:
    p.kill()
    p.wait(10)


def _get(*args: str) -> subprocess.Popen:
    env = dict(os.environ, ZHILIAN_GIVE_UP_AFTER=str(GIVE_UP))
    return subprocess.Popen([sys.executable, str(ROOT / "main.py"), "get", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def _claimed(part: Path, data: bytes) -> int:
    j = journal.load(journal.journal_path(part))
    assert j is not None, "the journal is kept"
    on_disk = part.read_bytes()
    for a, b in j.done:
        assert on_disk[a:b] == data[a:b]
    return sum(b - a for a, b in j.done)


def test_get_ends_by_itself_when_its_only_origin_dies_then_resumes(tmp_path):
    """Watchdog: a real `get` against an origin killed at a random moment, after which the
    port refuses, resets, lies about Content-Range, sends headers without the body, or
    accepts and never answers. Each time the process must end by itself, non-zero, with
    one line; a last run against the restored origin resumes and ends byte-exact."""
    data = make_blob(24 << 20, seed=41)
    blob = tmp_path / "blob"
    blob.write_bytes(data)
    port = _free_port()
    url = f"http://127.0.0.1:{port}/m.bin"
    out_dir = tmp_path / "out"
    part = out_dir / "m.bin.part"
    rnd = random.Random(4141)
    modes = ["refuse", "reset", "range", "short", "hang"]
    rnd.shuffle(modes)
    claimed = []
    for mode in modes:
        origin = _origin(blob, port, rate=512 << 10)   # 4 connections: ~2 MiB/s
        p = _get(url, "-d", str(out_dir), "-x", "4", "-q")
        time.sleep(rnd.uniform(0.6, 1.6))
        _kill(origin)
        t_dead = time.monotonic()
        broken = None if mode == "refuse" else _origin(blob, port, fault=mode)
        try:
            out, err = p.communicate(timeout=GIVE_UP + 30)
        except subprocess.TimeoutExpired:
            p.kill()
            p.communicate()
            pytest.fail(f"`get` still running {GIVE_UP + 30:.0f} s after the origin died ({mode})")
        finally:
            if broken is not None:
                _kill(broken)
        ended = time.monotonic() - t_dead
        lines = err.strip().splitlines()
        assert p.returncode == 1, (mode, err)
        assert len(lines) == 1 and "Traceback" not in err, (mode, err)
        assert not (out_dir / "m.bin").exists()
        claimed.append(_claimed(part, data))
        print(f"\n{mode}: ended {ended:.1f} s after the origin died: {lines[0]}")
        assert ended < GIVE_UP + 10, (mode, ended)
    assert claimed[-1] >= claimed[0] > 0
    held = journal.load(journal.journal_path(part)).done
    srv = FileServer()
    srv.add("/m.bin", data)
    srv.start(port)
    try:
        p = _get(url, "-d", str(out_dir), "-x", "4", "--sha256", sha256(data))
        out, err = p.communicate(timeout=60)
    finally:
        srv.stop()
    assert p.returncode == 0, err
    assert file_sha256(out_dir / "m.bin") == sha256(data)
    assert not part.exists() and not journal.journal_path(part).exists()
    # resumed, not restarted: no request asked again for bytes the journal held
    for r in srv.requests[1:]:
        a, _, b = r["range"][6:].partition("-")
        a, b = int(a), int(b) + 1
        assert not any(a < de and ds < b for ds, de in held), f"asked again for {r['range']}"


@pytest.mark.parametrize("fault", [{"reset_all": True}, {"short_body": True},
                                   {"wrong_content_range": 1 << 60}, {"hang": True}])
def test_a_source_that_starts_failing_mid_download_ends_the_download(file_server, tmp_path, fault):
    """In-process: the file's server turns bad once the download runs; the download
    raises a typed, retryable error within the bound and keeps .part and journal."""
    data = make_blob(4 << 20, seed=42)
    f = file_server.add("/f.bin", data, rate=1 << 20)
    flipped = []

    def progress(p):
        if not flipped and p.done >= 512 << 10:
            flipped.append(1)
            for k, v in fault.items():
                setattr(f, k, v)
            f.reset_at = [x for x in range(1 << 20, 4 << 20, 64 << 10)]   # running answers end too
    t0 = time.monotonic()
    with pytest.raises(ZhilianError) as ei:
        run_download(file_server.url("/f.bin"), tmp_path, connections=2, progress=progress,
                     give_up_after=GIVE_UP)
    took = time.monotonic() - t0
    assert flipped
    assert isinstance(ei.value, NoUsableSource) and ei.value.retryable, repr(ei.value)
    assert "127.0.0.1" in str(ei.value)
    assert (tmp_path / "f.bin.part").exists()
    assert _claimed(tmp_path / "f.bin.part", data) > 0
    assert took < 30, took


def test_every_mirror_dropped_is_an_error_not_a_wait(tmp_path):
    """Two mirrors whose file disappears mid-download (404 from both): once both are
    dropped nothing can run any more, and the error is raised at once (before, the
    download waited for ever with its work left in the pool)."""
    data = make_blob(2 << 20, seed=43)
    a, b = FileServer(), FileServer()
    a.add("/x.bin", data, rate=256 << 10)
    b.add("/x.bin", data, rate=256 << 10)
    a.start()
    b.start()

    def progress(p):
        if p.done > 0:
            for srv in (a, b):
                srv.files.pop("/x.bin", None)
                srv.faults["/x.bin"].reset_at = list(range(0, 2 << 20, 16 << 10))
    t0 = time.monotonic()
    try:
        with pytest.raises(ZhilianError) as ei:
            run_download([Mirror(a.url("/x.bin")), Mirror(b.url("/x.bin"))], tmp_path,
                         connections=2, progress=progress, give_up_after=600)
    finally:
        a.stop()
        b.stop()
    assert "Not found on 127.0.0.1" in str(ei.value) and not ei.value.retryable, str(ei.value)
    assert time.monotonic() - t0 < 60


@pytest.mark.parametrize("order", ["untrusted only", "untrusted first", "refused first"])
def test_an_untrusted_certificate_is_not_worth_a_later_try_unless_another_source_is(
        tls_cert, tmp_path, order, monkeypatch):
    """A certificate the system does not trust (here self-signed) stays untrusted: the
    error says so and is not retryable, so the queue does not retry it on its own. Beside a
    source that only refused (a passing failure), the download still ends, but a later try
    may reach that source: retryable, whichever of the two was tried last."""
    from core import preconnect
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.setattr(preconnect, "_context", None)     # the system's CA store, as it is now
    with RawServer(ok_answer, ssl_ctx=tls_server_context(*tls_cert)) as srv:
        untrusted = srv.url("/m.bin", scheme="https", host="localhost")
        refused = f"http://127.0.0.1:{_free_port()}/m.bin"
        urls = {"untrusted only": [untrusted], "untrusted first": [untrusted, refused],
                "refused first": [refused, untrusted]}[order]
        t = time.monotonic()
        with pytest.raises(ZhilianError) as ei:
            run_download([Mirror(u, priority=i) for i, u in enumerate(urls)], tmp_path,
                         give_up_after=GIVE_UP)
        took = time.monotonic() - t
    if order == "untrusted only":
        assert str(ei.value) == "Cannot reach localhost: its certificate is not trusted"
        assert not ei.value.retryable and took < GIVE_UP      # at once, no back-off
    else:
        assert ei.value.retryable, ei.value
