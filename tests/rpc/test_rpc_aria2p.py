"""aria2p (from PyPI, a client nobody here wrote) drives the headless runner's RPC: add,
status, pause/resume, remove, the global limit, notifications over WebSocket; the
files are checked by SHA-256 and the gids still answer after a restart."""

from __future__ import annotations

import hashlib
import re
import threading
import time

import aria2p
import pytest
from rpc_helpers import SECRET, Runner, queue_rows, wait_for
from servers import file_sha256, make_blob

from core.rpc.methods import gid_of


def _api(runner: Runner) -> aria2p.API:
    return aria2p.API(aria2p.Client(host="http://127.0.0.1", port=runner.port, secret=SECRET))


def _status(dl: aria2p.Download) -> str:
    dl.update()
    return dl.status


def test_aria2p_add_status_pause_resume_remove_limit(runner, file_server, tmp_path):
    api = _api(runner)
    events: list[tuple[str, str]] = []
    listener = threading.Thread(target=api.listen_to_notifications, daemon=True, kwargs=dict(
        on_download_start=lambda api_, gid: events.append(("start", gid)),
        on_download_pause=lambda api_, gid: events.append(("pause", gid)),
        on_download_stop=lambda api_, gid: events.append(("stop", gid)),
        on_download_complete=lambda api_, gid: events.append(("complete", gid)),
        on_download_error=lambda api_, gid: events.append(("error", gid)),
        timeout=1, handle_signals=False))
    listener.start()
    wait_for(lambda: api.client.list_methods(), what="RPC up")
    time.sleep(0.5)             # the WebSocket is open before anything starts

    # add with dir, out and a checksum; the gid is 16 hex digits
    data = make_blob(3_000_000, 31)
    file_server.add("/m/model-a.safetensors", data)
    sub = runner.downloads / "models"
    dl = api.add_uris([file_server.url("/m/model-a.safetensors")],
                      {"dir": str(sub), "out": "a.safetensors",
                       "checksum": "sha-256=" + hashlib.sha256(data).hexdigest()})
    assert re.fullmatch(r"[0-9a-f]{16}", dl.gid)
    wait_for(lambda: _status(dl) == "complete", what="first download complete")
    assert dl.total_length == dl.completed_length == len(data)
    assert dl.dir == sub and dl.files[0].path == sub / "a.safetensors"
    assert file_sha256(sub / "a.safetensors") == hashlib.sha256(data).hexdigest()
    assert dl.error_code == "0"

    # pause and resume a slow download
    slow = make_blob(4_000_000, 32)
    faults = file_server.add("/m/slow.bin", slow, rate=150_000)
    d2 = api.add_uris([file_server.url("/m/slow.bin")], {"split": "2"})
    wait_for(lambda: _status(d2) == "active" and d2.completed_length > 0, what="slow download running")
    assert api.pause([d2]) == [True]
    wait_for(lambda: _status(d2) == "paused", what="paused")
    frozen = d2.completed_length
    time.sleep(1.0)
    assert _status(d2) == "paused" and d2.completed_length == frozen and d2.download_speed == 0
    with pytest.raises(aria2p.ClientException, match="cannot be paused now"):
        api.client.pause(d2.gid)
    faults.rate = 0
    assert api.resume([d2]) == [True]
    wait_for(lambda: _status(d2) == "complete", what="resumed download complete")
    assert file_sha256(runner.downloads / "slow.bin") == hashlib.sha256(slow).hexdigest()

    # the global limit: set, read back, and a download takes at least size / limit
    assert api.set_global_options({"max-overall-download-limit": "256K"})
    assert api.get_global_options().max_overall_download_limit == 256 * 1024
    assert api.get_stats().download_speed == 0
    limited = make_blob(1_000_000, 33)
    file_server.add("/m/limited.bin", limited)
    t0 = time.monotonic()
    d3 = api.add_uris([file_server.url("/m/limited.bin")])
    wait_for(lambda: _status(d3) == "complete", 60, what="limited download complete")
    assert time.monotonic() - t0 > 2.0         # 1 MB at 256 KiB/s needs about 3.8 s
    assert api.set_global_options({"max-overall-download-limit": "0"})

    # remove: the task leaves the queue, its status is "removed" until the result is removed
    file_server.add("/m/removed.bin", make_blob(4_000_000, 34), rate=100_000)
    d4 = api.add_uris([file_server.url("/m/removed.bin")])
    wait_for(lambda: _status(d4) == "active", what="download to remove running")
    assert api.client.remove(d4.gid) == d4.gid
    assert _status(d4) == "removed" and d4.error_code == "31"
    assert api.remove([d4]) == [True]              # aria2p removes the download result
    with pytest.raises(aria2p.ClientException, match="is not found"):
        api.client.tell_status(d4.gid)
    assert d4.gid not in runner.all_gids()

    stats = api.get_stats()
    assert (stats.num_active, stats.num_waiting, stats.num_stopped) == (0, 0, 3)
    by_gid = {d.gid: d.status for d in api.get_downloads()}
    assert by_gid == {dl.gid: "complete", d2.gid: "complete", d3.gid: "complete"}

    wait_for(lambda: ("stop", d4.gid) in events, 10, what=f"stop notification {events}")
    api.stop_listening()
    listener.join(5)
    for kind, gid in [("start", dl.gid), ("complete", dl.gid), ("start", d2.gid), ("pause", d2.gid),
                      ("complete", d2.gid), ("complete", d3.gid), ("start", d4.gid)]:
        assert (kind, gid) in events, (kind, gid, events)
    assert not [e for e in events if e[0] == "error"]


def test_gids_are_queue_tasks_and_survive_a_restart(runner, file_server, zhilian_home):
    api = _api(runner)
    data = make_blob(500_000, 35)
    file_server.add("/r/done.bin", data)
    done = api.add_uris([file_server.url("/r/done.bin")])
    waiting = api.add_uris([file_server.url("/r/later.bin")], {"pause": "true"})
    wait_for(lambda: _status(done) == "complete", what="download complete")
    assert _status(waiting) == "paused"
    # the same tasks the CLI (and the desktop window) see
    assert {gid_of(r.id) for r in queue_rows()} == {done.gid, waiting.gid}
    runner.stop()

    again = Runner(zhilian_home).start()
    try:
        api2 = _api(again)
        d = api2.get_download(done.gid)
        assert d.status == "complete" and d.files[0].path == again.downloads / "done.bin"
        assert api2.get_download(waiting.gid).status == "paused"
        assert {x.gid for x in api2.get_downloads()} == {done.gid, waiting.gid}
        assert api2.get_download(done.gid[:6]).gid == done.gid     # a unique prefix, as aria2 allows
    finally:
        again.stop()
