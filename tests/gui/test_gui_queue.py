"""The main window driven by a real QueueService downloading from the local FileServer:
adding through the dialog, real drag and drop events, state changes, context actions,
notifications, settings, accounts, clipboard, remembered layout, a 10,000-row model."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDialogButtonBox
from servers import make_blob

WAIT = 60_000


def _tasks(w):
    return w.model.all_tasks()


def _add_via_dialog(qtbot, w, text: str, folder: Path, **fields):
    dlg = w.open_add_dialog()
    qtbot.waitUntil(lambda: dlg.isVisible(), timeout=5000)
    dlg.text.setPlainText(text)
    dlg.folder.setText(str(folder))
    if "sha256" in fields:
        dlg.sha256.setText(fields["sha256"])
    if "connections" in fields:
        dlg.connections.setValue(fields["connections"])
    dlg.refresh_preview()
    ok = dlg.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert ok.isEnabled(), dlg.error.text()
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    return dlg


def _state(w, tid):
    t = w.model.task(tid)
    return t.state if t else None


def test_add_through_dialog_downloads_and_verifies(qtbot, window, file_server, tmp_path):
    data = make_blob(3 << 20, seed=7)
    file_server.add("/model.safetensors", data)
    digest = hashlib.sha256(data).hexdigest()
    notes: list[tuple[str, str, str]] = []
    window.notified.connect(lambda *a: notes.append(a))
    _add_via_dialog(qtbot, window, f"model: {file_server.url('/model.safetensors')}", tmp_path, sha256=digest,
                    connections=4)
    qtbot.waitUntil(lambda: len(_tasks(window)) == 1, timeout=WAIT)
    tid = _tasks(window)[0].id
    qtbot.waitUntil(lambda: _state(window, tid) == "done", timeout=WAIT)
    t = window.model.task(tid)
    assert Path(t.path).read_bytes() == data
    assert t.sha256 == digest
    # the row shows it, the details pane says the checksum was verified
    window.select_task(tid)
    qtbot.waitUntil(lambda: window.details.task_id == tid, timeout=5000)
    assert "verified" in window.details.lbl_checksum.text()
    assert window.details.filemap.complete
    assert window.proxy.rowCount() == 1
    idx = window.proxy.index(0, 5)
    assert idx.data() == "Done"
    qtbot.waitUntil(lambda: any(n[0] in ("finished", "done") for n in notes), timeout=5000)
    assert window.act_open.isEnabled() and window.act_folder.isEnabled()


def test_drop_link_list_file_and_url_adds_downloads(qtbot, window, file_server, tmp_path, zhilian_home,
                                                    drag_drop):
    a, b, c = make_blob(200_000, 1), make_blob(300_000, 2), make_blob(100_000, 3)
    file_server.add("/a.bin", a)
    file_server.add("/b.bin", b)
    file_server.add("/c.bin", c)
    lst = tmp_path / "links.txt"
    lst.write_text(f"{file_server.url('/a.bin')}\n# comment\n{file_server.url('/b.bin')}\n", encoding="utf-8")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(lst)), QUrl(file_server.url("/c.bin"))])
    entered, dropped = drag_drop(window, mime)
    assert entered and dropped
    qtbot.waitUntil(lambda: window.adding.dialog is not None, timeout=10000)     # the core read the list
    dlg = window.adding.dialog
    assert dlg is not None and dlg.isVisible()
    qtbot.waitUntil(lambda: dlg.preview.rowCount() == 3, timeout=5000)
    dlg.folder.setText(str(tmp_path / "dl"))
    qtbot.mouseClick(dlg.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(_tasks(window)) == 3, timeout=WAIT)
    qtbot.waitUntil(lambda: all(t.state == "done" for t in _tasks(window)), timeout=WAIT)
    got = {Path(t.path).name: Path(t.path).read_bytes() for t in _tasks(window)}
    assert got == {"a.bin": a, "b.bin": b, "c.bin": c}
    # something that is not a link is refused at drag-enter time
    junk = QMimeData()
    junk.setUrls([QUrl.fromLocalFile(str(tmp_path / "x.jpg"))])
    entered, _ = drag_drop(window, junk)
    assert not entered


def test_pause_resume_and_live_file_map(qtbot, window, file_server, tmp_path):
    data = make_blob(6 << 20, seed=11)
    file_server.add("/slow.bin", data, rate=400_000)
    _add_via_dialog(qtbot, window, file_server.url("/slow.bin"), tmp_path, connections=4)
    qtbot.waitUntil(lambda: len(_tasks(window)) == 1, timeout=WAIT)
    tid = _tasks(window)[0].id
    window.select_task(tid)
    # while downloading, the details pane paints the connections' ranges
    qtbot.waitUntil(lambda: _state(window, tid) == "downloading" and len(window.details.filemap.connections) >= 2
                    and bool(window.model.progress[tid].done_ranges), timeout=WAIT)
    assert window.details.filemap.total == len(data)
    assert window.act_pause.isEnabled()
    window.act_pause.trigger()
    qtbot.waitUntil(lambda: _state(window, tid) == "paused", timeout=WAIT)
    done_at_pause = window.model.task(tid).done
    assert 0 < done_at_pause < len(data)
    assert "Paused" in window.details.summary.text()
    window.select_task(tid)
    assert window.act_start.isEnabled()
    window.act_start.trigger()
    file_server.faults["/slow.bin"].rate = 0
    qtbot.waitUntil(lambda: _state(window, tid) == "done", timeout=WAIT)
    assert Path(window.model.task(tid).path).read_bytes() == data
    log = "\n".join(window.model.logs[tid])
    assert "Paused" in log and "Done" in log


def test_failure_is_shown_and_notified_then_replace_link_finishes(qtbot, window, file_server, tmp_path):
    data = make_blob(500_000, seed=5)
    file_server.add("/v2/model.bin", data)         # the same file behind a new link
    notes: list[tuple[str, str, str]] = []
    window.notified.connect(lambda *a: notes.append(a))
    _add_via_dialog(qtbot, window, file_server.url("/v1/model.bin"), tmp_path)
    qtbot.waitUntil(lambda: len(_tasks(window)) == 1, timeout=WAIT)
    tid = _tasks(window)[0].id
    qtbot.waitUntil(lambda: _state(window, tid) == "failed", timeout=WAIT)
    t = window.model.task(tid)
    assert t.error and "404" in t.error
    window.select_task(tid)
    from gui import outcome
    worded = outcome.error_text(t)       # the GUI words the error from its kind
    assert worded == "The file or share no longer exists" and worded in window.details.summary.text()
    qtbot.waitUntil(lambda: bool(notes), timeout=5000)
    assert notes[-1][0] in ("failed", "needs_link") and worded in notes[-1][2]
    # a new link for the same task
    assert window.act_replace.isEnabled()
    window.replace_link(file_server.url("/v2/model.bin"))
    qtbot.waitUntil(lambda: _state(window, tid) == "done", timeout=WAIT)
    assert Path(window.model.task(tid).path).read_bytes() == data


def test_remove_with_file_and_copy_link(qtbot, window, file_server, tmp_path):
    file_server.add("/r.bin", make_blob(100_000, 9))
    _add_via_dialog(qtbot, window, file_server.url("/r.bin"), tmp_path)
    qtbot.waitUntil(lambda: len(_tasks(window)) == 1 and _tasks(window)[0].state == "done", timeout=WAIT)
    t = _tasks(window)[0]
    window.select_task(t.id)
    window.copy_link()
    assert QGuiApplication.clipboard().text() == file_server.url("/r.bin")
    assert Path(t.path).exists()
    window.remove_selected(True, confirm=False)
    qtbot.waitUntil(lambda: not _tasks(window), timeout=WAIT)
    assert not Path(t.path).exists()
    assert window.details.task_id is None


def test_context_menu_lists_the_actions(qtbot, window, file_server, tmp_path):
    file_server.add("/m.bin", make_blob(50_000, 4))
    _add_via_dialog(qtbot, window, file_server.url("/m.bin"), tmp_path)
    qtbot.waitUntil(lambda: len(_tasks(window)) == 1 and _tasks(window)[0].state == "done", timeout=WAIT)
    window.select_task(_tasks(window)[0].id)
    rect = window.table.visualRect(window.proxy.index(0, 0))
    window._context_menu(rect.center())
    menu = window.context_menu
    names = [a.objectName() for a in menu.actions() if a.objectName()]
    assert names == ["actStart", "actPause", "actOpen", "actFolder", "actCopy", "actReplace", "actHeygem",
                     "actShare", "actRemove", "actRemoveFile"]
    enabled = {a.objectName() for a in menu.actions() if a.isEnabled()}
    assert {"actOpen", "actFolder", "actCopy", "actRemove", "actRemoveFile", "actHeygem", "actShare"} <= enabled
    assert "actPause" not in enabled and "actReplace" not in enabled
    menu.close()
    # Share link opens the sharing dialog for the finished file
    window.act_share.trigger()          # the share store opens in the core's worker, then the dialog
    qtbot.waitUntil(lambda: getattr(window, "share_dialog", None) is not None, timeout=5000)
    dlg = window.share_dialog
    qtbot.waitUntil(dlg.isVisible, timeout=5000)
    assert dlg.file_path == Path(_tasks(window)[0].path)
    dlg.reject()


def test_global_limit_control_saves_and_applies(qtbot, window):
    from core.queue.settings import load_settings
    window.limit.setValue(512)
    qtbot.waitUntil(lambda: load_settings().global_limit == 512 * 1024, timeout=5000)


def test_settings_dialog_saves(qtbot, window, tmp_path):
    from core.queue.settings import load_settings
    from gui.settings_dialog import SettingsDialog
    window.open_settings()
    dlg: SettingsDialog = window.settings_dialog
    dlg.max_active.setValue(7)
    dlg.download_dir.setText(str(tmp_path / "models"))
    dlg.add_install_path(str(tmp_path / "HeyGem"))
    dlg.watch_clipboard.setChecked(True)
    dlg.proxy.setText("not a proxy")
    assert not dlg.buttons.button(QDialogButtonBox.StandardButton.Ok).isEnabled()
    dlg.proxy.setText("socks5://127.0.0.1:1080")
    qtbot.mouseClick(dlg.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: load_settings().max_active == 7, timeout=5000)    # written off the GUI thread
    s = load_settings()
    assert (s.max_active, s.download_dir, s.heygem_installs, s.watch_clipboard, s.proxy) == \
        (7, str(tmp_path / "models"), [str(tmp_path / "HeyGem")], True, "socks5://127.0.0.1:1080")
    assert window.heygem_available()
    add = window.open_add_dialog()
    assert add.folder.text() == str(tmp_path / "models")
    assert add.heygem_note.text() == ""


def test_clipboard_offer_when_enabled(qtbot, window):
    cb = QGuiApplication.clipboard()
    window.settings.watch_clipboard = False
    cb.setText("https://example.com/one.bin")
    qtbot.wait(50)
    assert not window.clip_bar.isVisibleTo(window)
    window.settings.watch_clipboard = True
    cb.setText("链接: https://pan.baidu.com/s/1clip 提取码: ab12")
    qtbot.waitUntil(lambda: window.clip_bar.isVisibleTo(window), timeout=5000)
    assert "https://pan.baidu.com/s/1clip" in window.clip_bar.label.text()
    qtbot.mouseClick(window.clip_bar.add_btn, Qt.MouseButton.LeftButton)
    dlg = window.adding.dialog
    assert dlg is not None
    qtbot.waitUntil(lambda: dlg.preview.rowCount() == 1, timeout=5000)
    assert dlg.preview.item(0, 1).text() == "ab12"


def test_accounts_dialog_imports_and_removes(qtbot, window):
    window.open_accounts()
    dlg = window.accounts_dialog
    qtbot.waitUntil(lambda: dlg.pending == 0, timeout=WAIT)
    assert dlg.table.rowCount() == 0
    dlg.host.setCurrentIndex(dlg.host.findData("baidu.com"))
    dlg.cookies.setPlainText("BDUSS=abcdefghijklmnopqrstuvwxyz0123456789; STOKEN=st0ken123")
    qtbot.mouseClick(dlg.import_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dlg.table.rowCount() == 1 and dlg.pending == 0, timeout=WAIT)
    assert dlg.cookies.toPlainText() == ""                 # the secret does not linger in the widget
    assert dlg.table.item(0, 1).text().startswith("Valid")
    assert "BDUSS" in dlg.table.item(0, 2).text() and "abcdefgh" not in dlg.table.item(0, 2).text()
    dlg.table.selectRow(0)
    dlg._remove(confirm=False)
    qtbot.waitUntil(lambda: dlg.table.rowCount() == 0 and dlg.pending == 0, timeout=WAIT)
    import core.accounts as acc
    assert acc.list_accounts() == []


def test_layout_is_remembered(qtbot, bridge):
    from gui import prefs
    from gui.main_window import MainWindow
    settings, _ = prefs.load_settings()
    w = MainWindow(bridge, settings)
    w.setProperty("quitOnClose", False)
    qtbot.addWidget(w)
    w.show()
    w.resize(777, 555)
    w.table.horizontalHeader().resizeSection(0, 123)
    w.quitting = True
    w.close()
    w2 = MainWindow(bridge, settings)
    w2.setProperty("quitOnClose", False)
    qtbot.addWidget(w2)
    assert (w2.width(), w2.height()) == (777, 555)
    assert w2.table.horizontalHeader().sectionSize(0) == 123
    w2.quitting = True


def test_ten_thousand_rows_sort_and_filter(qtbot):
    from core.queue.events import TaskView
    from gui.task_model import COL_SIZE, TaskFilterProxy, TaskModel
    now = time.time()
    tasks = [TaskView(id=i, link=f"https://h{i % 7}.example/f{i}.bin", password=None, name=f"f{i}.bin",
                      dest_dir="/d", path=None, state="queued", error=None, size=(i * 7919) % 10007 + 1, done=0,
                      speed=0.0, eta=None, priority=0, connections=None, limit=0, sha256=None, created=now,
                      finished=None, host=f"h{i % 7}.example") for i in range(10_000)]
    model = TaskModel()
    model.reset_tasks(tasks)
    proxy = TaskFilterProxy()
    proxy.setSourceModel(model)
    proxy.sort(COL_SIZE, Qt.SortOrder.DescendingOrder)
    assert model.rowCount() == 10_000
    top = proxy.index(0, COL_SIZE).data(Qt.ItemDataRole.UserRole + 1)
    assert top == max(t.size for t in tasks)
    proxy.set_search("h3.example")
    assert proxy.rowCount() == sum(1 for t in tasks if t.host == "h3.example")
    _ = QPoint()


def test_drop_manifest_and_metalink_add_verified_files(qtbot, window, file_server, tmp_path, drag_drop):
    a, b = make_blob(400_000, 31), make_blob(250_000, 32)
    file_server.add("/cdn/heygem_v1.pth", a)
    file_server.add("/mirror/face.onnx", b)
    yaml_file = tmp_path / "models.yaml"
    yaml_file.write_text(
        "name: heygem-lipsync\nversion: 1.0.0\n"
        f"sha256: {hashlib.sha256(a).hexdigest()}\npath: models/heygem_v1.pth\n"
        f"download:\n  - url: {file_server.url('/cdn/heygem_v1.pth')}\n    priority: 1\n", encoding="utf-8")
    meta4 = tmp_path / "face.meta4"
    meta4.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<metalink xmlns="urn:ietf:params:xml:ns:metalink">\n'
        f'<file name="face.onnx"><size>{len(b)}</size>'
        f'<hash type="sha-256">{hashlib.sha256(b).hexdigest()}</hash>'
        f'<url priority="1">{file_server.url("/mirror/face.onnx")}</url></file>\n</metalink>\n', encoding="utf-8")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(yaml_file)), QUrl.fromLocalFile(str(meta4))])
    entered, dropped = drag_drop(window, mime)
    assert entered and dropped
    qtbot.waitUntil(lambda: window.adding.dialog is not None, timeout=10000)     # the core checked them
    dlg = window.adding.dialog
    expected = ["models.yaml → heygem_v1.pth", "face.meta4 → face.onnx"]

    def shown() -> list[str]:        # the manifests are read in the core's worker, then listed
        return [dlg.preview.item(i, 0).text() for i in range(dlg.preview.rowCount())]
    qtbot.waitUntil(lambda: shown() == expected, timeout=5000)
    dlg.folder.setText(str(tmp_path / "target"))
    qtbot.mouseClick(dlg.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(_tasks(window)) == 2, timeout=WAIT)
    qtbot.waitUntil(lambda: all(t.state == "done" for t in _tasks(window)), timeout=WAIT)
    assert (tmp_path / "target" / "models" / "heygem_v1.pth").read_bytes() == a
    assert (tmp_path / "target" / "face.onnx").read_bytes() == b
    assert all(t.sha256 for t in _tasks(window))


def test_expired_link_notifies_needs_new_link(qtbot, window, file_server, tmp_path):
    body = b"<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>"
    data = make_blob(300_000, seed=41)
    file_server.add("/old/weights.bin", data, expired_body=body)
    file_server.add("/fresh/weights.bin", data)
    notes: list[tuple[str, str, str]] = []
    window.notified.connect(lambda *a: notes.append(a))
    _add_via_dialog(qtbot, window, file_server.url("/old/weights.bin"), tmp_path)
    qtbot.waitUntil(lambda: len(_tasks(window)) == 1, timeout=WAIT)
    tid = _tasks(window)[0].id
    # the queue stops the task with the reason; the user is told a new link is needed
    qtbot.waitUntil(lambda: bool(notes), timeout=WAIT)
    assert _state(window, tid) in ("paused", "failed")
    assert "new link" in window.model.task(tid).error
    kind, title, msg = notes[-1]
    assert (kind, title) == ("needs_link", "Needs a new link")
    assert "weights.bin" in msg and "new link" in msg
    window.select_task(tid)
    window.replace_link(file_server.url("/fresh/weights.bin"))
    qtbot.waitUntil(lambda: _state(window, tid) == "done", timeout=WAIT)
    assert Path(window.model.task(tid).path).read_bytes() == data
