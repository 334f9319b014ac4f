"""Pack the browser extension (browser/) into a zip for the Chrome Web Store, Edge and
Firefox (an unsigned .xpi is the same zip), with the app's version in its manifest.

    python packaging/browser_zip.py OUT.zip [VERSION]

The manifest must be Manifest V3 and every file it names must be in the folder; entries
are written in a fixed order with a fixed time, so the same sources give the same zip.
"""

from __future__ import annotations

import json
import re
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "browser"
FIXED_TIME = (2020, 1, 1, 0, 0, 0)


def _named_files(manifest: dict) -> set[str]:
    names = set(manifest.get("icons", {}).values())
    names |= set(manifest.get("action", {}).get("default_icon", {}).values())
    bg = manifest.get("background", {})
    names |= set(bg.get("scripts", [])) | ({bg["service_worker"]} if "service_worker" in bg else set())
    if "options_ui" in manifest:
        names.add(manifest["options_ui"]["page"])
    return names


def build(out: Path, version: str | None = None) -> list[str]:
    manifest = json.loads((SRC / "manifest.json").read_text(encoding="utf-8"))
    if manifest.get("manifest_version") != 3:
        raise SystemExit("browser_zip: browser/manifest.json must be Manifest V3")
    if version:
        manifest["version"] = re.sub(r"[^0-9.]", "", version.split("+")[0].split("-")[0]) or manifest["version"]
    missing = sorted(n for n in _named_files(manifest) if not (SRC / n).is_file())
    if missing:
        raise SystemExit(f"browser_zip: the manifest names missing files: {missing}")
    files = sorted(p for p in SRC.rglob("*") if p.is_file() and p.name != "manifest.json"
                   and not p.name.startswith("."))
    out.parent.mkdir(parents=True, exist_ok=True)
    names = ["manifest.json"]
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        info = zipfile.ZipInfo("manifest.json", FIXED_TIME)
        info.compress_type = zipfile.ZIP_DEFLATED
        z.writestr(info, json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
        for p in files:
            rel = p.relative_to(SRC).as_posix()
            info = zipfile.ZipInfo(rel, FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, p.read_bytes())
            names.append(rel)
    return names


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        raise SystemExit(__doc__)
    written = build(Path(sys.argv[1]), sys.argv[2] if len(sys.argv) == 3 else None)
    print(f"{sys.argv[1]}: {len(written)} files")
