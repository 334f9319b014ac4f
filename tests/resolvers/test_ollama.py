"""The Ollama registry against the local mock (tests/resolvers/more_hubmocks.py, built
from ollama's server/images.go and server/download.go): manifest, blobs verified by
sha256, the models-folder layout, name parsing, errors."""

import hashlib
import json

import pytest
from more_hubmocks import MockOllama
from rhelpers import fetch_mirror, resolve

from core import errors
from core.resolvers.ollama import parse_ollama_url


@pytest.fixture
def ollama():
    s = MockOllama().start()
    yield s
    s.stop()


@pytest.mark.parametrize("url,want", [
    ("https://ollama.com/library/qwen2:0.5b", ("library", "qwen2", "0.5b")),
    ("https://ollama.com/library/llama3.2", ("library", "llama3.2", "latest")),
    ("https://ollama.com/qwen2", ("library", "qwen2", "latest")),
    ("https://ollama.com/library/qwen2/tags", ("library", "qwen2", "latest")),
    ("https://ollama.com/jmorgan/wizard:7b-q4", ("jmorgan", "wizard", "7b-q4")),
    ("https://registry.ollama.ai/v2/library/qwen2/manifests/1.5b", ("library", "qwen2", "1.5b")),
])
def test_names(url, want):
    assert parse_ollama_url(url) == want


def test_manifest_then_blobs_in_the_ollama_layout(ollama):
    weights, template = b"GGUF" + b"\x01" * 5000, b"{{ .Prompt }}"
    raw = ollama.add_model("library", "qwen2", "0.5b", {"application/vnd.ollama.image.model": weights,
                                                        "application/vnd.ollama.image.template": template},
                           config=b'{"model_format":"gguf"}')
    rs = resolve("https://ollama.com/library/qwen2:0.5b", ollama.host_map())
    wh = hashlib.sha256(weights).hexdigest()
    assert rs[0].path == f"blobs/sha256-{wh}" and rs[0].sha256 == wh and rs[0].size == len(weights)
    assert [r.path.split("/")[0] for r in rs] == ["blobs", "blobs", "blobs", "manifests"]
    man = rs[-1]
    assert man.path == "manifests/registry.ollama.ai/library/qwen2/0.5b"
    assert man.sha256 == hashlib.sha256(raw).hexdigest() and man.size == len(raw)
    assert fetch_mirror(man.mirrors[0], ollama.host_map()) == (200, raw)
    assert fetch_mirror(rs[0].mirrors[0], ollama.host_map()) == (200, weights)   # 307 to the CDN
    assert json.loads(raw)["layers"][0]["digest"] == f"sha256:{wh}"


def test_errors(ollama):
    with pytest.raises(errors.NotFound) as ei:
        resolve("https://ollama.com/library/nothere:7b", ollama.host_map())
    assert "nothere:7b" in str(ei.value)
    ollama.add_model("me", "secret", "latest", {"application/vnd.ollama.image.model": b"x"}, config=b"{}")
    ollama.private.add(("me", "secret"))
    with pytest.raises(errors.NeedLogin) as ei:
        resolve("https://ollama.com/me/secret", ollama.host_map())
    assert "ollama pull" in str(ei.value)
    with pytest.raises(errors.UnsupportedLink):
        resolve("https://ollama.com/search?q=qwen", ollama.host_map())
