""""Send to HeyGem" for the GUI: choose an install, hand the file off on a worker thread with
a progress dialog, report the result (placed / already there / restart needed / refused).

    job = send_to_heygem(parent_widget, "/path/model.pth", bridge)            # asks which install
    job = send_to_heygem(parent_widget, path, bridge, install_dir="/opt/HeyGem", ask=False)
    job.finished.connect(lambda result: ...)   # the core's HandoffResult
    job.failed.connect(lambda message: ...)

Finding installs and the hand-off itself (checks, hashing, copying) go through the facade
(``bridge.core.heygem_detect`` / ``heygem_handoff``) and never run on the GUI thread.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, Signal
from PySide6.QtWidgets import QInputDialog, QMessageBox, QProgressDialog, QWidget

from . import fmt


def _title() -> str:
    return QCoreApplication.translate("HeyGem", "Send to HeyGem")


def _phase(phase: str) -> str:
    """What the hand-off is doing (``%1``: the file's name), in the user's language."""
    if phase == "hashing":
        return QCoreApplication.translate("HeyGem", "Checking %1…")
    if phase == "copying":
        return QCoreApplication.translate("HeyGem", "Copying %1…")
    if phase == "verifying":
        return QCoreApplication.translate("HeyGem", "Re-checking the copy of %1…")
    return phase + " %1…"


def result_text(res: Any) -> str:
    """What a hand-off did (the core's HandoffResult), in the user's language. The core's
    further notes (a catalogue's other place for the file, a record it could not write)
    stay in English: they are rare and name files and options."""
    if res.status == "unchanged":
        lines = [QCoreApplication.translate("HeyGem", "%1: already in place (identical), nothing to do").replace("%1", res.rel_path)]
    else:
        how = (QCoreApplication.translate("HeyGem", "moved (same disk)") if res.method == "rename"
               else QCoreApplication.translate("HeyGem", "copied and re-verified"))
        lines = [QCoreApplication.translate("HeyGem", "%1: placed in %2 (%3, %4)").replace("%1", res.rel_path)
                 .replace("%2", str(res.install_dir)).replace("%3", fmt.size(res.size)).replace("%4", how)]
    if res.verified_by == "expected sha256":
        lines.append(QCoreApplication.translate("HeyGem", "SHA-256 %1 matches the value the download was given").replace("%1", res.sha256))
    elif res.verified_by == "catalog":
        lines.append(QCoreApplication.translate("HeyGem", "SHA-256 %1 matches the catalogue's value").replace("%1", res.sha256))
    elif res.verified_by == "pinned locally":
        lines.append(QCoreApplication.translate("HeyGem", "SHA-256 %1 matches the value pinned on this computer").replace("%1", res.sha256))
    else:
        lines.append(QCoreApplication.translate("HeyGem", "SHA-256 %1 checked (no known value to compare)").replace("%1", res.sha256))
    if res.pinned:
        lines.append(QCoreApplication.translate("HeyGem", "Size and SHA-256 pinned on this computer for next time"))
    if res.backup:
        lines.append(QCoreApplication.translate("HeyGem", "The previous file is kept as %1").replace("%1", Path(res.backup).name))
    kinds = list(getattr(res, "note_kinds", []) or [])
    for i, text in enumerate(res.notes):
        kind, p = kinds[i] if i < len(kinds) else ("", {})
        if kind == "catalog_place":
            text = QCoreApplication.translate("HeyGem", "The catalogue places %1 at %2").replace("%1", str(p.get("name"))).replace(
                "%2", str(p.get("target")))
        elif kind == "start_script":
            text = QCoreApplication.translate("HeyGem", "The start script loads %1; to use this file instead, hand it off as %1").replace(
                "%1", str(p.get("model_path")))
        elif kind == "source_left":
            text = QCoreApplication.translate("HeyGem", "Your file %1 was left where it is").replace("%1", str(p.get("path")))
        elif kind == "restart":
            text = QCoreApplication.translate("HeyGem", "%1 is running on port %2: restart it to load the new model").replace(
                "%1", str(p.get("install"))).replace("%2", str(p.get("port")))
        lines.append(text)
    return "\n".join(lines)


class HandoffJob(QObject):
    """One hand-off in the core's worker thread (``bridge.core.heygem_handoff``); signals
    arrive on the GUI thread."""

    progress = Signal(str, int, int)     # phase, done, total
    finished = Signal(object)            # HandoffResult
    failed = Signal(str)                 # message for the user

    def __init__(self, path: str | os.PathLike, install_dir: str | os.PathLike, bridge: Any,
                 rel_path: str | None = None, *, expected_sha256: str | None = None,
                 source: str | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.path, self.install_dir, self.rel_path = Path(path), Path(install_dir), rel_path
        self.bridge = bridge
        self.expected_sha256, self.source = expected_sha256, source
        self.result: Any = None
        self.error: str | None = None

    def start(self) -> None:
        self.bridge.core.heygem_handoff(str(self.path), str(self.install_dir), rel_path=self.rel_path,
                                        expected_sha256=self.expected_sha256, source=self.source,
                                        progress=self.progress.emit,         # from the worker: queued
                                        on_done=self._done, on_error=self._failed)

    def _done(self, res: Any) -> None:
        self.result = res
        self.finished.emit(res)

    def _failed(self, message: str) -> None:     # every error reaches the user as a message
        self.error = message
        self.failed.emit(message)


def choose_install(parent: QWidget | None, installs: list[Any]) -> Any:
    if not installs:
        QMessageBox.information(parent, _title(), QCoreApplication.translate(
            "HeyGem", "No HeyGem or Wav2Lip install was found. Add its folder in Settings."))
        return None
    if len(installs) == 1:
        return installs[0]
    labels = [f"{i.label} — {i.path}" for i in installs]
    item, ok = QInputDialog.getItem(parent, _title(), QCoreApplication.translate("HeyGem", "Install:"),
                                    labels, 0, False)
    return installs[labels.index(item)] if ok else None


def _saved_folders(parent: QWidget | None) -> list[str]:
    settings = getattr(parent, "settings", None)
    return [str(p) for p in (getattr(settings, "heygem_installs", None) or [])]


def send_to_heygem(parent: QWidget | None, path: object, bridge: Any, *,
                   install_dir: str | os.PathLike | None = None, rel_path: str | None = None,
                   expected_sha256: str | None = None, source: str | None = None,
                   ask: bool = True, show_result: bool = True) -> HandoffJob | None:
    """Start a hand-off with a progress dialog; returns the job (or None when there is
    nothing to hand off). Without ``install_dir`` the installs are looked up first (in the
    core's worker) and the user picks one; the job starts once chosen.

    ``path`` is a file path or a finished task (anything with ``path``, and optionally
    ``sha256``, ``link`` and ``handoff_to``, like the queue's TaskView)."""
    if not isinstance(path, (str, os.PathLike)):
        task = path
        path = getattr(task, "path", None)
        if not path:
            QMessageBox.warning(parent, _title(),
                                QCoreApplication.translate("HeyGem", "This download has no finished file yet."))
            return None
        expected_sha256 = expected_sha256 or getattr(task, "sha256", None)
        source = source or getattr(task, "link", None)
        target = getattr(task, "handoff_to", None)
        if install_dir is None and target and str(target) != "heygem":
            install_dir = target
    if install_dir is None and not ask:
        return None
    job = HandoffJob(path, install_dir or "", bridge, rel_path, expected_sha256=expected_sha256, source=source,
                     parent=parent)
    if install_dir is not None:
        _run(parent, job, show_result)
        return job

    def found(result: tuple[list[Any], list[str]]) -> None:
        inst = choose_install(parent, result[0])
        if inst is not None:
            job.install_dir = Path(inst.path)
            _run(parent, job, show_result)
    bridge.core.heygem_detect(_saved_folders(parent), search_common=True, on_done=found,
                              on_error=lambda msg: QMessageBox.warning(parent, _title(), msg))
    return job


def _run(parent: QWidget | None, job: HandoffJob, show_result: bool) -> None:
    """Starts ``job`` with its progress dialog and result message."""
    path, install_dir = job.path, job.install_dir
    sending = QCoreApplication.translate("HeyGem", "Sending %1 to %2…")
    dlg = QProgressDialog(sending.replace("%1", Path(path).name)
                          .replace("%2", Path(install_dir).name), None, 0, 1000, parent)
    dlg.setWindowTitle(_title())
    dlg.setMinimumDuration(400)
    dlg.setAutoClose(True)
    job.dialog = dlg

    def on_progress(phase: str, done: int, total: int) -> None:
        dlg.setLabelText(_phase(phase).replace("%1", Path(path).name))
        dlg.setValue(int(1000 * done / total) if total else 1000)

    def on_finished(res: Any) -> None:
        dlg.setValue(1000)
        dlg.close()
        if show_result:
            QMessageBox.information(parent, _title(), result_text(res))

    def on_failed(msg: str) -> None:
        dlg.close()
        if show_result:
            QMessageBox.warning(parent, _title(), msg)

    job.progress.connect(on_progress)
    job.finished.connect(on_finished)
    job.failed.connect(on_failed)
    job.start()
