"""Link lists dropped on the window or handed in on the command line are read by the core
in a worker thread (``bridge.core.read_incoming``), never on the GUI thread: every open and
stat of the dropped files is recorded with its thread. A file that gives no links
(too big, binary, a folder, missing) is named with why, in the user's language."""

from __future__ import annotations

import builtins
import io
import os
import threading
from pathlib import Path

from PySide6.QtCore import QMimeData, QUrl

LINKS = "https://example.com/models/a.bin\nhttps://example.com/models/b.bin\n"


def _record_file_access(monkeypatch, folder: Path) -> list[tuple[str, str, threading.Thread]]:
    """(call, path, thread) of every open and stat of a path under ``folder`` from now on."""
    calls: list[tuple[str, str, threading.Thread]] = []
    root = str(folder)

    def under(path) -> bool:
        try:
            return os.fsdecode(os.fspath(path)).startswith(root)
        except TypeError:              # a file descriptor
            return False

    for module, name in ((os, "stat"), (os, "lstat"), (os, "open"), (io, "open"), (builtins, "open")):
        def recording(path, *a, _orig=getattr(module, name), _name=f"{module.__name__}.{name}", **k):
            if under(path):
                calls.append((_name, os.fsdecode(os.fspath(path)), threading.current_thread()))
            return _orig(path, *a, **k)
        monkeypatch.setattr(module, name, recording)
    return calls


def _files(folder: Path) -> dict[str, Path]:
    folder.mkdir()
    f = {"links": folder / "links.txt", "gbk": folder / "百度 links.txt", "big": folder / "big.txt",
         "binary": folder / "photo.lst", "dir": folder / "folder.txt", "manifest": folder / "models.yaml"}
    f["links"].write_text(LINKS, encoding="utf-8")
    # what a Chinese Windows editor saves as "ANSI": GBK
    f["gbk"].write_bytes("链接: https://pan.baidu.com/s/1gbk 提取码: gb12\n".encode("gbk"))
    with open(f["big"], "wb") as out:
        out.truncate(5 << 20)          # 5 MiB, more than a link list may hold
    f["binary"].write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    f["dir"].mkdir()
    f["manifest"].write_text("name: w\nsha256: " + "a" * 64 + "\ndownload:\n  - url: https://example.com/w.bin\n",
                             encoding="utf-8")
    return f


def _preview(dlg) -> list[tuple[str, str]]:
    return [(dlg.preview.item(i, 0).text(), dlg.preview.item(i, 1).text()) for i in range(dlg.preview.rowCount())]


def test_dropped_and_handed_in_files_are_read_off_the_gui_thread(qtbot, window, tmp_path, drag_drop,
                                                                 monkeypatch):
    drops = tmp_path / "drops"
    f = _files(drops)
    messages: list[str] = []
    window.statusBar().messageChanged.connect(lambda m: m and messages.append(m))
    calls = _record_file_access(monkeypatch, drops)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(f[k])) for k in ("links", "gbk", "big", "binary", "dir", "manifest")])
    entered, dropped = drag_drop(window, mime)
    assert entered and dropped
    qtbot.waitUntil(lambda: window.adding.dialog is not None, timeout=10000)
    dlg = window.adding.dialog
    assert _preview(dlg)[:3] == [("https://example.com/models/a.bin", ""), ("https://example.com/models/b.bin", ""),
                                 ("https://pan.baidu.com/s/1gbk", "gb12")]
    assert dlg.manifests == [f["manifest"]]
    assert [m for m in messages if str(drops) in m] == [
        f"{f['big']}: too big for a link list (5.0 MiB; at most 4.0 MiB)",
        f"{f['binary']}: not a text file", f"{f['dir']}: a folder, not a link list"]
    # the command line and a second start: a path, and a word that is no file (the open
    # dialog grows)
    window.receive_links([str(f["links"]), "https://example.com/c.bin"])
    qtbot.waitUntil(lambda: "https://example.com/c.bin" in [u for u, _ in _preview(dlg)], timeout=10000)

    done = {(name, Path(path).name) for name, path, _ in calls}
    # the files were really looked at and read (and recorded) ...
    assert {("builtins.open", "links.txt"), ("builtins.open", "百度 links.txt")} <= done, done
    assert ("os.stat", "big.txt") in done and ("builtins.open", "big.txt") not in done   # refused by size
    # ... and none of it on the GUI thread
    gui = threading.main_thread()
    on_gui = sorted({(name, path) for name, path, t in calls if t is gui})
    assert not on_gui, f"on the GUI thread: {on_gui}"


def test_a_file_that_gives_no_links_is_named_in_chinese(qtbot, window, tmp_path, drag_drop):
    from gui import i18n
    lst = tmp_path / "坏的.txt"
    lst.write_bytes(b"\x00\x01\x02binary\x00")
    messages: list[str] = []
    window.statusBar().messageChanged.connect(lambda m: m and messages.append(m))
    assert i18n.install("zh_CN") == "zh_CN"
    try:
        mime = QMimeData()
        mime.setUrls([QUrl.fromLocalFile(str(lst))])
        entered, dropped = drag_drop(window, mime)
        assert entered and dropped
        qtbot.waitUntil(lambda: any(str(lst) in m for m in messages), timeout=10000)
        assert [m for m in messages if str(lst) in m] == [f"{lst}：不是文本文件"]
        assert window.adding.dialog is None          # nothing to add: no dialog
    finally:
        i18n.install("en")
