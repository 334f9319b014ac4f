"""core/fsutil.py: private files (and SQLite's -wal/-shm), atomic writes, live processes."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys

import pytest

from core.fsutil import atomic_write, pid_alive, private_file


def _mode(p) -> int:
    return stat.S_IMODE(os.stat(p).st_mode)


@pytest.fixture
def umask022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_private_sqlite_database_keeps_its_log_private(tmp_path, umask022):
    db = tmp_path / "x.db"
    private_file(db, sqlite=True)
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("CREATE TABLE t(secret TEXT)")
    con.execute("INSERT INTO t VALUES('scrypt$...')")
    names = ["x.db", "x.db-wal", "x.db-shm"]
    assert {n: oct(_mode(tmp_path / n)) for n in names} == {n: "0o600" for n in names}
    # a database left 0644 (with its log) by an older version is fixed on the next open
    for n in names:
        os.chmod(tmp_path / n, 0o644)
    private_file(db, sqlite=True)
    assert {n: oct(_mode(tmp_path / n)) for n in names} == {n: "0o600" for n in names}
    con.close()


def test_without_it_sqlite_files_follow_the_umask(tmp_path, umask022):
    """The reason private_file exists: SQLite alone creates the database and its -wal
    world-readable under the usual umask."""
    con = sqlite3.connect(tmp_path / "plain.db", isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("CREATE TABLE t(x)")
    assert _mode(tmp_path / "plain.db") == 0o644 and _mode(tmp_path / "plain.db-wal") == 0o644
    con.close()


def test_atomic_write(tmp_path, umask022):
    d = tmp_path / "w"
    d.mkdir()
    p = d / "state.json"
    atomic_write(p, '{"a": 1}')
    assert p.read_text() == '{"a": 1}' and _mode(p) == 0o600
    os.chmod(p, 0o644)
    atomic_write(p, b"new")
    assert p.read_bytes() == b"new" and _mode(p) == 0o600
    atomic_write(p, "public", mode=0o644)
    assert _mode(p) == 0o644
    assert sorted(x.name for x in d.iterdir()) == ["state.json"]      # no temp file left
    with pytest.raises(OSError):
        atomic_write(d / "missing-dir" / "f", "x")
    assert p.read_text() == "public"


def test_atomic_write_with_a_known_temp_name_and_the_umask(tmp_path):
    """The journal and the hand-off record name their temporary file (others recognise it)
    and follow the umask like the downloads beside them."""
    d = tmp_path / "dl"
    d.mkdir()
    j = d / "m.bin.part.journal"
    tmp = d / "m.bin.part.journal.tmp"
    tmp.write_bytes(b"half a journal left by a kill -9")
    old = os.umask(0o077)
    try:
        atomic_write(j, b'{"v":1}', 0o644, tmp=tmp, umask=True)
    finally:
        os.umask(old)
    assert j.read_bytes() == b'{"v":1}' and _mode(j) == 0o600 and not tmp.exists()
    old = os.umask(0o022)
    try:
        atomic_write(j, b'{"v":2}', 0o644, tmp=tmp, umask=True)
    finally:
        os.umask(old)
    assert j.read_bytes() == b'{"v":2}' and _mode(j) == 0o644
    # a write that fails leaves the old file and no temporary one
    with pytest.raises(TypeError):
        atomic_write(j, 12345, tmp=tmp)          # type: ignore[arg-type]
    assert j.read_bytes() == b'{"v":2}' and sorted(x.name for x in d.iterdir()) == [j.name]


def test_pid_alive():
    assert pid_alive(os.getpid())
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert not pid_alive(child.pid)
    for bad in (0, -1, True, 2 ** 80, "123"):
        assert not pid_alive(bad)        # type: ignore[arg-type]
