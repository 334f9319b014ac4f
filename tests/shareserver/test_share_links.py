"""Signed links end to end: a real server, real keyring, aria2c as the client."""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
from urllib.parse import parse_qs, urlsplit

import pytest


def _aria2(url: str, out_dir, name: str, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["aria2c", "-x16", "-s16", "-k1M", "--min-split-size=1M", "--file-allocation=none",
         "--allow-overwrite=true", "--auto-file-renaming=false", "--console-log-level=warn",
         "--summary-interval=0", "--no-conf", "-d", str(out_dir), "-o", name, *extra, url],
        capture_output=True, text=True, timeout=60)


def test_aria2c_16_connections_gets_the_right_file(share_env, blob_file, tmp_path):
    path, sha, data = blob_file
    link = share_env.api.create(path, expires="1h")
    out = tmp_path / "got"
    r = _aria2(link.url, out, "copy.mp4")
    assert r.returncode == 0, r.stdout + r.stderr
    assert hashlib.sha256((out / "copy.mp4").read_bytes()).hexdigest() == sha
    recs = [json.loads(ln) for ln in share_env.log_path.read_text().splitlines()]
    ranged = [r for r in recs if r["status"] == 206 and r["share"] == link.id]
    assert len({r["range"] for r in ranged}) >= 8          # aria2c really split the file
    # statistics: one download begun, at least the whole file sent (the first connection may
    # still be finishing its log line when aria2c exits: wait for it, with a hang guard)
    import time
    deadline = time.time() + 20
    while time.time() < deadline:
        s = share_env.api.store.get(link.id)
        if s.bytes_sent >= len(data):
            break
        time.sleep(0.05)
    assert s.downloads == 1 and s.bytes_sent >= len(data)


def test_range_answers(share_env, blob_file):
    path, _, data = blob_file
    link = share_env.api.create(path)
    st, h, body = share_env.get(link.url, {"Range": "bytes=100-199"})
    assert st == 206 and body == data[100:200]
    assert h["Content-Range"] == f"bytes 100-199/{len(data)}"
    st, h, body = share_env.get(link.url, {"Range": "bytes=-10"})
    assert st == 206 and body == data[-10:]
    st, h, body = share_env.get(link.url, {"Range": f"bytes={len(data) - 5}-"})
    assert st == 206 and body == data[-5:]
    st, h, _ = share_env.get(link.url, {"Range": f"bytes={len(data)}-"})
    assert st == 416 and h["Content-Range"] == f"bytes */{len(data)}"
    etag = share_env.get(link.url, {"Range": "bytes=0-0"})[1]["ETag"]
    st, _, body = share_env.get(link.url, {"Range": "bytes=0-9", "If-Range": etag})
    assert st == 206 and body == data[:10]
    st, _, body = share_env.get(link.url, {"Range": "bytes=0-9", "If-Range": '"stale"'})
    assert st == 200 and len(body) == len(data)
    st, h, body = share_env.get(link.url, method="HEAD")
    assert st == 200 and body == b"" and int(h["Content-Length"]) == len(data)
    assert h["Content-Disposition"].startswith("attachment;")


def test_expired_link_is_gone(share_env, blob_file):
    link = share_env.api.create(blob_file[0], expires="1h")
    assert share_env.get(link.url, {"Range": "bytes=0-0"})[0] == 206
    share_env.clock.offset = 3601
    st, _, body = share_env.get(link.url)
    assert st == 410 and b"expired" in body


def test_tampered_links_are_forbidden(share_env, blob_file, tmp_path):
    a = share_env.api.create(blob_file[0], expires="1h")
    other = tmp_path / "other.bin"
    other.write_bytes(b"secret other file")
    b = share_env.api.create(other, expires="1h")
    u = urlsplit(a.url)
    q = {k: v[0] for k, v in parse_qs(u.query).items()}
    sig = q["sig"]
    flipped = ("A" if sig[0] != "A" else "B") + sig[1:]
    tries = [
        f"{u.path}?e={q['e']}&sig={flipped}",                       # signature changed
        f"{u.path}?e={int(q['e']) + 86400}&sig={sig}",              # expiry pushed out
        f"{u.path}?e=0&sig={sig}",                                  # "never expires"
        f"/s/{b.id}/{u.path.rsplit('/', 1)[1]}?e={q['e']}&sig={sig}",  # other share's id
        f"/s/{a.id}/other.bin?e={q['e']}&sig={sig}",                # other name
        f"{u.path}?e={q['e']}",                                     # no signature
        f"{u.path}",                                                # nothing
        f"{u.path}?e=abc&sig={sig}",
    ]
    for t in tries:
        st, _, body = share_env.get(t)
        assert st == 403, (t, st)
        assert b"secret other file" not in body


def test_revoked_link_is_gone_without_restart(share_env, blob_file):
    from core.share import ShareStore
    link = share_env.api.create(blob_file[0])
    assert share_env.get(link.url, {"Range": "bytes=0-0"})[0] == 206
    other_process_store = ShareStore()         # what `main.py shares revoke` does
    other_process_store.revoke(link.id[:6])
    other_process_store.close()
    st, _, body = share_env.get(link.url)
    assert st == 410 and b"revoked" in body


def test_password_protected_share(share_env, blob_file, tmp_path):
    path, sha, data = blob_file
    link = share_env.api.create(path, password="hunter2-密码")
    st, h, _ = share_env.get(link.url)
    assert st == 401 and h["WWW-Authenticate"].startswith("Basic")

    def basic(pw: str) -> dict:
        return {"Authorization": "Basic " + base64.b64encode(f"x:{pw}".encode()).decode()}
    st, _, body = share_env.get(link.url, basic("wrong"))
    assert st == 401 and b"Wrong password" in body
    st, _, body = share_env.get(link.url, {**basic("hunter2-密码"), "Range": "bytes=0-99"})
    assert st == 206 and body == data[:100]
    # aria2c with 16 connections and the password
    r = _aria2(link.url, tmp_path / "pw", "f.mp4", "--http-user=any", "--http-passwd=hunter2-密码")
    assert r.returncode == 0, r.stdout + r.stderr
    assert hashlib.sha256((tmp_path / "pw" / "f.mp4").read_bytes()).hexdigest() == sha
    # and aria2c without it is refused
    r = _aria2(link.url, tmp_path / "nopw", "f.mp4", "--max-tries=1")
    assert r.returncode != 0
    # only an scrypt hash is stored
    db = share_env.api.store.path
    raw = b"".join(p.read_bytes() for p in db.parent.glob(db.name + "*"))
    assert b"hunter2" not in raw
    assert link.share.pw_hash.startswith("scrypt$")


def test_password_guessing_is_slowed_down(share_env, blob_file):
    link = share_env.api.create(blob_file[0], password="right")
    bad = {"Authorization": "Basic " + base64.b64encode(b"u:bad").decode()}
    statuses = [share_env.get(link.url, bad)[0] for _ in range(11)]
    assert statuses[:10] == [401] * 10 and statuses[10] == 429
    good = {"Authorization": "Basic " + base64.b64encode(b"u:right").decode()}
    assert share_env.get(link.url, good)[0] == 429   # locked out for this client for a while


def test_bandwidth_capped_answers_are_still_exact(share_env, tmp_path):
    import os
    data = os.urandom(600_000)
    p = tmp_path / "capped.bin"
    p.write_bytes(data)
    link = share_env.api.create(p, limit_bps=4 * 1024 * 1024)
    st, _, body = share_env.get(link.url, {"Range": "bytes=1000-300999"})
    assert st == 206 and body == data[1000:301000]
    share_env.thread.call(share_env.server.set_global_limit, 8 * 1024 * 1024)
    st, _, body = share_env.get(link.url)
    assert st == 200 and body == data
    share_env.thread.call(share_env.server.set_global_limit, 0)


def test_access_log_says_who_fetched_what_without_secrets(share_env, blob_file):
    link = share_env.api.create(blob_file[0], password="pw-in-log?")
    auth = {"Authorization": "Basic " + base64.b64encode(b"u:pw-in-log?").decode(),
            "Range": "bytes=0-1023", "User-Agent": "tester/1.0"}
    share_env.get(link.url, auth)
    share_env.get(link.url.replace("sig=", "sig=X"))
    text = share_env.log_path.read_text()
    recs = [json.loads(ln) for ln in text.splitlines()]
    ok = [r for r in recs if r["status"] == 206]
    assert ok and ok[0]["client"] == "127.0.0.1" and ok[0]["share"] == link.id
    assert ok[0]["bytes"] == 1024 and ok[0]["agent"] == "tester/1.0"
    assert any(r["status"] == 403 for r in recs)
    sig = parse_qs(urlsplit(link.url).query)["sig"][0]
    assert sig not in text and "pw-in-log" not in text and "sig=" not in text


def test_shares_and_links_survive_a_restart(share_env, blob_file):
    from core.share import ServerConfig, ServerThread, ShareServer, ShareStore, secret
    from core.share.access_log import AccessLog
    link = share_env.api.create(blob_file[0], expires="2h")
    share_env.thread.stop()
    secret.clear_cache()                          # a new process: key comes from the keyring
    store = ShareStore()
    th = ServerThread(ShareServer(store, ServerConfig(port=0), AccessLog(share_env.log_path),
                                  watch=False, write_runtime_file=False), 0).start()
    try:
        share_env.thread = th
        st, _, body = share_env.get(link.url, {"Range": "bytes=0-15"})
        assert st == 206 and body == blob_file[2][:16]
    finally:
        th.stop()
        store.close()


def test_link_key_is_in_the_keyring_not_on_disk(share_env, blob_file, zhilian_home):
    import keyring

    from core.share.secret import SERVICE, keyring_user
    share_env.api.create(blob_file[0])
    stored = keyring.get_password(SERVICE, keyring_user(share_env.api.store.secret_id()))
    assert stored and len(base64.b64decode(stored)) == 32
    raw_key = base64.b64decode(stored)
    for f in zhilian_home.rglob("*"):
        if f.is_file():
            content = f.read_bytes()
            assert stored.encode() not in content and raw_key not in content, f


@pytest.mark.parametrize("missing", ["unknown", "gone"])
def test_unknown_share_or_missing_file(share_env, tmp_path, missing):
    p = tmp_path / "soon-gone.bin"
    p.write_bytes(b"x" * 100)
    link = share_env.api.create(p)
    url = link.url
    if missing == "unknown":
        share_env.api.store.delete(link.id)
    else:
        p.unlink()
    assert share_env.get(url)[0] == 404


def test_rotating_the_key_kills_old_links(share_env, blob_file):
    link = share_env.api.create(blob_file[0])
    share_env.api.rotate_key()
    assert share_env.get(link.url)[0] == 403
    fresh = share_env.api.get(link.id)
    assert share_env.get(fresh.url, {"Range": "bytes=0-0"})[0] == 206


def test_zhilian_engine_downloads_a_share_with_16_connections(share_env, blob_file, tmp_path):
    import asyncio

    from core.engine import DownloadOptions, Engine
    from core.models import Mirror
    path, sha, _ = blob_file
    # a share limited to 16 MiB/s: one stream is not fast enough to stay alone (unlimited on
    # loopback it would be, and the engine rightly keeps one), so the engine splits the file
    link = share_env.api.create(path, limit_bps=16 << 20)

    async def go():
        async with Engine(per_host=16) as eng:
            dl = eng.download([Mirror(link.url)], tmp_path / "eng",
                              DownloadOptions(connections=16, sha256=sha))
            return await dl.run()
    final = asyncio.run(go())
    assert final.name == path.name                      # name from Content-Disposition
    assert hashlib.sha256(final.read_bytes()).hexdigest() == sha
    recs = [json.loads(ln) for ln in share_env.log_path.read_text().splitlines()]
    assert len([r for r in recs if r["share"] == link.id and r["status"] == 206]) >= 2
