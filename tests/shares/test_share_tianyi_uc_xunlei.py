"""Tianyi Cloud and UC Drive shares against their local mocks (tests/shares/more_mocks.py),
and the clear refusal of Xunlei Cloud shares."""

import asyncio

import aiohttp
import pytest
from more_mocks import TianyiMock, UCMock
from share_helpers import make_ctx

from core import errors
from core.models import Link
from core.resolvers import find
from core.resolvers import tianyi as tianyi_mod
from core.resolvers import uc as uc_mod

TY_LOGIN = {"189.cn": {"cookies": {"COOKIE_LOGIN_USER": TianyiMock.LOGIN, "JSESSIONID": "j1"}}}
UC_LOGIN = {"uc.cn": {"cookies": {"__pus": UCMock.PUS, "__puus": "uc-puus-0", "__kp": "k"}}}


@pytest.fixture
def ty():
    tianyi_mod._cache.clear()
    s = TianyiMock().start()
    yield s
    s.stop()


@pytest.fixture
def ucm():
    uc_mod._cache.clear()
    s = UCMock().start()
    yield s
    s.stop()


def resolve(mock, url, pwd=None, creds=None, name=None, saved=None):
    async def go():
        async with make_ctx(mock.host_map(), creds or {}, saved) as ctx:
            r = find(url)
            assert r is not None and (name is None or r.name == name)
            return await r.resolve(Link(url, pwd), ctx)
    return asyncio.run(go())


def fetch(mirror):
    async def go():
        async with aiohttp.ClientSession() as s:
            async with s.get(mirror.url, headers=mirror.headers) as r:
                return r.status, await r.read()
    return asyncio.run(go())


# ---------------------------------------------------------------- Tianyi

def test_tianyi_file_share_with_access_code(ty):
    ty.add_share("AbCd1234", "ab12", {"s3fd.pth": b"S" * 777})
    [r] = resolve(ty, "https://cloud.189.cn/t/AbCd1234", "ab12", TY_LOGIN, "tianyi")
    import hashlib
    assert (r.filename, r.size, r.md5) == ("s3fd.pth", 777, hashlib.md5(b"S" * 777).hexdigest())
    assert "&amp;" not in r.mirrors[0].url
    assert fetch(r.mirrors[0]) == (200, b"S" * 777)
    api = [q for q in ty.requests if q["path"].startswith("/api/open/share/")]
    assert api and all("Cookie" not in q["headers"] for q in api)          # share calls need no login
    assert any(q["path"].endswith("checkAccessCode.action") for q in ty.requests)


def test_tianyi_folder_share_without_code_paged(ty):
    files = {f"pack/part{i:02d}.7z": bytes([i]) * 3 for i in range(70)}
    files["pack/docs/readme.txt"] = b"hi"
    ty.add_share("Fold99", "", files)
    rs = resolve(ty, "https://cloud.189.cn/web/share?code=Fold99", None, TY_LOGIN)
    assert len(rs) == 71 and rs[0].path == "docs/readme.txt" and rs[1].path == "part00.7z"
    assert fetch(rs[5].mirrors[0])[1] == bytes([4]) * 3
    assert ty.page_size_seen.count("60") >= 2          # 70 entries: two pages of 60


@pytest.mark.parametrize("state,pwd,creds,exc,words", [
    ("ok", "zz99", TY_LOGIN, errors.WrongPassword, "Wrong access code"),
    ("ok", None, TY_LOGIN, errors.NeedPassword, "访问码"),
    ("expired", "ab12", TY_LOGIN, errors.LinkExpired, "expired"),
    ("gone", "ab12", TY_LOGIN, errors.NotFound, "no longer exists"),
    ("audit", "ab12", TY_LOGIN, errors.NotFound, "ShareAuditNotPass"),
    ("ok", "ab12", {}, errors.NeedLogin, "accounts import cloud.189.cn"),
    ("ok", "ab12", {"189.cn": {"cookies": {"COOKIE_LOGIN_USER": "old"}}}, errors.NeedLogin, "InvalidSessionKey"),
])
def test_tianyi_errors(ty, state, pwd, creds, exc, words):
    ty.add_share("AbCd1234", "ab12", {"f.bin": b"1"}, state=state)
    with pytest.raises(exc) as ei:
        resolve(ty, "https://cloud.189.cn/t/AbCd1234", pwd, creds)
    assert words in str(ei.value)


def test_tianyi_cookie_only_to_189(ty):
    ty.add_share("Cc11", "", {"a.bin": b"a"})
    [r] = resolve(ty, "https://cloud.189.cn/t/Cc11", None, TY_LOGIN)
    assert f"COOKIE_LOGIN_USER={TianyiMock.LOGIN}" in r.mirrors[0].headers["Cookie"]
    assert TianyiMock.LOGIN not in str(r.ref)


# ---------------------------------------------------------------- UC

def test_uc_share_with_passcode_and_rotated_cookie(ucm):
    ucm.add_share("ucAbc123", "p4ss", {"heygem.zip": b"H" * 900})
    saved = []
    [r] = resolve(ucm, "https://drive.uc.cn/s/ucAbc123", "p4ss", UC_LOGIN, "uc", saved)
    assert (r.filename, r.size) == ("heygem.zip", 900)
    assert fetch(r.mirrors[0]) == (200, b"H" * 900)
    assert saved and saved[-1] == ("drive.uc.cn", {"__puus": ucm.puus})


def test_uc_folder_share_without_passcode(ucm):
    ucm.add_share("ucF", "", {"m/a.pth": b"a", "m/sub/b.pth": b"bb", "c.txt": b"c"})
    rs = resolve(ucm, "https://drive.uc.cn/s/ucF?public=1", None, UC_LOGIN)
    assert [r.path for r in rs] == ["c.txt", "m/a.pth", "m/sub/b.pth"]
    assert [fetch(r.mirrors[0])[1] for r in rs] == [b"c", b"a", b"bb"]


@pytest.mark.parametrize("state,pwd,creds,exc,words", [
    ("ok", "bad0", UC_LOGIN, errors.WrongPassword, "Wrong passcode"),
    ("ok", None, UC_LOGIN, errors.NeedPassword, "passcode"),
    ("expired", "p4ss", UC_LOGIN, errors.LinkExpired, "expired"),
    ("gone", "p4ss", UC_LOGIN, errors.NotFound, "no longer exists"),
    ("ok", "p4ss", {}, errors.NeedLogin, "accounts import drive.uc.cn"),
    ("ok", "p4ss", {"uc.cn": {"cookies": {"__pus": "stale"}}}, errors.NeedLogin, "31001"),
])
def test_uc_errors(ucm, state, pwd, creds, exc, words):
    ucm.add_share("ucAbc123", "p4ss", {"f": b"1"}, state=state)
    with pytest.raises(exc) as ei:
        resolve(ucm, "https://drive.uc.cn/s/ucAbc123", pwd, creds)
    assert words in str(ei.value)


# ---------------------------------------------------------------- Xunlei

def test_xunlei_is_refused_with_the_reason():
    async def go():
        async with make_ctx({}) as ctx:
            return await find("https://pan.xunlei.com/s/VNabc123?pwd=x1y2").resolve(
                Link("https://pan.xunlei.com/s/VNabc123?pwd=x1y2"), ctx)
    with pytest.raises(errors.UnsupportedLink) as ei:
        asyncio.run(go())
    msg = str(ei.value)
    assert "not supported" in msg and "Xunlei" in msg and "\n" not in msg
