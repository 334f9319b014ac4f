"""Crash recovery: a real `run` process is killed with SIGKILL at random moments,
round after round (sometimes together with an `add` in flight); after every kill
the database must be consistent, and at the end every file must be there once,
complete and with the right hash."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from pathlib import Path

from qtest_helpers import CLI, cli
from servers import file_sha256, make_blob, sha256

from core.queue.store import Store

ROUNDS = int(os.environ.get("ZHILIAN_CRASH_ROUNDS", "20"))


def _check(dl: Path, expected: dict[str, str], links: dict[str, str], *, killed: bool) -> list:
    """Invariants that must hold after any kill (``killed``) and after the final run."""
    st = Store()
    try:
        rows = st.load()
    finally:
        st.close()
    seen_links = [r.link for r in rows]
    assert len(seen_links) == len(set(seen_links)), "a task was duplicated"
    for r in rows:
        assert r.link in links.values()
        if r.state == "done":
            # never marked done unless the file is complete and correct
            assert r.path and Path(r.path).is_file(), f"task {r.id} done without its file"
            assert file_sha256(r.path) == expected[Path(r.path).name], f"task {r.id} done with a bad file"
    names = {p.name for p in dl.iterdir()}
    allowed = set(expected) | {n + ".part" for n in expected} | {n + ".part.journal" for n in expected}
    if killed:  # killed while writing a journal: its temporary file (the next save replaces it)
        allowed |= {n + ".part.journal.tmp" for n in expected}
    assert names <= allowed, f"unexpected files: {sorted(names - allowed)}"
    return rows


def test_kill9_at_random_moments_loses_nothing(file_server, tmp_path):
    rng = random.Random(int(os.environ.get("ZHILIAN_CRASH_SEED", "20261123")))
    dl = tmp_path / "dl"
    dl.mkdir()
    expected: dict[str, str] = {}
    links: dict[str, str] = {}
    for i in range(10):
        data = make_blob(rng.randrange(300_000, 1_000_000), 100 + i)
        name = f"model-{i}.bin"
        file_server.add(f"/{name}", data, rate=150_000)
        expected[name] = sha256(data)
        links[name] = file_server.url(f"/{name}")
    pending = list(expected)
    added: set[str] = set()

    def add(name: str, checksum: bool) -> None:
        extra = ["--sha256", expected[name]] if checksum else []
        r = cli("add", links[name], "-d", str(dl), *extra)
        assert r.returncode == 0, r.stderr
        added.add(name)

    for name in pending[:4]:
        add(name, checksum=name.endswith(("1.bin", "3.bin")))
    pending = pending[4:]
    kills = 0
    for rnd in range(ROUNDS):
        procs = [subprocess.Popen([*CLI, "run", "-q"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                  start_new_session=True, cwd=Path(__file__).resolve().parents[2])]
        racing = None
        if pending and rnd % 3 == 1:   # an `add` killed along with the runner, maybe before it commits
            racing = pending.pop(0)
            procs.append(subprocess.Popen([*CLI, "add", links[racing], "-d", str(dl)],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                          start_new_session=True, cwd=Path(__file__).resolve().parents[2]))
        time.sleep(rng.uniform(0.2, 1.6))
        for p in procs:
            if p.poll() is None:
                os.kill(p.pid, signal.SIGKILL)
                kills += 1
            p.wait()
        rows = _check(dl, expected, links, killed=True)
        if racing is not None:
            if any(r.link == links[racing] for r in rows):
                added.add(racing)
            else:
                add(racing, checksum=False)      # the add died before committing: nothing half-added
        elif pending and rnd % 3 == 2:
            add(pending.pop(0), checksum=rnd % 2 == 0)
    for name in pending:
        add(name, checksum=False)

    r = cli("run", "-q", timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    rows = _check(dl, expected, links, killed=False)
    assert kills >= ROUNDS // 2          # most rounds really killed a running queue
    assert sorted(Path(r.path).name for r in rows) == sorted(added) == sorted(expected)
    assert all(r.state == "done" and r.done == r.size for r in rows)
    assert sorted(p.name for p in dl.iterdir()) == sorted(expected)   # no .part, no "name (1)"
    for name, digest in expected.items():
        assert file_sha256(dl / name) == digest


def test_crash_between_rename_and_database_is_done_not_downloaded_again(file_server, tmp_path):
    """The narrowest window: the engine renamed the verified file (and maybe had not
    removed its journal yet) when the process died, so the database still says
    "downloading". The next start must mark it done, not fetch a second copy."""
    import asyncio

    from qtest_helpers import settings, wait_until

    from core.queue.service import QueueService, queue_links
    data = make_blob(200_000, 77)
    file_server.add("/w.bin", data)
    dl = tmp_path / "dl"
    dl.mkdir()
    st = Store()
    [tid] = queue_links(st, file_server.url("/w.bin"), settings(), dest_dir=str(dl))
    (dl / "w.bin").write_bytes(data)
    (dl / "w.bin.part.journal").write_text("{}")          # left behind by the crash
    st.update(tid, state="downloading", path=str(dl / "w.bin"), name="w.bin", size=len(data), done=len(data))
    st.close()

    async def go():
        svc = QueueService(settings=settings())
        await svc.start()
        try:
            await wait_until(lambda: svc.get(tid).state == "done")
            return svc.get(tid)
        finally:
            await svc.close()
    v = asyncio.run(go())
    assert v.path == str(dl / "w.bin") and v.size == len(data)
    assert sorted(p.name for p in dl.iterdir()) == ["w.bin"]
    assert file_server.requests == []                        # nothing downloaded again


def test_crash_with_wrong_size_file_is_not_taken_as_done(file_server, tmp_path):
    """A file at the task's path that is not the full size is never marked done."""
    import asyncio

    from qtest_helpers import settings, wait_until

    from core.queue.service import QueueService, queue_links
    data = make_blob(150_000, 78)
    file_server.add("/v.bin", data)
    dl = tmp_path / "dl"
    dl.mkdir()
    st = Store()
    [tid] = queue_links(st, file_server.url("/v.bin"), settings(), dest_dir=str(dl))
    (dl / "v.bin").write_bytes(data[:1000])                 # not ours / truncated
    st.update(tid, state="downloading", path=str(dl / "v.bin"), name="v.bin", size=len(data))
    st.close()

    async def go():
        svc = QueueService(settings=settings())
        await svc.start()
        try:
            await wait_until(lambda: svc.get(tid).state in ("done", "failed"))
            return svc.get(tid)
        finally:
            await svc.close()
    v = asyncio.run(go())
    assert v.state == "done" and file_sha256(v.path) == sha256(data)
    assert (dl / "v.bin").read_bytes() == data[:1000]       # the other file was left alone
