"""Hugging Face resolver against a local imitation of the Hub and its CDN."""

from __future__ import annotations

import hashlib

import pytest
from rhelpers import fetch_mirror, resolve, run_resolve
from servers import make_blob

from core.errors import NeedLogin, NotFound, UnsupportedLink
from core.expiry import url_expires_at

BIG = make_blob(200_000, seed=3)
SMALL = b'{"model_type": "wav2lip"}\n'


def hosts(hf, cdn):
    return {"huggingface.co": hf.base, "hf-mirror.com": hf.base, "cas-bridge.xethub.hf.co": cdn.base}


@pytest.fixture
def repo(hf):
    hf.add_repo("heygem/lipsync", {"model.safetensors": BIG, "config.json": SMALL,
                                   "unet/diffusion.bin": make_blob(5000, 4),
                                   "unet/config.json": b"{}"})
    return hf


def test_lfs_file_gives_signed_cdn_url_sha256_and_size(repo, cdn, clock):
    [r] = resolve("https://huggingface.co/heygem/lipsync/resolve/main/model.safetensors",
                  hosts(repo, cdn), clock=clock)
    assert r.resolver == "huggingface"
    assert r.filename == "model.safetensors"
    assert r.size == len(BIG)
    assert r.sha256 == hashlib.sha256(BIG).hexdigest()
    m = r.mirrors[0]
    assert m.url.startswith(cdn.base + "/repos/") and "X-Amz-Signature" in m.url
    assert m.expires_at == url_expires_at(m.url) == pytest.approx(clock() + 3600)
    head = [q for q in repo.requests if q["method"] == "HEAD"][0]
    assert head["headers"]["Accept-Encoding"] == "identity"
    assert fetch_mirror(m, hosts(repo, cdn)) == (200, BIG)


def test_blob_link_becomes_resolve(repo, cdn):
    [r] = resolve("看 https://huggingface.co/heygem/lipsync/blob/main/model.safetensors 这个",
                  hosts(repo, cdn))
    assert r.sha256 == hashlib.sha256(BIG).hexdigest()
    assert any("/resolve/main/model.safetensors" in q["path"] for q in repo.requests)


def test_small_file_served_by_resolve_url(repo, cdn):
    [r] = resolve("https://huggingface.co/heygem/lipsync/resolve/main/config.json", hosts(repo, cdn))
    assert r.size == len(SMALL) and r.sha256 is None
    assert "/resolve/main/config.json" in r.mirrors[0].url
    assert fetch_mirror(r.mirrors[0], hosts(repo, cdn)) == (200, SMALL)


def test_hf_endpoint_env_sends_huggingface_links_to_the_mirror(repo, cdn):
    # huggingface.co is NOT mapped: only the endpoint from HF_ENDPOINT is reachable.
    h = {"hf-mirror.com": repo.base, "cas-bridge.xethub.hf.co": cdn.base}
    [r] = resolve("https://huggingface.co/heygem/lipsync/resolve/main/model.safetensors", h,
                  env={"HF_ENDPOINT": "https://hf-mirror.com"})
    assert r.size == len(BIG)


def test_hf_mirror_links_work_directly(repo, cdn):
    [r] = resolve("https://hf-mirror.com/heygem/lipsync/resolve/main/model.safetensors",
                  {"hf-mirror.com": repo.base, "cas-bridge.xethub.hf.co": cdn.base})
    assert r.sha256 == hashlib.sha256(BIG).hexdigest()


def test_repo_link_lists_every_file_with_paths(repo, cdn):
    repo.page_size = 2   # forces the Link: rel="next" pagination
    out = resolve("https://huggingface.co/heygem/lipsync", hosts(repo, cdn))
    by_path = {r.path: r for r in out}
    assert set(by_path) == {"model.safetensors", "config.json", "unet/diffusion.bin", "unet/config.json"}
    assert by_path["model.safetensors"].sha256 == hashlib.sha256(BIG).hexdigest()
    assert by_path["unet/diffusion.bin"].size == 5000
    assert by_path["config.json"].sha256 is None    # git file: no sha256 known
    assert by_path["unet/config.json"].filename == "config.json"
    assert sum(1 for q in repo.requests if "/api/models/" in q["path"]) >= 3
    # each listed file downloads through its resolve URL (engine follows the redirect)
    assert fetch_mirror(by_path["model.safetensors"].mirrors[0], hosts(repo, cdn)) == (200, BIG)


def test_folder_link_lists_only_that_folder(repo, cdn):
    out = resolve("https://huggingface.co/heygem/lipsync/tree/main/unet", hosts(repo, cdn))
    assert sorted(r.path for r in out) == ["unet/config.json", "unet/diffusion.bin"]


def test_dataset_repo(hf, cdn):
    hf.add_repo("datasets/someone/voices", {"a.wav": make_blob(3000, 9)})
    [r] = resolve("https://huggingface.co/datasets/someone/voices/resolve/main/a.wav", hosts(hf, cdn))
    assert r.size == 3000
    out = resolve("https://huggingface.co/datasets/someone/voices", hosts(hf, cdn))
    assert [x.path for x in out] == ["a.wav"]


def test_gated_repo_without_token_needs_login(hf, cdn):
    hf.add_repo("meta/gated", {"w.bin": BIG}, gated=True)
    with pytest.raises(NeedLogin) as e:
        resolve("https://huggingface.co/meta/gated/resolve/main/w.bin", hosts(hf, cdn))
    assert "gated" in str(e.value) and "token" in str(e.value)


def test_gated_repo_with_token_and_token_sent_as_bearer(hf, cdn):
    hf.add_repo("meta/gated", {"w.bin": BIG}, gated=True)
    creds = {"huggingface.co": {"token": hf.token}}
    [r] = resolve("https://huggingface.co/meta/gated/resolve/main/w.bin", hosts(hf, cdn), credentials=creds)
    assert r.size == len(BIG)
    assert hf.requests[-1]["headers"]["Authorization"] == f"Bearer {hf.token}"


def test_token_from_hf_token_env(hf, cdn):
    hf.add_repo("me/private", {"w.bin": BIG}, private=True)
    [r] = resolve("https://huggingface.co/me/private/resolve/main/w.bin", hosts(hf, cdn),
                  env={"HF_TOKEN": hf.token})
    assert r.size == len(BIG)


def test_invalid_token(hf, cdn):
    hf.add_repo("me/private", {"w.bin": BIG}, private=True)
    with pytest.raises(NeedLogin, match="rejected your token"):
        resolve("https://huggingface.co/me/private/resolve/main/w.bin", hosts(hf, cdn),
                credentials={"huggingface.co": {"token": "hf_wrong"}})


@pytest.mark.parametrize("url,match", [
    ("https://huggingface.co/nobody/nothing/resolve/main/x.bin", "does not exist"),
    ("https://huggingface.co/heygem/lipsync/resolve/v9/model.safetensors", "Revision 'v9'"),
    ("https://huggingface.co/heygem/lipsync/resolve/main/missing.bin", "missing.bin is not in"),
    ("https://huggingface.co/heygem/lipsync/tree/main/nofolder", "nofolder"),
])
def test_not_found_errors(repo, cdn, url, match):
    with pytest.raises(NotFound, match=match):
        resolve(url, hosts(repo, cdn))


def test_private_repo_without_token_says_add_token(hf, cdn):
    hf.add_repo("me/private", {"w.bin": BIG}, private=True)
    with pytest.raises(NotFound, match="token"):
        resolve("https://huggingface.co/me/private/resolve/main/w.bin", hosts(hf, cdn))


def test_renamed_repo_is_followed(repo, cdn):
    repo.renamed["oldname/lipsync"] = "heygem/lipsync"
    [r] = resolve("https://huggingface.co/oldname/lipsync/resolve/main/model.safetensors", hosts(repo, cdn))
    assert r.sha256 == hashlib.sha256(BIG).hexdigest()


def test_refresh_gives_a_new_signature_for_the_same_file(repo, cdn, clock):
    out, fresh = run_resolve("https://huggingface.co/heygem/lipsync/resolve/main/model.safetensors",
                             hosts(repo, cdn), clock=clock, refresh_after=True)
    assert fresh and fresh[0].url.split("?")[0] == out[0].mirrors[0].url.split("?")[0]


def test_refresh_of_listed_file_heads_that_file(repo, cdn):
    out, _ = run_resolve("https://huggingface.co/heygem/lipsync", hosts(repo, cdn))
    import asyncio

    import aiohttp

    from core.resolve import make_context, make_refresher
    target = next(r for r in out if r.path == "unet/diffusion.bin")

    async def go():
        async with aiohttp.ClientSession() as s:
            ctx = make_context(s, host_map=hosts(repo, cdn), credentials={}, env={})
            return await make_refresher(target, ctx)()
    fresh = asyncio.run(go())
    assert "X-Amz-Signature" in fresh[0].url
    assert fetch_mirror(fresh[0], hosts(repo, cdn)) == (200, make_blob(5000, 4))


def test_api_link_is_refused(repo, cdn):
    with pytest.raises(UnsupportedLink):
        resolve("https://huggingface.co/api/models/heygem/lipsync", hosts(repo, cdn))


def test_token_not_sent_to_a_third_party_mirror_unless_chosen(hf, cdn):
    hf.add_repo("meta/gated", {"w.bin": BIG}, gated=True)
    creds = {"huggingface.co": {"token": hf.token}}
    h = {"hf-mirror.com": hf.base, "cas-bridge.xethub.hf.co": cdn.base}
    with pytest.raises(NeedLogin):
        resolve("https://hf-mirror.com/meta/gated/resolve/main/w.bin", h, credentials=creds)
    assert all("Authorization" not in q["headers"] for q in hf.requests)
    [r] = resolve("https://hf-mirror.com/meta/gated/resolve/main/w.bin", h, credentials=creds,
                  env={"HF_ENDPOINT": "https://hf-mirror.com"})
    assert r.size == len(BIG)
