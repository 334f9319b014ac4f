"""Typed outcomes: a failed attempt stores its error kind and parameters next to the
message (schema 4), in the database and in every TaskView; no class name in a message."""

from __future__ import annotations

import socket
import sqlite3

from qtest_helpers import run_svc, settings, wait_until
from servers import make_blob

from core.errors import ErrorKind, NeedLogin, NoUsableSource, outcome_of
from core.models import State
from core.queue.store import SCHEMA_VERSION, Store

S3_EXPIRED = (b"<?xml version='1.0' encoding='UTF-8'?><Error><Code>AccessDenied</Code>"
              b"<Message>Request has expired</Message></Error>")


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_not_found_is_stored_with_its_kind(file_server, dl_dir):
    async def body(svc):
        [tid] = await svc.add(file_server.url("/missing.bin"), dest_dir=str(dl_dir))
        await wait_until(lambda: svc.get(tid).state == "failed")
        return tid, svc.get(tid)
    tid, v = run_svc(body)
    assert v.state is State.FAILED and v.error_kind is ErrorKind.NOT_FOUND
    st = Store()
    row = next(r for r in st.load() if r.id == tid)
    st.close()
    assert row.error_kind == "not_found"


def test_unreachable_host_is_network_with_host_and_cause_never_a_class_name(dl_dir):
    port = _closed_port()
    seen = []

    async def body(svc):
        svc.subscribe(lambda e: e.task and e.task.error and seen.append(e.task))
        [tid] = await svc.add(f"http://127.0.0.1:{port}/m.bin", dest_dir=str(dl_dir))
        await wait_until(lambda: svc.get(tid).state == "failed", timeout=60)
        return svc.get(tid)
    v = run_svc(body, settings_obj=settings(max_retries=1, retry_delay=0.05))
    retrying = [t for t in seen if t.state == "queued"]
    assert retrying and retrying[0].error_kind is ErrorKind.NETWORK and retrying[0].next_retry
    assert v.error_kind is ErrorKind.NETWORK
    assert v.error_params == {"host": "127.0.0.1", "cause": "refused"}
    assert "Error" not in v.error and "connection refused" in v.error


def test_expired_link_kind_then_cleared_by_a_new_link(file_server, dl_dir):
    data = make_blob(200_000, 7)
    file_server.add("/x.bin", data, expired_body=S3_EXPIRED)
    file_server.add("/y.bin", data)

    async def body(svc):
        [tid] = await svc.add(file_server.url("/x.bin"), dest_dir=str(dl_dir), filename="m.bin")
        await wait_until(lambda: svc.get(tid).state == "paused", timeout=30)
        expired = svc.get(tid)
        await svc.replace_link(tid, file_server.url("/y.bin"))
        await wait_until(lambda: svc.get(tid).state == "done", timeout=30)
        return expired, svc.get(tid)
    expired, done = run_svc(body)
    assert expired.error_kind is ErrorKind.LINK_EXPIRED
    assert done.error_kind is None and done.error is None and done.error_params == {}


def test_schema_3_database_gains_the_kind_columns(tmp_path):
    path = tmp_path / "old.db"
    con = sqlite3.connect(path)
    from core.queue.store import MIGRATIONS
    for stmt in ";".join(MIGRATIONS[:3]).split(";"):
        if stmt.strip():
            con.execute(stmt)
    con.execute("INSERT INTO tasks(link, dest_dir, state, error, position, created) "
                "VALUES('http://h/a', '/tmp', 'failed', 'HTTP 403', 1, 0)")
    con.execute("PRAGMA user_version=3")
    con.commit()
    con.close()
    st = Store(path)
    assert st.version() == SCHEMA_VERSION == 4
    [row] = st.load()
    st.close()
    assert row.error == "HTTP 403" and row.error_kind is None


def test_kinds_and_parameters_of_errors():
    assert outcome_of(NeedLogin("pan.baidu.com", ["BDUSS", "STOKEN"])) == (
        ErrorKind.NEEDS_LOGIN, {"host": "pan.baidu.com", "cookies": ["BDUSS", "STOKEN"]})
    assert outcome_of(OSError(28, "No space left on device", "/d/x.part"))[0] is ErrorKind.DISK_FULL
    err = NoUsableSource.unreachable("huggingface.co", TimeoutError())
    assert str(err) == "Cannot reach huggingface.co: no answer in time"
    assert outcome_of(ValueError("x")) == (ErrorKind.OTHER, {})


def test_no_data_for_the_give_up_time_is_its_own_kind_with_seconds_and_host(file_server, dl_dir, monkeypatch):
    """A source that stops answering mid-download: the attempt ends with NoProgress, stored
    as ``no_progress`` with how long nothing came and from where (not ``other``)."""
    monkeypatch.setenv("ZHILIAN_GIVE_UP_AFTER", "2")
    f = file_server.add("/slow.bin", make_blob(4 << 20, 11), rate=256 << 10)
    seen = []

    def on_event(e):
        t = e.task
        if t is None:
            return
        if t.done >= 256 << 10 and not f.reset_all:
            f.reset_all = True          # every request from now on: dropped before any answer
            f.reset_at = list(range(256 << 10, 4 << 20, 32 << 10))   # and the running ones end
        if t.error:
            seen.append(t)

    async def body(svc):
        svc.subscribe(on_event)
        [tid] = await svc.add(file_server.url("/slow.bin"), dest_dir=str(dl_dir))
        await wait_until(lambda: seen, timeout=60)
        return tid
    tid = run_svc(body, settings_obj=settings(max_retries=0))
    first = seen[0]
    assert first.error_kind is ErrorKind.NO_PROGRESS, (first.error_kind, first.error)
    assert first.error_params["host"] == "127.0.0.1"
    assert first.error_params["seconds"] is None or first.error_params["seconds"] >= 2
    st = Store()
    row = next(r for r in st.load() if r.id == tid)
    st.close()
    assert row.error_kind == "no_progress"
