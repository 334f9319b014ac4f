"""Kaggle models and datasets against the local mock (tests/resolvers/more_hubmocks.py,
built from kagglehub and kagglesdk): versions, listing pages, per-file signed links,
logins from Accounts / environment / kaggle.json, errors, the archive for big datasets,
and an engine download whose signed link expired."""

import asyncio
import base64
import json
import zipfile

import pytest
from more_hubmocks import MockGCS, MockKaggle
from rhelpers import fetch_mirror, resolve

from core import errors
from core.resolvers.kaggle import _cache, framework_enum

GOOD = {"kaggle.com": {"token": f"{MockKaggle.USER}:{MockKaggle.KEY}"}}


@pytest.fixture
def kaggle():
    _cache.clear()
    gcs = MockGCS().start()
    k = MockKaggle(gcs).start()
    yield k
    k.stop()
    gcs.stop()
    _cache.clear()


def test_framework_names_follow_kagglehub():
    assert framework_enum("pyTorch") == "MODEL_FRAMEWORK_PY_TORCH"
    assert framework_enum("PyTorch") == "MODEL_FRAMEWORK_PY_TORCH"
    assert framework_enum("transformers") == "MODEL_FRAMEWORK_TRANSFORMERS"
    assert framework_enum("tensorFlow2") == "MODEL_FRAMEWORK_TENSOR_FLOW_2"
    assert framework_enum("gguf") == "MODEL_FRAMEWORK_GGUF"


def test_model_latest_version_every_file_in_its_folders(kaggle):
    files = {f"shard-{i:03d}.safetensors": bytes([i]) * (i + 1) for i in range(130)}
    files["tokenizer/tokenizer.json"] = b"{}"
    kaggle.add_model("google", "gemma", "MODEL_FRAMEWORK_PY_TORCH", "2b", {1: {"old.bin": b"o"}, 3: files})
    rs = resolve("https://www.kaggle.com/models/google/gemma/pyTorch/2b", kaggle.host_map())
    assert len(rs) == 131 and rs[-1].path == "tokenizer/tokenizer.json"
    assert {r.resolver for r in rs} == {"kaggle"} and all(r.ref["version"] == 3 for r in rs)
    r = rs[5]
    assert (r.filename, r.size) == ("shard-005.safetensors", 6) and r.expires_at
    assert fetch_mirror(r.mirrors[0], kaggle.host_map()) == (200, bytes([5]) * 6)
    lists = [q for q in kaggle.requests if q["path"].endswith("/ListModelInstanceVersionFiles")]
    assert len(lists) == 2                                  # two pages of at most 100
    assert all("Authorization" not in q["headers"] for q in kaggle.gcs.requests)


def test_model_with_version_and_versions_path(kaggle):
    kaggle.add_model("o", "m", "MODEL_FRAMEWORK_TRANSFORMERS", "v", {1: {"a.bin": b"one"}, 2: {"a.bin": b"two"}})
    for url in ("https://www.kaggle.com/models/o/m/transformers/v/1",
                "https://www.kaggle.com/models/o/m/transformers/v/versions/1"):
        [r] = resolve(url, kaggle.host_map())
        assert fetch_mirror(r.mirrors[0], kaggle.host_map())[1] == b"one"
    assert not [q for q in kaggle.requests if q["path"].endswith("/GetModelInstance")]


def test_dataset_current_version_and_include_filter(kaggle):
    kaggle.add_dataset("u", "faces", {1: {"x": b"1"}, 2: {"train/a.png": b"A", "train/b.png": b"B",
                                                         "labels.csv": b"c"}})
    rs = resolve("https://www.kaggle.com/datasets/u/faces#include=train/", kaggle.host_map())
    assert [r.path for r in rs] == ["train/a.png", "train/b.png"]
    assert ("GetDataset", {"ownerSlug": "u", "datasetSlug": "faces"}) in kaggle.bodies
    assert [b["fileName"] for m, b in kaggle.bodies if m == "DownloadDataset"] == ["train/a.png", "train/b.png"]
    assert all(b["datasetVersionNumber"] == 2 for m, b in kaggle.bodies if m == "DownloadDataset")


def test_big_dataset_comes_as_its_archive(kaggle):
    files = {f"img/{i:04d}.png": bytes([i % 256]) for i in range(250)}
    kaggle.add_dataset("u", "big", {1: files})
    [r] = resolve("https://www.kaggle.com/datasets/u/big/versions/1", kaggle.host_map())
    assert r.filename == "big.zip" and r.path is None
    status, data = fetch_mirror(r.mirrors[0], kaggle.host_map())
    import io
    assert status == 200 and len(zipfile.ZipFile(io.BytesIO(data)).namelist()) == 250


def test_logins_from_accounts_env_and_kaggle_json(kaggle, tmp_path):
    kaggle.add_model("o", "priv", "MODEL_FRAMEWORK_KERAS", "v", {1: {"w.h5": b"w"}}, private=True)
    url = "https://www.kaggle.com/models/o/priv/keras/v/1"
    with pytest.raises(errors.NotFound):                      # private looks missing without a login
        resolve(url, kaggle.host_map())
    assert resolve(url, kaggle.host_map(), credentials=GOOD)[0].filename == "w.h5"
    _cache.clear()
    env = {"KAGGLE_USERNAME": MockKaggle.USER, "KAGGLE_KEY": MockKaggle.KEY}
    assert resolve(url, kaggle.host_map(), env=env)[0].filename == "w.h5"
    _cache.clear()
    (tmp_path / ".kaggle").mkdir()
    (tmp_path / ".kaggle" / "kaggle.json").write_text(json.dumps({"username": MockKaggle.USER,
                                                                  "key": MockKaggle.KEY}))
    assert resolve(url, kaggle.host_map(), env={"HOME": str(tmp_path)})[0].filename == "w.h5"
    sent = [q["headers"].get("Authorization", "") for q in kaggle.requests]
    want = "Basic " + base64.b64encode(f"{MockKaggle.USER}:{MockKaggle.KEY}".encode()).decode()
    assert want in sent


def test_errors(kaggle):
    kaggle.add_model("o", "gated", "MODEL_FRAMEWORK_JAX", "v", {1: {"p": b"p"}}, gated=True)
    with pytest.raises(errors.NeedLogin) as ei:
        resolve("https://www.kaggle.com/models/o/gated/jax/v/1", kaggle.host_map())
    assert "accept its terms" in str(ei.value) and "accounts set kaggle.com" in str(ei.value)
    with pytest.raises(errors.NeedLogin) as ei:
        resolve("https://www.kaggle.com/models/o/gated/jax/v/1", kaggle.host_map(),
                credentials={"kaggle.com": {"token": "alice:wrong"}})
    assert "rejected your API key" in str(ei.value)
    with pytest.raises(errors.NotFound):
        resolve("https://www.kaggle.com/models/o/none/jax/v", kaggle.host_map())
    with pytest.raises(errors.NotFound):
        resolve("https://www.kaggle.com/models/o/gated/jax/v/9", kaggle.host_map(), credentials=GOOD)
    with pytest.raises(errors.UnsupportedLink) as ei:
        resolve("https://www.kaggle.com/models/google/gemma", kaggle.host_map())
    assert "variation" in str(ei.value)


def test_expired_signed_link_is_renewed_by_the_engine(kaggle, tmp_path):
    from servers import make_blob

    from core.engine import DownloadOptions, Engine
    from core.resolve import make_context, make_refresher
    data = make_blob(300_000, 5)
    kaggle.add_model("o", "m", "MODEL_FRAMEWORK_GGUF", "q4", {1: {"m.gguf": data}})
    kaggle.gcs.ttl = -10                  # the first signed link is already expired

    async def go():
        import aiohttp
        async with Engine() as eng, aiohttp.ClientSession() as s:
            ctx = make_context(s, host_map=kaggle.host_map(), env={}, credentials={},
                               save_cookies=lambda h, c: None)
            from core.resolve import resolve_links
            [r] = await resolve_links("https://www.kaggle.com/models/o/m/gguf/q4/1", ctx)
            kaggle.gcs.ttl = 3600
            return await eng.download(r, tmp_path, DownloadOptions(),
                                      refresh=make_refresher(r, ctx)).run()
    assert asyncio.run(go()).read_bytes() == data
    assert len(kaggle.gcs.issued) == 2
