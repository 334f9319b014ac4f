"""Only shared files are reachable; control endpoints check Host, Origin, token."""

from __future__ import annotations

import json
import os
import socket
from urllib.parse import parse_qs, urlsplit

import pytest

SECRET = b"TOP-SECRET-NOT-SHARED"


@pytest.fixture
def outside(tmp_path):
    p = tmp_path / "private" / "id_rsa"
    p.parent.mkdir()
    p.write_bytes(SECRET * 10)
    return p


def _raw(port: int, request_line: str, host: str | None = None) -> tuple[int, bytes]:
    """Send bytes exactly as written (no client normalises the path)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(f"{request_line} HTTP/1.1\r\nHost: {host or f'127.0.0.1:{port}'}\r\n"
                  "Connection: close\r\n\r\n".encode())
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    status = int(data.split(b" ", 2)[1])
    return status, data


def test_traversal_and_listing_attempts_are_refused(share_env, tmp_path, outside):
    shared = outside.parent.parent / "public" / "ok.txt"
    shared.parent.mkdir()
    shared.write_bytes(b"public data")
    link = share_env.api.create(shared)
    u = urlsplit(link.url)
    q = u.query
    sid = link.id
    rel = os.path.relpath(outside, shared.parent)
    attempts = [
        "GET /", "GET /s/", f"GET /s/{sid}/", f"GET /s/{sid}",
        f"GET /s/{sid}/../../private/id_rsa?{q}",
        f"GET /s/{sid}/..%2f..%2fprivate%2fid_rsa?{q}",
        f"GET /s/{sid}/%2e%2e/%2e%2e/private/id_rsa?{q}",
        f"GET /s/{sid}/{rel}?{q}",
        f"GET /s/{sid}/{rel.replace('/', '%2F')}?{q}",
        f"GET /s/..%2f..%2f..%2f{str(outside).lstrip('/').replace('/', '%2f')}?{q}",
        f"GET /s/{sid}/ok.txt/..?{q}",
        f"GET /s/{sid}/ok.txt%00../../private/id_rsa?{q}",
        "GET /..%2f..%2f..%2fetc%2fpasswd",
        "GET /../../../etc/passwd",
        f"GET /{outside}",
        f"GET //{outside}",
        f"GET /s/{sid}/%2e%2e%5c%2e%2e%5cprivate%5cid_rsa?{q}",
        f"GET /api/../s/{sid}/ok.txt/../../private/id_rsa?{q}",
    ]
    for a in attempts:
        st, data = _raw(share_env.port, a)
        assert st in (400, 403, 404), (a, st)
        assert SECRET not in data and b"root:" not in data, a
    # the real link still works
    st, _, body = share_env.get(link.url)
    assert st == 200 and body == b"public data"


def test_shared_path_replaced_by_symlink_out_is_refused(share_env, tmp_path, outside):
    p = tmp_path / "share-me.txt"
    p.write_bytes(b"fine")
    link = share_env.api.create(p)
    assert share_env.get(link.url)[2] == b"fine"
    p.unlink()
    p.symlink_to(outside)                         # swapped for a link to a private file
    st, _, body = share_env.get(link.url)
    assert st == 403 and SECRET not in body


def test_symlink_out_of_watched_folder_is_never_served(share_env, tmp_path, outside):
    from core.share.watch import scan
    folder = tmp_path / "outputs"
    folder.mkdir()
    (folder / "video.mp4").write_bytes(b"v" * 1000)
    (folder / "escape.mp4").symlink_to(outside)
    (folder / "inner.mp4").symlink_to(folder / "video.mp4")  # same file: shared once
    old = 1_600_000_000
    for f in ("video.mp4",):
        os.utime(folder / f, (old, old))
    w = share_env.api.watch(folder, expires="never")
    new = scan(share_env.api.store, w)
    names = sorted(s.name for s in new)
    assert names in (["inner.mp4"], ["video.mp4"])
    # even a share row forced onto the escaping link is refused by the server
    forced = share_env.api.store.add(folder / "escape.mp4", watch_id=w.id)
    url = share_env.api.url_for(forced)
    st, _, body = share_env.get(url)
    assert st == 403 and SECRET not in body


def _token(env) -> str:
    from core.share.signing import control_token
    return control_token(env.api.key())


def test_control_api_needs_token_host_and_origin(share_env, tmp_path):
    port = share_env.port
    good_host = f"127.0.0.1:{port}"
    tok = {"Authorization": f"Bearer {_token(share_env)}"}
    assert share_env.get("/api/shares")[0] == 401
    assert share_env.get("/api/shares", {"Authorization": "Bearer nope"})[0] == 401
    st, _, body = share_env.get("/api/status", {**tok, "Host": good_host})
    assert st == 200 and json.loads(body)["port"] == port
    assert share_env.get("/api/status", {**tok, "Host": f"localhost:{port}"})[0] == 200
    # DNS rebinding: a page on evil.example resolving to 127.0.0.1
    for host in (f"evil.example:{port}", "evil.example", f"127.0.0.1:{port + 1}", ""):
        assert share_env.get("/api/shares", {**tok, "Host": host})[0] == 403, host
    # cross-origin pages
    for origin in ("http://evil.example", "null", f"http://127.0.0.1:{port}.evil.example",
                   f"https://evil.example:{port}"):
        st, _, _ = share_env.get("/api/shares", {**tok, "Host": good_host, "Origin": origin})
        assert st == 403, origin
    st, _, _ = share_env.get("/api/shares", {**tok, "Host": good_host,
                                             "Origin": f"http://127.0.0.1:{port}"})
    assert st == 200
    st, _, _ = share_env.get("/api/shares", {**tok, "Host": good_host, "Sec-Fetch-Site": "cross-site"})
    assert st == 403


def test_control_api_creates_lists_and_revokes(share_env, tmp_path):
    f = tmp_path / "api.bin"
    f.write_bytes(b"via api")
    hdr = {"Authorization": f"Bearer {_token(share_env)}", "Content-Type": "application/json"}
    import http.client
    conn = http.client.HTTPConnection("127.0.0.1", share_env.port, timeout=10)
    conn.request("POST", "/api/shares", body=json.dumps({"path": str(f), "expires": "2h"}),
                 headers=hdr)
    r = conn.getresponse()
    created = json.loads(r.read())
    conn.close()
    assert r.status == 201 and created["name"] == "api.bin"
    assert share_env.get(created["url"])[2] == b"via api"
    st, _, body = share_env.get("/api/shares", hdr)
    assert st == 200 and [s["id"] for s in json.loads(body)] == [created["id"]]
    st, _, body = share_env.get(f"/api/shares/{created['id']}", hdr, method="DELETE")
    assert st == 200 and json.loads(body)["state"] == "revoked"
    assert share_env.get(created["url"])[0] == 410
    # forged Host on a write is refused as well, and nothing is revoked
    other = share_env.api.create(f)
    st, _, _ = share_env.get(f"/api/shares/{other.id}", {**hdr, "Host": "evil.example"},
                             method="DELETE")
    assert st == 403 and share_env.get(other.url)[0] == 200


def test_only_the_signed_query_matters(share_env, tmp_path):
    """Extra query parameters cannot smuggle a path in."""
    f = tmp_path / "a.txt"
    f.write_bytes(b"a")
    link = share_env.api.create(f)
    q = parse_qs(urlsplit(link.url).query)
    assert set(q) == {"e", "sig"}
    st, _, body = share_env.get(link.url + "&path=/etc/passwd&file=../../etc/passwd")
    assert st == 200 and body == b"a"


def test_loopback_by_default_lan_only_by_choice(tmp_path):
    from core.share import ServerConfig, ServerThread, ShareAPI, ShareServer, ShareStore
    from core.share.access_log import AccessLog
    from core.share.signing import control_token
    store = ShareStore()
    assert ServerConfig().bind_host == "127.0.0.1" and ServerConfig().lan is False
    local = ServerThread(ShareServer(store, ServerConfig(port=0), AccessLog(tmp_path / "a"),
                                     watch=False, write_runtime_file=False), 0).start()
    try:
        assert local.server.bound_address()[0] == "127.0.0.1"
        assert local.server.link_base() == f"http://127.0.0.1:{local.port}"
    finally:
        local.stop()
    cfg = ServerConfig(port=0, lan=True, public_host="192.168.1.50")
    lan = ServerThread(ShareServer(store, cfg, AccessLog(tmp_path / "b"), watch=False,
                                   write_runtime_file=False), 0).start()
    try:
        assert lan.server.bound_address()[0] == "0.0.0.0"
        api = ShareAPI(store, cfg)
        api.use_server(lan)
        f = tmp_path / "phone.mp4"
        f.write_bytes(b"for the phone")
        link = api.create(f)
        assert link.url.startswith(f"http://192.168.1.50:{lan.port}/s/")
        png = api.qr_png(link.url)
        assert png.startswith(b"\x89PNG")
        # the LAN name is an accepted Host for control calls; others still are not
        import http.client
        tok = control_token(api.key())
        for host, want in ((f"192.168.1.50:{lan.port}", 200), (f"192.168.1.51:{lan.port}", 403)):
            c = http.client.HTTPConnection("127.0.0.1", lan.port, timeout=10)
            c.request("GET", "/api/status", headers={"Host": host, "Authorization": f"Bearer {tok}"})
            assert c.getresponse().status == want, host
            c.close()
    finally:
        lan.stop()
        store.close()
