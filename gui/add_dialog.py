"""Add dialog: paste many links / share texts; the parsed links and extraction codes are
listed before anything is added; folder, connections, checksum, HeyGem hand-off."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from core.app import include_only, parse_links

from . import dropping, icons

SHA256_LEN = 64


@dataclass
class AddRequest:
    """What the user asked for; the main window turns it into QueueService.add calls."""
    text: str
    manifests: list[Path] = field(default_factory=list)
    dest_dir: str | None = None
    connections: int | None = None
    sha256: str | None = None
    password: str | None = None
    handoff: bool = False
    handoff_to: str | None = None     # the install folder chosen, when several are known


class AddDialog(QDialog):
    def __init__(self, parent: QWidget | None = None, *, text: str = "", manifests: list[Path] | None = None,
                 dest_dir: str = "", connections: int = 0, heygem_available: bool = False,
                 heygem_installs: list[str] | None = None,
                 lister: Callable[..., Any] | None = None, manifest_reader: Callable[..., Any] | None = None,
                 file_reader: Callable[..., Any] | None = None):
        """``lister`` (``bridge.core.preview_files``) enables "List files": the files behind
        the links, with sizes, to tick before adding. ``manifest_reader``
        (``bridge.core.manifest_files``) lists what a manifest holds. ``file_reader``
        (``bridge.core.read_incoming``) reads the link lists dropped on the dialog. All are
        called as ``fn(arg, on_done=..., on_error=...)`` and answer later, on the GUI thread."""
        super().__init__(parent)
        self._lister, self._manifest_reader, self._file_reader = lister, manifest_reader, file_reader
        # manifest -> (files, error) once read; a manifest not read yet shows as "manifest"
        self.manifest_files: dict[Path, tuple[list[Any], str | None]] = {}
        self.listed: list[Any] = []        # LinkFiles of the last listing (for the current text)
        self.drop_problem = ""              # why files of the last drop gave nothing (until the next)
        self.setObjectName("AddDialog")
        self.setWindowIcon(icons.app_icon())
        self.manifests: list[Path] = list(manifests or [])
        self.links: list[Any] = []
        lay = QVBoxLayout(self)

        self.hint = QLabel()
        self.hint.setWordWrap(True)
        lay.addWidget(self.hint)
        self.text = QPlainTextEdit()
        self.text.setObjectName("linksText")
        self.text.setPlainText(text)
        self.text.setTabChangesFocus(True)
        # drops anywhere on the dialog (links, text, link lists, manifests) go through dropEvent
        self.text.setAcceptDrops(False)
        self.setAcceptDrops(True)
        lay.addWidget(self.text, 2)

        self.preview_label = QLabel()
        lay.addWidget(self.preview_label)
        self.preview = QTableWidget(0, 2)
        self.preview.setObjectName("preview")
        self.preview.verticalHeader().hide()
        self.preview.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.preview.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.preview.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        lay.addWidget(self.preview, 2)

        list_row = QHBoxLayout()
        self.list_btn = QPushButton(icons.icon("folder"), "")
        self.list_btn.setObjectName("listFiles")
        self.list_btn.clicked.connect(self.list_files)
        self.list_btn.setVisible(lister is not None)
        self.files_label = QLabel()
        self.files_label.setObjectName("filesLabel")
        list_row.addWidget(self.list_btn)
        list_row.addWidget(self.files_label, 1)
        lay.addLayout(list_row)
        self.files = QTableWidget(0, 2)
        self.files.setObjectName("files")
        self.files.verticalHeader().hide()
        self.files.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.files.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.files.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.files.hide()
        self.files.itemChanged.connect(lambda *_: self._validate())
        lay.addWidget(self.files, 3)

        form = QFormLayout()
        folder_row = QHBoxLayout()
        self.folder = QLineEdit(dest_dir)
        self.folder.setObjectName("folder")
        self.browse = QPushButton(icons.icon("folder"), "")
        self.browse.clicked.connect(self._browse)
        folder_row.addWidget(self.folder, 1)
        folder_row.addWidget(self.browse)
        self.lbl_folder = QLabel()
        form.addRow(self.lbl_folder, folder_row)
        self.connections = QSpinBox()
        self.connections.setObjectName("connections")
        self.connections.setRange(0, 64)
        self.connections.setValue(connections)
        self.lbl_conn = QLabel()
        form.addRow(self.lbl_conn, self.connections)
        self.password = QLineEdit()
        self.password.setObjectName("password")
        self.lbl_pwd = QLabel()
        form.addRow(self.lbl_pwd, self.password)
        self.sha256 = QLineEdit()
        self.sha256.setObjectName("sha256")
        self.sha256.setMaxLength(SHA256_LEN)
        self.lbl_sha = QLabel()
        form.addRow(self.lbl_sha, self.sha256)
        self.handoff = QCheckBox()
        self.handoff.setObjectName("handoff")
        self.install = QComboBox()
        self.install.setObjectName("install")
        for inst in heygem_installs or []:
            self.install.addItem(inst, inst)
        self.install.setVisible(len(heygem_installs or []) > 1)
        self.install.setEnabled(False)
        self.handoff.toggled.connect(self.install.setEnabled)
        handoff_row = QHBoxLayout()
        handoff_row.addWidget(self.handoff)
        handoff_row.addWidget(self.install, 1)
        form.addRow("", handoff_row)
        self.heygem_note = QLabel()
        self.heygem_note.setWordWrap(True)
        form.addRow("", self.heygem_note)
        lay.addLayout(form)

        self.error = QLabel()
        self.error.setStyleSheet("color: #c0392b;")
        self.error.setWordWrap(True)
        lay.addWidget(self.error)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)
        lay.addWidget(self.buttons)

        self._heygem_available = heygem_available or bool(heygem_installs)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(150)
        self._timer.timeout.connect(self.refresh_preview)
        self.text.textChanged.connect(self._timer.start)
        self.sha256.textChanged.connect(self._validate)
        self.retranslate()
        self.resize(640, 560)
        for m in self.manifests:
            self._read_manifest(m)
        self.refresh_preview()

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Add downloads"))
        self.hint.setText(self.tr("Paste links or share texts (one or many). Extraction codes written next to "
                                  "a link (提取码) are picked up. Manifests (.yaml) and .meta4 files can be "
                                  "dropped here too."))
        self.text.setPlaceholderText(self.tr("https://example.com/model.safetensors\n"
                                             "链接: https://pan.baidu.com/s/1AbCd 提取码: x7k2"))
        self.preview.setHorizontalHeaderLabels([self.tr("Link"), self.tr("Extraction code")])
        self.files.setHorizontalHeaderLabels([self.tr("File"), self.tr("Size")])
        self.list_btn.setText(self.tr("List files"))
        self.list_btn.setToolTip(self.tr("Look up the files behind the links (folder shares, repos) "
                                         "and tick the ones to add"))
        self.lbl_folder.setText(self.tr("Save to:"))
        self.browse.setText(self.tr("Browse…"))
        self.lbl_conn.setText(self.tr("Connections:"))
        self.connections.setSpecialValueText(self.tr("Automatic"))
        self.lbl_pwd.setText(self.tr("Extraction code:"))
        self.password.setPlaceholderText(self.tr("for links that have none"))
        self.lbl_sha.setText(self.tr("SHA-256:"))
        self.sha256.setPlaceholderText(self.tr("optional, checked when the download ends (single link)"))
        self.handoff.setText(self.tr("Hand off to HeyGem when done"))
        self.heygem_note.setText("" if self._heygem_available else
                                 self.tr("No HeyGem install found yet: add one in Settings; the file is "
                                         "kept in the download folder until then."))
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("Add"))
        self.refresh_preview()

    # -- preview --------------------------------------------------------------
    def refresh_preview(self) -> None:
        if self.listed and [lf.url for lf in self.listed] != [ln.url for ln in parse_links(
                self.text.toPlainText())]:
            self._clear_files()           # the links changed: the listing no longer applies
        rows: list[tuple[str, str]] = []
        try:
            self.links = parse_links(self.text.toPlainText())
        except Exception as exc:  # noqa: BLE001 - a parser bug must not close the dialog
            self.links = []
            self.error.setText(str(exc))
        for link in self.links:
            rows.append((link.url, link.password or ""))
        for m in self.manifests:
            files, err = self.manifest_files.get(m, ([], None))
            if err:
                rows.append((str(m), self.tr("error: %1").replace("%1", err)))
            elif files:
                for f in files:
                    name = getattr(f, "filename", None) or getattr(f, "name", None) or getattr(f, "path", "")
                    rows.append((f"{m.name} → {name}", ""))
            else:
                rows.append((str(m), self.tr("manifest")))
        self.preview.setRowCount(len(rows))
        for i, (url, code) in enumerate(rows):
            self.preview.setItem(i, 0, QTableWidgetItem(url))
            self.preview.setItem(i, 1, QTableWidgetItem(code))
        n = len(rows)
        self.preview_label.setText(self.tr("Found %n link(s):", "", n) if n else
                                   self.tr("No links found yet."))
        self._validate()

    def _validate(self) -> bool:
        msg = ""
        sha = self.sha256.text().strip()
        if sha and (len(sha) != SHA256_LEN or any(c not in "0123456789abcdefABCDEF" for c in sha)):
            msg = self.tr("A SHA-256 checksum is 64 hexadecimal characters.")
        elif sha and len(self.links) + len(self.manifests) > 1:
            msg = self.tr("A checksum can only be given when adding a single link.")
        if not msg and self.listed and not self._checked_paths():
            msg = self.tr("Tick at least one file.")
        ok = not msg and (bool(self.links) or bool(self.manifests))
        self.error.setText(msg or self.drop_problem)
        self.list_btn.setEnabled(bool(self.links))
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(ok)
        return ok

    # -- file list ------------------------------------------------------------------
    def list_files(self) -> None:
        """Resolves the links in the background and lists their files, all ticked."""
        if self._lister is None or not self.links:
            return
        text = self.text.toPlainText()
        if self.password.text().strip():
            text = "\n".join(ln.url + (f" 提取码: {ln.password or self.password.text().strip()}")
                             for ln in self.links)
        self.list_btn.setEnabled(False)
        self.files_label.setText(self.tr("Looking up the files…"))

        def done(listed: list[Any]) -> None:
            if not isValid(self):
                return
            self.list_btn.setEnabled(True)
            self._show_files(listed)

        def failed(message: str) -> None:
            if not isValid(self):
                return
            self.list_btn.setEnabled(True)
            self.files_label.setText(message)
        self._lister(text, on_done=done, on_error=failed)

    def _read_manifest(self, path: Path) -> None:
        """Reads the manifest's file list in the core's worker thread, then shows it."""
        if self._manifest_reader is None or path in self.manifest_files:
            return

        def got(value: Any) -> None:
            if isValid(self):          # the dialog may have been closed meanwhile
                self.manifest_files[path] = value
                self.refresh_preview()
        self._manifest_reader(path, on_done=lambda files: got((list(files), None)),
                              on_error=lambda message: got(([], message)))

    def _clear_files(self) -> None:
        self.listed = []
        self.files.setRowCount(0)
        self.files.hide()
        self.files_label.setText("")

    def _show_files(self, listed: list[Any]) -> None:
        from core.errors import human_bytes
        self.listed = list(listed)
        rows: list[tuple[Any, Any]] = []
        problems = []
        for li, lf in enumerate(self.listed):
            if lf.error:
                problems.append(lf.error)
            for r in lf.files:
                rows.append((li, r))
        self.files.setRowCount(len(rows))
        total = 0
        for i, (li, r) in enumerate(rows):
            item = QTableWidgetItem(r.path or r.filename or self.listed[li].url)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked)
            item.setData(Qt.ItemDataRole.UserRole, (li, r.path or r.filename or ""))
            item.setToolTip(self.listed[li].url)
            self.files.setItem(i, 0, item)
            self.files.setItem(i, 1, QTableWidgetItem(human_bytes(r.size) if r.size is not None else "?"))
            total += r.size or 0
        self.files.setVisible(bool(rows))
        label = self.tr("%n file(s), %1 in all", "", len(rows)).replace("%1", human_bytes(total))
        if problems:
            label += " — " + "; ".join(problems)
        self.files_label.setText(label)
        self._validate()

    def _checked_paths(self) -> dict[int, list[str]]:
        out: dict[int, list[str]] = {}
        for i in range(self.files.rowCount()):
            item = self.files.item(i, 0)
            if item is not None and item.checkState() == Qt.CheckState.Checked:
                li, path = item.data(Qt.ItemDataRole.UserRole)
                out.setdefault(li, []).append(path)
        return out

    def _chosen_text(self) -> str:
        """The text to queue: links whose files were all ticked as they are, links with
        some files unticked carrying ``--include`` patterns for the ticked ones."""
        if not self.listed:
            return self.text.toPlainText()
        checked = self._checked_paths()
        lines = []
        for li, lf in enumerate(self.listed):
            paths = checked.get(li, [])
            if lf.files and not paths:
                continue                          # nothing of this link was ticked
            url = lf.url
            if lf.files and len(paths) < len(lf.files):
                url = include_only(url, paths)
            lines.append(url + (f" 提取码: {lf.password}" if lf.password and lf.password not in lf.url else ""))
        return "\n".join(lines)

    def _browse(self) -> None:
        d = QFileDialog.getExistingDirectory(self, self.tr("Save downloads to"), self.folder.text())
        if d:
            self.folder.setText(d)

    def add_manifest(self, path: Path) -> None:
        if path not in self.manifests:
            self.manifests.append(path)
            self._read_manifest(path)
        self.refresh_preview()

    def append_text(self, text: str) -> None:
        cur = self.text.toPlainText().rstrip("\n")
        self.text.setPlainText((cur + "\n" + text) if cur else text)
        self.refresh_preview()

    def _accept(self) -> None:
        self._timer.stop()
        self.refresh_preview()
        if self._validate():
            self.accept()

    def request(self) -> AddRequest:
        return AddRequest(
            text=self._chosen_text(),
            manifests=list(self.manifests),
            dest_dir=self.folder.text().strip() or None,
            connections=self.connections.value() or None,
            sha256=self.sha256.text().strip().lower() or None,
            password=self.password.text().strip() or None,
            handoff=self.handoff.isChecked(),
            handoff_to=(self.install.currentData() if self.handoff.isChecked() and self.install.count() else None),
        )

    def dragEnterEvent(self, event: Any) -> None:
        if dropping.can_accept(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    dragMoveEvent = dragEnterEvent

    def dropEvent(self, event: Any) -> None:
        """Link text is added at once; dropped files are read by the core (``file_reader``)
        and what they hold is added when it comes back."""
        items = dropping.from_mime(event.mimeData())
        if not items:
            event.ignore()
            return
        event.acceptProposedAction()
        dropping.take(items, self._file_reader, self._take_dropped, self._drop_failed)

    def _take_dropped(self, got: Any) -> None:
        if not isValid(self):          # the dialog was closed while the files were read
            return
        self.drop_problem = "; ".join(dropping.problem_text(p) for p in got.problems)
        if got.text.strip():
            self.append_text(got.text)
        for m in got.manifests:
            self.add_manifest(m)
        self._validate()

    def _drop_failed(self, message: str) -> None:
        if isValid(self):
            self.drop_problem = message
            self._validate()

    def keyPressEvent(self, event: Any) -> None:
        # Enter inside the text box makes a new line; Ctrl+Enter adds.
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and \
                event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self._accept()
            return
        super().keyPressEvent(event)
