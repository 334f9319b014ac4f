"""The add dialog's checkable file list (a Hugging Face repo served by the local mock,
listed through the real resolvers) and the accounts dialog's token button."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from PySide6.QtCore import Qt

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "resolvers"))

from hubmocks import MockHF, MockS3CDN  # noqa: E402

WAIT = 20000


def _sync_runner(fn, *args, on_done=None, on_error=None):
    try:
        v = fn(*args)
    except Exception as e:  # noqa: BLE001 - handed to the dialog like the bridge does
        if on_error:
            on_error(str(e))
        return
    if on_done:
        on_done(v)


def test_add_dialog_lists_files_with_sizes_and_queues_only_the_ticked(qtbot, monkeypatch):
    cdn = MockS3CDN().start()
    hf = MockHF(cdn).start()
    try:
        hf.add_repo("org/sd", {"unet/model.safetensors": b"U" * 5000, "unet/model.fp32.safetensors": b"F" * 9000,
                               "vae/config.json": b"{}"})
        monkeypatch.setenv("ZHILIAN_HOST_MAP", json.dumps({"huggingface.co": hf.base}))
        monkeypatch.delenv("HF_ENDPOINT", raising=False)
        from core.selection import link_options, preview_files
        from gui import i18n
        from gui.add_dialog import AddDialog
        i18n.install("en")   # as the app does at start: English plural forms ("3 files")
        dlg = AddDialog(None, text="https://huggingface.co/org/sd",
                        lister=lambda text, **cb: _sync_runner(preview_files, text, **cb))
        qtbot.addWidget(dlg)
        assert dlg.list_btn.isVisibleTo(dlg) and dlg.list_btn.isEnabled()
        qtbot.mouseClick(dlg.list_btn, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: dlg.files.rowCount() == 3, timeout=WAIT)
        names = [dlg.files.item(i, 0).text() for i in range(3)]
        sizes = [dlg.files.item(i, 1).text() for i in range(3)]
        assert names == ["unet/model.fp32.safetensors", "unet/model.safetensors", "vae/config.json"]
        assert sizes == ["8.8 KiB", "4.9 KiB", "2 B"]
        assert dlg.files_label.text().startswith("3 files, 13.7 KiB")
        assert all(dlg.files.item(i, 0).checkState() == Qt.CheckState.Checked for i in range(3))
        assert dlg.request().text == "https://huggingface.co/org/sd"      # everything: the link as it is
        dlg.files.item(0, 0).setCheckState(Qt.CheckState.Unchecked)
        text = dlg.request().text
        opts = link_options(text)
        assert sorted(opts.include) == ["unet/model.safetensors", "vae/config.json"]
        # the rewritten link resolves to exactly the ticked files
        [lf] = preview_files(text)
        assert sorted(r.path for r in lf.files) == ["unet/model.safetensors", "vae/config.json"]
        for i in range(3):
            dlg.files.item(i, 0).setCheckState(Qt.CheckState.Unchecked)
        assert not dlg.buttons.button(dlg.buttons.StandardButton.Ok).isEnabled()
        assert "Tick at least one file" in dlg.error.text()
        dlg.text.setPlainText("https://huggingface.co/org/other")           # another link: the list goes
        dlg.refresh_preview()
        assert dlg.files.rowCount() == 0 and not dlg.listed
    finally:
        hf.stop()
        cdn.stop()


def test_window_add_dialog_lists_files_through_the_facade(qtbot, window, monkeypatch):
    """The window's add dialog asks ``bridge.core.preview_files`` (the core's worker thread)."""
    cdn = MockS3CDN().start()
    hf = MockHF(cdn).start()
    try:
        hf.add_repo("org/two", {"a.safetensors": b"A" * 3000, "b/config.json": b"{}"})
        monkeypatch.setenv("ZHILIAN_HOST_MAP", json.dumps({"huggingface.co": hf.base}))
        monkeypatch.delenv("HF_ENDPOINT", raising=False)
        dlg = window.open_add_dialog(text="https://huggingface.co/org/two")
        assert dlg.list_btn.isVisibleTo(dlg)
        qtbot.mouseClick(dlg.list_btn, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: dlg.files.rowCount() == 2, timeout=WAIT)
        assert [dlg.files.item(i, 0).text() for i in range(2)] == ["a.safetensors", "b/config.json"]
        dlg.reject()
    finally:
        hf.stop()
        cdn.stop()


def test_add_dialog_list_shows_a_failing_link_in_one_line(qtbot):
    from core.selection import LinkFiles
    from gui.add_dialog import AddDialog
    dlg = AddDialog(None, text="https://pan.xunlei.com/s/VNabc?pwd=x1y2",
                    lister=lambda text, **cb: _sync_runner(
                        lambda t: [LinkFiles("https://pan.xunlei.com/s/VNabc?pwd=x1y2", "x1y2", [],
                                             "Xunlei Cloud (迅雷云盘) shares are not supported: …")], text, **cb))
    qtbot.addWidget(dlg)
    qtbot.mouseClick(dlg.list_btn, Qt.MouseButton.LeftButton)
    assert "not supported" in dlg.files_label.text() and dlg.files.rowCount() == 0


def test_accounts_dialog_saves_a_token(qtbot, window):
    window.open_accounts()
    dlg = window.accounts_dialog
    qtbot.waitUntil(lambda: dlg.pending == 0, timeout=WAIT)
    dlg.host.setCurrentIndex(dlg.host.findData("alipan.com"))
    dlg.cookies.setPlainText("rt-0123456789abcdef0123456789abcdef")
    qtbot.mouseClick(dlg.token_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dlg.table.rowCount() == 1 and dlg.pending == 0, timeout=WAIT)
    assert dlg.cookies.toPlainText() == ""
    assert "Token stored" in dlg.table.item(0, 2).text() and "rt-0123" not in dlg.table.item(0, 2).text()
    import core.accounts as acc
    assert acc.load_credentials()["alipan.com"]["token"] == "rt-0123456789abcdef0123456789abcdef"
