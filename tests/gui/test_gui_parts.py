"""Offscreen tests of the GUI parts that stand on their own: add dialog, file map,
drop parsing, single instance hand-over (through main.py in a second process)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import QMimeData, Qt, QUrl
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QDialogButtonBox

ROOT = Path(__file__).resolve().parents[2]


def test_add_dialog_shows_parsed_links_and_codes(qtbot):
    from gui.add_dialog import AddDialog
    dlg = AddDialog(None, dest_dir="/tmp/x")
    qtbot.addWidget(dlg)
    ok = dlg.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert not ok.isEnabled()                      # nothing to add yet
    dlg.text.setPlainText("链接: https://pan.baidu.com/s/1AbCdEf 提取码: x7k2 复制这段内容后打开App\n"
                          "https://huggingface.co/org/m/resolve/main/model.safetensors\n"
                          "https://huggingface.co/org/m/resolve/main/model.safetensors\n")
    qtbot.waitUntil(lambda: dlg.preview.rowCount() == 2, timeout=3000)
    rows = [(dlg.preview.item(i, 0).text(), dlg.preview.item(i, 1).text()) for i in range(2)]
    assert rows == [("https://pan.baidu.com/s/1AbCdEf", "x7k2"),
                    ("https://huggingface.co/org/m/resolve/main/model.safetensors", "")]
    assert ok.isEnabled()
    # a checksum is for one link only, and must be 64 hex chars
    dlg.sha256.setText("ab" * 32)
    assert not ok.isEnabled() and "single link" in dlg.error.text()
    dlg.text.setPlainText("https://example.com/a.bin")
    dlg.refresh_preview()
    assert ok.isEnabled()
    dlg.sha256.setText("xyz")
    assert not ok.isEnabled() and "64" in dlg.error.text()
    dlg.sha256.setText("AB" * 32)
    dlg.connections.setValue(8)
    dlg.handoff.setChecked(True)
    with qtbot.waitSignal(dlg.accepted, timeout=3000):
        qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    req = dlg.request()
    assert req.text == "https://example.com/a.bin"
    assert req.sha256 == "ab" * 32 and req.connections == 8 and req.handoff and req.dest_dir == "/tmp/x"


def test_file_map_paints_done_inflight_and_missing(qtbot):
    from core.engine import ConnInfo
    from gui.widgets import CONN_COLOURS, FileMap
    fm = FileMap()
    qtbot.addWidget(fm)
    fm.resize(1002, 30)
    total = 1000
    fm.set_state(total, [(0, 250)], [ConnInfo(start=500, pos=600, end=800, mirror=0, speed=1e6)])
    img = fm.grab().toImage()
    y = 15

    def px(fraction: float) -> str:
        return img.pixelColor(1 + int(1000 * fraction), y).name()

    assert px(0.1) == "#2e9e5b"                          # done
    assert px(0.55) == QColor(CONN_COLOURS[0]).name()   # written by connection 1
    faint = img.pixelColor(1 + 700, y)                  # claimed by connection 1, not written yet
    assert faint.name() not in ("#2e9e5b", QColor(CONN_COLOURS[0]).name())
    assert faint.red() > faint.blue()                   # tinted with the connection colour
    base = fm.palette().color(QPalette.ColorRole.Base).name()
    assert px(0.9) == base                              # missing


def test_read_mime_urls_text_files_and_manifests(tmp_path):
    """A drop becomes items without a disk access; the core's reader turns them into text
    and manifests (here called directly; the window calls it through the bridge)."""
    from core.app import Incoming
    from core.incoming import read_incoming
    from gui.dropping import can_accept, from_mime, text_only
    lst = tmp_path / "links.txt"
    lst.write_text("https://example.com/a.bin\nhttps://pan.baidu.com/s/1xyz 提取码: ab12\n", encoding="utf-8")
    man = tmp_path / "models.yaml"
    man.write_text("files: []\n", encoding="utf-8")
    other = tmp_path / "photo.jpg"
    other.write_bytes(b"x")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(lst)), QUrl.fromLocalFile(str(man)), QUrl.fromLocalFile(str(other)),
                  QUrl("https://huggingface.co/x/resolve/main/y.bin")])
    assert can_accept(mime)
    items = from_mime(mime)
    assert items[0] == Incoming("dropped", str(lst)) and text_only(items) is None   # files: for the core
    got = read_incoming(items)
    assert "https://pan.baidu.com/s/1xyz 提取码: ab12" in got.text
    assert "https://huggingface.co/x/resolve/main/y.bin" in got.text
    assert got.manifests == [man] and got.problems == []
    assert "photo" not in got.text
    only_photo = QMimeData()
    only_photo.setUrls([QUrl.fromLocalFile(str(other))])
    assert not can_accept(only_photo)
    # a browser drag: the uri list plus a text holding the extraction code; no file, so no core call
    browser = QMimeData()
    browser.setUrls([QUrl("https://pan.baidu.com/s/1abc")])
    browser.setText("链接: https://pan.baidu.com/s/1abc 提取码: zz99")
    assert "zz99" in text_only(from_mime(browser)).text


def test_second_start_hands_links_to_the_running_instance(qtbot, tmp_path, zhilian_home):
    """`python main.py URL` while the app runs: the running window's server receives the link."""
    from gui.single_instance import InstanceServer
    srv = InstanceServer()
    assert srv.listen()
    try:
        got: list[list[str]] = []
        srv.received.connect(got.append)
        env = {"ZHILIAN_HOME": str(zhilian_home), "QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin",
               "HOME": str(tmp_path)}
        proc = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "https://example.com/m.bin",
                                 "--ignored-option"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        try:
            qtbot.waitUntil(lambda: proc.poll() is not None, timeout=30000)
        finally:
            if proc.poll() is None:      # it started a second window instead of handing over
                proc.kill()
        out, err = proc.communicate()
        assert proc.returncode == 0, err
        assert "already running" in out
        qtbot.waitUntil(lambda: bool(got), timeout=5000)
        assert got == [["https://example.com/m.bin"]]
    finally:
        srv.close()


def test_stale_instance_socket_is_taken_over(qtbot):
    from gui.single_instance import InstanceServer, send_to_running
    first = InstanceServer()
    assert first.listen()
    first.close()                       # like a crashed run that left its name behind
    second = InstanceServer()
    assert second.listen()
    try:
        got: list[list[str]] = []
        second.received.connect(got.append)
        # the sender blocks while waiting for the answer, so send from a thread
        import threading
        result: list[bool] = []
        t = threading.Thread(target=lambda: result.append(send_to_running(["a", "b"], second.name)))
        t.start()
        qtbot.waitUntil(lambda: bool(got) and not t.is_alive(), timeout=10000)
        assert got == [["a", "b"]] and result == [True]
    finally:
        second.close()


def test_add_dialog_chooses_the_heygem_install(qtbot):
    from gui.add_dialog import AddDialog
    dlg = AddDialog(None, text="https://example.com/m.pth", heygem_installs=["/opt/HeyGem", "/srv/Wav2Lip"])
    qtbot.addWidget(dlg)
    assert dlg.heygem_note.text() == ""
    assert not dlg.install.isEnabled()
    assert dlg.request().handoff_to is None
    dlg.handoff.setChecked(True)
    assert dlg.install.isEnabled()
    dlg.install.setCurrentIndex(1)
    req = dlg.request()
    assert req.handoff and req.handoff_to == "/srv/Wav2Lip"


def _opaque_mean_lightness(pm) -> float:
    img = pm.toImage()
    vals = [img.pixelColor(x, y) for x in range(img.width()) for y in range(img.height())]
    vals = [c.lightnessF() for c in vals if c.alphaF() > 0.8]
    assert vals, "icon rendered nothing"
    return sum(vals) / len(vals)


def test_icons_follow_light_and_dark_palettes(qapp):
    from PySide6.QtGui import QGuiApplication, QPalette

    from gui import icons
    old = QGuiApplication.palette()
    try:
        dark = QPalette()
        for role, colour in ((QPalette.ColorRole.Window, "#1e1e1e"), (QPalette.ColorRole.WindowText, "#f0f0f0"),
                             (QPalette.ColorRole.Base, "#121212"), (QPalette.ColorRole.Text, "#f0f0f0")):
            dark.setColor(role, QColor(colour))
        QGuiApplication.setPalette(dark)
        on_dark = _opaque_mean_lightness(icons.icon("pause").pixmap(48, 48))
        light = QPalette()
        light.setColor(QPalette.ColorRole.WindowText, QColor("#202020"))
        QGuiApplication.setPalette(light)
        on_light = _opaque_mean_lightness(icons.icon("pause").pixmap(48, 48))
        assert on_dark > 0.8 and on_light < 0.2
        # every toolbar icon exists and renders
        for name in ("add", "start", "pause", "pause-all", "resume-all", "remove", "settings", "accounts",
                     "folder", "file", "copy", "link", "heygem", "share", "retry", "quit", "show", "details",
                     "search"):
            assert not icons.icon(name).pixmap(32, 32).isNull(), name
        # the app icon at the hicolor sizes
        for px in (16, 32, 48, 256):
            assert icons.app_icon().pixmap(px, px).width() == px
    finally:
        QGuiApplication.setPalette(old)


def test_drop_on_the_add_dialog_appends_links_and_manifests(qtbot, tmp_path):
    """The dialog hands the dropped files to the core (here before the queue runs: reading
    them does not need it) and appends what comes back; a binary file is named with why."""
    from PySide6.QtCore import QPoint
    from PySide6.QtGui import QDragEnterEvent, QDropEvent
    from PySide6.QtWidgets import QApplication

    from gui.add_dialog import AddDialog
    from gui.bridge import CoreBridge
    bridge = CoreBridge()              # not started: read_incoming is queue-free
    dlg = AddDialog(None, text="https://example.com/first.bin", file_reader=bridge.core.read_incoming)
    qtbot.addWidget(dlg)
    dlg.resize(600, 500)
    lst = tmp_path / "more.txt"
    lst.write_text("https://example.com/second.bin\n", encoding="utf-8")
    junk = tmp_path / "junk.list"
    junk.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(lst)), QUrl.fromLocalFile(str(junk))])
    pos = QPoint(300, 100)            # over the text box: the dialog takes the drop
    enter = QDragEnterEvent(pos, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(dlg, enter)
    assert enter.isAccepted()
    drop = QDropEvent(pos, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(dlg, drop)
    assert drop.isAccepted()
    qtbot.waitUntil(lambda: dlg.preview.rowCount() == 2, timeout=10000)
    assert [dlg.preview.item(i, 0).text() for i in range(dlg.preview.rowCount())] == [
        "https://example.com/first.bin", "https://example.com/second.bin"]
    assert dlg.error.text() == f"{junk}: not a text file"
