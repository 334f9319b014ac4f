"""Aliyun Drive shares against the local mock (tests/shares/more_mocks.py, built from
OpenList's aliyundrive_share driver): share token, listing with x-share-token, the
refresh-token login (missing, expired, rotated and stored back), access-token renewal,
the Referer the download needs, and a download link that expires mid-way."""

import asyncio

import aiohttp
import pytest
from more_mocks import AliyunMock
from servers import make_blob

from core import errors
from core.models import Link
from core.resolve import make_context, make_refresher
from core.resolvers import find
from core.resolvers.aliyundrive import forget_tokens


@pytest.fixture
def ali():
    forget_tokens()
    s = AliyunMock().start()
    yield s
    s.stop()
    forget_tokens()


class Saved(list):
    def __call__(self, host, token):
        self.append((host, token))


def creds(mock):
    return {"alipan.com": {"token": mock.refresh_token}}


def resolve(mock, url, pwd=None, credentials=None, saved=None, clock=None):
    async def go():
        async with aiohttp.ClientSession() as s:
            ctx = make_context(s, host_map=mock.host_map(), env={},
                               credentials=creds(mock) if credentials is None else credentials,
                               save_cookies=lambda h, c: None,
                               save_token=saved if saved is not None else Saved(), clock=clock)
            r = find(url)
            assert r is not None and r.name == "alipan"
            return await r.resolve(Link(url, pwd), ctx)
    return asyncio.run(go())


def fetch(mirror, headers=None):
    async def go():
        async with aiohttp.ClientSession() as s:
            async with s.get(mirror.url, headers=mirror.headers if headers is None else headers) as r:
                return r.status, await r.read()
    return asyncio.run(go())


def test_share_with_code_rotates_and_stores_the_refresh_token(ali):
    ali.add_share("AbCdEfGhIjK", "1a2b", {"wav2lip_gan.pth": b"W" * 4000})
    first = ali.refresh_token
    saved = Saved()
    [r] = resolve(ali, "https://www.alipan.com/s/AbCdEfGhIjK", "1a2b", saved=saved)
    assert (r.filename, r.size, r.path) == ("wav2lip_gan.pth", 4000, None)
    m = r.mirrors[0]
    assert m.headers["Referer"] == "https://www.alipan.com/"
    assert m.expires_at and abs(m.expires_at - (r.expires_at or 0)) < 1
    assert fetch(m) == (200, b"W" * 4000)
    assert fetch(m, headers={})[0] == 403                      # the Referer is required
    assert saved == [("alipan.com", ali.refresh_token)] and ali.refresh_token != first
    assert first not in str(r.ref) and ali.refresh_token not in str(r.ref)


def test_share_without_code_folder_and_subfolder_link(ali):
    ali.add_share("FoLd3r", "", {"models/a.pth": b"a", "models/deep/b.pth": b"bb", "x.txt": b"x"})
    rs = resolve(ali, "https://www.aliyundrive.com/s/FoLd3r")
    assert [r.path for r in rs] == ["models/a.pth", "models/deep/b.pth", "x.txt"]
    assert [fetch(r.mirrors[0])[1] for r in rs] == [b"a", b"bb", b"x"]
    models_id = next(e["id"] for e in ali.shares["FoLd3r"].entries if e["path"] == "models")
    sub = resolve(ali, f"https://www.alipan.com/s/FoLd3r/folder/{models_id}",
                  credentials={"alipan.com": {"token": ali.refresh_token}})
    assert [r.path for r in sub] == ["a.pth", "deep/b.pth"]


@pytest.mark.parametrize("state,pwd,exc,words", [
    ("ok", "zzzz", errors.WrongPassword, "Wrong extraction code"),
    ("ok", None, errors.NeedPassword, "提取码"),
    ("expired", "1a2b", errors.LinkExpired, "expired"),
    ("cancelled", "1a2b", errors.NotFound, "no longer exists"),
    ("gone", "1a2b", errors.NotFound, "NotFound.ShareLink"),
])
def test_share_errors(ali, state, pwd, exc, words):
    ali.add_share("AbCdEfGhIjK", "1a2b", {"f.bin": b"1"}, state=state)
    with pytest.raises(exc) as ei:
        resolve(ali, "https://www.alipan.com/s/AbCdEfGhIjK", pwd)
    assert words in str(ei.value)


def test_login_missing_and_expired(ali):
    ali.add_share("AbCdEfGhIjK", "", {"f.bin": b"1"})
    with pytest.raises(errors.NeedLogin) as ei:
        resolve(ali, "https://www.alipan.com/s/AbCdEfGhIjK", credentials={})
    assert "accounts set alipan.com --token" in str(ei.value)
    with pytest.raises(errors.NeedLogin) as ei:
        resolve(ali, "https://www.alipan.com/s/AbCdEfGhIjK", credentials={"alipan.com": {"token": "rt-old"}})
    assert "expired or invalid" in str(ei.value) and "InvalidParameter.RefreshToken" in str(ei.value)


def test_access_token_kept_then_renewed_when_it_expires(ali):
    ali.add_share("S1", "", {"a.bin": b"a"})
    ali.add_share("S2", "", {"b.bin": b"b"})
    t = [1000.0]
    token = {"alipan.com": {"token": ali.refresh_token}}
    resolve(ali, "https://www.alipan.com/s/S1", credentials=token, clock=lambda: t[0])
    resolve(ali, "https://www.alipan.com/s/S2", credentials=token, clock=lambda: t[0])
    assert ali.exchanges == 1                                   # one login for both
    t[0] += 7200                                                # the access token's lifetime passed
    ali.add_share("S3", "", {"c.bin": b"c"})
    resolve(ali, "https://www.alipan.com/s/S3", credentials=token, clock=lambda: t[0])
    assert ali.exchanges == 2                                   # renewed with the rotated token
    ali.expire_access_tokens()                                  # the host revokes it early
    ali.add_share("S4", "", {"d.bin": b"d"})
    [r] = resolve(ali, "https://www.alipan.com/s/S4", credentials=token, clock=lambda: t[0])
    assert ali.exchanges == 3 and fetch(r.mirrors[0])[1] == b"d"


def test_expired_download_link_is_renewed_during_the_download(ali, tmp_path):
    data = make_blob(600_000, 3)
    ali.add_share("Big1", "", {"heygem.7z": data})
    ali.expire_next_url = 1                     # the first link is already past its x-oss-expires

    async def go():
        from core.engine import DownloadOptions, Engine
        async with Engine() as eng, aiohttp.ClientSession() as s:
            ctx = make_context(s, host_map=ali.host_map(), env={}, credentials=creds(ali),
                               save_cookies=lambda h, c: None, save_token=Saved())
            [r] = await find("https://www.alipan.com/s/Big1").resolve(
                Link("https://www.alipan.com/s/Big1"), ctx)
            r.resolver = "alipan"
            dl = eng.download(r, tmp_path, DownloadOptions(connections=4), refresh=make_refresher(r, ctx))
            return await dl.run()
    path = asyncio.run(go())
    assert path.read_bytes() == data
    assert len(ali.issued) >= 2                 # a second link was asked for the same file
