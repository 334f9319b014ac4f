"""Watched folders (new files become shares) and opt-in retention."""

from __future__ import annotations

import os
import time

import pytest

OLD = time.time() - 40 * 86400


def _make(folder, name, size, mtime=None):
    p = folder / name
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(b"z" * size)
    if mtime is not None:
        os.utime(p, (mtime, mtime))
    return p


@pytest.fixture
def outputs(tmp_path):
    d = tmp_path / "heygem" / "outputs"
    d.mkdir(parents=True)
    return d


def test_new_finished_files_become_shares(share_env, outputs):
    from core.share.watch import scan
    settled = time.time() - 60
    _make(outputs, "a.mp4", 10, settled)
    _make(outputs, "sub/b.mp4", 20, settled)
    _make(outputs, "c.mp4.part", 30, settled)           # unfinished download
    _make(outputs, ".hidden.mp4", 30, settled)
    _make(outputs, "writing.mp4", 40)                   # still being written (fresh mtime)
    w = share_env.api.watch(outputs, expires="7d")
    first = scan(share_env.api.store, w)
    assert sorted(s.name for s in first) == ["a.mp4", "b.mp4"]
    assert all(s.watch_id == w.id and s.expires > time.time() + 6 * 86400 for s in first)
    assert scan(share_env.api.store, w) == []          # shared once only
    os.utime(outputs / "writing.mp4", (settled, settled))
    assert [s.name for s in scan(share_env.api.store, w)] == ["writing.mp4"]
    # the watched shares are real links
    link = share_env.api.get(first[0].id)
    assert share_env.get(link.url)[0] == 200
    # a revoked watched share is not re-created
    share_env.api.revoke(first[0].id)
    assert scan(share_env.api.store, w) == []
    # unwatching revokes the folder's links
    share_env.api.unwatch(w.id)
    assert share_env.get(share_env.api.get(first[1].id).url)[0] == 410


def test_running_server_picks_up_new_files_by_itself(tmp_path, outputs):
    from core.share import ServerConfig, ServerThread, ShareAPI, ShareServer, ShareStore
    from core.share.access_log import AccessLog
    store = ShareStore()
    api = ShareAPI(store, ServerConfig(port=0))
    w = api.watch(outputs, expires="1h")
    srv = ShareServer(store, ServerConfig(port=0, poll_seconds=0.1), AccessLog(tmp_path / "l"),
                      write_runtime_file=False)
    th = ServerThread(srv, 0).start()
    try:
        _make(outputs, "result.mp4", 1234, time.time() - 30)
        deadline = time.time() + 20
        while time.time() < deadline and not store.list(watch_id=w.id):
            time.sleep(0.05)
        shares = store.list(watch_id=w.id)
        assert [s.name for s in shares] == ["result.mp4"]
    finally:
        th.stop()
        store.close()


def test_retention_is_off_unless_turned_on(share_env, outputs):
    old = _make(outputs, "ancient.mp4", 100, OLD)
    share_env.api.watch(outputs)
    assert share_env.api.retention() == []
    assert old.exists()


def test_retention_delete_reports_freed_space(share_env, outputs):
    from core.share.watch import scan
    old1 = _make(outputs, "old1.mp4", 1000, OLD)
    old2 = _make(outputs, "deep/old2.mp4", 3000, OLD)
    new = _make(outputs, "new.mp4", 500, time.time() - 3600)
    w = share_env.api.watch(outputs, retention_days=30, retention_action="delete")
    shares = {s.name: s for s in scan(share_env.api.store, w)}
    dry = share_env.api.retention(dry_run=True)
    assert dry[0].bytes == 4000 and len(dry[0].files) == 2 and old1.exists()
    assert "would free" in dry[0].summary()
    rep = share_env.api.retention()[0]
    assert rep.bytes == 4000 and sorted(os.path.basename(f) for f in rep.files) == ["old1.mp4", "old2.mp4"]
    assert "freed 3.9 KiB" in rep.summary()
    assert not old1.exists() and not old2.exists() and new.exists()
    assert share_env.api.store.get(shares["old1.mp4"].id).revoked
    assert not share_env.api.store.get(shares["new.mp4"].id).revoked


def test_retention_archive_moves_files(share_env, outputs, tmp_path):
    archive = tmp_path / "archive"
    old = _make(outputs, "sub/old.mp4", 2048, OLD)
    share_env.api.watch(outputs, retention_days=7, retention_action="archive", archive_dir=archive)
    rep = share_env.api.retention()[0]
    assert rep.bytes == 2048 and not old.exists()
    assert (archive / "sub" / "old.mp4").read_bytes() == b"z" * 2048


def test_retention_refuses_half_settings(share_env, outputs):
    from core.share import ShareError
    with pytest.raises(ShareError, match="days"):
        share_env.api.watch(outputs, retention_action="delete")
    with pytest.raises(ShareError, match="archive"):
        share_env.api.watch(outputs, retention_days=3, retention_action="archive")
    with pytest.raises(ShareError, match="not a folder"):
        share_env.api.watch(outputs / "nope")
