"""Watched folders: new files become shares by themselves; optional retention.

Polling (every few seconds) rather than inotify: it works the same on Windows,
Linux, network drives and inside containers, and a HeyGem ``outputs/`` folder
gets a few files an hour.  A file is shared once it has not changed for
``SETTLE_SECONDS`` (a video still being written is not shared half-done), and
partial/temporary files are never shared.  Symlinks pointing out of the folder
are skipped here and refused again by the server.

Retention runs only for folders where the user turned it on: results older
than N days are deleted or moved to an archive folder, their shares revoked,
and the freed space reported.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import human_bytes
from .store import Share, ShareStore, Watch

SETTLE_SECONDS = 3.0
SKIP_SUFFIXES = (".part", ".journal", ".tmp", ".temp", ".crdownload", ".partial", ".download", "~")


def _inside(root: str, path: str) -> bool:
    try:
        return os.path.commonpath([root, path]) == root
    except ValueError:  # other drive on Windows
        return False


def candidate_files(watch: Watch) -> Iterator[tuple[str, os.stat_result]]:
    """(path, stat) of every shareable regular file in the folder."""
    root = os.path.realpath(watch.folder)
    archive = os.path.realpath(watch.archive_dir) if watch.archive_dir else None
    if not os.path.isdir(root):
        return
    for dirpath, dirnames, filenames in os.walk(watch.folder, followlinks=False):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")
                       and not (archive and os.path.realpath(os.path.join(dirpath, d)) == archive)]
        if not watch.recursive:
            dirnames[:] = []
        for fn in filenames:
            if fn.startswith(".") or fn.lower().endswith(SKIP_SUFFIXES):
                continue
            p = os.path.join(dirpath, fn)
            real = os.path.realpath(p)
            if not _inside(root, real):
                continue            # a symlink out of the folder: never shared
            try:
                st = os.stat(real)
            except OSError:
                continue
            if not os.path.isfile(real):
                continue
            yield p, st


def scan(store: ShareStore, watch: Watch, now: float | None = None) -> list[Share]:
    """Share the files of one watched folder that have no share yet."""
    now = time.time() if now is None else now
    new: list[Share] = []
    for p, st in candidate_files(watch):
        if now - st.st_mtime < SETTLE_SECONDS:
            continue                # still being written
        if store.shares_for_real(os.path.realpath(p), watch.id):
            continue
        expires = int(now) + watch.expires_seconds if watch.expires_seconds else 0
        try:
            new.append(store.add(p, expires=expires, pw_hash=watch.pw_hash,
                                 limit_bps=watch.limit_bps, watch_id=watch.id))
        except Exception:  # vanished between listing and sharing
            continue
    return new


def scan_all(store: ShareStore, now: float | None = None) -> list[Share]:
    out: list[Share] = []
    for w in store.watches():
        out += scan(store, w, now)
    return out


@dataclass
class RetentionReport:
    watch_id: str
    folder: str
    action: str                     # 'delete' | 'archive'
    days: float
    dry_run: bool
    files: list[str] = field(default_factory=list)
    bytes: int = 0
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        verb = {"delete": "deleted", "archive": "archived"}[self.action]
        if self.dry_run:
            verb = f"would be {verb}"
        freed = "would free" if self.dry_run else "freed"
        s = (f"{self.folder}: {len(self.files)} file(s) older than {self.days:g} days {verb}, "
             f"{freed} {human_bytes(self.bytes)}")
        if self.errors:
            s += f"; {len(self.errors)} could not be removed ({self.errors[0]})"
        return s


def apply_retention(store: ShareStore, watch: Watch, dry_run: bool = False,
                    now: float | None = None) -> RetentionReport | None:
    """Delete/archive old files of a folder whose retention the user turned on."""
    if not watch.retention_action or not watch.retention_days:
        return None
    now = time.time() if now is None else now
    cutoff = now - watch.retention_days * 86400
    rep = RetentionReport(watch.id, watch.folder, watch.retention_action, watch.retention_days, dry_run)
    for p, st in list(candidate_files(watch)):
        if st.st_mtime >= cutoff or os.path.islink(p):
            continue
        real = os.path.realpath(p)
        rep.files.append(p)
        rep.bytes += st.st_size
        if dry_run:
            continue
        try:
            if watch.retention_action == "delete":
                os.remove(p)
            else:
                assert watch.archive_dir
                rel = os.path.relpath(p, watch.folder)
                dst = Path(watch.archive_dir) / rel
                dst.parent.mkdir(parents=True, exist_ok=True)
                if dst.exists():
                    dst = dst.with_name(f"{dst.stem}.{int(now)}{dst.suffix}")
                shutil.move(p, dst)
        except OSError as e:
            rep.files.pop()
            rep.bytes -= st.st_size
            rep.errors.append(f"{p}: {e.strerror or e}")
            continue
        for s in store.shares_for_real(real):
            if not s.revoked:
                store.revoke(s.id)
    return rep


def apply_retention_all(store: ShareStore, dry_run: bool = False,
                        now: float | None = None) -> list[RetentionReport]:
    out = []
    for w in store.watches():
        r = apply_retention(store, w, dry_run, now)
        if r is not None:
            out.append(r)
    return out
