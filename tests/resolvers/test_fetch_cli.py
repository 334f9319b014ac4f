"""`main.py fetch --manifest`: real subprocess, real engine, local mirrors."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

from servers import make_blob

ROOT = Path(__file__).resolve().parents[2]
A = make_blob(3_000_000, seed=21)
B = make_blob(700_000, seed=22)
C = make_blob(50_000, seed=23)


def sha(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def run_fetch(manifest: Path, target: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "main.py"), "fetch", "--manifest", str(manifest),
                           "--target-dir", str(target), *extra],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)


def test_fetch_manifest_with_several_mirrors_skip_and_failures(file_server, tmp_path):
    srv = file_server
    srv.add("/cn/heygem_v1.0.pth", A, rate=2_000_000)
    srv.add("/us/heygem_v1.0.pth", A)
    srv.add("/cn/wav2lip.pth", B)
    srv.add("/bad/c.bin", C)
    manifest = tmp_path / "models.yaml"
    manifest.write_text(f"""
name: heygem-full
version: 1.0.0
files:
  - name: heygem-lipsync-v1
    size: 3.7GB
    sha256: {sha(A)}
    download:
      - url: {srv.url('/cn/heygem_v1.0.pth')}?token=secret123
        region: cn-north
        priority: 1
      - url: {srv.url('/us/heygem_v1.0.pth')}
        region: us-west
        priority: 2
      - url: {srv.url('/gone/heygem_v1.0.pth')}
        priority: 3
  - name: wav2lip
    path: checkpoints/wav2lip.pth
    size: {len(B)}
    sha256: {sha(B)}
    download:
      - {srv.url('/cn/wav2lip.pth')}
  - name: broken
    path: extra/c.bin
    sha256: {'0' * 64}
    download:
      - {srv.url('/bad/c.bin')}
      - {srv.url('/missing/c.bin')}
""", encoding="utf-8")
    target = tmp_path / "models"
    r = run_fetch(manifest, target, "-x", "4")
    assert r.returncode == 1, r.stderr
    assert (target / "heygem_v1.0.pth").is_file(), r.stderr
    assert (target / "heygem_v1.0.pth").read_bytes() == A
    assert (target / "checkpoints" / "wav2lip.pth").read_bytes() == B
    assert not (target / "extra" / "c.bin").exists()
    bad_lines = [ln for ln in r.stderr.splitlines() if "could not be had" in ln]
    assert len(bad_lines) == 1 and "extra/c.bin" in bad_lines[0]
    assert "secret123" not in r.stderr + r.stdout
    assert "Traceback" not in r.stderr
    # both live mirrors of the big file were used
    paths = {q["path"] for q in srv.requests}
    assert {"/cn/heygem_v1.0.pth", "/us/heygem_v1.0.pth"} <= paths

    # Second run: verified files are skipped without downloading a byte.
    sent = srv.bytes_sent
    r2 = run_fetch(manifest, target)
    assert r2.returncode == 1
    assert r2.stderr.count("already present and verified") == 2
    assert srv.bytes_sent - sent <= len(C) * 2   # only the broken file was tried again


def test_fetch_replaces_a_corrupt_file_and_succeeds(file_server, tmp_path):
    file_server.add("/m/s3fd.pth", B)
    meta4 = tmp_path / "m.meta4"
    meta4.write_text(f"""<?xml version="1.0" encoding="UTF-8"?>
<metalink xmlns="urn:ietf:params:xml:ns:metalink">
  <file name="s3fd.pth">
    <size>{len(B)}</size>
    <hash type="sha-256">{sha(B)}</hash>
    <url priority="1">{file_server.url('/m/s3fd.pth')}</url>
  </file>
</metalink>""", encoding="utf-8")
    target = tmp_path / "t"
    target.mkdir()
    (target / "s3fd.pth").write_bytes(b"x" * len(B))
    r = run_fetch(meta4, target, "-q")
    assert r.returncode == 0, r.stderr
    assert (target / "s3fd.pth").read_bytes() == B
    assert not list(target.glob("s3fd (*"))   # replaced, not saved beside it


def test_fetch_broken_manifest_is_one_clear_line(tmp_path):
    m = tmp_path / "bad.yaml"
    m.write_text("name: x\nsha256: nothex\ndownload: [https://a.example/x]\n", encoding="utf-8")
    r = run_fetch(m, tmp_path / "t")
    assert r.returncode == 1
    assert r.stderr.strip().splitlines() == ["zhilian: bad.yaml: sha256 must be 64 hex digits, got 'nothex'"]
    r = run_fetch(tmp_path / "nope.yaml", tmp_path / "t")
    assert r.returncode == 1 and "not found" in r.stderr and "Traceback" not in r.stderr


def _wav2lip_install(root: Path) -> Path:
    """A Wav2Lip checkout as HEYGEM.md describes it (code files + checkpoints folder)."""
    for f in ("inference.py", "hparams.py", "audio.py", "models/__init__.py", "models/wav2lip.py",
              "models/syncnet.py", "face_detection/__init__.py", "face_detection/api.py",
              "face_detection/detection/sfd/__init__.py", "face_detection/detection/sfd/sfd_detector.py"):
        (root / f).parent.mkdir(parents=True, exist_ok=True)
        (root / f).write_text("# fixture\n", encoding="utf-8")
    (root / "checkpoints").mkdir(parents=True, exist_ok=True)
    (root / "checkpoints/README.md").write_text("Place all your checkpoints (.pth files) here.\n")
    return root


def _pth(size: int, seed: int) -> bytes:
    import io
    import zipfile
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        z.writestr("archive/data.pkl", b"\x80\x02}q\x00.")
        z.writestr("archive/data/0", make_blob(size, seed))
        z.writestr("archive/version", b"3\n")
    return buf.getvalue()


def test_fetch_hands_verified_files_to_a_wav2lip_install(file_server, tmp_path):
    data = _pth(300_000, 31)
    file_server.add("/m/s3fd.pth", data)
    install = _wav2lip_install(tmp_path / "Wav2Lip")
    m = tmp_path / "m.yaml"
    m.write_text(f"name: s3fd\nsha256: {sha(data)}\ndownload: [{file_server.url('/m/s3fd.pth')}]\n",
                 encoding="utf-8")
    r = run_fetch(m, tmp_path / "dl", "--heygem", str(install))
    assert r.returncode == 0, r.stderr
    placed = install / "face_detection/detection/sfd/s3fd.pth"
    assert placed.read_bytes() == data
    assert "placed in the install" in r.stderr


def test_fetch_include_and_exclude_pick_the_manifest_files(file_server, tmp_path):
    """`--include/--exclude` globs (as huggingface-cli's) choose which of a manifest's files
    are fetched, by their path; a choice that keeps none is one clear line."""
    for name, data in (("unet/model.safetensors", A), ("unet/model.fp32.bin", B), ("vae/config.json", C)):
        file_server.add(f"/r/{name}", data)
    meta4 = tmp_path / "m.meta4"
    files = "".join(f"""  <file name="{n}">
    <size>{len(d)}</size>
    <hash type="sha-256">{sha(d)}</hash>
    <url priority="1">{file_server.url('/r/' + n)}</url>
  </file>
""" for n, d in (("unet/model.safetensors", A), ("unet/model.fp32.bin", B), ("vae/config.json", C)))
    meta4.write_text(f'<?xml version="1.0" encoding="UTF-8"?>\n'
                     f'<metalink xmlns="urn:ietf:params:xml:ns:metalink">\n{files}</metalink>', encoding="utf-8")
    target = tmp_path / "t"
    r = run_fetch(meta4, target, "-q", "--include", "unet/*", "--exclude", "*.bin")
    assert r.returncode == 0, r.stderr
    assert (target / "unet" / "model.safetensors").read_bytes() == A
    assert not (target / "unet" / "model.fp32.bin").exists() and not (target / "vae").exists()
    r = run_fetch(meta4, tmp_path / "none", "-q", "--include", "*.gguf")
    assert r.returncode == 1 and "None of the 3 file(s) of the manifest matches --include *.gguf" in r.stderr
    assert "Traceback" not in r.stderr
