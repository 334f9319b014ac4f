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


def paths(mock, path):
    return [q for q in mock.requests if q["path"] == path]


def test_code_share_saved_then_located_like_the_cookie_only_clients(baidu):
    data = make_blob(5000, 3)
    baidu.add_share("AbCd", "x7k2", {"wav2lip_gan.pth": data})
    [r] = resolve(baidu, "https://pan.baidu.com/s/1AbCd?pwd=x7k2")
    assert r.filename == "wav2lip_gan.pth" and r.size == 5000 and r.path is None
    assert r.max_connections == 1 and r.resolver == "baidu"
    m = r.mirrors[0]
    assert m.url.startswith(baidu.base + "/file/") and "sign=" in m.url
    assert m.headers["User-Agent"].startswith("netdisk;")
    assert f"BDUSS={baidu.BDUSS}" in m.headers["Cookie"] and "BDCLND" not in m.headers["Cookie"]
    assert r.expires_at and r.ref["own_path"] == "/Zhilian/AbCd/wav2lip_gan.pth"
    assert baidu.own_file("/Zhilian/AbCd/wav2lip_gan.pth")["data"] == data
    # every page request used the netdisk client UA; verify carried the Referer
    page_reqs = [q for q in baidu.requests if q["path"].startswith("/s/")]
    assert page_reqs and all(q["headers"]["User-Agent"].startswith("netdisk") for q in page_reqs)
    verify = paths(baidu, "/share/verify")
    assert len(verify) == 1 and "/s/1AbCd" in verify[0]["headers"]["Referer"]
    # the download link came from locatedownload (the mock checks its rand/devuid signature),
    # not from the OAuth-only xpan filemetas call
    assert len(paths(baidu, "/rest/2.0/pcs/file")) == 1 and len(paths(baidu, "/c/s/login")) == 1
    assert not any("xpan" in q["path"] for q in baidu.requests)


def test_target_folder_is_created_before_the_transfer(baidu):
    """Without /Zhilian/<surl> in the user's disk the transfer answers errno 2 (hxz393's table)."""
    baidu.add_share("Mk", None, {"m.pth": b"M" * 10})
    [r] = resolve(baidu, "https://pan.baidu.com/s/1Mk")
    order = [q["path"] for q in baidu.requests if q["path"] in ("/api/create", "/share/transfer")]
    assert order == ["/api/create", "/api/create", "/share/transfer"]
    assert baidu.own["/Zhilian"]["isdir"] == 1 and baidu.own["/Zhilian/Mk"]["isdir"] == 1
    assert r.ref["own_path"] == "/Zhilian/Mk/m.pth"
    # a second share reuses /Zhilian: one more create only
    baidu.add_share("Mk2", None, {"n.pth": b"N"})
    resolve(baidu, "https://pan.baidu.com/s/1Mk2")
    assert len(paths(baidu, "/api/create")) == 3


@pytest.mark.parametrize("style", ["try", "mset", "yundata"])
def test_every_share_page_wrapper_is_read(baidu, style):
    baidu.knobs.page_style = style
    baidu.add_share("Pg", "ab12", {"a.bin": b"A" * 7})
    [r] = resolve(baidu, "https://pan.baidu.com/s/1Pg", "ab12")
    assert r.size == 7 and r.ref["own_path"] == "/Zhilian/Pg/a.bin"


def test_unreadable_share_page_says_so_and_does_not_ask_for_a_code(baidu):
    baidu.knobs.page_style = "changed"
    baidu.add_share("Chg", None, {"a.bin": b"A"})
    with pytest.raises(errors.ResolveError) as ei:
        resolve(baidu, "https://pan.baidu.com/s/1Chg")
    assert not isinstance(ei.value, errors.NeedPassword)
    assert "could not read the share page" in str(ei.value)


def test_folder_share_lists_every_file_with_its_path(baidu):
    baidu.add_share("Fold", None, {"models/a.bin": b"a" * 10, "models/sub/b.bin": b"b" * 20,
                                   "readme.txt": b"r"})
    rs = resolve(baidu, "https://pan.baidu.com/s/1Fold")
    assert [r.path for r in rs] == ["models/a.bin", "models/sub/b.bin", "readme.txt"]
    assert [r.size for r in rs] == [10, 20, 1]
    assert [r.ref["own_path"] for r in rs] == ["/Zhilian/Fold/models/a.bin", "/Zhilian/Fold/models/sub/b.bin",
                                               "/Zhilian/Fold/readme.txt"]
    # the share's top-level items were saved in one transfer (folders keep their structure)
    [t] = paths(baidu, "/share/transfer")
    sub = [q for q in paths(baidu, "/share/list") if q["query"] and "root=1" not in q["query"]]
    assert sub and all("shareid=" in q["query"] and "uk=" in q["query"] for q in sub)


@pytest.mark.parametrize("clash_style", ["12", "4"])
def test_files_already_in_the_disk_are_not_saved_twice(baidu, clash_style):
    baidu.knobs.clash_style = clash_style
    baidu.add_share("Twice", "abcd", {"m.pth": b"x" * 100, "n.pth": b"y"})
    first = resolve(baidu, "https://pan.baidu.com/s/1Twice", "abcd")
    del baidu.own["/Zhilian/Twice/n.pth"]                   # one of the two was removed meanwhile
    second = resolve(baidu, "https://pan.baidu.com/s/1Twice", "abcd")
    assert [r.ref["own_path"] for r in first] == [r.ref["own_path"] for r in second]
    transfers = paths(baidu, "/share/transfer")
    assert len(transfers) == 2
    # and a clash the listing did not foresee (saved by another program in between) is no error
    baidu.knobs.stale_listing = True
    third = resolve(baidu, "https://pan.baidu.com/s/1Twice", "abcd")
    assert len(third) == 2


def test_too_many_files_names_the_counts(baidu):
    baidu.knobs.file_limit = 2
    baidu.add_share("Many", None, {f"p/{i}.bin": b"z" for i in range(3)})
    with pytest.raises(errors.ResolveError) as ei:
        resolve(baidu, "https://pan.baidu.com/s/1Many")
    assert "3 files" in str(ei.value) and "2" in str(ei.value) and "sub-folder" in str(ei.value)


@pytest.mark.parametrize("setup,pwd,exc,words", [
    (lambda m: None, "zzzz", errors.WrongPassword, "Wrong extraction code"),
    (lambda m: None, None, errors.NeedPassword, "extraction code"),
    (lambda m: setattr(m.knobs, "verify_errno", -62), "x7k2", errors.CaptchaRequired, "verification"),
    (lambda m: setattr(m.knobs, "list_errno", 8001), "x7k2", errors.CaptchaRequired, "8001"),
    (lambda m: setattr(m.knobs, "transfer_errno", -10), "x7k2", errors.QuotaExceeded, "disk is full"),
    (lambda m: setattr(m.knobs, "transfer_errno", 20), "x7k2", errors.QuotaExceeded, "disk is full"),
    (lambda m: setattr(m.knobs, "transfer_errno", -7), "x7k2", errors.ResolveError, "folder name"),
    (lambda m: setattr(m.knobs, "locate_blocked", True), "x7k2", errors.NotFound, "blocked"),
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


def test_refresh_locates_again_without_new_transfer(baidu):
    baidu.add_share("Ref", None, {"f.bin": b"1234"})

    async def go():
        async with make_ctx(baidu.host_map(), BAIDU_CREDS) as ctx:
            r = find("https://pan.baidu.com/s/1Ref")
            [res] = await r.resolve(Link("https://pan.baidu.com/s/1Ref"), ctx)
            n_transfers = len(paths(baidu, "/share/transfer"))
            fresh = await r.refresh(res, ctx)
            assert len(paths(baidu, "/share/transfer")) == n_transfers
            assert not [q for q in baidu.requests[-1:] if q["path"].startswith("/s/")]
            return res, fresh
    res, fresh = asyncio.run(go())
    assert fresh[0].url != res.mirrors[0].url and "sign=" in fresh[0].url


@pytest.mark.parametrize("errno,call,exc,words", [
    (31360, "download", errors.LinkExpired, "expired"),
    (31326, "download", errors.Throttled, "1 connection"),
    (31626, "locate", errors.Throttled, "1 connection"),
    (31045, "locate", errors.NeedLogin, "BDUSS"),
    (31066, "locate", errors.NotFound, "no longer in your Baidu disk"),
    (-7, "transfer", errors.ResolveError, "folder name"),
    (-7, "list", errors.NotFound, "deleted or cancelled"),
    (2, "transfer", errors.ResolveError, "target folder"),
    (2, "verify", errors.ResolveError, "try again"),
    (12, "transfer", errors.ResolveError, "too many files"),
    (12, "share", errors.ResolveError, "12"),
    (4, "transfer", errors.ResolveError, "same name"),
    (20, "transfer", errors.QuotaExceeded, "disk is full"),
    (-10, "transfer", errors.QuotaExceeded, "disk is full"),
    (-9, "verify", errors.WrongPassword, "Wrong extraction code"),
    (-12, "verify", errors.WrongPassword, "Wrong extraction code"),
    (-9, "locate", errors.NotFound, "no longer"),
    (105, "list", errors.NotFound, "no longer exists"),
    (115, "transfer", errors.NotFound, "may not be shared"),
    (132, "transfer", errors.CaptchaRequired, "security"),
    (9019, "transfer", errors.CaptchaRequired, "browser"),
    (-6, "list", errors.NeedLogin, "BDUSS"),
    (-4, "transfer", errors.NeedLogin, "log out"),
    (112, "list", errors.ResolveError, "try again"),
])
def test_errno_table_is_read_per_call(errno, call, exc, words):
    from core.resolvers.baidu import errno_error
    err = errno_error(errno, call)
    assert isinstance(err, exc), (errno, call, err)
    assert words in str(err) and str(errno) in str(err)


def test_engine_refreshes_expired_dlink_through_the_resolver(baidu, tmp_path):
    """Baidu answers 31360 on the first download request: the engine asks the
    resolver for a fresh link (no second transfer) and finishes the file."""
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
    assert len(paths(baidu, "/share/transfer")) == 1
    assert len(paths(baidu, "/rest/2.0/pcs/file")) == 2


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


def test_page_json_reads_the_three_wrappers_without_running_anything():
    from core.resolvers.baidu import page_json
    ctx = '{"loginstate":1,"bdstoken":"b","shareid":42,"share_uk":"7","file_list":[{"a":{"b":1}}]}'
    assert page_json(f"<script>try {{ {ctx}; }} catch(ex){{}}</script>")["shareid"] == 42
    assert page_json(f"<script>locals.mset({ctx});</script>")["share_uk"] == "7"
    both = f'window.yunData = {ctx};\nlocals.mset({{"loginstate":1}});'
    assert page_json(both)["shareid"] == 42
    assert page_json("<script>try { doSomething(); } catch(e){}</script>") == {}


@pytest.mark.parametrize("url,surl,pwd", [
    ("https://pan.baidu.com/s/1AbC-d_9?pwd=x7k2", "AbC-d_9", "x7k2"),
    ("https://pan.baidu.com/share/init?surl=AbCd", "AbCd", None),
    ("https://yun.baidu.com/s/1Zz", "Zz", None),
])
def test_share_url_forms(url, surl, pwd):
    from core.resolvers.baidu import parse_share_url
    assert parse_share_url(url) == (surl, pwd)
    assert find(url).name == "baidu"
