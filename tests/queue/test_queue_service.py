"""QueueService against real SQLite files and a local Range file server."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from qtest_helpers import Recorder, run_svc, settings, wait_until
from servers import RawServer, file_sha256, make_blob, ok_answer, sha256, tls_server_context

from core.queue.service import QueueService
from core.queue.store import QueueDbError, Store

S3_EXPIRED = (b"<?xml version='1.0' encoding='UTF-8'?><Error><Code>AccessDenied</Code>"
              b"<Message>Request has expired</Message></Error>")


def _done(svc, tid):
    return svc.get(tid).state in ("done", "failed", "paused", "handed_off")


def test_add_run_verify_events(file_server, dl_dir):
    data = [make_blob(300_000 + i * 1000, i) for i in range(3)]
    for i, d in enumerate(data):
        file_server.add(f"/m{i}.bin", d)
    rec = Recorder()

    async def body(svc):
        svc.subscribe(rec)
        text = "models:\n" + "\n".join(file_server.url(f"/m{i}.bin") for i in range(3))
        ids = await svc.add(text, dest_dir=str(dl_dir), sha256=None)
        assert len(ids) == 3
        await wait_until(lambda: all(svc.get(i).state == "done" for i in ids))
        return ids, svc.tasks()

    ids, views = run_svc(body)
    for i, tid in enumerate(ids):
        v = next(v for v in views if v.id == tid)
        assert Path(v.path) == dl_dir / f"m{i}.bin"
        assert file_sha256(v.path) == sha256(data[i])
        assert v.size == v.done == len(data[i]) and v.finished and v.error is None
        assert v.host == "127.0.0.1" and v.sources and v.sources[0].endswith(f"/m{i}.bin")
        kinds = rec.kinds(tid)
        assert kinds[0] == "added" and kinds[-1] == "finished"
        assert rec.states(tid)[:2] == ["queued", "resolving"] and "downloading" in rec.states(tid)
    assert not list(dl_dir.glob("*.part*"))
    # persisted
    st = Store()
    rows = {r.id: r for r in st.load()}
    assert all(rows[t].state == "done" and rows[t].done == rows[t].size for t in ids)
    assert st.con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    st.close()


def test_same_link_twice_is_one_task(file_server, dl_dir):
    file_server.add("/a.bin", make_blob(1000), rate=2000)

    async def body(svc):
        a = await svc.add(file_server.url("/a.bin"), dest_dir=str(dl_dir))
        b = await svc.add(f"again: {file_server.url('/a.bin')}", dest_dir=str(dl_dir))
        await svc.pause(a[0])
        return a, b, len(svc.tasks())
    a, b, n = run_svc(body)
    assert a == b and n == 1


def test_max_active_and_per_host(file_server, dl_dir):
    for i in range(5):
        file_server.add(f"/k{i}.bin", make_blob(200_000, i), rate=400_000)
    seen = {"max": 0, "max_host": 0}

    async def body(svc):
        def on(ev):
            run = [t for t in svc.tasks() if t.state in ("resolving", "downloading", "verifying")]
            seen["max"] = max(seen["max"], len(run))
            local = [t for t in run if t.host == "localhost"]
            seen["max_host"] = max(seen["max_host"], len(local))
        svc.subscribe(on)
        ids = await svc.add("\n".join(file_server.url(f"/k{i}.bin") for i in range(4)), dest_dir=str(dl_dir))
        ids += await svc.add(file_server.url("/k4.bin").replace("127.0.0.1", "localhost"), dest_dir=str(dl_dir))
        await wait_until(lambda: all(svc.get(i).state == "done" for i in ids), timeout=30)
        return ids

    run_svc(body, settings_obj=settings(max_active=3, per_host=2, connections=1))
    # 3 at once, but never more than 2 from 127.0.0.1
    assert seen["max"] == 3
    assert file_server.max_active <= 3


def test_per_host_cap_limits_one_host(file_server, dl_dir):
    for i in range(3):
        file_server.add(f"/h{i}.bin", make_blob(100_000, i), rate=300_000)
    peak = {"n": 0}

    async def body(svc):
        def on(ev):
            n = sum(1 for t in svc.tasks() if t.state in ("resolving", "downloading", "verifying"))
            peak["n"] = max(peak["n"], n)
        svc.subscribe(on)
        ids = await svc.add("\n".join(file_server.url(f"/h{i}.bin") for i in range(3)), dest_dir=str(dl_dir))
        await wait_until(lambda: all(svc.get(i).state == "done" for i in ids), timeout=30)
    run_svc(body, settings_obj=settings(max_active=3, per_host=1, connections=1))
    assert peak["n"] == 1


def test_priority_fifo_and_move(file_server, dl_dir):
    for n in "ABCD":
        file_server.add(f"/{n}.bin", make_blob(20_000, ord(n)))
    order: list[str] = []
    st = Store()
    from core.queue.service import queue_links
    ids = {n: queue_links(st, file_server.url(f"/{n}.bin"), settings(), dest_dir=str(dl_dir))[0] for n in "ABC"}
    ids["D"] = queue_links(st, file_server.url("/D.bin"), settings(), dest_dir=str(dl_dir), priority=5)[0]
    st.close()
    names = {v: k for k, v in ids.items()}

    async def body(svc):
        def on(ev):
            if ev.kind == "changed" and ev.task.state == "resolving":
                order.append(names[ev.task_id])
        svc.subscribe(on)
        await svc.move(ids["C"], before_id=ids["B"])
        await wait_until(lambda: all(t.state == "done" for t in svc.tasks()))
        return [names[t.id] for t in svc.tasks()]

    def hold(svc):  # subscribe before the first task starts: start the service paused-free
        pass
    listed = run_svc(body, settings_obj=settings(max_active=1), before=hold)
    # D was already running when C moved; the rest follow the new order
    assert order[0] == "D" and order[1:] == ["A", "C", "B"]
    assert listed == ["D", "A", "C", "B"]


def test_pause_resume_continues_same_part(file_server, dl_dir):
    data = make_blob(1_500_000, 9)
    file_server.add("/big.bin", data, rate=600_000)
    resumed = []

    async def body(svc):
        [tid] = await svc.add(file_server.url("/big.bin"), dest_dir=str(dl_dir), connections=2)
        await wait_until(lambda: svc.get(tid).done > 300_000)
        await svc.pause(tid)
        v = svc.get(tid)
        assert v.state == "paused" and v.error is None
        assert (dl_dir / "big.bin.part").exists() and not (dl_dir / "big.bin").exists()
        sent = file_server.bytes_sent
        await asyncio.sleep(0.3)
        assert file_server.bytes_sent == sent          # really stopped
        await svc.resume(tid)
        await wait_until(lambda: svc.get(tid).state == "done", timeout=30)
        resumed.append(svc.live[tid].progress.resumed_from)   # the engine's last report
        return tid
    run_svc(body)
    assert file_sha256(dl_dir / "big.bin") == sha256(data)
    assert max(resumed) > 300_000                       # went on from the .part
    assert file_server.bytes_sent < 1.5 * len(data)


def test_remove_keep_or_delete(file_server, dl_dir):
    file_server.add("/r1.bin", make_blob(50_000, 1))
    file_server.add("/r2.bin", make_blob(900_000, 2), rate=300_000)
    rec = Recorder()

    async def body(svc):
        svc.subscribe(rec)
        [a] = await svc.add(file_server.url("/r1.bin"), dest_dir=str(dl_dir))
        [b] = await svc.add(file_server.url("/r2.bin"), dest_dir=str(dl_dir))
        await wait_until(lambda: svc.get(a).state == "done" and svc.get(b).done > 0)
        await svc.remove(a)                        # keeps the finished file
        await svc.remove(b, delete_file=True)      # stops it and deletes the partial file
        assert {t.id for t in svc.tasks()} == set()
        with pytest.raises(Exception, match="No task"):
            svc.get(a)
        return a, b
    a, b = run_svc(body)
    assert (dl_dir / "r1.bin").exists()
    assert not list(dl_dir.glob("r2.bin*"))
    assert rec.kinds(a)[-1] == "removed" and rec.kinds(b)[-1] == "removed"
    st = Store()
    assert st.load() == []
    st.close()


def test_a_command_a_killed_queue_left_is_carried_out_at_the_next_start(file_server, dl_dir):
    """A command from another process (``main.py remove``) stays in the table until the
    queue has carried it out: a queue killed while a remove waits for its download to stop
    carries it out when it starts again, instead of losing it."""
    file_server.add("/k1.bin", make_blob(400_000, 5), rate=100_000)
    file_server.add("/k2.bin", make_blob(50_000, 6))

    async def first(svc):
        [a] = await svc.add(file_server.url("/k1.bin"), dest_dir=str(dl_dir))
        [b] = await svc.add(file_server.url("/k2.bin"), dest_dir=str(dl_dir))
        await wait_until(lambda: svc.get(b).state == "done")
        await svc.pause(a)
        return a, b
    a, b = run_svc(first)
    st = Store()
    st.post_command("remove", a, True)          # what a queue killed mid-remove leaves behind
    st.post_command("pause", 999)               # a task that is gone: nothing to do, no error
    st.close()

    async def second(svc):
        await wait_until(lambda: a not in {t.id for t in svc.tasks()})
        await wait_until(lambda: not svc.store.pending_commands())
        return [t.id for t in svc.tasks()]
    assert run_svc(second) == [b]
    assert not list(dl_dir.glob("k1.bin*"))     # removed with its files
    assert (dl_dir / "k2.bin").exists()


def test_retry_with_backoff_then_success(file_server, dl_dir):
    data = make_blob(40_000, 3)
    # the engine gives up after 8 busy answers in a row; the queue retries later
    file_server.add("/busy.bin", data, busy=9, retry_after=0.01)
    rec = Recorder()

    async def body(svc):
        svc.subscribe(rec)
        [tid] = await svc.add(file_server.url("/busy.bin"), dest_dir=str(dl_dir))
        await wait_until(lambda: svc.get(tid).state in ("done", "failed"), timeout=30)
        return tid, svc.get(tid)
    tid, v = run_svc(body, settings_obj=settings(max_retries=3, retry_delay=0.2))
    assert v.state == "done" and v.attempts == 0
    errors = [e.task.error for e in rec.events if e.task_id == tid and e.task.error]
    assert any("retrying in" in e and "attempt 1 of 3" in e for e in errors)
    assert file_sha256(dl_dir / "busy.bin") == sha256(data)


def test_retries_exhausted_then_manual_retry(file_server, dl_dir):
    data = make_blob(30_000, 4)
    f = file_server.add("/down.bin", data, busy=10_000, retry_after=0.01)

    async def body(svc):
        [tid] = await svc.add(file_server.url("/down.bin"), dest_dir=str(dl_dir))
        await wait_until(lambda: svc.get(tid).state == "failed", timeout=30)
        failed = svc.get(tid)
        f.busy = 0
        await svc.retry(tid)
        await wait_until(lambda: svc.get(tid).state == "done", timeout=30)
        return failed
    failed = run_svc(body, settings_obj=settings(max_retries=1, retry_delay=0.05))
    assert failed.attempts == 2 and "503" in failed.error and "retrying" not in failed.error
    assert file_sha256(dl_dir / "down.bin") == sha256(data)


def test_not_found_fails_without_retry(file_server, dl_dir):
    async def body(svc):
        [tid] = await svc.add(file_server.url("/missing.bin"), dest_dir=str(dl_dir))
        await wait_until(lambda: svc.get(tid).state == "failed")
        return svc.get(tid)
    v = run_svc(body)
    assert v.attempts == 1 and "not found" in v.error.lower()


def test_an_untrusted_certificate_fails_at_once_and_the_users_retry_reads_the_ca_store_again(
        tls_cert, dl_dir, monkeypatch):
    """No automatic retries for a link whose certificate the system does not trust: it
    would not change by itself. The task fails after one attempt, saying why. The user then
    makes the system trust it (here: SSL_CERT_FILE) and presses Retry: the same process
    reads the CA store again, and the download runs."""
    from core import preconnect
    cert, key = tls_cert
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.setattr(preconnect, "_context", None)   # the CA store as this test sets it
    rec = Recorder()
    with RawServer(ok_answer, ssl_ctx=tls_server_context(cert, key)) as srv:
        async def body(svc):
            svc.subscribe(rec)
            [tid] = await svc.add(srv.url("/m.bin", scheme="https", host="localhost"), dest_dir=str(dl_dir))
            await wait_until(lambda: svc.get(tid).state == "failed", timeout=30)
            first = svc.get(tid)
            monkeypatch.setenv("SSL_CERT_FILE", str(cert))
            await svc.retry(tid)
            await wait_until(lambda: svc.get(tid).state in ("done", "failed") and
                             rec.states(tid).count("queued") == 2, timeout=30)
            return tid, first, svc.get(tid)
        tid, first, again = run_svc(body, settings_obj=settings(max_retries=3, retry_delay=0.05))
    assert first.attempts == 1 and first.next_retry is None
    assert "its certificate is not trusted" in first.error and "retrying" not in first.error
    assert rec.states(tid).count("queued") == 2       # added, and the user's retry: none of its own
    assert again.state == "done", again.error
    assert (dl_dir / "m.bin").read_bytes() == b"secret"


def test_time_limit_then_retry_resumes(file_server, dl_dir):
    data = make_blob(1_200_000, 6)
    file_server.add("/slow.bin", data, rate=500_000)

    async def body(svc):
        [tid] = await svc.add(file_server.url("/slow.bin"), dest_dir=str(dl_dir), connections=1,
                              time_limit=0.6)
        await wait_until(lambda: svc.get(tid).state == "failed", timeout=30)
        failed = svc.get(tid)
        await svc.set_time_limit(tid, None)
        await svc.retry(tid)
        await wait_until(lambda: svc.get(tid).state == "done", timeout=30)
        return failed
    failed = run_svc(body)
    assert "time limit" in failed.error and 0 < failed.done < len(data)
    assert file_sha256(dl_dir / "slow.bin") == sha256(data)


def test_expired_link_pauses_and_replace_link_resumes(file_server, dl_dir):
    data = make_blob(1_000_000, 7)
    f = file_server.add("/x.bin", data, rate=500_000)
    file_server.add("/y.bin", data)          # the same file behind a fresh link
    resumed = []
    rec = Recorder()

    async def body(svc):
        svc.subscribe(rec)
        [tid] = await svc.add(file_server.url("/x.bin") + "?X-Amz-Expires=60", dest_dir=str(dl_dir),
                              filename="model.bin", connections=1)
        await wait_until(lambda: svc.get(tid).done > 200_000)
        await svc.pause(tid)
        f.expired_body = S3_EXPIRED
        await svc.resume(tid)
        await wait_until(lambda: svc.get(tid).state == "paused", timeout=30)
        expired = svc.get(tid)
        await svc.replace_link(tid, f"new link: {file_server.url('/y.bin')}")
        await wait_until(lambda: svc.get(tid).state == "done", timeout=30)
        resumed.append(svc.live[tid].progress.resumed_from)
        return expired, svc.get(tid)
    expired, v = run_svc(body)
    assert expired.error.lower().startswith("link expired") and "paste a new link" in expired.error
    # listeners hear it as a failure to act on, though the task waits paused with its .part
    assert [(e.kind, e.task.state) for e in rec.events if e.kind == "failed"] == [("failed", "paused")]
    assert v.link.endswith("/y.bin") and v.path == str(dl_dir / "model.bin")
    assert max(resumed) > 200_000
    assert file_sha256(dl_dir / "model.bin") == sha256(data)
    assert sorted(p.name for p in dl_dir.iterdir()) == ["model.bin"]


def test_limits_and_connections_change_at_run_time(file_server, dl_dir):
    file_server.add("/l.bin", make_blob(2_000_000, 8), rate=400_000)

    async def body(svc):
        [tid] = await svc.add(file_server.url("/l.bin"), dest_dir=str(dl_dir), connections=2)
        await wait_until(lambda: svc.live[tid].dl is not None)
        svc.set_global_limit(300_000)
        assert svc.engine.global_bucket.rate == 300_000
        await svc.set_task_limit(tid, 100_000)
        await svc.set_connections(tid, 4)
        dl = svc.live[tid].dl
        assert dl.bucket.rate == 100_000 and dl.max_conns == 4
        v = svc.get(tid)
        assert v.limit == 100_000 and v.connections == 4
        with pytest.raises(Exception, match="1 to 64"):
            await svc.set_connections(tid, 99)
        await svc.pause(tid)
        svc.set_global_limit(0)
        assert svc.engine.global_bucket.rate == 0
        return tid
    tid = run_svc(body)
    st = Store()
    row = st.get(tid)
    assert row.speed_limit == 100_000 and row.connections == 4 and row.state == "paused"
    st.close()


def test_pause_all_resume_all(file_server, dl_dir):
    for i in range(4):
        file_server.add(f"/p{i}.bin", make_blob(600_000, i), rate=300_000)

    async def body(svc):
        ids = await svc.add("\n".join(file_server.url(f"/p{i}.bin") for i in range(4)), dest_dir=str(dl_dir))
        await wait_until(lambda: sum(svc.get(i).state == "downloading" for i in ids) == 2)
        await svc.pause_all()
        assert {svc.get(i).state for i in ids} == {"paused"} and not svc.running
        await asyncio.sleep(0.2)
        assert not svc.running                        # nothing starts while all are paused
        await svc.resume_all()
        await wait_until(lambda: all(svc.get(i).state == "done" for i in ids), timeout=40)
    run_svc(body, settings_obj=settings(max_active=2))


def test_progress_events_are_coalesced(dl_dir):
    """100 running downloads reporting 50 times each between two flushes give
    one progress event per task, carrying the latest numbers."""
    from core.engine import Progress

    async def body(svc):
        ids = await svc.add("\n".join(f"http://127.0.0.1:9/f{i}.bin" for i in range(100)), dest_dir=str(dl_dir))
        await svc.pause_all()
        rec = Recorder()
        svc.subscribe(rec)
        for step in range(1, 51):
            for tid in ids:
                svc.progress.report(svc.rows[tid], svc.live[tid], Progress("downloading", total=5000, done=step * 100))
        before = len([e for e in rec.events if e.kind == "progress"])
        sent = svc.flush_progress()
        prog = [e for e in rec.events if e.kind == "progress"]
        again = svc.flush_progress()
        return before, sent, prog, again
    before, sent, prog, again = run_svc(body)
    assert before == 0 and sent == 100 and len(prog) == 100 and again == 0
    assert {e.task.done for e in prog} == {5000} and {e.progress.done for e in prog} == {5000}


def test_last_progress_goes_out_before_finished_never_after(file_server, dl_dir):
    """A download that ends between two flushes still has unsent progress: it is sent
    before "finished", and no flush sends it later (a listener would show the task
    as downloading again)."""
    for i in range(4):
        file_server.add(f"/q{i}.bin", make_blob(20_000 + i, i))
    rec = Recorder()

    async def body(svc):
        svc.subscribe(rec)
        ids = await svc.add("\n".join(file_server.url(f"/q{i}.bin") for i in range(4)), dest_dir=str(dl_dir))
        await wait_until(lambda: all(svc.get(i).state == "done" for i in ids))
        await asyncio.sleep(0.6)            # two more flushes of the progress loop
        return ids
    for tid in run_svc(body):
        kinds = rec.kinds(tid)
        assert kinds.count("finished") == 1 and "progress" in kinds
        assert "progress" not in kinds[kinds.index("finished"):], kinds
        last = [e for e in rec.events if e.task_id == tid and e.kind == "progress"][-1]
        assert last.task.done == last.task.size


def test_second_runner_is_refused(dl_dir):
    async def body(svc):
        other = QueueService(settings=settings())
        with pytest.raises(QueueDbError, match="already running"):
            await other.start()
        return True
    assert run_svc(body)


def test_unfinished_tasks_resume_after_restart(file_server, dl_dir):
    data = make_blob(1_000_000, 11)
    file_server.add("/re.bin", data, rate=400_000)

    async def first(svc):
        [tid] = await svc.add(file_server.url("/re.bin"), dest_dir=str(dl_dir), connections=1)
        await wait_until(lambda: svc.get(tid).done > 200_000)
        return tid          # closing stops it mid-way
    tid = run_svc(first)
    st = Store()
    assert st.get(tid).state == "downloading"
    st.close()

    async def second(svc):
        assert svc.get(tid).state == "queued" or svc.get(tid).state in ("resolving", "downloading")
        await wait_until(lambda: svc.get(tid).state == "done", timeout=30)
        return svc.get(tid)
    v = run_svc(second)
    assert file_sha256(v.path) == sha256(data)


def test_signed_link_never_stored_in_clear(file_server, dl_dir):
    secret = "Zq9SIGNATUREvalue0123"
    data = make_blob(10_000, 12)
    file_server.add("/s.bin", data)
    url = file_server.url("/s.bin") + f"?X-Amz-Expires=600&X-Amz-Signature={secret}"

    async def body(svc):
        [tid] = await svc.add(url, dest_dir=str(dl_dir))
        await svc.pause(tid)
        return tid, svc.get(tid)
    tid, v = run_svc(body)
    assert secret not in v.link and "X-Amz-Signature=***" in v.link
    db = Store().path
    for f in db.parent.iterdir():
        if f.name.startswith("zhilian.db"):
            assert secret.encode() not in f.read_bytes()
    # after a restart the full link comes back from the keyring-encrypted column
    st = Store()
    row = st.get(tid)
    assert row.real_link == url and row.link_signed == 1
    st.close()

    async def again(svc):
        await svc.resume(tid)
        await wait_until(lambda: svc.get(tid).state == "done")
        return svc.get(tid)
    v2 = run_svc(again)
    assert file_sha256(v2.path) == sha256(data)
    assert file_server.requests[-1]["query"].get("X-Amz-Signature") == secret


def test_handoff_without_install_keeps_file_and_says_why(file_server, dl_dir):
    file_server.add("/w.pth", make_blob(5000, 13))

    async def body(svc):
        [tid] = await svc.add(file_server.url("/w.pth"), dest_dir=str(dl_dir), handoff_to="heygem")
        await wait_until(lambda: svc.get(tid).state == "done" and svc.get(tid).error)
        return svc.get(tid)
    v = run_svc(body)
    assert "no HeyGem" in v.error and Path(v.path).exists()


def test_bad_input_is_a_clear_error(dl_dir):
    async def body(svc):
        msgs = []
        for kw in ({"link_text": "no links here"}, {"link_text": "http://a/x http://a/y", "filename": "n"},
                   {"link_text": "http://a/x", "sha256": "abc"}, {"link_text": "http://a/x", "connections": 100}):
            with pytest.raises(Exception) as ei:
                await svc.add(**kw, dest_dir=str(dl_dir))
            msgs.append(str(ei.value))
        return msgs
    msgs = run_svc(body)
    assert msgs == ["No link found in the pasted text", "A file name can be given for one link only",
                    "SHA-256 must be 64 hexadecimal characters", "Connections must be from 1 to 64"]


def test_damaged_database_is_reported(tmp_path):
    bad = tmp_path / "zhilian.db"
    bad.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(QueueDbError, match="cannot be read") as ei:
        Store(bad)
    # an unreadable file: a copy is made and named before moving the file away is suggested
    assert ei.value.kind == "unreadable" and ei.value.backup is not None
    assert ei.value.backup.read_bytes() == bad.read_bytes() and str(ei.value.backup) in str(ei.value)
    con = sqlite3.connect(tmp_path / "new.db")
    con.execute("PRAGMA user_version=99")
    con.close()
    with pytest.raises(QueueDbError, match="newer Zhilian"):
        Store(tmp_path / "new.db")


def _wav2lip_install(root: Path) -> Path:
    """A Wav2Lip checkout as it lies on disk (the files detection looks at)."""
    for f in ("inference.py", "hparams.py", "audio.py", "models/__init__.py", "models/wav2lip.py",
              "models/syncnet.py", "face_detection/__init__.py", "face_detection/api.py",
              "face_detection/detection/sfd/__init__.py", "face_detection/detection/sfd/sfd_detector.py"):
        (root / f).parent.mkdir(parents=True, exist_ok=True)
        (root / f).write_text("# checkout\n")
    (root / "checkpoints").mkdir(exist_ok=True)
    (root / "checkpoints/README.md").write_text("Place all your checkpoints (.pth files) here.\n")
    return root


def test_finished_download_is_handed_off(file_server, dl_dir, tmp_path):
    data = b"\x80\x02" + make_blob(80_000, 14)          # a pickle-format checkpoint
    file_server.add("/wav2lip_gan.pth", data)
    inst = _wav2lip_install(tmp_path / "Wav2Lip")
    rec = Recorder()

    async def body(svc):
        svc.subscribe(rec)
        [tid] = await svc.add(file_server.url("/wav2lip_gan.pth"), dest_dir=str(dl_dir),
                              sha256=sha256(data), handoff_to=str(inst))
        await wait_until(lambda: svc.get(tid).state in ("handed_off", "failed") or svc.get(tid).error)
        return svc.get(tid)
    v = run_svc(body)
    assert v.state == "handed_off" and v.error is None, v.error
    assert Path(v.path).is_relative_to(inst) and file_sha256(v.path) == sha256(data)
    assert not (dl_dir / "wav2lip_gan.pth").exists()          # moved, not copied
    assert [e.task.state for e in rec.events if e.kind == "finished"] == ["done", "handed_off"]


def test_cancel_stops_for_good_until_retry(file_server, dl_dir):
    data = make_blob(1_000_000, 15)
    file_server.add("/c.bin", data, rate=400_000)

    async def body(svc):
        [tid] = await svc.add(file_server.url("/c.bin"), dest_dir=str(dl_dir), connections=1)
        await wait_until(lambda: svc.get(tid).done > 100_000)
        await svc.cancel(tid)
        v = svc.get(tid)
        assert (v.state, v.error) == ("failed", "Stopped by the user") and not svc.running
        await asyncio.sleep(0.3)
        assert svc.get(tid).state == "failed"          # not retried automatically
        await svc.retry(tid)
        await wait_until(lambda: svc.get(tid).state == "done", timeout=30)
        return svc.live[tid].progress.resumed_from
    assert run_svc(body) > 100_000
    assert file_sha256(dl_dir / "c.bin") == sha256(data)
