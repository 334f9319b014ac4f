"""When a file on disk counts as already downloaded, and whose a .part is.

A file is taken as already there only with proof: the expected checksum, or the record
Zhilian wrote when it finished that file from the same source (and the file is unchanged
since). A .part started from another link is resumed only when its bytes match the new
source; otherwise the download goes to another name and the other .part stays as it was."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

from servers import file_sha256, make_blob, run_download, sha256

from core import identity, journal
from core.engine import DownloadOptions, Engine
from core.models import Mirror, Resolved

ROOT = Path(__file__).resolve().parents[2]


def _get(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "main.py"), "get", *args],
                          capture_output=True, text=True, timeout=timeout)


def _files(d: Path) -> list[str]:
    return sorted(p.name for p in d.iterdir())


def test_get_two_links_with_one_name_and_one_size_gives_two_files(file_server, tmp_path):
    """`get URL_A URL_B -d DIR`: two different files both called model.bin, of one size
    (and, as servers do, the same Last-Modified): both are saved, byte-exact; the same
    command again makes no copy and downloads nothing."""
    a, b = make_blob(300_000, 1), make_blob(300_000, 2)
    file_server.add("/org-a/repo/model.bin", a)
    file_server.add("/org-b/repo/model.bin", b)
    ua, ub = file_server.url("/org-a/repo/model.bin"), file_server.url("/org-b/repo/model.bin")
    tmp_path = tmp_path / "dl"
    r = _get(ua, ub, "-d", str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert _files(tmp_path) == ["model (1).bin", "model.bin"], r.stdout
    assert (tmp_path / "model.bin").read_bytes() == a
    assert (tmp_path / "model (1).bin").read_bytes() == b
    sent = file_server.bytes_sent
    r = _get(ua, ub, "-d", str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("already downloaded") == 2, r.stdout
    assert _files(tmp_path) == ["model (1).bin", "model.bin"]
    assert file_server.bytes_sent - sent <= 4, "only the one-byte probes"


def test_a_file_zhilian_did_not_finish_is_not_taken_for_the_download(file_server, tmp_path, dl):
    """Same name, same size, newer date, but no record and no checksum: not proven, so the
    download goes beside it and the stranger's file is left alone."""
    data = make_blob(5000, 3)
    file_server.add("/m.bin", data)
    stranger = make_blob(5000, 4)
    (tmp_path / "m.bin").write_bytes(stranger)
    path, d = dl(file_server.url("/m.bin"), tmp_path)
    assert path.name == "m (1).bin" and path.read_bytes() == data
    assert (tmp_path / "m.bin").read_bytes() == stranger
    assert "m.bin" in (d.message or "") and "m (1).bin" in (d.message or "")


def test_a_changed_or_replaced_file_loses_its_record(file_server, tmp_path, dl):
    data = make_blob(5000, 5)
    file_server.add("/r.bin", data)
    first, _ = dl(file_server.url("/r.bin"), tmp_path)
    assert identity.lookup(first) is not None
    # rewritten in place with other bytes of the same size: no longer the finished file
    first.write_bytes(make_blob(5000, 6))
    assert identity.lookup(first) is None
    second, _ = dl(file_server.url("/r.bin"), tmp_path)
    assert second.name == "r (1).bin" and second.read_bytes() == data


def test_a_changed_file_on_the_server_is_downloaded_beside_the_old_one(file_server, tmp_path, dl):
    f = file_server.add("/v.bin", make_blob(5000, 7))
    first, _ = dl(file_server.url("/v.bin"), tmp_path)
    new = make_blob(5000, 8)
    file_server.files["/v.bin"] = new
    f.etag = '"v2"'
    second, _ = dl(file_server.url("/v.bin"), tmp_path)
    assert second.name == "v (1).bin" and second.read_bytes() == new
    assert first.read_bytes() == make_blob(5000, 7)


def test_a_recorded_checksum_spares_reading_the_file_again(file_server, tmp_path, dl, monkeypatch):
    data = make_blob(200_000, 9)
    file_server.add("/h.bin", data)
    first, _ = dl(file_server.url("/h.bin"), tmp_path, sha256=sha256(data))
    assert identity.lookup(first).sha256 == sha256(data)
    opened = []
    real_open = open

    def spy(p, *a, **k):
        opened.append(str(p))
        return real_open(p, *a, **k)
    monkeypatch.setattr("builtins.open", spy)
    second, d = dl(file_server.url("/h.bin"), tmp_path, sha256=sha256(data))
    assert second == first and d.message == "already downloaded and verified"
    assert str(first) not in opened, "the record's checksum stood for the file's"


def test_a_moved_finished_file_keeps_its_record(file_server, tmp_path, dl):
    data = make_blob(4000, 10)
    file_server.add("/mv.bin", data)
    first, _ = dl(file_server.url("/mv.bin"), tmp_path)
    moved = tmp_path / "renamed.bin"
    first.rename(moved)
    rec = identity.lookup(moved)
    assert rec is not None and rec.size == len(data)
    assert identity.is_ours(moved, sources=identity.source_keys([Mirror(file_server.url("/mv.bin"))]),
                            size=len(data))
    assert not identity.is_ours(moved, sources=identity.source_keys([Mirror(file_server.url("/x.bin"))]),
                                size=len(data))


def test_source_keys_ignore_signatures_and_passwords():
    k = identity.source_keys
    a = k([Mirror("https://b.s3.amazonaws.com/m.bin?X-Amz-Date=1&X-Amz-Signature=aa&X-Amz-Expires=60")])
    b = k([Mirror("https://B.s3.amazonaws.com:443/m.bin?X-Amz-Date=2&X-Amz-Signature=bb&X-Amz-Expires=60")])
    assert a == b
    assert k([Mirror("https://h/dl?id=1")]) != k([Mirror("https://h/dl?id=2")])
    r1 = Resolved([Mirror("https://d.pcs.example/x?sign=1")], resolver="baidu",
                  ref={"link": "https://pan.baidu.com/s/1abc?pwd=zz12", "password": "zz12", "fs_id": 7})
    r2 = Resolved([Mirror("https://d.pcs.example/y?sign=2")], resolver="baidu",
                  ref={"link": "https://pan.baidu.com/s/1abc", "password": None, "fs_id": 7})
    r3 = Resolved([Mirror("https://d.pcs.example/x?sign=1")], resolver="baidu",
                  ref={"link": "https://pan.baidu.com/s/1abc", "fs_id": 8})
    assert k(r1) == k(r2) != k(r3)
    assert all("zz12" not in s and "pan.baidu" not in s for s in k(r1)), "keys are hashes"


def _interrupted(url: str, dest: Path, after: int) -> None:
    """Start a download and stop it once ``after`` bytes are on disk (.part + journal stay)."""
    async def go():
        async with Engine() as eng:
            dl = None

            def progress(p):
                if p.done >= after and dl is not None:
                    dl.cancel()
            dl = eng.download([Mirror(url)], dest, DownloadOptions(sync=False, connections=2),
                              on_progress=progress)
            try:
                await dl.run()
            except Exception:
                pass
    asyncio.run(go())


def test_a_part_left_by_another_link_is_not_resumed_as_ours(file_server, tmp_path):
    """model.bin.part from link A (stopped half way); then link B, another file with the
    same name and size: B must not continue A's bytes. B is saved as model (1).bin and A's
    .part stays resumable."""
    a, b = make_blob(3 << 20, 11), make_blob(3 << 20, 12)
    file_server.add("/a/model.bin", a, rate=2 << 20)
    file_server.add("/b/model.bin", b)
    _interrupted(file_server.url("/a/model.bin"), tmp_path, 1 << 20)
    part = tmp_path / "model.bin.part"
    held = journal.load(journal.journal_path(part))
    assert held is not None and held.done
    path, d = run_download(file_server.url("/b/model.bin"), tmp_path)
    assert path.name == "model (1).bin" and file_sha256(path) == sha256(b)
    assert part.exists() and journal.load(journal.journal_path(part)).done == held.done
    assert "another" in (d.message or "")
    file_server.faults["/a/model.bin"].rate = 0
    path_a, da = run_download(file_server.url("/a/model.bin"), tmp_path)
    assert path_a.name == "model.bin" and file_sha256(path_a) == sha256(a)
    assert da.resumed_from > 0


def test_a_part_from_another_link_of_the_same_file_is_resumed(file_server, tmp_path):
    """A new link to the same bytes (a renewed signed URL, another mirror path): the .part's
    bytes are compared with the new source's, and it continues."""
    data = make_blob(3 << 20, 13)
    file_server.add("/old/model.bin", data, rate=2 << 20)
    file_server.add("/new/model.bin", data)
    _interrupted(file_server.url("/old/model.bin"), tmp_path, 1 << 20)
    path, d = run_download(file_server.url("/new/model.bin"), tmp_path)
    assert path.name == "model.bin" and file_sha256(path) == sha256(data)
    assert d.resumed_from > 0
    assert not (tmp_path / "model (1).bin").exists()


def test_the_record_store_survives_damage_without_breaking_downloads(file_server, tmp_path, dl,
                                                                     zhilian_home):
    data = make_blob(3000, 14)
    file_server.add("/d.bin", data)
    db = identity.db_path()
    db.parent.mkdir(parents=True, exist_ok=True)
    db.write_bytes(b"not a database" * 100)
    path, _ = dl(file_server.url("/d.bin"), tmp_path)
    assert path.read_bytes() == data
    # the damaged store was put aside and a new one started: the next run knows the file
    again, d = dl(file_server.url("/d.bin"), tmp_path)
    assert again == path and (d.message or "").startswith("already downloaded")
    assert list(db.parent.glob(db.name + ".damaged*"))


def _fetch(manifest: Path, target: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "main.py"), "fetch", "--manifest", str(manifest),
                           "--target-dir", str(target)], capture_output=True, text=True, timeout=60)


def test_fetch_without_checksums_trusts_only_its_own_finished_files(file_server, tmp_path):
    """A manifest without checksums: before, any file at the path was "already present".
    Now a file fetch finished is recognised (no byte downloaded again); a stranger's file
    of that name is kept and the download saved beside it."""
    data = make_blob(200_000, 15)
    file_server.add("/m/wav2lip.pth", data)
    manifest = tmp_path / "m.yaml"
    manifest.write_text(f"name: wav2lip\npath: checkpoints/wav2lip.pth\n"
                        f"download: [{file_server.url('/m/wav2lip.pth')}]\n", encoding="utf-8")
    target = tmp_path / "models"
    r = _fetch(manifest, target)
    assert r.returncode == 0, r.stderr
    assert (target / "checkpoints/wav2lip.pth").read_bytes() == data
    sent = file_server.bytes_sent
    r = _fetch(manifest, target)
    assert r.returncode == 0 and "already present (finished earlier" in r.stderr, r.stderr
    assert file_server.bytes_sent - sent <= 1
    other = tmp_path / "other"
    (other / "checkpoints").mkdir(parents=True)
    (other / "checkpoints/wav2lip.pth").write_bytes(make_blob(200_000, 16))
    r = _fetch(manifest, other)
    assert r.returncode == 0, r.stderr
    assert (other / "checkpoints/wav2lip.pth").read_bytes() == make_blob(200_000, 16)
    assert (other / "checkpoints/wav2lip (1).pth").read_bytes() == data
    assert "saved as wav2lip (1).pth" in r.stderr
