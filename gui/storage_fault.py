"""What the window shows when the queue's database fails (read-only, full, locked,
damaged, unreadable): a red banner and a dialog with the core's one-line message
(what is wrong and what to do), never a traceback. A damaged file gets a Repair
button (core.app.repair_queue_database, in a worker thread: the tasks are kept, the
damaged file is saved as a copy); every fault gets Try again, which starts the queue afresh
once the user has fixed the cause. Also the start-up report of partial downloads
no task owns, in the status bar."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QLabel, QMainWindow, QMessageBox, QPushButton

from core.app import queue_database_fault, repair_queue_database


class StorageFaultNotice(QObject):
    def __init__(self, window: QMainWindow, bridge: Any, banner: QLabel):
        super().__init__(window)
        self.window, self.bridge, self.banner = window, bridge, banner
        self.box: QMessageBox | None = None
        self.last_message: str | None = None

    # -- faults ---------------------------------------------------------------------
    def start_failed(self, message: str) -> None:
        """The service could not start: a dialog when the database is the reason."""
        kind = queue_database_fault(getattr(self.bridge, "start_exc", None))
        if kind is not None:
            self.show(message, kind)

    def stopped(self, message: str) -> None:
        """The running queue stopped because its database failed."""
        self.banner.setText(self.tr("The download queue stopped: %1").replace("%1", message))
        self.banner.show()
        self.show(message, "")

    def show(self, message: str, kind: str) -> None:
        self.last_message = message
        if self.box is not None:
            self.box.close()
        box = QMessageBox(QMessageBox.Icon.Warning, self.tr("Zhilian"),
                          self.tr("The download queue cannot use its database."), QMessageBox.StandardButton.Close,
                          self.window)
        box.setObjectName("storageFaultBox")
        box.setInformativeText(message)
        box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        if kind == "damaged":
            repair = box.addButton(self.tr("Repair"), QMessageBox.ButtonRole.AcceptRole)
            repair.setObjectName("repairButton")
            repair.clicked.connect(self.repair)
        again = box.addButton(self.tr("Try again"), QMessageBox.ButtonRole.ResetRole)
        again.setObjectName("retryButton")
        again.clicked.connect(self.try_again)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.destroyed.connect(lambda *_: setattr(self, "box", None))
        self.box = box
        box.open()

    def button(self, name: str) -> QPushButton | None:
        return self.box.findChild(QPushButton, name) if self.box is not None else None

    def try_again(self) -> None:
        self.banner.hide()
        self.bridge.restart()

    def repair(self) -> None:
        self.banner.setText(self.tr("Repairing the queue database…"))
        self.banner.show()
        # the queue is not running (that is why there is something to repair): the facade's
        # App has no loop to run on, so its module function runs in the bridge's worker pool
        self.bridge.run_blocking(repair_queue_database, on_done=self._repaired, on_error=self._repair_failed)

    def _repaired(self, result: Any) -> None:
        self.window.statusBar().showMessage(
            self.tr("The queue database was repaired: %1 task(s) kept; the damaged file is saved as %2")
            .replace("%1", str(result.tasks)).replace("%2", str(result.backup)), 20000)
        self.try_again()

    def _repair_failed(self, message: str) -> None:
        self.banner.hide()
        self.show(message, "")

    # -- partial downloads no task owns ---------------------------------------------
    def leftovers(self, found: list[Any]) -> None:
        if not found:
            return
        text = self.tr("%1 partial download(s) in the download folders belong to no task; they were kept. "
                       "Add their link again to resume one, or delete them.").replace("%1", str(len(found)))
        self.window.statusBar().showMessage(text, 30000)
        self.window.statusBar().setToolTip("\n".join(lo.describe() for lo in found))
        self.last_message = text
