""""Share link" dialog (link + copy button + QR code) and the list of active shares.

Both talk to the core only through the facade, ``bridge.core.share_*(…, on_done=…)``
(core/app.py): the share store (SQLite), the keyring and the disk are used in the core's
worker threads, never on the GUI thread. While a call runs its buttons are disabled;
a problem is shown in the user's language (its ErrorKind worded by gui/outcome.py; the
core's one-line message for a kind the window does not word).

The link field shows the link readable (``display_url``: a file name as its letters, not
%E6%A8%A1…); Copy, the QR code and the list's Copy give the link itself, percent-encoded,
which every browser, chat program and phone accepts as it is.
    ShareDialog(parent, file_path, bridge).open()
    SharesListWidget(bridge, parent)      # embeddable list with copy / revoke
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any, Callable
from urllib.parse import unquote, urlsplit

from PySide6.QtCore import QCoreApplication, Qt, Signal
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
from shiboken6 import isValid

from core.invocation import command

from . import fmt, outcome


def display_url(url: str) -> str:
    """``url`` as a person reads it: its path percent-decoded (UTF-8), the rest as it is.
    The encoded form is kept when decoding would show something unprintable or not UTF-8."""
    parts = urlsplit(url)
    try:
        path = unquote(parts.path, errors="strict")
    except UnicodeDecodeError:
        return url
    if not path.isprintable():
        return url
    shown = f"{parts.scheme}://{parts.netloc}{path}" if parts.scheme else path
    return shown + (f"?{parts.query}" if parts.query else "") + (f"#{parts.fragment}" if parts.fragment else "")


def _when(ts: float) -> str:
    """A stored expiry as local time, never failing on an out-of-range value."""
    if not ts:
        return "—"
    try:
        return datetime.datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M")
    except (ValueError, OverflowError, OSError, TypeError):
        return (QCoreApplication.translate("SharesListWidget", "far future") if ts > 0
                else QCoreApplication.translate("SharesListWidget", "invalid"))


class _Calls:
    """Facade calls of one widget: its controls are disabled while any runs (``busy``),
    and an answer that comes after the widget was closed is dropped."""

    def __init__(self, owner: QWidget, bridge: Any, controls: Callable[[], list[QWidget]],
                 on_error: Callable[[str], None], changed: Callable[[], None]):
        self.owner, self.bridge, self.controls = owner, bridge, controls
        self.on_error, self.changed = on_error, changed
        self.running = 0

    @property
    def busy(self) -> bool:
        return self.running > 0

    def __call__(self, method: str, *args: Any, on_done: Callable[[Any], None] | None = None,
                 on_error: Callable[[str], None] | None = None, **kwargs: Any) -> None:
        self.running += 1
        self._show()

        def done(value: Any) -> None:
            if self._end() and on_done is not None:
                on_done(value)

        def failed(message: str) -> None:
            if self._end():
                (on_error or self.on_error)(message)
        getattr(self.bridge.core, method)(*args, on_done=done, on_error=failed, **kwargs)

    def _end(self) -> bool:
        if not isValid(self.owner):
            return False
        self.running -= 1
        self._show()
        return True

    def _show(self) -> None:
        for w in self.controls():
            w.setEnabled(not self.busy)
        self.owner.setCursor(Qt.CursorShape.BusyCursor if self.busy else Qt.CursorShape.ArrowCursor)
        if not self.busy:
            self.changed()


class SharesListWidget(QWidget):
    """Active shares with copy-link and revoke; ``refresh()`` reloads them (in the core)."""

    revoked = Signal(str)
    #: a reload arrived (its rows are shown)
    refreshed = Signal()
    COLUMNS = 6         # name, state, expires, downloads, sent, protection

    def __init__(self, bridge: Any, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("SharesListWidget")
        self.bridge = bridge
        self._rows: list[Any] = []
        self._select: str | None = None
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.table = QTableWidget(0, self.COLUMNS)
        self.table.setHorizontalHeaderLabels([self.tr("Name"), self.tr("State"), self.tr("Expires"),
                                              self.tr("Downloads"), self.tr("Sent"), self.tr("Protection")])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)    # dates and sizes whole
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)           # the name takes the rest
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
        self.calls = _Calls(self, bridge, lambda: [self.show_all, self.refresh_btn], self._show_message,
                            self._update_buttons)
        self.refresh()

    @property
    def busy(self) -> bool:
        return self.calls.busy

    def links(self) -> list[Any]:
        """The rows shown (core.app.ShareRow: id, name, state, url, …)."""
        return list(self._rows)

    def refresh(self, *_: Any) -> None:
        self.calls("share_rows", self.show_all.isChecked(), on_done=self._show_rows)

    def _show_rows(self, shown: Any) -> None:
        self._rows = list(shown.rows)
        if shown.problem:            # no keyring: rows without links, and why
            self._show_message(outcome.problem_text(shown.problem_kind, shown.problem_params, shown.problem))
        else:
            self.message.hide()
        self.table.setRowCount(len(self._rows))
        for r, s in enumerate(self._rows):
            prot = []
            if s.has_password:
                prot.append(self.tr("password"))
            if s.limit_bps:
                prot.append(f"≤ {fmt.speed(s.limit_bps)}")
            cells = (s.name, self.state_text(s.state), _when(s.expires) if s.expires else self.tr("never"),
                     str(s.downloads), fmt.size(s.bytes_sent), self.tr(", ").join(prot))
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if c == 0:
                    item.setData(Qt.ItemDataRole.UserRole, s.id)
                    item.setToolTip(s.path)
                self.table.setItem(r, c, item)
        if self._select is not None:
            self.select_share(self._select)
        self._update_buttons()
        self.refreshed.emit()

    def state_text(self, state: str) -> str:
        """A share's state ('active', 'expired', 'revoked', 'missing') in the user's language."""
        return {"active": self.tr("active"), "expired": self.tr("expired"), "revoked": self.tr("revoked"),
                "missing": self.tr("file missing")}.get(state, state)

    def _show_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.show()

    def _selected(self) -> list[Any]:
        rows = sorted({i.row() for i in self.table.selectedIndexes()})
        return [self._rows[r] for r in rows if r < len(self._rows)]

    def _update_buttons(self) -> None:
        sel = self._selected()
        idle = not self.calls.busy
        self.copy_btn.setEnabled(len(sel) == 1 and bool(sel[0].url))
        self.revoke_btn.setEnabled(idle and any(not s.revoked for s in sel))

    def select_share(self, share_id: str | None) -> None:
        """Selects that share's row, now and after each reload."""
        self._select = share_id
        for r, s in enumerate(self._rows):
            if s.id == share_id:
                self.table.selectRow(r)
                return

    def copy_selected(self) -> None:
        sel = self._selected()
        if len(sel) == 1 and sel[0].url:
            QGuiApplication.clipboard().setText(sel[0].url)

    def revoke_selected(self) -> None:
        self._revoke([s.id for s in self._selected() if not s.revoked])

    def _revoke(self, todo: list[str]) -> None:
        """One share after the other, then the list is reloaded (also after a failure,
        which is shown)."""
        if not todo:
            self.refresh()
            return
        share_id, rest = todo[0], todo[1:]

        def done(_share: Any) -> None:
            self.revoked.emit(share_id)
            self._revoke(rest)

        def failed(message: str) -> None:
            self._show_message(message)
            self.refresh()
        self.calls("share_revoke", share_id, on_done=done, on_error=failed)


class ShareDialog(QDialog):
    """Share one file: choose expiry / password / speed cap, get link + QR code."""

    #: an answer of the core was shown (tests wait on it)
    settled = Signal()

    def __init__(self, parent: QWidget | None, file_path: str | Path, bridge: Any):
        super().__init__(parent)
        self.setObjectName("ShareDialog")
        self.bridge = bridge
        self.file_path = Path(file_path)
        self.link: Any = None           # the ShareRow made here
        self.link_url = ""              # its link (percent-encoded; the field shows it readable)
        self.running = False            # the server runs (last known)
        self.setWindowTitle(self.tr("Share link — {name}").replace("{name}", self.file_path.name))
        lay = QVBoxLayout(self)

        form = QFormLayout()
        self.file_label = QLabel(str(self.file_path))
        self.file_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form.addRow(self.tr("File:"), self.file_label)
        self.expires = QComboBox()
        for value, label in (("1h", self.tr("1 hour")), ("24h", self.tr("24 hours")), ("7d", self.tr("7 days")),
                             ("30d", self.tr("30 days")), ("never", self.tr("Never"))):
            self.expires.addItem(label, value)
        self.expires.setCurrentIndex(1)
        form.addRow(self.tr("Link works for:"), self.expires)
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText(self.tr("optional"))
        form.addRow(self.tr("Password:"), self.password)
        self.limit = QSpinBox()
        self.limit.setRange(0, 10_000_000)
        self.limit.setSuffix(" KiB/s")
        self.limit.setSpecialValueText(self.tr("no limit"))
        form.addRow(self.tr("Speed cap:"), self.limit)
        self.lan = QCheckBox(self.tr("Allow devices on my local network (phones, other PCs)"))
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
        self.shares = SharesListWidget(self.bridge, self)
        self.shares.revoked.connect(self._on_revoked)
        lay.addWidget(self.shares, 1)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)
        self.calls = _Calls(self, bridge, lambda: [self.create_btn, self.start_btn, self.lan, self.session_btn],
                            self._show_error, self.settled.emit)
        self._update_server_status()
        self.resize(620, 640)

    @property
    def busy(self) -> bool:
        """A call of this dialog or of its list is still running."""
        return self.calls.busy or self.shares.busy

    # -- actions --
    def create_link(self) -> None:
        self.error.hide()
        self.calls("share_make", str(self.file_path), expires=self.expires.currentData(),
                   password=self.password.text() or None, limit_bps=self.limit.value() * 1024,
                   on_done=self._made)

    def _made(self, out: Any) -> None:
        if out.error:
            self._show_error(outcome.problem_text(out.error_kind, out.error_params, out.error))
            self.session_btn.setVisible(out.no_keyring)
            return
        self.password.clear()
        self._show_link(out)
        self._refresh_list()

    def _show_link(self, out: Any) -> None:
        if out.error or out.row is None:
            return
        self.link = out.row
        self.link_url = out.url             # what Copy and the QR code give: the link itself
        self.url.setText(display_url(out.url))
        self.url.setCursorPosition(0)       # the host and the start of the path show, not the signature
        self.copy_btn.setEnabled(bool(out.url))
        pix = QPixmap()
        pix.loadFromData(out.qr_png, "PNG")
        self.qr.setPixmap(pix)
        self.qr.setToolTip(display_url(out.url))

    def _reshow_link(self) -> None:
        """The link made here again, for where links point now."""
        if self.link is not None and self.url.text():
            self.calls("share_show", self.link.id, on_done=self._show_link)

    def copy_link(self) -> None:
        if self.url.text() and self.link_url:
            QGuiApplication.clipboard().setText(self.link_url)

    def start_server(self) -> None:
        self.calls("share_serve", on_done=self._served)

    def _served(self, out: Any) -> None:
        if out.error:
            self._show_error(outcome.problem_text(out.error_kind, out.error_params, out.error))
            self.session_btn.setVisible(out.no_keyring)
        self._update_server_status()
        self._reshow_link()
        self._refresh_list()

    def _refresh_list(self) -> None:
        self.shares.select_share(self.link.id if self.link is not None else None)
        self.shares.refresh()

    def _use_session_secret(self) -> None:
        self.session_btn.hide()
        self.error.hide()
        self.calls("share_session_secret", on_done=lambda _: self.create_link())

    def _lan_toggled(self, on: bool) -> None:
        if self._lan_shown == on:          # shown from the settings, not the user's choice
            return
        self._lan_shown = on
        self.calls("share_set_lan", on, on_done=self._lan_set)

    _lan_shown: bool | None = None

    def _lan_set(self, problem: str | None) -> None:
        if problem:
            self._show_error(self.tr("Settings not saved: ") + problem)
        self._update_server_status()
        self._reshow_link()
        self._refresh_list()

    def _on_revoked(self, share_id: str) -> None:
        if self.link is not None and self.link.id == share_id:
            self.link_url = ""
            self.url.clear()
            self.qr.clear()
            self.copy_btn.setEnabled(False)

    # -- display --
    def _show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()

    def _update_server_status(self) -> None:
        self.calls("share_server_state", on_done=self._show_server_state)

    def _show_server_state(self, st: Any) -> None:
        self.running = st.running
        self.password.setMaxLength(st.max_password_chars)
        self._lan_shown = st.lan
        self.lan.setChecked(st.lan)
        if st.running:
            where = self.tr("your local network") if st.lan else self.tr("this computer only")
            self.server_status.setText(self.tr("Sharing server running at {base} ({where})")
                                       .replace("{base}", st.link_base).replace("{where}", where))
        else:
            self.server_status.setText(self.tr("The sharing server is not running: links work once "
                                               "it is started (here or with `{command}`).")
                                       .replace("{command}", command("serve")))
        self.start_btn.setVisible(not st.running)


__all__ = ["ShareDialog", "SharesListWidget"]
