"""Render the app icon for the installers: hicolor PNGs, a Windows .ico and a macOS .icns.

    python packaging/make_icons.py OUT_DIR

Source: resources/icons/zhilian.svg when the app ships one, else packaging/icons/zhilian.svg.
Writes OUT_DIR/hicolor/<N>x<N>/apps/zhilian.png, OUT_DIR/hicolor/scalable/apps/zhilian.svg,
OUT_DIR/zhilian.ico (16, 24, 32, 48 and 256 px in one file, written here: Qt's ICO writer
stores a single image) and OUT_DIR/zhilian.icns (where Qt's image writer supports it: the
macOS CI runner makes it with iconutil).
"""

from __future__ import annotations

import os
import shutil
import struct
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 256)   # what Windows asks for: menus, taskbar, Explorer, tiles


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
    ico = out / "zhilian.ico"
    ico.write_bytes(ico_bytes({n: images[n] for n in ICO_SIZES}))
    written.append(ico)
    supported = {bytes(f).decode() for f in QImageWriter.supportedImageFormats()}
    if "icns" in supported:
        icns = out / "zhilian.icns"
        if images[512].save(str(icns), "ICNS"):
            written.append(icns)
    return written


def _png(img) -> bytes:
    from PySide6.QtCore import QBuffer, QIODevice
    buf = QBuffer()
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    if not img.save(buf, "PNG"):
        raise SystemExit("make_icons: PNG encoding failed")
    return bytes(buf.data())


def _dib(img) -> bytes:
    """A 32-bit BGRA device-independent bitmap as an ICO entry stores it: the header says
    twice the height (colour rows, then the 1-bit AND mask), rows bottom-up."""
    from PySide6.QtGui import QImage
    n = img.width()
    argb = img.convertToFormat(QImage.Format.Format_ARGB32)   # BGRA in memory (little-endian)
    rows = [bytes(argb.constScanLine(y))[: n * 4] for y in range(n)]
    mask_stride = ((n + 31) // 32) * 4
    mask_rows = []
    for row in rows:        # AND mask: 1 where fully transparent (for old readers)
        bits = bytearray(mask_stride)
        for x in range(n):
            if row[x * 4 + 3] == 0:
                bits[x // 8] |= 0x80 >> (x % 8)
        mask_rows.append(bytes(bits))
    pixels = b"".join(reversed(rows)) + b"".join(reversed(mask_rows))
    header = struct.pack("<IiiHHIIiiII", 40, n, 2 * n, 1, 32, 0, len(pixels), 0, 0, 0, 0)
    return header + pixels


def ico_bytes(images: dict) -> bytes:
    """A Windows .ico holding every given size: bitmaps up to 48 px (any Windows reads
    them), PNG for 256 px (Vista and later; a bitmap would be 256 KiB)."""
    entries = [(n, _png(img) if n >= 256 else _dib(img)) for n, img in sorted(images.items())]
    out = struct.pack("<HHH", 0, 1, len(entries))
    offset = 6 + 16 * len(entries)
    table, blobs = b"", b""
    for n, blob in entries:
        side = 0 if n >= 256 else n          # 0 means 256 in the directory entry
        table += struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(blob), offset + len(blobs))
        blobs += blob
    return out + table + blobs


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
