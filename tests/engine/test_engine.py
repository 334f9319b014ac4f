"""The engine against a local Range server with injected faults."""

import errno
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from servers import FileServer, file_sha256, make_blob, run_download, sha256

from core import journal
from core.errors import (
    ChecksumMismatch,
    DiskFull,
    LinkExpired,
    NotFound,
    ProtocolError,
    SizeMismatch,
)
from core.models import Mirror


def test_multi_connection_download_is_byte_exact(file_server, tmp_path, dl):
    data = make_blob(9 * 1024 * 1024 + 123)
    file_server.add("/m.bin", data, rate=3 * 1024 * 1024)
    path, d = dl(file_server.url("/m.bin"), tmp_path, sha256=sha256(data), connections=8,
                 min_split=256 * 1024)
    assert path == tmp_path / "m.bin"
    assert path.read_bytes() == data
    assert file_server.max_active > 1, "several connections must run at once"
    assert not (tmp_path / "m.bin.part").exists()
    assert not (tmp_path / "m.bin.part.journal").exists()
    ranges = [r["range"] for r in file_server.requests]
    assert ranges[0] == "bytes=0-", "the probe asks for the whole file: its body is the first piece"
    assert all(r and r.startswith("bytes=") for r in ranges)


_srv: FileServer | None = None


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(size=st.integers(0, 3 * 1024 * 1024), conns=st.integers(1, 12),
       min_split=st.sampled_from([4096, 65536, 300_000, 1 << 20]), seed=st.integers(0, 99))
def test_random_splits_byte_for_byte(tmp_path_factory, size, conns, min_split, seed):
    global _srv
    if _srv is None:
        _srv = FileServer().start()
    data = make_blob(size, seed)
    path_name = f"/r{size}_{conns}_{min_split}_{seed}.bin"
    _srv.add(path_name, data, rate=8 * 1024 * 1024)
    out = tmp_path_factory.mktemp("rs")
    path, _ = run_download(_srv.url(path_name), out, connections=conns, min_split=min_split)
    assert path.read_bytes() == data


def test_content_disposition_names_the_file(file_server, tmp_path, dl):
    data = make_blob(1000)
    file_server.add("/dl", data, content_disposition="attachment; filename*=UTF-8''%E6%A8%A1%E5%9E%8B.pth")
    path, _ = dl(file_server.url("/dl"), tmp_path)
    assert path.name == "模型.pth" and path.read_bytes() == data


def test_existing_different_file_is_never_overwritten(file_server, tmp_path, dl):
    data = make_blob(5000)
    file_server.add("/a.bin", data)
    (tmp_path / "a.bin").write_bytes(b"precious")
    path, _ = dl(file_server.url("/a.bin"), tmp_path)
    assert path.name == "a (1).bin"
    assert (tmp_path / "a.bin").read_bytes() == b"precious"
    assert path.read_bytes() == data


def test_identical_existing_file_with_known_hash_is_kept(file_server, tmp_path, dl):
    data = make_blob(5000)
    file_server.add("/a.bin", data)
    (tmp_path / "a.bin").write_bytes(data)
    path, d = dl(file_server.url("/a.bin"), tmp_path, sha256=sha256(data))
    assert path == tmp_path / "a.bin" and d.message == "already downloaded and verified"
    assert not (tmp_path / "a (1).bin").exists()


def test_running_the_same_download_twice_makes_no_copy(file_server, tmp_path, dl):
    data = make_blob(5000)
    file_server.add("/twice.bin", data)
    first, _ = dl(file_server.url("/twice.bin"), tmp_path)
    second, d = dl(file_server.url("/twice.bin"), tmp_path)
    assert second == first and d.message.startswith("already downloaded (same name, size and date")
    assert not (tmp_path / "twice (1).bin").exists()
    # the server's copy is newer than ours: a new download, never over the old file
    os.utime(first, (1_000_000, 1_000_000))
    third, _ = dl(file_server.url("/twice.bin"), tmp_path)
    assert third.name == "twice (1).bin" and third.read_bytes() == data


def test_checksum_mismatch_never_creates_the_final_name(file_server, tmp_path, dl):
    data = make_blob(200_000)
    file_server.add("/c.bin", data)
    with pytest.raises(ChecksumMismatch) as ei:
        dl(file_server.url("/c.bin"), tmp_path, sha256="0" * 64)
    assert "sha256 mismatch" in str(ei.value)
    assert not (tmp_path / "c.bin").exists()


def test_md5_is_verified_too(file_server, tmp_path, dl):
    import hashlib
    data = make_blob(300_000)
    file_server.add("/c.bin", data)
    path, _ = dl(file_server.url("/c.bin"), tmp_path, md5=hashlib.md5(data).hexdigest())
    assert path.read_bytes() == data
    with pytest.raises(ChecksumMismatch):
        dl(file_server.url("/c.bin"), tmp_path / "x", md5="f" * 32)


def test_expected_size_mismatch_is_refused(file_server, tmp_path, dl):
    file_server.add("/s.bin", make_blob(1000))
    with pytest.raises(SizeMismatch):
        dl(file_server.url("/s.bin"), tmp_path, size=999)


def test_connection_resets_at_random_offsets(file_server, tmp_path, dl):
    import random
    data = make_blob(4 * 1024 * 1024)
    rnd = random.Random(7)
    offsets = sorted(rnd.randrange(1, len(data)) for _ in range(6))
    file_server.add("/r.bin", data, reset_at=offsets)
    path, _ = dl(file_server.url("/r.bin"), tmp_path, connections=4, min_split=256 * 1024,
                 sha256=sha256(data))
    assert path.read_bytes() == data
    assert not file_server.faults["/r.bin"].reset_at, "every reset was hit"


def test_stalled_connection_gives_its_range_back(file_server, tmp_path, dl):
    data = make_blob(2 * 1024 * 1024)
    file_server.add("/st.bin", data, stall_at=[1_500_000], stall_seconds=30)
    path, _ = dl(file_server.url("/st.bin"), tmp_path, connections=2, min_split=256 * 1024,
                 stall_timeout=1.0)
    assert path.read_bytes() == data


def test_503_burst_with_retry_after_lowers_connections(file_server, tmp_path, dl):
    data = make_blob(3 * 1024 * 1024)
    f = file_server.add("/b.bin", data, rate=4 * 1024 * 1024, max_conns=3, retry_after=0.3)
    notes = []
    path, d = dl(file_server.url("/b.bin"), tmp_path, connections=8, min_split=128 * 1024,
                 progress=lambda p: p.message and notes.append(p.message))
    assert path.read_bytes() == data
    assert any("fewer connections" in n for n in notes)
    assert d.target_conns < 8
    assert f.max_conns == 3 and file_server.max_active <= 4


def test_429_on_probe_is_retried_after_retry_after(file_server, tmp_path, dl):
    data = make_blob(10_000)
    file_server.add("/q.bin", data, busy=2, busy_status=429, retry_after=0.2)
    path, _ = dl(file_server.url("/q.bin"), tmp_path)
    assert path.read_bytes() == data


def test_range_ignored_falls_back_to_one_connection(file_server, tmp_path, dl):
    data = make_blob(1024 * 1024)
    file_server.add("/n.bin", data, ignore_range=True)
    path, d = dl(file_server.url("/n.bin"), tmp_path, connections=8, sha256=sha256(data))
    assert path.read_bytes() == data
    assert file_server.max_active == 1


def test_wrong_content_range_is_never_written(file_server, tmp_path, dl, monkeypatch):
    data = make_blob(2 * 1024 * 1024)
    file_server.add("/w.bin", data, wrong_content_range=3)
    writes = []
    from core.engine.partfile import PartFile
    real = PartFile.write

    def spy(self, buf, offset):   # every write into the .part goes through PartFile.write
        writes.append((offset, b"".join(buf.parts)[:16]))
        return real(self, buf, offset)
    monkeypatch.setattr(PartFile, "write", spy)
    path, _ = dl(file_server.url("/w.bin"), tmp_path, connections=2, min_split=512 * 1024)
    assert path.read_bytes() == data
    assert writes, "the spy saw the writes"
    for off, head in writes:
        assert data[off:off + 16] == head, "bytes were written at the wrong place"


def test_wrong_content_range_everywhere_fails_clearly(file_server, tmp_path, dl):
    file_server.add("/w.bin", make_blob(100_000), wrong_content_range=10_000)
    with pytest.raises(ProtocolError) as ei:
        dl(file_server.url("/w.bin"), tmp_path, max_retries=3)
    assert "Content-Range" in str(ei.value)


def test_truncated_bodies_are_completed(file_server, tmp_path, dl):
    data = make_blob(3 * 1024 * 1024)
    file_server.add("/t.bin", data, truncate=4)
    path, _ = dl(file_server.url("/t.bin"), tmp_path, connections=3, min_split=256 * 1024,
                 sha256=sha256(data))
    assert path.read_bytes() == data


def test_not_found_is_a_clear_error(file_server, tmp_path, dl):
    with pytest.raises(NotFound) as ei:
        dl(file_server.url("/missing.bin"), tmp_path)
    assert "Not found" in str(ei.value)


def test_resume_from_journal_downloads_only_the_rest(file_server, tmp_path, dl):
    data = make_blob(4 * 1024 * 1024)
    file_server.add("/j.bin", data)
    part = tmp_path / "j.bin.part"
    # a previous run finished the first 3 MiB and the last 256 KiB
    part.write_bytes(data[: 3 << 20] + bytes(len(data) - (3 << 20)))
    with open(part, "r+b") as fh:
        fh.seek(len(data) - 262144)
        fh.write(data[-262144:])
    journal.save(journal.journal_path(part), journal.JournalData(
        size=len(data), etag='"v1"', last_modified=file_server.faults["/j.bin"].last_modified,
        done=[(0, 3 << 20), (len(data) - 262144, len(data))], name="j.bin"))
    path, d = dl(file_server.url("/j.bin"), tmp_path, sha256=sha256(data))
    assert path.read_bytes() == data
    assert d.resumed_from == (3 << 20) + 262144
    done = [(0, 3 << 20), (len(data) - 262144, len(data))]
    for r in file_server.requests[1:]:  # after the one-byte probe
        a, _, b = r["range"][6:].partition("-")
        a, b = int(a), int(b) + 1
        assert not any(a < de and ds < b for ds, de in done), f"asked again for finished bytes: {r['range']}"
    missing = len(data) - sum(b - a for a, b in done)
    # bytes in flight when a split connection is closed are the only overhead
    assert file_server.bytes_sent <= 2 * missing, file_server.bytes_sent


def test_validator_change_restarts_from_zero_and_says_why(file_server, tmp_path, dl):
    old = make_blob(1 << 20, seed=1)
    new = make_blob(1 << 20, seed=2)
    f = file_server.add("/v.bin", new, etag='"v2"')
    part = tmp_path / "v.bin.part"
    part.write_bytes(old)
    journal.save(journal.journal_path(part), journal.JournalData(
        size=len(old), etag='"v1"', done=[(0, 1 << 19)], name="v.bin"))
    notes = []
    path, d = dl(file_server.url("/v.bin"), tmp_path, progress=lambda p: notes.append(p.message))
    assert path.read_bytes() == new
    assert "restarted from zero: the file changed on the server (ETag differs)" in notes
    assert f.etag == '"v2"'


def test_file_replaced_on_the_server_mid_download_restarts_from_zero(file_server, tmp_path, dl):
    """Bytes of two versions are never mixed: a range answer with another ETag means the
    file changed, and the download starts over (hash checked against the new version)."""
    old = make_blob(4 << 20, seed=3)
    new = make_blob(4 << 20, seed=4)
    # a connection drops near the end, so its range is asked for again after the swap
    f = file_server.add("/c.bin", old, rate=512 << 10, reset_at=[(4 << 20) - 100_000])
    notes, swapped = [], []

    def progress(p):
        notes.append(p.message)
        if not swapped and p.done > 0:  # ~0.5 s in; the reset comes at ~1.8 s
            swapped.append(p.done)
            f.etag = '"v2"'   # first: an answer never pairs the new bytes with the old ETag
            file_server.files["/c.bin"] = new

    path, d = dl(file_server.url("/c.bin"), tmp_path, sha256=sha256(new), connections=4,
                 min_split=256 * 1024, progress=progress)
    assert swapped, "the swap happened mid-download"
    assert path.read_bytes() == new
    assert any(n and n.startswith("restarted from zero: the file on 127.0.0.1 changed (ETag")
               for n in notes), set(notes)


def test_resume_with_a_new_url_for_the_same_file(file_server, tmp_path, dl):
    data = make_blob(2 << 20)
    file_server.add("/old-signed.bin", data)
    file_server.add("/new-signed.bin", data)
    part = tmp_path / "model.bin.part"
    part.write_bytes(data[: 1 << 20] + bytes(1 << 20))
    journal.save(journal.journal_path(part), journal.JournalData(
        size=len(data), etag='"v1"', last_modified=file_server.faults["/new-signed.bin"].last_modified,
        done=[(0, 1 << 20)], name="model.bin"))
    path, d = dl(file_server.url("/new-signed.bin"), tmp_path, filename="model.bin")
    assert path.read_bytes() == data and d.resumed_from == 1 << 20


def test_expired_bare_signed_url_pauses_with_clear_message(file_server, tmp_path, dl):
    body = (b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code>'
            b"<Message>Request has expired</Message><X-Amz-Expires>300</X-Amz-Expires></Error>")
    file_server.add("/e.bin", make_blob(1000), expired_body=body)
    with pytest.raises(LinkExpired) as ei:
        dl(file_server.url("/e.bin"), tmp_path)
    assert "paste a new link" in str(ei.value)


def test_expired_link_is_refreshed_and_download_continues(file_server, tmp_path, dl):
    data = make_blob(3 << 20)
    body = b"<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>"
    # the connection drops at 1.6 MB; by then the signature has expired
    f_old = file_server.add("/sig1.bin", data, rate=2 << 20, reset_at=[1_600_000])
    file_server.add("/sig2.bin", data)
    calls = []

    async def refresh():
        calls.append(1)
        return [Mirror(file_server.url("/sig2.bin"))]

    def progress(p):
        # once a third is on disk, the first signature "expires"
        if p.done > (1 << 20) and f_old.expired_body is None:
            f_old.expired_body = body
    path, d = dl(file_server.url("/sig1.bin"), tmp_path, refresh=refresh, progress=progress,
                 connections=1, min_split=1 << 20, sha256=sha256(data))
    assert path.read_bytes() == data
    assert calls == [1]
    new_reqs = [r["range"] for r in file_server.requests if r["path"] == "/sig2.bin"]
    assert new_reqs and all(int(r[6:].split("-")[0]) >= 1_500_000 for r in new_reqs), \
        "the fresh link continued where the old one stopped"


def test_disk_full_before_start_names_needed_and_free(file_server, tmp_path, dl):
    import subprocess
    mnt = tmp_path / "small"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mnt)], capture_output=True)
    if r.returncode != 0:
        pytest.skip("mounting a small tmpfs is not permitted here; ENOSPC injection test covers DiskFull")
    try:
        file_server.add("/big.bin", make_blob(3 << 20))
        with pytest.raises(DiskFull) as ei:
            dl(file_server.url("/big.bin"), mnt)
        msg = str(ei.value)
        assert "need 3.0 MiB" in msg and "free" in msg
        assert ei.value.needed == 3 << 20 and ei.value.free <= 1 << 20
    finally:
        subprocess.run(["umount", str(mnt)])


def test_disk_full_before_the_part_opens_closes_the_probes_answer(tmp_path, monkeypatch):
    """The probe's answer streams the file from byte 0; a disk found full before the .part
    is opened must close it, not leave the connection open with the download object."""
    import asyncio
    import time

    from servers import RawServer, read_request

    from core.engine import partfile
    closed = []

    async def endless(reader, writer):
        await read_request(reader)
        size = 1 << 30
        writer.write(f"HTTP/1.1 206 Partial Content\r\nContent-Length: {size}\r\n"
                     f"Content-Range: bytes 0-{size - 1}/{size}\r\n\r\n".encode())
        try:
            while True:    # a slow body until the client goes away
                writer.write(b"x" * 4096)
                await writer.drain()
                await asyncio.sleep(0.01)
        except ConnectionError:
            pass
        finally:
            closed.append(1)

    monkeypatch.setattr(partfile, "free_bytes", lambda p: 1 << 20)
    with RawServer(endless) as s:
        with pytest.raises(DiskFull) as ei:
            run_download(s.url("/huge.bin"), tmp_path)
        deadline = time.monotonic() + 10
        while not closed and time.monotonic() < deadline:
            time.sleep(0.05)
        assert closed, "the probe's connection is still open"
        assert ei.value.download is not None   # (the download object is alive all along)
    assert not (tmp_path / "huge.bin.part").exists()


def test_enospc_mid_download_keeps_part_and_journal_resumable(file_server, tmp_path, dl, monkeypatch):
    from core.engine import partfile  # the only writer of the .part
    data = make_blob(4 << 20)
    file_server.add("/d.bin", data, rate=8 << 20)
    real, real_v = os.pwrite, os.pwritev
    written = [0]

    def full(write):
        def w(fd, buf, off):
            if written[0] > (2 << 20):
                raise OSError(errno.ENOSPC, "No space left on device")
            n = write(fd, buf, off)
            written[0] += n
            return n
        return w
    monkeypatch.setattr(partfile.os, "pwrite", full(real))
    monkeypatch.setattr(partfile.os, "pwritev", full(real_v))
    with pytest.raises(DiskFull) as ei:
        dl(file_server.url("/d.bin"), tmp_path, connections=2)
    assert "Not enough disk space" in str(ei.value)
    part = tmp_path / "d.bin.part"
    j = journal.load(journal.journal_path(part))
    assert part.exists() and j is not None
    on_disk = part.read_bytes()
    for a, b in j.done:
        assert on_disk[a:b] == data[a:b], "journal claims bytes that are not on disk"
    monkeypatch.setattr(partfile.os, "pwrite", real)
    monkeypatch.setattr(partfile.os, "pwritev", real_v)
    path, d = dl(file_server.url("/d.bin"), tmp_path, sha256=sha256(data))
    assert d.resumed_from == sum(b - a for a, b in j.done) and path.read_bytes() == data


def test_speed_limit_applies_and_changes_while_running(file_server, tmp_path, dl):
    import time
    data = make_blob(1536 * 1024)
    file_server.add("/l.bin", data)
    t0 = time.monotonic()
    path, _ = dl(file_server.url("/l.bin"), tmp_path, limit=1 << 20, connections=4)
    took = time.monotonic() - t0
    assert path.read_bytes() == data
    # a token bucket can burst 0.25 s worth; 1.5 MiB at 1 MiB/s cannot take less than ~1.2 s
    assert took >= 1.0, took

    # raising the limit mid-way lets the rest finish quickly
    import asyncio

    from core.engine import DownloadOptions, Engine

    async def go():
        async with Engine() as eng_:
            d = eng_.download([Mirror(file_server.url("/l.bin"))], tmp_path / "b",
                              DownloadOptions(limit=256 * 1024, sync=False))
            task = asyncio.create_task(d.run())
            await asyncio.sleep(0.6)
            before = d.progress.done
            d.set_limit(0)
            p = await task
            return before, p
    before, p = asyncio.run(go())
    assert before < len(data) * 0.5 and p.read_bytes() == data


def test_global_limit_is_shared(file_server, tmp_path, dl):
    import time
    data = make_blob(1 << 20)
    file_server.add("/g.bin", data)
    t0 = time.monotonic()
    dl(file_server.url("/g.bin"), tmp_path, engine_kw={"global_limit": 512 * 1024})
    assert time.monotonic() - t0 >= 1.4


def test_per_host_cap_limits_connections(file_server, tmp_path, dl):
    data = make_blob(4 << 20)
    file_server.add("/p.bin", data, rate=4 << 20)
    dl(file_server.url("/p.bin"), tmp_path, connections=16, min_split=128 * 1024,
       engine_kw={"per_host": 3})
    assert file_server.max_active <= 3


def test_two_mirrors_share_the_work_and_a_dead_one_is_dropped(tmp_path, dl):
    a, b = FileServer().start(), FileServer().start()
    try:
        data = make_blob(4 << 20)
        a.add("/x.bin", data, rate=2 << 20)
        b.add("/x.bin", data, rate=2 << 20)
        path, d = dl([a.url("/x.bin"), b.url("/x.bin"), b.url("/gone.bin")], tmp_path,
                     connections=6, min_split=256 * 1024, sha256=sha256(data))
        assert path.read_bytes() == data
        assert a.bytes_sent > 0 and b.bytes_sent > 0, "both healthy mirrors were used"
    finally:
        a.stop()
        b.stop()


def test_zero_byte_file(file_server, tmp_path, dl):
    file_server.add("/z.bin", b"")
    path, _ = dl(file_server.url("/z.bin"), tmp_path, sha256=sha256(b""))
    assert path.read_bytes() == b""


def test_file_sha_helper_matches(tmp_path):
    p = tmp_path / "f"
    p.write_bytes(b"abc")
    assert file_sha256(p) == sha256(b"abc")


def test_downloads_from_one_host_share_its_connection_slots(file_server, tmp_path):
    """Per-host cap 4: the first download takes all 4; when a second one joins, the first
    gives two back within moments and both run with 2 (water-filling over their demands)."""
    import asyncio

    from core.engine import DownloadOptions, Engine
    a, b = make_blob(6 << 20, seed=21), make_blob(6 << 20, seed=22)
    file_server.add("/a.bin", a, rate=512 << 10)
    file_server.add("/b.bin", b, rate=512 << 10)
    seen = {"a": [], "b": []}

    async def go():
        async with Engine(per_host=4) as eng:
            da = eng.download([Mirror(file_server.url("/a.bin"))], tmp_path,
                              DownloadOptions(connections=8, sync=False),
                              on_progress=lambda p: seen["a"].append(len(p.connections)))
            ta = asyncio.create_task(da.run())
            await asyncio.sleep(1.0)
            db = eng.download([Mirror(file_server.url("/b.bin"))], tmp_path,
                              DownloadOptions(connections=8, sync=False),
                              on_progress=lambda p: seen["b"].append(len(p.connections)))
            tb = asyncio.create_task(db.run())
            await asyncio.sleep(1.5)
            both = (len(da.progress.connections), len(db.progress.connections))
            pa, pb = await asyncio.gather(ta, tb)
            return both, pa, pb

    both, pa, pb = asyncio.run(go())
    assert pa.read_bytes() == a and pb.read_bytes() == b
    assert max(seen["a"][:4]) == 4, seen["a"]          # alone, it had the host's 4 slots
    assert both == (2, 2), both                          # then the two shared them


def _look_while_it_runs(url, dest, opts, look, times, until=lambda seen: False) -> list:
    """Runs a download of url, calls look(download) every 0.1 s (at most ``times`` times,
    stopping once ``until`` says so of a look's result), then cancels it: what each look saw."""
    import asyncio

    from core.engine import Engine

    async def go():
        async with Engine() as eng:
            d = eng.download([Mirror(url)], dest, opts)
            task = asyncio.create_task(d.run())
            seen = []
            for _ in range(times):
                await asyncio.sleep(0.1)
                seen.append(look(d))
                if until(seen[-1]):
                    break
            d.cancel()
            try:
                await task
            except Exception:
                pass
            return seen
    return asyncio.run(go())


def test_first_downloaded_bytes_are_journaled_at_once(file_server, tmp_path):
    """A kill in the first second of a run must not lose what it fetched: the first bytes
    reach the journal at the next tick, not a journal interval later."""
    from core.engine import DownloadOptions
    data = make_blob(4 << 20, seed=31)
    file_server.add("/j.bin", data, rate=512 << 10)
    jpath = journal.journal_path(tmp_path / "j.bin.part")
    j = _look_while_it_runs(file_server.url("/j.bin"), tmp_path,
                            DownloadOptions(connections=2, sync=False, journal_interval=60),
                            lambda d: journal.load(jpath), 40, until=lambda j: j is not None and j.done)[-1]
    assert j is not None and j.done, "nothing journaled within 4 s although data arrived"
    on_disk = (tmp_path / "j.bin.part").read_bytes()
    assert all(on_disk[a:b] == data[a:b] for a, b in j.done)


def test_a_fast_first_tick_waits_for_the_journal_interval(file_server, tmp_path, monkeypatch):
    """Many bytes in the first tick (a fast link): their fdatasync would be costly, so the
    first journal waits for journal_interval like every later one (nothing is synced or
    journaled before)."""
    from core.engine import DownloadOptions, ticker
    monkeypatch.setattr(ticker, "FIRST_JOURNAL_MAX", 64 << 10)
    data = make_blob(24 << 20, seed=32)
    file_server.add("/f.bin", data, rate=8 << 20)
    jpath = journal.journal_path(tmp_path / "f.bin.part")
    seen = _look_while_it_runs(file_server.url("/f.bin"), tmp_path,
                               DownloadOptions(connections=1, journal_interval=60),
                               lambda d: (journal.load(jpath), d.progress.done), 15)
    assert seen[-1][1] > 1 << 20, "the download did not run"
    assert all(j is None for j, _ in seen), "journaled before the interval although the first tick was fast"


def test_cookies_a_resolver_session_collected_go_with_the_download(file_server, tmp_path):
    """The data path is not the resolvers' aiohttp session, but what that session's jar
    holds for the host (a resolver's login or warning cookie) is sent with every range
    request, merged with the mirror's own Cookie header; the probe's answer is the download."""
    import asyncio

    from yarl import URL

    from core.engine import DownloadOptions, Engine
    data = make_blob(3 << 20, seed=41)
    file_server.add("/c.bin", data)

    url = file_server.url("/c.bin").replace("127.0.0.1", "localhost")  # jars refuse IP hosts

    async def go():
        async with Engine() as eng:
            eng.session.cookie_jar.update_cookies({"warn": "t0k"}, URL(url))
            d = eng.download([Mirror(url, headers={"Cookie": "sid=9"})], tmp_path,
                             DownloadOptions(connections=1, sync=False))
            path = await d.run()
            return path, eng.client.opened
    path, opened = asyncio.run(go())
    assert path.read_bytes() == data
    reqs = [r for r in file_server.requests if r["path"] == "/c.bin"]
    assert reqs and reqs[0]["range"] == "bytes=0-"
    assert [r["headers"].get("Cookie") for r in reqs] == ["warn=t0k; sid=9"] * len(reqs)
    assert opened == 1   # the probe's connection served the download


def test_a_silent_tail_moves_to_an_idle_connection(file_server, tmp_path, dl):
    """End game: the connection holding the last 40 KB goes silent (throttling servers send
    in bursts; here it hangs for 4 s, the stall timeout is 2 minutes). An idle connection
    takes that small tail over after a quarter of a second; what the silent connection had
    received before is already on disk (written before waiting)."""
    data = make_blob(4 << 20, seed=51)
    stall_at = len(data) - 40_000
    # 4 MiB/s per connection: the probe's stream alone would not be fast, so the others open
    # (a fast lone stream would read the whole file, tail included, as one curl would)
    file_server.add("/tail.bin", data, stall_at=[stall_at], stall_seconds=4, open_ended_faults=False,
                    rate=4 << 20)
    path, _ = dl(file_server.url("/tail.bin"), tmp_path, connections=4, stall_timeout=120)
    assert path.read_bytes() == data
    assert file_server.stalling == 1, "the download waited for the silent connection"
    # (the probe's open-ended request streamed only the first piece)
    spans = [tuple(int(x) for x in r["range"][6:].split("-")) for r in file_server.requests
             if r["path"] == "/tail.bin" and r["range"] and not r["range"].endswith("-")]
    assert len([1 for a, b in spans if a <= stall_at <= b]) == 2, spans   # the first, the taker


def test_two_downloads_of_one_name_never_share_a_part(file_server, tmp_path):
    """Two different files that are both called model.bin, downloaded at once by one engine
    (several links of one `get`): each gets its own name and .part, both byte-exact."""
    import asyncio

    from core.engine import DownloadOptions, Engine
    a, b = make_blob(3 << 20, 1), make_blob(3 << 20, 2)
    file_server.add("/x/model.bin", a, rate=4 << 20)
    file_server.add("/y/model.bin", b, rate=4 << 20)
    claimed: list[str] = []

    def claim(p):  # a queue-style owner that refuses nothing but records what was asked
        claimed.append(p.name)
        return True

    async def go():
        async with Engine() as eng:
            d1 = eng.download([Mirror(file_server.url("/x/model.bin"))], tmp_path,
                              DownloadOptions(sync=False, connections=4))
            d2 = eng.download([Mirror(file_server.url("/y/model.bin"))], tmp_path,
                              DownloadOptions(sync=False, connections=4, claim=claim))
            return await asyncio.gather(d1.run(), d2.run())
    p1, p2 = asyncio.run(go())
    assert p1 != p2 and {p1.name, p2.name} == {"model.bin", "model (1).bin"}
    assert p1.read_bytes() == a and p2.read_bytes() == b
    assert claimed and claimed[-1] == p2.name


def test_claim_refusal_moves_to_the_next_name(file_server, tmp_path, dl):
    data = make_blob(4000)
    file_server.add("/model.bin", data)
    path, _ = dl(file_server.url("/model.bin"), tmp_path, claim=lambda p: p.name != "model.bin")
    assert path.name == "model (1).bin" and path.read_bytes() == data
    assert not (tmp_path / "model.bin").exists()


def test_a_given_http_client_carries_the_download_and_stays_open(file_server, tmp_path):
    """Engine(client=...) sends every request of its downloads through that client (here one
    with its own User-Agent), and leaves it open when the engine closes: it is the giver's."""
    import asyncio

    from core import wire
    from core.engine import DownloadOptions, Engine
    data = make_blob(3 << 20)
    file_server.add("/c.bin", data, rate=8 << 20)

    async def go():
        client = wire.Client(user_agent="given-client/1")
        async with Engine(client=client) as eng:
            assert eng.client is client
            d = eng.download([Mirror(file_server.url("/c.bin"))], tmp_path,
                             DownloadOptions(sync=False, connections=3, min_split=256 << 10))
            path = await d.run()
        opened = client.opened
        resp, _ = await client.get(file_server.url("/c.bin"), headers={"Range": "bytes=0-9"})
        head = await resp.read_body(10)
        reused = client.opened == opened   # a kept-alive connection of the download, still pooled
        resp.close()
        await client.close()
        return path, opened, head, reused
    path, opened, head, reused = asyncio.run(go())
    assert path.read_bytes() == data and opened >= 1 and head == data[:10]
    assert reused, "closing the engine closed the given client's connections"
    agents = {r["headers"].get("User-Agent") for r in file_server.requests}
    assert agents == {"given-client/1"}, agents
