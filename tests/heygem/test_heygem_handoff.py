import hashlib
import json
import os
import re
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core import paths
from core.heygem import catalog as C
from core.heygem import handoff as H
from core.heygem.detect import NotAnInstall

ROOT = Path(__file__).resolve().parents[2]


def sha(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def db_rows():
    con = sqlite3.connect(paths.data_dir() / "zhilian.db")
    try:
        return [dict(zip([c[0] for c in cur.description], r))
                for cur in [con.execute("SELECT * FROM handoffs ORDER BY id")] for r in cur.fetchall()]
    finally:
        con.close()


# -- content checks ---------------------------------------------------------------------

@pytest.mark.parametrize("data,name,msg", [
    (b"", "heygem_model_v1.0.pth", "is empty (0 bytes)"),
    (b"<!DOCTYPE html><html><head><title>Login</title></head><body>...</body></html>",
     "heygem_model_v1.0.pth", "is an HTML page"),
    (b"\n  <html><body>403 Forbidden</body></html>", "wav2lip.pth", "is an HTML page"),
    (b"version https://git-lfs.github.com/spec/v1\noid sha256:4d7a\nsize 435801865\n",
     "wav2lip_gan.pth", "is a Git LFS pointer"),
    (b'{"error": "Access denied", "code": 403}', "x.onnx", "JSON text"),
    (b"hello this is not a checkpoint", "x.pth", "does not look like a PyTorch checkpoint"),
])
def test_content_rejected_with_a_message_saying_why(tmp_path, installs, data, name, msg):
    root = installs.webui()
    f = tmp_path / name
    f.write_bytes(data)
    with pytest.raises(H.BadModelFile, match=re.escape(msg)):
        H.handoff_file(f, root, "models/heygem_model_v1.0.pth")
    assert f.exists() and not (root / "models/heygem_model_v1.0.pth").exists()
    assert not (root / H.RECORD_FILE).exists()


def test_truncated_zip_checkpoint_is_caught(tmp_path, installs, hg):
    data = hg.pth_bytes(200_000)
    f = tmp_path / "heygem_model_v1.0.pth"
    f.write_bytes(data[: len(data) * 2 // 3])
    with pytest.raises(H.BadModelFile, match="incomplete PyTorch archive"):
        H.handoff_file(f, installs.webui())


def test_legacy_pickle_checkpoint_is_accepted_without_unpickling(tmp_path, installs):
    f = tmp_path / "heygem_model_v1.0.pth"
    # a pickle that would run code if loaded: never loaded, only its first bytes are read
    f.write_bytes(b"\x80\x02cos\nsystem\n(S'touch /tmp/zhilian-pwned'\ntR." + os.urandom(1000))
    res = H.handoff_file(f, installs.webui())
    assert res.status == "placed" and not Path("/tmp/zhilian-pwned").exists()


# -- placement on the same filesystem ---------------------------------------------------

def test_same_filesystem_is_a_rename_and_records_everywhere(tmp_path, installs, hg):
    root = installs.webui()
    data = hg.pth_bytes()
    f = hg.write(tmp_path / "dl" / "heygem_model_v1.0.pth", data)
    ino = f.stat().st_ino
    res = H.handoff_file(f, root, source="https://cdn.example/m.pth?token=SECRET&x=1")
    dst = root / "models/heygem_model_v1.0.pth"
    assert res.status == "placed" and res.method == "rename" and res.path == dst
    assert dst.stat().st_ino == ino and not f.exists()
    assert res.sha256 == sha(data) and res.size == len(data)
    assert res.pinned   # the catalog had no hash for this file
    rec = json.loads((root / H.RECORD_FILE).read_text())["records"]
    assert len(rec) == 1 and rec[0]["sha256"] == sha(data) and rec[0]["rel_path"] == "models/heygem_model_v1.0.pth"
    assert "SECRET" not in json.dumps(rec) and "token=" in rec[0]["source"]
    rows = db_rows()
    assert len(rows) == 1 and rows[0]["path"] == str(dst) and rows[0]["kind"] == "webui"
    assert rows[0]["sha256"] == sha(data) and rows[0]["backup"] is None and "SECRET" not in rows[0]["source"]
    con = sqlite3.connect(paths.data_dir() / "zhilian.db")
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    con.close()


def test_identical_file_already_there_is_nothing_to_do(tmp_path, installs, hg):
    data = hg.pth_bytes()
    root = installs.webui(model=data)
    f = hg.write(tmp_path / "heygem_model_v1.0.pth", data)
    res = H.handoff_file(f, root)
    assert res.status == "unchanged" and res.method == "none" and res.backup is None
    assert f.exists() and "already in place" in res.message()
    assert not (root / H.RECORD_FILE).exists() and not list((root / "models").glob("*.bak-*"))


def test_different_file_is_kept_as_dated_backup(tmp_path, installs, hg):
    old, new = hg.pth_bytes(seed=1), hg.pth_bytes(seed=2)
    root = installs.webui(model=old)
    f = hg.write(tmp_path / "heygem_model_v1.0.pth", new)
    res = H.handoff_file(f, root, force=True)
    dst = root / "models/heygem_model_v1.0.pth"
    assert dst.read_bytes() == new
    assert res.backup is not None and res.backup.read_bytes() == old
    assert res.backup.name.startswith("heygem_model_v1.0.pth.bak-")
    assert json.loads((root / H.RECORD_FILE).read_text())["records"][0]["backup"] == str(res.backup)
    assert "previous file kept as" in res.message()


def test_expected_sha256_mismatch_places_nothing(tmp_path, installs, hg):
    old = hg.pth_bytes(seed=1)
    root = installs.webui(model=old)
    f = hg.write(tmp_path / "heygem_model_v1.0.pth", hg.pth_bytes(seed=3))
    with pytest.raises(H.HandoffError, match="not the file that was asked for"):
        H.handoff_file(f, root, expected_sha256="0" * 64)
    assert (root / "models/heygem_model_v1.0.pth").read_bytes() == old and f.exists()
    with pytest.raises(H.HandoffError, match="expected 5"):
        H.handoff_file(f, root, expected_size=5)


def test_catalog_known_size_catches_a_truncated_download(tmp_path, installs, hg):
    root = installs.wav2lip()
    f = hg.write(tmp_path / "wav2lip_gan.pth", hg.pth_bytes(100_000))
    with pytest.raises(H.HandoffError, match=r"435801865 bytes \(catalog\).*incomplete or broken"):
        H.handoff_file(f, root)
    res = H.handoff_file(f, root, force=True)
    assert res.path == root / "checkpoints/wav2lip_gan.pth" and "--force" in res.message()


def test_catalog_picks_place_by_alias_name(tmp_path, installs, hg, monkeypatch):
    data = hg.pth_bytes()
    cat = tmp_path / "cat"
    cat.mkdir()
    (cat / "w.yaml").write_text(
        "kind: wav2lip\nfiles:\n  - name: s3fd.pth\n    target: face_detection/detection/sfd/s3fd.pth\n"
        f"    aliases: [s3fd-619a316812.pth]\n    size: {len(data)}\n    sha256: {sha(data)}\n")
    monkeypatch.setenv("ZHILIAN_CATALOG_DIR", str(cat))
    root = installs.wav2lip()
    f = hg.write(tmp_path / "s3fd-619a316812.pth", data)
    res = H.handoff_file(f, root)
    assert res.rel_path == "face_detection/detection/sfd/s3fd.pth" and res.verified_by == "catalog"
    # found by hash even under a misleading name
    f2 = hg.write(tmp_path / "download(1).bin", data)
    res2 = H.handoff_file(f2, root, copy=True)
    assert res2.status == "unchanged" and res2.rel_path == "face_detection/detection/sfd/s3fd.pth"


def test_first_handoff_pins_then_a_different_file_is_refused(tmp_path, installs, hg):
    root = installs.linux_hack()
    rel = "landmark2face_wy/checkpoints/anylang/dinet_v1_20240131.pth"
    a, b = hg.pth_bytes(seed=1), hg.pth_bytes(seed=2)
    r1 = H.handoff_file(hg.write(tmp_path / "a" / "dinet_v1_20240131.pth", a), root)
    assert r1.rel_path == rel and r1.pinned and r1.verified_by is None
    e, _ = C.find_entry("linux_hack", name="dinet_v1_20240131.pth")
    assert e.expected_sha256() == (sha(a), "pinned locally")
    f = hg.write(tmp_path / "b" / "dinet_v1_20240131.pth", b)
    with pytest.raises(H.HandoffError, match="pinned locally"):
        H.handoff_file(f, root)
    r2 = H.handoff_file(f, root, force=True)
    assert r2.pinned and (root / rel).read_bytes() == b
    assert C.find_entry("linux_hack", name="dinet_v1_20240131.pth")[0].expected_sha256()[0] == sha(b)
    # the same file again verifies against the pin
    r3 = H.handoff_file(hg.write(tmp_path / "c" / "dinet_v1_20240131.pth", b), root)
    assert r3.status == "unchanged"


def test_unknown_file_needs_a_place_except_in_the_webui(tmp_path, installs, hg):
    f = hg.write(tmp_path / "mystery.onnx", b"\x08\x07" + os.urandom(100))
    with pytest.raises(H.HandoffError, match="give the place with --as"):
        H.handoff_file(f, installs.linux_hack())
    res = H.handoff_file(hg.write(tmp_path / "custom.pth", hg.pth_bytes()), installs.webui())
    assert res.rel_path == "models/custom.pth"


@pytest.mark.parametrize("rel", ["../outside.pth", "/etc/x.pth", "C:/x.pth", "models/../../x.pth"])
def test_as_path_must_stay_inside_the_install(tmp_path, installs, hg, rel):
    f = hg.write(tmp_path / "m.pth", hg.pth_bytes())
    with pytest.raises(H.HandoffError, match="inside the install|outside"):
        H.handoff_file(f, installs.webui(), rel)


def test_docker_install_is_never_written_to(tmp_path, installs, hg):
    d = installs.docker_data(tmp_path / "home")
    before = sorted(p.relative_to(d) for p in d.rglob("*"))
    f = hg.write(tmp_path / "m.pth", hg.pth_bytes())
    with pytest.raises(H.HandoffNotApplicable, match="docker load"):
        H.handoff_file(f, d, "face2face/m.pth")
    assert sorted(p.relative_to(d) for p in d.rglob("*")) == before


def test_not_an_install(tmp_path, hg):
    f = hg.write(tmp_path / "m.pth", hg.pth_bytes())
    (tmp_path / "plain").mkdir()
    with pytest.raises(NotAnInstall):
        H.handoff_file(f, tmp_path / "plain")


def test_corrupt_record_file_is_kept_aside_not_lost(tmp_path, installs, hg):
    root = installs.webui()
    (root / H.RECORD_FILE).write_text("{not json")
    H.handoff_file(hg.write(tmp_path / "heygem_model_v1.0.pth", hg.pth_bytes()), root)
    assert len(json.loads((root / H.RECORD_FILE).read_text())["records"]) == 1
    assert list(root.glob(H.RECORD_FILE + ".unreadable-*"))


def run_cli(*args):
    return subprocess.run([sys.executable, "main.py", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, env={**os.environ})


def test_cli_handoff_success_and_clear_refusal(tmp_path, installs, hg):
    root = installs.wav2lip()
    f = hg.write(tmp_path / "mine.pth", hg.pth_bytes())
    r = run_cli("handoff", f, "--to", root, "--as", "checkpoints/wav2lip.pth", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["status"] == "placed" and out["path"] == str(root / "checkpoints/wav2lip.pth")
    html = hg.write(tmp_path / "wav2lip_gan.pth", b"<html><body>captcha</body></html>")
    r = run_cli("handoff", html, "--to", root)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "is an HTML page" in r.stderr and "not a model" in r.stderr
    r = run_cli("handoff", tmp_path / "nope.pth", "--to", root)
    assert r.returncode == 1 and "File not found" in r.stderr
    r = run_cli("heygem", "status", root)
    assert r.returncode == 0 and "[ok] checkpoints/wav2lip.pth" in r.stdout and "[missing] checkpoints/wav2lip_gan.pth" in r.stdout


def test_target_that_is_a_folder_is_refused(tmp_path, installs, hg):
    f = hg.write(tmp_path / "m.pth", hg.pth_bytes())
    with pytest.raises(H.HandoffError, match="is a folder in the install"):
        H.handoff_file(f, installs.webui(), "models")


def test_unwritable_target_folder_gives_a_message_not_a_traceback(tmp_path, installs, hg):
    if os.geteuid() == 0:
        # root ignores permission bits: make the place unusable with a file in the way instead
        root = installs.wav2lip()
        (root / "checkpoints").rename(root / "checkpoints.old")
        (root / "checkpoints").write_text("not a folder")
    else:
        root = installs.wav2lip()
        os.chmod(root / "checkpoints", 0o500)
    f = hg.write(tmp_path / "wav2lip.pth", hg.pth_bytes())
    with pytest.raises(H.HandoffError, match="Could not place wav2lip.pth"):
        H.handoff_file(f, root)
    assert f.exists()


def test_database_unavailable_still_places_and_says_so(tmp_path, installs, hg):
    (paths.data_dir() / "zhilian.db").mkdir()      # something in the way of the database
    root = installs.webui()
    res = H.handoff_file(hg.write(tmp_path / "heygem_model_v1.0.pth", hg.pth_bytes()), root)
    assert res.status == "placed" and res.path.exists()
    assert any("not recorded in Zhilian's history" in n for n in res.notes)
    assert len(H.read_records(root)) == 1


def test_concurrent_handoffs_keep_every_record(tmp_path, installs, hg):
    import threading
    root = installs.webui()
    files = [hg.write(tmp_path / f"s{i}" / f"m{i}.pth", hg.pth_bytes(seed=i)) for i in range(8)]
    errors = []

    def run(f):
        try:
            H.handoff_file(f, root, check_running=False)
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    ts = [threading.Thread(target=run, args=(f,)) for f in files]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert errors == []
    assert sorted(r["rel_path"] for r in H.read_records(root)) == sorted(f"models/m{i}.pth" for i in range(8))
    assert len(db_rows()) == 8


def test_manifest_hash_wins_over_the_catalog_for_another_release(tmp_path, installs, hg):
    root = installs.wav2lip()
    data = hg.pth_bytes(seed=4)
    f = hg.write(tmp_path / "wav2lip_gan.pth", data)
    res = H.handoff_file(f, root, expected_sha256=sha(data))
    assert res.status == "placed" and res.verified_by == "expected sha256"
    assert any("another release" in n for n in res.notes)


def test_webui_says_which_file_its_start_script_loads(tmp_path, installs, hg):
    res = H.handoff_file(hg.write(tmp_path / "heygem_v2.pth", hg.pth_bytes()), installs.webui())
    assert res.rel_path == "models/heygem_v2.pth"
    assert any("--as models/heygem_model_v1.0.pth" in n for n in res.notes)


def test_identical_file_found_in_place_is_pinned_too(tmp_path, installs, hg):
    data = hg.pth_bytes(seed=8)
    root = installs.webui(model=data)
    res = H.handoff_file(hg.write(tmp_path / "heygem_model_v1.0.pth", data), root)
    assert res.status == "unchanged" and res.pinned
    assert C.find_entry("webui", name="heygem_model_v1.0.pth")[0].expected_sha256() == (sha(data), "pinned locally")


def test_cli_handoff_stops_on_sigterm_while_hashing_and_places_nothing(tmp_path, installs):
    """The hand-off runs in the facade's worker thread; a stop (SIGTERM, like Ctrl-C) ends it
    at its next piece instead of after hashing and placing the whole file."""
    import signal
    root = installs.wav2lip()
    big = tmp_path / "big.pth"
    with open(big, "wb") as fh:                     # a pickle checkpoint's head, then 16 GiB sparse
        fh.write(b"\x80\x02" + b"\0" * 510)
        fh.truncate(16 << 30)
    p = subprocess.Popen([sys.executable, "main.py", "handoff", str(big), "--to", str(root),
                          "--as", "checkpoints/big.pth", "--force"], cwd=ROOT, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env={**os.environ})
    try:
        # hashing has begun once the process has read into the file (a hang guard, not a timing)
        deadline = time.monotonic() + 60
        while not _reading(p.pid, big):
            assert p.poll() is None, p.communicate()
            assert time.monotonic() < deadline, "the hand-off never started hashing"
            time.sleep(0.01)
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=120)
    finally:
        if p.poll() is None:
            p.kill()
    assert p.returncode == 130, (out, err)
    assert "stopped" in err and "Traceback" not in err
    assert not (root / "checkpoints" / "big.pth").exists() and big.exists()
    assert not list((root / "checkpoints").glob("*.tmp*")) and not list((root / "checkpoints").glob(".*big*"))


def _reading(pid: int, path) -> bool:
    """Whether process ``pid`` has ``path`` open at a position past its first block."""
    fds = Path(f"/proc/{pid}/fd")
    try:
        for fd in fds.iterdir():
            try:
                if Path(os.readlink(fd)) == Path(path):
                    pos = int((Path(f"/proc/{pid}/fdinfo") / fd.name).read_text().split()[1])
                    if pos > 1 << 20:
                        return True
            except (OSError, ValueError, IndexError):
                continue
    except OSError:
        return False
    return False
