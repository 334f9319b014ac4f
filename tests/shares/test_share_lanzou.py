import asyncio

import pytest
from share_helpers import make_ctx
from share_mocks import expected_acw

from core import errors
from core.models import Link
from core.resolvers import find
from core.resolvers.lanzou import acw_sc_v2


def resolve(mock, url, pwd=None):
    async def go():
        async with make_ctx(mock.host_map()) as ctx:
            r = find(url)
            assert r is not None and r.name == "lanzou"
            return await r.resolve(Link(url, pwd), ctx)
    return asyncio.run(go())


def test_acw_cookie_matches_independent_formulation():
    for arg1 in ("3C7D0B1D6F2A4E5B8C9D0E1F2A3B4C5D6E7F8091", "0" * 40, "F" * 40):
        assert acw_sc_v2(arg1) == expected_acw(arg1)
        assert len(acw_sc_v2(arg1)) == 40


def test_no_password_share_via_fn_frame(lanzou):
    lanzou.add_share("iAbC123", "wav2lip.zip.001", b"L" * 2048)
    [r] = resolve(lanzou, "https://www.lanzoux.com/iAbC123")
    assert r.filename == "wav2lip.zip.001"
    m = r.mirrors[0]
    assert m.url.startswith(lanzou.base + "/dl/wav2lip.zip.001?e=")
    assert r.expires_at == lanzou.expiry and m.expires_at == lanzou.expiry
    assert "zh-CN" in m.headers["Accept-Language"] and "Mozilla" in m.headers["User-Agent"]
    assert lanzou.challenges >= 1      # the anti-bot page was shown and answered in Python
    ajax = [q for q in lanzou.requests if q["path"] == "/ajaxm.php"]
    assert ajax and ajax[0]["query"] == "file=1000"   # not the commented-out decoy


def test_password_share(lanzou):
    lanzou.add_share("iPw", "s3fd.pth", b"P" * 100, pwd="6cmb")
    [r] = resolve(lanzou, "https://wwa.lanzoui.com/iPw", "6cmb")
    assert r.filename == "s3fd.pth" and "/dl/s3fd.pth" in r.mirrors[0].url


@pytest.mark.parametrize("pwd,state,exc,words", [
    ("nope", "ok", errors.WrongPassword, "Wrong password"),
    (None, "ok", errors.NeedPassword, "password"),
    ("6cmb", "gone", errors.NotFound, "cancelled"),
])
def test_errors(lanzou, pwd, state, exc, words):
    lanzou.add_share("iPw", "s3fd.pth", b"P", pwd="6cmb", state=state)
    with pytest.raises(exc) as ei:
        resolve(lanzou, "https://www.lanzoux.com/iPw", pwd)
    assert words in str(ei.value)


def test_expired_link_from_e_parameter(lanzou):
    lanzou.add_share("iOld", "a.bin", b"A")
    lanzou.expiry = 1000
    with pytest.raises(errors.LinkExpired):
        resolve(lanzou, "https://www.lanzoux.com/iOld")


def test_folder_share_lists_all_pages_then_resolves_each_file(lanzou):
    for i in range(5):
        lanzou.add_share(f"iPart{i}", f"heygem.7z.00{i + 1}", bytes([i]) * 10)
    lanzou.add_folder("b0Fold", "HeyGem", "q9q9", [f"iPart{i}" for i in range(5)], page_size=2)
    rs = resolve(lanzou, "https://www.lanzoux.com/b0Fold", "q9q9")
    assert [r.path for r in rs] == [f"heygem.7z.00{i}" for i in range(1, 6)]
    assert all("/dl/heygem.7z.00" in r.mirrors[0].url for r in rs)
    with pytest.raises(errors.WrongPassword):
        resolve(lanzou, "https://www.lanzoux.com/b0Fold", "nope")
    with pytest.raises(errors.NeedPassword):
        resolve(lanzou, "https://www.lanzoux.com/b0Fold")


def test_second_challenge_on_download_host_is_answered(lanzou):
    lanzou.add_share("iTwo", "b.bin", b"B" * 10)
    lanzou.file_arg1 = "A1B2C3D4E5F60718293A4B5C6D7E8F9012345678"
    [r] = resolve(lanzou, "https://www.lanzoux.com/iTwo")
    assert "/dl/b.bin?e=" in r.mirrors[0].url and lanzou.challenges == 2


def test_refused_challenge_answer_is_a_clear_error(lanzou, monkeypatch):
    import core.resolvers.lanzou as lz
    lanzou.add_share("iBad", "c.bin", b"C")
    monkeypatch.setattr(lz, "_MASK", "0" * 40)       # a wrong answer
    with pytest.raises(errors.ResolveError) as ei:
        resolve(lanzou, "https://www.lanzoux.com/iBad")
    assert "anti-bot" in str(ei.value)
