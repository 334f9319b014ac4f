"""The window with the real core: two downloads with the same file name get two
names and two complete files; a read-only, damaged or full queue database gives
a dialog saying what to do (Repair, Try again), never a crash; partial downloads
no task owns are reported in the status bar."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox
from servers import make_blob, sha256

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "queue"))
from dbfaults_helpers import checkpoint, damage_index, fill, read_only, small_fs  # noqa: E402

WAIT = 60_000
A = make_blob(1_500_000, 201)
B = make_blob(1_500_000, 202)       # same name, same size, other bytes


def _queue(file_server, dl_dir: Path, names=("/f0.bin", "/f1.bin", "/f2.bin")) -> Path:
    from qtest_helpers import settings

    from core.queue.service import queue_links
    from core.queue.store import Store, db_path
    for i, n in enumerate(names):
        file_server.add(n, make_blob(150_000, 210 + i))
    st = Store()
    queue_links(st, "\n".join(file_server.url(n) for n in names), settings(), dest_dir=str(dl_dir))
    st.close()
    checkpoint(db_path())
    return db_path()


@pytest.fixture
def open_window(qtbot):
    """A window around a CoreBridge that may fail to start (made by the test)."""
    made = []

    def make():
        from gui import prefs
        from gui.bridge import CoreBridge
        from gui.main_window import MainWindow
        b = CoreBridge()
        b.start()
        assert b.wait_started(30)
        settings, _ = prefs.load_settings()
        w = MainWindow(b, settings)
        w.setProperty("quitOnClose", False)
        qtbot.addWidget(w)
        w.show()
        made.append((w, b))
        return w, b
    yield make
    for w, b in made:
        w.quitting = True
        b.stop()


def _fault_box(w) -> QMessageBox | None:
    box = w.faults.box
    return box if box is not None and box.isVisible() else None


def test_two_same_named_downloads_are_two_rows_with_two_complete_files(qtbot, window, file_server, tmp_path):
    dl = tmp_path / "dl"
    file_server.add("/a/f512.bin", A, rate=150_000)
    file_server.add("/b/f512.bin", B)
    svc = window.bridge.service

    def tasks():
        return window.model.all_tasks()
    window.bridge.call("add", file_server.url("/a/f512.bin"), dest_dir=str(dl), connections=2)
    qtbot.waitUntil(lambda: len(tasks()) == 1 and tasks()[0].done > 200_000, timeout=WAIT)
    ta = tasks()[0].id
    window.select_task(ta)
    window.act_pause.trigger()                      # A stops half done, its .part kept
    qtbot.waitUntil(lambda: window.model.task(ta).state == "paused", timeout=WAIT)
    window.bridge.call("add", file_server.url("/b/f512.bin"), dest_dir=str(dl))
    qtbot.waitUntil(lambda: len(tasks()) == 2, timeout=WAIT)
    tb = next(t.id for t in tasks() if t.id != ta)
    qtbot.waitUntil(lambda: window.model.task(tb).state == "done", timeout=WAIT)
    file_server.faults["/a/f512.bin"].rate = 0
    window.select_task(ta)
    window.act_start.trigger()
    qtbot.waitUntil(lambda: window.model.task(ta).state == "done", timeout=WAIT)
    a, b = window.model.task(ta), window.model.task(tb)
    assert {Path(a.path).name, Path(b.path).name} == {"f512.bin", "f512 (1).bin"}
    assert Path(a.path).name == "f512.bin"                  # the first keeps the name it started with
    assert sha256(Path(a.path).read_bytes()) == sha256(A)
    assert sha256(Path(b.path).read_bytes()) == sha256(B)
    for tid in (ta, tb):                                   # each map full
        window.select_task(tid)
        qtbot.waitUntil(lambda tid=tid: window.details.task_id == tid, timeout=5000)
        assert window.details.filemap.complete, tid
    assert sorted(p.name for p in dl.iterdir()) == ["f512 (1).bin", "f512.bin"]
    assert svc is window.bridge.service


def test_read_only_database_dialog_then_try_again(qtbot, open_window, file_server, tmp_path):
    db = _queue(file_server, tmp_path / "dl")
    with read_only(db):
        w, b = open_window()
        qtbot.waitUntil(lambda: _fault_box(w) is not None, timeout=WAIT)
        box = _fault_box(w)
        assert "read-only" in box.informativeText() and "tasks are intact" in box.informativeText()
        assert w.faults.button("repairButton") is None          # nothing to repair: it is not damaged
        assert w.banner.isVisible() and not w.act_add.isEnabled()
    w.faults.button("retryButton").click()                      # writable again
    qtbot.waitUntil(lambda: b.is_ready and len(w.model.all_tasks()) == 3, timeout=WAIT)
    qtbot.waitUntil(lambda: all(t.state == "done" for t in w.model.all_tasks()), timeout=WAIT)
    assert not w.banner.isVisible()


def test_damaged_database_repair_button(qtbot, open_window, file_server, tmp_path):
    db = _queue(file_server, tmp_path / "dl")
    damage_index(db)
    w, b = open_window()
    qtbot.waitUntil(lambda: _fault_box(w) is not None, timeout=WAIT)
    assert "damaged" in _fault_box(w).informativeText()
    shown: list[str] = []   # every status-bar message (a later one may replace it at once)
    w.statusBar().messageChanged.connect(shown.append)
    w.faults.button("repairButton").click()
    qtbot.waitUntil(lambda: b.is_ready and len(w.model.all_tasks()) == 3, timeout=WAIT)
    qtbot.waitUntil(lambda: any("repaired: 3 task(s) kept" in m for m in shown), timeout=WAIT)
    assert list(db.parent.glob("zhilian.db.damaged-*"))


def test_disk_full_while_running_dialog(qtbot, open_window, file_server, tmp_path, zhilian_home):
    import shutil

    from core.queue.store import db_path
    data_dir = db_path().parent
    shutil.rmtree(data_dir)
    with small_fs(data_dir, "2m"):
        _queue(file_server, tmp_path / "dl")
        for f in file_server.faults.values():
            f.rate = 10_000   # no file may finish before the fill is noticed (connections open at once)
        w, b = open_window()
        qtbot.waitUntil(lambda: b.is_ready and any(t.state == "downloading" for t in w.model.all_tasks()),
                        timeout=WAIT)
        filler = fill(data_dir)
        qtbot.waitUntil(lambda: _fault_box(w) is not None, timeout=WAIT)
        assert "disk is full" in _fault_box(w).informativeText()
        assert "stopped" in w.banner.text() and w.banner.isVisible()
        filler.unlink()
        for f in file_server.faults.values():
            f.rate = 0
        w.faults.button("retryButton").click()
        qtbot.waitUntil(lambda: b.is_ready and len(w.model.all_tasks()) == 3
                        and all(t.state == "done" for t in w.model.all_tasks()), timeout=WAIT)


def test_partial_downloads_no_task_owns_are_reported(qtbot, open_window, file_server, tmp_path):
    dl = tmp_path / "dl"
    dl.mkdir()
    _queue(file_server, dl, names=("/only.bin",))
    (dl / "stray.bin.part").write_bytes(b"\1" * 1000)
    (dl / "stray.bin.part.journal").write_text("{}")
    w, b = open_window()
    qtbot.waitUntil(lambda: "belong to no task" in (w.faults.last_message or ""), timeout=WAIT)
    assert str(dl / "stray.bin.part") in w.statusBar().toolTip()
    assert (dl / "stray.bin.part").exists() and (dl / "stray.bin.part.journal").exists()
