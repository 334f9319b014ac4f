"""123pan shares against the local mock (tests/shares/more_mocks.py, built from OpenList's
123_share driver): with and without code, folders, wrong code, expired and gone shares,
login-only shares, the signed API calls, both redirect styles, refresh."""

import asyncio

import pytest
from more_mocks import Pan123Mock
from share_helpers import make_ctx

from core import errors
from core.models import Link
from core.resolvers import find
from core.resolvers.pan123 import _cache, sign_path


@pytest.fixture
def p123():
    _cache.clear()
    s = Pan123Mock().start()
    yield s
    s.stop()
    _cache.clear()


def resolve(mock, url, pwd=None, creds=None):
    async def go():
        async with make_ctx(mock.host_map(), creds or {}) as ctx:
            r = find(url)
            assert r is not None and r.name == "123pan"
            return await r.resolve(Link(url, pwd), ctx)
    return asyncio.run(go())


def fetch(mock, mirror):
    import aiohttp

    async def go():
        async with aiohttp.ClientSession() as s:
            async with s.get(mirror.url, headers=mirror.headers) as r:
                return r.status, await r.read()
    return asyncio.run(go())


def test_sign_path_matches_the_documented_algorithm():
    # 2026-01-02 03:04 UTC is 11:04 China time -> "202601021104" -> letters -> crc32
    import zlib
    now = 1767323040.0
    k, v = sign_path("/b/api/share/get", now, rnd=1234567)
    letters = "".join("adefghlmyijnopkqrstubcvwsz"[int(c)] for c in "202601021104")
    assert k == str(zlib.crc32(letters.encode()))
    assert v == f"1767323040-1234567-{zlib.crc32(f'1767323040|1234567|/b/api/share/get|web|3|{k}'.encode())}"


@pytest.mark.parametrize("host", ["www.123pan.com", "www.123684.com", "www.123865.com", "www.123912.com",
                                  "www.123pan.cn"])
def test_share_with_code_on_every_domain(p123, host):
    data = b"M" * 5000
    p123.add_share("abcd-Efgh", "x7Kq", {"wav2lip.pth": data})
    [r] = resolve(p123, f"https://{host}/s/abcd-Efgh.html", "x7Kq")
    assert (r.filename, r.size, r.path) == ("wav2lip.pth", 5000, None)
    import hashlib
    assert r.md5 == hashlib.md5(data).hexdigest()
    m = r.mirrors[0]
    assert m.headers["Referer"] == "https://download.123pan.cn/"
    assert m.expires_at and m.expires_at > 0
    assert fetch(p123, m) == (200, data)
    assert p123.bad_signatures == 0
    calls = [q for q in p123.requests if q["path"].startswith("/b/api/")]
    assert calls and all("Authorization" not in q["headers"] for q in calls)   # no login needed


def test_share_without_code_folder_and_json_redirect(p123):
    p123.redirect_style = "json"
    p123.add_share("fold-1", "", {"ckpt/a.pth": b"a" * 10, "ckpt/sub/b.pth": b"b" * 20, "readme.txt": b"r"})
    rs = resolve(p123, "https://www.123pan.com/s/fold-1")
    assert [r.path for r in rs] == ["ckpt/a.pth", "ckpt/sub/b.pth", "readme.txt"]
    assert [fetch(p123, r.mirrors[0])[1] for r in rs] == [b"a" * 10, b"b" * 20, b"r"]


def test_listing_is_paginated(p123):
    files = {f"f{i:03d}.bin": bytes([i]) for i in range(130)}
    p123.add_share("many", "", files)
    rs = resolve(p123, "https://www.123pan.com/s/many")
    assert len(rs) == 130
    pages = [q for q in p123.requests if q["path"] == "/b/api/share/get"]
    assert {"Page=1", "Page=2"} <= {p for q in pages for p in q["query"].split("&")}


@pytest.mark.parametrize("state,pwd,exc,words", [
    ("ok", "zzzz", errors.WrongPassword, "Wrong extraction code"),
    ("ok", None, errors.NeedPassword, "提取码"),
    ("expired", "x7Kq", errors.LinkExpired, "expired"),
    ("gone", "x7Kq", errors.NotFound, "no longer exists"),
])
def test_share_errors(p123, state, pwd, exc, words):
    p123.add_share("abcd-Efgh", "x7Kq", {"f": b"1"}, state=state)
    with pytest.raises(exc) as ei:
        resolve(p123, "https://www.123pan.com/s/abcd-Efgh", pwd)
    assert words in str(ei.value)


def test_login_only_share_needs_the_stored_token(p123):
    p123.add_share("vip1", "", {"big.safetensors": b"B" * 100}, login_required=True)
    with pytest.raises(errors.NeedLogin) as ei:
        resolve(p123, "https://www.123pan.com/s/vip1")
    assert "accounts set 123pan.com --token" in str(ei.value)
    with pytest.raises(errors.NeedLogin):       # a wrong / expired token: same answer
        resolve(p123, "https://www.123pan.com/s/vip1", creds={"123pan.com": {"token": "stale"}})
    [r] = resolve(p123, "https://www.123pan.com/s/vip1", creds={"123pan.com": {"token": Pan123Mock.TOKEN}})
    assert fetch(p123, r.mirrors[0])[1] == b"B" * 100
    assert Pan123Mock.TOKEN not in str(r.ref) and "Authorization" not in r.mirrors[0].headers


def test_traffic_used_up_is_a_quota_error(p123):
    p123.add_share("t1", "", {"f.bin": b"1"}, traffic_out=True)
    with pytest.raises(errors.QuotaExceeded) as ei:
        resolve(p123, "https://www.123pan.com/s/t1")
    assert "traffic" in str(ei.value)


def test_refresh_gets_a_new_cdn_link_for_the_same_file(p123):
    p123.add_share("r1", "", {"model.bin": b"Q" * 64})
    [r] = resolve(p123, "https://www.123pan.com/s/r1")

    async def go():
        async with make_ctx(p123.host_map()) as ctx:
            return await find(r.ref["link"]).refresh(r, ctx)
    [m] = asyncio.run(go())
    assert m.url != r.mirrors[0].url and fetch(p123, m)[1] == b"Q" * 64
    assert len([q for q in p123.requests if q["path"] == "/b/api/share/get"]) == 1   # no new listing


def test_not_a_share_path(p123):
    with pytest.raises(errors.UnsupportedLink):
        resolve(p123, "https://www.123pan.com/files/abc")
