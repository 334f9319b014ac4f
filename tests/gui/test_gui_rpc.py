"""The desktop app serves the RPC: a download sent by an aria2 client shows in the window
like any other; Settings > Browser shows the secret, copies it, makes a new one and
allows a web origin; closing the app closes the port."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request

from PySide6.QtGui import QGuiApplication

WAIT = 30_000


def _post(port: int, body: dict, headers: dict | None = None) -> tuple[int, dict]:
    req = urllib.request.Request(f"http://127.0.0.1:{port}/jsonrpc", data=json.dumps(body).encode(),
                                 method="POST", headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def _closed(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=3).close()
    except ConnectionRefusedError:
        return True
    return False


def _call(port: int, secret: str, method: str, *params, headers: dict | None = None) -> tuple[int, dict]:
    return _post(port, {"jsonrpc": "2.0", "id": 1, "method": method, "params": [f"token:{secret}", *params]},
                 headers)


def test_rpc_with_the_app_and_its_settings_tab(qtbot, window, bridge, zhilian_home):
    from core.rpc.config import get_secret, load_config
    from gui.browser_rpc import RpcControl
    from gui.settings_dialog import SettingsDialog
    (zhilian_home / "config").mkdir(exist_ok=True)
    (zhilian_home / "config" / "rpc.json").write_text(json.dumps({"port": 0}))
    control = RpcControl(bridge)
    control.start()
    qtbot.waitUntil(lambda: control.port is not None or control.error is not None, timeout=WAIT)
    assert control.error is None, control.error
    port = control.port
    secret = get_secret(load_config()).secret

    status, answer = _call(port, secret, "aria2.addUri", ["http://127.0.0.1:9/from-browser.safetensors"],
                           {"pause": "true"})
    assert status == 200, answer
    from core.rpc.methods import task_of
    tid = task_of(answer["result"])
    qtbot.waitUntil(lambda: window.model.task(tid) is not None, timeout=WAIT)
    assert window.model.task(tid).state == "paused"
    assert window.model.task(tid).name == "from-browser.safetensors"

    dlg = SettingsDialog(window, window.settings, bridge)
    qtbot.addWidget(dlg)
    tab = dlg.rpc_tab
    assert dlg.tabs.tabText(dlg.tabs.indexOf(tab)) == "Browser"
    qtbot.waitUntil(lambda: tab.secret_edit.text() == secret, timeout=WAIT)
    assert f"127.0.0.1:{port}/jsonrpc" in tab.status.text()
    tab.copy_btn.click()
    assert QGuiApplication.clipboard().text() == secret

    # a new secret and an allowed web origin (AriaNg served from a local page)
    tab.new_btn.click()
    qtbot.waitUntil(lambda: tab.new_secret is not None, timeout=WAIT)
    fresh = tab.new_secret
    assert fresh != secret and tab.secret_edit.text() == fresh
    qtbot.waitUntil(lambda: _call(port, fresh, "aria2.getVersion")[0] == 200, timeout=WAIT)   # at once
    tab.origins.setPlainText("http://localhost:6880")
    assert _call(port, secret, "aria2.getVersion", headers={"Origin": "http://localhost:6880"})[0] == 403
    dlg._ok()
    assert dlg.problem.text() == ""
    qtbot.waitUntil(lambda: load_config().allowed_origins == ["http://localhost:6880"], timeout=WAIT)  # by the core
    qtbot.waitUntil(lambda: _call(port, fresh, "aria2.getVersion",
                                  headers={"Origin": "http://localhost:6880"})[0] == 200, timeout=WAIT)
    assert _call(port, secret, "aria2.getVersion")[1]["error"]["message"] == "Unauthorized"

    # a bad origin is refused by the dialog, nothing saved
    dlg2 = SettingsDialog(window, window.settings, bridge)
    qtbot.addWidget(dlg2)
    qtbot.waitUntil(lambda: dlg2.rpc_tab.config is not None, timeout=WAIT)
    dlg2.rpc_tab.origins.setPlainText("not an origin")
    dlg2._ok()
    assert "not a web origin" in dlg2.problem.text()
    assert load_config().allowed_origins == ["http://localhost:6880"]

    bridge.stop()
    assert _closed(port), "the RPC port is still open after the app closed"


def test_the_app_starts_and_stops_the_rpc(qtbot, zhilian_home):
    from core.rpc.config import get_secret, load_config
    from gui.app import DesktopApp
    (zhilian_home / "config").mkdir(exist_ok=True)
    (zhilian_home / "config" / "rpc.json").write_text(json.dumps({"port": 0}))
    app = DesktopApp([], single_instance=False)
    try:
        qtbot.waitUntil(lambda: app.rpc.port is not None or app.rpc.error is not None, timeout=WAIT)
        assert app.rpc.error is None, app.rpc.error
        port = app.rpc.port
        status, answer = _call(port, get_secret(load_config()).secret, "aria2.getVersion")
        assert status == 200 and answer["result"]["version"] == "1.37.0"
    finally:
        app.close()
    assert _closed(port), "the RPC port is still open after the app closed"


def test_a_busy_port_is_reported_not_fatal(qtbot, zhilian_home):
    from gui.app import DesktopApp
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        (zhilian_home / "config").mkdir(exist_ok=True)
        (zhilian_home / "config" / "rpc.json").write_text(json.dumps({"port": taken.getsockname()[1]}))
        app = DesktopApp([], single_instance=False)
        try:
            qtbot.waitUntil(lambda: app.rpc.error is not None, timeout=WAIT)
            assert "cannot be used" in app.rpc.error and "Settings > Browser" in app.rpc.error
            assert app.window.statusBar().currentMessage() == app.rpc.error
            assert app.bridge.is_ready                      # the downloads work all the same
        finally:
            app.close()
