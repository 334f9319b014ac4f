"""Browser hand-off in the desktop app: the aria2-compatible RPC runs with the app
(``RpcControl``, on the core loop) and Settings has a "Browser" tab for it
(``RpcSettingsTab``: on/off, port, the secret with a copy button, allowed web origins
and folders).  The core side is core/rpc; see docs/browser.md."""

from __future__ import annotations

import dataclasses
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)
from shiboken6 import isValid


class RpcControl(QObject):
    """Starts, restarts and stops the app's RPC server (``App.rpc_*`` on the core loop);
    ``changed`` after each of them."""

    changed = Signal()

    def __init__(self, bridge: Any, parent: QObject | None = None):
        super().__init__(parent)
        self.bridge = bridge
        self.port: int | None = None
        self.error: str | None = None
        bridge.rpc = self
        bridge.cleanups.append(self._stop)

    def start(self) -> None:
        """With the app: serves the RPC when the settings say so (the default)."""
        self.bridge.core.rpc_serve(None, on_done=self._started, on_error=self._failed)

    def apply(self, config: Any) -> None:
        """New settings (saved by the core first): a new port or on/off restarts the
        server, the rest applies at once."""
        self.bridge.core.rpc_apply(config, on_done=self._started, on_error=self._failed)

    def set_secret(self, secret: str) -> None:
        """A new secret (already in the keyring) for the running server, at once."""
        if self.port is not None:
            self.bridge.core.rpc_set_secret(secret, on_error=self._failed)

    async def _stop(self) -> None:
        """Before the queue closes (on the core loop)."""
        if self.bridge.app is not None:
            await self.bridge.app.rpc_stop()

    def _started(self, state: Any) -> None:
        self.port, self.error = state.port, None
        self.changed.emit()

    def _failed(self, message: str) -> None:
        self.error = message
        self.changed.emit()


class RpcSettingsTab(QWidget):
    """The "Browser" tab of Settings; ``apply()`` saves rpc.json and updates the server."""

    def __init__(self, bridge: Any = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.bridge = bridge
        self.control: RpcControl | None = getattr(bridge, "rpc", None)
        self.config: Any = None          # core.rpc.config.RpcConfig, read by the core
        self.secret = ""
        self.kept = True
        self.new_secret: str | None = None
        form = QFormLayout(self)
        self.enabled = QCheckBox()
        self.enabled.setObjectName("rpc_enabled")
        form.addRow("", self.enabled)
        self.port = QSpinBox()
        self.port.setObjectName("rpc_port")
        self.port.setRange(0, 65535)
        self.l_port = QLabel()
        form.addRow(self.l_port, self.port)
        row = QHBoxLayout()
        self.secret_edit = QLineEdit()
        self.secret_edit.setObjectName("rpc_secret")
        self.secret_edit.setReadOnly(True)
        self.secret_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.show_btn = QPushButton()
        self.show_btn.setCheckable(True)
        self.show_btn.toggled.connect(self._show_secret)
        self.copy_btn = QPushButton()
        self.copy_btn.setObjectName("rpc_copy")
        self.copy_btn.clicked.connect(self.copy_secret)
        self.new_btn = QPushButton()
        self.new_btn.clicked.connect(self._renew)
        for w in (self.secret_edit, self.show_btn, self.copy_btn, self.new_btn):
            row.addWidget(w, 1 if w is self.secret_edit else 0)
        self.l_secret = QLabel()
        form.addRow(self.l_secret, row)
        self.status = QLabel()
        self.status.setObjectName("rpc_status")
        self.status.setWordWrap(True)
        form.addRow("", self.status)
        self.origins = QPlainTextEdit()
        self.origins.setObjectName("rpc_origins")
        self.origins.setMaximumHeight(70)
        self.l_origins = QLabel()
        self.l_origins.setWordWrap(True)
        form.addRow(self.l_origins, self.origins)
        self.dirs = QPlainTextEdit()
        self.dirs.setObjectName("rpc_dirs")
        self.dirs.setMaximumHeight(70)
        self.add_dir = QPushButton()
        self.add_dir.clicked.connect(self._add_dir)
        self.l_dirs = QLabel()
        self.l_dirs.setWordWrap(True)
        form.addRow(self.l_dirs, self.dirs)
        form.addRow("", self.add_dir)
        self.retranslate()
        if self.control is not None:
            self.control.changed.connect(self._show_status)
        self.setEnabled(False)           # until the settings are read
        if bridge is not None:
            bridge.core.rpc_config(on_done=self._got_config,
                                   on_error=lambda msg: isValid(self) and self.status.setText(msg))

    def _got_config(self, config: Any) -> None:
        if not isValid(self):            # the dialog was closed meanwhile
            return
        self.config = config
        self.enabled.setChecked(config.enabled)
        self.port.setValue(config.port)
        self.origins.setPlainText("\n".join(config.allowed_origins))
        self.dirs.setPlainText("\n".join(config.allowed_dirs))
        self.setEnabled(True)
        self._load_secret()

    def retranslate(self) -> None:
        self.enabled.setText(self.tr("Accept downloads from browser tools and aria2 clients (this computer only)"))
        self.l_port.setText(self.tr("RPC port:"))
        self.port.setSpecialValueText(self.tr("Any free port"))
        self.l_secret.setText(self.tr("Secret:"))
        self.show_btn.setText(self.tr("Show"))
        self.copy_btn.setText(self.tr("Copy"))
        self.new_btn.setText(self.tr("New secret"))
        self.l_origins.setText(self.tr("Web pages allowed to call (one origin per line, e.g. AriaNg):"))
        self.origins.setPlaceholderText("http://localhost:8080")
        self.l_dirs.setText(self.tr("Folders a client may save to, besides the download folder:"))
        self.add_dir.setText(self.tr("Add folder…"))
        self._show_status()

    # -- secret ---------------------------------------------------------------------
    def _load_secret(self, renew: bool = False) -> None:
        if self.bridge is not None and self.config is not None:
            self.bridge.core.rpc_secret(self.config, renew, on_done=lambda info: self._got_secret(info, renew),
                                        on_error=lambda msg: isValid(self) and self.status.setText(msg))

    def _got_secret(self, info: Any, renewed: bool) -> None:
        if not isValid(self):        # the dialog was closed while the keyring answered
            return
        self.secret = info.secret
        if renewed:
            self.new_secret = info.secret
            if self.control is not None:
                self.control.set_secret(info.secret)
        self.secret_edit.setText(info.secret)
        self.kept = info.kept
        self._show_status()

    def _renew(self) -> None:
        self._load_secret(renew=True)

    def _show_secret(self, on: bool) -> None:
        self.secret_edit.setEchoMode(QLineEdit.EchoMode.Normal if on else QLineEdit.EchoMode.Password)

    def copy_secret(self) -> None:
        if self.secret:
            QGuiApplication.clipboard().setText(self.secret)
            self.status.setText(self.tr("The secret was copied: paste it into the browser tool."))

    def _show_status(self) -> None:
        if not isValid(self):
            return
        c = self.control
        if c is not None and c.error:
            text = self.tr("Not running: %1").replace("%1", c.error)
        elif c is not None and c.port:
            text = self.tr("Running at http://127.0.0.1:%1/jsonrpc").replace("%1", str(c.port))
        else:
            text = self.tr("Not running")
        if self.secret and not self.kept:
            text += " " + self.tr("(no system keyring: the secret changes at every start)")
        self.status.setText(text)

    def _add_dir(self) -> None:
        d = QFileDialog.getExistingDirectory(self, self.tr("Folder a client may save to"))
        if d:
            self.dirs.appendPlainText(d)

    # -- saving ------------------------------------------------------------------------
    def result_config(self) -> Any:
        """The settings as the tab shows them (None while they are being read)."""
        if self.config is None:
            return None
        lines = lambda w: [x.strip() for x in w.toPlainText().splitlines() if x.strip()]  # noqa: E731
        return dataclasses.replace(self.config, enabled=self.enabled.isChecked(), port=self.port.value(),
                                   allowed_origins=lines(self.origins), allowed_dirs=lines(self.dirs))

    def apply(self) -> str | None:
        """Checks the values (returns the problem to show instead, or None), then the core
        saves and applies them; a failure to save shows as the RPC's error."""
        cfg = self.result_config()
        if cfg is None:                  # never read, so nothing was changed
            return None
        try:
            cfg.check()
        except ValueError as e:          # RpcConfigError: one sentence
            return str(e)
        self.config = cfg
        if self.control is not None:
            self.control.apply(cfg)
        elif self.bridge is not None:
            self.bridge.core.rpc_apply(cfg)      # a failure is logged
        return None
