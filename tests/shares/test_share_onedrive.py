"""Personal OneDrive share links (1drv.ms, onedrive.live.com) against a mock of the
anonymous "Badger" flow a maintained downloader uses (see OneDriveMock)."""

import asyncio
import hashlib

import pytest
from servers import make_blob
from share_helpers import fetch_mirror, make_ctx

from core import errors
from core.models import Link, Mirror
from core.resolvers import find


def resolve(mock, url, pwd=None, refresh=False):
    async def go():
        async with make_ctx(mock.host_map()) as ctx:
            r = find(url)
            assert r is not None and r.name == "onedrive"
            out = await r.resolve(Link(url, pwd), ctx)
            fresh = await r.refresh(out[0], ctx) if refresh else None
            return out, fresh
    return asyncio.run(go())


def get(url):
    return fetch_mirror(Mirror(url))


def test_1drv_ms_file_link_resolves_through_the_badger_token(onedrive):
    data = make_blob(70_000, 31)
    link = onedrive.share(onedrive.add_file("wav2lip_gan.pth", data))
    ([r], fresh) = resolve(onedrive, link, refresh=True)
    assert (r.resolver, r.filename, r.size, r.path) == ("onedrive", "wav2lip_gan.pth", len(data), None)
    assert r.sha256 == hashlib.sha256(data).hexdigest()
    assert r.mirrors[0].url.startswith(onedrive.base + "/y4m") and not r.mirrors[0].headers
    from core.redact import redact_url
    token = r.mirrors[0].url.split("/y4m", 1)[1].split("/", 1)[0]
    assert token not in redact_url(r.mirrors[0].url)   # a pre-authenticated URL: never stored as is
    assert get(r.mirrors[0].url) == (200, data)
    assert fresh and get(fresh[0].url) == (200, data)
    [tok] = [q for q in onedrive.requests if q["path"] == "/v1.0/token"]
    assert tok["headers"]["AppId"] == onedrive.APP_ID
    api = [q for q in onedrive.requests if q["path"].endswith("/driveitem")]
    assert api and all(q["headers"]["Authorization"].startswith("Badger ") and
                       q["headers"]["Prefer"] == "autoredeem" for q in api)
    assert len(onedrive.tokens) == 1            # the token is reused for the refresh


def test_shared_folder_gives_every_file_with_its_path(onedrive):
    top = onedrive.add_folder("HeyGem")
    onedrive.add_file("a.bin", b"a" * 10, top)
    sub = onedrive.add_folder("sub", top)
    onedrive.add_file("c.bin", b"c" * 30, sub)
    onedrive.add_file("b.bin", b"b" * 20, top)
    rs, _ = resolve(onedrive, onedrive.share(top))
    assert sorted((r.path, r.size) for r in rs) == [("a.bin", 10), ("b.bin", 20), ("sub/c.bin", 30)]
    assert all(get(r.mirrors[0].url)[0] == 200 for r in rs)
    assert any(q["path"].startswith("/v1.0/drives/") for q in onedrive.requests)


def test_old_style_onedrive_live_link_with_authkey(onedrive):
    iid = onedrive.add_file("s3fd.pth", b"S" * 40)
    [r], _ = resolve(onedrive, f"https://onedrive.live.com/?authkey=%21AbCdEf&id={iid}&cid={onedrive.CID.upper()}")
    assert r.filename == "s3fd.pth" and get(r.mirrors[0].url) == (200, b"S" * 40)
    q = [q for q in onedrive.requests if q["path"].startswith("/v1.0/drives/")][-1]
    assert "authkey=%21AbCdEf" in q["query"] or "authkey=!AbCdEf" in q["query"]


def test_a_kept_token_the_host_no_longer_takes_is_replaced_once(onedrive):
    link = onedrive.share(onedrive.add_file("x.bin", b"x" * 5))
    resolve(onedrive, link)
    onedrive.tokens.clear()                     # the service forgot every token it gave
    [r], _ = resolve(onedrive, link)
    assert get(r.mirrors[0].url) == (200, b"x" * 5) and len(onedrive.tokens) == 1


def test_missing_share_is_not_found(onedrive):
    with pytest.raises(errors.NotFound):
        resolve(onedrive, "https://1drv.ms/u/c/a1b2c3d4e5f60718/EnoSuchShare123?e=x")
