"""The redactor and the log file in this process: every kind of secret, in a message, in
its arguments and in a traceback; the file's mode, rotation, and a folder that cannot be
written."""

from __future__ import annotations

import logging
import stat
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core import logsetup, redact
from core.redact import redact_text

CASES = [
    # (text, the secret, what must stay readable)
    ("GET https://b.s3.amazonaws.com/m.bin?X-Amz-Signature=SIG0001&X-Amz-Expires=60 ok", "SIG0001",
     "https://b.s3.amazonaws.com/m.bin?X-Amz-Signature=***&X-Amz-Expires=60 ok"),
    ("https://d.pcs.baidu.com/file/x?fid=1&sign=SIGN0002&expires=8h&rt=pr", "SIGN0002", "fid=1&sign=***&expires=8h"),
    ("https://civitai.com/api/download/models/1?token=TOK0003.", "TOK0003", "?token=***."),
    ("proxy socks5://me:PW0004@proxy.lan:1080 refused", "PW0004", "socks5://***@proxy.lan:1080 refused"),
    ("Cookie: BDUSS=BD0005; STOKEN=ST0005; sid=SID0005", "SID0005", "Cookie: ***"),
    ("headers={'Cookie': 'a=C0006; b=C0006b', 'Range': 'bytes=0-'}", "C0006", "'Range': 'bytes=0-'"),
    ('{"Authorization": "Bearer AUTH0007xyz", "Accept": "*/*"}', "AUTH0007xyz", '"Accept": "*/*"'),
    ("Authorization: token ghp_GH0008abcdefghijklmnopqrst", "GH0008", "Authorization: ***"),
    ("sent Bearer BEARER0009abc to the hub", "BEARER0009abc", "Bearer *** to the hub"),
    ("BDUSS_BFESS=BD0010x, STOKEN: ST0010x", "0010x", "BDUSS_BFESS=***, STOKEN: ***"),
    ("login failed: password=PW0011 for user bob", "PW0011", "for user bob"),
    ('{"password": "PW0012", "user": "bob"}', "PW0012", '"user": "bob"'),
    ("链接: https://pan.baidu.com/s/1abc 提取码: ab12", "ab12", "https://pan.baidu.com/s/1abc 提取码: ***"),
    ("token hf_HF0014abcdefghijklmnopqrstuvwxyz in the header", "HF0014", "hf_*** in the header"),
    ("jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJKV1QwMDE1In0.sigJWT0015 here", "sigJWT0015", " here"),
    ("Set-Cookie: __puus=PU0016; Path=/", "PU0016", "Set-Cookie: ***"),
]


@pytest.mark.parametrize("text,secret,kept", CASES)
def test_redact_text_masks_each_kind_of_secret(text, secret, kept):
    out = redact_text(text)
    assert secret not in out and kept in out, out


def test_words_that_only_look_like_names_are_kept():
    for text in ("CivitAI needs an API token: add one in Accounts",
                 "the Cookie header ('k=v') is sent to the link's host only",
                 "Not found on 127.0.0.1 (HTTP 404)", "sha256 mismatch: expected ab, got cd"):
        assert redact_text(text) == text


@pytest.fixture
def logs(zhilian_home):
    path = logsetup.setup()
    yield path
    logsetup.teardown()


def test_every_record_reaches_the_file_redacted_and_warnings_stderr_as_one_line(logs, capsys):
    log = logging.getLogger("zhilian.test")
    log.info("fetching %s with %s", "https://h/f?sign=ARGSIG1", {"Cookie": "BDUSS=ARGCOOKIE2"})
    log.warning("login for %s failed: password=%s", "pan.example", "ARGPW3")
    try:
        raise ValueError("server said: Authorization: Bearer TRACEBACKTOKEN4")
    except ValueError:
        log.exception("resolver crashed on https://h/x?token=TRACEBACKTOKEN5")
    logging.getLogger("aiohttp.client").warning("third-party %s", "hf_THIRDPARTYTOKEN6abcdefghij")
    import warnings
    warnings.warn("deprecated call with https://h/?sign=PYWARNING7", DeprecationWarning, stacklevel=1)
    line = sys._getframe().f_lineno - 1
    for h in logging.getLogger().handlers:
        h.flush()
    text = logs.read_text()
    secrets = ["ARGSIG1", "ARGCOOKIE2", "ARGPW3", "TRACEBACKTOKEN4", "TRACEBACKTOKEN5", "THIRDPARTYTOKEN6",
               "PYWARNING7"]
    assert not [s for s in secrets if s in text], text
    assert "INFO zhilian.test: fetching https://h/f?sign=*** with {'Cookie': '***'}" in text
    assert "Traceback (most recent call last)" in text and "ValueError: server said: Authorization: ***" in text
    assert "py.warnings" in text and "sign=***" in text
    assert stat.S_IMODE(logs.stat().st_mode) == 0o600
    err = capsys.readouterr().err
    assert not [s for s in secrets if s in err], err
    assert err.splitlines() == [
        "zhilian: login for pan.example failed: password=***",
        "zhilian: resolver crashed on https://h/x?token=***",
        "zhilian: third-party hf_***",
        f"zhilian: {__file__}:{line}: DeprecationWarning: deprecated call with https://h/?sign=***",
    ]


def test_the_file_rotates_at_its_size_and_keeps_three_backups(zhilian_home, monkeypatch):
    monkeypatch.setattr(logsetup, "MAX_BYTES", 4000)
    path = logsetup.setup(console=False)
    try:
        log = logging.getLogger("zhilian.test")
        for i in range(400):
            log.info("record %04d %s", i, "x" * 60)
    finally:
        logsetup.teardown()
    names = sorted(p.name for p in path.parent.iterdir())
    assert names == ["zhilian.log", "zhilian.log.1", "zhilian.log.2", "zhilian.log.3"]
    for p in path.parent.iterdir():
        assert p.stat().st_size <= 4000 + 200
        assert stat.S_IMODE(p.stat().st_mode) == 0o600
    assert "record 0399" in path.read_text()


def test_a_file_rotated_by_another_process_is_followed(zhilian_home):
    """Two writers of one file (the app and a `main.py add`): after one rotates, the other's
    next record goes to the new zhilian.log, not into the renamed backup."""
    a = logsetup.file_handler()
    b = logsetup.file_handler()
    rec = logging.LogRecord("zhilian.test", logging.INFO, __file__, 1, "%s", ("first",), None)
    b.handle(rec)
    a.doRollover()
    b.handle(logging.LogRecord("zhilian.test", logging.INFO, __file__, 1, "%s", ("after the rotation",), None))
    a.close()
    b.close()
    path = logsetup.log_file()
    assert "after the rotation" in path.read_text()
    assert "after the rotation" not in path.with_name("zhilian.log.1").read_text()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_an_unwritable_log_folder_never_breaks_a_command(zhilian_home, capsys):
    (zhilian_home / "log").write_text("a file where the folder should be")
    from core.commands import main
    assert main(["list"]) == 0
    assert "The queue is empty" in capsys.readouterr().out
    assert logsetup.setup() is None
    logging.getLogger("zhilian.test").warning("still works")
    logsetup.teardown()
    assert capsys.readouterr().err == "zhilian: still works\n"


# -- the hints that skip the patterns for most lines never skip a line a pattern changes

_WORDS = ["Cookie", "SET-COOKIE", "authorization", "Proxy-Authorization", "x-api-key", "X-Share-Token", "token",
          "BDUSS_BFESS", "stoken", "__puus", "__pus", "__kp", "FedAuth", "rtFa", "ctoken", "api_key", "ApiKey",
          "sign", "X-Amz-Signature", "x-amz-credential", "client_secret", "sessionid", "PassWord", "passwd",
          "passcode", "pwd", "提取码", "密码", "Bearer", "basic", "hf_", "ghp_", "ghs_", "github_pat_", "eyJ",
          "abcdefgh12345678", "ABCDEFGHIJKLMNOPQRS", ".", "-", "_", "=", ": ", ":", " ", "'", '"', "\\", ";",
          "&", ",", "\n", "https://h/p?sign=", "ſ", "K", "İ", "ı", "é", "word", "key"]


def _all_patterns(text: str) -> str:
    """redact_text with every pattern run on every text (no hints)."""
    import re
    if "://" in text:
        text = redact._URL_RE.sub(redact._url, text)
    m = redact.MASK
    text = re.sub(redact._QUOTED, lambda g: f"{g[1]}{g[2]}{g[1]}{g[3]}{g[4]}{m}{g[4]}", text)
    text = re.sub(redact._HEADER, lambda g: f"{g[1]}{g[2]}{m}", text)
    text = re.sub(redact._KV, redact._kv, text)
    text = re.sub(redact._BEARER, lambda g: f"{g[1]}{g[2]}{m}", text)
    return re.sub(redact._TOKEN, lambda g: (g[1] or "") + m, text)


@settings(max_examples=600, deadline=None)
@given(st.lists(st.sampled_from(_WORDS), max_size=14).map("".join))
def test_the_hints_change_no_redaction(text):
    assert redact_text(text) == _all_patterns(text)


def test_a_plain_log_line_compiles_none_of_the_name_patterns():
    redact._re.cache_clear()
    redact_text("zhilian 0.9: `get` started (Python 3.11.7, linux) GET https://example.com/models/w.bin 200")
    assert redact._re.cache_info().currsize == 0


def _names() -> list[str]:
    out = []
    for group in (redact._HEADER_NAMES, redact._COOKIE_NAMES, redact._KEYS, redact._PASSWORDS):
        out += [n.replace("\\w*", "_BFESS") for n in group.split("|")]
    return out


@pytest.mark.parametrize("name", _names())
def test_every_name_still_masks_with_the_hints(name):
    forms = (f"{name}=value1234", f"{name}: value1234", f"{{'{name}': 'value1234'}}",
             f"x {name.upper()}=value1234", f"{name.lower()} = value1234")
    for form in forms:
        assert redact_text(form) == _all_patterns(form)
    assert any("value1234" not in redact_text(f) for f in forms)
