"""The Qt "Share link" dialog and the shares list, with real widgets, the real core thread
(CoreBridge + App), a real share server, SQLite store and keyring: the dialog reaches
them only through the facade, so none of that work happens on the GUI thread."""

from __future__ import annotations

import sqlite3
import threading
import urllib.error
import urllib.parse
import urllib.request

import pytest


def _dialog(qtbot, bridge, path):
    from gui.share_dialog import ShareDialog
    dlg = ShareDialog(None, path, bridge)
    qtbot.addWidget(dlg)
    _settle(qtbot, dlg)
    return dlg


def _settle(qtbot, dlg):
    """Until every call of the dialog and its list has answered (a hang guard, not a timing)."""
    qtbot.waitUntil(lambda: not dlg.busy, timeout=20000)


def test_share_dialog_link_copy_qr_and_revoke(qtbot, share_bridge, tmp_path, monkeypatch):
    from PySide6.QtGui import QGuiApplication

    import core.share.config as cfgmod
    monkeypatch.setattr(cfgmod, "config_path", lambda: tmp_path / "share.json")
    f = tmp_path / "输出 video.mp4"
    f.write_bytes(b"heygem video bytes" * 1000)
    dlg = _dialog(qtbot, share_bridge, f)
    assert dlg.start_btn.isVisibleTo(dlg)               # no server yet: offered
    dlg.expires.setCurrentIndex(dlg.expires.findData("7d"))
    dlg.create_btn.click()
    assert dlg.busy and not dlg.create_btn.isEnabled()  # busy while the core works
    _settle(qtbot, dlg)
    assert dlg.create_btn.isEnabled()
    assert not dlg.error.isVisibleTo(dlg), dlg.error.text()
    url = dlg.link_url
    assert url.startswith("http://127.0.0.1:") and "/s/" in url
    # the field shows the link readable; Copy (and the QR code) give it percent-encoded
    assert "%E8%BE%93%E5%87%BA%20video.mp4" in url and " " not in url
    assert dlg.url.text() == urllib.parse.unquote(url.split("?")[0]) + url[len(url.split("?")[0]):]
    assert "输出 video.mp4" in dlg.url.text()
    assert not dlg.qr.pixmap().isNull() and dlg.qr.pixmap().width() > 50
    dlg.copy_btn.click()
    assert QGuiApplication.clipboard().text() == url
    # start the server from the dialog; the shown link then points at it and works
    dlg.start_btn.click()
    _settle(qtbot, dlg)
    assert dlg.running and not dlg.start_btn.isVisibleTo(dlg)
    assert "Sharing server running at http://127.0.0.1:" in dlg.server_status.text()
    url = dlg.link_url
    with urllib.request.urlopen(url, timeout=10) as r:
        assert r.read() == f.read_bytes()
    # the list shows the share, selected; revoke it from there
    lst = dlg.shares
    assert [link.id for link in lst.links()] == [dlg.link.id]
    assert lst.table.item(0, 0).text() == f.name
    lst.copy_btn.click()
    assert QGuiApplication.clipboard().text() == url
    lst.revoke_btn.click()
    _settle(qtbot, dlg)
    assert lst.links() == [] and dlg.url.text() == ""
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(url, timeout=10)
    assert e.value.code == 410
    lst.show_all.setChecked(True)
    _settle(qtbot, dlg)
    assert lst.table.rowCount() == 1 and lst.table.item(0, 1).text() == "revoked"


def test_share_dialog_password_and_missing_file(qtbot, share_bridge, tmp_path):
    f = tmp_path / "a.bin"
    f.write_bytes(b"a")
    dlg = _dialog(qtbot, share_bridge, f)
    dlg.password.setText("s3cret")
    dlg.create_btn.click()
    _settle(qtbot, dlg)
    assert dlg.link.has_password and dlg.password.text() == ""
    assert dlg.shares.table.item(0, 5).text() == "password"
    gone = _dialog(qtbot, share_bridge, tmp_path / "nope.bin")
    gone.create_btn.click()
    _settle(qtbot, gone)
    assert gone.error.isVisibleTo(gone) and "no such file" in gone.error.text()
    assert "Traceback" not in gone.error.text() and "Error" not in gone.error.text()
    assert gone.url.text() == ""


def test_share_dialog_without_keyring_offers_session_secret(qtbot, share_bridge, tmp_path):
    import keyring
    from keyring.backends import fail

    before = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        f = tmp_path / "a.bin"
        f.write_bytes(b"a")
        dlg = _dialog(qtbot, share_bridge, f)
        assert "keyring" in dlg.shares.message.text()      # the list says why it has no links
        dlg.create_btn.click()
        _settle(qtbot, dlg)
        assert "keyring" in dlg.error.text() and dlg.session_btn.isVisibleTo(dlg)
        assert dlg.url.text() == ""
        dlg.session_btn.click()                      # the user's explicit choice
        _settle(qtbot, dlg)
        assert dlg.url.text().startswith("http://")
    finally:
        keyring.set_keyring(before)


def _record_threads(monkeypatch) -> list[tuple[str, threading.Thread]]:
    """(what, thread) of every SQLite connect and statement and every keyring call from now on."""
    import keyring
    from keyring.backends import chainer
    calls: list[tuple[str, threading.Thread]] = []
    connect = sqlite3.connect

    def recording_connect(*a, **k):
        calls.append(("sqlite connect", threading.current_thread()))
        conn = connect(*a, **k)
        conn.set_trace_callback(lambda sql: calls.append((f"sqlite {sql.split()[0]}", threading.current_thread())))
        return conn
    monkeypatch.setattr(sqlite3, "connect", recording_connect)
    kr = keyring.get_keyring()
    backends = [kr, *(kr.backends if isinstance(kr, chainer.ChainerBackend) else [])]
    for cls in {type(b) for b in backends}:
        for name in ("get_password", "set_password", "delete_password", "get_credential"):
            orig = getattr(cls, name, None)
            if orig is None:
                continue

            def wrapped(self, *a, _orig=orig, _name=name, **k):
                calls.append((f"keyring {_name}", threading.current_thread()))
                return _orig(self, *a, **k)
            monkeypatch.setattr(cls, name, wrapped)
    return calls


def test_the_dialog_never_touches_sqlite_or_the_keyring_on_the_gui_thread(qtbot, share_bridge, tmp_path,
                                                                         monkeypatch):
    """Create a share, list it, start the server, revoke it: all the SQLite and keyring work
    happens, none of it on the GUI (main) thread."""
    import core.share.config as cfgmod
    monkeypatch.setattr(cfgmod, "config_path", lambda: tmp_path / "share.json")
    calls = _record_threads(monkeypatch)
    f = tmp_path / "clip.mp4"
    f.write_bytes(b"x" * 5000)
    dlg = _dialog(qtbot, share_bridge, f)
    dlg.create_btn.click()
    _settle(qtbot, dlg)
    assert dlg.url.text() and [s.id for s in dlg.shares.links()] == [dlg.link.id]
    dlg.start_btn.click()
    _settle(qtbot, dlg)
    dlg.shares.refresh()
    _settle(qtbot, dlg)
    dlg.shares.revoke_btn.click()
    _settle(qtbot, dlg)
    assert dlg.shares.links() == []
    kinds = {what for what, _ in calls}
    # the work was really done (and recorded): the store opened, written and read, the key read
    assert {"sqlite connect", "sqlite INSERT", "sqlite SELECT", "sqlite UPDATE"} <= kinds, kinds
    assert any(k.startswith("keyring") for k in kinds), kinds
    gui = threading.main_thread()
    on_gui = sorted({what for what, t in calls if t is gui})
    assert not on_gui, f"on the GUI thread: {on_gui}"
