"""The frozen (PyInstaller one-dir) app: runs, downloads with hash check, has every module,
its keyring backend works against the real gnome-keyring, and only the wanted Qt parts."""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.timeout(900)

ROOT = Path(__file__).resolve().parents[2]


def selftest(run_frozen, exe: Path, checks: str, **env) -> dict:
    p = run_frozen(exe, env={"ZHILIAN_SELFTEST": checks, **env})
    lines = p.stdout.strip().splitlines()
    assert lines, f"no self-check report (exit {p.returncode}): {p.stderr[-2000:]}"
    report = json.loads(lines[-1])
    assert p.returncode == (0 if report["ok"] else 1)
    return report


def test_version_is_the_one_from_core(built, run_frozen):
    p = run_frozen(built.exe, "--version")
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == f"zhilian {built.version}"


def test_cli_help_lists_discovered_commands(built, run_frozen):
    # core.commands.* are found with pkgutil at run time: each must be in the bundle.
    p = run_frozen(built.exe, "--help")
    assert p.returncode == 0, p.stderr
    # the subcommands the source tree offered when the build started
    assert "get" in built.commands
    for name in built.commands:
        assert re.search(rf"^\s+{re.escape(name)}\b", p.stdout, re.M), f"{name} missing from:\n{p.stdout}"


def test_every_source_module_is_bundled_and_imports(built, run_frozen):
    manifest = json.loads((built.app / "_internal" / "zhilian-manifest.json").read_text())
    assert manifest["version"] == built.version
    # The manifest is the spec's own walk of the sources; other modules may appear while
    # the build runs, so it must hold at least every module present before the build.
    assert {"core.resolvers.base", "core.commands.get", "gui.app"} <= built.modules
    assert built.modules <= set(manifest["modules"])
    report = selftest(run_frozen, built.exe, "imports")
    assert report["frozen"] is True
    assert report["checks"]["imports"] == {"ok": True, "count": len(manifest["modules"]),
                                           "version": built.version, "manifest_version": built.version}


def test_keyring_secret_service_works_in_the_frozen_app(built, run_frozen):
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        pytest.fail("no D-Bus session: run the tests with ./test.sh (real gnome-keyring)")
    report = selftest(run_frozen, built.exe, "keyring")
    kr = report["checks"]["keyring"]
    assert kr["ok"], kr
    assert kr["backend"] == "keyring.backends.SecretService.Keyring"


def test_keyring_failure_is_reported_not_hidden(built, run_frozen):
    # Without a session bus there is no Secret Service: the self-check must say so.
    report = selftest(run_frozen, built.exe, "keyring",
                      DBUS_SESSION_BUS_ADDRESS="unix:path=/nonexistent/bus")
    assert report["ok"] is False
    assert report["checks"]["keyring"]["ok"] is False


def test_qt_and_gui_open_offscreen_and_quit(built, run_frozen, tmp_path):
    report = selftest(run_frozen, built.exe, "qt,gui", ZHILIAN_HOME=str(tmp_path))
    qt, gui = report["checks"]["qt"], report["checks"]["gui"]
    assert qt["ok"] and gui["ok"], report
    assert qt["platform"] == "offscreen"
    assert {"svg", "png"} <= set(qt["image_formats"])
    assert "Zhilian" in gui["window_title"]
    assert gui["exit_code"] == 0


def test_get_with_sha256_from_local_server(built, run_frozen, file_server, tmp_path):
    data = os.urandom(3_000_000)
    file_server.add("/models/w.bin", data)
    good = hashlib.sha256(data).hexdigest()
    env = {"ZHILIAN_HOME": str(tmp_path / "home")}
    p = run_frozen(built.exe, "get", file_server.url("/models/w.bin"), "-d", str(tmp_path / "dl"),
                   "--sha256", good, "-q", env=env)
    assert p.returncode == 0, p.stderr
    assert (tmp_path / "dl" / "w.bin").read_bytes() == data

    bad = run_frozen(built.exe, "get", file_server.url("/models/w.bin"), "-d", str(tmp_path / "bad"),
                     "--sha256", "0" * 64, "-q", env=env)
    assert bad.returncode != 0
    assert "sha256" in bad.stderr.lower()
    assert "Traceback" not in bad.stderr
    assert not (tmp_path / "bad" / "w.bin").exists()


KEPT_PLUGINS = {
    "platforms": {"libqoffscreen.so", "libqxcb.so", "libqwayland.so", "libqminimal.so"},
    "imageformats": {"libqsvg.so"},
    "iconengines": {"libqsvgicon.so"},
    "platforminputcontexts": {"libcomposeplatforminputcontextplugin.so", "libibusplatforminputcontextplugin.so"},
    "wayland-shell-integration": {"libxdg-shell.so"},
    "wayland-decoration-client": {"libbradient.so"},
}


def test_only_wanted_qt_modules_and_plugins(built):
    internal = built.app / "_internal"
    plugins = internal / "PySide6" / "Qt" / "plugins"
    found = {d.name: {f.name for f in d.iterdir()} for d in plugins.iterdir()}
    assert found == KEPT_PLUGINS
    py_modules = {f.name.split(".")[0] for f in (internal / "PySide6").glob("Qt*.so")}
    assert {"QtCore", "QtGui", "QtWidgets"} <= py_modules
    assert py_modules <= {"QtCore", "QtGui", "QtWidgets", "QtNetwork", "QtSvg", "QtDBus"}
    libs = {f.name for f in internal.rglob("libQt6*")}
    for unwanted in ("Qml", "Quick", "Pdf", "OpenGLWidgets", "EglFS", "VirtualKeyboard", "Designer"):
        assert not any(unwanted in n for n in libs), (unwanted, sorted(libs))
    translations = {f.name for f in (internal / "PySide6" / "Qt" / "translations").iterdir()}
    assert {"qtbase_zh_CN.qm", "qtbase_en.qm"} <= translations
    assert all(t.startswith("qtbase_") for t in translations)
    assert not [p for p in built.app.rglob("*") if p.is_symlink() and not p.exists()]


def test_resources_are_bundled(built):
    res = built.app / "_internal" / "resources"
    got = {p.relative_to(res) for p in res.rglob("*") if p.is_file()}
    sources_only = {".ts", ".sh", ".py", ".pro", ".md"}
    want = {p for p in built.resources if p.suffix not in sources_only}
    assert want <= got
    assert not [p for p in got if p.suffix in sources_only]
    assert (res / "icons" / "zhilian.svg").is_file()
    assert any(p.parts[0] == "catalog" for p in got)
    assert all((res / p).is_file() for p in built.resources if p.suffix == ".qm")


def test_no_plaintext_keyring_backends_shipped(built):
    # The Python modules live in the archive appended to the executable; their names are
    # stored in clear there, which the positive control below proves.
    archive = built.exe.read_bytes()
    assert b"keyring.backends.SecretService" in archive
    assert b"core.accounts" in archive
    assert b"keyrings.alt" not in archive
    assert not list((built.app / "_internal").glob("keyrings*"))


def _no_console() -> None:
    """In the child before exec: no stdout/stderr at all, as a windowed Windows program
    starts (Python then sets sys.stdout and sys.stderr to None)."""
    os.close(1)
    os.close(2)


def test_frozen_app_runs_without_a_console(built, file_server, tmp_path):
    import subprocess
    data = os.urandom(2_000_000)
    file_server.add("/models/nc.bin", data)
    env = dict(os.environ, ZHILIAN_HOME=str(tmp_path / "home"), QT_QPA_PLATFORM="offscreen")
    env.pop("ZHILIAN_SELFTEST", None)
    url = file_server.url("/models/nc.bin")
    good = subprocess.run([str(built.exe), "get", url, "-d", str(tmp_path / "dl"), "--sha256",
                           hashlib.sha256(data).hexdigest()], env=env, preexec_fn=_no_console, timeout=120)
    assert good.returncode == 0
    assert (tmp_path / "dl" / "nc.bin").read_bytes() == data
    bad = subprocess.run([str(built.exe), "get", url, "-d", str(tmp_path / "bad"), "--sha256", "0" * 64],
                         env=env, preexec_fn=_no_console, timeout=120)
    assert bad.returncode == 1 and not (tmp_path / "bad" / "nc.bin").exists()
    # the bundle's self-check writes its report to a file when there is no stdout
    report = tmp_path / "report.json"
    gui = subprocess.run([str(built.exe)], env=dict(env, ZHILIAN_SELFTEST="qt,gui", ZHILIAN_SELFTEST_OUT=str(report)),
                         preexec_fn=_no_console, timeout=120)
    r = json.loads(report.read_text(encoding="utf-8"))
    assert gui.returncode == 0 and r["ok"] and "Zhilian" in r["checks"]["gui"]["window_title"], r


@pytest.mark.parametrize("how", ["symlink", "exec -a"])
def test_frozen_messages_name_the_program_as_started(how, built, tmp_path):
    import subprocess
    env = dict(os.environ, ZHILIAN_HOME=str(tmp_path / "home"), QT_QPA_PLATFORM="offscreen")
    env.pop("ZHILIAN_PROG", None)
    if how == "symlink":
        (tmp_path / "bin").mkdir()
        (tmp_path / "bin" / "zhilian-nightly").symlink_to(built.exe)
        env["PATH"] = f"{tmp_path / 'bin'}:{env['PATH']}"
        cmd, want = ["zhilian-nightly"], "zhilian-nightly"
    else:
        cmd, want = ["bash", "-c", f'exec -a zl {built.exe} "$@"', "zl"], "zl"
    p = subprocess.run([*cmd, "add", "https://example.com/models/a.bin"], env=env, capture_output=True,
                       text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert f"`{want} run` downloads them" in p.stderr


def test_check_install_script_passes_on_the_bundle(built):
    """packaging/check_install.sh, which the Windows and macOS jobs run on what they install:
    here on the Linux bundle (version, a get from python -m http.server with its SHA-256
    checked, the first window offscreen)."""
    import subprocess
    import sys
    env = dict(os.environ, PYTHON=sys.executable)
    env.pop("ZHILIAN_SELFTEST", None)
    p = subprocess.run(["bash", str(ROOT / "packaging" / "check_install.sh"), str(built.exe)], env=env,
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    assert "saved, SHA-256 verified here too" in p.stdout and "CHECKED" in p.stdout
