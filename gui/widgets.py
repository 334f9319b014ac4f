"""Painted widgets: the queue table with its progress-bar and state delegates, and the
live file map."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication, QModelIndex, QPersistentModelIndex, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QSizePolicy,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QWidget,
)

from .task_model import COL_NAME, COL_PROGRESS, COL_STATE, PROGRESS_ROLE, TASK_ROLE

# Colours of the connections in the file map (also used in its legend).
CONN_COLOURS = ["#e8a33d", "#d9534f", "#9b59b6", "#3498db", "#16a085", "#e67e22", "#c0392b", "#8e44ad"]


class ProgressDelegate(QStyledItemDelegate):
    """Draws a progress bar in the Progress column with the palette's colours: the
    highlight colour while running, dimmed when paused, green when done, red when failed."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        frac = index.data(PROGRESS_ROLE)
        task = index.data(TASK_ROLE)
        pal = option.palette
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        if selected:
            painter.fillRect(option.rect, pal.highlight())
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        r = QRectF(option.rect.adjusted(3, 4, -3, -4))
        painter.setPen(pal.color(QPalette.ColorRole.Mid))
        painter.setBrush(pal.color(QPalette.ColorRole.Base))
        painter.drawRoundedRect(r, 3, 3)
        state = getattr(task, "state", "")
        if state == "failed":
            fill = QColor("#c0392b")
        elif state in ("done", "handed_off"):
            fill = QColor("#2e9e5b")
        elif state == "paused":
            fill = pal.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Highlight)
        else:
            fill = pal.color(QPalette.ColorGroup.Active, QPalette.ColorRole.Highlight)
            if selected:
                fill = fill.lighter(140)
        text = ""
        if frac is not None and frac >= 0:
            w = (r.width() - 2) * frac
            if w > 0:
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(fill)
                painter.drawRoundedRect(QRectF(r.left() + 1, r.top() + 1, w, r.height() - 2), 2, 2)
            text = f"{frac * 100:.1f}%"
        if text:
            painter.setPen(pal.color(QPalette.ColorRole.Text))
            painter.drawText(r, int(Qt.AlignmentFlag.AlignCenter), text)
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        return QSize(120, max(22, option.fontMetrics.height() + 8))


class FileMap(QWidget):
    """A bar standing for the whole file: done bytes, the range each connection is
    working on (one colour per connection, its written part solid, the rest hatched),
    and what is still missing. Fed from core.engine.Progress."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.total: int | None = None
        self.done_ranges: list[tuple[int, int]] = []
        self.connections: list[Any] = []
        self.complete = False
        self.setMinimumHeight(34)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_state(self, total: int | None, done_ranges: list[tuple[int, int]] | None,
                  connections: list[Any] | None, complete: bool = False) -> None:
        self.total = total
        self.done_ranges = list(done_ranges or [])
        self.connections = list(connections or [])
        self.complete = complete
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(400, 34)

    def _x(self, rect: QRect, offset: int) -> float:
        return rect.left() + rect.width() * (offset / self.total if self.total else 0)

    def paintEvent(self, _event: Any) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        pal = self.palette()
        r = self.rect().adjusted(1, 1, -1, -1)
        p.fillRect(r, pal.color(QPalette.ColorRole.Base))
        done_colour = QColor("#2e9e5b")
        if self.complete:
            p.fillRect(r, done_colour)
        elif self.total:
            for a, b in self.done_ranges:
                x0, x1 = self._x(r, a), self._x(r, b)
                p.fillRect(QRectF(x0, r.top(), max(1.0, x1 - x0), r.height()), done_colour)
            for i, c in enumerate(self.connections):
                colour = QColor(CONN_COLOURS[i % len(CONN_COLOURS)])
                x0, xp, x1 = self._x(r, c.start), self._x(r, c.pos), self._x(r, c.end)
                band = QRectF(x0, r.top(), max(1.0, x1 - x0), r.height())
                faint = QColor(colour)
                faint.setAlpha(70)
                p.fillRect(band, faint)
                p.fillRect(QRectF(x0, r.top(), max(1.0, xp - x0), r.height()), colour)
                p.fillRect(QRectF(xp - 1, r.top(), 2, r.height()), pal.color(QPalette.ColorRole.Text))
        else:
            p.setPen(pal.color(QPalette.ColorRole.PlaceholderText))
            p.drawText(r, Qt.AlignmentFlag.AlignCenter,
                       QCoreApplication.translate("FileMap", "Size not known yet"))
        p.setPen(pal.color(QPalette.ColorRole.Mid))
        p.drawRect(r)
        p.end()


class StateDelegate(QStyledItemDelegate):
    """The State column: a row that needs the user ("Needs login", "Link expired") gets
    its button (*Import login…*, *Replace link…*) drawn at the cell's right; a click on
    it emits ``clicked(task_id, action)`` (gui/outcome.py names the actions)."""

    def __init__(self, parent: QWidget | None = None, on_click: Any = None):
        super().__init__(parent)
        self.on_click = on_click

    def button_rect(self, option_rect: QRect, text: str, metrics: Any) -> QRect:
        w = metrics.horizontalAdvance(text) + 16
        return QRect(option_rect.right() - w - 2, option_rect.top() + 2, w, option_rect.height() - 4)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        from . import outcome
        task = index.data(TASK_ROLE)
        act = outcome.action(task) if task is not None else None
        if act is None:
            super().paint(painter, option, index)
            return
        label = outcome.action_text(act)
        btn = self.button_rect(option.rect, label, option.fontMetrics)
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.rect = option.rect.adjusted(0, 0, -btn.width() - 4, 0)
        opt.palette.setColor(QPalette.ColorRole.Text, QColor("#c0392b"))
        style = opt.widget.style() if opt.widget is not None else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
            from PySide6.QtWidgets import QStyleOptionButton
            b = QStyleOptionButton()
            b.rect, b.text = btn, label
            b.state = QStyle.StateFlag.State_Enabled | QStyle.StateFlag.State_Raised
            b.palette = option.palette
            style.drawControl(QStyle.ControlElement.CE_PushButton, b, painter, opt.widget)

    def editorEvent(self, event: Any, model: Any, option: QStyleOptionViewItem,
                    index: QModelIndex | QPersistentModelIndex) -> bool:
        from PySide6.QtCore import QEvent

        from . import outcome
        if event.type() != QEvent.Type.MouseButtonRelease:
            return super().editorEvent(event, model, option, index)
        task = index.data(TASK_ROLE)
        act = outcome.action(task) if task is not None else None
        if act is None:
            return super().editorEvent(event, model, option, index)
        btn = self.button_rect(option.rect, outcome.action_text(act), option.fontMetrics)
        if btn.contains(event.position().toPoint()) and self.on_click is not None:
            self.on_click(task.id, act)
            return True
        return super().editorEvent(event, model, option, index)

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        size = super().sizeHint(option, index)
        return QSize(size.width() + 110, size.height())


def queue_table(model: Any, row_action: Any) -> QTableView:
    """The main window's table of downloads over ``model``: sortable, rows selected whole,
    a progress bar and a state column whose button calls ``row_action(task_id, action)``."""
    t = QTableView()
    t.setObjectName("queue")
    t.setModel(model)
    t.setSortingEnabled(True)
    t.sortByColumn(-1, Qt.SortOrder.AscendingOrder)
    t.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    t.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
    t.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
    t.setItemDelegateForColumn(COL_PROGRESS, ProgressDelegate(t))
    t.setItemDelegateForColumn(COL_STATE, StateDelegate(t, row_action))
    t.verticalHeader().hide()
    t.verticalHeader().setDefaultSectionSize(max(24, t.fontMetrics().height() + 10))
    t.setAlternatingRowColors(True)
    t.setWordWrap(False)
    t.setShowGrid(False)
    t.setAcceptDrops(False)                 # drops go to the window (the add flow)
    t.viewport().setAcceptDrops(False)
    hh = t.horizontalHeader()
    hh.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    hh.setStretchLastSection(True)
    hh.setSectionsMovable(True)
    for col, width in ((COL_NAME, 300), (COL_PROGRESS, 140), (COL_STATE, 230)):
        hh.resizeSection(col, width)
    return t
