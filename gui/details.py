"""Details of the selected task: live file map, sources, checksum state, log lines."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QPalette, QPixmap
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPlainTextEdit,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from core.errors import ErrorKind

from . import fmt, outcome
from .task_model import task_name
from .widgets import CONN_COLOURS, FileMap


def _swatch(colour: str) -> QPixmap:
    from PySide6.QtGui import QGuiApplication, QPainter
    pm = QPixmap(12, 12)
    pm.fill(QColor(colour))
    p = QPainter(pm)
    p.setPen(QGuiApplication.palette().color(QPalette.ColorRole.Mid))
    p.drawRect(0, 0, 11, 11)
    p.end()
    return pm


class DetailsPane(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.task_id: Any = None
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        self.title = QLabel()
        f = QFont(self.title.font())
        f.setBold(True)
        self.title.setFont(f)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay.addWidget(self.title)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay.addWidget(self.summary)
        self.filemap = FileMap()
        lay.addWidget(self.filemap)
        self.legend = QHBoxLayout()
        self.legend.setSpacing(10)
        lay.addLayout(self.legend)
        self.tabs = QTabWidget()
        lay.addWidget(self.tabs, 1)

        info = QWidget()
        form = QFormLayout(info)
        self.lbl_path = QLabel()
        self.lbl_path.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.lbl_path.setWordWrap(True)
        self.lbl_checksum = QLabel()
        self.lbl_checksum.setWordWrap(True)
        self.lbl_checksum.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.lbl_conns = QLabel()
        self.lbl_handoff = QLabel()
        self.form_labels = [QLabel(), QLabel(), QLabel(), QLabel()]
        form.addRow(self.form_labels[0], self.lbl_path)
        form.addRow(self.form_labels[1], self.lbl_checksum)
        form.addRow(self.form_labels[2], self.lbl_conns)
        form.addRow(self.form_labels[3], self.lbl_handoff)
        self.sources = QListWidget()
        self.log = QPlainTextEdit()
        self.log.setReadOnly(True)
        self.log.setMaximumBlockCount(500)
        self.tabs.addTab(info, "")
        self.tabs.addTab(self.sources, "")
        self.tabs.addTab(self.log, "")
        self.retranslate()
        self.show_task(None, None, [])

    def retranslate(self) -> None:
        self.tabs.setTabText(0, self.tr("General"))
        self.tabs.setTabText(1, self.tr("Sources"))
        self.tabs.setTabText(2, self.tr("Log"))
        self.form_labels[0].setText(self.tr("Saved to:"))
        self.form_labels[1].setText(self.tr("Checksum:"))
        self.form_labels[2].setText(self.tr("Connections:"))
        self.form_labels[3].setText(self.tr("When done:"))

    def _set_legend(self, items: list[tuple[str, str]]) -> None:
        while self.legend.count():
            it = self.legend.takeAt(0)
            if it.widget():
                it.widget().deleteLater()
        for colour, text in items:
            sw = QLabel()
            sw.setPixmap(_swatch(colour))
            self.legend.addWidget(sw)
            self.legend.addWidget(QLabel(text))
        self.legend.addStretch(1)

    def show_task(self, task: Any, progress: Any, log_lines: list[str]) -> None:
        if task is None:
            self.task_id = None
            self.title.setText(self.tr("No download selected"))
            self.summary.setText(self.tr("Select a download to see its file map, sources and log."))
            self.filemap.set_state(None, [], [])
            self._set_legend([])
            self.lbl_path.clear()
            self.lbl_checksum.clear()
            self.lbl_conns.clear()
            self.lbl_handoff.clear()
            self.sources.clear()
            self.log.clear()
            return
        new = task.id != self.task_id
        self.task_id = task.id
        self.title.setText(task_name(task))
        parts = [outcome.state_text(task)]
        if task.size:
            parts.append(self.tr("%1 of %2").replace("%1", fmt.size(task.done or 0)).replace("%2", fmt.size(task.size)))
        if task.state == "downloading" and task.speed:
            parts.append(fmt.speed(task.speed))
            if task.eta is not None:
                parts.append(self.tr("%1 left").replace("%1", fmt.eta(task.eta)))
        text = " · ".join(parts)
        if task.error:
            text += "\n" + outcome.error_text(task)
        self.summary.setText(text)
        self.summary.setStyleSheet("color: #c0392b;" if task.state == "failed" else "")

        complete = task.state in ("done", "handed_off")
        total = task.size or (progress.total if progress is not None else None)
        ranges = progress.done_ranges if progress is not None else []
        conns = progress.connections if (progress is not None and task.state == "downloading") else []
        if not ranges and total and task.done and not conns:
            ranges = [(0, task.done)] if task.done >= total else ranges
        self.filemap.set_state(total, ranges, conns, complete)
        legend = [("#2e9e5b", self.tr("Done")),
                  (self.palette().color(QPalette.ColorRole.Base).name(), self.tr("Missing"))]
        for i, c in enumerate(conns):
            legend.append((CONN_COLOURS[i % len(CONN_COLOURS)],
                           self.tr("#%1 %2").replace("%1", str(i + 1)).replace("%2", fmt.speed(c.speed) or "—")))
        self._set_legend(legend)

        self.lbl_path.setText(task.path or str(task.dest_dir or ""))
        self.lbl_checksum.setText(self._checksum_text(task))
        n_conn = len(conns)
        self.lbl_conns.setText(self.tr("%1 active, up to %2").replace("%1", str(n_conn)).replace(
            "%2", str(task.connections) if task.connections else self.tr("automatic")))
        self.lbl_handoff.setText(self.tr("Hand off to HeyGem") if task.handoff_to else self.tr("Keep the file"))

        sources = list(task.sources or []) or [task.link]
        if new or [self.sources.item(i).text() for i in range(self.sources.count())] != sources:
            self.sources.clear()
            self.sources.addItems(sources)
        text = "\n".join(log_lines)
        if new or self.log.toPlainText() != text:
            self.log.setPlainText(text)
            self.log.verticalScrollBar().setValue(self.log.verticalScrollBar().maximum())

    def _checksum_text(self, task: Any) -> str:
        if not task.sha256:
            if task.state in ("done", "handed_off"):
                return self.tr("No checksum given; size checked")
            return self.tr("No checksum given")
        short = task.sha256[:16] + "…"
        if task.state in ("done", "handed_off"):
            return self.tr("SHA-256 verified (%1)").replace("%1", short)
        if task.state == "verifying":
            return self.tr("Verifying SHA-256 (%1)…").replace("%1", short)
        if task.state == "failed" and task.error_kind is ErrorKind.CHECKSUM:
            return self.tr("SHA-256 mismatch (expected %1)").replace("%1", short)
        return self.tr("SHA-256 to verify: %1").replace("%1", short)
