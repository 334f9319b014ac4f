"""The queue's parts on their own: admission and the retry policy (pure: no
database, no engine, no loop), the task table's one ``register`` and progress
coalescing (against a real SQLite store)."""

from __future__ import annotations

import pytest

from core.engine import Progress
from core.errors import ChecksumMismatch, HttpError, NotFound, QuotaExceeded, Throttled
from core.queue import retry
from core.queue.admission import admit
from core.queue.events import Listeners
from core.queue.progress import ProgressCoalescer
from core.queue.settings import Settings
from core.queue.store import QueueDbError, Store, TaskRow
from core.queue.tasks import QueueError, TaskTable


def rows(*specs) -> dict[int, TaskRow]:
    """(id, host, priority, position, state, next_retry) -> rows by id."""
    out = {}
    for tid, host, prio, pos, state, nxt in specs:
        out[tid] = TaskRow(id=tid, link=f"https://{host}/f{tid}", host=host, priority=prio, position=pos,
                           state=state, next_retry=nxt)
    return out


# -- admission -------------------------------------------------------------------------------

def test_admission_takes_priority_then_fifo_up_to_max_active():
    r = rows((1, "a", 0, 1.0, "queued", None), (2, "b", 5, 2.0, "queued", None),
             (3, "c", 0, 0.5, "queued", None), (4, "d", 5, 1.5, "queued", None),
             (5, "e", 9, 0.0, "paused", None), (6, "f", 9, 0.1, "done", None))
    plan = admit(r, [], Settings(max_active=3, per_host=4), now=100.0)
    assert plan.start == [4, 2, 3] and plan.wake_at is None and not plan.full
    # same priority, same position: the older id first
    r = rows((8, "a", 0, 1.0, "queued", None), (7, "b", 0, 1.0, "queued", None))
    assert admit(r, [], Settings(max_active=1), 0).start == [7]


def test_admission_counts_running_tasks_against_both_caps():
    r = rows((1, "h", 0, 1, "downloading", None), (2, "h", 0, 2, "resolving", None),
             (3, "h", 0, 3, "queued", None), (4, "x", 0, 4, "queued", None), (5, "h", 0, 5, "queued", None),
             (6, "", 0, 6, "queued", None), (7, "", 0, 7, "queued", None))
    s = Settings(max_active=10, per_host=2)
    # host h has its two running: only other hosts start; a task without a host is never capped
    assert admit(r, [1, 2], s, 0).start == [4, 6, 7]
    assert admit(r, [1], s, 0).start == [3, 4, 6, 7]
    # no free slot: nothing is looked at
    full = admit(r, [1, 2], Settings(max_active=2), 0)
    assert full.full and full.start == [] and full.wake_at is None
    # a running id the table no longer has counts as one running download (of no host)
    assert admit(r, [99], Settings(max_active=2, per_host=1), 0).start == [3]


def test_admission_waits_for_retry_times_and_says_when_to_look_again():
    r = rows((1, "a", 0, 1, "queued", 150.0), (2, "b", 0, 2, "queued", 120.0),
             (3, "c", 0, 3, "queued", 90.0), (4, "d", 0, 4, "queued", None))
    plan = admit(r, [], Settings(max_active=5), now=100.0)
    assert plan.start == [3, 4] and plan.wake_at == 120.0
    assert admit(r, [], Settings(max_active=5), now=200.0).start == [1, 2, 3, 4]


# -- retry policy ----------------------------------------------------------------------------

def test_retry_policy_doubles_the_delay_up_to_max_retries():
    err = HttpError(503, "Service Unavailable")
    got = [retry.decide(err, n, 1000.0, max_retries=5, retry_delay=10) for n in range(6)]
    assert [(d.attempts, d.delay) for d in got[:5]] == [(1, 10), (2, 20), (3, 40), (4, 80), (5, 160)]
    assert got[0].retry_at == 1010.0 and not got[0].gives_up
    assert got[5].gives_up and got[5].attempts == 6 and got[5].retry_at is None
    capped = retry.decide(err, 20, 0.0, max_retries=50, retry_delay=10)
    assert capped.delay == retry.MAX_RETRY_DELAY


def test_retry_policy_honours_the_hosts_wait_and_gives_up_on_the_rest():
    assert retry.decide(Throttled(retry_after=90), 0, 5.0, max_retries=3, retry_delay=10).retry_at == 95.0
    assert retry.decide(QuotaExceeded(retry_after=600), 2, 0.0, max_retries=3, retry_delay=10).delay == 600
    assert retry.decide(Throttled(), 1, 0.0, max_retries=3, retry_delay=10).delay == 20     # no wait given
    for err in (NotFound("gone"), ChecksumMismatch("SHA-256", "a" * 64, "b" * 64), RuntimeError("bug")):
        d = retry.decide(err, 0, 0.0, max_retries=5, retry_delay=10)
        assert d.gives_up and d.attempts == 1
    assert retry.decide(HttpError(500), 0, 0.0, max_retries=0, retry_delay=10).gives_up


# -- the task table ----------------------------------------------------------------------------

@pytest.fixture
def table(tmp_path):
    events = []
    ls = Listeners()
    ls.subscribe(events.append)
    t = TaskTable(ls, Store(tmp_path / "q.db"))
    t.events = events
    yield t
    t.store.close()


def new(n: int, tmp_path) -> list[TaskRow]:
    return [TaskRow(link=f"http://h/f{i}", real_link=f"http://h/f{i}", dest_dir=str(tmp_path), host="h")
            for i in range(n)]


def test_register_stores_keeps_and_announces_each_task_once(table, tmp_path):
    a = new(2, tmp_path)
    table.register(a)
    assert [r.id for r in table.store.load()] == [a[0].id, a[1].id] and set(table.rows) == {a[0].id, a[1].id}
    assert set(table.live) == set(table.rows)
    # added by another process: already in the database, only picked up (once)
    other = new(1, tmp_path)
    table.store.insert(other)
    table.register(table.store.load(since_id=a[1].id), stored=True)
    table.register(table.store.load(), stored=True)
    assert len(table.store.load()) == 3
    assert [(e.kind, e.task_id) for e in table.events] == [("added", a[0].id), ("added", a[1].id),
                                                           ("added", other[0].id)]
    assert table.events[0].task.name == "f0"
    with pytest.raises(QueueError):
        table.row(999)


def test_set_writes_the_database_before_memory(table, tmp_path):
    [r] = new(1, tmp_path)
    table.register([r])
    table.set(r, state="paused", error="x")
    assert table.store.get(r.id).state == "paused" and table.events[-1].kind == "changed"
    table.store.close()                       # the database can no longer be written
    with pytest.raises(QueueDbError):
        table.set(r, state="queued")
    assert r.state == "paused"                # memory still says what the disk says
    table.store = Store(tmp_path / "q.db")


# -- progress coalescing ------------------------------------------------------------------------

def test_progress_writes_the_path_at_once_coalesces_the_rest_and_settles_before_finished(table, tmp_path):
    failures = []
    pc = ProgressCoalescer(table, failures.append)
    [r] = new(1, tmp_path)
    table.register([r])
    live = table.live[r.id]
    final = str(tmp_path / "f0")
    pc.report(r, live, Progress("probing", total=None, done=0, path=final))
    # the file's path is in the database before any byte: a crash knows the task's file
    assert table.store.get(r.id).path == final and table.store.get(r.id).state == "downloading"
    for done in range(100, 1001, 100):
        pc.report(r, live, Progress("downloading", total=1000, done=done, path=final))
    assert table.store.get(r.id).done == 0 and live.unsaved
    n_events = len(table.events)
    assert pc.flush() == 1 and pc.flush() == 0
    assert [e.kind for e in table.events[n_events:]] == ["progress"]
    assert table.events[-1].progress.done == 1000 and table.events[-1].task.done == 1000
    pc.persist()
    assert table.store.get(r.id).done == 1000 and not live.unsaved
    pc.report(r, live, Progress("verifying", total=1000, done=1000, path=final))
    pc.report(r, live, Progress("verifying", total=1000, done=1000, path=final, message="checking"))
    pc.settle(r, live)
    pc.settle(r, live)                         # nothing new: nothing sent
    kinds = [e.kind for e in table.events[n_events + 1:]]
    assert kinds == ["changed", "progress"] and table.events[-1].progress.message == "checking"
    # a stopping task's late reports are ignored; a failing write stops the queue, not the engine
    live.stopping = True
    pc.report(r, live, Progress("downloading", total=1000, done=5))
    assert r.done == 1000
    live.stopping = False
    table.store.close()
    pc.report(r, live, Progress("downloading", total=1000, done=1000, path=final + ".other"))
    assert len(failures) == 1 and isinstance(failures[0], QueueDbError)
    table.store = Store(tmp_path / "q.db")
