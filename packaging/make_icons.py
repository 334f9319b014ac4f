"""Render the app icon for the installers: hicolor PNGs, a Windows .ico and a macOS .icns.

    python packaging/make_icons.py OUT_DIR

Source: resources/icons/zhilian.svg when the app ships one, else packaging/icons/zhilian.svg.
Writes OUT_DIR/hicolor/<N>x<N>/apps/zhilian.png, OUT_DIR/hicolor/scalable/apps/zhilian.svg,
OUT_DIR/zhilian.ico and OUT_DIR/zhilian.icns (each format only where Qt's image writer
supports it: the .icns is also made by the macOS CI runner with iconutil).
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)


def source_svg() -> Path:
    own = ROOT / "resources" / "icons" / "zhilian.svg"
    return own if own.is_file() else ROOT / "packaging" / "icons" / "zhilian.svg"


def render(out: Path) -> list[Path]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QImageWriter, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841 (keeps Qt alive)
    svg = source_svg()
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"make_icons: {svg} is not a valid SVG")
    written: list[Path] = []
    images = {}
    for n in SIZES:
        img = QImage(n, n, QImage.Format.Format_ARGB32_Premultiplied)
        img.fill(Qt.GlobalColor.transparent)
        p = QPainter(img)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        renderer.render(p)
        p.end()
        images[n] = img
        dest = out / "hicolor" / f"{n}x{n}" / "apps" / "zhilian.png"
        dest.parent.mkdir(parents=True, exist_ok=True)
        if not img.save(str(dest), "PNG"):
            raise SystemExit(f"make_icons: could not write {dest}")
        written.append(dest)
    scalable = out / "hicolor" / "scalable" / "apps" / "zhilian.svg"
    scalable.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(svg, scalable)
    written.append(scalable)
    supported = {bytes(f).decode() for f in QImageWriter.supportedImageFormats()}
    if "ico" in supported:
        ico = out / "zhilian.ico"
        if images[256].save(str(ico), "ICO"):
            written.append(ico)
    if "icns" in supported:
        icns = out / "zhilian.icns"
        if images[512].save(str(icns), "ICNS"):
            written.append(icns)
    return written


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    out = Path(argv[0])
    out.mkdir(parents=True, exist_ok=True)
    for f in render(out):
        print(f)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
