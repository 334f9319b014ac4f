"""One owner per target path: every queue task reserves its file name in the
database (a unique index) before the engine may use that name or its ``.part``;
the reservation survives restarts, a paused or failed task keeps it, removing
the task frees it. A model repo's files keep the repo's layout."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from qtest_helpers import CLI, ROOT, cli, run_svc, settings, wait_until
from servers import file_sha256, make_blob, sha256

from core.queue.store import Store, TaskRow

A = make_blob(1_500_000, 101)
B = make_blob(1_500_000, 102)        # same size, same name, other bytes


def _serve_two(file_server, rate_a: float = 0.0, rate_b: float = 0.0) -> tuple[str, str]:
    # same name, same size, same ETag and Last-Modified: only the bytes differ, so
    # nothing but the name reservation keeps the two downloads apart
    file_server.add("/a/model.bin", A, rate=rate_a)
    file_server.add("/b/model.bin", B, rate=rate_b)
    return file_server.url("/a/model.bin"), file_server.url("/b/model.bin")


def _side_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if ".part" in p.name)


def _terminal(svc, tid) -> bool:
    return svc.get(tid).state in ("done", "failed", "handed_off")


# -- the store ---------------------------------------------------------------------

def test_store_name_reservation_is_unique_one_per_task_and_persistent(tmp_path):
    db = tmp_path / "q.db"
    st = Store(db)
    t1, t2 = st.insert([TaskRow(link="http://h/1", dest_dir=str(tmp_path)),
                        TaskRow(link="http://h/2", dest_dir=str(tmp_path))])
    target = tmp_path / "model.bin"
    assert st.claim_name(t1, target)
    assert st.claim_name(t1, target)                       # its own name again
    assert not st.claim_name(t2, target)                   # someone else's
    assert st.claim_name(t2, tmp_path / "model (1).bin")
    # a later claim replaces the earlier one: one name per task
    assert st.claim_name(t1, tmp_path / "other.bin")
    assert st.claim_name(t2, target)
    st.close()
    st = Store(db)                                         # survives a restart
    assert st.get(t2).reserved_path == str(target)
    assert not st.claim_name(t1, target)
    # the unique index itself refuses a second owner, whoever writes
    import sqlite3
    with pytest.raises(sqlite3.IntegrityError):
        st.con.execute("UPDATE tasks SET reserved_key = (SELECT reserved_key FROM tasks WHERE id = ?) "
                       "WHERE id = ?", (t2, t1))
    st.delete(t2)                                          # removing the task frees the name
    assert st.claim_name(t1, target)
    st.close()


# -- the queue ---------------------------------------------------------------------

def test_paused_task_keeps_its_name_while_a_same_named_file_downloads(file_server, dl_dir):
    url_a, url_b = _serve_two(file_server, rate_a=150_000)

    async def body(svc):
        [ta] = await svc.add(url_a, dest_dir=str(dl_dir), connections=2)
        await wait_until(lambda: svc.get(ta).done > 200_000)
        await svc.pause(ta)
        [tb] = await svc.add(url_b, dest_dir=str(dl_dir))
        await wait_until(lambda: _terminal(svc, tb), timeout=60)
        file_server.faults["/a/model.bin"].rate = 0
        await svc.resume(ta)
        await wait_until(lambda: _terminal(svc, ta), timeout=60)
        return svc.get(ta), svc.get(tb)

    a, b = run_svc(body, settings_obj=settings(max_active=1))
    assert (a.state, b.state) == ("done", "done"), (a.error, b.error)
    assert Path(a.path) == dl_dir / "model.bin"
    assert Path(b.path) == dl_dir / "model (1).bin"
    assert file_sha256(a.path) == sha256(A)
    assert file_sha256(b.path) == sha256(B)
    assert sorted(p.name for p in dl_dir.iterdir()) == ["model (1).bin", "model.bin"]


def test_reserved_name_and_part_survive_a_restart(file_server, dl_dir):
    url_a, url_b = _serve_two(file_server, rate_a=150_000)

    async def start_a(svc):
        [ta] = await svc.add(url_a, dest_dir=str(dl_dir), connections=2)
        await wait_until(lambda: svc.get(ta).done > 200_000)
        return ta       # the service closes with A half done: its .part and journal stay
    ta = run_svc(start_a)
    assert (dl_dir / "model.bin.part").exists()
    file_server.faults["/a/model.bin"].rate = 0

    async def then_b_first(svc):
        [tb] = await svc.add(url_b, dest_dir=str(dl_dir), priority=5)   # runs before A
        await wait_until(lambda: _terminal(svc, tb) and _terminal(svc, ta), timeout=60)
        return svc.get(ta), svc.get(tb)
    a, b = run_svc(then_b_first, settings_obj=settings(max_active=1))
    assert (a.state, b.state) == ("done", "done"), (a.error, b.error)
    assert file_sha256(a.path) == sha256(A) and Path(a.path).name == "model.bin"
    assert file_sha256(b.path) == sha256(B) and Path(b.path).name == "model (1).bin"
    assert _side_files(dl_dir) == []


def _one_after_the_other(dl_dir, first: str, second: str):
    """Downloads ``first`` to the end, then ``second``, into one folder."""
    async def body(svc):
        [t1] = await svc.add(first, dest_dir=str(dl_dir))
        await wait_until(lambda: _terminal(svc, t1))
        [t2] = await svc.add(second, dest_dir=str(dl_dir))
        await wait_until(lambda: _terminal(svc, t2))
        return svc.get(t1), svc.get(t2)
    return run_svc(body)


def test_finished_file_is_not_taken_for_another_same_named_task(file_server, dl_dir):
    url_a, url_b = _serve_two(file_server)
    a, b = _one_after_the_other(dl_dir, url_a, url_b)
    assert (a.state, b.state) == ("done", "done")
    assert file_sha256(a.path) == sha256(A)
    assert Path(b.path).name == "model (1).bin" and file_sha256(b.path) == sha256(B)


def test_adding_a_finished_link_again_makes_no_copy(file_server, dl_dir):
    url_a, _ = _serve_two(file_server)
    first, again = _one_after_the_other(dl_dir, url_a, url_a)
    assert again.state == "done" and again.path == first.path
    assert sorted(p.name for p in dl_dir.iterdir()) == ["model.bin"]


def test_removing_a_task_frees_its_name(file_server, dl_dir):
    url_a, url_b = _serve_two(file_server, rate_a=100_000)

    async def body(svc):
        [ta] = await svc.add(url_a, dest_dir=str(dl_dir), connections=2)
        await wait_until(lambda: svc.get(ta).done > 100_000)
        await svc.remove(ta, delete_file=True)
        assert _side_files(dl_dir) == []
        [tb] = await svc.add(url_b, dest_dir=str(dl_dir))
        await wait_until(lambda: _terminal(svc, tb))
        return svc.get(tb)
    b = run_svc(body)
    assert Path(b.path) == dl_dir / "model.bin" and file_sha256(b.path) == sha256(B)


# -- the command line (the case) ---------------------------------------------

def test_cli_two_model_bin_in_one_folder(file_server, dl_dir):
    url_a, url_b = _serve_two(file_server, rate_a=400_000, rate_b=400_000)
    for u in (url_a, url_b):
        r = cli("add", u, "-d", str(dl_dir))
        assert r.returncode == 0, r.stderr
    r = cli("run", timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert sorted(p.name for p in dl_dir.iterdir()) == ["model (1).bin", "model.bin"]
    got = sorted(file_sha256(p) for p in dl_dir.iterdir())
    assert got == sorted([sha256(A), sha256(B)])
    out = cli("list").stdout
    assert "2 done" in out


def test_cli_kill9_then_a_same_named_task_first(file_server, dl_dir):
    """`run` killed with SIGKILL while A is half done; B (same name) is added with a
    higher priority and runs alone first: it must not take A's .part."""
    url_a, url_b = _serve_two(file_server, rate_a=120_000)
    assert cli("add", url_a, "-d", str(dl_dir), "-x", "2").returncode == 0
    p = subprocess.Popen([*CLI, "run", "-q"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         cwd=ROOT, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            j = dl_dir / "model.bin.part.journal"
            if j.exists() and j.stat().st_size > 0 and '"done":[[' in j.read_text(errors="replace"):
                break
            time.sleep(0.05)
        time.sleep(0.5)
    finally:
        os.kill(p.pid, signal.SIGKILL)
        p.wait()
    assert (dl_dir / "model.bin.part").exists()
    file_server.faults["/a/model.bin"].rate = 0
    assert cli("add", url_b, "-d", str(dl_dir), "--priority", "9").returncode == 0
    r = cli("run", "-j", "1", timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert sorted(p.name for p in dl_dir.iterdir()) == ["model (1).bin", "model.bin"]
    assert file_sha256(dl_dir / "model.bin") == sha256(A)
    assert file_sha256(dl_dir / "model (1).bin") == sha256(B)


# -- model repositories in one folder ------------------------------------------------

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "resolvers"))


def test_two_hugging_face_repos_and_a_modelscope_model_in_one_folder(dl_dir):
    """Repos keep their own folders (core.selection.layout_dir); the files they
    share by name (model.safetensors, config.json, tokenizer/tokenizer.json) are
    never written through one .part: each gets its own name, each is byte-exact."""
    from hubmocks import MockHF, MockModelScope, MockS3CDN

    from core.resolve import make_context
    cdn = MockS3CDN(clock=time.time).start()
    hf = MockHF(cdn).start()
    ms = MockModelScope().start()
    repos = {
        "https://huggingface.co/org-a/lipsync": {
            "model.safetensors": make_blob(300_000, 1), "config.json": b'{"a": 1}',
            "tokenizer/tokenizer.json": b'{"t": "a"}'},
        "https://huggingface.co/org-b/lipsync": {
            "model.safetensors": make_blob(300_000, 2), "config.json": b'{"b": 2}',
            "tokenizer/tokenizer.json": b'{"t": "b"}'},
        "https://www.modelscope.cn/models/iic/lipsync": {
            "model.safetensors": make_blob(300_000, 3), "config.json": b'{"m": 3}'},
    }
    try:
        hf.add_repo("org-a/lipsync", repos["https://huggingface.co/org-a/lipsync"])
        hf.add_repo("org-b/lipsync", repos["https://huggingface.co/org-b/lipsync"])
        ms.add_model("iic/lipsync", repos["https://www.modelscope.cn/models/iic/lipsync"])
        # a repo's files are listed with their resolve URLs, which redirect to the CDN's own address
        hosts = {"huggingface.co": hf.base, "www.modelscope.cn": ms.base}

        def factory(session):
            return make_context(session, host_map=hosts, credentials={}, env={})

        async def body(svc):
            await svc.add("\n".join(repos), dest_dir=str(dl_dir))
            await wait_until(lambda: len(svc.tasks()) == 8 and all(_terminal(svc, t.id) for t in svc.tasks()),
                             timeout=60)
            return svc.tasks()
        views = run_svc(body, context_factory=factory)
    finally:
        ms.stop()
        hf.stop()
        cdn.stop()
    assert all(v.state == "done" for v in views), [(v.name, v.error) for v in views]
    st = Store()
    rows = st.load()
    st.close()
    paths = [Path(r.path) for r in rows]
    assert len(set(paths)) == 8
    for r in rows:
        assert Path(r.path).read_bytes() == repos[r.link][r.rpath], (r.link, r.rpath, r.path)
        assert Path(r.path).parent == (dl_dir / r.rpath).parent       # the repo's own folders
    on_disk = sorted(p.relative_to(dl_dir).as_posix() for p in dl_dir.rglob("*") if p.is_file())
    assert on_disk == sorted(p.relative_to(dl_dir).as_posix() for p in paths)
    assert sorted(on_disk) == sorted([
        "model.safetensors", "model (1).safetensors", "model (2).safetensors",
        "config.json", "config (1).json", "config (2).json",
        "tokenizer/tokenizer.json", "tokenizer/tokenizer (1).json"])
