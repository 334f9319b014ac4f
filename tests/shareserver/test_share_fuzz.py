"""Property tests: random JSON at every control endpoint and random values at every CLI
option of sharing. Whatever comes in: no traceback, no 500, one clear error, and nothing is
stored unless the input was valid (then what is stored is within the limits)."""

from __future__ import annotations

import asyncio
import http.client
import json
import logging
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

# the limits the issue asks for (docs/sharing.md "Security"), written here independently
MAX_EXPIRY_SECONDS = 3650 * 86400
MIN_RATE_BPS, MAX_RATE_BPS = 1024, 10 * 1024 ** 3
MAX_RETENTION_DAYS = 3650

FUZZ = settings(max_examples=120, deadline=None, derandomize=False,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

scalars = (st.none() | st.booleans() | st.integers(min_value=-(2 ** 70), max_value=2 ** 70)
           | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=30)
           | st.sampled_from(["24h", "never", "0", "1w", "9999999w", "2M", "1K", "10G", "11G",
                              "-1", "1e400", "", "x" * 2000]))
json_values = st.recursive(scalars, lambda c: st.lists(c, max_size=4)
                           | st.dictionaries(st.text(max_size=12), c, max_size=4), max_leaves=12)


def _within_limits(s) -> bool:
    import time
    ok_expiry = s.expires == 0 or 0 < s.expires - time.time() <= MAX_EXPIRY_SECONDS + 5
    ok_rate = s.limit_bps == 0 or MIN_RATE_BPS <= s.limit_bps <= MAX_RATE_BPS
    return ok_expiry and ok_rate


class Api:
    def __init__(self, env):
        from core.share.signing import control_token
        self.env = env
        self.token = control_token(env.api.key())

    def call(self, method: str, path: str, body: bytes | None = None,
             ctype: str = "application/json") -> tuple[int, str]:
        c = http.client.HTTPConnection("127.0.0.1", self.env.port, timeout=30)
        try:
            c.request(method, path, body=body, headers={"Authorization": f"Bearer {self.token}",
                                                        "Content-Type": ctype})
            r = c.getresponse()
            return r.status, r.read().decode("utf-8", "replace")
        finally:
            c.close()

    def count(self) -> int:
        return len(self.env.api.store.list(include_inactive=True))


@pytest.fixture
def api(share_env, tmp_path, caplog):
    caplog.set_level(logging.WARNING)
    real = tmp_path / "real file.bin"
    real.write_bytes(b"r" * 100)
    a = Api(share_env)
    a.real = str(real)
    yield a
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, [r.getMessage() for r in errors]


def _body(value) -> bytes:
    return json.dumps(value, allow_nan=True).encode()


@FUZZ
@given(value=json_values)
@example(value=[1])
@example(value={"password": 5})
def test_random_json_at_create_is_refused_cleanly(api, value):
    before = api.count()
    status, text = api.call("POST", "/api/shares", _body(value))
    assert status in (400, 413), (value, status, text)
    assert "Traceback" not in text and text.count("\n") <= 1
    assert api.count() == before


@FUZZ
@given(expires=json_values, password=json_values, limit_bps=json_values,
       extra=st.dictionaries(st.sampled_from(["path", "expires", "x", "limit"]), json_values,
                             max_size=1))
@example(expires=float("inf"), password=None, limit_bps=None, extra={})
@example(expires="24h", password="pw", limit_bps=2048, extra={})
def test_random_fields_with_a_real_file(api, expires, password, limit_bps, extra):
    body = {"path": api.real, "expires": expires, "password": password, "limit_bps": limit_bps,
            **extra}
    before = api.count()
    status, text = api.call("POST", "/api/shares", _body(body))
    assert status in (201, 400), (body, status, text)
    if status == 201:
        s = api.env.api.store.get(json.loads(text)["id"])
        assert api.count() == before + 1 and _within_limits(s)
        assert s.has_password == bool(password)
    else:
        assert api.count() == before and text.count("\n") <= 1


@FUZZ
@given(raw=st.binary(max_size=300) | st.text(max_size=200).map(str.encode),
       ctype=st.sampled_from(["application/json", "text/plain", "", "application/json; x=1"]))
@example(raw=b'{"path": 1e400}', ctype="application/json")
@example(raw=b"[" * 60_000, ctype="application/json")
@example(raw=b"x" * 70_000, ctype="application/json")
def test_random_bytes_at_create(api, raw, ctype):
    before = api.count()
    status, text = api.call("POST", "/api/shares", raw, ctype)
    assert status in (400, 413, 415), (raw[:80], status, text)
    assert api.count() == before


@FUZZ
@given(query=st.text(max_size=40), sid=st.text(min_size=1, max_size=80))
@example(query="all=maybe", sid="..%2f..")
def test_random_queries_and_ids(api, query, sid):
    link = api.env.api.create(api.real)
    status, _ = api.call("GET", "/api/shares?" + quote(query, safe="=&"))
    assert status in (200, 400)
    status, _ = api.call("GET", "/api/status?" + quote(query, safe="=&"))
    assert status == 200
    status, _ = api.call("DELETE", "/api/shares/" + quote(sid, safe=""))
    assert status in (400, 404, 405)
    assert not api.env.api.store.get(link.id).revoked


# -- the CLI ------------------------------------------------------------------------------------

option_values = (st.text(max_size=25) | st.integers().map(str)
                 | st.floats(allow_nan=True, allow_infinity=True).map(str)
                 | st.sampled_from(["9999999w", "99999999999999999w", "1e999M", "-", "0", "never",
                                    "65536", "-1", "10", "11G", "1K", "3651d", "nan", "inf"]))


class Cli:
    def __init__(self, capsys):
        self.capsys = capsys

    def run(self, *argv: str) -> tuple[int, str]:
        from core.commands import main
        from core.share import secret
        secret.clear_cache()
        self.capsys.readouterr()
        try:
            rc = main(list(argv))
        except SystemExit as e:        # argparse: usage error, code 2
            rc = e.code
        err = self.capsys.readouterr().err
        assert "Traceback" not in err
        return rc, err


def _shares() -> list:
    from core.share.store import ShareStore
    s = ShareStore()
    try:
        return s.list(include_inactive=True)
    finally:
        s.close()


@pytest.fixture
def cli(capsys, tmp_path, monkeypatch):
    c = Cli(capsys)
    f = tmp_path / "f.bin"
    f.write_bytes(b"f" * 10)
    c.file = str(f)
    d = tmp_path / "outputs"
    d.mkdir()
    (d / "old.mp4").write_bytes(b"o")
    c.folder = str(d)
    import io
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    return c


@FUZZ
@given(option=st.sampled_from(["--expires", "--limit-rate", "--port", "--password",
                               "--password-file"]), value=option_values)
@example(option="--expires", value="9999999w")
@example(option="--limit-rate", value="1e999M")
@example(option="--password", value="-")
def test_random_share_options(cli, option, value):
    before = len(_shares())
    rc, err = cli.run("share", cli.file, f"{option}={value}")
    after = _shares()
    assert rc in (0, 1, 2), (option, value, rc, err)
    if rc == 0:
        assert len(after) == before + 1 and _within_limits(after[-1])
    else:
        assert len(after) == before
        assert err.strip().splitlines()[-1].startswith("zhilian"), err


@FUZZ
@given(option=st.sampled_from(["--expires", "--limit-rate", "--retention-days", "--password",
                               "--password-file"]), value=option_values)
@example(option="--retention-days", value="nan")
def test_random_watch_options(cli, option, value):
    from core.share.store import ShareStore
    store = ShareStore()
    before = len(store.watches())
    extra = ["--retention", "delete"] if option == "--retention-days" else []
    rc, err = cli.run("shares", "watch", cli.folder, f"{option}={value}", *extra)
    watches = store.watches()
    store.close()
    assert rc in (0, 1, 2), (option, value, rc, err)
    if rc == 0:
        w = watches[-1]
        assert len(watches) == before + 1
        assert w.expires_seconds <= MAX_EXPIRY_SECONDS
        assert w.limit_bps == 0 or MIN_RATE_BPS <= w.limit_bps <= MAX_RATE_BPS
        assert w.retention_days is None or 0 < w.retention_days <= MAX_RETENTION_DAYS
        for wid in [w.id]:
            assert cli.run("shares", "unwatch", wid)[0] == 0
    else:
        assert len(watches) == before


@FUZZ
@given(option=st.sampled_from(["--port", "--public-host", "--limit-rate", "--default-expires"]),
       value=option_values)
@example(option="--port", value="99999")
def test_random_config_options(cli, option, value):
    from core.share.config import config_path
    before = config_path().read_text() if config_path().exists() else None
    rc, err = cli.run("shares", "config", f"{option}={value}")
    assert rc in (0, 1, 2), (option, value, rc, err)
    if rc != 0:
        assert (config_path().read_text() if config_path().exists() else None) == before
    else:
        from core.share.config import load_config, parse_duration
        cfg = load_config()
        assert 1 <= cfg.port <= 65535 and 0 <= parse_duration(cfg.default_expires) <= MAX_EXPIRY_SECONDS


@FUZZ
@given(option=st.sampled_from(["--port", "--public-host", "--limit-rate"]), value=option_values)
def test_random_serve_options(cli, option, value, monkeypatch):
    started = []
    monkeypatch.setattr("core.commands.share._serve",      # (the facade, the options)
                        lambda app, args, **kw: started.append(asyncio.run(app.share_config())) or 0)
    rc, err = cli.run("serve", f"{option}={value}")
    assert rc in (0, 1, 2), (option, value, rc, err)
    if rc == 0:
        cfg = started[-1]
        assert 0 <= cfg.port <= 65535
        assert cfg.global_limit_bps == 0 or \
            MIN_RATE_BPS <= cfg.global_limit_bps <= MAX_RATE_BPS
    else:
        assert not started


@FUZZ
@given(value=option_values, ids=st.lists(st.text(min_size=1, max_size=20), min_size=1, max_size=3))
def test_random_log_lines_and_revoke_ids(cli, value, ids):
    rc, _ = cli.run("shares", "log", f"-n={value}")
    assert rc in (0, 1, 2)
    rc, _ = cli.run("shares", "revoke", "--", *ids)
    assert rc in (1, 2)                          # no such share: nothing to revoke

