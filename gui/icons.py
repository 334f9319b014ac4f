"""SVG icons from resources/icons, tinted with the current palette's text colour so
they read well on light and dark themes, rendered crisp at any device pixel ratio."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from PySide6.QtCore import QByteArray, QRectF, QSize, Qt
from PySide6.QtGui import QGuiApplication, QIcon, QIconEngine, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer

from core.paths import resources_dir


def icons_dir() -> Path:
    return resources_dir() / "icons"


@cache
def _svg_text(name: str) -> str:
    return (icons_dir() / f"{name}.svg").read_text(encoding="utf-8")


def _text_colour(mode: QIcon.Mode) -> str:
    app = QGuiApplication.instance()
    pal = QGuiApplication.palette() if app else None
    if pal is None:
        return "#444444"
    from PySide6.QtGui import QPalette
    group = QPalette.ColorGroup.Disabled if mode == QIcon.Mode.Disabled else QPalette.ColorGroup.Active
    role = QPalette.ColorRole.HighlightedText if mode == QIcon.Mode.Selected else QPalette.ColorRole.WindowText
    return pal.color(group, role).name()


class _TintedSvgEngine(QIconEngine):
    """Renders the SVG at paint time with the palette colour of that moment."""

    def __init__(self, name: str):
        super().__init__()
        self._name = name

    def paint(self, painter: QPainter, rect, mode: QIcon.Mode, state: QIcon.State) -> None:  # noqa: ANN001
        svg = _svg_text(self._name).replace("currentColor", _text_colour(mode))
        QSvgRenderer(QByteArray(svg.encode("utf-8"))).render(painter, QRectF(rect))

    def pixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QPixmap:
        pm = QPixmap(size)
        pm.fill(Qt.GlobalColor.transparent)
        p = QPainter(pm)
        self.paint(p, pm.rect(), mode, state)
        p.end()
        return pm

    def clone(self) -> QIconEngine:
        return _TintedSvgEngine(self._name)


def icon(name: str) -> QIcon:
    """A palette-tinted icon, e.g. ``icon("pause")``."""
    return QIcon(_TintedSvgEngine(name))


def app_icon() -> QIcon:
    """The full-colour application icon (SVG plus the PNG sizes for hicolor)."""
    ic = QIcon()
    base = icons_dir()
    for px in (16, 24, 32, 48, 64, 128, 256):
        png = base / "hicolor" / f"{px}x{px}" / "apps" / "zhilian.png"
        if png.exists():
            ic.addFile(str(png), QSize(px, px))
    ic.addFile(str(base / "zhilian.svg"))
    return ic


def render_app_pngs(out_dir: Path | None = None) -> list[Path]:
    """Writes hicolor/NxN/apps/zhilian.png from zhilian.svg (run by scripts, kept in git)."""
    out_dir = out_dir or icons_dir() / "hicolor"
    renderer = QSvgRenderer(str(icons_dir() / "zhilian.svg"))
    written = []
    for px in (16, 24, 32, 48, 64, 128, 256):
        from PySide6.QtGui import QImage
        img = QImage(px, px, QImage.Format.Format_ARGB32)
        img.fill(Qt.GlobalColor.transparent)
        p = QPainter(img)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(p)
        p.end()
        target = out_dir / f"{px}x{px}" / "apps" / "zhilian.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        img.save(str(target))
        written.append(target)
    return written


if __name__ == "__main__":  # python -m gui.icons  -> regenerate the PNG sizes
    from PySide6.QtGui import QGuiApplication as _App
    _a = _App([])
    for _p in render_app_pngs():
        print(_p)
