"""Real storage faults for the queue database: an immutable (or read-only) file, a
small file system filled to the last byte, a damaged index page, another
process holding an exclusive lock."""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest


@contextlib.contextmanager
def read_only(path: Path):
    """``chattr +i`` where it works (as root, chmod alone does not stop writes),
    else the file and its folder made read-only."""
    immutable = shutil.which("chattr") is not None and subprocess.run(
        ["chattr", "+i", str(path)], capture_output=True).returncode == 0
    if not immutable:
        if os.geteuid() == 0:
            pytest.fail("running as root without a working chattr: cannot make a file read-only")
        path.chmod(0o444)
        path.parent.chmod(0o555)
    try:
        with pytest.raises(OSError):
            open(path, "r+b").close()
        yield
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(path)], check=True)
        else:
            path.parent.chmod(0o755)
            path.chmod(0o644)


def checkpoint(db: Path) -> None:
    """Everything into the main file (no -wal left), so a fault on the file is seen."""
    con = sqlite3.connect(db)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    for suffix in ("-wal", "-shm"):
        db.with_name(db.name + suffix).unlink(missing_ok=True)


def damage_index(db: Path, index: str = "tasks_order") -> None:
    """Overwrites the first bytes of an index's root page (the table stays intact)."""
    checkpoint(db)
    con = sqlite3.connect(db)
    root = con.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (index,)).fetchone()[0]
    size = con.execute("PRAGMA page_size").fetchone()[0]
    con.close()
    with open(db, "r+b") as fh:
        fh.seek((root - 1) * size)
        fh.write(b"\xde\xad\xbe\xef" * 64)


@contextlib.contextmanager
def small_fs(mountpoint: Path, size: str = "1m"):
    """A tmpfs of ``size`` mounted on ``mountpoint`` (needs CAP_SYS_ADMIN)."""
    mountpoint.mkdir(parents=True, exist_ok=True)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(mountpoint)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"a small file system is needed to fill a disk, and mount is not allowed here: {r.stderr}")
    try:
        yield mountpoint
    finally:
        for _ in range(50):
            if subprocess.run(["umount", str(mountpoint)], capture_output=True).returncode == 0:
                break
            time.sleep(0.1)
        else:
            subprocess.run(["umount", "-l", str(mountpoint)], check=True)


def fill(folder: Path) -> Path:
    """Writes a file until the file system is full; returns it (delete it to free the space)."""
    filler = folder / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        block = b"\0" * 4096
        while True:
            try:
                os.write(fd, block)
            except OSError as e:
                if e.errno != errno.ENOSPC:
                    raise
                if len(block) == 1:
                    break
                block = block[: len(block) // 2]
    finally:
        os.close(fd)
    return filler


@contextlib.contextmanager
def exclusive_lock(db: Path):
    """Another process that opened the database and holds an exclusive lock on it
    (a database browser in the middle of a write)."""
    code = ("import sqlite3, sys, time\n"
            "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
            "c.execute('PRAGMA locking_mode=EXCLUSIVE')\n"
            "c.execute('BEGIN EXCLUSIVE')\n"
            "c.execute(\"INSERT OR REPLACE INTO queue_meta(key, value) VALUES('browser', 'x')\")\n"
            "print('locked', flush=True)\n"
            "time.sleep(120)\n")
    p = subprocess.Popen([sys.executable, "-c", code, str(db)], stdout=subprocess.PIPE, text=True)
    try:
        assert p.stdout is not None and p.stdout.readline().strip() == "locked"
        yield p
    finally:
        p.kill()
        p.wait()
