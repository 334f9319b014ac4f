"""The secret on a server: ``main.py rpc-secret`` shows the one kept in the keyring, the
runner uses it when no ``--rpc-secret`` is given, and without a keyring it refuses to
serve an RPC nobody could know the secret of."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from rpc_helpers import ROOT, Runner


def _cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], capture_output=True, text=True,
                          timeout=60, cwd=ROOT, env=dict(os.environ, **(env or {})))


def test_secret_from_the_keyring(zhilian_home):
    first = _cli("rpc-secret")
    assert first.returncode == 0 and re.fullmatch(r"[0-9a-f]{32}\n", first.stdout), first.stderr
    assert _cli("rpc-secret").stdout == first.stdout           # kept
    assert first.stdout.strip() not in (zhilian_home / "config" / "rpc.json").read_text()
    runner = Runner(zhilian_home, secret=None, args=("--enable-rpc",)).start()
    try:
        runner.secret = first.stdout.strip()
        assert runner.call("aria2.getVersion")["version"] == "1.37.0"
        new = _cli("rpc-secret", "--new").stdout.strip()
        assert new != runner.secret and re.fullmatch(r"[0-9a-f]{32}", new)
    finally:
        runner.stop()
    for name in os.listdir(zhilian_home / "config"):
        assert new not in (zhilian_home / "config" / name).read_text(errors="replace")


def test_no_keyring_needs_a_secret_on_the_command_line(zhilian_home):
    env = {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    r = _cli("run", "--enable-rpc", "--rpc-listen-port", "0", env=env)
    assert r.returncode == 1 and "give one with --rpc-secret" in r.stderr and "Traceback" not in r.stderr
    r = _cli("rpc-secret", env=env)
    assert r.returncode == 1 and "--rpc-secret" in r.stderr
    r = _cli("run", "--rpc-secret", "", "--rpc-listen-port", "0", env=env)
    assert r.returncode == 1 and "must not be empty" in r.stderr
