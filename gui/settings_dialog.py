"""Settings: folders, concurrency, connections, speed limits, proxy, HeyGem installs,
language, behaviour. Edits a copy of the core's Settings; ``applied`` carries the new one."""

from __future__ import annotations

import copy
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from core.app import settings_problems
from core.paths import default_download_dir

from . import i18n, icons, prefs

KIB = 1024


def _valid_proxy(text: str) -> bool:
    if not text:
        return True
    from urllib.parse import urlsplit
    try:
        u = urlsplit(text)
        return u.scheme in ("http", "https", "socks5", "socks5h", "socks4") and bool(u.hostname) and \
            (u.port is None or 0 < u.port < 65536)
    except ValueError:
        return False


class SettingsDialog(QDialog):
    applied = Signal(object)

    def __init__(self, parent: QWidget | None, settings: Any, bridge: Any = None):
        super().__init__(parent)
        self.setObjectName("SettingsDialog")
        self.setWindowIcon(icons.app_icon())
        self.original = settings
        self.settings = copy.deepcopy(settings)
        lay = QVBoxLayout(self)
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #c0392b;")
        lay.addWidget(self.problem)
        self.tabs = QTabWidget()
        lay.addWidget(self.tabs, 1)
        g = prefs.get
        s = self.settings

        # downloads
        w1 = QWidget()
        f1 = QFormLayout(w1)
        row = QHBoxLayout()
        self.download_dir = QLineEdit(prefs.download_dir(s))
        self.download_dir.setObjectName("download_dir")
        self.browse = QPushButton(icons.icon("folder"), "")
        self.browse.clicked.connect(self._browse)
        row.addWidget(self.download_dir, 1)
        row.addWidget(self.browse)
        self.l_dir = QLabel()
        f1.addRow(self.l_dir, row)
        self.max_active = QSpinBox()
        self.max_active.setObjectName("max_active")
        self.max_active.setRange(1, 50)
        self.max_active.setValue(int(g(s, "max_active", 3)))
        self.l_active = QLabel()
        f1.addRow(self.l_active, self.max_active)
        self.per_host = QSpinBox()
        self.per_host.setObjectName("per_host")
        self.per_host.setRange(1, 50)
        self.per_host.setValue(int(g(s, "per_host", 4)))
        self.l_host = QLabel()
        f1.addRow(self.l_host, self.per_host)
        self.connections = QSpinBox()
        self.connections.setObjectName("connections")
        self.connections.setRange(0, 64)
        self.connections.setValue(int(g(s, "connections", 0) or 0))
        self.l_conn = QLabel()
        f1.addRow(self.l_conn, self.connections)
        self.host_connections = QSpinBox()
        self.host_connections.setObjectName("host_connections")
        self.host_connections.setRange(1, 256)
        self.host_connections.setValue(int(g(s, "host_connections", 16)))
        self.l_hconn = QLabel()
        f1.addRow(self.l_hconn, self.host_connections)
        self.max_retries = QSpinBox()
        self.max_retries.setObjectName("max_retries")
        self.max_retries.setRange(0, 100)
        self.max_retries.setValue(int(g(s, "max_retries", 5)))
        self.l_retries = QLabel()
        f1.addRow(self.l_retries, self.max_retries)
        self.global_limit = QSpinBox()
        self.global_limit.setObjectName("global_limit")
        self.global_limit.setRange(0, 10 * 1024 * 1024)
        self.global_limit.setSingleStep(256)
        self.global_limit.setValue(int(float(g(s, "global_limit", 0) or 0) // KIB))
        self.l_limit = QLabel()
        f1.addRow(self.l_limit, self.global_limit)
        self.proxy = QLineEdit(str(g(s, "proxy", "") or ""))
        self.proxy.setObjectName("proxy")
        self.proxy.textChanged.connect(self._validate)
        self.l_proxy = QLabel()
        f1.addRow(self.l_proxy, self.proxy)
        self.tabs.addTab(w1, "")

        # HeyGem
        w2 = QWidget()
        v2 = QVBoxLayout(w2)
        self.heygem_hint = QLabel()
        self.heygem_hint.setWordWrap(True)
        v2.addWidget(self.heygem_hint)
        self.installs = QListWidget()
        self.installs.setObjectName("heygem_installs")
        self.installs.addItems([str(x) for x in g(s, "heygem_installs", [])])
        v2.addWidget(self.installs, 1)
        r2 = QHBoxLayout()
        self.add_install = QPushButton(icons.icon("add"), "")
        self.add_install.clicked.connect(self._add_install)
        self.del_install = QPushButton(icons.icon("remove"), "")
        self.del_install.clicked.connect(self._del_install)
        self.detect_btn = QPushButton(icons.icon("search"), "")
        self.detect_btn.clicked.connect(self._detect)
        r2.addWidget(self.add_install)
        r2.addWidget(self.del_install)
        r2.addWidget(self.detect_btn)
        r2.addStretch(1)
        v2.addLayout(r2)
        self.tabs.addTab(w2, "")
        self.bridge = bridge if bridge is not None else getattr(parent, "bridge", None)
        self.detect_btn.setEnabled(self.bridge is not None)     # detection runs in the core's worker

        # interface
        w3 = QWidget()
        f3 = QFormLayout(w3)
        self.language = QComboBox()
        self.language.setObjectName("language")
        for code in ("", "en", "zh_CN"):
            self.language.addItem("", code)
        cur = str(g(s, "language", "") or "")
        self.language.setCurrentIndex(max(0, self.language.findData(cur)))
        self.l_lang = QLabel()
        f3.addRow(self.l_lang, self.language)
        self.close_to_tray = QCheckBox()
        self.close_to_tray.setObjectName("close_to_tray")
        self.close_to_tray.setChecked(bool(g(s, "close_to_tray", False)))
        f3.addRow("", self.close_to_tray)
        self.watch_clipboard = QCheckBox()
        self.watch_clipboard.setObjectName("watch_clipboard")
        self.watch_clipboard.setChecked(bool(g(s, "watch_clipboard", False)))
        f3.addRow("", self.watch_clipboard)
        self.notify = QCheckBox()
        self.notify.setObjectName("notify")
        self.notify.setChecked(bool(g(s, "notify", True)))
        f3.addRow("", self.notify)
        self.tabs.addTab(w3, "")

        from .browser_rpc import RpcSettingsTab
        self.rpc_tab = RpcSettingsTab(bridge)
        self.tabs.addTab(self.rpc_tab, "")

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self._ok)
        self.buttons.rejected.connect(self.reject)
        lay.addWidget(self.buttons)
        self.retranslate()
        if settings is None:
            self.tabs.setEnabled(False)
            self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(False)
            self.problem.setText(self.tr("Settings cannot be loaded in this build."))
        self.resize(560, 440)

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Settings"))
        self.tabs.setTabText(0, self.tr("Downloads"))
        self.tabs.setTabText(1, self.tr("HeyGem"))
        self.tabs.setTabText(2, self.tr("Interface"))
        self.tabs.setTabText(3, self.tr("Browser"))
        self.rpc_tab.retranslate()
        self.l_dir.setText(self.tr("Download folder:"))
        self.browse.setText(self.tr("Browse…"))
        self.l_active.setText(self.tr("Downloads at once:"))
        self.l_host.setText(self.tr("Downloads per host:"))
        self.l_conn.setText(self.tr("Connections per download:"))
        self.connections.setSpecialValueText(self.tr("Automatic"))
        self.l_limit.setText(self.tr("Total speed limit:"))
        self.l_hconn.setText(self.tr("Connections per host:"))
        self.l_retries.setText(self.tr("Automatic retries:"))
        self.global_limit.setSpecialValueText(self.tr("Unlimited"))
        self.global_limit.setSuffix(self.tr(" KiB/s"))
        self.l_proxy.setText(self.tr("Proxy:"))
        self.proxy.setPlaceholderText(self.tr("none, or http://host:port, socks5://host:port"))
        self.heygem_hint.setText(self.tr("HeyGem / Wav2Lip installs that finished models can be handed off to."))
        self.add_install.setText(self.tr("Add folder…"))
        self.del_install.setText(self.tr("Remove"))
        self.detect_btn.setText(self.tr("Find installs"))
        self.l_lang.setText(self.tr("Language:"))
        self.language.setItemText(0, self.tr("System default"))
        self.language.setItemText(1, i18n.LANGUAGES["en"])
        self.language.setItemText(2, i18n.LANGUAGES["zh_CN"])
        self.close_to_tray.setText(self.tr("Closing the window keeps Zhilian running in the tray"))
        self.watch_clipboard.setText(self.tr("Offer copied links for download (watch the clipboard)"))
        self.notify.setText(self.tr("Show notifications"))

    def _browse(self) -> None:
        d = QFileDialog.getExistingDirectory(self, self.tr("Download folder"), self.download_dir.text())
        if d:
            self.download_dir.setText(d)

    def _add_install(self) -> None:
        d = QFileDialog.getExistingDirectory(self, self.tr("HeyGem / Wav2Lip folder"))
        if d:
            self.add_install_path(d)

    def add_install_path(self, path: str) -> None:
        existing = {self.installs.item(i).text() for i in range(self.installs.count())}
        if path not in existing:
            self.installs.addItem(path)

    def _del_install(self) -> None:
        for it in self.installs.selectedItems():
            self.installs.takeItem(self.installs.row(it))

    def _detect(self) -> None:
        """Searches the usual places for installs, off the GUI thread (the facade's worker)."""
        def found(result: Any) -> None:
            self.detect_btn.setEnabled(True)
            installs = result[0] if isinstance(result, tuple) else result
            for inst in installs:
                self.add_install_path(str(getattr(inst, "path", inst)))
            if not installs:
                self.problem.setText(self.tr("No HeyGem or Wav2Lip install found in the usual places."))

        def failed(msg: str) -> None:
            self.detect_btn.setEnabled(True)
            self.problem.setText(msg)

        if self.bridge is None:
            return
        self.detect_btn.setEnabled(False)
        self.bridge.core.heygem_detect([], search_common=True, on_done=found, on_error=failed)

    def _validate(self) -> bool:
        ok = _valid_proxy(self.proxy.text().strip())
        self.problem.setText("" if ok else self.tr("The proxy must look like http://host:port or socks5://host:port"))
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(ok)
        return ok

    def values(self) -> dict[str, Any]:
        folder = self.download_dir.text().strip()
        if folder == str(default_download_dir()):
            folder = ""          # keep following the system's Downloads folder
        return {
            "download_dir": folder,
            "max_active": self.max_active.value(),
            "per_host": self.per_host.value(),
            "connections": self.connections.value(),
            "host_connections": self.host_connections.value(),
            "max_retries": self.max_retries.value(),
            "global_limit": self.global_limit.value() * KIB,
            "proxy": self.proxy.text().strip(),
            "heygem_installs": [self.installs.item(i).text() for i in range(self.installs.count())],
            "language": self.language.currentData() or "",
            "close_to_tray": self.close_to_tray.isChecked(),
            "watch_clipboard": self.watch_clipboard.isChecked(),
            "notify": self.notify.isChecked(),
        }

    def result_settings(self) -> Any:
        s = copy.deepcopy(self.original)
        for k, v in self.values().items():
            if hasattr(s, k):
                setattr(s, k, v)
        if hasattr(s, "load_error"):
            s.load_error = None
        return s

    def problems(self, settings: Any) -> list[str]:
        return settings_problems(settings)

    def _ok(self) -> None:
        if not self._validate():
            return
        result = self.result_settings()
        bad = self.problems(result)
        if bad:
            self.problem.setText("; ".join(bad))
            return
        rpc_problem = self.rpc_tab.apply()
        if rpc_problem:
            self.problem.setText(rpc_problem)
            return
        self.applied.emit(result)
        self.accept()
