"""Line charts as PNG for the benchmark pages, drawn with Qt (already a dependency of the
app, so the benchmarks need no plotting library)."""

from __future__ import annotations

import os
from pathlib import Path

COLORS = ["#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd"]


def _nice_max(v: float) -> float:
    for step in (1, 2, 5, 10, 20, 50, 100, 200, 500):
        if v <= step:
            return float(step)
    return float(int(v) + 1)


def line_panels(panels: list[tuple[str, dict[str, list[tuple[float, float]]]]], out: Path,
                *, xlabel: str, ylabel: str, cols: int = 2) -> None:
    """One chart per panel (title, {series label: [(x, y), ...]}), `cols` per row, saved as PNG."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QPointF, QRectF, Qt
    from PySide6.QtGui import QColor, QFont, QGuiApplication, QImage, QPainter, QPen

    app = QGuiApplication.instance() or QGuiApplication([])  # noqa: F841 (fonts need it)
    pw, ph = 560, 360
    rows = (len(panels) + cols - 1) // cols
    img = QImage(pw * cols, ph * rows, QImage.Format.Format_ARGB32)
    img.fill(QColor("white"))
    p = QPainter(img)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    font = QFont()
    font.setPixelSize(12)
    p.setFont(font)
    for i, (title, series) in enumerate(panels):
        ox, oy = (i % cols) * pw, (i // cols) * ph
        left, top, right, bottom = ox + 60, oy + 40, ox + pw - 20, oy + ph - 50
        xs = [x for pts in series.values() for x, _ in pts] or [0, 1]
        ys = [y for pts in series.values() for _, y in pts] or [1]
        x0, x1 = min(xs), max(xs) or 1
        ymax = _nice_max(max(ys) * 1.1)

        def pt(x: float, y: float, x0=x0, x1=x1, ymax=ymax, left=left, right=right,
               top=top, bottom=bottom) -> QPointF:
            fx = (x - x0) / ((x1 - x0) or 1)
            return QPointF(left + fx * (right - left), bottom - y / ymax * (bottom - top))

        p.setPen(QPen(QColor("black"), 1))
        p.drawText(QRectF(ox, oy + 8, pw, 20), Qt.AlignmentFlag.AlignHCenter, title)
        p.drawLine(left, bottom, right, bottom)
        p.drawLine(left, top, left, bottom)
        for k in range(6):
            y = ymax * k / 5
            q = pt(x0, y)
            p.setPen(QPen(QColor("#dddddd"), 1))
            p.drawLine(QPointF(left, q.y()), QPointF(right, q.y()))
            p.setPen(QPen(QColor("black"), 1))
            p.drawText(QRectF(ox, q.y() - 8, 55, 16), Qt.AlignmentFlag.AlignRight, f"{y:g}")
        for x in sorted(set(xs)):
            q = pt(x, 0)
            p.drawText(QRectF(q.x() - 30, bottom + 4, 60, 16), Qt.AlignmentFlag.AlignHCenter, f"{x:g}")
        p.drawText(QRectF(left, bottom + 22, right - left, 16), Qt.AlignmentFlag.AlignHCenter, xlabel)
        p.save()
        p.translate(ox + 14, (top + bottom) / 2)
        p.rotate(-90)
        p.drawText(QRectF(-80, -8, 160, 16), Qt.AlignmentFlag.AlignHCenter, ylabel)
        p.restore()
        for j, (label, pts) in enumerate(series.items()):
            color = QColor(COLORS[j % len(COLORS)])
            p.setPen(QPen(color, 2))
            pts = sorted(pts)
            for a, b in zip(pts, pts[1:]):
                p.drawLine(pt(*a), pt(*b))
            for a in pts:
                p.drawEllipse(pt(*a), 3, 3)
            p.drawLine(left + 10, top + 8 + j * 16, left + 30, top + 8 + j * 16)
            p.setPen(QPen(QColor("black"), 1))
            p.drawText(QPointF(left + 36, top + 12 + j * 16), label)
    p.end()
    img.save(str(out))


def latency_from_table(table: str, out: Path, *, skip: tuple[str, ...] = ("aria2c (defaults)",)) -> None:
    """The time-vs-RTT chart of ``bench/engine.py --latency`` redrawn from the markdown table
    it printed (one panel per case and protocol, one line per command)."""
    panels: dict[str, dict[str, list[tuple[float, float]]]] = {}
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 5 or not cells[2].replace(".", "").isdigit():
            continue
        case, proto, rtt, label, wall = cells[:5]
        if label in skip:
            continue
        panels.setdefault(f"{case}, {proto}", {}).setdefault(label, []).append((float(rtt), float(wall)))
    line_panels(list(panels.items()), out, xlabel="round-trip time, ms", ylabel="wall time, s")


if __name__ == "__main__":
    import sys
    if len(sys.argv) != 3:
        sys.exit("usage: plot.py TABLE.md OUT.png   (a table printed by bench/engine.py --latency)")
    latency_from_table(Path(sys.argv[1]).read_text(encoding="utf-8"), Path(sys.argv[2]))
    print(sys.argv[2])
