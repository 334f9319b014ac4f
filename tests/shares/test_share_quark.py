import asyncio

import pytest
from share_helpers import make_ctx
from share_mocks import QuarkMock

from core import errors
from core.models import Link
from core.resolvers import find

CREDS = {"quark.cn": {"cookies": {"__pus": QuarkMock.PUS, "__puus": "puus-initial-" + "A" * 20,
                                  "__kp": "kp1"}}}


def resolve(mock, url, pwd=None, creds=CREDS, saved=None):
    async def go():
        async with make_ctx(mock.host_map(), creds, saved) as ctx:
            r = find(url)
            assert r is not None and r.name == "quark"
            return await r.resolve(Link(url, pwd), ctx)
    return asyncio.run(go())


def test_passcode_share_token_detail_save_poll_download(quark):
    quark.add_share("abc123", "q1w2", {"heygem.7z": b"H" * 3000})
    saved = []
    [r] = resolve(quark, "https://pan.quark.cn/s/abc123", "q1w2", saved=saved)
    assert r.filename == "heygem.7z" and r.size == 3000 and r.max_connections == 3
    m = r.mirrors[0]
    assert m.url.startswith(quark.base + "/dl/")
    assert m.headers["Referer"] == "https://pan.quark.cn"
    assert "quark-cloud-drive" in m.headers["User-Agent"]
    # the download carries the latest rotated __puus, and it was saved back
    assert f"__puus={quark.puus}" in m.headers["Cookie"] and f"__pus={QuarkMock.PUS}" in m.headers["Cookie"]
    assert saved and saved[-1][0] == "pan.quark.cn" and saved[-1][1]["__puus"] == quark.puus
    assert quark.rotations == 2
    polls = [q for q in quark.requests if q["path"].endswith("/task")]
    assert len(polls) == 2


def test_folder_share_gives_paths(quark):
    quark.add_share("fold", "", {"ckpt/a.pth": b"a" * 5, "ckpt/b/c.pth": b"c" * 7, "x.txt": b"x"})
    rs = resolve(quark, "https://pan.quark.cn/s/fold")
    assert [r.path for r in rs] == ["ckpt/a.pth", "ckpt/b/c.pth", "x.txt"]
    assert [r.size for r in rs] == [5, 7, 1]


@pytest.mark.parametrize("state,pwd,creds,exc,words", [
    ("ok", "bad", CREDS, errors.WrongPassword, "Wrong passcode"),
    ("ok", None, CREDS, errors.NeedPassword, "passcode"),
    ("expired", "q1w2", CREDS, errors.LinkExpired, "expired"),
    ("gone", "q1w2", CREDS, errors.NotFound, "no longer exists"),
    ("ok", "q1w2", {}, errors.NeedLogin, "login"),
    ("ok", "q1w2", {"quark.cn": {"cookies": {"__pus": "stale"}}}, errors.NeedLogin, "31001"),
])
def test_errors(quark, state, pwd, creds, exc, words):
    quark.add_share("abc123", "q1w2", {"f": b"1"}, state=state)
    with pytest.raises(exc) as ei:
        resolve(quark, "https://pan.quark.cn/s/abc123", pwd, creds=creds)
    assert words in str(ei.value)


def test_cookie_never_attached_to_a_download_host_outside_quark(quark):
    quark.add_share("cdn1", "", {"f.bin": b"F" * 10})
    quark.download_host = "quark-files.example-cdn.net"
    [r] = resolve(quark, "https://pan.quark.cn/s/cdn1")
    m = r.mirrors[0]
    assert "example-cdn.net" in m.url and "Cookie" not in m.headers
    assert m.headers["Referer"] == "https://pan.quark.cn"
