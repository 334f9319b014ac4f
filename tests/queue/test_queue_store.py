"""The SQLite store: schema versions and migrations, shared file, secrets."""

from __future__ import annotations

import sqlite3

from core.queue.store import MIGRATIONS, SCHEMA_VERSION, Store, TaskRow, clean_ref, display_link, is_signed


def test_fresh_database_is_wal_and_current(tmp_path):
    st = Store(tmp_path / "q.db")
    assert st.version() == SCHEMA_VERSION
    assert st.con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    st.close()


def test_migrates_version_1_keeping_tasks(tmp_path):
    db = tmp_path / "old.db"
    con = sqlite3.connect(db)
    con.executescript(MIGRATIONS[0])
    con.execute("INSERT INTO tasks(link, dest_dir, position, created) VALUES('http://h/a.bin', '/tmp', 1, 1)")
    con.execute("PRAGMA user_version=1")
    con.commit()
    con.close()
    st = Store(db)
    assert st.version() == SCHEMA_VERSION
    [row] = st.load()
    assert row.link == "http://h/a.bin" and row.time_limit is None and row.md5 is None
    st.update(row.id, time_limit=60.0, md5="0" * 32)
    assert st.get(row.id).time_limit == 60.0
    st.close()


def test_shares_the_file_with_handoffs_table(tmp_path):
    from core.heygem import handoff
    con = handoff._connect()          # another part of the app creates its table first
    con.close()
    st = Store()
    st.insert([TaskRow(link="http://h/x", real_link="http://h/x", dest_dir=str(tmp_path))])
    tables = {r[0] for r in st.con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"handoffs", "tasks"} <= tables
    assert st.con.execute("SELECT COUNT(*) FROM handoffs").fetchone()[0] == 0     # left as it was
    st.close()


def test_secret_detection_and_redaction():
    assert not is_signed("https://pan.baidu.com/s/1abc?pwd=x7k2")       # an extraction code is no signature
    assert display_link("https://pan.baidu.com/s/1abc?pwd=x7k2") == "https://pan.baidu.com/s/1abc?pwd=x7k2"
    url = "https://bucket.s3.amazonaws.com/m.bin?X-Amz-Credential=AK&X-Amz-Signature=deadbeef&X-Amz-Expires=60"
    assert is_signed(url)
    shown = display_link(url)
    assert "deadbeef" not in shown and "AK" not in shown and "X-Amz-Expires=60" in shown
    assert is_signed("https://user:pw@host/f") and "pw" not in display_link("https://user:pw@host/f")
    ref = clean_ref({"link": url, "fs_id": 5, "cookies": {"BDUSS": "x"}, "token": "t", "password": "ab12"})
    assert ref == {"link": shown, "fs_id": 5, "password": "ab12"}


def test_signed_link_without_keyring_is_not_stored(file_server, tmp_path, dl_dir):
    """No usable keyring: the signed link is never written; after a restart the task
    asks for the link again instead of failing obscurely."""
    from qtest_helpers import cli
    file_server.add("/k.bin", b"x" * 1000)
    url = file_server.url("/k.bin") + "?token=SECRETTOKEN123"
    env = {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    assert cli("add", url, "-d", str(dl_dir), env=env).returncode == 0
    st = Store()
    [row] = st.load()
    assert row.link_secret is None and row.real_link is None and "SECRETTOKEN123" not in row.link
    st.close()
    for f in st.path.parent.iterdir():
        if f.name.startswith("zhilian.db"):
            assert b"SECRETTOKEN123" not in f.read_bytes()
    r = cli("run", env=env)
    assert r.returncode == 0
    out = cli("list", env=env).stdout
    assert "paused" in out and "paste the link again" in out
