"""The main window: queue table, details pane, toolbar, status bar, drops, clipboard."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QPoint, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QAction, QCloseEvent, QDesktopServices, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableView,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from . import dropping, fmt, icons, outcome, prefs
from .add_dialog import AddDialog, AddRequest
from .bridge import CoreBridge
from .details import DetailsPane
from .log_panel import attach as attach_log_panel
from .storage_fault import StorageFaultNotice
from .task_model import COL_NAME, COL_PROGRESS, COL_STATE, TaskFilterProxy, TaskModel, task_name
from .tray import Tray
from .widgets import ProgressDelegate, StateDelegate

KIB = 1024


def _optional(module: str) -> Any:
    """A GUI module another part of the product provides (HeyGem actions, link sharing)."""
    import importlib
    try:
        return importlib.import_module(module)
    except ImportError:
        return None


def _preview_files(text: str) -> list[Any]:
    """The files behind pasted links, for the add dialog's list (runs off the GUI thread)."""
    from core.selection import preview_files
    return preview_files(text)


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
        self._offered_clip: set[str] = set()
        self._add_dialog: AddDialog | None = None
        self.setWindowIcon(icons.app_icon())
        self.setAcceptDrops(True)

        self.model = TaskModel(self)
        self.proxy = TaskFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.table = QTableView()
        self.table.setObjectName("queue")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(-1, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._context_menu)
        self.table.setItemDelegateForColumn(COL_PROGRESS, ProgressDelegate(self.table))
        self.state_delegate = StateDelegate(self.table, self.row_action)
        self.table.setItemDelegateForColumn(COL_STATE, self.state_delegate)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(max(24, self.fontMetrics().height() + 10))
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setShowGrid(False)
        self.table.doubleClicked.connect(self._double_clicked)
        self.table.setAcceptDrops(False)
        self.table.viewport().setAcceptDrops(False)
        hh = self.table.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        hh.setStretchLastSection(True)
        hh.setSectionsMovable(True)
        hh.resizeSection(COL_NAME, 300)
        hh.resizeSection(COL_PROGRESS, 140)
        hh.resizeSection(COL_STATE, 230)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)

        self.details = DetailsPane()
        self.details.setObjectName("details")
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setObjectName("splitter")
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(self.details)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)

        # clipboard offer banner
        self.clip_bar = QFrame()
        self.clip_bar.setObjectName("clipboardOffer")
        self.clip_bar.setFrameShape(QFrame.Shape.StyledPanel)
        cb = QHBoxLayout(self.clip_bar)
        cb.setContentsMargins(8, 4, 8, 4)
        self.clip_label = QLabel()
        self.clip_add = QPushButton(icons.icon("add"), "")
        self.clip_dismiss = QPushButton()
        cb.addWidget(self.clip_label, 1)
        cb.addWidget(self.clip_add)
        cb.addWidget(self.clip_dismiss)
        self.clip_bar.hide()
        self.clip_text = ""
        self.clip_add.clicked.connect(self._clip_accept)
        self.clip_dismiss.clicked.connect(self.clip_bar.hide)

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

        self._make_actions()
        self._make_toolbar()
        self._make_statusbar()
        self.log_panel = attach_log_panel(self)   # the application log dock (F6)

        self.faults = StorageFaultNotice(self, self.bridge, self.banner)
        self.bridge.events.connect(self._on_events)
        self.bridge.ready.connect(self._on_ready)
        self.bridge.startFailed.connect(self._on_start_failed)
        if self.bridge.is_ready:
            self._on_ready()
        elif self.bridge.start_error:
            self._on_start_failed(self.bridge.start_error)

        self._status_at = 0.0
        self._status_timer = QTimer(self)
        self._status_timer.setInterval(1000)
        self._status_timer.timeout.connect(self._update_status)
        self._status_timer.start()

        clip = QGuiApplication.clipboard()
        if clip is not None:
            clip.dataChanged.connect(self._clipboard_changed)

        self.retranslate()
        self.resize(1000, 680)
        self.restore_layout()
        self._update_actions()

    # -- construction ----------------------------------------------------------
    def _action(self, name: str, icon_name: str | None, shortcut: Any, slot: Any) -> QAction:
        a = QAction(self)
        a.setObjectName(name)
        if icon_name:
            a.setIcon(icons.icon(icon_name))
        if shortcut is not None:
            a.setShortcut(QKeySequence(shortcut))
        a.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        a.triggered.connect(slot)
        self.addAction(a)
        return a

    def _make_actions(self) -> None:
        K = QKeySequence.StandardKey
        self.act_add = self._action("actAdd", "add", K.New, lambda: self.open_add_dialog())
        self.act_paste = self._action("actPaste", None, "Ctrl+Shift+V", self.add_from_clipboard)
        self.act_start = self._action("actStart", "start", "Ctrl+R", self.start_selected)
        self.act_pause = self._action("actPause", "pause", "Ctrl+P", self.pause_selected)
        self.act_pause_all = self._action("actPauseAll", "pause-all", "Ctrl+Shift+P", self.pause_all)
        self.act_resume_all = self._action("actResumeAll", "resume-all", "Ctrl+Shift+R", self.resume_all)
        self.act_remove = self._action("actRemove", "remove", K.Delete, lambda: self.remove_selected(False))
        self.act_remove_file = self._action("actRemoveFile", "remove", "Shift+Del",
                                            lambda: self.remove_selected(True))
        self.act_open = self._action("actOpen", "file", None, self.open_file)
        self.act_folder = self._action("actFolder", "folder", "Ctrl+E", self.open_folder)
        self.act_copy = self._action("actCopy", "copy", K.Copy, self.copy_link)
        self.act_replace = self._action("actReplace", "link", "Ctrl+L", self.replace_link)
        self.act_heygem = self._action("actHeygem", "heygem", None, self.send_to_heygem)
        self.act_share = self._action("actShare", "share", None, self.share_link)
        self.act_settings = self._action("actSettings", "settings", K.Preferences, self.open_settings)
        if self.act_settings.shortcut().isEmpty():
            self.act_settings.setShortcut(QKeySequence("Ctrl+,"))
        self.act_accounts = self._action("actAccounts", "accounts", None, self.open_accounts)
        self.act_details = self._action("actDetails", "details", "F4", self._toggle_details)
        self.act_details.setCheckable(True)
        self.act_details.setChecked(True)
        self.act_quit = self._action("actQuit", "quit", K.Quit, self.quit_app)
        self.act_search = self._action("actSearch", None, K.Find, lambda: self.search.setFocus())
        self.heygem_mod = _optional("gui.heygem_actions")
        self.share_mod = _optional("gui.share_dialog")

    def _make_toolbar(self) -> None:
        tb = QToolBar()
        tb.setObjectName("mainToolbar")
        tb.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextUnderIcon)
        for a in (self.act_add, self.act_start, self.act_pause, None, self.act_pause_all, self.act_resume_all,
                  None, self.act_remove, None, self.act_settings, self.act_accounts):
            if a is None:
                tb.addSeparator()
            else:
                tb.addAction(a)
        spacer = QWidget()
        spacer.setSizePolicy(spacer.sizePolicy().horizontalPolicy().Expanding,
                             spacer.sizePolicy().verticalPolicy().Preferred)
        tb.addWidget(spacer)
        self.search = QLineEdit()
        self.search.setObjectName("search")
        self.search.setClearButtonEnabled(True)
        self.search.addAction(icons.icon("search"), QLineEdit.ActionPosition.LeadingPosition)
        self.search.setMaximumWidth(240)
        self.search.textChanged.connect(self.proxy.set_search)
        tb.addWidget(self.search)
        self.addToolBar(tb)
        self.toolbar = tb

    def _make_statusbar(self) -> None:
        sb = self.statusBar()
        self.lbl_counts = QLabel()
        self.lbl_speed = QLabel()
        self.lbl_speed.setObjectName("totalSpeed")
        self.lbl_limit = QLabel()
        self.limit = QSpinBox()
        self.limit.setObjectName("globalLimit")
        self.limit.setRange(0, 10 * 1024 * 1024)
        self.limit.setSingleStep(256)
        self.limit.setAccelerated(True)
        self.limit.setKeyboardTracking(False)
        self.limit.setValue(int(prefs.get(self.settings, "global_limit", 0) // KIB))
        self.limit.valueChanged.connect(self._limit_changed)
        sb.addWidget(self.lbl_counts, 1)
        sb.addPermanentWidget(self.lbl_speed)
        sb.addPermanentWidget(self.lbl_limit)
        sb.addPermanentWidget(self.limit)

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Zhilian"))
        names = {
            self.act_add: (self.tr("Add"), self.tr("Add links (Ctrl+N)")),
            self.act_paste: (self.tr("Add from clipboard"), None),
            self.act_start: (self.tr("Start"), self.tr("Start or retry the selected downloads")),
            self.act_pause: (self.tr("Pause"), self.tr("Pause the selected downloads")),
            self.act_pause_all: (self.tr("Pause all"), None),
            self.act_resume_all: (self.tr("Resume all"), None),
            self.act_remove: (self.tr("Remove"), self.tr("Remove from the list, keep the file")),
            self.act_remove_file: (self.tr("Remove and delete file"), None),
            self.act_open: (self.tr("Open file"), None),
            self.act_folder: (self.tr("Open folder"), None),
            self.act_copy: (self.tr("Copy link"), None),
            self.act_replace: (self.tr("Replace link…"), self.tr("Paste a new link for an expired one")),
            self.act_heygem: (self.tr("Send to HeyGem"), None),
            self.act_share: (self.tr("Share link…"), None),
            self.act_settings: (self.tr("Settings"), None),
            self.act_accounts: (self.tr("Accounts"), self.tr("Logins for share hosts")),
            self.act_details: (self.tr("Details pane"), None),
            self.act_quit: (self.tr("Quit"), None),
            self.act_search: (self.tr("Search"), None),
        }
        for act, (text, tip) in names.items():
            act.setText(text)
            act.setToolTip(tip or text)
        if self.heygem_mod is None:
            self.act_heygem.setToolTip(self.tr("HeyGem hand-off is not part of this build"))
        if self.share_mod is None:
            self.act_share.setToolTip(self.tr("Link sharing is not part of this build"))
        self.search.setPlaceholderText(self.tr("Filter downloads"))
        self.lbl_limit.setText(self.tr("Speed limit:"))
        self.limit.setSpecialValueText(self.tr("Unlimited"))
        self.limit.setSuffix(self.tr(" KiB/s"))
        self.limit.setToolTip(self.tr("Total download speed limit (0 = unlimited)"))
        self.clip_add.setText(self.tr("Add"))
        self.clip_dismiss.setText(self.tr("Dismiss"))
        self.model.retranslate()
        self.details.retranslate()
        if self.tray is not None:
            self.tray.retranslate()
        self._selection_changed()
        self._update_status()

    # -- layout persistence --------------------------------------------------------
    def restore_layout(self) -> None:
        st = prefs.gui_state()
        geo = st.value("main/geometry")
        if geo is not None:
            self.restoreGeometry(geo)
        state = st.value("main/state")
        if state is not None:
            self.restoreState(state)
        split = st.value("main/splitter")
        if split is not None:
            self.splitter.restoreState(split)
        header = st.value("main/header")
        if header is not None:
            self.table.horizontalHeader().restoreState(header)
        self.act_details.setChecked(self.details.isVisibleTo(self) or not self.isVisible())

    def save_layout(self) -> None:
        st = prefs.gui_state()
        st.setValue("main/geometry", self.saveGeometry())
        st.setValue("main/state", self.saveState())
        st.setValue("main/splitter", self.splitter.saveState())
        st.setValue("main/header", self.table.horizontalHeader().saveState())
        st.sync()

    # -- core events ---------------------------------------------------------------
    def _on_ready(self) -> None:
        self.banner.hide()
        self.bridge.snapshot(on_done=self._load_tasks, on_error=self.show_error)
        self.core.leftovers(on_done=self.faults.leftovers)
        if self.settings is not None:
            self.core.set_global_limit(int(self.limit.value() * KIB))

    def _load_tasks(self, snap: tuple[list[Any], int]) -> None:
        tasks, seq = snap
        # events newer than the snapshot may already be applied: those tasks keep what they show
        newer = {tid for tid, s in self.bridge.applied.items() if s > seq}
        out = [t if t.id not in newer else self.model.task(t.id) for t in tasks]
        out += [self.model.task(tid) for tid in newer - {t.id for t in tasks}]   # added since
        self.model.reset_tasks([t for t in out if t is not None])   # None: removed since
        self._update_status()
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
        now = time.monotonic()
        if now - self._status_at > 0.25:
            self._update_status()
        for kind, task in notable:
            self._notify_for(kind, task)

    def _notify_for(self, kind: str, task: Any) -> None:
        n = task_name(task)
        if kind in ("finished", "done"):
            if task.state == "handed_off":
                title, msg, err = self.tr("Handed off to HeyGem"), n, False
                kind = "handed_off"
            else:
                title, msg, err = self.tr("Download finished"), n, False
        elif kind == "handed_off":
            title, msg, err = self.tr("Handed off to HeyGem"), n, False
        else:
            kind, title = outcome.notice(task)
            msg, err = f"{n}\n{outcome.error_text(task)}".strip(), True
        self.last_notice = (kind, task.id)
        if not prefs.get(self.settings, "notify", True):
            self.notified.emit(kind, title, msg)
            return
        if self.tray is not None and self.tray.icon.isVisible():
            self.tray.notify(title, msg, err)
        else:
            self.statusBar().showMessage(f"{title}: {msg}".replace("\n", " — "), 10000)
        self.notified.emit(kind, title, msg)

    def notice_clicked(self) -> None:
        """A click on the last notification: show the window and what needs doing."""
        kind, tid = getattr(self, "last_notice", ("", None))
        self.bring_to_front()
        if tid is not None:
            self.select_task(tid)
        if kind == "needs_login":
            t = self.model.task(tid) if tid is not None else None
            self.open_accounts(str((t.error_params or {}).get("host") or "") if t else "")
        elif kind == "needs_link" and tid is not None:
            self.replace_link()

    def _notify_plain(self, kind: str, title: str, msg: str) -> None:
        if self.tray is not None and self.tray.icon.isVisible():
            self.tray.notify(title, msg)
        self.notified.emit(kind, title, msg)

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
        tasks = self.selected_tasks()
        ready = self.bridge.is_ready
        any_sel = bool(tasks) and ready
        self.act_add.setEnabled(ready)
        self.act_paste.setEnabled(ready)
        self.act_start.setEnabled(any_sel and any(t.state in ("paused", "failed", "queued") for t in tasks))
        self.act_pause.setEnabled(any_sel and any(t.state in ("queued", "resolving", "downloading")
                                                  for t in tasks))
        self.act_pause_all.setEnabled(ready)
        self.act_resume_all.setEnabled(ready)
        self.act_remove.setEnabled(any_sel)
        self.act_remove_file.setEnabled(any_sel)
        one = tasks[0] if len(tasks) == 1 else None
        self.act_open.setEnabled(one is not None and one.state in ("done", "handed_off") and bool(one.path))
        self.act_folder.setEnabled(one is not None)
        self.act_copy.setEnabled(bool(tasks))
        self.act_replace.setEnabled(one is not None and ready and one.state not in ("done", "handed_off"))
        self.act_heygem.setEnabled(self.heygem_mod is not None and one is not None and one.state == "done")
        self.act_share.setEnabled(self.share_mod is not None and any(
            t.state in ("done", "handed_off") and t.path for t in tasks))

    def _toggle_details(self, on: bool) -> None:
        self.details.setVisible(on)

    def _double_clicked(self, idx: QModelIndex) -> None:
        src = self.proxy.mapToSource(idx)
        if not src.isValid():
            return
        t = self.model.task_at(src.row())
        if t.state in ("done", "handed_off"):
            self.open_file()
        elif t.state in ("paused", "failed"):
            self.start_selected()

    def _context_menu(self, pos: QPoint) -> None:
        self._update_actions()
        m = QMenu(self)
        for a in (self.act_start, self.act_pause, None, self.act_open, self.act_folder, None, self.act_copy,
                  self.act_replace, None, self.act_heygem, self.act_share, None, self.act_remove,
                  self.act_remove_file):
            if a is None:
                m.addSeparator()
            else:
                m.addAction(a)
        self.context_menu = m
        m.popup(self.table.viewport().mapToGlobal(pos))

    # -- commands ---------------------------------------------------------------------
    def show_error(self, message: str) -> None:
        self.statusBar().showMessage(message, 15000)
        box = QMessageBox(QMessageBox.Icon.Warning, self.tr("Zhilian"), message, QMessageBox.StandardButton.Ok,
                          self)
        box.setObjectName("errorBox")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        self.last_error = message

    def start_selected(self) -> None:
        for t in self.selected_tasks():
            if t.state == "failed":
                self.core.retry(t.id, on_error=self.show_error)
            elif t.state in ("paused", "queued"):
                self.core.resume(t.id, on_error=self.show_error)

    def pause_selected(self) -> None:
        for t in self.selected_tasks():
            if t.state in ("queued", "resolving", "downloading"):
                self.core.pause(t.id, on_error=self.show_error)

    def pause_all(self) -> None:
        self.core.pause_all(on_error=self.show_error)

    def resume_all(self) -> None:
        self.core.resume_all(on_error=self.show_error)

    def remove_selected(self, delete_file: bool, confirm: bool = True) -> None:
        tasks = self.selected_tasks()
        if not tasks:
            return
        if delete_file and confirm:
            ask = QMessageBox.question(
                self, self.tr("Delete files"),
                self.tr("Remove %n download(s) and delete their files from disk?", "", len(tasks)))
            if ask != QMessageBox.StandardButton.Yes:
                return
        for t in tasks:
            self.core.remove(t.id, delete_file=delete_file, on_error=self.show_error)

    def _one(self) -> Any:
        tasks = self.selected_tasks()
        return tasks[0] if tasks else None

    def open_file(self) -> None:
        t = self._one()
        if t is None or not t.path:
            return
        if not os.path.exists(t.path):
            self.show_error(self.tr("The file is no longer there: %1").replace("%1", t.path))
            return
        QDesktopServices.openUrl(QUrl.fromLocalFile(t.path))

    def folder_of(self, t: Any) -> str:
        if t.path and os.path.exists(t.path):
            return str(Path(t.path).parent)
        return str(t.dest_dir or prefs.download_dir(self.settings))

    def open_folder(self) -> None:
        t = self._one()
        if t is None:
            return
        folder = self.folder_of(t)
        if not os.path.isdir(folder):
            self.show_error(self.tr("The folder does not exist: %1").replace("%1", folder))
            return
        QDesktopServices.openUrl(QUrl.fromLocalFile(folder))

    def copy_link(self) -> None:
        tasks = self.selected_tasks()
        if not tasks:
            return
        lines = []
        for t in tasks:
            line = t.link
            if t.password and "pwd=" not in (t.link or ""):
                line += " " + self.tr("code: %1").replace("%1", t.password)
            lines.append(line)
        QGuiApplication.clipboard().setText("\n".join(lines))
        self._offered_clip.add("\n".join(lines).strip())

    def replace_link(self, text: str | None = None) -> None:
        t = self._one()
        if t is None:
            return
        if text is None:
            text, ok = QInputDialog.getMultiLineText(
                self, self.tr("Replace link"),
                self.tr("Paste a new link (and its extraction code) for “%1”.\n"
                        "The download continues from where it stopped.").replace("%1", task_name(t)), "")
            if not ok or not text.strip():
                return
        self.core.replace_link(t.id, text, on_error=self.show_error)

    def send_to_heygem(self) -> None:
        t = self._one()
        if t is None or self.heygem_mod is None:
            return
        if not t.path or not os.path.exists(t.path):
            self.show_error(self.tr("The file is no longer there: %1").replace("%1", t.path or task_name(t)))
            return
        try:
            self.heygem_job = self.heygem_mod.send_to_heygem(self, t.path, expected_sha256=t.sha256,
                                                             source=t.link)
        except Exception as exc:  # noqa: BLE001 - a message, never a traceback
            self.show_error(str(exc))
            return
        if self.heygem_job is not None:
            name = task_name(t)
            self.heygem_job.finished.connect(
                lambda res: self._notify_plain("handed_off", self.tr("Handed off to HeyGem"), name))

    def share_link(self) -> None:
        """Shares the selected finished file through the local sharing server (gui/share_dialog.py)."""
        paths = [t.path for t in self.selected_tasks() if t.state in ("done", "handed_off") and t.path]
        if not paths or self.share_mod is None:
            return
        dialog_cls = getattr(self.share_mod, "ShareDialog", None)
        if dialog_cls is None:
            self.show_error(self.tr("Link sharing is not part of this build"))
            return
        try:
            if getattr(self, "_share_api", None) is None:
                from core.share import ShareAPI
                self._share_api = ShareAPI()
            dlg = dialog_cls(self, paths[0], self._share_api)
        except Exception as exc:  # noqa: BLE001 - a message, never a traceback
            self.show_error(str(exc))
            return
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dlg.open()
        self.share_dialog = dlg

    def _limit_changed(self, kib: int) -> None:
        bps = int(kib * KIB)
        self.core.set_global_limit(bps, on_error=self.show_error)
        if self.settings is not None and hasattr(self.settings, "global_limit"):
            self.settings.global_limit = bps
            try:
                prefs.save_settings(self.settings)
            except Exception as exc:  # noqa: BLE001
                self.statusBar().showMessage(str(exc), 8000)

    # -- adding ---------------------------------------------------------------------
    def heygem_available(self) -> bool:
        return bool(prefs.get(self.settings, "heygem_installs", []))

    def open_add_dialog(self, text: str = "", manifests: list[Path] | None = None) -> AddDialog:
        """Opens (or extends, when already open) the add dialog; non-modal."""
        if self._add_dialog is not None and self._add_dialog.isVisible():
            dlg = self._add_dialog
            if text:
                dlg.append_text(text)
            for m in manifests or []:
                dlg.add_manifest(m)
            dlg.raise_()
            dlg.activateWindow()
            return dlg
        dlg = AddDialog(self, text=text, manifests=manifests,
                        dest_dir=prefs.download_dir(self.settings),
                        connections=int(prefs.get(self.settings, "connections", 0) or 0),
                        heygem_installs=[str(x) for x in prefs.get(self.settings, "heygem_installs", [])],
                        lister=_preview_files, runner=self.bridge.run_blocking)
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dlg.accepted.connect(lambda: self.submit_add(dlg.request()))
        dlg.destroyed.connect(lambda *_: setattr(self, "_add_dialog", None))
        self._add_dialog = dlg
        dlg.show()
        dlg.raise_()
        return dlg

    def submit_add(self, req: AddRequest) -> None:
        handoff = None
        if req.handoff:
            installs = prefs.get(self.settings, "heygem_installs", [])
            handoff = req.handoff_to or (str(installs[0]) if installs else "heygem")
        kw = dict(password=req.password, dest_dir=req.dest_dir, connections=req.connections,
                  sha256=req.sha256, handoff_to=handoff)
        if req.text.strip():
            self.core.add(req.text, **kw, on_done=self._added, on_error=self.show_error)
        for m in req.manifests:      # expanded into tasks by the core (core/app.py)
            self.core.add_manifest(m, dest_dir=str(req.dest_dir or prefs.download_dir(self.settings)),
                                   password=req.password, connections=req.connections, handoff_to=handoff,
                                   on_done=lambda res, m=m: self._manifest_added(m, res), on_error=self.show_error)

    def _manifest_added(self, manifest: Path, res: Any) -> None:
        for name in res.skipped:
            self.show_error(self.tr("%1: “%2” has no download URL").replace("%1", manifest.name)
                            .replace("%2", name))
        self._added(res.task_ids)

    def _added(self, ids: Any) -> None:
        ids = list(ids or [])
        self.statusBar().showMessage(self.tr("Added %n download(s)", "", len(ids)), 5000)
        if ids:
            QTimer.singleShot(0, lambda: self.select_task(ids[0]))

    def add_from_clipboard(self) -> None:
        text = QGuiApplication.clipboard().text()
        self.open_add_dialog(text=text)

    def receive_links(self, args: list[str]) -> None:
        """Links or files (paths or ``file:`` URLs) handed over from the command line, the
        desktop launcher (``%U``) or a second instance."""
        got = dropping.read_args(args)
        for e in got.errors:
            self.show_error(e)
        self.bring_to_front()
        if got:
            self.open_add_dialog(text=got.text, manifests=[m.resolve() for m in got.manifests])

    def bring_to_front(self) -> None:
        if self.isMinimized():
            self.showNormal()
        self.show()
        self.raise_()
        self.activateWindow()

    # -- drag and drop --------------------------------------------------------------------
    def dragEnterEvent(self, event: Any) -> None:
        if dropping.can_accept(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: Any) -> None:
        if dropping.can_accept(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: Any) -> None:
        got = dropping.read_mime(event.mimeData())
        for e in got.errors:
            self.statusBar().showMessage(e, 8000)
        if not got:
            event.ignore()
            return
        event.acceptProposedAction()
        self.open_add_dialog(text=got.text, manifests=got.manifests)

    # -- clipboard watching -------------------------------------------------------------
    def _clipboard_changed(self) -> None:
        if not prefs.get(self.settings, "watch_clipboard", False):
            return
        text = (QGuiApplication.clipboard().text() or "").strip()
        if not text or text in self._offered_clip or len(text) > 100_000:
            return
        try:
            from core.linkparse import parse_links
            links = parse_links(text)
        except Exception:  # noqa: BLE001
            return
        if not links:
            return
        known = {t.link for t in self.model.all_tasks()}
        if all(lk.url in known for lk in links):
            return
        self._offered_clip.add(text)
        self.clip_text = text
        first = links[0].url
        more = len(links) - 1
        label = self.tr("Copied link: %1").replace("%1", first if len(first) < 90 else first[:87] + "…")
        if more:
            label += " " + self.tr("(+%n more)", "", more)
        self.clip_label.setText(label)
        self.clip_bar.show()

    def _clip_accept(self) -> None:
        self.clip_bar.hide()
        self.open_add_dialog(text=self.clip_text)

    # -- status bar -------------------------------------------------------------------------
    def _update_status(self) -> None:
        self._status_at = time.monotonic()
        tasks = self.model.all_tasks()
        active = sum(1 for t in tasks if t.state in ("downloading", "resolving", "verifying"))
        waiting = sum(1 for t in tasks if t.state == "queued")
        done = sum(1 for t in tasks if t.state in ("done", "handed_off"))
        failed = sum(1 for t in tasks if t.state == "failed")
        self.lbl_counts.setText(self.tr("%1 downloads · %2 active · %3 waiting · %4 done · %5 failed")
                                .replace("%1", str(len(tasks))).replace("%2", str(active))
                                .replace("%3", str(waiting)).replace("%4", str(done)).replace("%5", str(failed)))
        spd = self.model.total_speed()
        self.lbl_speed.setText(self.tr("↓ %1").replace("%1", fmt.speed(spd) or fmt.speed(0) or "0 B/s"))
        if self.tray is not None:
            self.tray.set_status(self.tr("%1 active, %2").replace("%1", str(active))
                                 .replace("%2", fmt.speed(spd) or "0 B/s"))

    # -- dialogs ------------------------------------------------------------------------
    def open_settings(self) -> None:
        from .settings_dialog import SettingsDialog
        dlg = SettingsDialog(self, self.settings, self.bridge)
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dlg.applied.connect(self.apply_settings)
        dlg.open()
        self.settings_dialog = dlg

    def apply_settings(self, settings: Any) -> None:
        from . import i18n
        old_lang = prefs.get(self.settings, "language", "")
        self.settings = settings
        try:
            prefs.save_settings(settings)
        except Exception as exc:  # noqa: BLE001
            self.show_error(self.tr("Could not save the settings: %1").replace("%1", str(exc)))
        self.core.apply_settings(settings, on_error=self.show_error)
        self.limit.blockSignals(True)
        self.limit.setValue(int(prefs.get(settings, "global_limit", 0) // KIB))
        self.limit.blockSignals(False)
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
        from .accounts_dialog import AccountsDialog
        dlg = AccountsDialog(self, self.bridge)
        if host:
            dlg.select_host(host)
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dlg.open()
        self.accounts_dialog = dlg

    def changeEvent(self, event: Any) -> None:
        from PySide6.QtCore import QEvent
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.StyleChange) and hasattr(self, "details"):
            QTimer.singleShot(0, self._refresh_details)   # legend swatches use palette colours
        super().changeEvent(event)

    # -- closing ------------------------------------------------------------------------------
    def quit_app(self) -> None:
        self.quitting = True
        self.close()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_layout()
        to_tray = prefs.get(self.settings, "close_to_tray", False)
        if not self.quitting and to_tray and self.tray is not None and self.tray.icon.isVisible():
            event.ignore()
            self.hide()
            self.tray.notify(self.tr("Zhilian is still running"),
                             self.tr("Downloads continue in the background; use the tray icon to quit."))
            return
        self.quitting = True
        event.accept()
        from PySide6.QtWidgets import QApplication
        app = QApplication.instance()
        if app is not None and self.property("quitOnClose") is not False:
            app.quit()
