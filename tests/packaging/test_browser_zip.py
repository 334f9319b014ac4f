"""The browser extension zip (packaging/browser_zip.py, run by scripts/build_packages.sh):
Manifest V3 with the app's version, every file of browser/ and nothing else, the same
bytes for the same sources."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _build(out: Path, version: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "packaging" / "browser_zip.py"), str(out), version],
                          capture_output=True, text=True, timeout=60)


def test_browser_zip(tmp_path):
    out = tmp_path / "a" / "zhilian-browser.zip"
    r = _build(out, "1.2.3")
    assert r.returncode == 0, r.stderr
    with zipfile.ZipFile(out) as z:
        names = z.namelist()
        manifest = json.loads(z.read("manifest.json"))
        assert z.testzip() is None
    assert manifest["manifest_version"] == 3 and manifest["version"] == "1.2.3"
    src = sorted(p.relative_to(ROOT / "browser").as_posix() for p in (ROOT / "browser").rglob("*") if p.is_file())
    assert sorted(names) == src
    bg = manifest["background"]
    for f in [bg["service_worker"], *bg["scripts"], manifest["options_ui"]["page"], *manifest["icons"].values()]:
        assert f in names
    assert {"contextMenus", "cookies", "downloads", "storage"} <= set(manifest["permissions"])
    assert manifest["browser_specific_settings"]["gecko"]["id"]          # Firefox
    again = tmp_path / "b.zip"
    assert _build(again, "1.2.3").returncode == 0
    assert again.read_bytes() == out.read_bytes()

