"""GUI test fixtures: the real core thread (CoreBridge + QueueService). The real X server
(Xvfb, with a tray host) for the tests that need a real window is in tests/conftest.py."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"


def _drag_drop(widget, mime) -> tuple[bool, bool]:
    from PySide6.QtCore import QPoint, Qt
    from PySide6.QtGui import QDragEnterEvent, QDropEvent
    from PySide6.QtWidgets import QApplication
    pos = QPoint(widget.width() // 2, widget.height() // 2)
    enter = QDragEnterEvent(pos, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, enter)
    drop = QDropEvent(pos, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, drop)
    return enter.isAccepted(), drop.isAccepted()


@pytest.fixture
def drag_drop():
    """drag_drop(widget, mime) -> (enter accepted, drop accepted): a real QDragEnterEvent and
    QDropEvent delivered to the middle of the widget."""
    return _drag_drop


def wait_until(qtbot, cond, timeout: float = 20.0, what: str = "condition") -> None:
    """Spins the Qt loop until ``cond()`` is true (no timed assertion: the limit is a hang guard)."""
    qtbot.waitUntil(cond, timeout=int(timeout * 1000))


@pytest.fixture
def bridge(qtbot):
    """A started CoreBridge around a real QueueService (its own db under ZHILIAN_HOME)."""
    from gui.bridge import CoreBridge
    b = CoreBridge()
    b.start()
    assert b.wait_started(30), "core thread did not start"
    assert b.start_error is None, b.start_error
    yield b
    b.stop()


def open_window(qtbot, bridge):
    """A shown MainWindow on ``bridge`` with the saved settings (closing it does not quit)."""
    from gui import prefs
    from gui.main_window import MainWindow
    settings, _problem = prefs.load_settings()
    w = MainWindow(bridge, settings)
    w.setProperty("quitOnClose", False)
    qtbot.addWidget(w)
    w.show()
    return w


@pytest.fixture
def new_window(qtbot, bridge):
    """Opens another MainWindow on the test's bridge (e.g. to check what a new one restores)."""
    return lambda: open_window(qtbot, bridge)


@pytest.fixture
def window(qtbot, bridge):
    w = open_window(qtbot, bridge)
    qtbot.waitUntil(lambda: w.act_add.isEnabled(), timeout=10000)
    yield w
    w.quitting = True


@pytest.fixture
def share_bridge(qtbot):
    """A started CoreBridge whose App shares through a server on any free port; the share
    secret's cache is fresh before and after."""
    from core.app import App
    from core.share import ServerConfig, ShareAPI, secret
    from gui.bridge import CoreBridge
    secret.clear_cache()
    made = []

    def api():
        made.append(ShareAPI(config=ServerConfig(port=0)))
        return made[-1]
    b = CoreBridge(lambda: App(share_api_factory=api))
    b.start()
    assert b.wait_started(30) and b.start_error is None, b.start_error
    yield b
    b.stop()
    for a in made:
        a.stop_server()
        a.store.close()
    secret.use_session_secret(False)
    secret.clear_cache()


@pytest.fixture
def chinese(qapp):
    """The app's Chinese translation installed for one test (English again after it)."""
    from gui import i18n
    assert i18n.install("zh_CN") == "zh_CN"
    assert i18n.active()
    yield
    i18n.install("en")
