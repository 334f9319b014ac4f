"""Kaggle and Ollama end to end through `main.py get` (real engine, mocks via
ZHILIAN_HOST_MAP): a Kaggle model file with the key from the environment, and an
Ollama model laid out in a models folder exactly as `ollama` stores it."""

import hashlib
import json

from more_hubmocks import MockGCS, MockKaggle, MockOllama
from servers import make_blob
from servers import run_cli as run

from core.resolvers import kaggle as kaggle_mod


def test_kaggle_model_file_with_key_from_environment(tmp_path):
    kaggle_mod._cache.clear()
    gcs = MockGCS().start()
    k = MockKaggle(gcs).start()
    try:
        data = make_blob(500_000, 9)
        k.add_model("google", "gemma", "MODEL_FRAMEWORK_PY_TORCH", "2b",
                    {2: {"model.safetensors": data, "tok/tokenizer.json": b"{}"}}, private=True)
        env = {"ZHILIAN_HOST_MAP": json.dumps(k.host_map()), "KAGGLE_USERNAME": MockKaggle.USER,
               "KAGGLE_KEY": MockKaggle.KEY}
        r = run("get", "kaggle.com/models/google/gemma/pyTorch/2b", "-d", str(tmp_path), "-q", env_extra=env)
        assert r.returncode == 0, r.stderr
        assert (tmp_path / "model.safetensors").read_bytes() == data
        assert (tmp_path / "tok" / "tokenizer.json").read_bytes() == b"{}"
        assert all("Authorization" not in q["headers"] for q in gcs.requests)
    finally:
        k.stop()
        gcs.stop()


def test_ollama_model_into_a_models_folder(tmp_path):
    o = MockOllama().start()
    o.cdn_host = None
    try:
        weights = make_blob(700_000, 11)
        raw = o.add_model("library", "qwen2", "0.5b", {"application/vnd.ollama.image.model": weights,
                                                       "application/vnd.ollama.image.license": b"Apache"},
                          config=b'{"model_family":"qwen2"}')
        models = tmp_path / "models"
        env = {"ZHILIAN_HOST_MAP": json.dumps(o.host_map()), "HOME": str(tmp_path / "home")}
        r = run("get", "https://ollama.com/library/qwen2:0.5b", "--ollama-dir", str(models), "-q", env_extra=env)
        assert r.returncode == 0, r.stderr
        man = models / "manifests" / "registry.ollama.ai" / "library" / "qwen2" / "0.5b"
        assert man.read_bytes() == raw
        for layer in [*json.loads(raw)["layers"], json.loads(raw)["config"]]:
            blob = models / "blobs" / layer["digest"].replace(":", "-")
            assert hashlib.sha256(blob.read_bytes()).hexdigest() == layer["digest"].split(":")[1]
        assert sorted(p.name for p in (models / "blobs").iterdir()) == sorted(
            d["digest"].replace(":", "-") for d in [*json.loads(raw)["layers"], json.loads(raw)["config"]])
        # a corrupt blob is refused (sha256), never given the final name
        o.add_model("library", "bad", "1b", {"application/vnd.ollama.image.model": b"Z" * 5000}, config=b"{}")
        o.corrupt.add(hashlib.sha256(b"Z" * 5000).hexdigest())
        r = run("get", "https://ollama.com/library/bad:1b", "--ollama-dir", str(models), "-q", env_extra=env)
        assert r.returncode == 1 and "sha256" in r.stderr.lower()
        assert not (models / "blobs" / ("sha256-" + hashlib.sha256(b"Z" * 5000).hexdigest())).exists()
        assert not (models / "manifests" / "registry.ollama.ai" / "library" / "bad").exists()
        # without -d/--ollama-dir the local Ollama's folder is used when it exists
        home_models = tmp_path / "home" / ".ollama" / "models"
        home_models.mkdir(parents=True)
        r = run("get", "https://ollama.com/library/qwen2:0.5b", env_extra=env, timeout=90)
        assert r.returncode == 0, r.stderr
        assert "Ollama models go to" in r.stderr
        assert (home_models / "manifests" / "registry.ollama.ai" / "library" / "qwen2" / "0.5b").read_bytes() == raw
    finally:
        o.stop()


def test_modelscope_repo_files_keep_their_folders(tmp_path):
    """Two files called config.json in one ModelScope repo land in their own folders, as the
    SDK lays them out (not side by side as config.json and config (1).json)."""
    from hubmocks import MockModelScope
    ms = MockModelScope().start()
    try:
        unet, vae = make_blob(40_000, 3), make_blob(30_000, 4)
        ms.add_model("org/sd", {"unet/config.json": unet, "vae/config.json": vae, "README.md": b"hi"})
        env = {"ZHILIAN_HOST_MAP": json.dumps({"www.modelscope.cn": ms.base, "modelscope.cn": ms.base})}
        r = run("get", "https://www.modelscope.cn/models/org/sd", "-d", str(tmp_path), "-q", env_extra=env)
        assert r.returncode == 0, r.stderr
        assert (tmp_path / "unet" / "config.json").read_bytes() == unet
        assert (tmp_path / "vae" / "config.json").read_bytes() == vae
        assert (tmp_path / "README.md").read_bytes() == b"hi"
        assert not list(tmp_path.glob("config*.json"))
    finally:
        ms.stop()
