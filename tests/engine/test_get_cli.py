"""`main.py get` as a real process: kill -9 and resume, Ctrl-C, exit codes, messages."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from servers import RawServer, file_sha256, make_blob, ok_answer, sha256, tls_server_context

from core import journal

ROOT = Path(__file__).resolve().parents[2]


def _get(*args, **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(ROOT / "main.py"), "get", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def _journal_claims_only_bytes_on_disk(part: Path, data: bytes) -> int:
    j = journal.load(journal.journal_path(part))
    if j is None:
        return 0
    on_disk = part.read_bytes()
    for a, b in j.done:
        assert on_disk[a:b] == data[a:b], f"journal claims {a}-{b} but those bytes are not on disk"
    return sum(b - a for a, b in j.done)


def test_kill_9_at_random_moments_then_resume(file_server, tmp_path):
    """Five kill -9 at random moments, each followed by a check of the journal against the
    disk; then a run to the end. Re-downloaded bytes are measured and printed."""
    data = make_blob(48 << 20, seed=7)
    file_server.add("/k.bin", data, rate=1 << 20)   # 4 connections -> ~4 MiB/s: 12 s in all
    url = file_server.url("/k.bin")
    part = tmp_path / "k.bin.part"
    rnd = random.Random(1234)
    claimed = []
    for _ in range(5):
        p = _get(url, "-d", str(tmp_path), "-x", "4", "-q")
        time.sleep(rnd.uniform(0.5, 2.0))   # at most ~8 MiB per run: never the end
        p.send_signal(signal.SIGKILL)
        p.wait(10)
        assert not (tmp_path / "k.bin").exists()
        claimed.append(_journal_claims_only_bytes_on_disk(part, data))
    assert claimed[-1] > claimed[0] > 0, "the journal kept progress across kills"
    p = _get(url, "-d", str(tmp_path), "-x", "4", "--sha256", sha256(data))
    out, err = p.communicate(timeout=60)
    assert p.returncode == 0, err
    assert file_sha256(tmp_path / "k.bin") == sha256(data)
    assert not part.exists() and not journal.journal_path(part).exists()
    extra = file_server.bytes_sent - len(data)
    print(f"\nkill -9 x5: journal claimed {[c >> 10 for c in claimed]} KiB; "
          f"re-downloaded {extra / 2**20:.2f} MiB in all ({extra / 5 / 2**20:.2f} MiB per kill)")
    # per kill at most about a second of data (the journal interval) plus what was in flight
    assert extra <= 5 * (6 << 20), extra


def test_ctrl_c_stops_cleanly_and_the_same_command_resumes(file_server, tmp_path):
    data = make_blob(6 << 20, seed=8)
    file_server.add("/c.bin", data, rate=1 << 20)
    url = file_server.url("/c.bin")
    p = _get(url, "-d", str(tmp_path), "-x", "2")
    time.sleep(1.5)
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=30)
    assert p.returncode == 130
    assert "run the same command again to resume" in err and "Traceback" not in err
    part = tmp_path / "c.bin.part"
    have = _journal_claims_only_bytes_on_disk(part, data)
    assert have > 0
    sent_before = file_server.bytes_sent
    p = _get(url, "-d", str(tmp_path), "-x", "2", "--sha256", sha256(data))
    out, err = p.communicate(timeout=60)
    assert p.returncode == 0, err
    assert (tmp_path / "c.bin").read_bytes() == data
    assert file_server.bytes_sent - sent_before <= len(data) - have + (1 << 20)


def test_errors_are_one_clear_line_and_a_nonzero_exit(file_server, tmp_path):
    data = make_blob(100_000)
    file_server.add("/ok.bin", data)
    cases = [
        ([file_server.url("/missing.bin")], "Not found"),
        ([file_server.url("/ok.bin"), "--sha256", "0" * 64], "sha256 mismatch"),
        ([file_server.url("/ok.bin"), "-x", "99"], "between 1 and 64"),
        (["http://127.0.0.1:9/refused.bin"], "127.0.0.1"),
        ([f"https://ü{'a' * 70}.example/x.bin"], "No link found"),   # IDNA cannot encode it
    ]
    for args, words in cases:
        p = _get(*args, "-d", str(tmp_path), "-q")
        out, err = p.communicate(timeout=60)
        assert p.returncode != 0, args
        lines = [ln for ln in err.splitlines() if ln.strip()]
        assert len(lines) == 1 and words in lines[0] and "Traceback" not in err, (args, err)
    assert not (tmp_path / "ok.bin").exists(), "a file with the wrong hash never gets its final name"


def test_a_certificate_that_is_not_trusted_ends_get_at_once(tls_cert, tmp_path):
    """An https link whose server's certificate the system does not trust: one clear line
    and a non-zero exit after the first try (the early handshake and the usual one), not a
    minute of retries that could never succeed."""
    hellos: list[str | None] = []
    ctx = tls_server_context(*tls_cert)
    ctx.sni_callback = lambda obj, name, c: hellos.append(name)
    env = {k: v for k, v in os.environ.items() if k not in ("SSL_CERT_FILE", "SSL_CERT_DIR")}
    with RawServer(ok_answer, ssl_ctx=ctx) as s:
        p = _get(s.url("/f.bin", scheme="https", host="localhost"), "-d", str(tmp_path / "d"), "-q", env=env)
        out, err = p.communicate(timeout=60)
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert p.returncode == 1 and len(lines) == 1, err
    assert "Cannot reach localhost: its certificate is not trusted" in lines[0]
    assert 1 <= len(hellos) <= 2, hellos         # the early handshake and the usual attempt
    assert not (tmp_path / "d").exists() or not list((tmp_path / "d").iterdir()), "nothing written"


def test_quiet_success_prints_the_path_and_exits_0(file_server, tmp_path):
    data = make_blob(300_000)
    file_server.add("/q.bin", data)
    p = _get(file_server.url("/q.bin"), "-d", str(tmp_path), "-q")
    out, err = p.communicate(timeout=60)
    assert p.returncode == 0 and err == ""
    assert out.strip() == ""
    p = _get(file_server.url("/q.bin"), "-d", str(tmp_path))
    out, err = p.communicate(timeout=60)
    assert p.returncode == 0 and "already downloaded" in out and str(tmp_path / "q.bin") in out


def test_resume_with_a_new_link_and_the_same_name(file_server, tmp_path):
    data = make_blob(4 << 20, seed=9)
    file_server.add("/signed-old.bin", data, rate=1 << 20)
    file_server.add("/signed-new.bin", data)
    p = _get(file_server.url("/signed-old.bin"), "-d", str(tmp_path), "-o", "model.bin", "-x", "2")
    time.sleep(1.2)
    p.send_signal(signal.SIGINT)
    p.communicate(timeout=30)
    have = _journal_claims_only_bytes_on_disk(tmp_path / "model.bin.part", data)
    assert have > 0
    sent_before = file_server.bytes_sent
    p = _get(file_server.url("/signed-new.bin"), "-d", str(tmp_path), "-o", "model.bin",
             "--sha256", sha256(data))
    out, err = p.communicate(timeout=60)
    assert p.returncode == 0, err
    assert (tmp_path / "model.bin").read_bytes() == data
    assert all(r["path"] == "/signed-new.bin" for r in file_server.requests[-3:])
    # only the missing part comes from the new link (plus what a split connection had in flight)
    assert file_server.bytes_sent - sent_before <= len(data) - have + (1 << 20)


def test_two_processes_never_share_a_part(file_server, tmp_path):
    """Two `get` processes (or a `get` beside the queue's runner) downloading two different
    files that are both called model.bin into one folder at the same time: the second takes
    `model (1).bin` while the first holds the name; both end byte-exact."""
    a, b = make_blob(3 << 20, seed=61), make_blob(3 << 20, seed=62)
    file_server.add("/a/model.bin", a, rate=1 << 20)
    file_server.add("/b/model.bin", b, rate=1 << 20)
    p1 = _get(file_server.url("/a/model.bin"), "-d", str(tmp_path), "-x", "2", "-q")
    deadline = time.monotonic() + 20
    while not (tmp_path / "model.bin.part").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert (tmp_path / "model.bin.part").exists()
    p2 = _get(file_server.url("/b/model.bin"), "-d", str(tmp_path), "-x", "2", "-q")
    for p in (p1, p2):
        out, err = p.communicate(timeout=60)
        assert p.returncode == 0, err
    assert (tmp_path / "model.bin").read_bytes() == a
    assert (tmp_path / "model (1).bin").read_bytes() == b
    assert not list(tmp_path.glob("*.part*"))


@pytest.mark.parametrize("columns", [50, 120])
def test_help_fits_the_terminal_width(columns):
    """The help is wrapped to the terminal's width (COLUMNS here, as shutil would read it)."""
    env = {**os.environ, "COLUMNS": str(columns)}
    p = _get("--help", env=env)
    out, err = p.communicate(timeout=60)
    assert p.returncode == 0 and err == ""
    # (the usage block is indented by the program's name, which argparse never wraps)
    lines = out.split("\n\n", 1)[1].splitlines()
    assert "--connections" in out and max(len(ln) for ln in lines) <= columns
    # the long help texts use the width they are given, not argparse's default of 80
    assert (max(len(ln) for ln in lines) > 100) == (columns > 100)
