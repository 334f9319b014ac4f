"""Browser hand-off in the desktop app: the aria2-compatible RPC runs with the app
(``RpcControl``, on the core loop) and Settings has a "Browser" tab for it
(``RpcSettingsTab``: on/off, port, the secret with a copy button, allowed web origins
and folders).  The core side is core/rpc; see docs/browser.md."""

from __future__ import annotations

import dataclasses
from typing import Any, Callable

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
    """Starts, restarts and stops the app's RPC server; ``changed`` after each of them."""

    changed = Signal()

    def __init__(self, bridge: Any, parent: QObject | None = None):
        super().__init__(parent)
        self.bridge = bridge
        self.server: Any = None
        self.error: str | None = None
        bridge.rpc = self
        bridge.cleanups.append(self._stop)

    @property
    def port(self) -> int | None:
        return self.server.port if self.server is not None else None

    def start(self) -> None:
        """With the app: serves the RPC when the settings say so (the default)."""
        self.bridge.submit(self._restart, None, on_done=self._started, on_error=self._failed)

    def apply(self, config: Any) -> None:
        """New settings: a new port or on/off restarts the server, the rest applies at once."""
        server = self.server
        if server is not None and config.enabled and config.port == server.config.port:
            self.bridge.submit(server.reconfigure, config, on_done=lambda _: self.changed.emit(),
                               on_error=self._failed)
        else:
            self.bridge.submit(self._restart, config, on_done=self._started, on_error=self._failed)

    def set_secret(self, secret: str) -> None:
        """A new secret (already in the keyring) for the running server, at once."""
        if self.server is not None:
            self.bridge.submit(self.server.reconfigure, self.server.config, secret, on_error=self._failed)

    async def _restart(self, config: Any) -> Any:
        import asyncio

        from core.rpc.config import load_config
        from core.rpc.server import start_rpc
        await self._stop()
        cfg = config or await asyncio.to_thread(load_config)
        if not cfg.enabled:
            return None
        return await start_rpc(self.bridge.app, config=cfg)

    async def _stop(self) -> None:
        server, self.server = self.server, None
        if server is not None:
            await server.stop()

    def _started(self, server: Any) -> None:
        self.server, self.error = server, None
        self.changed.emit()

    def _failed(self, message: str) -> None:
        self.error = message
        self.changed.emit()


class RpcSettingsTab(QWidget):
    """The "Browser" tab of Settings; ``apply()`` saves rpc.json and updates the server."""

    def __init__(self, bridge: Any = None, parent: QWidget | None = None):
        super().__init__(parent)
        from core.rpc.config import load_config
        self.bridge = bridge
        self.control: RpcControl | None = getattr(bridge, "rpc", None)
        self.config = load_config()
        self.secret = ""
        self.kept = True
        self.new_secret: str | None = None
        form = QFormLayout(self)
        self.enabled = QCheckBox()
        self.enabled.setObjectName("rpc_enabled")
        self.enabled.setChecked(self.config.enabled)
        form.addRow("", self.enabled)
        self.port = QSpinBox()
        self.port.setObjectName("rpc_port")
        self.port.setRange(0, 65535)
        self.port.setValue(self.config.port)
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
        self.origins = QPlainTextEdit("\n".join(self.config.allowed_origins))
        self.origins.setObjectName("rpc_origins")
        self.origins.setMaximumHeight(70)
        self.l_origins = QLabel()
        self.l_origins.setWordWrap(True)
        form.addRow(self.l_origins, self.origins)
        self.dirs = QPlainTextEdit("\n".join(self.config.allowed_dirs))
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
        from core.rpc.config import get_secret
        job: Callable[[], Any] = lambda: get_secret(self.config, renew=renew)  # noqa: E731
        if self.bridge is not None:
            self.bridge.run_blocking(job, on_done=lambda info: self._got_secret(info, renew),
                                     on_error=lambda msg: isValid(self) and self.status.setText(msg))
        else:
            self._got_secret(job(), renew)

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
        lines = lambda w: [x.strip() for x in w.toPlainText().splitlines() if x.strip()]  # noqa: E731
        return dataclasses.replace(self.config, enabled=self.enabled.isChecked(), port=self.port.value(),
                                   allowed_origins=lines(self.origins), allowed_dirs=lines(self.dirs))

    def apply(self) -> str | None:
        """Saves and applies; returns a problem to show instead, or None."""
        from core.rpc.config import RpcConfigError, save_config
        cfg = self.result_config()
        try:
            save_config(cfg)
        except (RpcConfigError, OSError) as e:
            return str(e)
        self.config = cfg
        if self.control is not None:
            self.control.apply(cfg)
        return None
