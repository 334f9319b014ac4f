"""Notifications by outcome kind: a download finished, was handed off to HeyGem, or
needs the user (login, new link, disk space…). A tray message when the tray icon is
shown, else a status-bar message; ``notified`` on the window either way. A click on
the tray message shows the window and what needs doing."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject

from . import outcome, prefs
from .task_model import task_name


class Notices(QObject):
    def __init__(self, window: Any):
        super().__init__(window)
        self.w = window
        self.last: tuple[str, Any] = ("", None)      # (kind, task id) of the last notice

    def _tray_shown(self) -> bool:
        return self.w.tray is not None and self.w.tray.icon.isVisible()

    def for_task(self, kind: str, task: Any) -> None:
        """A notable event of ``task`` (``kind`` from the task model's apply_events)."""
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
        self.last = (kind, task.id)
        if not prefs.get(self.w.settings, "notify", True):
            self.w.notified.emit(kind, title, msg)
            return
        if self._tray_shown():
            self.w.tray.notify(title, msg, err)
        else:
            self.w.statusBar().showMessage(f"{title}: {msg}".replace("\n", " — "), 10000)
        self.w.notified.emit(kind, title, msg)

    def plain(self, kind: str, title: str, msg: str) -> None:
        if self._tray_shown():
            self.w.tray.notify(title, msg)
        self.w.notified.emit(kind, title, msg)

    def clicked(self) -> None:
        """A click on the last notification: show the window and what needs doing."""
        kind, tid = self.last
        self.w.bring_to_front()
        if tid is not None:
            self.w.select_task(tid)
        if kind == "needs_login":
            t = self.w.model.task(tid) if tid is not None else None
            self.w.open_accounts(str((t.error_params or {}).get("host") or "") if t else "")
        elif kind == "needs_link" and tid is not None:
            self.w.replace_link()
