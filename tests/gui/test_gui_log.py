"""The application log dock: live records from the core thread (and any other thread),
redacted; Open log folder; the dock's place remembered."""

from __future__ import annotations

import logging
import threading

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices

WAIT = 30000
SECRET = "SIGNATURE0123456789abcdef"


def test_log_dock_shows_the_core_threads_records_live_and_redacted(qtbot, file_server, tmp_path, zhilian_home):
    """The app as started for a user (log file + dock): a failed download on the core
    thread and a warning from a thread of our own appear in the dock, masked, and in the file."""
    from gui.add_dialog import AddRequest
    from gui.app import DesktopApp
    app = DesktopApp([], single_instance=False)
    try:
        window = app.window
        window.setProperty("quitOnClose", False)
        qtbot.waitUntil(lambda: window.act_add.isEnabled(), timeout=WAIT)
        panel = window.log_panel
        assert not panel.isVisible()
        qtbot.keyClick(window, Qt.Key.Key_F6)                      # View: the log
        qtbot.waitUntil(panel.isVisible, timeout=5000)
        assert window.findChild(type(panel), "logDock") is panel
        assert any("the app started" in ln for ln in panel.lines())   # records from before it was shown
        in_gui_thread: list[bool] = []
        panel.handler.relay.arrived.connect(
            lambda: in_gui_thread.append(threading.current_thread() is threading.main_thread()))
        url = file_server.url("/missing/model.safetensors") + f"?X-Amz-Signature={SECRET}"
        window.submit_add(AddRequest(text=url, dest_dir=str(tmp_path), connections=1))   # on the core thread
        masked = file_server.url("/missing/model.safetensors") + "?X-Amz-Signature=***"
        qtbot.waitUntil(lambda: any(f"HTTP 404 Not Found from {masked}" in ln for ln in panel.lines()),
                        timeout=WAIT)
        qtbot.waitUntil(lambda: any("model.safetensors: failed (NotFound)" in ln for ln in panel.lines()),
                        timeout=WAIT)
        # and from a plain thread of our own
        t = threading.Thread(target=lambda: logging.getLogger("zhilian.test").warning(
            "from a worker thread: Cookie: BDUSS=%s", SECRET))
        t.start()
        t.join()
        qtbot.waitUntil(lambda: any("from a worker thread: Cookie: ***" in ln for ln in panel.lines()),
                        timeout=5000)
        assert not [ln for ln in panel.lines() if SECRET in ln]
        assert in_gui_thread and all(in_gui_thread)
        # the same records are in the file
        assert panel.path.text() == str(zhilian_home / "log" / "zhilian.log") == str(app.log_file)
        text = app.log_file.read_text(encoding="utf-8")
        assert f"HTTP 404 Not Found from {masked}" in text and "from a worker thread" in text
        assert SECRET not in text
    finally:
        app.window.quitting = True
        app.close()
        app.window.deleteLater()    # its status timer must not outlive the app's tray
        qtbot.wait(50)


def test_open_log_folder_opens_the_folder_of_the_log_file(qtbot, window, zhilian_home, monkeypatch):
    opened: list[QUrl] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url) or True)
    window.log_panel.open_action.trigger()
    window.log_panel.show()
    qtbot.mouseClick(window.log_panel.open_button, Qt.MouseButton.LeftButton)
    want = QUrl.fromLocalFile(str(zhilian_home / "log"))
    assert opened == [want, want]
    assert window.log_panel.path.text() == str(zhilian_home / "log" / "zhilian.log")


def test_a_burst_of_records_is_one_signal_and_all_lines(qtbot, window):
    panel = window.log_panel
    batches: list[int] = []
    panel.handler.relay.arrived.connect(lambda: batches.append(1))
    log = logging.getLogger("zhilian.test")

    def burst() -> None:
        for i in range(500):
            log.info("burst record %03d", i)
    t = threading.Thread(target=burst)
    t.start()
    t.join()
    qtbot.waitUntil(lambda: any("burst record 499" in ln for ln in panel.lines()), timeout=5000)
    assert len([ln for ln in panel.lines() if "burst record" in ln]) == 500
    assert len(batches) < 50, len(batches)      # batched: far fewer signals than records


def test_the_log_dock_is_remembered_with_the_layout(qtbot, new_window):
    w = new_window()
    w.log_panel.toggleViewAction().trigger()
    assert w.log_panel.isVisible()
    w.quitting = True
    w.close()
    w2 = new_window()
    qtbot.waitUntil(w2.log_panel.isVisible, timeout=5000)
    w2.quitting = True


def test_the_log_dock_follows_a_language_switch(qtbot, window):
    from gui import i18n
    panel = window.log_panel
    assert panel.windowTitle() == "Application log" and panel.open_button.text() == "Open log folder"
    try:
        i18n.install("zh_CN")
        qtbot.waitUntil(lambda: panel.windowTitle() == "应用日志", timeout=5000)
        assert panel.open_button.text() == "打开日志文件夹"
        assert panel.toggleViewAction().text() == "日志"
    finally:
        i18n.install("en")
    qtbot.waitUntil(lambda: panel.windowTitle() == "Application log", timeout=5000)
