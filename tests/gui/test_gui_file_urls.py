"""`file:` URLs wherever the app takes a file: the desktop entry's %U ("Open with Zhilian", a
file dropped on the launcher), a second start handing its arguments to the running window,
and drag and drop (a real QDropEvent)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import QMimeData, QUrl

ROOT = Path(__file__).resolve().parents[2]
LINKS = ["https://example.com/models/a.bin", "https://example.com/models/b.bin"]


def _link_list(folder: Path, name: str = "my links 链接.txt") -> Path:
    """A link list in a folder and file name that need percent-encoding in a URL."""
    folder.mkdir(parents=True, exist_ok=True)
    p = folder / name
    p.write_text("\n".join(LINKS) + "\n", encoding="utf-8")
    return p


def _file_url(p: Path) -> str:
    url = QUrl.fromLocalFile(str(p)).toString(QUrl.ComponentFormattingOption.FullyEncoded)
    assert url.startswith("file:///") and "%20" in url      # what a file manager passes for %U
    return url


def _preview(dlg) -> list[str]:
    return [dlg.preview.item(i, 0).text() for i in range(dlg.preview.rowCount())]


def _manifest(folder: Path) -> Path:
    folder = folder / "model manifests"
    folder.mkdir(parents=True, exist_ok=True)
    p = folder / "weights.zhilian.yaml"
    p.write_text("name: w\nsha256: " + "a" * 64 + "\ndownload:\n  - url: https://example.com/w.bin\n",
                 encoding="utf-8")
    return p


def test_launcher_file_url_arguments_open_the_add_dialog(qtbot, window, tmp_path):
    lst = _link_list(tmp_path / "dir with space")
    man = _manifest(tmp_path)
    window.receive_links([_file_url(lst), _file_url(man)])
    qtbot.waitUntil(lambda: window.adding.dialog is not None, timeout=10000)     # the core read the files
    dlg = window.adding.dialog
    assert dlg is not None and dlg.isVisible()
    rows = _preview(dlg)
    assert rows[:2] == LINKS
    assert dlg.manifests == [man]
    assert "No links found" not in dlg.preview_label.text()


def test_launcher_file_url_of_a_missing_file_says_so(qtbot, window, tmp_path):
    errors: list[str] = []
    window.show_error = errors.append
    window.receive_links([_file_url(tmp_path / "gone away.txt")])
    qtbot.waitUntil(lambda: bool(errors), timeout=10000)
    assert errors == [f"{tmp_path / 'gone away.txt'}: no such file"] and window.adding.dialog is None


def test_second_start_forwards_file_urls_and_relative_paths_as_absolute_paths(qtbot, window, tmp_path,
                                                                             zhilian_home):
    """`zhilian file:///…/links.txt` and `zhilian links.txt` (started in another folder) while
    the app runs: the running window reads the files."""
    from gui.single_instance import InstanceServer
    srv = InstanceServer()
    assert srv.listen()
    try:
        got: list[list[str]] = []
        srv.received.connect(got.append)
        srv.received.connect(window.receive_links)
        elsewhere = tmp_path / "elsewhere"
        lst = _link_list(tmp_path / "lists")
        rel = _link_list(elsewhere, "relative.txt")
        env = {"ZHILIAN_HOME": str(zhilian_home), "QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin",
               "HOME": str(tmp_path)}
        proc = subprocess.Popen([sys.executable, str(ROOT / "main.py"), _file_url(lst), "relative.txt"],
                                cwd=elsewhere, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            qtbot.waitUntil(lambda: proc.poll() is not None, timeout=30000)
        finally:
            if proc.poll() is None:
                proc.kill()
        out, err = proc.communicate()
        assert proc.returncode == 0, err
        qtbot.waitUntil(lambda: bool(got), timeout=5000)
        qtbot.waitUntil(lambda: window.adding.dialog is not None, timeout=10000)
        assert got == [[str(lst), str(rel)]]
        dlg = window.adding.dialog
        assert dlg is not None and _preview(dlg) == LINKS        # the same links twice: deduplicated
    finally:
        srv.close()


def test_drop_of_a_file_url_as_text_reads_the_file(qtbot, window, tmp_path, drag_drop):
    """Terminals and some apps drag a file as the text `file:///…` (no URL list)."""
    lst = _link_list(tmp_path / "from a terminal")
    mime = QMimeData()
    mime.setText(_file_url(lst) + "\r\n")
    assert not mime.hasUrls()
    entered, dropped = drag_drop(window, mime)
    assert entered and dropped
    qtbot.waitUntil(lambda: window.adding.dialog is not None, timeout=10000)     # the core read the file
    dlg = window.adding.dialog
    assert dlg is not None and _preview(dlg) == LINKS


def test_drop_of_a_file_url_list_reads_the_file(qtbot, window, tmp_path, drag_drop):
    """A file manager's drag: text/uri-list with a percent-encoded file: URL."""
    lst = _link_list(tmp_path / "from the file manager")
    man = _manifest(tmp_path)
    mime = QMimeData()
    mime.setData("text/uri-list", f"{_file_url(lst)}\r\n{_file_url(man)}\r\n".encode())
    assert mime.hasUrls()
    entered, dropped = drag_drop(window, mime)
    assert entered and dropped
    qtbot.waitUntil(lambda: window.adding.dialog is not None, timeout=10000)     # the core read the file
    dlg = window.adding.dialog
    assert dlg is not None and _preview(dlg)[:2] == LINKS and dlg.manifests == [man]
