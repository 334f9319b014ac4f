"""The app's log in the window: a dock (View: F6) with the recent records, live, and
"Open log folder". Records come from any thread (the core runs on its own); they reach
the GUI thread through a queued Qt signal, batched like the core's events."""

from __future__ import annotations

import logging
import threading
from collections import deque
from html import escape
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, QUrl, Signal
from PySide6.QtGui import QAction, QDesktopServices, QFontDatabase, QKeySequence, QTextOption
from PySide6.QtWidgets import (
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from core import logsetup
from core.redact import RedactingFormatter

from . import icons

KEEP = 2000            # records kept for a panel opened later, and lines shown
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
COLOURS = {logging.WARNING: "#d35400", logging.ERROR: "#c0392b", logging.CRITICAL: "#c0392b"}


class _Relay(QObject):
    """Lives in the GUI thread. ``pending`` may be emitted from any thread; it is always
    delivered through the GUI thread's event loop (queued), which then emits ``arrived``."""
    pending = Signal()
    arrived = Signal()

    def __init__(self, handler: QtLogHandler):
        super().__init__()
        self._handler = handler
        self.pending.connect(self._fire, Qt.ConnectionType.QueuedConnection)

    def _fire(self) -> None:
        self._handler._signalled = False
        self.arrived.emit()


class QtLogHandler(logging.Handler):
    """Keeps the last KEEP formatted (redacted) records, numbered, and tells the GUI thread
    when new ones arrived: one queued signal per batch, however many records a burst brings."""

    def __init__(self, level: int = logging.INFO):
        super().__init__(level)
        self.setFormatter(RedactingFormatter(FORMAT, datefmt="%H:%M:%S"))
        self.recent: deque[tuple[int, int, str]] = deque(maxlen=KEEP)   # (number, level, text)
        self._seq = 0
        self._signalled = False
        self._items = threading.Lock()
        self.relay = _Relay(self)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self.format(record)
        except Exception:  # pragma: no cover - a malformed record must not break the caller
            return
        with self._items:
            self._seq += 1
            self.recent.append((self._seq, record.levelno, text))
            fire, self._signalled = not self._signalled, True
        if fire:
            self.relay.pending.emit()

    def since(self, seq: int) -> list[tuple[int, int, str]]:
        with self._items:
            return [r for r in self.recent if r[0] > seq]


_handler: QtLogHandler | None = None


def gui_handler() -> QtLogHandler:
    """The app's one Qt log handler, attached to the root logger (created on first use, in
    the GUI thread). INFO records of the core reach it even when nothing else set logging up."""
    global _handler
    if _handler is None:
        _handler = QtLogHandler()
    root = logging.getLogger()
    if _handler not in root.handlers:
        root.addHandler(_handler)
    if root.level == logging.NOTSET or root.level > logging.INFO:
        root.setLevel(logging.INFO)
    return _handler


def log_folder() -> Path | None:
    """The log file's folder (None when it cannot be created)."""
    try:
        return logsetup.log_file().parent
    except OSError:
        return None


class LogPanel(QDockWidget):
    """The dock: the records, the log file's path, Open log folder, Copy, Clear."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("logDock")
        self.setAllowedAreas(Qt.DockWidgetArea.BottomDockWidgetArea | Qt.DockWidgetArea.RightDockWidgetArea)
        body = QWidget()
        lay = QVBoxLayout(body)
        lay.setContentsMargins(6, 4, 6, 6)
        row = QHBoxLayout()
        self.path_label = QLabel()
        self.path = QLineEdit()          # the file's path: selectable, copyable, never translated
        self.path.setObjectName("logPath")
        self.path.setReadOnly(True)
        self.path_label.setBuddy(self.path)
        self.open_button = QPushButton(icons.icon("folder"), "")
        self.open_button.setObjectName("openLogFolder")
        self.copy_button = QPushButton(icons.icon("copy"), "")
        self.clear_button = QPushButton()
        row.addWidget(self.path_label)
        row.addWidget(self.path, 1)
        row.addWidget(self.open_button)
        row.addWidget(self.copy_button)
        row.addWidget(self.clear_button)
        lay.addLayout(row)
        self.view = QPlainTextEdit()
        self.view.setObjectName("logView")
        self.view.setReadOnly(True)
        self.view.setMaximumBlockCount(KEEP)
        # long signed URLs wrap inside the dock instead of scrolling it sideways
        self.view.setWordWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        self.view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        lay.addWidget(self.view, 1)
        self.setWidget(body)

        self.open_button.clicked.connect(self.open_folder)
        self.copy_button.clicked.connect(self._copy)
        self.clear_button.clicked.connect(self.view.clear)
        self.handler = gui_handler()
        self._seen = 0
        self._drain()
        self.handler.relay.arrived.connect(self._drain)
        self.retranslate()

    # -- records -----------------------------------------------------------------------
    def _drain(self) -> None:
        sb = self.view.verticalScrollBar()
        at_end = sb.value() >= sb.maximum() - 2
        for seq, level, text in self.handler.since(self._seen):
            self._append(level, text)
            self._seen = seq
        if at_end:
            sb.setValue(sb.maximum())

    def _append(self, level: int, text: str) -> None:
        colour = COLOURS.get(level)
        if colour is None:
            self.view.appendPlainText(text)
        else:
            html = escape(text).replace("\n", "<br>").replace(" ", "&nbsp;")
            self.view.appendHtml(f'<span style="color:{colour}">{html}</span>')

    def lines(self) -> list[str]:
        return self.view.toPlainText().splitlines()

    # -- actions -----------------------------------------------------------------------
    def open_folder(self) -> None:
        folder = log_folder()
        if folder is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))

    def _copy(self) -> None:
        from PySide6.QtGui import QGuiApplication
        clip = QGuiApplication.clipboard()
        if clip is not None:
            clip.setText(self.view.toPlainText())

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Application log"))
        folder = log_folder()
        self.path_label.setText(self.tr("Log file:"))
        self.path.setText(str(folder / logsetup.LOG_NAME) if folder is not None else "")
        self.path.setPlaceholderText(self.tr("none: the log folder cannot be written"))
        self.open_button.setEnabled(folder is not None)
        self.open_button.setText(self.tr("Open log folder"))
        self.copy_button.setText(self.tr("Copy"))
        self.copy_button.setToolTip(self.tr("Copy the lines shown to the clipboard"))
        self.clear_button.setText(self.tr("Clear"))
        self.clear_button.setToolTip(self.tr("Clear the lines shown (the log file keeps them)"))
        self.toggleViewAction().setText(self.tr("Log"))
        self.toggleViewAction().setToolTip(self.tr("Show or hide the application log (F6)"))
        if getattr(self, "open_action", None) is not None:
            self.open_action.setText(self.tr("Open log folder"))

    def changeEvent(self, event: Any) -> None:
        from PySide6.QtCore import QEvent
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)


def attach(window: QMainWindow) -> LogPanel:
    """Adds the log dock to ``window`` (hidden until shown; the window's saved layout may
    show it), its toggle to the toolbar (F6) and an "Open log folder" window action."""
    panel = LogPanel(window)
    window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, panel)
    panel.hide()
    toggle = panel.toggleViewAction()
    toggle.setObjectName("actLog")
    toggle.setIcon(icons.icon("log"))
    toggle.setShortcut(QKeySequence("F6"))
    toggle.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
    window.addAction(toggle)
    toolbar = getattr(window, "toolbar", None)
    if toolbar is not None:
        toolbar.insertAction(_after(toolbar, "actAccounts"), toggle)
    panel.open_action = QAction(icons.icon("folder"), "", window)
    panel.open_action.setObjectName("actOpenLogFolder")
    panel.open_action.triggered.connect(panel.open_folder)
    window.addAction(panel.open_action)
    panel.retranslate()
    return panel


def _after(toolbar: Any, name: str) -> QAction | None:
    """The toolbar action that follows the one called ``name`` (None: append at the end)."""
    acts = toolbar.actions()
    for i, a in enumerate(acts):
        if a.objectName() == name:
            return acts[i + 1] if i + 1 < len(acts) else None
    return None
