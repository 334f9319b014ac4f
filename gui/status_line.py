"""The main window's status bar: counts by state, total speed, and the global speed
limit (applied through the facade and saved with the settings)."""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QLabel, QSpinBox

from . import fmt, prefs

KIB = 1024


class StatusLine(QObject):
    def __init__(self, window: Any):
        super().__init__(window)
        self.w = window
        self.updated_at = 0.0
        sb = window.statusBar()
        self.counts = QLabel()
        self.speed = QLabel()
        self.speed.setObjectName("totalSpeed")
        self.limit_label = QLabel()
        self.limit = QSpinBox()
        self.limit.setObjectName("globalLimit")
        self.limit.setRange(0, 10 * 1024 * 1024)
        self.limit.setSingleStep(256)
        self.limit.setAccelerated(True)
        self.limit.setKeyboardTracking(False)
        self.limit.setValue(int(prefs.get(window.settings, "global_limit", 0) // KIB))
        self.limit.valueChanged.connect(self._limit_changed)
        sb.addWidget(self.counts, 1)
        for w in (self.speed, self.limit_label, self.limit):
            sb.addPermanentWidget(w)
        self.timer = QTimer(self)             # speeds and counts once a second
        self.timer.setInterval(1000)
        self.timer.timeout.connect(self.update)
        self.timer.start()

    def retranslate(self) -> None:
        self.limit_label.setText(self.tr("Speed limit:"))
        self.limit.setSpecialValueText(self.tr("Unlimited"))
        self.limit.setSuffix(self.tr(" KiB/s"))
        self.limit.setToolTip(self.tr("Total download speed limit (0 = unlimited)"))

    def show_limit(self, bps: int) -> None:
        """Shows the limit the settings give, without applying it again."""
        self.limit.blockSignals(True)
        self.limit.setValue(int(bps // KIB))
        self.limit.blockSignals(False)

    def _limit_changed(self, kib: int) -> None:
        w = self.w
        bps = int(kib * KIB)
        w.core.set_global_limit(bps, on_error=w.show_error)
        if w.settings is not None and hasattr(w.settings, "global_limit"):
            w.settings.global_limit = bps
            prefs.save_settings(w.bridge, w.settings, lambda m: w.statusBar().showMessage(m, 8000))

    def update(self) -> None:
        self.updated_at = time.monotonic()
        w = self.w
        tasks = w.model.all_tasks()
        active = sum(1 for t in tasks if t.state in ("downloading", "resolving", "verifying"))
        waiting = sum(1 for t in tasks if t.state == "queued")
        done = sum(1 for t in tasks if t.state in ("done", "handed_off"))
        failed = sum(1 for t in tasks if t.state == "failed")
        self.counts.setText(self.tr("%1 downloads · %2 active · %3 waiting · %4 done · %5 failed")
                            .replace("%1", str(len(tasks))).replace("%2", str(active))
                            .replace("%3", str(waiting)).replace("%4", str(done)).replace("%5", str(failed)))
        spd = w.model.total_speed()
        self.speed.setText(self.tr("↓ %1").replace("%1", fmt.speed(spd) or fmt.speed(0) or "0 B/s"))
        if w.tray is not None:
            w.tray.set_status(self.tr("%1 active, %2").replace("%1", str(active))
                              .replace("%2", fmt.speed(spd) or "0 B/s"))
