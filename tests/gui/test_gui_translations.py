"""Chinese translation: catalogue complete and current, loaded, applied to every visible string."""

from __future__ import annotations

import re
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

from PySide6.QtWidgets import (
    QAbstractButton,
    QComboBox,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QTabWidget,
    QWidget,
)

ROOT = Path(__file__).resolve().parents[2]
TS = ROOT / "resources" / "translations" / "zhilian_zh_CN.ts"
QM = ROOT / "resources" / "translations" / "zhilian_zh_CN.qm"

# Words that stay as they are in Chinese: product names, units, formats, protocol names.
KEEP = {"heygem", "wav2lip", "sha", "kib", "mib", "gib", "tib", "cookie", "cookies", "txt", "curl", "bduss",
        "stoken", "http", "https", "socks5", "host", "port", "yaml", "meta4", "ctrl", "app", "safetensors",
        "example", "com", "pan", "baidu", "model", "abcd", "english", "secret", "service", "windows", "macos",
        "keychain", "zhilian", "meta", "wav", "lip", "rpc", "aria", "ariang"}


def _messages(path: Path) -> list[tuple[str, str, ET.Element]]:
    root = ET.parse(path).getroot()
    out = []
    for ctx in root.findall("context"):
        name = ctx.find("name").text
        for m in ctx.findall("message"):
            out.append((name, m.find("source").text, m.find("translation")))
    return out


def test_catalogue_is_complete_and_matches_the_sources(tmp_path):
    """Every string the GUI marks for translation has a finished Chinese translation."""
    files = sorted(str(p) for p in (ROOT / "gui").glob("*.py")
                   if p.name != "__init__.py")
    fresh = tmp_path / "fresh.ts"
    subprocess.run([str(ROOT / ".venv" / "bin" / "pyside6-lupdate"), *files, "-no-obsolete", "-ts", str(fresh)],
                   check=True, capture_output=True, cwd=ROOT)
    wanted = {(c, s) for c, s, _ in _messages(fresh)}
    have = {(c, s): t for c, s, t in _messages(TS)}
    missing = sorted(wanted - set(have))
    assert not missing, f"strings not in the catalogue (run resources/translations/update.sh): {missing[:10]}"
    unfinished = [(c, s) for (c, s), t in have.items()
                  if (c, s) in wanted and (t.get("type") == "unfinished"
                                           or not ((t.text or "").strip() or t.findall("numerusform")))]
    assert not unfinished, unfinished[:10]
    assert QM.exists() and QM.stat().st_mtime >= TS.stat().st_mtime - 1, "the .qm is older than the .ts"


def _visible_texts(w: QWidget) -> list[str]:
    texts = []
    widgets = [w, *w.findChildren(QWidget)]
    for c in widgets:
        if isinstance(c, (QAbstractButton, QLabel, QGroupBox)):
            t = c.text() if not isinstance(c, QGroupBox) else c.title()
            texts.append(t)
        if isinstance(c, (QLineEdit, QPlainTextEdit)):
            texts.append(c.placeholderText())
        if isinstance(c, QTabWidget):
            texts += [c.tabText(i) for i in range(c.count())]
        if isinstance(c, QComboBox) and c.objectName() == "language":
            texts.append(c.itemText(0))
        texts.append(c.toolTip())
    for a in w.actions():
        texts += [a.text(), a.toolTip()]
    texts.append(w.windowTitle())
    return [t for t in texts if t]


def _english_words(texts: list[str]) -> list[str]:
    bad = []
    for t in texts:
        for word in re.findall(r"[A-Za-z]{3,}", re.sub(r"https?://\S+", "", t)):
            if word.lower() not in KEEP:
                bad.append(f"{word!r} in {t!r}")
    return bad


def test_main_window_and_dialogs_are_chinese(qtbot, chinese):
    from PySide6.QtCore import Qt

    from core.queue.settings import Settings
    from gui.accounts_dialog import AccountsDialog
    from gui.add_dialog import AddDialog
    from gui.bridge import CoreBridge
    from gui.main_window import MainWindow
    from gui.settings_dialog import SettingsDialog
    from gui.task_model import COL_NAME

    bridge = CoreBridge()          # not started: every string must still be translated
    w = MainWindow(bridge, Settings())
    w.setProperty("quitOnClose", False)
    qtbot.addWidget(w)
    assert w.act_add.text() == "添加"
    assert w.act_pause_all.text() == "全部暂停"
    assert w.model.headerData(COL_NAME, Qt.Orientation.Horizontal) == "名称"
    assert w.windowTitle() == "直链"
    problems = _english_words(_visible_texts(w))
    for dlg in (AddDialog(w), SettingsDialog(w, Settings()), AccountsDialog(w, bridge)):
        qtbot.addWidget(dlg)
        problems += _english_words(_visible_texts(dlg))
    assert not problems, problems[:15]


def test_share_dialog_is_chinese(qtbot, chinese, share_bridge, tmp_path, monkeypatch):
    """The share dialog and its list of shares, with a share made (so the table has a row):
    every label, button, header, choice and cell is Chinese."""
    import core.share.config as cfgmod
    from core.invocation import command
    from gui.share_dialog import ShareDialog
    monkeypatch.setattr(cfgmod, "config_path", lambda: tmp_path / "share.json")
    f = tmp_path / "输出" / "视频.mp4"
    f.parent.mkdir()
    f.write_bytes(b"video" * 1000)
    secret: list[object] = []          # with or without a system keyring: the session's secret
    share_bridge.core.share_session_secret(on_done=secret.append)
    qtbot.waitUntil(lambda: bool(secret), timeout=20000)
    dlg = ShareDialog(None, f, share_bridge)
    qtbot.addWidget(dlg)
    qtbot.waitUntil(lambda: not dlg.busy, timeout=20000)
    dlg.password.setText("s3cret")
    dlg.create_btn.click()
    qtbot.waitUntil(lambda: not dlg.busy, timeout=20000)
    assert dlg.url.text() and dlg.shares.table.rowCount() == 1, dlg.error.text()
    assert dlg.create_btn.text() == "创建链接"
    assert dlg.windowTitle() == "分享链接 — 视频.mp4"
    table = dlg.shares.table
    texts = [t.replace(command("serve"), "").replace(str(f), "").replace("mp4", "")
             for t in _visible_texts(dlg)]
    texts += [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    texts += [table.item(0, c).text() for c in range(1, table.columnCount())]     # not the file name
    texts += [dlg.expires.itemText(i) for i in range(dlg.expires.count())]
    texts.append(dlg.limit.specialValueText())
    assert table.item(0, 1).text() == "有效" and table.item(0, 5).text() == "密码"
    problems = _english_words(texts)
    assert not problems, problems[:15]


def test_send_to_heygem_is_chinese(qtbot, chinese, tmp_path):
    """The messages of Send to HeyGem: no install found, which install, and the progress
    dialog of a hand-off (through the facade; it fails here, for want of an install)."""
    from collections import namedtuple

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QInputDialog, QMessageBox

    from gui import heygem_actions
    from gui.bridge import CoreBridge
    parent = QWidget()
    qtbot.addWidget(parent)
    seen: list[str] = []

    def answer() -> None:               # reads the modal box, then dismisses it
        box = QApplication.activeModalWidget()
        if box is None:
            QTimer.singleShot(10, answer)
            return
        seen.append(box.windowTitle())
        if isinstance(box, QMessageBox):
            seen.append(box.text())
        elif isinstance(box, QInputDialog):
            seen.append(box.labelText())
        box.done(0)
    QTimer.singleShot(0, answer)
    assert heygem_actions.choose_install(parent, []) is None
    Install = namedtuple("Install", "label path")
    QTimer.singleShot(0, answer)
    assert heygem_actions.choose_install(parent, [Install("HeyGem", "/opt/a"), Install("Wav2Lip", "/opt/b")]) is None
    assert len(seen) == 4 and seen[0] == "发送到 HeyGem" and seen[3] == "安装位置："
    model = tmp_path / "模型"
    model.write_bytes(b"x" * 100)
    job = heygem_actions.send_to_heygem(parent, str(model), CoreBridge(), install_dir=str(tmp_path / "无处"),
                                        show_result=False)
    seen += [job.dialog.windowTitle(), job.dialog.labelText()]
    assert seen[-1] == "正在将 模型 发送到 无处…"
    qtbot.waitUntil(lambda: job.error is not None or job.result is not None, timeout=30000)
    problems = _english_words(seen)
    assert not problems, problems


def test_language_switch_at_runtime_retranslates(qtbot, qapp):
    from core.queue.settings import Settings
    from gui import i18n
    from gui.bridge import CoreBridge
    from gui.main_window import MainWindow
    i18n.install("en")
    w = MainWindow(CoreBridge(), Settings())
    w.setProperty("quitOnClose", False)
    qtbot.addWidget(w)
    assert w.act_add.text() == "Add"
    s = Settings()
    s.language = "zh_CN"
    try:
        w.apply_settings(s)
        assert w.act_add.text() == "添加"
        assert w.details.tabs.tabText(1) == "来源"
        from gui.settings_dialog import SettingsDialog
        d = SettingsDialog(w, w.settings)
        qtbot.addWidget(d)
        assert d.language.currentData() == "zh_CN"
        # saved for the next start
        from core.queue.settings import load_settings
        qtbot.waitUntil(lambda: load_settings().language == "zh_CN", timeout=5000)   # written off the GUI thread
    finally:
        i18n.install("en")
    w.retranslate()
    assert w.act_add.text() == "Add"


def test_system_locale_picks_chinese(monkeypatch):
    from PySide6.QtCore import QLocale

    from gui import i18n
    for name, want in (("zh_CN", "zh_CN"), ("zh_TW", "en"), ("de_DE", "en"), ("en_US", "en")):
        monkeypatch.setattr(i18n, "system_locale", lambda n=name: QLocale(n))
        assert i18n.resolve_language("") == want, name
    assert i18n.resolve_language("zh_CN") == "zh_CN"
    assert i18n.resolve_language("en") == "en"


def test_english_plural_forms(qapp):
    from PySide6.QtCore import QCoreApplication

    from gui import i18n
    i18n.install("en")
    t = QCoreApplication.translate
    assert t("AddDialog", "Found %n link(s):", "", 1) == "Found 1 link:"
    assert t("AddDialog", "Found %n link(s):", "", 3) == "Found 3 links:"
    assert t("AddFlow", "Added %n download(s)", "", 2) == "Added 2 downloads"
    i18n.install("zh_CN")
    assert t("AddDialog", "Found %n link(s):", "", 3) == "找到 3 个链接："
    i18n.install("en")


def test_qt_binding_keeps_none_true_false_references():
    """PySide6 6.12 released a reference to None on every void call and to True/False
    on every bool signal emit, which aborts Python 3.11 ("deallocating None");
    requirements.txt pins a release without that bug. This fails if it comes back."""
    import sys

    from PySide6.QtCore import QObject, Signal
    from PySide6.QtWidgets import QLabel

    class Emitter(QObject):
        sig = Signal(bool)

    label, em = QLabel(), Emitter()
    em.sig.connect(lambda v: None)
    n0, t0 = sys.getrefcount(None), sys.getrefcount(True)
    for _ in range(5_000):
        label.setText("x")
        em.sig.emit(True)
    assert sys.getrefcount(None) - n0 > -100
    assert sys.getrefcount(True) - t0 > -100
