"""The start_app.sh flow as one command: free space, download to .part, rename, hand off, start."""

import asyncio
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.errors import DiskFull
from core.heygem import catalog as C
from core.heygem import deploy as Dp
from core.heygem import handoff as H
from core.heygem import health
from core.heygem.detect import detect_install

ROOT = Path(__file__).resolve().parents[2]
MODEL = "models/heygem_model_v1.0.pth"


def sha(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def manifest(path: Path, url: str, data: bytes | None, size=None, name="heygem_model_v1.0.pth") -> Path:
    lines = [f"name: {name}", "version: 1.0.0"]
    if size is not None or data is not None:
        lines.append(f"size: {size if size is not None else len(data)}")
    if data is not None:
        lines.append(f"sha256: {sha(data)}")
    lines += ["download:", f"  - url: {url}", "    region: local", "    priority: 1"]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_deploy_downloads_hands_off_and_starts(tmp_path, installs, hg, file_server, procs):
    data = hg.pth_bytes(3 << 20, seed=11)
    file_server.add("/m/heygem_model_v1.0.pth", data)
    root = installs.webui()
    inst = detect_install(root)
    items = Dp.plan_from_manifest(inst, manifest(tmp_path / "m.yaml", file_server.url("/m/heygem_model_v1.0.pth"), data))
    assert [i.rel_path for i in items] == [MODEL]
    said, seen = [], []
    rep = asyncio.run(Dp.deploy(inst, items, start=True, say=said.append,
                                on_progress=lambda it, p: seen.append(p.state), start_timeout=60))
    procs.append(rep.started.pid)
    assert rep.started.state == "started" and health.probe(inst).up
    assert (root / MODEL).read_bytes() == data
    assert [r.verified_by for r in rep.placed] == ["expected sha256"]
    assert any("free space" in s for s in said) and "done" in seen
    assert not (root / Dp.STAGING).exists()                     # nothing left behind
    recs = H.read_records(root)
    assert recs[-1]["sha256"] == sha(data) and recs[-1]["source"].startswith("http://127.0.0.1")
    # a second run has nothing to download and says restart needed only when asked to start
    n = len(file_server.requests)
    rep2 = asyncio.run(Dp.deploy(inst, items, start=True, start_timeout=10))
    assert rep2.already == [MODEL] and not rep2.placed and rep2.started.state == "restart_needed"
    assert len(file_server.requests) == n


def test_not_enough_free_space_stops_before_downloading(tmp_path, installs, file_server):
    file_server.add("/big.pth", b"x")
    inst = detect_install(installs.webui())
    items = Dp.plan_from_manifest(inst, manifest(tmp_path / "m.yaml", file_server.url("/big.pth"), None,
                                                 size="4000TB"))
    with pytest.raises(DiskFull, match="Not enough disk space"):
        asyncio.run(Dp.deploy(inst, items))
    assert file_server.requests == [] and not (inst.path / MODEL).exists()


def test_html_page_served_instead_of_the_model_is_not_placed(tmp_path, installs, file_server):
    page = b"<!DOCTYPE html><html><body>Please log in</body></html>"
    file_server.add("/share/heygem_model_v1.0.pth", page)
    inst = detect_install(installs.webui())
    items = Dp.plan_from_manifest(inst, manifest(tmp_path / "m.yaml", file_server.url("/share/heygem_model_v1.0.pth"),
                                                 None))
    with pytest.raises(H.BadModelFile, match="HTML page"):
        asyncio.run(Dp.deploy(inst, items))
    assert not (inst.path / MODEL).exists()
    assert not list((inst.path / Dp.STAGING).iterdir())     # the page is not kept to "resume"


def test_catalog_sources_deploy_a_linux_hack_install(tmp_path, installs, hg, file_server, monkeypatch):
    a, b = hg.pth_bytes(seed=21), b"\x08\x07" + os.urandom(5000)
    file_server.add("/rel/dinet_v1_20240131.pth", a)
    file_server.add("/rel/xseg_211104_4790000.onnx", b)
    cat = tmp_path / "cat"
    cat.mkdir()
    (cat / "hack.yaml").write_text(
        "kind: linux_hack\nfiles:\n"
        "  - name: dinet_v1_20240131.pth\n    target: landmark2face_wy/checkpoints/anylang/dinet_v1_20240131.pth\n"
        f"    size: null\n    sha256: null\n    download:\n      - url: {file_server.url('/rel/dinet_v1_20240131.pth')}\n"
        "  - name: xseg_211104_4790000.onnx\n    target: xseg/xseg_211104_4790000.onnx\n"
        f"    size: {len(b)}\n    sha256: {sha(b)}\n    download:\n      - url: {file_server.url('/rel/xseg_211104_4790000.onnx')}\n")
    monkeypatch.setenv("ZHILIAN_CATALOG_DIR", str(cat))
    root = installs.linux_hack()
    inst = detect_install(root)
    rep = asyncio.run(Dp.deploy(inst, Dp.plan_from_catalog(inst)))
    assert sorted(r.rel_path for r in rep.placed) == ["landmark2face_wy/checkpoints/anylang/dinet_v1_20240131.pth",
                                                      "xseg/xseg_211104_4790000.onnx"]
    assert (root / "xseg/xseg_211104_4790000.onnx").read_bytes() == b
    dinet = C.find_entry("linux_hack", name="dinet_v1_20240131.pth")[0]
    assert dinet.expected_sha256() == (sha(a), "pinned locally")


def test_docker_install_cannot_be_deployed_to(tmp_path, installs):
    inst = detect_install(installs.docker_data(tmp_path / "home"))
    with pytest.raises(Dp.DeployError, match="docker load"):
        asyncio.run(Dp.deploy(inst, []))


def test_manifest_without_a_place_for_an_unknown_file(tmp_path, installs, file_server):
    inst = detect_install(installs.wav2lip())
    with pytest.raises(Dp.DeployError, match="add `path: RELATIVE/PATH`"):
        Dp.plan_from_manifest(inst, manifest(tmp_path / "m.yaml", "http://127.0.0.1:1/x.pth", None,
                                             name="mystery.pth"))


def test_cli_deploy_with_start(tmp_path, installs, hg, file_server, procs):
    data = hg.pth_bytes(1 << 20, seed=31)
    file_server.add("/heygem_model_v1.0.pth", data)
    root = installs.webui()
    m = manifest(tmp_path / "m.yaml", file_server.url("/heygem_model_v1.0.pth"), data)
    r = subprocess.run([sys.executable, "main.py", "heygem", "deploy", "--manifest", str(m), "--to", str(root),
                        "--start", "--timeout", "60", "-q"],
                       cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr + r.stdout
    assert "started (pid" in r.stdout and "done: 1 placed" in r.stdout
    procs.append(int(r.stdout.split("started (pid ")[1].split(")")[0]))
    assert (root / MODEL).read_bytes() == data
    st = json.loads(subprocess.run([sys.executable, "main.py", "heygem", "status", str(root), "--json"],
                                   cwd=ROOT, capture_output=True, text=True, timeout=60).stdout)
    assert st["running"] and st["files"][0]["state"] == "ok"
