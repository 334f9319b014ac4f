"""The exact JSON 网盘直链下载助手 (syhyz1990/baiduyun, panlinker.user.js 6.2.3,
``sendLinkToRPC``) posts to an aria2 RPC, replayed against the headless runner: the
download carries its User-Agent, Cookie and Referer on every request, and the cookie
never reaches the queue database, the logs or the runner's output."""

from __future__ import annotations

import hashlib
import os
import sqlite3

from aiohttp import web
from rpc_helpers import SECRET, Runner, wait_for
from servers import FileServer, file_sha256, make_blob

from core.rpc.methods import gid_of, task_of

# pan.ua comes from the script's remote configuration; this is the shape of Baidu's PC client UA.
PAN_UA = "netdisk;7.42.0.5;PC;PC-Windows;10.0.22631;WindowsBaiduYunGuanJia"
BDUSS = "VhZTVBRk1GUkd5ZnV3dVJ0a2h-cnJ1ZUxOc0l0R3o5S2tqbE1-WkhhbGlTMVpuSVFBQUFBJCQAAAAAAAAAAAEAAADx3vYPemhpbGlhbg"


class PcsServer(FileServer):
    """Plays the Baidu CDN (d.pcs.baidu.com) for the link the helper resolved: without the
    netdisk User-Agent and the BDUSS cookie it answers 403 with errno 31326 ("user is not
    authorized"), as ../shared/PROTOCOLS.md records; with them, Range as the real one."""

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        ua = request.headers.get("User-Agent", "")
        if not ua.startswith("netdisk;") or f"BDUSS={BDUSS}" not in request.headers.get("Cookie", ""):
            self.requests.append({"path": request.path, "range": request.headers.get("Range"),
                                  "headers": dict(request.headers), "refused": True})
            return web.json_response({"error_code": 31326, "error_msg": "user is not authorized"}, status=403)
        return await super()._handle(request)


def _helper_body(link: str, filename: str, folder: str, header: list[str]) -> dict:
    """panlinker.user.js sendLinkToRPC: id is new Date().getTime(), the token always sent."""
    return {"id": 1796131200123, "jsonrpc": "2.0", "method": "aria2.addUri",
            "params": [f"token:{SECRET}", [link], {"dir": folder, "out": filename, "header": header}]}


def _served(srv: FileServer, path: str) -> list[dict]:
    return [r for r in srv.requests if r["path"] == path]


def _nowhere_on_disk(home, needle: str) -> None:
    for root, _dirs, files in os.walk(home):
        for f in files:
            p = os.path.join(root, f)
            if "Downloads" in p:
                continue
            with open(p, "rb") as fh:
                assert needle.encode() not in fh.read(), p


def test_baidu_helper_json_carries_ua_and_cookie_on_every_range(runner, zhilian_home):
    pcs = PcsServer().start()
    try:
        data = make_blob(6_000_000, 41)
        path = "/file/8c5f2a9d0e1b?fid=1144477778-250528-66213004821&dstime=1796131200&rt=sh&sign=FDtAER"
        # 2 MB/s per connection, as a CDN node gives one stream: the engine opens more
        # connections (one fast stream would rightly stay one) and each must carry the headers
        pcs.add(path.split("?")[0], data, rate=2_000_000)
        link = pcs.base + path
        status, answer, _ = runner.post(_helper_body(link, "wav2lip_gan.pth", str(runner.downloads / "baidu"),
                                                     [f"User-Agent: {PAN_UA}", f"Cookie: BDUSS={BDUSS}"]),
                                        headers={"User-Agent": PAN_UA})
        assert status == 200 and answer["id"] == 1796131200123, answer
        gid = answer["result"]
        wait_for(lambda: runner.call("aria2.tellStatus", gid, ["status"])["status"] == "complete",
                 what="download complete")
        out = runner.downloads / "baidu" / "wav2lip_gan.pth"
        assert file_sha256(out) == hashlib.sha256(data).hexdigest()
        seen = _served(pcs, path.split("?")[0])
        ranged = [r for r in seen if r["range"] and r["range"] != "bytes=0-0"]
        assert len(ranged) >= 2, seen                           # several connections, each with the headers
        assert not [r for r in seen if r.get("refused")]
        assert all(r["headers"]["User-Agent"] == PAN_UA and r["headers"]["Cookie"] == f"BDUSS={BDUSS}"
                   for r in seen)
    finally:
        pcs.stop()
    runner.stop()
    assert BDUSS not in "".join(runner.out)
    _nowhere_on_disk(zhilian_home, BDUSS)


def test_aliyun_helper_json_sends_its_referer(runner, file_server):
    data = make_blob(2_500_000, 42)
    file_server.add("/ali/model.safetensors", data)
    body = _helper_body(file_server.url("/ali/model.safetensors") + "?x-oss-expires=2000000000&x-oss-signature=ab",
                        "model.safetensors", "", ["Referer: https://www.aliyundrive.com/"])
    status, answer, _ = runner.post(body, headers={"Referer": "https://www.aliyundrive.com/"})
    assert status == 200, answer
    gid = answer["result"]
    wait_for(lambda: runner.call("aria2.tellStatus", gid, ["status"])["status"] == "complete",
             what="download complete")
    assert file_sha256(runner.downloads / "model.safetensors") == hashlib.sha256(data).hexdigest()
    seen = _served(file_server, "/ali/model.safetensors")
    assert seen and all(r["headers"].get("Referer") == "https://www.aliyundrive.com/" for r in seen)


def test_cookie_survives_a_restart_in_the_keyring_only(runner, zhilian_home):
    """UA + Cookie + Referer (the set the issue names); the runner stops mid-download and
    the next run goes on from the .part with the same headers, read back from the keyring."""
    pcs = PcsServer().start()
    try:
        data = make_blob(5_000_000, 43)
        faults = pcs.add("/file/big.bin", data, rate=150_000)
        header = [f"User-Agent: {PAN_UA}", f"Cookie: BDUSS={BDUSS}", "Referer: https://pan.baidu.com/disk/main"]
        status, answer, _ = runner.post(_helper_body(pcs.url("/file/big.bin"), "big.bin", "", header))
        assert status == 200, answer
        gid = answer["result"]
        wait_for(lambda: int(runner.call("aria2.tellStatus", gid, ["completedLength"])["completedLength"])
                 > 300_000, what="part of the file")
        runner.stop()
        db = zhilian_home / "data" / "zhilian.db"
        con = sqlite3.connect(db)
        users = dict(con.execute("SELECT task_id, keyring_user FROM rpc_extras"))
        con.close()
        assert list(users) == [task_of(gid)]
        from core.accounts.store import SERVICE, keyring_backend
        kept = keyring_backend().get_password(SERVICE, users[task_of(gid)])
        assert f"BDUSS={BDUSS}" in kept and PAN_UA in kept
        _nowhere_on_disk(zhilian_home, BDUSS)
        before = len(pcs.requests)

        faults.rate = 0
        again = Runner(zhilian_home).start()
        try:
            wait_for(lambda: again.call("aria2.tellStatus", gid, ["status"])["status"] == "complete",
                     what="resumed download complete")
        finally:
            again.stop()
        assert file_sha256(again.downloads / "big.bin") == hashlib.sha256(data).hexdigest()
        after = pcs.requests[before:]
        assert after and not [r for r in after if r.get("refused")]
        assert all(r["headers"]["Cookie"] == f"BDUSS={BDUSS}" and r["headers"]["User-Agent"] == PAN_UA
                   and r["headers"]["Referer"] == "https://pan.baidu.com/disk/main" for r in after)
        assert not any(r["range"] == "bytes=0-" for r in after)     # resumed, not started again
        # done: the extras are forgotten, in the database and in the keyring
        con = sqlite3.connect(db)
        assert con.execute("SELECT COUNT(*) FROM rpc_extras").fetchone()[0] == 0
        con.close()
        assert keyring_backend().get_password(SERVICE, users[task_of(gid)]) is None
        _nowhere_on_disk(zhilian_home, BDUSS)
    finally:
        pcs.stop()


def test_without_a_keyring_the_cookie_lives_for_one_run(zhilian_home, monkeypatch):
    """No keyring: the headers work in this run; after a restart the task stops and says why."""
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    pcs = PcsServer().start()
    first = Runner(zhilian_home).start()
    try:
        pcs.add("/file/nokr.bin", make_blob(3_000_000, 44), rate=100_000)
        status, answer, _ = first.post(_helper_body(pcs.url("/file/nokr.bin"), "nokr.bin", "",
                                                    [f"User-Agent: {PAN_UA}", f"Cookie: BDUSS={BDUSS}"]))
        gid = answer["result"]
        wait_for(lambda: int(first.call("aria2.tellStatus", gid, ["completedLength"])["completedLength"]) > 0,
                 what="download running with the cookie")
        first.stop()
        again = Runner(zhilian_home).start()
        try:
            st = wait_for(lambda: (s := again.call("aria2.tellStatus", gid))["status"] == "paused" and s,
                          what="task paused")
            assert st["gid"] == gid == gid_of(task_of(gid))
            from rpc_helpers import queue_rows
            row = next(r for r in queue_rows() if r.id == task_of(gid))
            assert "not kept" in row.error and "send the link again" in row.error
            assert not [r for r in pcs.requests if r.get("refused")]     # never sent without its cookie
        finally:
            again.stop()
        _nowhere_on_disk(zhilian_home, BDUSS)
    finally:
        first.stop()
        pcs.stop()
