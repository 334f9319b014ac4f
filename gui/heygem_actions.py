""""Send to HeyGem" for the GUI: choose an install, hand the file off on a worker thread with
a progress dialog, report the result (placed / already there / restart needed / refused).

    job = send_to_heygem(parent_widget, "/path/model.pth")            # asks which install
    job = send_to_heygem(parent_widget, path, install_dir="/opt/HeyGem", ask=False)
    job.finished.connect(lambda result: ...)   # core.heygem.handoff.HandoffResult
    job.failed.connect(lambda message: ...)

The hand-off itself (checks, hashing, copying) never runs on the GUI thread.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal
from PySide6.QtWidgets import QInputDialog, QMessageBox, QProgressDialog, QWidget

from core.heygem.detect import Install, detect
from core.heygem.handoff import HandoffResult, handoff_file

_PHASES = {"hashing": "Checking", "copying": "Copying", "verifying": "Re-checking the copy"}


class HandoffJob(QObject):
    """One hand-off on the Qt thread pool; signals arrive on the GUI thread."""

    progress = Signal(str, int, int)     # phase, done, total
    finished = Signal(object)            # HandoffResult
    failed = Signal(str)                 # message for the user

    def __init__(self, path: str | os.PathLike, install_dir: str | os.PathLike,
                 rel_path: str | None = None, *, expected_sha256: str | None = None,
                 source: str | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.path, self.install_dir, self.rel_path = Path(path), Path(install_dir), rel_path
        self.expected_sha256, self.source = expected_sha256, source
        self.result: HandoffResult | None = None
        self.error: str | None = None

    def start(self, pool: QThreadPool | None = None) -> None:
        job = self

        class _Run(QRunnable):
            def run(self) -> None:  # worker thread
                try:
                    res = handoff_file(job.path, job.install_dir, job.rel_path,
                                       expected_sha256=job.expected_sha256, source=job.source,
                                       progress=lambda ph, d, t: job.progress.emit(ph, d, t))
                except Exception as e:  # every error reaches the user as a message
                    job.error = str(e) or e.__class__.__name__
                    job.failed.emit(job.error)
                else:
                    job.result = res
                    job.finished.emit(res)

        self._runnable = _Run()
        self._runnable.setAutoDelete(False)
        (pool or QThreadPool.globalInstance()).start(self._runnable)


def known_installs(extra: list[str] | None = None) -> list[Install]:
    installs, _ = detect(extra or [], search_common=True)
    return installs


def choose_install(parent: QWidget | None, installs: list[Install]) -> Install | None:
    if not installs:
        QMessageBox.information(parent, "Send to HeyGem",
                                "No HeyGem or Wav2Lip install was found. Add its folder in Settings.")
        return None
    if len(installs) == 1:
        return installs[0]
    labels = [f"{i.label} — {i.path}" for i in installs]
    item, ok = QInputDialog.getItem(parent, "Send to HeyGem", "Install:", labels, 0, False)
    return installs[labels.index(item)] if ok else None


def _saved_folders(parent: QWidget | None) -> list[str]:
    settings = getattr(parent, "settings", None)
    return [str(p) for p in (getattr(settings, "heygem_installs", None) or [])]


def send_to_heygem(parent: QWidget | None, path: object, bridge: object = None, *,
                   install_dir: str | os.PathLike | None = None, rel_path: str | None = None,
                   expected_sha256: str | None = None, source: str | None = None,
                   ask: bool = True, show_result: bool = True) -> HandoffJob | None:
    """Start a hand-off with a progress dialog; returns the job (or None when cancelled).

    ``path`` is a file path or a finished task (anything with ``path``, and optionally
    ``sha256``, ``link`` and ``handoff_to``, like the queue's TaskView)."""
    if not isinstance(path, (str, os.PathLike)):
        task = path
        path = getattr(task, "path", None)
        if not path:
            QMessageBox.warning(parent, "Send to HeyGem", "This download has no finished file yet.")
            return None
        expected_sha256 = expected_sha256 or getattr(task, "sha256", None)
        source = source or getattr(task, "link", None)
        target = getattr(task, "handoff_to", None)
        if install_dir is None and target and str(target) != "heygem":
            install_dir = target
    if install_dir is None:
        inst = choose_install(parent, known_installs(_saved_folders(parent))) if ask else None
        if inst is None:
            return None
        install_dir = inst.path
    job = HandoffJob(path, install_dir, rel_path, expected_sha256=expected_sha256, source=source,
                     parent=parent)
    dlg = QProgressDialog(f"Sending {Path(path).name} to {Path(install_dir).name}…", None, 0, 1000, parent)
    dlg.setWindowTitle("Send to HeyGem")
    dlg.setMinimumDuration(400)
    dlg.setAutoClose(True)
    job.dialog = dlg

    def on_progress(phase: str, done: int, total: int) -> None:
        dlg.setLabelText(f"{_PHASES.get(phase, phase)} {Path(path).name}…")
        dlg.setValue(int(1000 * done / total) if total else 1000)

    def on_finished(res: HandoffResult) -> None:
        dlg.setValue(1000)
        dlg.close()
        if show_result:
            QMessageBox.information(parent, "Send to HeyGem", res.message())

    def on_failed(msg: str) -> None:
        dlg.close()
        if show_result:
            QMessageBox.warning(parent, "Send to HeyGem", msg)

    job.progress.connect(on_progress)
    job.finished.connect(on_finished)
    job.failed.connect(on_failed)
    job.start()
    return job
