"""Accounts per host: import cookies (Cookie header, cookies.txt, copied cURL), see their
state, remove them. Storage is the system keyring (core.accounts); every keyring call
goes through the facade (``bridge.core.account_*``) and runs off the GUI thread."""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from core.app import account_hosts, normalize_host

from . import icons


class AccountsDialog(QDialog):
    def __init__(self, parent: QWidget | None, bridge: Any):
        super().__init__(parent)
        self.setObjectName("AccountsDialog")
        self.bridge = bridge
        self.statuses: list[Any] = []
        lay = QVBoxLayout(self)
        self.keyring_note = QLabel()
        self.keyring_note.setWordWrap(True)
        self.keyring_note.setStyleSheet("color: #c0392b;")
        self.keyring_note.hide()
        lay.addWidget(self.keyring_note)
        self.session_btn = QPushButton()
        self.session_btn.hide()
        self.session_btn.clicked.connect(self._use_session_only)
        lay.addWidget(self.session_btn)

        self.table = QTableWidget(0, 3)
        self.table.setObjectName("accounts")
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        lay.addWidget(self.table, 1)
        row = QHBoxLayout()
        self.remove_btn = QPushButton(icons.icon("remove"), "")
        self.remove_btn.setObjectName("removeAccount")
        self.remove_btn.clicked.connect(self._remove)
        self.refresh_btn = QPushButton(icons.icon("retry"), "")
        self.refresh_btn.clicked.connect(self.refresh)
        row.addWidget(self.remove_btn)
        row.addWidget(self.refresh_btn)
        row.addStretch(1)
        lay.addLayout(row)

        self.box = QGroupBox()
        form = QFormLayout(self.box)
        self.host = QComboBox()
        self.host.setObjectName("host")
        self.host.setEditable(True)
        for acc, label in account_hosts():
            self.host.addItem(f"{label} ({acc})", acc)
        self.lbl_host = QLabel()
        form.addRow(self.lbl_host, self.host)
        self.cookies = QPlainTextEdit()
        self.cookies.setObjectName("cookies")
        self.lbl_cookies = QLabel()
        form.addRow(self.lbl_cookies, self.cookies)
        self.import_btn = QPushButton(icons.icon("accounts"), "")
        self.import_btn.setObjectName("importCookies")
        self.import_btn.clicked.connect(self._import)
        self.token_btn = QPushButton(icons.icon("accounts"), "")
        self.token_btn.setObjectName("saveToken")
        self.token_btn.clicked.connect(self._save_token)
        btn_row = QHBoxLayout()
        btn_row.addWidget(self.import_btn)
        btn_row.addWidget(self.token_btn)
        btn_row.addStretch(1)
        form.addRow("", btn_row)
        self.result = QLabel()
        self.result.setObjectName("result")
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form.addRow("", self.result)
        lay.addWidget(self.box)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)
        self.table.itemSelectionChanged.connect(self._sel)
        self.retranslate()
        self.resize(640, 520)
        self.pending = 0
        self.refresh()
        self._check_keyring()

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Accounts"))
        self.table.setHorizontalHeaderLabels([self.tr("Host"), self.tr("State"), self.tr("Details")])
        self.remove_btn.setText(self.tr("Remove login"))
        self.refresh_btn.setText(self.tr("Refresh"))
        self.box.setTitle(self.tr("Import a login"))
        self.lbl_host.setText(self.tr("Host:"))
        self.lbl_cookies.setText(self.tr("Cookies:"))
        self.cookies.setPlaceholderText(self.tr(
            "Paste a Cookie header (BDUSS=…; STOKEN=…), a cookies.txt export, or a request copied from the "
            "browser's developer tools as cURL. Cookies are kept in the system keyring."))
        self.import_btn.setText(self.tr("Import"))
        self.token_btn.setText(self.tr("Save as token"))
        self.token_btn.setToolTip(self.tr(
            "Store the pasted text as the host's token instead of cookies: an Aliyun Drive refresh "
            "token, a Kaggle username:key, a Hugging Face or 123pan token."))
        self.session_btn.setText(self.tr("Keep logins for this session only"))

    # -- background calls ------------------------------------------------------------
    def _run(self, call: Any, *args: Any, on_done: Any = None, on_error: Any = None) -> None:
        """``call(*args)``, a facade method of ``bridge.core``; its answer comes back here."""
        self.pending += 1

        def done(v: Any) -> None:
            if not isValid(self):       # the dialog was closed before the answer came
                return
            self.pending -= 1
            if on_done:
                on_done(v)

        def err(m: str) -> None:
            if not isValid(self):
                return
            self.pending -= 1
            (on_error or self._show_error)(m)
        call(*args, on_done=done, on_error=err)

    def _check_keyring(self) -> None:
        def got(ok: bool) -> None:
            if not ok:
                self._run(self.bridge.core.account_session_only, on_done=offer)

        def offer(session_only: bool) -> None:
            if not session_only:
                self.keyring_note.setText(self.tr(
                    "No usable system keyring (Secret Service, Windows Credential Manager or macOS "
                    "Keychain): logins cannot be stored. You can keep them for this session only."))
                self.keyring_note.show()
                self.session_btn.show()
        self._run(self.bridge.core.keyring_available, on_done=got)

    def _use_session_only(self) -> None:
        def done(_on: bool) -> None:
            self.keyring_note.hide()
            self.session_btn.hide()
            self.refresh()
        self._run(self.bridge.core.account_session_only, True, on_done=done)

    def refresh(self) -> None:
        self._run(self.bridge.core.accounts, on_done=self._show)

    def _show(self, statuses: list[Any]) -> None:
        self.statuses = list(statuses)
        self.table.setRowCount(len(self.statuses))
        for i, st in enumerate(self.statuses):
            host = QTableWidgetItem(f"{st.label} ({st.host})" if st.label and st.label != st.host else st.host)
            host.setData(Qt.ItemDataRole.UserRole, st.host)
            state = self.tr("Valid") if st.valid else (self.tr("Expired") if st.expired else self.tr("Incomplete"))
            if st.storage == "session":
                state += " · " + self.tr("this session only")
            detail = self.state_text(st)
            if st.cookie_names:
                detail += " — " + ", ".join(st.cookie_names)
            if st.expires_at:
                detail += " — " + self.tr("expires %1").replace(
                    "%1", time.strftime("%Y-%m-%d", time.localtime(st.expires_at)))
            self.table.setItem(i, 0, host)
            self.table.setItem(i, 1, QTableWidgetItem(state))
            self.table.setItem(i, 2, QTableWidgetItem(detail))
        self._sel()

    def state_text(self, st: Any) -> str:
        """An account's state (core.accounts.AccountStatus ``state`` and its fields) in the
        user's language; the core's English message for a state this window does not know."""
        names = ", ".join(st.missing or st.expired or [])
        state = getattr(st, "state", "")
        if state == "none":
            return self.tr("No login stored")
        if state == "incomplete":
            return self.tr("Login incomplete: missing %1").replace("%1", names)
        if state == "expired":
            return self.tr("Login expired (%1): import fresh cookies").replace("%1", names)
        if state == "empty":
            return self.tr("No cookies stored")
        if state == "valid":
            return self.tr("Login looks valid")       # its expiry has a column part of its own
        if state == "cookies":
            return self.tr("Cookies stored")
        if state == "token":
            return self.tr("Token stored")
        return st.message

    def _sel(self) -> None:
        self.remove_btn.setEnabled(bool(self.table.selectedItems()))

    def selected_host(self) -> str | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        return self.table.item(rows[0].row(), 0).data(Qt.ItemDataRole.UserRole)

    def select_host(self, host: str) -> None:
        """Chooses ``host`` (an account host, or a host one of them covers) for the import."""
        for i in range(self.host.count()):
            acc = str(self.host.itemData(i) or "")
            if acc and (host == acc or host.endswith("." + acc) or acc.endswith("." + host)):
                self.host.setCurrentIndex(i)
                return
        self.host.setEditText(host)

    def host_text(self) -> str:
        i = self.host.currentIndex()
        if i >= 0 and self.host.currentText() == self.host.itemText(i):
            return str(self.host.itemData(i) or self.host.itemText(i))
        return self.host.currentText().strip()

    def _import(self) -> None:
        host, text = self.host_text(), self.cookies.toPlainText()
        if not host or not text.strip():
            self.result.setText(self.tr("Choose the host and paste its cookies first."))
            return

        def done(st: Any) -> None:
            self.cookies.clear()      # the secret does not stay in the widget
            self.result.setText(self.tr("Imported for %1: %2").replace("%1", st.host).replace("%2", self.state_text(st)))
            self.refresh()
        self.import_btn.setEnabled(False)

        def finished(v: Any = None) -> None:
            self.import_btn.setEnabled(True)

        self._run(self.bridge.core.account_import, host, text,
                  on_done=lambda st: (finished(), done(st)),
                  on_error=lambda m: (finished(), self.result.setText(m)))

    def _save_token(self) -> None:
        host, token = self.host_text(), self.cookies.toPlainText().strip()
        if not host or not token:
            self.result.setText(self.tr("Choose the host and paste its token first."))
            return

        def done(_v: Any) -> None:
            self.cookies.clear()      # the secret does not stay in the widget
            self.result.setText(self.tr("Token saved for %1.").replace("%1", normalize_host(host)))
            self.refresh()
        self._run(self.bridge.core.account_token, host, token, on_done=done)

    def _remove(self, confirm: bool = True) -> None:
        host = self.selected_host()
        if host is None:
            return
        if confirm and QMessageBox.question(
                self, self.tr("Remove login"),
                self.tr("Remove the stored login for %1?").replace("%1", host)) != QMessageBox.StandardButton.Yes:
            return
        self._run(self.bridge.core.account_remove, host, on_done=lambda _ok: self.refresh())

    def _show_error(self, message: str) -> None:
        self.result.setText(message)
