"""The log as a user meets it: `main.py get` / `run` / `list` as real processes against a
local file server; the log file read back from disk and searched for every secret."""

from __future__ import annotations

import os
import re
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

from servers import make_blob, sha256

from core import journal

ROOT = Path(__file__).resolve().parents[2]

SIG = "d1e2a3d4b5e6e7f8SIGNATUREVALUE"
CRED = "AKIAEXAMPLECREDENTIAL"
STS = "FQoGZXIvYXdzSESSIONTOKEN"
BDUSS = "BDUSSVALUE0123456789"
SID = "SIDCOOKIEVALUE42"
HF = "hf_AbCdEfGhIjKlMnOpQrStUvWxYz0123"
SECRETS = [SIG, CRED, STS, BDUSS, SID, HF]


def _main(*args: str, env: dict | None = None, **kw) -> subprocess.Popen:
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.Popen([sys.executable, str(ROOT / "main.py"), *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=e, cwd=ROOT, **kw)


def _run(*args: str, env: dict | None = None, timeout: float = 90) -> tuple[int, str, str]:
    p = _main(*args, env=env)
    out, err = p.communicate(timeout=timeout)
    return p.returncode, out, err


def _log(home: Path) -> Path:
    return home / "log" / "zhilian.log"


def _signed(url: str) -> str:
    """A presigned S3 URL (the shape boto3's generate_presigned_url gives), valid for an hour."""
    now = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    return (f"{url}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={CRED}%2F{now[:8]}%2Fus-east-1%2Fs3"
            f"&X-Amz-Date={now}&X-Amz-Expires=3600&X-Amz-Security-Token={STS}"
            f"&X-Amz-SignedHeaders=host&X-Amz-Signature={SIG}")


def _no_secret_in(*texts: str | bytes) -> None:
    for t in texts:
        b = t.encode() if isinstance(t, str) else t
        for s in SECRETS:
            assert s.encode() not in b, f"{s} reached the log or the terminal"


def test_signed_download_with_cookies_logs_the_masked_url_and_no_secret(file_server, tmp_path, zhilian_home):
    data = make_blob(3 << 20, seed=31)
    # one 503 first (a decision line); slow enough that the second connection goes to the mirror
    file_server.add("/model.safetensors", data, busy=1, retry_after=0.1, rate=2 << 20)
    url = _signed(file_server.url("/model.safetensors"))
    dead = file_server.url("/gone.safetensors") + f"?sign={SIG}&token={STS}"   # a mirror that 404s
    rc, out, err = _run("get", url, "--mirror", dead, "-d", str(tmp_path), "-x", "2",
                        "--cookie", f"BDUSS={BDUSS}; sid={SID}", "--header", f"Authorization: Bearer {HF}", "-v")
    assert rc == 0, err
    assert (tmp_path / "model.safetensors").read_bytes() == data
    # the server did get the secrets: they were real, and still they are nowhere in the log
    first = file_server.requests[0]
    assert first["query"]["X-Amz-Signature"] == SIG and BDUSS in first["headers"]["Cookie"]
    log = _log(zhilian_home)
    assert log.exists(), "no log file"
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    text = log.read_text()
    _no_secret_in(log.read_bytes(), out, err)
    # the URL is there, with its signature, credential and session token masked
    masked = re.search(r"http://127\.0\.0\.1:\d+/model\.safetensors\?\S*", text)
    assert masked, text
    assert "X-Amz-Signature=***" in masked.group(0) and "X-Amz-Credential=***" in masked.group(0)
    assert "X-Amz-Security-Token=***" in masked.group(0) and "X-Amz-Expires=3600" in masked.group(0)
    assert "HTTP 503" in text and "back off" in text
    assert "HTTP 404" in text and "gone.safetensors?sign=***&token=***" in text
    assert re.search(rf"model\.safetensors: done: {len(data)} bytes", text)


def test_failed_download_logs_url_status_and_decisions(file_server, tmp_path, zhilian_home):
    """A download that ends in failure: the log names each URL (masked), each status and
    what was decided; the terminal shows the one-line error only."""
    file_server.add("/busy.bin", b"x" * 1000, busy=100, retry_after=0.2)
    url = file_server.url("/busy.bin") + f"?token={STS}"
    dead = file_server.url("/nope.bin") + f"?sign={SIG}"
    rc, out, err = _run("get", url, "--mirror", dead, "-d", str(tmp_path), "-q")
    assert rc == 1
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Not found" in lines[0], err
    text = _log(zhilian_home).read_text()
    _no_secret_in(text, err)
    u503 = re.escape(file_server.url("/busy.bin") + "?token=***")
    assert re.search(rf"HTTP 503 Service Unavailable from {u503}", text), text
    assert re.search(rf"probe of {u503}: busy: back off 0\.2 s \(try 1\)", text), text
    assert re.search(rf"probe of {u503}: still busy after \d+ tries: source given up", text), text
    assert "HTTP 404 Not Found from " + file_server.url("/nope.bin") + "?sign=***" in text
    assert re.search(r"nope\.bin\?sign=\*\*\*: Not found on 127\.0\.0\.1 \(HTTP 404\): source dropped", text), text
    assert re.search(rf"busy\.bin: failed \(NotFound\): .*; sources: {u503}, \S+/nope\.bin\?sign=\*\*\* "
                     r"\(Not found on 127\.0\.0\.1 \(HTTP 404\)\)", text), text


def test_verbose_sends_debug_records_to_stderr_and_quiet_by_default(file_server, tmp_path, zhilian_home):
    file_server.add("/v.bin", make_blob(200_000, seed=3))
    url = file_server.url("/v.bin") + f"?sign={SIG}"
    rc, out, err = _run("get", url, "-d", str(tmp_path / "a"))
    assert rc == 0 and err == "", err                    # without -v: nothing but the bar (no tty here)
    rc, out, err = _run("get", "--verbose", url, "-d", str(tmp_path / "b"))
    assert rc == 0, err
    assert re.search(r"DEBUG zhilian\.engine: v\.bin: probe of \S+/v\.bin\?sign=\*\*\*: HTTP 206", err), err
    assert "INFO zhilian.engine: v.bin: done" in err
    _no_secret_in(err)
    # -v before the command, and on a command without downloads
    rc, out, err = _run("-v", "list")
    assert rc == 0 and "INFO zhilian.cli: zhilian" in err and "`list` started" in err, err


def test_warnings_reach_stderr_once_and_redacted(tmp_path, zhilian_home):
    """A settings file with a proxy password in a rejected value: the warning is one
    line on stderr, masked, and in the log; the queue still runs."""
    cfg = zhilian_home / "config"
    cfg.mkdir(exist_ok=True)
    (cfg / "settings.json").write_text('{"proxy": "ftp://me:PROXYPASSWORD1@proxy.lan:21"}')
    rc, out, err = _run("run")
    assert rc == 0, err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("zhilian: Some settings in"), err
    assert "PROXYPASSWORD1" not in err and "ftp://***@proxy.lan:21" in err
    text = _log(zhilian_home).read_text()
    assert "WARNING zhilian.settings: Some settings" in text and "PROXYPASSWORD1" not in text


def _breaking_site(tmp_path: Path) -> Path:
    """A sitecustomize that makes the queue store's load() fail with a bug-like error whose
    text carries a signed URL: an unexpected exception inside a real command."""
    d = tmp_path / "site"
    d.mkdir()
    (d / "sitecustomize.py").write_text(
        "import sys\n"
        f"sys.path.insert(0, {str(ROOT)!r})\n"
        "import core.queue.store as st\n"
        "def load(self, *a, **k):\n"
        f"    raise KeyError('no row for https://h.example/f.bin?X-Amz-Signature={SIG}')\n"
        "st.Store.load = load\n")
    return d


def test_unexpected_exception_is_one_line_with_the_log_path(tmp_path, zhilian_home):
    site = _breaking_site(tmp_path)
    rc, out, err = _run("list", env={"PYTHONPATH": str(site)})
    log = _log(zhilian_home)
    assert rc == 70, (rc, err)
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("zhilian: unexpected error (KeyError: ") and lines[0].endswith(f"are in {log}")
    assert "Traceback" not in err
    text = log.read_text()
    assert "ERROR zhilian.cli: unexpected error in `list`" in text
    assert "Traceback (most recent call last):" in text and 'queue_cmds.py", line' in text
    assert "X-Amz-Signature=***" in text
    _no_secret_in(text, err)


def test_log_file_goes_to_the_platform_log_folder(tmp_path):
    """Without ZHILIAN_HOME the log lives where platformdirs puts logs (Linux:
    $XDG_STATE_HOME or ~/.local/state, then zhilian/log), created 0600 in a 0700 folder."""
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZHILIAN_", "XDG_"))}
    env["HOME"] = str(home)
    p = subprocess.run([sys.executable, str(ROOT / "main.py"), "list"], env=env, cwd=ROOT,
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    log = home / ".local" / "state" / "zhilian" / "log" / "zhilian.log"
    assert "`list` started" in log.read_text()
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    assert stat.S_IMODE(log.parent.stat().st_mode) == 0o700


# -- signals --------------------------------------------------------------------------

def _nonzero_blob(size: int, seed: int) -> bytes:
    """Test data without a zero byte: on disk, a written byte is then told from a hole."""
    return make_blob(size, seed).replace(b"\0", b"\1")


def _written(part: Path) -> list[tuple[int, int]]:
    return [m.span() for m in re.finditer(rb"[^\0]+", part.read_bytes())]


def _journal_matches_disk(part: Path, data: bytes) -> int:
    """The journal claims exactly the byte ranges that are on disk, and those are right."""
    j = journal.load(journal.journal_path(part))
    assert j is not None, "no journal"
    on_disk = part.read_bytes()
    written = _written(part)
    for a, b in written:
        assert on_disk[a:b] == data[a:b]
    assert [tuple(r) for r in j.done] == written, (j.done, written)
    return sum(b - a for a, b in written)


def _wait_for_bytes(part: Path, timeout: float = 20) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if part.exists() and sum(b - a for a, b in _written(part)) > (1 << 20):
            return
        time.sleep(0.05)
    raise AssertionError("the download did not start")


def test_sigterm_stops_get_like_ctrl_c_with_the_journal_flushed(file_server, tmp_path, zhilian_home):
    data = _nonzero_blob(12 << 20, seed=41)
    file_server.add("/t.bin", data, rate=1 << 20)   # 2 connections -> ~2 MiB/s
    url = file_server.url("/t.bin")
    part = tmp_path / "t.bin.part"
    p = _main("get", url, "-d", str(tmp_path), "-x", "2")
    _wait_for_bytes(part)
    time.sleep(0.4)          # between two journal writes (they come once a second)
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=30)
    assert p.returncode == 130, (p.returncode, err)
    assert err.strip() == "zhilian: stopped; run the same command again to resume", err
    have = _journal_matches_disk(part, data)
    assert 0 < have < len(data)
    assert "`get` stopped by SIGTERM (exit code 130)" in _log(zhilian_home).read_text()
    sent = file_server.bytes_sent
    rc, out, err = _run("get", url, "-d", str(tmp_path), "-x", "2", "--sha256", sha256(data))
    assert rc == 0, err
    assert (tmp_path / "t.bin").read_bytes() == data
    # resumed: only the missing bytes came again (plus the one-byte probe)
    assert file_server.bytes_sent - sent <= len(data) - have + 16


def test_sighup_stops_run_and_the_queue_resumes(file_server, tmp_path, zhilian_home):
    data = _nonzero_blob(12 << 20, seed=42)
    file_server.add("/h.bin", data, rate=1 << 20)
    dest = tmp_path / "dl"
    rc, out, err = _run("add", file_server.url("/h.bin"), "-d", str(dest), "-x", "2")
    assert rc == 0, err
    part = dest / "h.bin.part"
    p = _main("run")
    _wait_for_bytes(part)
    time.sleep(0.4)
    p.send_signal(signal.SIGHUP)
    out, err = p.communicate(timeout=30)
    assert p.returncode == 130, (p.returncode, err)
    assert "`run` stopped by SIGHUP" in _log(zhilian_home).read_text()
    # the hint names the program as it was started (here: this Python and the path of main.py)
    assert f"zhilian: stopped; `{sys.executable} {ROOT / 'main.py'} run` again resumes" in err
    assert "Traceback" not in err
    have = _journal_matches_disk(part, data)
    assert 0 < have < len(data)
    sent = file_server.bytes_sent
    rc, out, err = _run("run")
    assert rc == 0, err
    assert (dest / "h.bin").read_bytes() == data
    assert file_server.bytes_sent - sent <= len(data) - have + 16


def test_a_hangup_ignored_by_nohup_stays_ignored(file_server, tmp_path):
    data = _nonzero_blob(3 << 20, seed=43)
    file_server.add("/n.bin", data, rate=1 << 20)
    part = tmp_path / "n.bin.part"
    p = subprocess.Popen(["nohup", sys.executable, str(ROOT / "main.py"), "get", file_server.url("/n.bin"),
                          "-d", str(tmp_path), "-x", "1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, cwd=tmp_path)
    _wait_for_bytes(part)
    p.send_signal(signal.SIGHUP)
    out, err = p.communicate(timeout=60)
    assert p.returncode == 0, err
    assert (tmp_path / "n.bin").read_bytes() == data


def test_sighup_stops_the_share_server_like_ctrl_c(tmp_path):
    """A command with its own Ctrl-C handling (the share server's loop) gets SIGHUP the same way."""
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    p = _main("serve", "--port", str(port), "--session-secret")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    p.send_signal(signal.SIGHUP)
    out, err = p.communicate(timeout=20)
    assert p.returncode == 0 and "Share server stopped." in err, (p.returncode, err)
