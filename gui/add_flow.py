"""Adding downloads: the add dialog (opened, or extended when already open, from the
toolbar, the clipboard, drops, the command line and a second instance) and what its
request becomes: ``bridge.core.add`` for the links, ``bridge.core.add_manifest`` per
manifest (the core expands a manifest into its tasks)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtGui import QGuiApplication

from . import dropping, prefs
from .add_dialog import AddDialog, AddRequest


class AddFlow(QObject):
    def __init__(self, window: Any):
        super().__init__(window)
        self.w = window
        self.dialog: AddDialog | None = None      # the open add dialog

    def open(self, text: str = "", manifests: list[Path] | None = None) -> AddDialog:
        """Opens (or extends, when already open) the add dialog; non-modal."""
        if self.dialog is not None and self.dialog.isVisible():
            dlg = self.dialog
            if text:
                dlg.append_text(text)
            for m in manifests or []:
                dlg.add_manifest(m)
            dlg.raise_()
            dlg.activateWindow()
            return dlg
        settings, core = self.w.settings, self.w.core
        dlg = AddDialog(self.w, text=text, manifests=manifests, dest_dir=prefs.download_dir(settings),
                        connections=int(prefs.get(settings, "connections", 0) or 0),
                        heygem_installs=[str(x) for x in prefs.get(settings, "heygem_installs", [])],
                        lister=core.preview_files, manifest_reader=core.manifest_files,
                        file_reader=core.read_incoming)
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dlg.accepted.connect(lambda: self.submit(dlg.request()))
        dlg.destroyed.connect(lambda *_: setattr(self, "dialog", None))
        self.dialog = dlg
        dlg.show()
        dlg.raise_()
        return dlg

    def submit(self, req: AddRequest) -> None:
        settings, core, error = self.w.settings, self.w.core, self.w.show_error
        handoff = None
        if req.handoff:
            installs = prefs.get(settings, "heygem_installs", [])
            handoff = req.handoff_to or (str(installs[0]) if installs else "heygem")
        kw = dict(password=req.password, dest_dir=req.dest_dir, connections=req.connections,
                  sha256=req.sha256, handoff_to=handoff)
        if req.text.strip():
            core.add(req.text, **kw, on_done=self._added, on_error=error)
        for m in req.manifests:      # expanded into tasks by the core (core/app.py)
            core.add_manifest(m, dest_dir=str(req.dest_dir or prefs.download_dir(settings)),
                              password=req.password, connections=req.connections, handoff_to=handoff,
                              on_done=lambda res, m=m: self._manifest_added(m, res), on_error=error)

    def _manifest_added(self, manifest: Path, res: Any) -> None:
        for name in res.skipped:
            self.w.show_error(self.tr("%1: “%2” has no download URL").replace("%1", manifest.name)
                              .replace("%2", name))
        self._added(res.task_ids)

    def _added(self, ids: Any) -> None:
        ids = list(ids or [])
        self.w.statusBar().showMessage(self.tr("Added %n download(s)", "", len(ids)), 5000)
        if ids:
            QTimer.singleShot(0, lambda: self.w.select_task(ids[0]))

    def from_clipboard(self) -> None:
        self.open(text=QGuiApplication.clipboard().text())

    def receive_links(self, args: list[str]) -> None:
        """Links or files (paths or ``file:`` URLs) handed over from the command line, the
        desktop launcher (``%U``) or a second instance. The core reads the files; the add
        dialog opens when they are read."""
        dropping.take(dropping.from_args(args), self.w.core.read_incoming, self._received, self.w.show_error)

    def _received(self, got: Any) -> None:
        for p in got.problems:
            self.w.show_error(dropping.problem_text(p))
        self.w.bring_to_front()
        if got:
            self.open(text=got.text, manifests=list(got.manifests))

    def drag(self, event: Any) -> None:
        if dropping.can_accept(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def drop(self, event: Any) -> None:
        """Link text opens the add dialog at once; dropped files are read by the core, and
        the dialog opens with what they hold when they are read."""
        items = dropping.from_mime(event.mimeData())
        if not items:
            event.ignore()
            return
        event.acceptProposedAction()
        dropping.take(items, self.w.core.read_incoming, self._dropped, self.w.show_error)

    def _dropped(self, got: Any) -> None:
        for p in got.problems:
            self.w.statusBar().showMessage(dropping.problem_text(p), 8000)
        if got:
            self.open(text=got.text, manifests=list(got.manifests))
