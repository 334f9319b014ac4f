""""Share link" dialog (link + copy button + QR code) and the list of active shares.

Both talk to core only through ``core.share.ShareAPI`` (passed in as ``share_api``):
    ShareDialog(parent, file_path, share_api).exec()
    SharesListWidget(share_api, parent)      # embeddable list with copy / revoke
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core.invocation import command

EXPIRY_CHOICES = [("1h", "1 hour"), ("24h", "24 hours"), ("7d", "7 days"), ("30d", "30 days"),
                  ("never", "Never")]


def _human(n: float) -> str:
    from core.errors import human_bytes
    return human_bytes(n)


def _when(ts: float) -> str:
    from core.share.limits import when_text  # never fails on an out-of-range stored value
    return when_text(ts, never="—")


class SharesListWidget(QWidget):
    """Active shares with copy-link and revoke; ``refresh()`` reloads from the store."""

    revoked = Signal(str)
    COLUMNS = ("Name", "State", "Expires", "Downloads", "Sent", "Protection")

    def __init__(self, share_api: Any, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("SharesListWidget")
        self.api = share_api
        self._links: list[Any] = []
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.table = QTableWidget(0, len(self.COLUMNS))
        self.table.setHorizontalHeaderLabels([self.tr(c) for c in self.COLUMNS])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        lay.addWidget(self.table)
        row = QHBoxLayout()
        self.show_all = QCheckBox(self.tr("Show expired and revoked"))
        self.show_all.toggled.connect(self.refresh)
        self.copy_btn = QPushButton(self.tr("Copy link"))
        self.copy_btn.clicked.connect(self.copy_selected)
        self.revoke_btn = QPushButton(self.tr("Revoke"))
        self.revoke_btn.clicked.connect(self.revoke_selected)
        self.refresh_btn = QPushButton(self.tr("Refresh"))
        self.refresh_btn.clicked.connect(self.refresh)
        row.addWidget(self.show_all)
        row.addStretch(1)
        for b in (self.copy_btn, self.revoke_btn, self.refresh_btn):
            row.addWidget(b)
        lay.addLayout(row)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.hide()
        lay.addWidget(self.message)
        self.refresh()

    def links(self) -> list[Any]:
        return list(self._links)

    def refresh(self) -> None:
        from core.errors import ZhilianError
        try:
            self._links = self.api.list(include_inactive=self.show_all.isChecked())
            self.message.hide()
        except ZhilianError as e:          # no keyring: list rows without links
            from core.share import ShareLink
            self._links = [ShareLink(s, "") for s in
                           self.api.store.list(include_inactive=self.show_all.isChecked())]
            self.message.setText(str(e))
            self.message.show()
        now = time.time()
        self.table.setRowCount(len(self._links))
        for r, link in enumerate(self._links):
            s = link.share
            prot = []
            if s.has_password:
                prot.append(self.tr("password"))
            if s.limit_bps:
                prot.append(f"≤ {_human(s.limit_bps)}/s")
            cells = (s.name, self.tr(s.state(now)), _when(s.expires) if s.expires else self.tr("never"),
                     str(s.downloads), _human(s.bytes_sent), ", ".join(prot))
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if c == 0:
                    item.setData(Qt.ItemDataRole.UserRole, s.id)
                    item.setToolTip(s.path)
                self.table.setItem(r, c, item)
        self._update_buttons()

    def _selected(self) -> list[Any]:
        rows = sorted({i.row() for i in self.table.selectedIndexes()})
        return [self._links[r] for r in rows if r < len(self._links)]

    def _update_buttons(self) -> None:
        sel = self._selected()
        self.copy_btn.setEnabled(len(sel) == 1 and bool(sel[0].url))
        self.revoke_btn.setEnabled(any(not link.share.revoked for link in sel))

    def select_share(self, share_id: str) -> None:
        for r, link in enumerate(self._links):
            if link.id == share_id:
                self.table.selectRow(r)
                return

    def copy_selected(self) -> None:
        sel = self._selected()
        if len(sel) == 1 and sel[0].url:
            QGuiApplication.clipboard().setText(sel[0].url)

    def revoke_selected(self) -> None:
        for link in self._selected():
            if not link.share.revoked:
                self.api.revoke(link.id)
                self.revoked.emit(link.id)
        self.refresh()


class ShareDialog(QDialog):
    """Share one file: choose expiry / password / speed cap, get link + QR code."""

    def __init__(self, parent: QWidget | None, file_path: str | Path, share_api: Any):
        super().__init__(parent)
        self.setObjectName("ShareDialog")
        self.api = share_api
        self.file_path = Path(file_path)
        self.link: Any = None
        self.setWindowTitle(self.tr("Share link — {name}").replace("{name}", self.file_path.name))
        lay = QVBoxLayout(self)

        form = QFormLayout()
        self.file_label = QLabel(str(self.file_path))
        self.file_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form.addRow(self.tr("File:"), self.file_label)
        self.expires = QComboBox()
        for value, label in EXPIRY_CHOICES:
            self.expires.addItem(self.tr(label), value)
        self.expires.setCurrentIndex(1)
        form.addRow(self.tr("Link works for:"), self.expires)
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText(self.tr("optional"))
        from core.share.limits import MAX_PASSWORD_CHARS
        self.password.setMaxLength(MAX_PASSWORD_CHARS)
        form.addRow(self.tr("Password:"), self.password)
        self.limit = QSpinBox()
        self.limit.setRange(0, 10_000_000)
        self.limit.setSuffix(" KiB/s")
        self.limit.setSpecialValueText(self.tr("no limit"))
        form.addRow(self.tr("Speed cap:"), self.limit)
        self.lan = QCheckBox(self.tr("Allow devices on my local network (phones, other PCs)"))
        self.lan.setChecked(bool(self.api.config.lan))
        self.lan.toggled.connect(self._lan_toggled)
        form.addRow("", self.lan)
        lay.addLayout(form)

        self.create_btn = QPushButton(self.tr("Create link"))
        self.create_btn.setDefault(True)
        self.create_btn.clicked.connect(self.create_link)
        lay.addWidget(self.create_btn)

        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b00020")
        self.error.hide()
        lay.addWidget(self.error)
        self.session_btn = QPushButton(self.tr("Use a session-only secret (links stop working when "
                                               "the app closes)"))
        self.session_btn.clicked.connect(self._use_session_secret)
        self.session_btn.hide()
        lay.addWidget(self.session_btn)

        link_row = QHBoxLayout()
        self.url = QLineEdit()
        self.url.setReadOnly(True)
        self.url.setPlaceholderText(self.tr("the link appears here"))
        self.copy_btn = QPushButton(self.tr("Copy"))
        self.copy_btn.setEnabled(False)
        self.copy_btn.clicked.connect(self.copy_link)
        link_row.addWidget(self.url, 1)
        link_row.addWidget(self.copy_btn)
        lay.addLayout(link_row)
        self.qr = QLabel()
        self.qr.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.qr.setMinimumHeight(120)
        lay.addWidget(self.qr)

        server_row = QHBoxLayout()
        self.server_status = QLabel()
        self.server_status.setWordWrap(True)
        self.start_btn = QPushButton(self.tr("Start sharing server"))
        self.start_btn.clicked.connect(self.start_server)
        server_row.addWidget(self.server_status, 1)
        server_row.addWidget(self.start_btn)
        lay.addLayout(server_row)

        lay.addWidget(QLabel(self.tr("Active shares")))
        self.shares = SharesListWidget(self.api, self)
        self.shares.revoked.connect(self._on_revoked)
        lay.addWidget(self.shares, 1)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)
        self._update_server_status()
        self.resize(620, 640)

    # -- actions --
    def create_link(self) -> None:
        from core.errors import NoKeyring, ZhilianError
        self.error.hide()
        try:
            self.link = self.api.create(self.file_path, expires=self.expires.currentData(),
                                        password=self.password.text() or None,
                                        limit_bps=self.limit.value() * 1024)
        except NoKeyring as e:
            self._show_error(str(e))
            self.session_btn.show()
            return
        except ZhilianError as e:
            self._show_error(str(e))
            return
        self.password.clear()
        self._show_link()
        self._refresh_list()

    def _show_link(self) -> None:
        if self.link is None:
            return
        url = self.api.url_for(self.link.share)
        self.url.setText(url)
        self.copy_btn.setEnabled(True)
        pix = QPixmap()
        pix.loadFromData(self.api.qr_png(url, scale=4), "PNG")
        self.qr.setPixmap(pix)
        self.qr.setToolTip(url)

    def copy_link(self) -> None:
        if self.url.text():
            QGuiApplication.clipboard().setText(self.url.text())

    def start_server(self) -> None:
        from core.errors import NoKeyring, ZhilianError
        try:
            self.api.start_server()
        except NoKeyring as e:
            self._show_error(str(e))
            self.session_btn.show()
        except ZhilianError as e:
            self._show_error(str(e))
        self._update_server_status()
        self._show_link()
        self._refresh_list()

    def _refresh_list(self) -> None:
        self.shares.refresh()
        if self.link is not None:
            self.shares.select_share(self.link.id)

    def _use_session_secret(self) -> None:
        from core.share import use_session_secret
        use_session_secret()
        self.session_btn.hide()
        self.error.hide()
        self.create_link()

    def _lan_toggled(self, on: bool) -> None:
        from core.share import save_config
        self.api.config.lan = on
        try:
            save_config(self.api.config)
        except OSError as e:
            self._show_error(self.tr("Settings not saved: ") + str(e))
        if self.api.serving_here():          # restart our server on the new address
            self.api.stop_server()
            self.start_server()
        self._update_server_status()
        self._show_link()
        self._refresh_list()

    def _on_revoked(self, share_id: str) -> None:
        if self.link is not None and self.link.id == share_id:
            self.url.clear()
            self.qr.clear()
            self.copy_btn.setEnabled(False)

    # -- display --
    def _show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()

    def _update_server_status(self) -> None:
        running = self.api.server_running()
        base = self.api.link_base()
        if running:
            where = (self.tr("your local network") if self.api.config.lan
                     else self.tr("this computer only"))
            self.server_status.setText(self.tr("Sharing server running at {base} ({where})")
                                       .replace("{base}", base).replace("{where}", where))
        else:
            self.server_status.setText(self.tr("The sharing server is not running: links work once "
                                               "it is started (here or with `{command}`).")
                                       .replace("{command}", command("serve")))
        self.start_btn.setVisible(not running)


__all__ = ["ShareDialog", "SharesListWidget"]
