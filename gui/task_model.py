"""The queue as a Qt table model: one row per task, fed by core events.

Rows are kept in arrival order in a list plus an id -> row dict, so an event updates
one row in O(1) and the 10,000-task case stays cheap. Sorting is done by a
QSortFilterProxyModel on ``SORT_ROLE`` (raw numbers), display text on DisplayRole.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)

from . import fmt, outcome

SORT_ROLE = Qt.ItemDataRole.UserRole + 1
TASK_ROLE = Qt.ItemDataRole.UserRole + 2       # the TaskView
PROGRESS_ROLE = Qt.ItemDataRole.UserRole + 3   # fraction 0..1, or -1 when the size is unknown
ID_ROLE = Qt.ItemDataRole.UserRole + 4

COL_NAME, COL_SIZE, COL_PROGRESS, COL_SPEED, COL_ETA, COL_STATE, COL_HOST = range(7)
COLUMNS = 7

LOG_LINES = 200


def _headers() -> list[str]:
    return [QCoreApplication.translate("TaskModel", "Name"), QCoreApplication.translate("TaskModel", "Size"),
            QCoreApplication.translate("TaskModel", "Progress"), QCoreApplication.translate("TaskModel", "Speed"),
            QCoreApplication.translate("TaskModel", "ETA"), QCoreApplication.translate("TaskModel", "State"),
            QCoreApplication.translate("TaskModel", "Source")]


def task_name(task: Any) -> str:
    name = getattr(task, "name", None)
    if name:
        return str(name)
    link = getattr(task, "link", "") or ""
    return link.rsplit("/", 1)[-1] or link


class TaskModel(QAbstractTableModel):
    def __init__(self, parent: Any = None):
        super().__init__(parent)
        self._ids: list[Any] = []
        self._row: dict[Any, int] = {}
        self._tasks: dict[Any, Any] = {}
        self.progress: dict[Any, Any] = {}          # task id -> latest core.engine.Progress
        self.logs: dict[Any, deque[str]] = {}       # task id -> recent log lines
        self._last_msg: dict[Any, str] = {}
        self._notified: dict[Any, tuple] = {}      # task id -> (state, error) last notified
        self._headers = _headers()

    # -- feeding ------------------------------------------------------------
    def reset_tasks(self, tasks: list[Any]) -> None:
        self.beginResetModel()
        self._ids = [t.id for t in tasks]
        self._row = {tid: i for i, tid in enumerate(self._ids)}
        self._tasks = {t.id: t for t in tasks}
        self.progress = {k: v for k, v in self.progress.items() if k in self._tasks}
        self.endResetModel()

    def apply_events(self, events: list[Any]) -> list[Any]:
        """Apply a batch of core events; returns the list of (kind, task) notable events."""
        changed_rows: set[int] = set()
        notable: list[Any] = []
        for ev in events:
            kind, tid, task = ev.kind, ev.task_id, ev.task
            if kind == "removed":
                changed_rows.discard(self._row.get(tid, -1))
                self._remove(tid)
                continue
            prev = self._tasks.get(tid)
            if getattr(ev, "progress", None) is not None:
                p = ev.progress
                self.progress[tid] = p
                msg = getattr(p, "message", None)
                if msg and self._last_msg.get(tid) != msg:
                    self._last_msg[tid] = msg
                    self._log(tid, msg)
            if task is None:
                continue
            task = self._with_live_progress(task, self.progress.get(tid))
            if tid not in self._row:
                self._insert(task)
                self._log(tid, QCoreApplication.translate("TaskModel", "Added: %1").replace("%1", task.link or ""))
            else:
                self._tasks[tid] = task
                changed_rows.add(self._row[tid])
            msg = getattr(task, "message", None)
            if msg and self._last_msg.get(tid) != msg:
                self._last_msg[tid] = msg
                self._log(tid, msg)
            if prev is None or prev.state != task.state:
                line = outcome.state_text(task)
                if task.error and task.state in ("failed", "paused"):
                    line += ": " + outcome.error_text(task)
                self._log(tid, line)
            changed_state = prev is None or prev.state != task.state
            stopped_with_error = task.state == "paused" and bool(task.error)   # e.g. link expired
            if (kind in ("finished", "failed") or (changed_state and (
                    task.state in ("handed_off", "failed", "done") or stopped_with_error))):
                key = (task.state, task.error)
                if self._notified.get(tid) != key:
                    self._notified[tid] = key
                    notable.append(("failed" if stopped_with_error else
                                    kind if kind in ("finished", "failed") else task.state, task))
        if changed_rows:
            lo, hi = min(changed_rows), max(changed_rows)
            if hi - lo < 64 or len(changed_rows) * 4 > hi - lo:
                self.dataChanged.emit(self.index(lo, 0), self.index(hi, COLUMNS - 1))
            else:
                for r in changed_rows:
                    self.dataChanged.emit(self.index(r, 0), self.index(r, COLUMNS - 1))
        return notable

    @staticmethod
    def _with_live_progress(task: Any, p: Any) -> Any:
        """The engine counts a range as done once it is complete; the bytes written in the
        ranges still in flight are in its connection list. Show both, so the bar and the
        speed move from the first second instead of in steps."""
        if p is None or task.state != "downloading" or not getattr(p, "connections", None):
            return task
        import dataclasses
        in_flight = sum(max(0, c.pos - c.start) for c in p.connections)
        covered = sum(max(0, b - a) for a, b in (p.done_ranges or []))
        done = max(task.done or 0, covered + in_flight)
        speed = max(task.speed or 0.0, sum(c.speed or 0.0 for c in p.connections))
        size = task.size or p.total
        if size:
            done = min(done, size)
        eta = task.eta
        if (eta is None or not task.speed) and speed > 0 and size:
            eta = (size - done) / speed
        if (done, speed, eta) == (task.done, task.speed, task.eta):
            return task
        try:
            return dataclasses.replace(task, done=done, speed=speed, eta=eta)
        except (TypeError, ValueError):
            return task

    def _insert(self, task: Any) -> None:
        row = len(self._ids)
        self.beginInsertRows(QModelIndex(), row, row)
        self._ids.append(task.id)
        self._row[task.id] = row
        self._tasks[task.id] = task
        self.endInsertRows()

    def _remove(self, tid: Any) -> None:
        row = self._row.get(tid)
        if row is None:
            return
        self.beginRemoveRows(QModelIndex(), row, row)
        del self._ids[row]
        del self._tasks[tid]
        self.progress.pop(tid, None)
        self.logs.pop(tid, None)
        self._row.pop(tid, None)
        for i in range(row, len(self._ids)):
            self._row[self._ids[i]] = i
        self.endRemoveRows()

    def _log(self, tid: Any, line: str) -> None:
        import time
        stamp = time.strftime("%H:%M:%S")
        self.logs.setdefault(tid, deque(maxlen=LOG_LINES)).append(f"{stamp}  {line}")

    # -- lookups ------------------------------------------------------------
    def task(self, tid: Any) -> Any:
        return self._tasks.get(tid)

    def task_at(self, row: int) -> Any:
        return self._tasks[self._ids[row]]

    def row_of(self, tid: Any) -> int:
        return self._row.get(tid, -1)

    def all_tasks(self) -> list[Any]:
        return [self._tasks[t] for t in self._ids]

    def total_speed(self) -> float:
        return sum(t.speed or 0 for t in self._tasks.values() if t.state == "downloading")

    def retranslate(self) -> None:
        self._headers = _headers()
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, COLUMNS - 1)
        if self._ids:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._ids) - 1, COLUMNS - 1))

    # -- Qt model API ---------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._ids)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else COLUMNS

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self._headers[section]
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        # Views ask for a dozen roles per cell; answer the ones we do not serve first.
        if role not in _ROLES or not index.isValid():
            return None
        t = self._tasks[self._ids[index.row()]]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if col == COL_NAME:
                return task_name(t)
            if col == COL_SIZE:
                return fmt.size(t.size) if t.size else ""
            if col == COL_PROGRESS:
                f = _fraction(t)
                return "" if f < 0 else f"{f * 100:.1f}%"
            if col == COL_SPEED:
                return fmt.speed(t.speed) if t.state == "downloading" else ""
            if col == COL_ETA:
                return fmt.eta(t.eta) if t.state == "downloading" else ""
            if col == COL_STATE:
                return outcome.state_text(t)
            if col == COL_HOST:
                return t.host or ""
        elif role == SORT_ROLE:
            if col == COL_NAME:
                return task_name(t).lower()
            if col == COL_SIZE:
                return t.size or 0
            if col == COL_PROGRESS:
                return _fraction(t)
            if col == COL_SPEED:
                return (t.speed or 0.0) if t.state == "downloading" else 0.0
            if col == COL_ETA:
                return t.eta if (t.eta is not None and t.state == "downloading") else float("inf")
            if col == COL_STATE:
                return _STATE_ORDER.get(t.state, 99)
            if col == COL_HOST:
                return t.host or ""
        elif role == PROGRESS_ROLE:
            return _fraction(t)
        elif role == TASK_ROLE:
            return t
        elif role == ID_ROLE:
            return t.id
        elif role == Qt.ItemDataRole.ToolTipRole:
            if t.error:
                return outcome.error_text(t)
            if col == COL_NAME:
                return t.path or t.link
        elif role == Qt.ItemDataRole.TextAlignmentRole:
            if col in (COL_SIZE, COL_SPEED, COL_ETA):
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


_ROLES = frozenset(int(r) for r in (Qt.ItemDataRole.DisplayRole, SORT_ROLE, TASK_ROLE, PROGRESS_ROLE, ID_ROLE,
                                     Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.TextAlignmentRole))

_STATE_ORDER = {"downloading": 0, "verifying": 1, "resolving": 2, "queued": 3, "paused": 4,
                "failed": 5, "done": 6, "handed_off": 7}


def _fraction(t: Any) -> float:
    if t.state in ("done", "handed_off"):
        return 1.0
    if not t.size:
        return -1.0
    return max(0.0, min(1.0, (t.done or 0) / t.size))


class TaskFilterProxy(QSortFilterProxyModel):
    """Sorts on raw values and filters by name / host / state text (the search box)."""

    def __init__(self, parent: Any = None):
        super().__init__(parent)
        self.setSortRole(SORT_ROLE)
        self.setDynamicSortFilter(True)
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self._needle = ""

    def set_search(self, text: str) -> None:
        self.beginFilterChange()
        self._needle = text.strip().lower()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: QModelIndex | QPersistentModelIndex) -> bool:
        if not self._needle:
            return True
        model = self.sourceModel()
        t = model.task_at(source_row)
        hay = " ".join([task_name(t), t.host or "", t.link or "", outcome.state_text(t)]).lower()
        return self._needle in hay
