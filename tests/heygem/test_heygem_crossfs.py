"""Placement across filesystems, and kill -9 of a real process in the middle of it.

A second filesystem is used for real when the machine has one (/dev/shm, a tmpfs, differs from
the temp folder's device on most Linux machines); the EXDEV path is also always exercised by
making os.replace refuse to move between folders, as it does between filesystems."""

import errno
import hashlib
import json
import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from core.heygem import handoff as H

HERE = Path(__file__).resolve().parent
WORKER = HERE / "copy_worker.py"
REL = "models/heygem_model_v1.0.pth"


def sha(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


@pytest.fixture
def exdev(monkeypatch):
    real = os.replace
    calls = []

    def replace(a, b, *args, **kw):
        calls.append((str(a), str(b)))
        if Path(a).resolve().parent != Path(b).resolve().parent:
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        return real(a, b, *args, **kw)

    monkeypatch.setattr(H.os, "replace", replace)
    return calls


def _phases(events):
    return [p for p, _, _ in events]


def test_second_filesystem_copies_fsyncs_and_rehashes(tmp_path, installs, hg, other_fs, monkeypatch):
    data, old = hg.pth_bytes(3 << 20, seed=5), hg.pth_bytes(seed=6)
    root = installs.webui(model=old)
    if other_fs is None:   # no second filesystem possible here: inject the cross-device error
        print("NOTE: no second filesystem on this machine; EXDEV injected instead")
        real = os.replace
        monkeypatch.setattr(H.os, "replace", lambda a, b: (_ for _ in ()).throw(
            OSError(errno.EXDEV, "cross-device")) if Path(a).parent != Path(b).parent else real(a, b))
        src = hg.write(tmp_path / "elsewhere" / "heygem_model_v1.0.pth", data)
    else:
        src = hg.write(other_fs / "heygem_model_v1.0.pth", data)
        assert os.stat(src).st_dev != os.stat(root).st_dev
    events = []
    res = H.handoff_file(src, root, progress=lambda *a: events.append(a), force=True)
    assert res.method == "copy" and res.status == "placed"
    assert (root / REL).read_bytes() == data and not src.exists()
    assert res.backup.read_bytes() == old
    assert {"hashing", "copying", "verifying"} <= set(_phases(events))
    assert events[-1][1] == events[-1][2] == len(data)
    assert not [p for p in (root / "models").iterdir() if H.TMP_MARK in p.name]


def test_exdev_falls_back_to_copy_then_atomic_rename(tmp_path, installs, hg, exdev):
    data = hg.pth_bytes(1 << 20)
    root = installs.webui()
    src = hg.write(tmp_path / "dl" / "heygem_model_v1.0.pth", data)
    events = []
    res = H.handoff_file(src, root, progress=lambda *a: events.append(a))
    assert res.method == "copy" and (root / REL).read_bytes() == data and not src.exists()
    # first the refused move, then tmp -> target inside the target folder
    assert exdev[0] == (str(src), str(root / REL))
    a, b = next(c for c in exdev[1:] if c[1] == str(root / REL))
    assert Path(a).parent == root / "models" and H.TMP_MARK in Path(a).name
    copy_done = [d for p, d, _ in events if p == "copying"]
    assert copy_done == sorted(copy_done) and copy_done[-1] == len(data)
    assert "verifying" in _phases(events)


def test_copy_keeps_the_original_when_asked(tmp_path, installs, hg):
    data = hg.pth_bytes()
    src = hg.write(tmp_path / "heygem_model_v1.0.pth", data)
    res = H.handoff_file(src, installs.webui(), copy=True)
    assert res.method == "copy" and src.read_bytes() == data and res.path.read_bytes() == data


def test_a_bad_copy_is_detected_and_nothing_replaced(tmp_path, installs, hg, exdev, monkeypatch):
    old, new = hg.pth_bytes(seed=1), hg.pth_bytes(seed=2)
    root = installs.webui(model=old)
    src = hg.write(tmp_path / "dl" / "heygem_model_v1.0.pth", new)
    real_copy = H._copy_verified.__globals__["sha256_file"]

    def flaky(path, progress=None, phase="hashing"):
        h = real_copy(path, progress, phase)
        return "f" * 64 if phase == "verifying" else h   # the re-read copy differs

    monkeypatch.setattr(H, "sha256_file", flaky)
    with pytest.raises(H.HandoffError, match="does not match the original"):
        H.handoff_file(src, root, force=True)
    assert (root / REL).read_bytes() == old and src.exists()
    left = [p.name for p in (root / "models").iterdir()]
    assert left == ["heygem_model_v1.0.pth"], left   # no temp, no stray backup


def test_stale_temp_of_a_dead_process_is_cleaned(tmp_path, installs, hg):
    root = installs.webui()
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    stale = hg.write(root / "models" / f".heygem_model_v1.0.pth{H.TMP_MARK}{p.pid}-abc.tmp", b"x" * 10)
    mine = hg.write(root / "models" / f".other{H.TMP_MARK}{os.getpid()}-abc.tmp", b"x")
    assert H.clean_stale_temps(root / "models") == [stale]
    assert mine.exists() and not stale.exists()


def _one_round(rng, root: Path, src_dir: Path, mode: str, hg, seed: int) -> tuple[str, str, str]:
    old, new = hg.pth_bytes(6 << 20, seed=seed), hg.pth_bytes(6 << 20, seed=seed + 1000)
    target = root / REL
    tmp = target.with_name("prep.tmp")
    tmp.write_bytes(old)
    os.replace(tmp, target)
    src = hg.write(src_dir / "heygem_model_v1.0.pth", new)
    cmd = [sys.executable, str(WORKER), str(src), str(root), REL] + (["--exdev"] if mode == "exdev" else [])
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    kill_after = rng.randrange(1, 200)
    seen, phase = 0, "start"
    for line in p.stdout:
        if line.startswith("P "):
            seen += 1
            phase = line.split()[1]
        if line.startswith("DONE") or seen >= kill_after:
            break
    p.send_signal(signal.SIGKILL)
    p.wait()
    p.stdout.close()
    p.stderr.close()
    got = sha(target.read_bytes())
    assert got in (sha(old), sha(new)), f"round {seed}: target is neither old nor new (killed in {phase})"
    rec = root / H.RECORD_FILE
    if rec.exists():
        json.loads(rec.read_text())       # never a half-written record
    return phase, ("new" if got == sha(new) else "old"), mode


def test_kill_9_mid_copy_leaves_old_or_new_never_truncated(tmp_path, installs, hg, other_fs):
    """Many rounds: a real process copies a 6 MiB model across filesystems (a real second
    filesystem when there is one, and the EXDEV path) and is killed -9 at a random moment."""
    rng = random.Random(7)
    root = installs.webui(model=b"")
    outcomes = []
    modes = [("exdev", tmp_path / "src")]
    if other_fs is not None:
        modes.append(("real", other_fs))
    for mode, src_dir in modes:
        src_dir.mkdir(exist_ok=True)
        for _ in range(12):
            outcomes.append(_one_round(rng, root, src_dir, mode, hg, seed=len(outcomes)))
    phases = {o[0] for o in outcomes}
    assert "copying" in phases            # kills did land in the middle of copies
    assert any(o[0] == "copying" and o[1] == "old" for o in outcomes)
    # what the killed runs left behind (temp copies, duplicate backups) does not break the next run
    final = hg.write(tmp_path / "src" / "heygem_model_v1.0.pth", hg.pth_bytes(seed=99))
    res = H.handoff_file(final, root, force=True)
    assert res.status == "placed"
    assert not [p for p in (root / "models").iterdir() if H.TMP_MARK in p.name]
    print("kill rounds:", len(outcomes), "phases:", sorted(phases),
          "results:", {k: sum(1 for o in outcomes if o[1] == k) for k in ("old", "new")},
          "modes:", sorted({o[2] for o in outcomes}))
