import asyncio

import pytest
from share_helpers import fetch_mirror, make_ctx
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


def test_subfolder_link_saves_only_that_folder(quark):
    quark.add_share("fold2", "", {"ckpt/a.pth": b"a" * 5, "ckpt/b/c.pth": b"c" * 7, "other/x.bin": b"x"})
    ckpt, b = QuarkMock.fid("fold2", "ckpt"), QuarkMock.fid("fold2", "ckpt/b")
    rs = resolve(quark, f"https://pan.quark.cn/s/fold2#/list/share/{ckpt}-ckpt")
    assert [r.path for r in rs] == ["a.pth", "b/c.pth"]
    [saved] = quark.saved_fids
    assert sorted(saved) == sorted([QuarkMock.fid("fold2", "ckpt/a.pth"), QuarkMock.fid("fold2", "ckpt/b/c.pth")])
    details = [q for q in quark.requests if q["path"].endswith("/sharepage/detail")]
    assert f"pdir_fid={ckpt}" in details[0]["query"]
    assert not any("pdir_fid=0" in q["query"] for q in details)
    # a deeper link (the web's breadcrumb of fid-name parts) saves only the last folder
    [r] = resolve(quark, f"https://pan.quark.cn/s/fold2#/list/share/{ckpt}-ckpt/{b}-b")
    assert r.filename == "c.pth" and quark.saved_fids[-1] == [QuarkMock.fid("fold2", "ckpt/b/c.pth")]


def test_size_limit_23018_is_retried_the_way_quarkpantool_does(quark):
    data = b"Q" * 3000
    quark.add_share("big1", "", {"model.safetensors": data})
    quark.web_cap = 1000
    [r] = resolve(quark, "https://pan.quark.cn/s/big1")
    calls = [q for q in quark.requests if q["path"].endswith("/file/download")]
    assert len(calls) == 2
    assert "sys=win32" in calls[1]["query"] and "ve=2.5.56" in calls[1]["query"]
    assert "quark-cloud-drive/2.5.56" in calls[1]["headers"]["User-Agent"]
    m = r.mirrors[0]
    assert m.headers["User-Agent"] == calls[1]["headers"]["User-Agent"]
    assert fetch_mirror(m) == (200, data)


def test_size_limit_23018_after_the_retry_is_a_clear_line(quark):
    quark.add_share("big2", "", {"model.safetensors": b"Q" * 3000})
    quark.web_cap, quark.cap_everywhere = 1000, True
    with pytest.raises(errors.ResolveError) as ei:
        resolve(quark, "https://pan.quark.cn/s/big2")
    msg = str(ei.value)
    assert "23018" in msg and "size limit" in msg and "Quark desktop app" in msg
    assert not isinstance(ei.value, (errors.NeedLogin, errors.Throttled))
