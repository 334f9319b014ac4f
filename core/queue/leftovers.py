"""A task's files on disk, and the partial downloads in the queue's folders that
no task owns.

A Zhilian partial download is ``NAME.part`` with its journal
``NAME.part.journal`` (and, for a moment while it is rewritten,
``NAME.part.journal.tmp``). A task owns the ones of its reserved name and of its
recorded path. At start the queue lists, in every folder its tasks use and in the default
download folder, the
journals no task owns (with their ``.part`` when it is there): a task removed
while its download was unfinished (Remove keeps a resumable partial file, so
adding the link again resumes it), a ``get`` that was interrupted, a copy of the folder from
another computer. They are reported, never deleted: they may be someone's
half-finished 20 GB. A ``.part`` without a journal is not reported: browsers
use the same suffix, and a ``.part`` without journal is not resumable anyway.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from .. import journal
from ..errors import human_bytes
from .store import FINAL_STATES, TaskRow

log = logging.getLogger("zhilian.queue")

_JOURNAL = journal.journal_path(Path("x.part")).name[len("x.part"):]    # ".journal"
_TMP = ".tmp"


@dataclass(frozen=True)
class Leftover:
    journal: Path              # NAME.part.journal (or its .tmp when only that is left)
    part: Path | None          # NAME.part, None when it is gone
    size: int = 0              # bytes of the .part on disk

    def describe(self) -> str:
        if self.part is None:
            return f"{self.journal} (its .part is gone)"
        return f"{self.part} ({human_bytes(self.size)}, with its journal)"


def _targets(row: TaskRow) -> list[Path]:
    return [Path(p) for p in dict.fromkeys((row.reserved_path, row.path)) if p]


def task_files(row: TaskRow) -> list[Path]:
    """Everything on disk that belongs to a task: its file (not once handed off:
    then it lives in the install), the .part, the journal and its temporary file."""
    out: list[Path] = []
    for final in _targets(row):
        if row.state != "handed_off" and final == Path(row.path or ""):
            out.append(final)
        part = final.with_name(final.name + ".part")
        jp = journal.journal_path(part)
        out += [part, jp, jp.with_name(jp.name + _TMP)]
    return out


def tidy(row: TaskRow, *, removed: bool = False) -> None:
    """A journal whose .part is gone describes no file: remove it (the engine does
    the same when it next picks that name). For a task being removed (keeping its
    file), a .part without journal goes too: it cannot be resumed (the engine would
    start it from zero), so it is not a partial download worth keeping."""
    for final in _targets(row):
        part = final.with_name(final.name + ".part")
        jp = journal.journal_path(part)
        if not part.exists():
            journal.remove(jp)
        elif removed and not jp.exists():
            part.unlink(missing_ok=True)
            journal.remove(jp)


def _owned(rows: Iterable[TaskRow]) -> set[str]:
    owned: set[str] = set()
    for r in rows:
        if r.state in FINAL_STATES:
            continue
        for final in _targets(r):
            jp = journal.journal_path(final.with_name(final.name + ".part"))
            owned.add(os.path.normcase(os.path.abspath(jp)))
    return owned


def find_leftovers(rows: list[TaskRow], extra_folders: Iterable[Path] = ()) -> list[Leftover]:
    """Journals (with their .part) that no unfinished task owns, in the tasks'
    folders and ``extra_folders`` (the default download folder). Not recursive."""
    folders: dict[str, Path] = {}
    for f in [*extra_folders, *(p for r in rows for p in (Path(r.dest_dir), *(t.parent for t in _targets(r))))]:
        folders.setdefault(os.path.normcase(os.path.abspath(f)), f)
    owned = _owned(rows)
    found: dict[str, Leftover] = {}
    for folder in folders.values():
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        for name in names:
            if name.endswith(".part" + _JOURNAL + _TMP):
                jp = folder / name[: -len(_TMP)]
            elif name.endswith(".part" + _JOURNAL):
                jp = folder / name
            else:
                continue
            key = os.path.normcase(os.path.abspath(jp))
            if key in owned or key in found:
                continue
            part = jp.with_name(jp.name[: -len(_JOURNAL)])
            try:
                size = part.stat().st_size
            except OSError:
                found[key] = Leftover(jp if jp.exists() else folder / name, None)
                continue
            found[key] = Leftover(jp, part, size)
    return sorted(found.values(), key=lambda lo: str(lo.part or lo.journal))
