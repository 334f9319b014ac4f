"""Pure parts: Range parsing, durations, signatures, password hashes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.share.httprange import UNSATISFIABLE, if_range_allows, parse_range


@given(size=st.integers(1, 10**12), a=st.integers(0, 10**12), length=st.integers(0, 10**12))
def test_closed_ranges(size, a, length):
    b = a + length
    got = parse_range(f"bytes={a}-{b}", size)
    if a >= size:
        assert got == UNSATISFIABLE
    else:
        assert got == (a, min(b, size - 1))


@given(size=st.integers(0, 10**9), n=st.integers(0, 2 * 10**9))
def test_suffix_and_open_ranges(size, n):
    got = parse_range(f"bytes=-{n}", size)
    if n == 0 or size == 0:
        assert got == UNSATISFIABLE
    else:
        assert got == (max(0, size - n), size - 1)
    got = parse_range(f"bytes={n}-", size)
    assert got == (UNSATISFIABLE if n >= size else (n, size - 1))


@pytest.mark.parametrize("header", [None, "", "items=0-5", "bytes=5-1", "bytes=0-1,4-5", "bytes=a-b",
                                    "bytes=-", "bytes=1", "bytes=--5", "bytes= 0 - x"])
def test_ignored_range_headers_mean_whole_file(header):
    assert parse_range(header, 100) is None


def test_if_range():
    assert if_range_allows(None, '"e"', 1000)
    assert if_range_allows('"e"', '"e"', 1000)
    assert not if_range_allows('W/"e"', '"e"', 1000)
    assert not if_range_allows('"other"', '"e"', 1000)
    assert if_range_allows("Thu, 01 Jan 1970 00:16:40 GMT", '"e"', 1000)
    assert not if_range_allows("Thu, 01 Jan 1970 00:16:39 GMT", '"e"', 1000)
    assert not if_range_allows("garbage", '"e"', 1000)


@pytest.mark.parametrize("text,secs", [("24h", 86400), ("30m", 1800), ("7d", 604800), ("1w", 604800),
                                       ("1d12h", 129600), ("3600", 3600), ("never", 0), ("0", 0),
                                       ("1.5h", 5400)])
def test_durations(text, secs):
    from core.share.config import parse_duration
    assert parse_duration(text) == secs


@pytest.mark.parametrize("text", ["", "soon", "-1h", "5x", "h", "1h garbage"])
def test_bad_durations(text):
    from core.errors import ZhilianError
    from core.share.config import parse_duration
    with pytest.raises(ZhilianError, match="Not a duration"):
        parse_duration(text)


def test_signature_covers_id_name_and_expiry():
    from core.share import signing
    k = b"k" * 32
    sig = signing.sign(k, "id1", "a.mp4", 100)
    assert signing.verify(k, "id1", "a.mp4", 100, sig)
    for args in (("id2", "a.mp4", 100), ("id1", "b.mp4", 100), ("id1", "a.mp4", 101),
                 ("id1", "a.mp4", 0)):
        assert not signing.verify(k, *args, sig)
    assert not signing.verify(b"x" * 32, "id1", "a.mp4", 100, sig)
    url = signing.build_url("http://h:1", k, "id1", "a b/c.mp4", 5)
    assert url.startswith("http://h:1/s/id1/a%20b%2Fc.mp4?e=5&sig=")


def test_password_hashes():
    from core.share.passwords import hash_password, verify_password
    h = hash_password("密码 pw")
    assert h.startswith("scrypt$") and "密码" not in h and "pw" not in h
    assert verify_password("密码 pw", h)
    assert not verify_password("密码 pW", h)
    assert hash_password("same") != hash_password("same")          # salted
    assert not verify_password("x", "plain-text")


def test_security_section_of_the_docs_lists_the_limits_in_force():
    """docs/sharing.md "Security" states every limit with its number: the numbers are the
    ones the code uses (and the settings' defaults are those numbers)."""
    from pathlib import Path

    from core import netguard
    from core.share import ServerConfig, limits, passwords, server
    text = (Path(__file__).resolve().parents[2] / "docs" / "sharing.md").read_text()
    sec = " ".join(text.split("## Security", 1)[1].split("\n## ", 1)[0].split())
    phrases = [
        f"**{server.MAX_FAILURES} wrong passwords per client address and share within "
        f"{int(server.FAILURE_WINDOW // 60)} minutes**",
        f"**{server.PASSWORD_CHECKS} password checks run at once "
        f"({server.PASSWORD_CHECKS_PER_CLIENT} per client address)**",
        f"**{server.PASSWORD_WORKERS} threads of their own**",
        f"N=2^{passwords.N.bit_length() - 1}, r={passwords.R}, p={passwords.P}",
        f"**{limits.MAX_PASSWORD_CHARS:,} characters**",
        f"**{server.MAX_FAILURES} wrong tokens per client address within "
        f"{int(server.FAILURE_WINDOW // 60)} minutes**",
        f"**Header timeout {netguard.HEADER_TIMEOUT:g} s**",
        f"**Idle timeout {netguard.IDLE_TIMEOUT:g} s**",
        f"**{netguard.MAX_PER_CLIENT} open connections per client address**",
        f"min({netguard.FD_RESERVE}, limit/4)) / {netguard.FDS_PER_CONNECTION} connections in "
        f"total, between {netguard.MIN_CONNECTIONS} and {netguard.MAX_CONNECTIONS}**",
        f"**{netguard.connection_budget(1024)}** at the desktop default of 1,024 descriptors",
        f"the total is {netguard.NO_FD_LIMIT_CONNECTIONS}",
        f"**10 years ({limits.MAX_EXPIRY_SECONDS // 86400:,} days)**",
        f"**{limits.MIN_RATE_BPS // 1024} KiB/s to {limits.MAX_RATE_BPS // 1024 ** 3} GiB/s**",
        f"at most **{netguard.MAX_JSON_BYTES // 1024} KiB** (`413`)",
        f"**{netguard.BODY_TIMEOUT:g} s** (`408`)",
        "(at most 10,000)",
    ]
    missing = [p for p in phrases if p not in sec]
    assert not missing, missing
    cfg = ServerConfig()
    assert (cfg.header_timeout, cfg.idle_timeout, cfg.max_connections_per_client) == \
        (netguard.HEADER_TIMEOUT, netguard.IDLE_TIMEOUT, netguard.MAX_PER_CLIENT)
    assert cfg.max_connections == 0                     # from the descriptor limit
    assert netguard.SecretCheckGate.__init__.__defaults__[-1] == 10_000
