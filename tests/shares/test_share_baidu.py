import asyncio

import pytest
from servers import make_blob
from share_helpers import BAIDU_CREDS, make_ctx

from core import errors
from core.models import Link
from core.resolvers import find


def resolve(mock, url, pwd=None, creds=BAIDU_CREDS):
    async def go():
        async with make_ctx(mock.host_map(), creds) as ctx:
            r = find(url)
            assert r is not None and r.name == "baidu"
            return await r.resolve(Link(url, pwd), ctx)
    return asyncio.run(go())


def test_code_share_resolves_to_dlink_with_netdisk_headers(baidu):
    data = make_blob(5000, 3)
    baidu.add_share("AbCd", "x7k2", {"wav2lip_gan.pth": data})
    [r] = resolve(baidu, "https://pan.baidu.com/s/1AbCd?pwd=x7k2")
    assert r.filename == "wav2lip_gan.pth" and r.size == 5000 and r.path is None
    assert r.max_connections == 1 and r.resolver == "baidu"
    m = r.mirrors[0]
    assert m.url.startswith(baidu.base + "/file/") and "sign=" in m.url
    assert m.headers["User-Agent"] == "pan.baidu.com"
    assert f"BDUSS={baidu.BDUSS}" in m.headers["Cookie"] and "BDCLND" not in m.headers["Cookie"]
    assert r.expires_at and r.ref["fs_id"] in baidu.own
    # every page request used the netdisk client UA; verify carried the Referer
    page_reqs = [q for q in baidu.requests if q["path"].startswith("/s/")]
    assert page_reqs and all(q["headers"]["User-Agent"].startswith("netdisk") for q in page_reqs)
    verify = [q for q in baidu.requests if q["path"] == "/share/verify"]
    assert len(verify) == 1 and "/s/1AbCd" in verify[0]["headers"]["Referer"]


def test_folder_share_lists_every_file_with_its_path(baidu):
    baidu.add_share("Fold", None, {"models/a.bin": b"a" * 10, "models/sub/b.bin": b"b" * 20,
                                   "readme.txt": b"r"})
    rs = resolve(baidu, "https://pan.baidu.com/s/1Fold")
    assert [r.path for r in rs] == ["models/a.bin", "models/sub/b.bin", "readme.txt"]
    assert [r.size for r in rs] == [10, 20, 1]


def test_already_saved_file_is_found_in_own_disk(baidu):
    baidu.add_share("Twice", "abcd", {"m.pth": b"x" * 100})
    first = resolve(baidu, "https://pan.baidu.com/s/1Twice", "abcd")
    second = resolve(baidu, "https://pan.baidu.com/s/1Twice", "abcd")
    assert first[0].ref["fs_id"] == second[0].ref["fs_id"]


@pytest.mark.parametrize("setup,pwd,exc,words", [
    (lambda m: None, "zzzz", errors.WrongPassword, "Wrong extraction code"),
    (lambda m: None, None, errors.NeedPassword, "extraction code"),
    (lambda m: setattr(m.knobs, "verify_errno", -62), "x7k2", errors.CaptchaRequired, "verification"),
    (lambda m: setattr(m.knobs, "list_errno", 8001), "x7k2", errors.CaptchaRequired, "8001"),
    (lambda m: setattr(m.knobs, "transfer_errno", 12), "x7k2", errors.ResolveError, "more files"),
    (lambda m: setattr(m.knobs, "transfer_errno", -10), "x7k2", errors.QuotaExceeded, "disk is full"),
    (lambda m: m.shares["AbCd"].__setattr__("state", "expired"), "x7k2", errors.LinkExpired, "expired"),
    (lambda m: m.shares["AbCd"].__setattr__("state", "gone"), "x7k2", errors.NotFound, "no longer exists"),
])
def test_errno_mapping(baidu, setup, pwd, exc, words):
    baidu.add_share("AbCd", "x7k2", {"f.bin": b"1234"})
    setup(baidu)
    with pytest.raises(exc) as ei:
        resolve(baidu, "https://pan.baidu.com/s/1AbCd", pwd)
    assert words in str(ei.value)


def test_login_needed_without_or_with_bad_cookies(baidu):
    baidu.add_share("AbCd", None, {"f.bin": b"1234"})
    with pytest.raises(errors.NeedLogin) as ei:
        resolve(baidu, "https://pan.baidu.com/s/1AbCd", creds={})
    assert ei.value.cookies == ("BDUSS", "STOKEN") and "BDUSS" in str(ei.value)
    with pytest.raises(errors.NeedLogin) as ei:
        resolve(baidu, "https://pan.baidu.com/s/1AbCd",
                creds={"baidu.com": {"cookies": {"BDUSS": "old", "STOKEN": "old"}}})
    assert "expired" in str(ei.value)


def test_account_setting_raises_connections(baidu):
    baidu.add_share("Vip", None, {"f.bin": b"1234"})
    creds = {"baidu.com": {**BAIDU_CREDS["baidu.com"], "max_connections": 4}}
    [r] = resolve(baidu, "https://pan.baidu.com/s/1Vip", creds=creds)
    assert r.max_connections == 4 and r.mirrors[0].max_connections == 4


def test_refresh_gets_new_dlink_without_new_transfer(baidu):
    baidu.add_share("Ref", None, {"f.bin": b"1234"})

    async def go():
        async with make_ctx(baidu.host_map(), BAIDU_CREDS) as ctx:
            r = find("https://pan.baidu.com/s/1Ref")
            [res] = await r.resolve(Link("https://pan.baidu.com/s/1Ref"), ctx)
            n_transfers = sum(q["path"] == "/share/transfer" for q in baidu.requests)
            fresh = await r.refresh(res, ctx)
            assert sum(q["path"] == "/share/transfer" for q in baidu.requests) == n_transfers
            return res, fresh
    res, fresh = asyncio.run(go())
    assert fresh[0].url != res.mirrors[0].url and "sign=" in fresh[0].url


def test_errno_table_has_a_message_for_download_errors():
    from core.resolvers.baidu import errno_error
    assert isinstance(errno_error(31360), errors.LinkExpired)
    for e in (31326, 31626):
        err = errno_error(e)
        assert isinstance(err, errors.Throttled) and str(e) in str(err)
    assert isinstance(errno_error(-30), errors.ResolveError)


def test_engine_refreshes_expired_dlink_through_the_resolver(baidu, tmp_path):
    """Baidu answers 31360 on the first download request: the engine asks the
    resolver for a fresh dlink (no second transfer) and finishes the file."""
    from core.engine import DownloadOptions, Engine
    from core.resolve import make_refresher
    data = make_blob(100_000, 11)
    baidu.add_share("Exp", None, {"big.bin": data})

    async def go():
        async with make_ctx(baidu.host_map(), BAIDU_CREDS) as ctx:
            [res] = await find("https://pan.baidu.com/s/1Exp").resolve(
                Link("https://pan.baidu.com/s/1Exp"), ctx)
            baidu.knobs.dlink_expired = 1
            async with Engine() as eng:
                dl = eng.download(res, tmp_path, DownloadOptions(), refresh=make_refresher(res, ctx))
                return await dl.run()
    path = asyncio.run(go())
    assert path.read_bytes() == data
    assert baidu.knobs.dlink_expired == 0
    assert sum(q["path"] == "/share/transfer" for q in baidu.requests) == 1
    assert sum(q["path"] == "/rest/2.0/xpan/multimedia" for q in baidu.requests) == 2


def test_pasted_share_text_through_core_resolve(baidu):
    from core.resolve import make_context, resolve_links
    baidu.add_share("Txt", "k3y9", {"HeyGem/face2face.pth": b"F" * 64, "HeyGem/README.md": b"r"})
    text = "链接: https://pan.baidu.com/s/1Txt 提取码: k3y9 复制这段内容后打开百度网盘手机App"

    async def go():
        import aiohttp
        async with aiohttp.ClientSession() as s:
            ctx = make_context(s, host_map=baidu.host_map(), credentials=BAIDU_CREDS, env={})
            return await resolve_links(text, ctx)
    rs = asyncio.run(go())
    assert [r.path for r in rs] == ["HeyGem/README.md", "HeyGem/face2face.pth"]
    assert all(r.resolver == "baidu" and r.ref["password"] == "k3y9" for r in rs)


@pytest.mark.parametrize("url,surl,pwd", [
    ("https://pan.baidu.com/s/1AbC-d_9?pwd=x7k2", "AbC-d_9", "x7k2"),
    ("https://pan.baidu.com/share/init?surl=AbCd", "AbCd", None),
    ("https://yun.baidu.com/s/1Zz", "Zz", None),
])
def test_share_url_forms(url, surl, pwd):
    from core.resolvers.baidu import parse_share_url
    assert parse_share_url(url) == (surl, pwd)
    assert find(url).name == "baidu"
