"""Safe by default: every refusal comes back in aria2's error shape and queues nothing.

No token, a wrong token, a foreign Host (DNS rebinding), a web page's Origin (CSRF, over
HTTP and WebSocket), ``dir`` outside the download folder, oversized and malformed JSON,
non-http links, header injection; the port listens on loopback only."""

from __future__ import annotations

import json
import os
import socket
import time

import pytest
import websocket
from rpc_helpers import SECRET, Runner

from core.netguard import token_matches
from core.rpc.guard import refusal


def _add(runner: Runner, token: str | None = SECRET, uri: str = "http://127.0.0.1:9/x.bin", **opts) -> dict:
    params = ([f"token:{token}"] if token is not None else []) + [[uri], opts]
    return {"jsonrpc": "2.0", "id": "sec", "method": "aria2.addUri", "params": params}


def _queued_nothing(runner: Runner) -> None:
    assert runner.all_gids() == set()
    from rpc_helpers import queue_rows
    assert queue_rows() == []


def _refused(answer: dict, message_part: str, code: int = 1) -> None:
    """aria2's shape: {"id": ..., "jsonrpc": "2.0", "error": {"code": N, "message": "..."}}."""
    assert set(answer) == {"id", "jsonrpc", "error"} and answer["jsonrpc"] == "2.0", answer
    assert set(answer["error"]) == {"code", "message"} and answer["error"]["code"] == code, answer
    assert message_part in answer["error"]["message"], answer


def test_tokens(runner):
    for token in (None, "", "wrong", SECRET + "x", SECRET[:-1], SECRET.upper()):
        t0 = time.monotonic()
        status, answer, _ = runner.post(_add(runner, token))
        assert time.monotonic() - t0 >= 0.9            # answered after aria2's 1 s delay
        assert status == 400
        _refused(answer, "Unauthorized")
        assert answer["error"]["message"] == "Unauthorized" and answer["id"] == "sec"
    # an unknown method is refused the same way without the token (nothing leaks)
    _refused(runner.post({"jsonrpc": "2.0", "id": 1, "method": "aria2.shutdown", "params": []})[1],
             "Unauthorized")
    # system.multicall checks each call's token; listMethods needs none (as in aria2)
    status, answer, _ = runner.post({"jsonrpc": "2.0", "id": 2, "method": "system.multicall", "params": [[
        {"methodName": "aria2.addUri", "params": [["http://127.0.0.1:9/y.bin"]]},
        {"methodName": "aria2.getVersion", "params": [f"token:{SECRET}"]},
        {"methodName": "system.multicall", "params": [[]]}]]})
    assert status == 200
    assert answer["result"][0] == {"code": 1, "message": "Unauthorized"}
    assert answer["result"][1][0]["version"] == "1.37.0"
    assert answer["result"][2] == {"code": 1, "message": "Recursive system.multicall forbidden."}
    assert "aria2.addUri" in runner.post({"jsonrpc": "2.0", "id": 3, "method": "system.listMethods"})[1]["result"]
    _queued_nothing(runner)
    # the comparison itself: any length, any difference, never an empty secret
    assert token_matches(SECRET, SECRET) and not token_matches(None, SECRET)
    assert not token_matches("", "") and not token_matches("a" * 1000, SECRET)


def test_host_and_origin(runner):
    for host in ("evil.example", f"evil.example:{runner.port}", "127.0.0.1.evil.example", "192.168.1.5",
                 "localhost.evil.example", f"[::2]:{runner.port}", "127.0.0.1:80x"):
        status, answer, _ = runner.post(_add(runner), headers={"Host": host})
        assert status == 403, host
        _refused(answer, "Host header")
    for origin in ("https://evil.example", "null", "http://localhost:8080", f"http://127.0.0.1:{runner.port + 1}",
                   "file://"):
        status, answer, _ = runner.post(_add(runner), headers={"Origin": origin})
        assert status == 403, origin
        _refused(answer, "web page")
    _queued_nothing(runner)
    # what passes: loopback names, an extension, no Origin (aria2p, curl)
    for headers in ({"Host": f"localhost:{runner.port}"}, {"Host": f"[::1]:{runner.port}"},
                    {"Origin": "chrome-extension://abcdefghijklmnopabcdefghijklmnop"},
                    {"Origin": "moz-extension://2c127fa4-62c7-7e4f-90e5-472b45eecfdc"}, {}):
        status, answer, _ = runner.post({"jsonrpc": "2.0", "id": 1, "method": "aria2.getVersion",
                                         "params": [f"token:{SECRET}"]}, headers=headers)
        assert status == 200 and "result" in answer, (headers, answer)
    # the rule itself (core/netguard's browser_refusal with the RPC's origins)
    assert refusal({"Host": "LOCALHOST:6800"}, 6800) is None
    assert refusal({"Host": "127.0.0.1:6801"}, 6800) == "unexpected Host header"
    assert refusal({"Host": "localhost:6800", "Origin": "http://evil.example"}, 6800,
                   ["http://evil.example.com"]) == "cross-origin request"
    assert refusal({"Host": "localhost:6800", "Origin": "HTTP://AriaNg.local:6880/"}, 6800,
                   ["http://ariang.local:6880"]) is None
    assert refusal({"Host": "localhost:6800", "Sec-Fetch-Site": "cross-site"}, 6800) == "cross-site request"


def test_websocket_from_a_web_page_or_foreign_host_is_refused(runner):
    url = f"ws://127.0.0.1:{runner.port}/jsonrpc"
    for kw in ({"origin": "https://evil.example"}, {"host": f"evil.example:{runner.port}"}):
        with pytest.raises(websocket.WebSocketBadStatusException) as e:
            websocket.create_connection(url, timeout=5, **kw)
        assert e.value.status_code == 403
        _refused(json.loads(e.value.resp_body), "Forbidden")
    ws = websocket.create_connection(url, origin="chrome-extension://abcdefghijklmnopabcdefghijklmnop", timeout=10)
    try:
        ws.send(json.dumps(_add(runner, "wrong")))
        _refused(json.loads(ws.recv()), "Unauthorized")
        ws.send("{not json")
        _refused(json.loads(ws.recv()), "Parse error.", -32700)
    finally:
        ws.close()
    _queued_nothing(runner)


def test_dir_and_out_must_stay_in_allowed_folders(runner, tmp_path):
    runner.downloads.mkdir(exist_ok=True)
    (runner.downloads / "to-etc").symlink_to("/etc")
    for opts in ({"dir": "/etc"}, {"dir": "../.."}, {"dir": str(runner.downloads / ".." / "config")},
                 {"dir": str(runner.downloads / "to-etc")}, {"out": "../../.bashrc"},
                 {"out": "/etc/cron.d/x"}, {"dir": str(tmp_path / "elsewhere")}):
        status, answer, _ = runner.post(_add(runner, **opts))
        assert status == 400, opts
        _refused(answer, "Refused", 1)
    _queued_nothing(runner)
    # a folder inside the download folder, and one the user allowed (rpc.json), are fine
    gid = runner.call("aria2.addUri", ["http://127.0.0.1:9/in.bin"], {"dir": "models/sd", "pause": "true"})
    assert runner.call("aria2.tellStatus", gid, ["dir"])["dir"] == str((runner.downloads / "models" / "sd").resolve())
    runner.stop()
    elsewhere = tmp_path / "elsewhere"
    (runner.home / "config" / "rpc.json").write_text(json.dumps({"allowed_dirs": [str(elsewhere)]}))
    again = Runner(runner.home).start()
    try:
        gid = again.call("aria2.addUri", ["http://127.0.0.1:9/e.bin"], {"dir": str(elsewhere / "x"), "pause": "true"})
        assert again.call("aria2.tellStatus", gid, ["dir"])["dir"] == str(elsewhere / "x")
        _refused(again.post(_add(again, dir="/etc"))[1], "Refused")
    finally:
        again.stop()


def test_oversized_malformed_and_odd_requests(runner):
    big = json.dumps(_add(runner, uri="http://127.0.0.1:9/" + "a" * (3 << 20)))
    status, answer, _ = runner.post(big)
    assert status == 413
    _refused(answer, "too large")
    status, answer, _ = runner.post(b"{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": \"aria2.addUri\", \"params\": [")
    assert status == 500
    _refused(answer, "Parse error.", -32700)
    status, answer, _ = runner.post(b"[" * 100_000 + b"]" * 100_000)       # deep nesting
    _refused(answer, "Parse error.", -32700)
    status, answer, _ = runner.post(b"\xff\xfe garbage")
    _refused(answer, "Parse error.", -32700)
    status, answer, _ = runner.post("42")
    assert status == 400
    _refused(answer, "Invalid Request.", -32600)
    _refused(runner.post({"jsonrpc": "2.0", "method": "aria2.getVersion", "params": []})[1],
             "Invalid Request.", -32600)                                      # no id
    status, answer, _ = runner.post({"jsonrpc": "2.0", "id": 5, "method": "aria2.addUri", "params": {"a": 1}})
    assert status == 500
    _refused(answer, "Invalid params.", -32602)
    for uri in ("file:///etc/passwd", "/etc/hosts", "ftp://127.0.0.1/x", "javascript:alert(1)"):
        _refused(runner.post(_add(runner, uri=uri))[1], "")
    _refused(runner.post(_add(runner, header=["X-Evil: a\r\nHost: evil"]))[1], "Refused")
    _refused(runner.post(_add(runner, checksum="sha-1=abc"))[1], "not supported")
    _refused(runner.post(_add(runner, split="lots"))[1], "--split")
    status, answer, _ = runner.post(b"", path="/jsonrpc?method=aria2.getVersion")
    _refused(answer, "Parse error.", -32700)
    import urllib.request
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{runner.port}/jsonrpc?method=aria2.addUri&id=1", timeout=10)
        raise AssertionError("GET answered")
    except urllib.error.HTTPError as e:
        assert e.code == 405
        _refused(json.loads(e.read()), "POST")
    _queued_nothing(runner)


def test_listens_on_loopback_only(runner):
    port_hex = f"{runner.port:04X}"
    listening = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not os.path.exists(table):
            continue
        for line in open(table).read().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            if state == "0A" and local.endswith(":" + port_hex):     # LISTEN
                listening.append(local.split(":")[0])
    assert listening and set(listening) <= {"0100007F", "00000000000000000000000001000000"}, listening
    # and from a non-loopback address of this machine, when it has one, nothing answers
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("192.0.2.1", 9))                 # no packet is sent: just picks the interface
            own = s.getsockname()[0]
    except OSError:
        own = None
    if own and not own.startswith("127."):
        with pytest.raises(OSError):
            socket.create_connection((own, runner.port), timeout=3).close()
