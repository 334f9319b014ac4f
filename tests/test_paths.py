"""core.paths: on Linux the app's folders are worked out without importing platformdirs;
they must be exactly what platformdirs answers, whatever the XDG variables and HOME say."""

from __future__ import annotations

import subprocess
import sys

import platformdirs
import pytest

from core import paths

KINDS = {
    "config": platformdirs.user_config_dir,
    "data": platformdirs.user_data_dir,
    "log": platformdirs.user_log_dir,
    "cache": platformdirs.user_cache_dir,
}
VARS = ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME")

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the XDG rules are Linux's")


@pytest.mark.parametrize("home", ["/home/u", "/home/u/", "/", "//", "/srv/home with space/用户"])
@pytest.mark.parametrize("xdg", [None, "", "relative/dir", "/xdg/base", "/xdg/base/", " /lead-space"])
def test_the_folders_are_platformdirs_answers(monkeypatch, home, xdg):
    monkeypatch.delenv("ZHILIAN_HOME", raising=False)
    monkeypatch.setenv("HOME", home)
    for var in VARS:
        if xdg is None:
            monkeypatch.delenv(var, raising=False)
        else:
            monkeypatch.setenv(var, xdg)
    for kind, fn in KINDS.items():
        assert paths._xdg_dir(kind) == fn(paths.APP, appauthor=False), kind


def test_a_relative_home_is_left_to_platformdirs(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", "relative-home")
    for var in VARS:
        monkeypatch.delenv(var, raising=False)
    assert paths._xdg_dir("data") is None


def test_the_folders_are_created_where_the_variables_point(monkeypatch, tmp_path):
    monkeypatch.delenv("ZHILIAN_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    assert paths.log_dir() == tmp_path / "state" / "zhilian" / "log"
    assert paths.data_dir() == tmp_path / "home" / ".local" / "share" / "zhilian"
    assert paths.log_dir().is_dir() and paths.data_dir().is_dir()


def test_a_get_does_not_import_platformdirs(tmp_path):
    """The point of the above: `get` (its imports, its folders, its log) goes without it."""
    code = ("import sys; sys.argv = ['main.py', 'get', '--help']\n"
            "import main\n"
            "from core.commands import parser_for\n"
            "parser_for('get')\n"
            "from core import logsetup; logsetup.setup(console=False); logsetup.teardown()\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('platformdirs', 'tempfile')))")
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], cwd=paths.Path(__file__).parent.parent, env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
