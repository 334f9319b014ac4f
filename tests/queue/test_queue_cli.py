"""The headless commands as real processes: add, list, run (--watch), pause,
resume, remove."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

from qtest_helpers import CLI, cli
from servers import file_sha256, make_blob, sha256

from core.queue.store import Store


def test_add_list_run_exits_when_empty(file_server, dl_dir):
    a, b = make_blob(200_000, 1), make_blob(300_000, 2)
    file_server.add("/a.bin", a)
    file_server.add("/b.bin", b)
    r = cli("add", file_server.url("/a.bin"), f"链接: {file_server.url('/b.bin')} 提取码: ab12",
            "-d", str(dl_dir), "--priority", "2")
    assert r.returncode == 0, r.stderr
    ids = [int(line.split("\t")[0]) for line in r.stdout.splitlines()]
    assert len(ids) == 2 and "queued 2 task(s)" in r.stderr
    out = cli("list").stdout
    assert "a.bin" in out and "b.bin" in out and "2 queued" in out
    r = cli("run", "--interval", "0.2")
    assert r.returncode == 0, r.stderr
    assert f"[{ids[0]}] done: {dl_dir / 'a.bin'}" in r.stdout
    assert file_sha256(dl_dir / "a.bin") == sha256(a) and file_sha256(dl_dir / "b.bin") == sha256(b)
    rows = json.loads(cli("list", "--json").stdout)
    assert [x["state"] for x in rows] == ["done", "done"]
    assert {x["password"] for x in rows} == {None, "ab12"}
    # nothing to do: run exits at once
    r = cli("run")
    assert r.returncode == 0 and "0 to do" in r.stdout


def test_run_reports_failures_with_exit_code(file_server, dl_dir):
    cli("add", file_server.url("/nope.bin"), "-d", str(dl_dir))
    r = cli("run")
    assert r.returncode == 1
    assert "failed" in r.stdout and "Not found" in r.stdout and "Traceback" not in r.stderr


def test_clear_errors_no_traceback(dl_dir):
    r = cli("add", "just words", "-d", str(dl_dir))
    assert r.returncode == 1 and r.stderr.strip() == "zhilian: No link found in the pasted text"
    r = cli("add", "http://x/a", "--sha256", "123")
    assert r.returncode == 1 and "SHA-256" in r.stderr and "Traceback" not in r.stderr
    r = cli("pause", "42")
    assert r.returncode == 1 and "no task 42" in r.stderr


def test_pause_resume_remove_without_runner(file_server, dl_dir):
    file_server.add("/c.bin", make_blob(10_000, 3))
    tid = cli("add", file_server.url("/c.bin"), "-d", str(dl_dir)).stdout.split("\t")[0]
    assert "paused" in cli("pause", tid).stdout
    r = cli("run")
    assert r.returncode == 0 and "1 task(s) paused or failed" in r.stdout
    assert not (dl_dir / "c.bin").exists()
    assert "cancelled" in cli("cancel", tid).stdout
    assert "Stopped by the user" in cli("list").stdout
    assert "queued" in cli("retry", tid).stdout
    assert cli("run").returncode == 0 and (dl_dir / "c.bin").exists()
    assert "removed and its file deleted" in cli("remove", tid, "--delete-file").stdout
    assert not (dl_dir / "c.bin").exists() and "empty" in cli("list").stdout


def test_watch_picks_up_new_tasks_and_commands(file_server, dl_dir):
    file_server.add("/w1.bin", make_blob(50_000, 4))
    # slow enough (16 connections x 100 KB/s: 5 s) that the pause always lands mid-download
    slow = make_blob(8_000_000, 5)
    file_server.add("/w2.bin", slow, rate=100_000)
    env = dict(os.environ)
    p = subprocess.Popen([*CLI, "run", "--watch", "--interval", "0.2"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env=env, cwd=Path(__file__).resolve().parents[2])
    try:
        time.sleep(1.0)
        assert p.poll() is None                      # waits although the queue is empty
        cli("add", file_server.url("/w1.bin"), "-d", str(dl_dir))
        tid = cli("add", file_server.url("/w2.bin"), "-d", str(dl_dir)).stdout.split("\t")[0]
        deadline = time.time() + 30
        while not (dl_dir / "w1.bin").exists() and time.time() < deadline:
            time.sleep(0.1)
        assert (dl_dir / "w1.bin").exists()
        while not (dl_dir / "w2.bin.part").exists() and time.time() < deadline:
            time.sleep(0.05)   # pause it while it downloads, not while it waits in the queue
        r = cli("pause", tid)
        assert "asked the running queue to pause" in r.stdout
        deadline = time.time() + 30
        st = Store()
        while st.get(int(tid)).state != "paused" and time.time() < deadline:
            time.sleep(0.1)
        assert st.get(int(tid)).state == "paused"
        st.close()
    finally:
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=30)
    assert p.returncode == 130 and "again resumes" in err
    assert "[1] done" in out
    assert (dl_dir / "w2.bin.part").exists() and not (dl_dir / "w2.bin").exists()
