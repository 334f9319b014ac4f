"""The Qt "Share link" dialog and the shares list, with real widgets and a real server."""

from __future__ import annotations

import urllib.request

import pytest


@pytest.fixture
def api():
    from core.share import ServerConfig, ShareAPI
    a = ShareAPI(config=ServerConfig(port=0))
    yield a
    a.stop_server()
    a.store.close()


def test_share_dialog_link_copy_qr_and_revoke(qtbot, api, tmp_path, monkeypatch):
    from PySide6.QtGui import QGuiApplication

    import core.share.config as cfgmod
    from gui.share_dialog import ShareDialog
    monkeypatch.setattr(cfgmod, "config_path", lambda: tmp_path / "share.json")
    f = tmp_path / "输出 video.mp4"
    f.write_bytes(b"heygem video bytes" * 1000)
    dlg = ShareDialog(None, f, api)
    qtbot.addWidget(dlg)
    assert dlg.start_btn.isVisibleTo(dlg)               # no server yet: offered
    dlg.expires.setCurrentIndex(dlg.expires.findData("7d"))
    dlg.create_btn.click()
    assert not dlg.error.isVisibleTo(dlg), dlg.error.text()
    url = dlg.url.text()
    assert url.startswith("http://127.0.0.1:") and "/s/" in url
    assert not dlg.qr.pixmap().isNull() and dlg.qr.pixmap().width() > 50
    dlg.copy_btn.click()
    assert QGuiApplication.clipboard().text() == url
    # start the server from the dialog; the shown link then points at it and works
    dlg.start_btn.click()
    assert api.serving_here() and not dlg.start_btn.isVisibleTo(dlg)
    url = dlg.url.text()
    with urllib.request.urlopen(url, timeout=10) as r:
        assert r.read() == f.read_bytes()
    # the list shows the share, selected; revoke it from there
    lst = dlg.shares
    assert [link.id for link in lst.links()] == [dlg.link.id]
    assert lst.table.item(0, 0).text() == f.name
    lst.copy_btn.click()
    assert QGuiApplication.clipboard().text() == url
    lst.revoke_btn.click()
    assert lst.links() == [] and dlg.url.text() == ""
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(url, timeout=10)
    assert e.value.code == 410
    lst.show_all.setChecked(True)
    assert lst.table.rowCount() == 1 and lst.table.item(0, 1).text() == "revoked"


def test_share_dialog_password_and_missing_file(qtbot, api, tmp_path):
    from gui.share_dialog import ShareDialog
    f = tmp_path / "a.bin"
    f.write_bytes(b"a")
    dlg = ShareDialog(None, f, api)
    qtbot.addWidget(dlg)
    dlg.password.setText("s3cret")
    dlg.create_btn.click()
    assert dlg.link.share.has_password and dlg.password.text() == ""
    assert dlg.shares.table.item(0, 5).text() == "password"
    gone = ShareDialog(None, tmp_path / "nope.bin", api)
    qtbot.addWidget(gone)
    gone.create_btn.click()
    assert gone.error.isVisibleTo(gone) and "no such file" in gone.error.text()
    assert gone.url.text() == ""


def test_share_dialog_without_keyring_offers_session_secret(qtbot, api, tmp_path):
    import keyring
    from keyring.backends import fail

    from gui.share_dialog import ShareDialog
    before = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        f = tmp_path / "a.bin"
        f.write_bytes(b"a")
        dlg = ShareDialog(None, f, api)
        qtbot.addWidget(dlg)
        dlg.create_btn.click()
        assert "keyring" in dlg.error.text() and dlg.session_btn.isVisibleTo(dlg)
        assert dlg.url.text() == ""
        dlg.session_btn.click()                      # the user's explicit choice
        assert dlg.url.text().startswith("http://")
    finally:
        keyring.set_keyring(before)
