"""Leftovers: a failed or removed task leaves no journal that describes no file
(and nothing at all when removed with its file); the start-up check reports the
partial downloads in the queue's folders that no task owns, and never deletes them."""

from __future__ import annotations

import json
from pathlib import Path

from qtest_helpers import cli, run_svc, settings, wait_until
from servers import make_blob

from core.queue.service import queue_links
from core.queue.store import Store

DATA = make_blob(1_200_000, 61)


def _side(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".part" in p.name)


def test_failed_download_leaves_no_journal_without_its_part(file_server, dl_dir):
    """The .part disappears under a running download (deleted by hand, or, before
    names were reserved, renamed by another task of the same name): the task fails
    and its journal, which now describes no file, goes too."""
    file_server.add("/w.bin", DATA, rate=150_000)

    async def body(svc):
        [tid] = await svc.add(file_server.url("/w.bin"), dest_dir=str(dl_dir), connections=2)
        await wait_until(lambda: (dl_dir / "w.bin.part.journal").exists() and svc.get(tid).done > 100_000)
        (dl_dir / "w.bin.part").unlink()
        file_server.faults["/w.bin"].rate = 0
        await wait_until(lambda: svc.get(tid).state in ("failed", "done"), timeout=60)
        return svc.get(tid)
    v = run_svc(body, settings_obj=settings(max_retries=0))
    assert v.state == "failed", v
    assert _side(dl_dir) == []


def test_remove_with_delete_leaves_nothing_and_without_keeps_the_resumable_part(file_server, dl_dir):
    file_server.add("/a.bin", DATA, rate=100_000)
    file_server.add("/b.bin", make_blob(900_000, 62), rate=100_000)

    async def body(svc):
        ids = await svc.add(f"{file_server.url('/a.bin')}\n{file_server.url('/b.bin')}", dest_dir=str(dl_dir),
                            connections=2)
        await wait_until(lambda: all(svc.get(i).done > 100_000 for i in ids))
        await svc.remove(ids[0], delete_file=True)
        await svc.remove(ids[1])
        return ids
    run_svc(body)
    assert _side(dl_dir) == ["b.bin.part", "b.bin.part.journal"]

    async def restart(svc):      # ... which the next start reports as belonging to no task
        return svc.leftovers
    [lo] = run_svc(restart, settings_obj=settings(download_dir=str(dl_dir)))
    assert lo.part == dl_dir / "b.bin.part" and lo.size > 0
    assert _side(dl_dir) == ["b.bin.part", "b.bin.part.journal"]


def test_cli_remove_delete_file_without_a_running_queue(file_server, dl_dir):
    file_server.add("/a.bin", DATA, rate=100_000)

    async def body(svc):
        [tid] = await svc.add(file_server.url("/a.bin"), dest_dir=str(dl_dir), connections=2)
        await wait_until(lambda: svc.get(tid).done > 100_000)
        return tid       # closed half done
    tid = run_svc(body)
    assert _side(dl_dir) == ["a.bin.part", "a.bin.part.journal"]
    r = cli("remove", str(tid), "--delete-file")
    assert r.returncode == 0, r.stderr
    assert _side(dl_dir) == [] and list(dl_dir.iterdir()) == []


def test_start_up_reports_partial_downloads_no_task_owns(file_server, dl_dir):
    file_server.add("/mine.bin", DATA)
    st = Store()
    queue_links(st, file_server.url("/mine.bin"), settings(), dest_dir=str(dl_dir))
    st.close()
    # an interrupted download nobody owns, a journal whose .part is gone, a browser's .part
    (dl_dir / "stray.bin.part").write_bytes(b"\1" * 5000)
    (dl_dir / "stray.bin.part.journal").write_text(json.dumps({"v": 1, "size": 9000, "done": [[0, 5000]]}))
    (dl_dir / "lost.bin.part.journal").write_text("{}")
    (dl_dir / "firefox.iso.part").write_bytes(b"\2" * 100)
    before = {p.name: p.read_bytes() for p in dl_dir.iterdir()}
    r = cli("run")
    assert r.returncode == 0, r.stdout + r.stderr
    [line] = [ln for ln in r.stderr.splitlines() if "belong to no task" in ln]
    assert line.startswith("zhilian: 2 partial download(s)")
    assert str(dl_dir / "stray.bin.part") in line and str(dl_dir / "lost.bin.part.journal") in line
    assert "firefox" not in line and "mine.bin" not in line
    after = {p.name: p.read_bytes() for p in dl_dir.iterdir()}
    assert {k: v for k, v in after.items() if k != "mine.bin"} == before      # reported, not deleted
    assert after["mine.bin"] == DATA
    r = cli("list")
    assert "2 partial download(s)" in r.stderr
