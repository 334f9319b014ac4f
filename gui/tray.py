"""Tray icon: show, pause all, resume all, quit; desktop notifications."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from . import icons


class Tray(QObject):
    showRequested = Signal()
    pauseAllRequested = Signal()
    resumeAllRequested = Signal()
    quitRequested = Signal()

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.icon = QSystemTrayIcon(icons.app_icon(), self)
        self.menu = QMenu()
        self.act_show = QAction(icons.icon("show"), "", self.menu)
        self.act_pause = QAction(icons.icon("pause-all"), "", self.menu)
        self.act_resume = QAction(icons.icon("resume-all"), "", self.menu)
        self.act_quit = QAction(icons.icon("quit"), "", self.menu)
        self.menu.addAction(self.act_show)
        self.menu.addSeparator()
        self.menu.addAction(self.act_pause)
        self.menu.addAction(self.act_resume)
        self.menu.addSeparator()
        self.menu.addAction(self.act_quit)
        self.act_show.triggered.connect(self.showRequested)
        self.act_pause.triggered.connect(self.pauseAllRequested)
        self.act_resume.triggered.connect(self.resumeAllRequested)
        self.act_quit.triggered.connect(self.quitRequested)
        self.icon.setContextMenu(self.menu)
        self.icon.activated.connect(self._activated)
        self.messages: list[tuple[str, str]] = []   # what was notified (shown in the log too)
        self.retranslate()

    @staticmethod
    def available() -> bool:
        return QSystemTrayIcon.isSystemTrayAvailable()

    def show(self) -> bool:
        if not self.available():
            return False
        self.icon.show()
        return True

    def hide(self) -> None:
        self.icon.hide()

    def retranslate(self) -> None:
        self.act_show.setText(self.tr("Show Zhilian"))
        self.act_pause.setText(self.tr("Pause all"))
        self.act_resume.setText(self.tr("Resume all"))
        self.act_quit.setText(self.tr("Quit"))
        self.icon.setToolTip(self.tr("Zhilian download manager"))

    def set_status(self, text: str) -> None:
        self.icon.setToolTip(self.tr("Zhilian download manager") + ("\n" + text if text else ""))

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (QSystemTrayIcon.ActivationReason.Trigger, QSystemTrayIcon.ActivationReason.DoubleClick):
            self.showRequested.emit()

    def notify(self, title: str, message: str, error: bool = False) -> None:
        self.messages.append((title, message))
        if self.icon.isVisible() and QSystemTrayIcon.supportsMessages():
            kind = QSystemTrayIcon.MessageIcon.Warning if error else QSystemTrayIcon.MessageIcon.Information
            self.icon.showMessage(title, message, kind, 8000)
