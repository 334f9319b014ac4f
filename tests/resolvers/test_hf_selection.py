"""Hugging Face repos like the official CLI: --include/--exclude globs and --revision in
`get` and the queue (`add`), and a repo's files keeping its folder layout."""

from __future__ import annotations

import hashlib
import json

import pytest
from more_hubmocks import MockHFRevisions
from rhelpers import resolve
from servers import run_cli

from core.errors import NotFound, ZhilianError
from core.selection import LinkOptions, apply_options, link_options, safe_relpath, with_options

REPO = {
    "unet/diffusion_pytorch_model.safetensors": b"U" * 3000,
    "unet/diffusion_pytorch_model.fp32.safetensors": b"F" * 3000,
    "unet/config.json": b'{"unet": 1}',
    "vae/config.json": b'{"vae": 1}',
    "vae/diffusion_pytorch_model.bin": b"V" * 2000,
    "README.md": b"# readme",
}


@pytest.fixture
def hfr(cdn):
    srv = MockHFRevisions(cdn).start()
    srv.cdn_host = "https://cas-bridge.xethub.hf.co"
    yield srv
    srv.stop()


def hosts(hf, cdn):
    return {"huggingface.co": hf.base, "cas-bridge.xethub.hf.co": cdn.base}


def test_options_travel_in_the_fragment():
    opts = LinkOptions(["*.safetensors", "unet/"], ["*fp32*"], "v1.0")
    url = with_options("https://huggingface.co/org/m", opts)
    assert url.startswith("https://huggingface.co/org/m#include=")
    back = link_options(url)
    assert (back.include, back.exclude, back.revision) == (["*.safetensors", "unet/"], ["*fp32*"], "v1.0")
    assert not link_options("https://pan.quark.cn/s/abc#/list/share/123")
    with pytest.raises(ZhilianError):
        with_options("https://pan.quark.cn/s/abc#/list/share/123", opts)
    text = apply_options("链接: https://pan.baidu.com/s/1abc 提取码: x7k2", LinkOptions(["*.pth"]))
    assert text == "https://pan.baidu.com/s/1abc#include=%2A%2Epth 提取码: x7k2"


@pytest.mark.parametrize("bad", ["../x", "/etc/passwd", "a/../../b", "C:/x", "..\\x"])
def test_paths_that_leave_the_folder_are_refused(bad):
    with pytest.raises(ZhilianError):
        safe_relpath(bad)


def test_include_exclude_like_the_hf_cli(hf, cdn):
    hf.add_repo("org/sd", REPO)
    url = "https://huggingface.co/org/sd"
    got = resolve(with_options(url, LinkOptions(["*.safetensors"], ["*fp32*"])), hosts(hf, cdn))
    assert [r.path for r in got] == ["unet/diffusion_pytorch_model.safetensors"]
    got = resolve(with_options(url, LinkOptions(["vae/", "*.md"])), hosts(hf, cdn))
    assert [r.path for r in got] == ["README.md", "vae/config.json", "vae/diffusion_pytorch_model.bin"]
    got = resolve(with_options(url, LinkOptions(exclude=["*.bin", "unet/*"])), hosts(hf, cdn))
    assert [r.path for r in got] == ["README.md", "vae/config.json"]
    with pytest.raises(NotFound) as ei:
        resolve(with_options(url, LinkOptions(["*.gguf"])), hosts(hf, cdn))
    assert "--include *.gguf" in str(ei.value) and "6 file(s)" in str(ei.value)


def test_revision(hfr, cdn):
    hfr.add_repo("org/m", {"w.bin": b"main" * 300})
    hfr.add_revision("org/m", "v1.0", {"w.bin": b"old!" * 300, "extra.txt": b"e"})
    [main] = resolve("https://huggingface.co/org/m", hosts(hfr, cdn))
    old = resolve(with_options("https://huggingface.co/org/m", LinkOptions(revision="v1.0")), hosts(hfr, cdn))
    assert [r.path for r in old] == ["extra.txt", "w.bin"]
    assert main.sha256 == hashlib.sha256(b"main" * 300).hexdigest()
    assert old[1].sha256 == hashlib.sha256(b"old!" * 300).hexdigest()
    assert "/resolve/v1.0/" in old[1].ref["link"]          # a refresh asks for the same revision
    assert any("/tree/v1.0" in q["path"] for q in hfr.requests)


def _cli(*args, env_extra=None, timeout=90):
    return run_cli(*args, env_extra={"HF_ENDPOINT": "", **(env_extra or {})}, timeout=timeout)


def test_get_keeps_the_repo_layout_and_applies_the_patterns(hfr, cdn, tmp_path):
    hfr.cdn_host = None            # the engine follows the CDN redirect itself: the mock's own address
    hfr.add_repo("org/sd", REPO)
    hfr.add_revision("org/sd", "fp16", {"unet/config.json": b'{"rev": "fp16"}', "vae/config.json": b"{}"})
    env = {"ZHILIAN_HOST_MAP": json.dumps(hosts(hfr, cdn))}
    d = tmp_path / "out"
    r = _cli("get", "https://huggingface.co/org/sd", "--include", "*.json", "--include", "*.safetensors",
             "--exclude", "*fp32*", "-d", str(d), "-q", env_extra=env)
    assert r.returncode == 0, r.stderr
    got = sorted(str(p.relative_to(d)) for p in d.rglob("*") if p.is_file())
    assert got == ["unet/config.json", "unet/diffusion_pytorch_model.safetensors", "vae/config.json"]
    assert (d / "unet" / "config.json").read_bytes() == REPO["unet/config.json"]
    assert (d / "vae" / "config.json").read_bytes() == REPO["vae/config.json"]
    d2 = tmp_path / "rev"
    r = _cli("get", "https://huggingface.co/org/sd", "--revision", "fp16", "--include", "unet/",
             "-d", str(d2), "-q", env_extra=env)
    assert r.returncode == 0, r.stderr
    assert [str(p.relative_to(d2)) for p in d2.rglob("*") if p.is_file()] == ["unet/config.json"]
    assert (d2 / "unet" / "config.json").read_bytes() == b'{"rev": "fp16"}'


def test_queue_add_keeps_patterns_and_layout(hf, cdn, tmp_path, monkeypatch):
    hf.cdn_host = None
    hf.add_repo("org/sd", REPO)
    env = {"ZHILIAN_HOST_MAP": json.dumps(hosts(hf, cdn))}
    d = tmp_path / "q"
    r = _cli("add", "https://huggingface.co/org/sd", "--include", "*/config.json", "-d", str(d), env_extra=env)
    assert r.returncode == 0, r.stderr
    assert "#include=" in r.stdout                          # the task's link carries the patterns
    r = _cli("run", "-q", env_extra=env, timeout=120)
    assert r.returncode == 0, r.stderr
    got = sorted(str(p.relative_to(d)) for p in d.rglob("*") if p.is_file())
    assert got == ["unet/config.json", "vae/config.json"]

    monkeypatch.setenv("ZHILIAN_HOST_MAP", env["ZHILIAN_HOST_MAP"])
    from core.queue.store import Store
    st = Store()
    try:
        rows = st.load()
    finally:
        st.close()
    assert sorted(r.rpath for r in rows) == ["unet/config.json", "vae/config.json"]
    assert all(r.state == "done" for r in rows)


@pytest.mark.parametrize("kind", ["datasets", "spaces"])
def test_datasets_and_spaces_take_the_same_options(hf, cdn, kind):
    hf.add_repo(f"{kind}/org/x", {"data/train.parquet": b"T" * 2000, "data/test.parquet": b"t" * 10,
                                  "app.py": b"print()"})
    got = resolve(with_options(f"https://huggingface.co/{kind}/org/x", LinkOptions(["data/"], ["*test*"])),
                  hosts(hf, cdn))
    assert [(r.path, r.size) for r in got] == [("data/train.parquet", 2000)]
