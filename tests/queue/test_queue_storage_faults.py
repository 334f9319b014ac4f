"""A read-only, full, locked, damaged or unreadable queue database: the CLI says in
one line what is wrong and what to do, exits non-zero, and the tasks stay as they
were. Moving the file away is suggested only when it truly cannot be read, and
then only after a copy was made (and named)."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

from dbfaults_helpers import checkpoint, damage_index, exclusive_lock, fill, read_only, small_fs
from qtest_helpers import CLI, ROOT, cli, settings
from servers import file_sha256, make_blob, sha256

from core.queue.service import queue_links
from core.queue.store import Store, db_path

FILES = {f"/f{i}.bin": make_blob(200_000 + i, 300 + i) for i in range(3)}


def _queue_three(file_server, dl_dir: Path) -> Path:
    for path, data in FILES.items():
        file_server.add(path, data)
    st = Store()
    queue_links(st, "\n".join(file_server.url(p) for p in FILES), settings(), dest_dir=str(dl_dir))
    st.close()
    db = db_path()
    checkpoint(db)
    return db


def _states(db: Path) -> list[tuple[int, str, str | None]]:
    st = Store(db, write=False)
    try:
        return [(r.id, r.state, r.error) for r in st.load()]
    finally:
        st.close()


QUEUED = [(1, "queued", None), (2, "queued", None), (3, "queued", None)]


def _one_line(r: subprocess.CompletedProcess, *words: str) -> str:
    """Non-zero exit, no traceback, exactly one line on stderr, naming ``words``."""
    out = r.stdout + r.stderr
    assert r.returncode != 0, out
    assert "Traceback" not in out and "sqlite3." not in out and "DatabaseError" not in out, out
    assert "paused or failed" not in out, out
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("zhilian: "), lines
    for w in words:
        assert w in lines[0], lines[0]
    return lines[0]


def test_read_only_database(file_server, dl_dir):
    db = _queue_three(file_server, dl_dir)
    with read_only(db):
        line = _one_line(cli("run"), "read-only", "tasks are intact", str(db))
        assert "Move" not in line and "move" not in line
        _one_line(cli("add", file_server.url("/f0.bin") + "?again=1", "-d", str(dl_dir)), "read-only")
        r = cli("list")        # reading still works
        assert r.returncode == 0 and "3 queued" in r.stdout, r.stdout + r.stderr
        assert _states(db) == QUEUED
    assert _states(db) == QUEUED
    assert list(dl_dir.iterdir()) == []          # nothing was downloaded behind a database it could not update
    r = cli("run")                               # writable again: everything works
    assert r.returncode == 0, r.stdout + r.stderr
    assert sorted(p.name for p in dl_dir.iterdir()) == ["f0.bin", "f1.bin", "f2.bin"]


def test_damaged_index_then_repair(file_server, dl_dir):
    db = _queue_three(file_server, dl_dir)
    damage_index(db)
    for args in (("add", file_server.url("/f0.bin") + "?x=1", "-d", str(dl_dir)), ("run",), ("list",)):
        # the hint names the program as started; the test CLI is `python -c`, which shows as zhilian
        line = _one_line(cli(*args), "damaged", "3 task(s) can still be read", "`zhilian repair-queue`")
        assert "move" not in line.lower()
    assert not list(db.parent.glob("zhilian.db.*-2*"))       # no copy made just for reporting
    r = cli("repair-queue")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "3 task(s) kept" in r.stdout
    [backup] = [p for p in db.parent.glob("zhilian.db.damaged-*") if not p.name.endswith("-wal")]
    assert str(backup) in r.stdout
    assert db.stat().st_mode & 0o777 == 0o600 and backup.stat().st_mode & 0o777 == 0o600   # still private
    assert _states(db) == QUEUED
    assert cli("add", file_server.url("/f0.bin") + "?x=1", "-d", str(dl_dir)).returncode == 0
    r = cli("run")
    assert r.returncode == 0, r.stdout + r.stderr
    for p, data in FILES.items():
        assert file_sha256(dl_dir / p.lstrip("/")) == sha256(data)


def test_unreadable_file_is_copied_before_moving_it_away_is_suggested(tmp_path):
    db = db_path()
    junk = make_blob(8192, 5)
    db.write_bytes(junk)
    r = cli("list")
    line = _one_line(r, "cannot be read", "A copy was saved as", "move zhilian.db away")
    [copy] = [p for p in db.parent.glob("zhilian.db.unreadable-*")]
    assert str(copy) in line and copy.read_bytes() == junk
    _one_line(cli("run"), "cannot be read", str(copy))          # the same copy, not a second one
    assert len(list(db.parent.glob("zhilian.db.unreadable-*"))) == 1
    assert db.read_bytes() == junk                               # the file itself is left alone


def test_database_locked_by_another_program(file_server, dl_dir):
    db = _queue_three(file_server, dl_dir)
    with exclusive_lock(db):
        t0 = time.monotonic()
        line = _one_line(cli("run", timeout=90), "locked by another program", "tasks are intact")
        assert "move" not in line.lower()
        assert time.monotonic() - t0 < 60          # it gives up after its lock timeout, not never
    assert _states(db) == QUEUED


def test_full_disk(file_server, dl_dir, zhilian_home):
    db = _queue_three(file_server, dl_dir)
    saved = db.read_bytes()
    data_dir = db.parent
    with small_fs(data_dir, "1m"):
        (data_dir / db.name).write_bytes(saved)
        filler = fill(data_dir)
        line = _one_line(cli("run"), "disk is full", "tasks are intact")
        assert "move" not in line.lower()
        _one_line(cli("add", file_server.url("/f0.bin") + "?x=1", "-d", str(dl_dir)), "disk is full")
        filler.unlink()
        assert _states(db) == QUEUED
        assert list(dl_dir.iterdir()) == []


def test_disk_fills_up_while_the_queue_runs(file_server, dl_dir, zhilian_home):
    """The database's disk fills while downloads run (the downloads are on another
    disk): `run` stops them cleanly and says so in one line; nothing is lost and the
    next run finishes every file."""
    # slow enough that no file can finish before the fill is noticed: one connection per file
    # (a second one could take over a tail that the server's 64 KiB bursts leave silent, and
    # each new request starts with a burst), 10 KB/s: 20 s a file; progress is saved every 2 s
    for path, data in FILES.items():
        file_server.add(path, data, rate=10_000)
    data_dir = db_path().parent
    shutil.rmtree(data_dir)
    with small_fs(data_dir, "2m"):
        st = Store()
        queue_links(st, "\n".join(file_server.url(p) for p in FILES), settings(), dest_dir=str(dl_dir),
                    connections=1)
        st.close()
        p = subprocess.Popen([*CLI, "run"], cwd=ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not list(dl_dir.glob("*.part.journal")):
            time.sleep(0.05)
        filler = fill(data_dir)
        out, err = p.communicate(timeout=60)
        r = subprocess.CompletedProcess(p.args, p.returncode, out, err)
        _one_line(r, "disk is full", "tasks are intact")
        filler.unlink()
        rows = _states(db_path())
        assert [t[0] for t in rows] == [1, 2, 3] and not any(t[1] in ("done", "failed") for t in rows)
        assert list(dl_dir.glob("*.part"))                     # the partial downloads were kept
        for f in FILES:
            file_server.faults[f].rate = 0
        r = cli("run")
        assert r.returncode == 0, r.stdout + r.stderr
        assert [t[1] for t in _states(db_path())] == ["done"] * 3
    for path, data in FILES.items():
        assert file_sha256(dl_dir / path.lstrip("/")) == sha256(data)
    assert sorted(p.name for p in dl_dir.iterdir()) == ["f0.bin", "f1.bin", "f2.bin"]
