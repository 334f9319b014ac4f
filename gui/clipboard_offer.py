"""The clipboard offer: when watching the clipboard is on (Settings) and a link the
queue does not have yet is copied, a bar above the list offers to add it."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton

from core.app import parse_links

from . import icons, prefs


class ClipboardOffer(QFrame):
    # the user chose to add the offered text
    accepted = Signal(str)

    def __init__(self, window: Any):
        super().__init__()
        self.w = window
        self.setObjectName("clipboardOffer")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(8, 4, 8, 4)
        self.label = QLabel()
        self.add_btn = QPushButton(icons.icon("add"), "")
        self.dismiss_btn = QPushButton()
        lay.addWidget(self.label, 1)
        lay.addWidget(self.add_btn)
        lay.addWidget(self.dismiss_btn)
        self.hide()
        self.text = ""
        # texts already offered (or copied from the list itself): never offered (again)
        self.offered: set[str] = set()
        self.add_btn.clicked.connect(self._accept)
        self.dismiss_btn.clicked.connect(self.hide)
        clip = QGuiApplication.clipboard()
        if clip is not None:
            clip.dataChanged.connect(self.clipboard_changed)

    def retranslate(self) -> None:
        self.add_btn.setText(self.tr("Add"))
        self.dismiss_btn.setText(self.tr("Dismiss"))

    def clipboard_changed(self) -> None:
        if not prefs.get(self.w.settings, "watch_clipboard", False):
            return
        text = (QGuiApplication.clipboard().text() or "").strip()
        if not text or text in self.offered or len(text) > 100_000:
            return
        try:
            links = parse_links(text)
        except Exception:  # noqa: BLE001 - not links: nothing to offer
            return
        if not links:
            return
        known = {t.link for t in self.w.model.all_tasks()}
        if all(lk.url in known for lk in links):
            return
        self.offered.add(text)
        self.text = text
        first = links[0].url
        more = len(links) - 1
        label = self.tr("Copied link: %1").replace("%1", first if len(first) < 90 else first[:87] + "…")
        if more:
            label += " " + self.tr("(+%n more)", "", more)
        self.label.setText(label)
        self.show()

    def _accept(self) -> None:
        self.hide()
        self.accepted.emit(self.text)
