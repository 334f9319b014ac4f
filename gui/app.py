"""Placeholder window until the queue window lands."""
from __future__ import annotations

import sys


def run_gui(argv: list[str]) -> int:
    from PySide6.QtWidgets import QApplication, QLabel

    app = QApplication.instance() or QApplication(sys.argv[:1])
    w = QLabel("Zhilian (直链)")
    w.setWindowTitle("Zhilian")
    w.resize(480, 200)
    w.show()
    return app.exec()
