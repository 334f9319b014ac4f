"""The main window's actions (toolbar, menus, shortcuts) and the commands behind them.

``TaskActions`` makes one QAction per name of gui/action_state.py (set on the window as
``act_<name>``, plus settings, accounts, details, quit and search), enables them by that
module's pure rule, and runs the commands on the selected tasks through the facade
(``bridge.core``): start / pause / remove, open file or folder, copy link, replace link,
send to HeyGem, share."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QPoint, Qt, QUrl
from PySide6.QtGui import QAction, QDesktopServices, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QInputDialog, QLineEdit, QMenu, QMessageBox, QSizePolicy, QToolBar, QWidget

from . import heygem_actions, icons, prefs, share_dialog
from .action_state import ACTIONS, enabled_actions
from .task_model import task_name

K = QKeySequence.StandardKey
# name -> (icon, shortcut) of the actions on the selection and the window
SPECS: dict[str, tuple[str | None, Any]] = {
    "add": ("add", K.New), "paste": (None, "Ctrl+Shift+V"), "start": ("start", "Ctrl+R"),
    "pause": ("pause", "Ctrl+P"), "pause_all": ("pause-all", "Ctrl+Shift+P"),
    "resume_all": ("resume-all", "Ctrl+Shift+R"), "remove": ("remove", K.Delete),
    "remove_file": ("remove", "Shift+Del"), "open": ("file", None), "folder": ("folder", "Ctrl+E"),
    "copy": ("copy", K.Copy), "replace": ("link", "Ctrl+L"), "heygem": ("heygem", None),
    "share": ("share", None), "settings": ("settings", K.Preferences), "accounts": ("accounts", None),
    "details": ("details", "F4"), "quit": ("quit", K.Quit), "search": (None, K.Find),
}
TOOLBAR = ("add", "start", "pause", None, "pause_all", "resume_all", None, "remove", None, "settings", "accounts")
CONTEXT = ("start", "pause", None, "open", "folder", None, "copy", "replace", None, "heygem", "share", None,
           "remove", "remove_file")


def _object_name(name: str) -> str:
    return "act" + "".join(p.capitalize() for p in name.split("_"))     # remove_file -> actRemoveFile


class TaskActions(QObject):
    def __init__(self, window: Any):
        super().__init__(window)
        self.w = window
        w = window
        slots = {
            "add": lambda: w.open_add_dialog(), "paste": w.adding.from_clipboard, "start": self.start_selected,
            "pause": self.pause_selected, "pause_all": self.pause_all, "resume_all": self.resume_all,
            "remove": lambda: w.remove_selected(False), "remove_file": lambda: w.remove_selected(True),
            "open": self.open_file, "folder": self.open_folder, "copy": w.copy_link, "replace": w.replace_link,
            "heygem": self.send_to_heygem, "share": self.share_link, "settings": w.open_settings,
            "accounts": w.open_accounts, "details": w.details.setVisible, "quit": w.quit_app,
            "search": lambda: w.search.setFocus(),
        }
        for name, (icon_name, shortcut) in SPECS.items():
            a = QAction(w)
            a.setObjectName(_object_name(name))
            if icon_name:
                a.setIcon(icons.icon(icon_name))
            if shortcut is not None:
                a.setShortcut(QKeySequence(shortcut))
            a.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            a.triggered.connect(slots[name])
            w.addAction(a)
            setattr(w, f"act_{name}", a)
        if w.act_settings.shortcut().isEmpty():
            w.act_settings.setShortcut(QKeySequence("Ctrl+,"))
        w.act_details.setCheckable(True)
        w.act_details.setChecked(True)

    def toolbar(self) -> QToolBar:
        tb = QToolBar()
        tb.setObjectName("mainToolbar")
        tb.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextUnderIcon)
        for name in TOOLBAR:
            if name is None:
                tb.addSeparator()
            else:
                tb.addAction(getattr(self.w, f"act_{name}"))
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        tb.addWidget(spacer)
        search = QLineEdit()
        search.setObjectName("search")
        search.setClearButtonEnabled(True)
        search.addAction(icons.icon("search"), QLineEdit.ActionPosition.LeadingPosition)
        search.setMaximumWidth(240)
        tb.addWidget(search)
        self.w.search = search
        return tb

    def retranslate(self) -> None:
        w = self.w
        names = {
            "add": (self.tr("Add"), self.tr("Add links (Ctrl+N)")),
            "paste": (self.tr("Add from clipboard"), None),
            "start": (self.tr("Start"), self.tr("Start or retry the selected downloads")),
            "pause": (self.tr("Pause"), self.tr("Pause the selected downloads")),
            "pause_all": (self.tr("Pause all"), None),
            "resume_all": (self.tr("Resume all"), None),
            "remove": (self.tr("Remove"), self.tr("Remove from the list, keep the file")),
            "remove_file": (self.tr("Remove and delete file"), None),
            "open": (self.tr("Open file"), None),
            "folder": (self.tr("Open folder"), None),
            "copy": (self.tr("Copy link"), None),
            "replace": (self.tr("Replace link…"), self.tr("Paste a new link for an expired one")),
            "heygem": (self.tr("Send to HeyGem"), None),
            "share": (self.tr("Share link…"), None),
            "settings": (self.tr("Settings"), None),
            "accounts": (self.tr("Accounts"), self.tr("Logins for share hosts")),
            "details": (self.tr("Details pane"), None),
            "quit": (self.tr("Quit"), None),
            "search": (self.tr("Search"), None),
        }
        for name, (text, tip) in names.items():
            act = getattr(w, f"act_{name}")
            act.setText(text)
            act.setToolTip(tip or text)
        w.search.setPlaceholderText(self.tr("Filter downloads"))

    def update(self) -> None:
        """Enables the actions by gui/action_state.py's rule for the current selection."""
        on = enabled_actions(self.w.selected_tasks(), ready=self.w.bridge.is_ready)
        for name in ACTIONS:
            getattr(self.w, f"act_{name}").setEnabled(name in on)

    def context_menu(self, pos: QPoint) -> QMenu:
        self.update()
        m = QMenu(self.w)
        for name in CONTEXT:
            if name is None:
                m.addSeparator()
            else:
                m.addAction(getattr(self.w, f"act_{name}"))
        m.popup(self.w.table.viewport().mapToGlobal(pos))
        return m

    # -- commands on the selection -------------------------------------------------------
    def one(self) -> Any:
        tasks = self.w.selected_tasks()
        return tasks[0] if tasks else None

    def start_selected(self) -> None:
        for t in self.w.selected_tasks():
            if t.state == "failed":
                self.w.core.retry(t.id, on_error=self.w.show_error)
            elif t.state in ("paused", "queued"):
                self.w.core.resume(t.id, on_error=self.w.show_error)

    def pause_selected(self) -> None:
        for t in self.w.selected_tasks():
            if t.state in ("queued", "resolving", "downloading"):
                self.w.core.pause(t.id, on_error=self.w.show_error)

    def pause_all(self) -> None:
        self.w.core.pause_all(on_error=self.w.show_error)

    def resume_all(self) -> None:
        self.w.core.resume_all(on_error=self.w.show_error)

    def remove_selected(self, delete_file: bool, confirm: bool = True) -> None:
        tasks = self.w.selected_tasks()
        if not tasks:
            return
        if delete_file and confirm:
            ask = QMessageBox.question(
                self.w, self.tr("Delete files"),
                self.tr("Remove %n download(s) and delete their files from disk?", "", len(tasks)))
            if ask != QMessageBox.StandardButton.Yes:
                return
        for t in tasks:
            self.w.core.remove(t.id, delete_file=delete_file, on_error=self.w.show_error)

    def open_file(self) -> None:
        t = self.one()
        if t is None or not t.path:
            return
        if not os.path.exists(t.path):
            self.w.show_error(self.tr("The file is no longer there: %1").replace("%1", t.path))
            return
        QDesktopServices.openUrl(QUrl.fromLocalFile(t.path))

    def folder_of(self, t: Any) -> str:
        if t.path and os.path.exists(t.path):
            return str(Path(t.path).parent)
        return str(t.dest_dir or prefs.download_dir(self.w.settings))

    def open_folder(self) -> None:
        t = self.one()
        if t is None:
            return
        folder = self.folder_of(t)
        if not os.path.isdir(folder):
            self.w.show_error(self.tr("The folder does not exist: %1").replace("%1", folder))
            return
        QDesktopServices.openUrl(QUrl.fromLocalFile(folder))

    def copy_link(self) -> None:
        tasks = self.w.selected_tasks()
        if not tasks:
            return
        lines = []
        for t in tasks:
            line = t.link
            if t.password and "pwd=" not in (t.link or ""):
                line += " " + self.tr("code: %1").replace("%1", t.password)
            lines.append(line)
        QGuiApplication.clipboard().setText("\n".join(lines))
        self.w.clip_bar.offered.add("\n".join(lines).strip())     # not offered back for adding

    def replace_link(self, text: str | None = None) -> None:
        t = self.one()
        if t is None:
            return
        if text is None:
            text, ok = QInputDialog.getMultiLineText(
                self.w, self.tr("Replace link"),
                self.tr("Paste a new link (and its extraction code) for “%1”.\n"
                        "The download continues from where it stopped.").replace("%1", task_name(t)), "")
            if not ok or not text.strip():
                return
        self.w.core.replace_link(t.id, text, on_error=self.w.show_error)

    def send_to_heygem(self) -> None:
        t = self.one()
        if t is None:
            return
        if not t.path or not os.path.exists(t.path):
            self.w.show_error(self.tr("The file is no longer there: %1").replace("%1", t.path or task_name(t)))
            return
        try:
            job = heygem_actions.send_to_heygem(self.w, t.path, self.w.bridge, expected_sha256=t.sha256,
                                                source=t.link)
        except Exception as exc:  # noqa: BLE001 - a message, never a traceback
            self.w.show_error(str(exc))
            return
        self.w.heygem_job = job
        if job is not None:
            name = task_name(t)
            job.finished.connect(
                lambda res: self.w.notices.plain("handed_off", self.tr("Handed off to HeyGem"), name))

    def share_link(self) -> None:
        """Shares the selected finished file through the local sharing server
        (gui/share_dialog.py); the dialog reaches the share store through the facade."""
        paths = [t.path for t in self.w.selected_tasks() if t.state in ("done", "handed_off") and t.path]
        if not paths:
            return
        try:
            dlg = share_dialog.ShareDialog(self.w, paths[0], self.w.bridge)
        except Exception as exc:  # noqa: BLE001 - a message, never a traceback
            self.w.show_error(str(exc))
            return
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dlg.open()
        self.w.share_dialog = dlg
