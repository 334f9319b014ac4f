"""The main window: queue table, details pane, toolbar, status bar. Its parts live next
to it: the actions and their enabled-state rule (gui/actions.py, gui/action_state.py),
notifications (gui/notices.py), the clipboard offer (gui/clipboard_offer.py) and the
add flow (gui/add_flow.py)."""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import QEvent, QItemSelectionModel, QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from . import i18n, icons, outcome, prefs, status_line
from .accounts_dialog import AccountsDialog
from .actions import TaskActions
from .add_dialog import AddDialog, AddRequest
from .add_flow import AddFlow
from .bridge import CoreBridge
from .clipboard_offer import ClipboardOffer
from .details import DetailsPane
from .log_panel import attach as attach_log_panel
from .notices import Notices
from .settings_dialog import SettingsDialog
from .storage_fault import StorageFaultNotice
from .task_model import TaskFilterProxy, TaskModel
from .tray import Tray
from .widgets import queue_table


class MainWindow(QMainWindow):
    #: a notification was raised: (kind, title, message)
    notified = Signal(str, str, str)

    def __init__(self, bridge: CoreBridge, settings: Any = None, tray: Tray | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("MainWindow")
        self.bridge = bridge
        self.core = bridge.core          # typed calls into core/app.py
        self.settings = settings
        self.tray = tray
        self.quitting = False
        self.setWindowIcon(icons.app_icon())
        self.setAcceptDrops(True)

        self.model = TaskModel(self)
        self.proxy = TaskFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.table = t = queue_table(self.proxy, self.row_action)
        t.customContextMenuRequested.connect(self._context_menu)
        t.doubleClicked.connect(self._double_clicked)
        t.selectionModel().selectionChanged.connect(self._selection_changed)

        self.details = DetailsPane()
        self.details.setObjectName("details")
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setObjectName("splitter")
        self.splitter.addWidget(t)
        self.splitter.addWidget(self.details)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)

        self.adding = AddFlow(self)
        self.notices = Notices(self)
        self.clip_bar = ClipboardOffer(self)
        self.clip_bar.accepted.connect(lambda text: self.open_add_dialog(text=text))
        # start-up / error banner
        self.banner = QLabel()
        self.banner.setObjectName("banner")
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet("QLabel { background: #c0392b; color: white; padding: 6px; }")
        self.banner.hide()

        central = QWidget()
        v = QVBoxLayout(central)
        v.setContentsMargins(0, 0, 0, 0)
        v.setSpacing(0)
        v.addWidget(self.banner)
        v.addWidget(self.clip_bar)
        v.addWidget(self.splitter, 1)
        self.setCentralWidget(central)

        self.commands = TaskActions(self)          # sets act_<name> and ``search``
        self.toolbar = self.commands.toolbar()
        self.search.textChanged.connect(self.proxy.set_search)
        self.addToolBar(self.toolbar)
        self.status = status_line.StatusLine(self)
        self.limit = self.status.limit
        self.log_panel = attach_log_panel(self)   # the application log dock (F6)

        self.faults = StorageFaultNotice(self, self.bridge, self.banner)
        self.bridge.events.connect(self._on_events)
        self.bridge.ready.connect(self._on_ready)
        self.bridge.startFailed.connect(self._on_start_failed)
        if self.bridge.is_ready:
            self._on_ready()
        elif self.bridge.start_error:
            self._on_start_failed(self.bridge.start_error)

        self.retranslate()
        self.resize(1000, 680)
        prefs.restore_layout(self)
        self._update_actions()

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Zhilian"))
        self.commands.retranslate()
        self.clip_bar.retranslate()
        self.status.retranslate()
        self.model.retranslate()
        self.details.retranslate()
        if self.tray is not None:
            self.tray.retranslate()
        self._selection_changed()
        self.status.update()

    # -- core events ---------------------------------------------------------------
    def _on_ready(self) -> None:
        self.banner.hide()
        self.bridge.snapshot(on_done=self._load_tasks, on_error=self.show_error)
        self.core.leftovers(on_done=self.faults.leftovers)
        if self.settings is not None:
            self.core.set_global_limit(int(self.limit.value() * status_line.KIB))

    def _load_tasks(self, snap: tuple[list[Any], int]) -> None:
        tasks, seq = snap
        # events newer than the snapshot may already be applied: those tasks keep what they show
        newer = {tid for tid, s in self.bridge.applied.items() if s > seq}
        out = [t if t.id not in newer else self.model.task(t.id) for t in tasks]
        out += [self.model.task(tid) for tid in newer - {t.id for t in tasks}]   # added since
        self.model.reset_tasks([t for t in out if t is not None])   # None: removed since
        self.status.update()
        self._update_actions()

    def _on_start_failed(self, message: str) -> None:
        self.banner.setText(self.tr("The download service could not start: %1").replace("%1", message))
        self.banner.show()
        self._update_actions()
        self.faults.start_failed(message)

    def _on_events(self, events: list[Any]) -> None:
        for e in events:
            if e.kind == "fault":
                self.faults.stopped(e.message or "")
        notable = self.model.apply_events(events)
        sel = self.details.task_id
        if sel is not None and any(e.task_id == sel for e in events):
            self._refresh_details()
        if any(e.kind != "progress" for e in events):
            self._update_actions()
        if time.monotonic() - self.status.updated_at > 0.25:
            self.status.update()
        for kind, task in notable:
            self.notices.for_task(kind, task)

    def notice_clicked(self) -> None:
        self.notices.clicked()

    # -- selection / details -----------------------------------------------------------
    def selected_tasks(self) -> list[Any]:
        rows = self.table.selectionModel().selectedRows()
        out = []
        for idx in rows:
            src = self.proxy.mapToSource(idx)
            if src.isValid():
                out.append(self.model.task_at(src.row()))
        return out

    def select_task(self, task_id: Any) -> None:
        row = self.model.row_of(task_id)
        if row < 0:
            return
        idx = self.proxy.mapFromSource(self.model.index(row, 0))
        self.table.selectionModel().select(idx, QItemSelectionModel.SelectionFlag.ClearAndSelect
                                           | QItemSelectionModel.SelectionFlag.Rows)
        self.table.setCurrentIndex(idx)
        self.table.scrollTo(idx)

    def _selection_changed(self, *_: Any) -> None:
        self._refresh_details()
        self._update_actions()

    def _refresh_details(self) -> None:
        tasks = self.selected_tasks()
        if len(tasks) != 1:
            cur = self.table.currentIndex()
            t = None
            if cur.isValid() and tasks:
                src = self.proxy.mapToSource(cur)
                t = self.model.task_at(src.row()) if src.isValid() else None
            if t is None:
                self.details.show_task(None, None, [])
                return
        else:
            t = tasks[0]
        t = self.model.task(t.id) or t
        self.details.show_task(t, self.model.progress.get(t.id), list(self.model.logs.get(t.id, [])))

    def _update_actions(self) -> None:
        self.commands.update()

    def _double_clicked(self, idx: QModelIndex) -> None:
        src = self.proxy.mapToSource(idx)
        if not src.isValid():
            return
        t = self.model.task_at(src.row())
        if t.state in ("done", "handed_off"):
            self.commands.open_file()
        elif t.state in ("paused", "failed"):
            self.commands.start_selected()

    def _context_menu(self, pos: Any) -> None:
        self.context_menu = self.commands.context_menu(pos)

    # -- commands (gui/actions.py) ---------------------------------------------------
    def show_error(self, message: str) -> None:
        self.statusBar().showMessage(message, 15000)
        box = QMessageBox(QMessageBox.Icon.Warning, self.tr("Zhilian"), message, QMessageBox.StandardButton.Ok,
                          self)
        box.setObjectName("errorBox")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        self.last_error = message

    def pause_all(self) -> None:          # the tray's menu
        self.commands.pause_all()

    def resume_all(self) -> None:
        self.commands.resume_all()

    def remove_selected(self, delete_file: bool, confirm: bool = True) -> None:
        self.commands.remove_selected(delete_file, confirm)

    def copy_link(self) -> None:
        self.commands.copy_link()

    def replace_link(self, text: str | None = None) -> None:
        self.commands.replace_link(text)

    # -- adding (gui/add_flow.py) -----------------------------------------------------
    def heygem_available(self) -> bool:
        return bool(prefs.get(self.settings, "heygem_installs", []))

    def open_add_dialog(self, text: str = "", manifests: list[Any] | None = None) -> AddDialog:
        return self.adding.open(text, manifests)

    def submit_add(self, req: AddRequest) -> None:
        self.adding.submit(req)

    def receive_links(self, args: list[str]) -> None:
        self.adding.receive_links(args)

    def bring_to_front(self) -> None:
        if self.isMinimized():
            self.showNormal()
        self.show()
        self.raise_()
        self.activateWindow()

    def dragEnterEvent(self, event: Any) -> None:
        self.adding.drag(event)

    def dragMoveEvent(self, event: Any) -> None:
        self.adding.drag(event)

    def dropEvent(self, event: Any) -> None:
        self.adding.drop(event)

    # -- dialogs ------------------------------------------------------------------------
    def open_settings(self) -> None:
        dlg = SettingsDialog(self, self.settings, self.bridge)
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dlg.applied.connect(self.apply_settings)
        dlg.open()
        self.settings_dialog = dlg

    def apply_settings(self, settings: Any) -> None:
        old_lang = prefs.get(self.settings, "language", "")
        self.settings = settings
        prefs.save_settings(self.bridge, settings, lambda m: self.show_error(
            self.tr("Could not save the settings: %1").replace("%1", m)))
        self.core.apply_settings(settings, on_error=self.show_error)
        self.status.show_limit(int(prefs.get(settings, "global_limit", 0)))
        self.core.set_global_limit(int(prefs.get(settings, "global_limit", 0)))
        new_lang = prefs.get(settings, "language", "")
        if new_lang != old_lang:
            i18n.install(new_lang)
            self.retranslate()

    def row_action(self, task_id: Any, action: str) -> None:
        """The button of a row that needs the user: *Import login…* opens Accounts on the
        task's host, *Replace link…* asks for the new link."""
        self.select_task(task_id)
        t = self.model.task(task_id)
        if t is None:
            return
        if action == outcome.IMPORT_LOGIN:
            self.open_accounts(str((t.error_params or {}).get("host") or t.host or ""))
        elif action == outcome.REPLACE_LINK:
            self.replace_link()

    def open_accounts(self, host: str = "") -> None:
        dlg = AccountsDialog(self, self.bridge)
        if host:
            dlg.select_host(host)
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dlg.open()
        self.accounts_dialog = dlg

    def changeEvent(self, event: Any) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.StyleChange) and hasattr(self, "details"):
            QTimer.singleShot(0, self._refresh_details)   # legend swatches use palette colours
        super().changeEvent(event)

    # -- closing ------------------------------------------------------------------------------
    def quit_app(self) -> None:
        self.quitting = True
        self.close()

    def closeEvent(self, event: QCloseEvent) -> None:
        prefs.save_layout(self)
        to_tray = prefs.get(self.settings, "close_to_tray", False)
        if not self.quitting and to_tray and self.tray is not None and self.tray.icon.isVisible():
            event.ignore()
            self.hide()
            self.tray.notify(self.tr("Zhilian is still running"),
                             self.tr("Downloads continue in the background; use the tray icon to quit."))
            return
        self.quitting = True
        event.accept()
        app = QApplication.instance()
        if app is not None and self.property("quitOnClose") is not False:
            app.quit()
