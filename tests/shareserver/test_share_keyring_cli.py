"""No keyring -> a clear NoKeyring message (session-only only by choice); the CLI."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def no_keyring():
    import keyring
    from keyring.backends import fail
    before = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(before)


def test_no_keyring_is_a_clear_error_and_stores_nothing(no_keyring, tmp_path):
    from core.errors import NoKeyring
    from core.share import ShareAPI, ShareServer
    f = tmp_path / "f.bin"
    f.write_bytes(b"data")
    api = ShareAPI()
    with pytest.raises(NoKeyring, match="session-only"):
        api.create(f)
    assert api.store.list(include_inactive=True) == []
    with pytest.raises(NoKeyring):
        import asyncio
        asyncio.run(ShareServer(api.store, api.config, watch=False, write_runtime_file=False).start(0))


def test_session_secret_only_when_chosen(no_keyring, tmp_path):
    from core.share import ServerConfig, ServerThread, ShareAPI, ShareServer, use_session_secret
    from core.share.access_log import AccessLog
    f = tmp_path / "f.bin"
    f.write_bytes(b"session data")
    use_session_secret()
    api = ShareAPI(config=ServerConfig(port=0))
    th = ServerThread(ShareServer(api.store, api.config, AccessLog(tmp_path / "log"), watch=False,
                                  write_runtime_file=False), 0).start()
    api.use_server(th)
    try:
        link = api.create(f)
        with urllib.request.urlopen(link.url, timeout=10) as r:
            assert r.read() == b"session data"
    finally:
        th.stop()


class _Result:
    def __init__(self, returncode: int, stdout: str, stderr: str):
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


@pytest.fixture
def cli(capsys):
    """Run a CLI command in this process (the same entry point main.py uses)."""
    from core.commands import main

    def run(*args: str) -> _Result:
        from core.share import secret
        secret.clear_cache()
        capsys.readouterr()
        rc = main(list(args))
        out = capsys.readouterr()
        return _Result(rc, out.out, out.err)
    return run


def test_cli_without_keyring_says_so_without_traceback(tmp_path, no_keyring, cli):
    f = tmp_path / "f.bin"
    f.write_bytes(b"x")
    r = cli("share", str(f))
    assert r.returncode == 1
    assert "keyring" in r.stderr and "--session-secret" in r.stderr
    assert "Traceback" not in r.stderr


def test_cli_errors_are_sentences(tmp_path, cli):
    r = cli("share", str(tmp_path / "missing.mp4"))
    assert r.returncode == 1 and "no such file" in r.stderr and "Traceback" not in r.stderr
    r = cli("share", str(tmp_path), "--expires", "soon")
    assert r.returncode == 1 and "Not a duration" in r.stderr
    r = cli("shares", "revoke", "nosuchid")
    assert r.returncode == 1 and "No share with id" in r.stderr


def _wait_for_server(proc, timeout=30.0) -> dict:
    from core.share.config import running_servers
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise AssertionError(proc.stderr.read())
        for info in running_servers():
            if info.get("pid") == proc.pid:
                return info
        time.sleep(0.1)
    raise AssertionError("server did not start")


def test_share_and_serve_cooperate_through_the_store(tmp_path, cli):
    from core.share.server import free_port
    f = tmp_path / "result.mp4"
    data = os.urandom(300_000)
    f.write_bytes(data)
    port = free_port()
    serve = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "serve", "--port", str(port)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        info = _wait_for_server(serve)
        assert info["port"] == port
        r = cli("share", str(f), "--expires", "2h", "--password", "pw")
        assert r.returncode == 0, r.stderr
        url = r.stdout.strip().splitlines()[0]
        assert url.startswith(f"http://127.0.0.1:{port}/s/")
        assert "password required" in r.stderr
        req = urllib.request.Request(url)
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(req, timeout=10)
        assert e.value.code == 401
        got = subprocess.run(["curl", "-sS", "-f", "-u", "me:pw", url], capture_output=True,
                             timeout=30)
        assert got.returncode == 0 and got.stdout == data
        listing = cli("shares", "list")
        share_id = listing.stdout.split()[0]
        assert "result.mp4" in listing.stdout and url in listing.stdout
        assert cli("shares", "revoke", share_id).returncode == 0
        gone = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-u", "me:pw",
                               url], capture_output=True, text=True, timeout=30)
        assert gone.stdout == "410"
        assert "No active shares" in cli("shares", "list").stderr
        assert "revoked" in cli("shares", "list", "--all").stdout
        tok = cli("shares", "token").stdout.strip()
        st = urllib.request.urlopen(urllib.request.Request(
            f"http://127.0.0.1:{port}/api/status", headers={"Authorization": f"Bearer {tok}"}),
            timeout=10)
        assert json.loads(st.read())["port"] == port
        log = cli("shares", "log")
        assert "410" in log.stdout and "result.mp4" in log.stdout and "sig=" not in log.stdout
    finally:
        serve.send_signal(signal.SIGTERM)
        out, err = serve.communicate(timeout=30)
    assert serve.returncode == 0, err
    assert "Share server stopped" in err


def test_cli_watch_prune_and_config(tmp_path, cli):
    out = tmp_path / "outputs"
    out.mkdir()
    old = out / "old.mp4"
    old.write_bytes(b"o" * 5000)
    t = time.time() - 10 * 86400
    os.utime(old, (t, t))
    r = cli("shares", "watch", str(out), "--retention", "delete", "--retention-days", "5")
    assert r.returncode == 0, r.stderr
    assert "watching" in r.stdout and "/s/" in r.stdout          # existing file shared at once
    assert "retention delete" in cli("shares", "watches").stdout
    dry = cli("shares", "prune", "--dry-run")
    assert "would free 4.9 KiB" in dry.stdout and old.exists()
    done = cli("shares", "prune")
    assert "freed 4.9 KiB" in done.stdout and not old.exists()
    cfg = cli("shares", "config", "--port", "9911", "--limit-rate", "2M")
    assert "port = 9911" in cfg.stdout and "global_limit_bps = 2097152" in cfg.stdout
    f = tmp_path / "x.bin"
    f.write_bytes(b"x")
    link = cli("share", str(f), "--qr")
    assert link.stdout.startswith("http://127.0.0.1:9911/s/")
    assert "no share server is running" in link.stderr
