"""Starts the desktop app: single instance, translations, core thread, window, tray."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

from core import __version__, logsetup
from core.invocation import path_from_arg

from . import i18n, icons, prefs
from .bridge import CoreBridge
from .browser_rpc import RpcControl
from .main_window import MainWindow
from .single_instance import InstanceServer, send_to_running
from .tray import Tray


def _qapp(argv0: str = "zhilian") -> QApplication:
    app = QApplication.instance()
    if app is None:
        QGuiApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
        app = QApplication([argv0])
    app.setApplicationName("Zhilian")
    app.setApplicationDisplayName("Zhilian")
    app.setOrganizationName("Zhilian")
    app.setDesktopFileName("zhilian")
    app.setWindowIcon(icons.app_icon())
    return app  # type: ignore[return-value]


class DesktopApp(QObject):
    """Everything the running app owns; ``close()`` stops the core cleanly."""

    def __init__(self, args: list[str] | None = None, *, service_factory: Callable[[], Any] | None = None,
                 single_instance: bool = True):
        app = _qapp()
        super().__init__()
        self.app = app
        self.log_file = _start_logging()
        # Read on the GUI thread on purpose (docs/gui.md, "Design"): the language it names
        # is installed before the first widget is made, and no window is on screen yet for
        # the read to freeze.
        self.settings, problem = prefs.load_settings()
        self.language = i18n.install(prefs.get(self.settings, "language", ""))
        self.bridge = CoreBridge(service_factory)
        self.rpc = RpcControl(self.bridge, self)       # the browser RPC, started with the core
        self.bridge.ready.connect(self.rpc.start)
        self.rpc.changed.connect(lambda: self.rpc.error and self.window.show_error(self.rpc.error))
        self.tray = Tray(self)
        self.window = MainWindow(self.bridge, self.settings, self.tray)
        self.tray.showRequested.connect(self.window.bring_to_front)
        self.tray.pauseAllRequested.connect(self.window.pause_all)
        self.tray.resumeAllRequested.connect(self.window.resume_all)
        self.tray.quitRequested.connect(self.window.quit_app)
        self.tray.icon.messageClicked.connect(self.window.notice_clicked)
        self.server: InstanceServer | None = None
        if single_instance:
            self.server = InstanceServer(parent=self)
            self.server.listen()
            self.server.received.connect(self.window.receive_links)
        self.tray_shown = self.tray.show()
        app.setQuitOnLastWindowClosed(not self.tray_shown)
        if problem:
            self.window.statusBar().showMessage(problem, 20000)
        self.bridge.start()
        self.window.show()
        if args:
            self.window.receive_links(args)

    def close(self) -> None:
        if self.server is not None:
            self.server.close()
        self.tray.hide()
        self.window.quitting = True
        self.window.setProperty("quitOnClose", False)
        self.window.close()
        self.bridge.stop()
        logging.getLogger("zhilian.gui").info("the app closed")
        logsetup.teardown()


def _start_logging() -> Path | None:
    """The log file and the window's log dock get every record from here on."""
    from .log_panel import gui_handler
    path = logsetup.setup()
    gui_handler()
    logging.getLogger("zhilian.gui").info("zhilian %s: the app started (Python %s, %s)", __version__,
                                          sys.version.split()[0], sys.platform)
    return path


def _log_uncaught() -> None:
    """A bug in a slot (Qt hands its exception to sys.excepthook) is logged with its
    traceback (file and log dock) instead of lost on a terminal nobody watches."""
    log = logging.getLogger("zhilian.gui")

    def hook(tp: type[BaseException], value: BaseException, tb: Any) -> None:
        log.error("unexpected error", exc_info=(tp, value, tb))
    sys.excepthook = hook


def link_args(argv: list[str]) -> list[str]:
    """Command-line arguments that are links or files (options are not passed on). Files,
    given as paths or as ``file:`` URLs (the desktop entry passes ``%U``), become absolute
    paths: a running instance, started in another folder, must find them."""
    out = []
    for a in argv:
        if not a or a.startswith("-"):
            continue
        path = path_from_arg(a)
        try:
            if os.path.exists(path):
                path = os.path.abspath(path)
        except (OSError, ValueError):       # not a path at all (share text, NUL bytes)
            pass
        out.append(path)
    return out


def run_gui(argv: list[str]) -> int:
    args = link_args(argv)
    app = _qapp(sys.argv[0] if sys.argv else "zhilian")
    if send_to_running(args):
        print("Zhilian is already running: the links were handed to its window.")
        return 0
    desktop = DesktopApp(args)
    _log_uncaught()
    _quit_on_signals(app)
    try:
        return app.exec()
    finally:
        desktop.close()


def _quit_on_signals(app: QApplication) -> None:
    """Ctrl+C in the terminal, a SIGTERM (logout, systemd) or a SIGHUP (the terminal
    closed) closes cleanly: the queue saves its state and the downloads keep their .part
    and journal."""
    import signal

    from PySide6.QtCore import QTimer

    def _quit(*_: Any) -> None:
        app.quit()
    for sig in (signal.SIGINT, signal.SIGTERM, getattr(signal, "SIGHUP", None)):
        if sig is None or (sig != signal.SIGINT and signal.getsignal(sig) == signal.SIG_IGN):
            continue   # no SIGHUP on Windows; one ignored from the start (nohup) stays ignored
        try:
            signal.signal(sig, _quit)
        except (ValueError, OSError):      # not the main thread / not supported here
            pass
    # Python runs signal handlers only between bytecodes: wake it up now and then.
    timer = QTimer(app)
    timer.setInterval(300)
    timer.timeout.connect(lambda: None)
    timer.start()
