"""PyInstaller runtime hook of the Zhilian bundle: a self-check from inside the frozen app.

Dormant (one environment lookup) unless ZHILIAN_SELFTEST is set to a comma list of checks:

  imports  every module listed in the build manifest imports from the bundle
  keyring  the system keyring backend is found, and a secret can be stored, read and deleted
  qt       Qt starts on the current platform plugin; SVG images and icons load
  gui      the app's window opens (offscreen works) and the app quits by itself
  all      imports,keyring,qt

It prints one JSON object on stdout (and writes it to the file ZHILIAN_SELFTEST_OUT names, for
the windowed Windows zhilian.exe, which has no stdout) and exits 0 when every check passed, 1
otherwise, before the app's own entry point runs. Packaging tests and the install proof use it; a user can run
`ZHILIAN_SELFTEST=all zhilian` to see why a frozen install misbehaves.
"""

import os


def _process_age_ms():
    """Milliseconds since this process was started (Linux: /proc), else None."""
    try:
        with open("/proc/self/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
        with open("/proc/uptime", "rb") as f:
            uptime = float(f.read().split()[0])
        ticks = os.sysconf("SC_CLK_TCK")
        return round((uptime - int(fields[19]) / ticks) * 1000)
    except (OSError, ValueError, IndexError):
        return None


def _zhilian_selftest(spec: str) -> int:
    import importlib
    import json
    import sys
    import time
    import traceback
    from pathlib import Path

    t0 = time.monotonic()
    from core.invocation import ensure_std_streams

    ensure_std_streams()     # a windowed executable has no stdout/stderr (None)
    wanted = {s.strip() for s in spec.split(",") if s.strip()}
    if "all" in wanted or wanted == {"1"}:
        wanted = {"imports", "keyring", "qt"}
    report: dict = {"frozen": bool(getattr(sys, "frozen", False)), "checks": {}}
    base = Path(getattr(sys, "_MEIPASS", "."))

    def run(name, fn):
        try:
            report["checks"][name] = {"ok": True, **(fn() or {})}
        except BaseException as e:  # the report must name every failure, whatever it is
            report["checks"][name] = {"ok": False, "error": f"{type(e).__name__}: {e}",
                                      "trace": traceback.format_exc(limit=6)}

    def check_imports():
        manifest = json.loads((base / "zhilian-manifest.json").read_text(encoding="utf-8"))
        failed = {}
        for mod in manifest["modules"]:
            try:
                importlib.import_module(mod)
            except Exception as e:
                failed[mod] = f"{type(e).__name__}: {e}"
        import core
        if failed:
            raise ImportError(f"{len(failed)} module(s) failed: {failed}")
        return {"count": len(manifest["modules"]), "version": core.__version__,
                "manifest_version": manifest["version"]}

    def check_keyring():
        import keyring
        from keyring.backends import fail

        kr = keyring.get_keyring()
        name = f"{type(kr).__module__}.{type(kr).__name__}"
        if isinstance(kr, fail.Keyring):
            raise RuntimeError(f"no usable keyring backend (got {name})")
        service, user = "zhilian-selftest", f"probe-{os.getpid()}"
        secret = os.urandom(12).hex()
        keyring.set_password(service, user, secret)
        try:
            got = keyring.get_password(service, user)
        finally:
            keyring.delete_password(service, user)
        if got != secret:
            raise RuntimeError("keyring returned a different secret than stored")
        if keyring.get_password(service, user) is not None:
            raise RuntimeError("keyring kept a deleted secret")
        return {"backend": name}

    def check_qt():
        from PySide6.QtCore import QByteArray, QLibraryInfo
        from PySide6.QtGui import QIcon, QImage, QImageReader
        from PySide6.QtWidgets import QApplication

        app = QApplication.instance() or QApplication(sys.argv[:1])
        formats = sorted(bytes(f).decode() for f in QImageReader.supportedImageFormats())
        if "svg" not in formats or "png" not in formats:
            raise RuntimeError(f"image formats missing: {formats}")
        icons = sorted((base / "resources" / "icons").glob("*.svg"))
        if not icons:
            raise RuntimeError("no SVG icon in resources/icons")
        icon = QIcon(str(icons[0]))
        pix = icon.pixmap(64, 64)
        if pix.isNull():
            raise RuntimeError(f"SVG icon engine could not render {icons[0].name}")
        from PySide6.QtCore import QBuffer, QIODevice

        img = QImage(8, 8, QImage.Format.Format_ARGB32)
        img.fill(0xFF3366CC)
        buf = QBuffer()
        buf.open(QIODevice.OpenModeFlag.WriteOnly)
        if not img.save(buf, "PNG"):
            raise RuntimeError("PNG encoding failed")
        back = QImage()
        if not back.loadFromData(QByteArray(buf.data()), "PNG") or back.pixel(3, 3) != 0xFF3366CC:
            raise RuntimeError("PNG decoding failed")
        return {"platform": app.platformName(), "qt": QLibraryInfo.version().toString(),
                "image_formats": formats}

    def check_gui():
        from PySide6.QtCore import QTimer
        from PySide6.QtWidgets import QApplication

        app = QApplication.instance() or QApplication(sys.argv[:1])
        seen: dict = {}

        def poll():
            shown = [w for w in QApplication.topLevelWidgets() if w.isVisible()]
            if shown:
                seen["ms"] = round((time.monotonic() - t0) * 1000)
                seen["title"] = shown[0].windowTitle()
                started = _process_age_ms()
                if started is not None:
                    seen["since_start"] = started
                app.quit()
            elif time.monotonic() - t0 > 20:
                app.quit()
            else:
                QTimer.singleShot(10, poll)

        # Uncaught exceptions (main thread, Qt slots, worker threads) make the check fail.
        import threading

        uncaught: list[str] = []
        prev_hook, prev_thread_hook = sys.excepthook, threading.excepthook

        def on_error(tp, value, tb):
            uncaught.append(f"{tp.__name__}: {value}")
            prev_hook(tp, value, tb)

        def on_thread_error(args):
            uncaught.append(f"{args.exc_type.__name__}: {args.exc_value}")
            prev_thread_hook(args)

        sys.excepthook, threading.excepthook = on_error, on_thread_error
        QTimer.singleShot(0, poll)
        from gui.app import run_gui

        try:
            rc = run_gui([])
        finally:
            sys.excepthook, threading.excepthook = prev_hook, prev_thread_hook
        if "ms" not in seen:
            raise RuntimeError("no window was shown within 20 s")
        if uncaught:
            raise RuntimeError(f"uncaught exception(s) while the window was up: {uncaught}")
        out = {"window_title": seen["title"], "ms_after_hook": seen["ms"], "exit_code": rc}
        if "since_start" in seen:
            out["ms_since_process_start"] = seen["since_start"]
        return out

    for name, fn in (("imports", check_imports), ("keyring", check_keyring),
                     ("qt", check_qt), ("gui", check_gui)):
        if name in wanted:
            run(name, fn)
    unknown = wanted - {"imports", "keyring", "qt", "gui"}
    if unknown:
        report["checks"]["arguments"] = {"ok": False, "error": f"unknown checks: {sorted(unknown)}"}
    report["ok"] = bool(report["checks"]) and all(c["ok"] for c in report["checks"].values())
    line = json.dumps(report, ensure_ascii=False) + "\n"
    out = os.environ.get("ZHILIAN_SELFTEST_OUT")
    if out:
        with open(out, "w", encoding="utf-8") as f:
            f.write(line)
    sys.stdout.write(line)
    sys.stdout.flush()
    return 0 if report["ok"] else 1


if os.environ.get("ZHILIAN_SELFTEST"):
    os._exit(_zhilian_selftest(os.environ["ZHILIAN_SELFTEST"]))
