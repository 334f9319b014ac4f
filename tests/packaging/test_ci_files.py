"""The Windows/macOS build recipes cannot run here; check that they are well-formed and
point at files that exist or that the build makes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.timeout(900)


def test_workflow_builds_windows_and_macos_on_their_runners():
    wf = yaml.safe_load((ROOT / ".github/workflows/build.yml").read_text(encoding="utf-8"))
    jobs = wf["jobs"]
    assert jobs["windows"]["runs-on"].startswith("windows")
    assert jobs["macos"]["runs-on"].startswith("macos")
    for name in ("windows", "macos"):
        script = "\n".join(step.get("run", "") for step in jobs[name]["steps"])
        assert "requirements-build.txt" in script
        assert "PyInstaller" in script and "build.spec" in script
        assert "ZHILIAN_SELFTEST=" in script
        assert any(step.get("uses", "").startswith("actions/upload-artifact") for step in jobs[name]["steps"])
    win = "\n".join(step.get("run", "") for step in jobs["windows"]["steps"])
    assert "packaging/windows/zhilian.iss" in win and "/DAppVersion=" in win
    assert "hdiutil" in "\n".join(step.get("run", "") for step in jobs["macos"]["steps"])


def test_inno_setup_script_matches_the_bundle():
    iss = (ROOT / "packaging/windows/zhilian.iss").read_text(encoding="utf-8")
    assert re.search(r"^AppVersion=\{#AppVersion\}$", iss, re.M)
    assert r'Source: "{#Root}\dist\zhilian\*"' in iss
    assert r"SetupIconFile={#Root}\build\icons\zhilian.ico" in iss
    assert '#define AppExe "zhilian.exe"' in iss
    spec = (ROOT / "build.spec").read_text(encoding="utf-8")
    # the spec names the windowed GUI zhilian.exe and the console CLI zhilian-cli.exe
    assert 'executables = [_exe(APP, console=sys.platform != "win32")]' in spec
    assert '_exe(f"{APP}-cli", console=True)' in spec
    make_icons = (ROOT / "packaging/make_icons.py").read_text(encoding="utf-8")
    assert '"zhilian.ico"' in make_icons


def test_windows_and_macos_icons_are_rendered(built):
    icons = built.dist / ".build" / "icons"
    ico = (icons / "zhilian.ico").read_bytes()
    assert ico[:4] == b"\x00\x00\x01\x00"  # ICO header, type 1 (icon)
    icns = (icons / "zhilian.icns").read_bytes()
    assert icns[:4] == b"icns" and int.from_bytes(icns[4:8], "big") == len(icns)
