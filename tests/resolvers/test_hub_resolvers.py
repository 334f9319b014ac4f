"""GitHub, ModelScope, CivitAI, Dropbox and Google Drive resolvers against local mocks."""

from __future__ import annotations

import hashlib

import pytest
from rhelpers import fetch_mirror, resolve, run_resolve
from servers import make_blob

from core.errors import NeedLogin, NotFound, QuotaExceeded, Throttled, UnsupportedLink

W2L = make_blob(150_000, seed=11)
S3FD = make_blob(40_000, seed=12)


def sha(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


# -- GitHub -----------------------------------------------------------------------

def gh_hosts(gh):
    return {"github.com": gh.base, "api.github.com": gh.base}


@pytest.fixture
def release(gh):
    gh.add_release("Rudrabha/Wav2Lip", "v1.0", {"wav2lip_gan.pth": W2L, "s3fd.pth": S3FD})
    return gh


def test_github_asset_with_digest(release):
    [r] = resolve("https://github.com/Rudrabha/Wav2Lip/releases/download/v1.0/wav2lip_gan.pth",
                  gh_hosts(release))
    assert (r.resolver, r.filename, r.size, r.sha256) == ("github", "wav2lip_gan.pth", len(W2L), sha(W2L))
    assert r.mirrors[0].url == release.base + "/Rudrabha/Wav2Lip/releases/download/v1.0/wav2lip_gan.pth"
    assert fetch_mirror(r.mirrors[0], gh_hosts(release)) == (200, W2L)


def test_github_release_page_lists_assets(release):
    out = resolve("https://github.com/Rudrabha/Wav2Lip/releases/tag/v1.0", gh_hosts(release))
    assert {(r.path, r.sha256) for r in out} == {("wav2lip_gan.pth", sha(W2L)), ("s3fd.pth", sha(S3FD))}


def test_github_latest(release):
    out = resolve("https://github.com/Rudrabha/Wav2Lip/releases/latest", gh_hosts(release))
    assert len(out) == 2
    [r] = resolve("https://github.com/Rudrabha/Wav2Lip/releases/latest/download/s3fd.pth", gh_hosts(release))
    assert r.sha256 == sha(S3FD)


def test_github_missing_asset_and_release(release):
    with pytest.raises(NotFound, match="no file named nope.pth"):
        resolve("https://github.com/Rudrabha/Wav2Lip/releases/download/v1.0/nope.pth", gh_hosts(release))
    with pytest.raises(NotFound, match="private"):
        resolve("https://github.com/Rudrabha/Wav2Lip/releases/tag/v9", gh_hosts(release))


def test_github_rate_limited_api_still_gives_the_file(release):
    release.rate_limited = True
    [r] = resolve("https://github.com/Rudrabha/Wav2Lip/releases/download/v1.0/s3fd.pth", gh_hosts(release))
    assert r.sha256 is None and fetch_mirror(r.mirrors[0], gh_hosts(release)) == (200, S3FD)
    with pytest.raises(Throttled, match="rate limit"):
        resolve("https://github.com/Rudrabha/Wav2Lip/releases/tag/v1.0", gh_hosts(release))


def test_github_private_repo_uses_api_asset_url_with_token(release):
    release.token = "ghp_mock"
    [r] = resolve("https://github.com/Rudrabha/Wav2Lip/releases/download/v1.0/s3fd.pth", gh_hosts(release),
                  credentials={"github.com": {"token": "ghp_mock"}})
    m = r.mirrors[0]
    assert "/releases/assets/" in m.url
    assert m.headers == {"Accept": "application/octet-stream", "Authorization": "Bearer ghp_mock"}
    assert fetch_mirror(m, gh_hosts(release)) == (200, S3FD)


def test_github_blob_link_to_raw(release):
    [r] = resolve("https://github.com/o/r/blob/main/models/a.onnx", gh_hosts(release))
    assert r.mirrors[0].url == release.base + "/o/r/raw/main/models/a.onnx" and r.filename == "a.onnx"


def test_github_private_blob_link_uses_the_contents_api_with_the_token(release):
    hosts = {**gh_hosts(release), "raw.githubusercontent.com": release.base}
    data = make_blob(300_000, seed=21)
    release.add_file("o/private-models", "main", "models/a.onnx", data)
    release.token = "ghp_mock"
    creds = {"github.com": {"token": "ghp_mock"}}
    [r] = resolve("https://github.com/o/private-models/blob/main/models/a.onnx", hosts, credentials=creds)
    m = r.mirrors[0]
    assert m.url == release.base + "/repos/o/private-models/contents/models/a.onnx?ref=main"
    assert m.headers["Accept"] == "application/vnd.github.raw"
    assert m.headers["Authorization"] == "Bearer ghp_mock"
    assert (r.filename, r.size) == ("a.onnx", len(data))
    assert fetch_mirror(m, hosts) == (200, data)       # the token reached the file
    with pytest.raises(NotFound, match="nope.onnx"):
        resolve("https://github.com/o/private-models/blob/main/nope.onnx", hosts, credentials=creds)


def test_github_private_lfs_pointer_is_a_clear_line(release):
    pointer = b"version https://git-lfs.github.com/spec/v1\noid sha256:" + b"a" * 64 + b"\nsize 123456789\n"
    release.add_file("o/private-models", "main", "big.safetensors", pointer)
    release.token = "ghp_mock"
    with pytest.raises(UnsupportedLink, match="Git LFS"):
        resolve("https://github.com/o/private-models/blob/main/big.safetensors", gh_hosts(release),
                credentials={"github.com": {"token": "ghp_mock"}})


def test_github_refresh(release):
    out, fresh = run_resolve("https://github.com/Rudrabha/Wav2Lip/releases/download/v1.0/s3fd.pth",
                             gh_hosts(release), refresh_after=True)
    assert fresh[0].url == out[0].mirrors[0].url


def test_github_repo_page_is_not_downloadable(release):
    with pytest.raises(UnsupportedLink):
        resolve("https://github.com/Rudrabha/Wav2Lip", gh_hosts(release))


# -- ModelScope --------------------------------------------------------------------

@pytest.fixture
def msrepo(ms):
    ms.add_model("iic/cosyvoice-300m", {"llm.pt": W2L, "cosyvoice.yaml": b"a: 1\n",
                                        "speech_tokenizer/model.onnx": S3FD})
    return ms


def test_modelscope_repo_lists_files_with_sha256(msrepo):
    out = resolve("https://www.modelscope.cn/models/iic/cosyvoice-300m/files", {"www.modelscope.cn": msrepo.base})
    by = {r.path: r for r in out}
    assert set(by) == {"llm.pt", "cosyvoice.yaml", "speech_tokenizer/model.onnx"}
    assert by["llm.pt"].sha256 == sha(W2L) and by["llm.pt"].size == len(W2L)
    m = by["speech_tokenizer/model.onnx"].mirrors[0]
    assert "FilePath=speech_tokenizer%2Fmodel.onnx" in m.url
    assert fetch_mirror(m, {}) == (200, S3FD)


def test_modelscope_single_file_and_folder(msrepo):
    h = {"www.modelscope.cn": msrepo.base, "modelscope.cn": msrepo.base}
    [r] = resolve("https://modelscope.cn/models/iic/cosyvoice-300m/file/view/master/llm.pt", h)
    assert r.sha256 == sha(W2L) and r.path is None
    [r] = resolve("https://www.modelscope.cn/models/iic/cosyvoice-300m/resolve/master/speech_tokenizer/model.onnx", h)
    assert r.size == len(S3FD)
    out = resolve("https://www.modelscope.cn/models/iic/cosyvoice-300m/tree/master/speech_tokenizer", h)
    assert [x.path for x in out] == ["speech_tokenizer/model.onnx"]


def test_modelscope_errors(msrepo):
    h = {"www.modelscope.cn": msrepo.base}
    with pytest.raises(NotFound, match="does not exist"):
        resolve("https://www.modelscope.cn/models/nobody/none", h)
    with pytest.raises(NotFound, match="Revision 'v2'"):
        resolve("https://www.modelscope.cn/models/iic/cosyvoice-300m/tree/v2/x", h)
    with pytest.raises(NotFound, match="nope.bin"):
        resolve("https://www.modelscope.cn/models/iic/cosyvoice-300m/resolve/master/nope.bin", h)
    msrepo.add_model("me/secret", {"a.bin": b"x" * 10}, private=True)
    with pytest.raises(NeedLogin, match="ModelScope token"):
        resolve("https://www.modelscope.cn/models/me/secret", h)
    [r] = resolve("https://www.modelscope.cn/models/me/secret", h,
                  credentials={"modelscope.cn": {"token": msrepo.token}})
    assert fetch_mirror(r.mirrors[0], h) == (200, b"x" * 10)
    with pytest.raises(NotFound, match="does not exist"):
        resolve("https://www.modelscope.cn/datasets/a/b", h)


def test_modelscope_file_view_and_resolve_links_are_one_file(msrepo):
    h = {"www.modelscope.cn": msrepo.base, "modelscope.cn": msrepo.base}
    [r] = resolve("https://www.modelscope.cn/models/iic/cosyvoice-300m/file/view/master"
                  "?fileName=speech_tokenizer%2Fmodel.onnx&status=1", h)
    assert (r.filename, r.path, r.size, r.sha256) == ("model.onnx", None, len(S3FD), sha(S3FD))
    assert fetch_mirror(r.mirrors[0], h) == (200, S3FD)
    [r] = resolve("https://modelscope.cn/models/iic/cosyvoice-300m/resolve/master/llm.pt", h)
    assert r.filename == "llm.pt" and r.path is None
    with pytest.raises(NotFound, match="nope.bin"):
        resolve("https://www.modelscope.cn/models/iic/cosyvoice-300m/file/view/master?fileName=nope.bin", h)


def test_modelscope_private_model_sends_the_sdk_cookie_not_bearer(ms):
    h = {"www.modelscope.cn": ms.base}
    ms.add_model("me/secret2", {"w.bin": b"s" * 20}, private=True)
    [r] = resolve("https://www.modelscope.cn/models/me/secret2", h,
                  credentials={"modelscope.cn": {"token": ms.token}})
    api = [q for q in ms.requests if q["path"].endswith("/repo/files")]
    assert api and all("Authorization" not in q["headers"] for q in api)
    assert all(f"m_session_id={ms.token}" in q["headers"]["Cookie"] for q in api)
    assert r.mirrors[0].headers == {"Cookie": f"m_session_id={ms.token}"}
    assert fetch_mirror(r.mirrors[0], h) == (200, b"s" * 20)
    [r] = resolve("https://www.modelscope.cn/models/me/secret2", h, env={"MODELSCOPE_API_TOKEN": ms.token})
    assert fetch_mirror(r.mirrors[0], h) == (200, b"s" * 20)


def test_modelscope_dataset_repo_via_the_dataset_api(ms):
    h = {"www.modelscope.cn": ms.base}
    files = {f"train/part-{i:03d}.parquet": bytes([i % 256]) * 3 for i in range(150)}
    files["README.md"] = b"# ds"
    ms.add_dataset("ns/lipsync-set", files)
    out = resolve("https://www.modelscope.cn/datasets/ns/lipsync-set/files", h)
    assert len(out) == 151 and {r.path for r in out} == set(files)
    trees = [q for q in ms.requests if q["path"].endswith("/repo/tree")]
    assert len(trees) == 2 and trees[1]["query"]["PageNumber"] == "2"     # paged like the SDK
    by = {r.path: r for r in out}
    m = by["train/part-007.parquet"].mirrors[0]
    assert "/api/v1/datasets/ns/lipsync-set/repo?" in m.url and "FilePath=train%2Fpart-007.parquet" in m.url
    assert fetch_mirror(m, h) == (200, b"\x07" * 3) and by["README.md"].sha256 == sha(b"# ds")
    [r] = resolve("https://www.modelscope.cn/datasets/ns/lipsync-set/resolve/master/README.md", h)
    assert r.path is None and fetch_mirror(r.mirrors[0], h) == (200, b"# ds")
    [r] = resolve("https://www.modelscope.cn/datasets/ns/lipsync-set/file/view/master?fileName=README.md", h)
    assert r.filename == "README.md"
    sub = resolve("https://www.modelscope.cn/datasets/ns/lipsync-set/tree/master/train", h)
    assert len(sub) == 150
    ms.add_dataset("ns/private-set", {"a.bin": b"p"}, private=True)
    with pytest.raises(NeedLogin, match="ModelScope token"):
        resolve("https://www.modelscope.cn/datasets/ns/private-set", h)


# -- CivitAI -----------------------------------------------------------------------

def cv_hosts(civitai):
    return {"civitai.com": civitai.base}


def test_civitai_download_link_public(civitai):
    civitai.unauthenticated_download = True     # the site's UNAUTHENTICATED_DOWNLOAD switch
    civitai.add_version(4201, 128713, [("dreamshaper_8.safetensors", W2L, {}),
                                       ("dreamshaper_8.yaml", b"cfg", {"type": "Config", "format": "Other"})])
    [r] = resolve("https://civitai.com/api/download/models/128713", cv_hosts(civitai))
    assert (r.filename, r.sha256) == ("dreamshaper_8.safetensors", sha(W2L))
    assert "X-Amz-Expires=86400" in r.mirrors[0].url and r.expires_at is not None
    assert fetch_mirror(r.mirrors[0], {}) == (200, W2L)
    [r] = resolve("https://civitai.com/api/download/models/128713?type=Config&format=Other", cv_hosts(civitai))
    assert r.filename == "dreamshaper_8.yaml"


def test_civitai_model_page_takes_latest_version(civitai):
    civitai.unauthenticated_download = True
    civitai.add_version(4201, 100, [("old.safetensors", S3FD, {})])
    civitai.add_version(4201, 101, [("new.safetensors", W2L, {})])
    [r] = resolve("https://civitai.com/models/4201/dreamshaper", cv_hosts(civitai))
    assert r.filename == "new.safetensors"
    [r] = resolve("https://civitai.com/models/4201/dreamshaper?modelVersionId=100", cv_hosts(civitai))
    assert r.filename == "old.safetensors"


def test_civitai_login_required(civitai):
    civitai.add_version(7, 70, [("locked.safetensors", S3FD, {})], login=True)
    with pytest.raises(NeedLogin, match="API token"):
        resolve("https://civitai.com/api/download/models/70", cv_hosts(civitai))
    [r] = resolve("https://civitai.com/api/download/models/70", cv_hosts(civitai),
                  credentials={"civitai.com": {"token": civitai.token}})
    assert civitai.requests[-1]["headers"]["Authorization"] == f"Bearer {civitai.token}"
    assert fetch_mirror(r.mirrors[0], {}) == (200, S3FD)


def test_civitai_token_in_link_and_refresh_keeps_it_out_of_ref(civitai):
    civitai.add_version(7, 70, [("locked.safetensors", S3FD, {})], login=True)
    out, fresh = run_resolve(f"https://civitai.com/api/download/models/70?token={civitai.token}",
                             cv_hosts(civitai), refresh_after=True)
    assert civitai.token not in repr(out[0].ref)
    assert fresh and fetch_mirror(fresh[0], {}) == (200, S3FD)


CV_NEEDS_TOKEN = "CivitAI needs an API token"


def test_civitai_every_download_needs_a_token_sent_as_bearer(civitai):
    civitai.add_version(42, 420, [("public.safetensors", S3FD, {})])        # no login asked by its creator
    with pytest.raises(NeedLogin, match=CV_NEEDS_TOKEN) as ei:
        resolve("https://civitai.com/api/download/models/420", cv_hosts(civitai))
    assert "log in" in str(ei.value) and "Accounts" in str(ei.value)      # what the GUI acts on
    [r] = resolve(f"https://civitai.com/api/download/models/420?token={civitai.token}", cv_hosts(civitai))
    dl = [q for q in civitai.requests if q["path"] == "/api/download/models/420"][-1]
    assert dl["headers"]["Authorization"] == f"Bearer {civitai.token}" and "token" not in dl["query"]
    assert fetch_mirror(r.mirrors[0], {}) == (200, S3FD)


def test_civitai_login_redirect_for_browsers_becomes_need_login(civitai):
    civitai.browser_answers = True
    civitai.add_version(43, 430, [("a.safetensors", S3FD, {})])
    with pytest.raises(NeedLogin, match=CV_NEEDS_TOKEN):
        resolve("https://civitai.com/api/download/models/430", cv_hosts(civitai))
    [r] = resolve("https://civitai.com/api/download/models/430", cv_hosts(civitai),
                  credentials={"civitai.com": {"token": civitai.token}})
    assert fetch_mirror(r.mirrors[0], {}) == (200, S3FD)


@pytest.mark.parametrize("browser", [False, True])
def test_civitai_early_access_becomes_need_login(civitai, browser):
    civitai.browser_answers = browser
    civitai.add_version(44, 440, [("ea.safetensors", S3FD, {})], early_access=True)
    with pytest.raises(NeedLogin, match="Early Access") as ei:
        resolve("https://civitai.com/api/download/models/440", cv_hosts(civitai),
                credentials={"civitai.com": {"token": civitai.token}})
    assert "CivitAI" in str(ei.value) and "log in" in str(ei.value)


def test_civitai_red_links_and_session_cookies_from_accounts(civitai):
    civitai.add_version(45, 450, [("red.safetensors", W2L, {})])
    hosts = {"civitai.com": civitai.base, "civitai.red": civitai.base}
    [r] = resolve("https://civitai.red/api/download/models/450", hosts,
                  credentials={"civitai.com": {"token": civitai.token}})
    assert r.filename == "red.safetensors" and fetch_mirror(r.mirrors[0], {}) == (200, W2L)
    assert r.ref["link"].startswith("https://civitai.red/")
    [r] = resolve("https://civitai.com/models/45", hosts,
                  credentials={"civitai.com": {"cookies": {"__Secure-civ-token": civitai.session}}})
    assert fetch_mirror(r.mirrors[0], {}) == (200, W2L)
    assert civitai.session not in repr(r.mirrors[0].headers)           # the R2 URL needs no cookie


def test_civitai_missing(civitai):
    with pytest.raises(NotFound):
        resolve("https://civitai.com/api/download/models/999", cv_hosts(civitai))
    with pytest.raises(NotFound):
        resolve("https://civitai.com/models/999", cv_hosts(civitai))


# -- Dropbox -----------------------------------------------------------------------

def db_hosts(dropbox):
    return {"www.dropbox.com": dropbox.base, "dropbox.com": dropbox.base,
            "uc8f1e2.dl.dropboxusercontent.com": dropbox.base}


def test_dropbox_scl_link_keeps_rlkey_and_sets_dl1(dropbox):
    dropbox.add("abc123xyz", W2L, rlkey="k9k9k9")
    [r] = resolve("https://www.dropbox.com/scl/fi/abc123xyz/wav2lip_gan.pth?rlkey=k9k9k9&st=s1&dl=0",
                  db_hosts(dropbox))
    assert "rlkey=k9k9k9" in r.mirrors[0].url and "dl=1" in r.mirrors[0].url and "dl=0" not in r.mirrors[0].url
    assert (r.filename, r.size) == ("wav2lip_gan.pth", len(W2L))
    assert fetch_mirror(r.mirrors[0], db_hosts(dropbox)) == (200, W2L)


def test_dropbox_old_style_and_errors(dropbox):
    dropbox.add("oldid", S3FD)
    [r] = resolve("https://dropbox.com/s/oldid/s3fd.pth?dl=0", db_hosts(dropbox))
    assert r.size == len(S3FD)
    with pytest.raises(NotFound):
        resolve("https://www.dropbox.com/s/gone/x.bin?dl=0", db_hosts(dropbox))
    dropbox.banned.add("oldid")
    with pytest.raises(QuotaExceeded, match="too much"):
        resolve("https://www.dropbox.com/s/oldid/s3fd.pth?dl=0", db_hosts(dropbox))
    with pytest.raises(UnsupportedLink, match="rlkey"):
        resolve("https://www.dropbox.com/scl/fi/abc/x.bin?dl=0", db_hosts(dropbox))


# -- Google Drive ------------------------------------------------------------------

def gd_hosts(gdrive):
    return {"drive.google.com": gdrive.base, "drive.usercontent.google.com": gdrive.base}


def test_gdrive_small_file(gdrive):
    gdrive.add("1SmallFileId_abc", "s3fd.pth", S3FD)
    [r] = resolve("https://drive.google.com/file/d/1SmallFileId_abc/view?usp=sharing", gd_hosts(gdrive))
    assert (r.filename, r.size) == ("s3fd.pth", len(S3FD))
    assert fetch_mirror(r.mirrors[0], gd_hosts(gdrive)) == (200, S3FD)


def test_gdrive_virus_scan_warning_form(gdrive):
    gdrive.add("1BigFileId_xyz0", "wav2lip_gan.pth", W2L)
    [r] = resolve("https://drive.google.com/open?id=1BigFileId_xyz0", gd_hosts(gdrive))
    assert "confirm=t" in r.mirrors[0].url and "uuid=" in r.mirrors[0].url
    assert (r.filename, r.size) == ("wav2lip_gan.pth", len(W2L))
    assert fetch_mirror(r.mirrors[0], gd_hosts(gdrive)) == (200, W2L)


def test_gdrive_quota_private_missing_folder(gdrive):
    gdrive.add("1QuotaFileId_q", "q.bin", W2L)
    gdrive.quota.add("1QuotaFileId_q")
    with pytest.raises(QuotaExceeded, match="24 h") as e:
        resolve("https://drive.google.com/uc?id=1QuotaFileId_q&export=download", gd_hosts(gdrive))
    assert e.value.retry_after
    gdrive.add("1PrivateFile_p", "p.bin", S3FD)
    gdrive.private.add("1PrivateFile_p")
    with pytest.raises(NeedLogin, match="Anyone with the link"):
        resolve("https://drive.google.com/file/d/1PrivateFile_p/view", gd_hosts(gdrive))
    with pytest.raises(NotFound):
        resolve("https://drive.google.com/file/d/1MissingFile_m/view", gd_hosts(gdrive))
    with pytest.raises(UnsupportedLink, match="folders"):
        resolve("https://drive.google.com/drive/folders/1AbCdEfGhIjK", gd_hosts(gdrive))


# -- refresh() of every resolver gives working mirrors for the same file --------------

def test_refresh_modelscope_dropbox_gdrive(msrepo, dropbox, gdrive):
    h = {"www.modelscope.cn": msrepo.base}
    out, fresh = run_resolve("https://www.modelscope.cn/models/iic/cosyvoice-300m/resolve/master/llm.pt",
                             h, refresh_after=True)
    assert fetch_mirror(fresh[0], h) == (200, W2L)
    dropbox.add("abc123xyz", S3FD, rlkey="k9")
    out, fresh = run_resolve("https://www.dropbox.com/scl/fi/abc123xyz/s3fd.pth?rlkey=k9&dl=0",
                             db_hosts(dropbox), refresh_after=True)
    assert fetch_mirror(fresh[0], db_hosts(dropbox)) == (200, S3FD)
    gdrive.add("1BigFileId_xyz0", "wav2lip_gan.pth", W2L)
    out, fresh = run_resolve("https://drive.google.com/file/d/1BigFileId_xyz0/view", gd_hosts(gdrive),
                             refresh_after=True)
    assert fetch_mirror(fresh[0], gd_hosts(gdrive)) == (200, W2L)


def test_refresh_of_a_listed_modelscope_file_picks_that_file(msrepo):
    import asyncio

    import aiohttp

    from core.resolve import make_context, make_refresher, resolve_links
    h = {"www.modelscope.cn": msrepo.base}

    async def go():
        async with aiohttp.ClientSession() as s:
            ctx = make_context(s, host_map=h, credentials={}, env={})
            out = await resolve_links("https://www.modelscope.cn/models/iic/cosyvoice-300m", ctx)
            target = next(r for r in out if r.path == "speech_tokenizer/model.onnx")
            return await make_refresher(target, ctx)()
    fresh = asyncio.run(go())
    assert fetch_mirror(fresh[0], h) == (200, S3FD)


def test_civitai_cookies_imported_like_the_accounts_dialog_does_open_downloads(civitai):
    """The GUI's Accounts dialog imports cookies (core.accounts.import_cookies): a civitai.com
    session cookie imported there, read back from the keyring, is enough to download."""
    import asyncio

    import aiohttp

    from core import accounts
    from core.resolve import make_context, resolve_links
    civitai.add_version(46, 460, [("gui.safetensors", S3FD, {})])
    accounts.import_cookies("civitai.com", f"__Secure-civ-token={civitai.session}; other=1")

    async def go():
        async with aiohttp.ClientSession() as s:
            ctx = make_context(s, host_map=cv_hosts(civitai), env={})     # credentials: the keyring
            return await resolve_links("https://civitai.com/api/download/models/460", ctx)
    [r] = asyncio.run(go())
    assert fetch_mirror(r.mirrors[0], {}) == (200, S3FD)
    dl = [q for q in civitai.requests if q["path"] == "/api/download/models/460"][-1]
    assert f"__Secure-civ-token={civitai.session}" in dl["headers"]["Cookie"]
