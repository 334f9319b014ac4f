"""Runs the real desktop app on an X server (Xvfb + trayer, started by the test) and
records what happened: the window on screen, the tray icon, a notification, and
screenshots of the main window, the add dialog and the details pane.

    python tests/gui/xvfb_app.py OUT_DIR URL [zh_CN]

Writes OUT_DIR/result.json and PNGs; exits 0 when it got through every step.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def main() -> int:
    out = Path(sys.argv[1])
    url = sys.argv[2]
    lang = sys.argv[3] if len(sys.argv) > 3 else ""
    out.mkdir(parents=True, exist_ok=True)
    from PySide6.QtWidgets import QApplication, QSystemTrayIcon

    from core.queue.settings import Settings, save_settings
    s = Settings(language=lang, close_to_tray=True, notify=True)
    save_settings(s)
    from gui.app import DesktopApp, _qapp
    app = _qapp()
    result: dict = {"steps": []}

    def spin(cond, timeout: float = 30.0) -> bool:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            app.processEvents()
            if cond():
                return True
            time.sleep(0.01)
        return cond()

    def step(name: str, ok: bool) -> None:
        result["steps"].append([name, bool(ok)])
        (out / "result.json").write_text(json.dumps(result, indent=1))

    # the tray host may take a moment to claim the selection
    step("tray_available", spin(QSystemTrayIcon.isSystemTrayAvailable, 10))
    d = DesktopApp([])
    w = d.window
    w.resize(1100, 700)
    step("window_exposed", spin(lambda: w.isVisible() and w.windowHandle() is not None
                                and w.windowHandle().isExposed(), 15))
    step("tray_visible", spin(lambda: d.tray.icon.isVisible(), 10))
    result["tray_geometry"] = list(d.tray.icon.geometry().getRect())
    step("service_ready", spin(lambda: d.bridge.is_ready and w.act_add.isEnabled(), 30))

    from gui.add_dialog import AddRequest
    w.submit_add(AddRequest(text=url, dest_dir=str(out / "downloads"), connections=4))
    step("task_added", spin(lambda: len(w.model.all_tasks()) == 1, 30))
    tid = w.model.all_tasks()[0].id
    w.select_task(tid)
    step("downloading_with_connections",
         spin(lambda: w.model.task(tid).state == "downloading" and len(w.details.filemap.connections) >= 2, 60))
    spin(lambda: False, 0.6)        # let a few progress events paint
    screen = app.primaryScreen()
    suffix = f"_{lang}" if lang else ""
    main_png = out / f"main_window{suffix}.png"
    screen.grabWindow(w.winId()).save(str(main_png))
    details_png = out / f"details_pane{suffix}.png"
    w.details.grab().save(str(details_png))
    # the application log dock (F6) with the download's records
    w.log_panel.toggleViewAction().trigger()
    step("log_dock_shows_records", spin(lambda: w.log_panel.isVisible() and any(
        "big-model.safetensors: downloading" in ln for ln in w.log_panel.lines()), 10))
    spin(lambda: False, 0.3)
    screen.grabWindow(w.winId()).save(str(out / f"log_dock{suffix}.png"))
    w.log_panel.toggleViewAction().trigger()
    dlg = w.open_add_dialog(text="链接: https://pan.baidu.com/s/1AbCdEfGh 提取码: x7k2 复制这段内容后打开百度网盘App\n"
                                 "https://huggingface.co/org/model/resolve/main/model.safetensors\n"
                                 "https://hf-mirror.com/org/model/resolve/main/config.json")
    step("add_dialog_exposed", spin(lambda: dlg.windowHandle() is not None and dlg.windowHandle().isExposed()
                                    and dlg.preview.rowCount() == 3, 15))
    spin(lambda: False, 0.3)
    add_png = out / f"add_dialog{suffix}.png"
    screen.grabWindow(dlg.winId()).save(str(add_png))
    dlg.reject()

    # the download ends -> a notification from the tray icon (a balloon when no
    # notification service runs on the session bus)
    notes: list = []
    w.notified.connect(lambda *a: notes.append(a))
    step("download_done", spin(lambda: w.model.task(tid).state == "done", 90))
    step("notified", spin(lambda: bool(notes), 10))
    result["notes"] = [list(n) for n in notes]
    result["tray_messages"] = [list(m) for m in d.tray.messages]

    def balloon() -> bool:
        return any(x.metaObject().className() == "QBalloonTip" and x.isVisible()
                   for x in QApplication.topLevelWidgets())
    step("balloon_shown", spin(balloon, 10))
    spin(lambda: False, 0.4)
    screen.grabWindow(0).save(str(out / f"notification{suffix}.png"))

    # a dark desktop palette: the window and its icons follow it
    if not lang:
        from PySide6.QtGui import QColor, QPalette
        dark = QPalette()
        for role, colour in ((QPalette.ColorRole.Window, "#2b2b2b"), (QPalette.ColorRole.WindowText, "#e8e8e8"),
                             (QPalette.ColorRole.Base, "#1e1e1e"), (QPalette.ColorRole.AlternateBase, "#262626"),
                             (QPalette.ColorRole.Text, "#e8e8e8"), (QPalette.ColorRole.Button, "#353535"),
                             (QPalette.ColorRole.ButtonText, "#e8e8e8"), (QPalette.ColorRole.Highlight, "#2f7fd0"),
                             (QPalette.ColorRole.HighlightedText, "#ffffff"), (QPalette.ColorRole.Mid, "#555555")):
            dark.setColor(role, QColor(colour))
        for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
            dark.setColor(QPalette.ColorGroup.Disabled, role, QColor("#777777"))
        app.setStyle("Fusion")
        app.setPalette(dark)
        spin(lambda: False, 0.5)
        screen.grabWindow(w.winId()).save(str(out / "main_window_dark.png"))

    # close-to-tray: closing the window hides it, the app keeps running
    w.close()
    step("hidden_to_tray", spin(lambda: not w.isVisible(), 5) and d.tray.icon.isVisible())
    # the tray menu's Show brings it back, Quit ends the app
    d.tray.act_show.trigger()
    step("shown_from_tray", spin(lambda: w.isVisible(), 5))
    d.tray.act_quit.trigger()
    step("quit_from_tray", spin(lambda: not w.isVisible(), 5))
    d.close()
    result["tray_messages"] = [list(m) for m in d.tray.messages]
    result["ok"] = all(ok for _, ok in result["steps"])
    (out / "result.json").write_text(json.dumps(result, indent=1))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
