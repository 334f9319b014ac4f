"""aria2's method semantics, in process (a QueueService and its RPC on one loop): mirrors,
Metalink, share text with its code, pagination with negative offsets as aria2's
getPaginationRange, positions, options, results, error codes, notifications."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json

import aiohttp
from rpc_helpers import SECRET
from servers import make_blob

from core.queue.settings import Settings
from core.rpc.methods import Aria2Api, gid_of, task_of


def run_rpc(body, tmp_path, **settings):
    from core.app import App
    from core.queue.service import QueueService
    from core.rpc.server import start_rpc

    async def go():
        s = Settings(download_dir=str(tmp_path / "dl"), retry_delay=0.05, max_retries=0, **settings)
        svc = QueueService(settings=s)
        await svc.start()
        srv = await start_rpc(App(svc), port=0, secret=SECRET)
        try:
            async with aiohttp.ClientSession() as http:
                async def call(method, *params, raw=False):
                    async with http.post(srv.url, json={"jsonrpc": "2.0", "id": 1, "method": method,
                                                        "params": [f"token:{SECRET}", *params]}) as r:
                        answer = await r.json(content_type=None)
                    if raw:
                        return answer
                    assert "result" in answer, answer
                    return answer["result"]
                return await body(svc, call, srv, http)
        finally:
            await srv.stop()
            await svc.close()
    return asyncio.run(go())


async def until(pred, timeout=30.0):
    end = asyncio.get_running_loop().time() + timeout
    while not (v := await pred()):
        assert asyncio.get_running_loop().time() < end, "condition not reached"
        await asyncio.sleep(0.05)
    return v


def test_gids_are_reversible_and_unique():
    gids = {gid_of(i) for i in range(1, 20000)}
    assert len(gids) == 19999 and all(len(g) == 16 for g in gids)
    assert all(task_of(gid_of(i)) == i for i in (1, 2, 26, 10**9, 2**63))
    assert len({g[:6] for g in list(gids)[:1000]}) == 1000        # short prefixes already tell them apart


def test_pagination_follows_aria2(tmp_path):
    """aria2 (RpcMethodImpl.h getPaginationRange): offset < 0 counts from the end and the
    result is reversed; tellStopped(-1, 1000) is what AriaNg asks, newest first."""
    items = list(range(5))
    page = Aria2Api._page
    assert page(items, 0, 2) == [0, 1] and page(items, 3, 10) == [3, 4] and page(items, 5, 1) == []
    assert page(items, -1, 2) == [4, 3] and page(items, -1, 1000) == [4, 3, 2, 1, 0]
    assert page(items, -2, 2) == [3, 2] and page(items, -6, 2) == [] and page(items, 0, 0) == []

    async def body(svc, call, srv, http):
        gids = [await call("aria2.addUri", [f"http://127.0.0.1:9/p{i}.bin"], {"pause": "true"}) for i in range(4)]
        assert [d["gid"] for d in await call("aria2.tellWaiting", 0, 2, ["gid"])] == gids[:2]
        assert [d["gid"] for d in await call("aria2.tellWaiting", -1, 2, ["gid"])] == gids[:1:-1]
        # position: put a new download second in the waiting queue
        g = await call("aria2.addUri", ["http://127.0.0.1:9/first.bin"], {"pause": "true"}, 1)
        assert [d["gid"] for d in await call("aria2.tellWaiting", 0, 10, ["gid"])] == [gids[0], g, *gids[1:]]
        assert (await call("aria2.tellWaiting", 0, 1, ["gid", "status"])) == [{"gid": gids[0], "status": "paused"}]
        answer = await call("aria2.tellWaiting", 0, -1, raw=True)
        assert answer["error"]["code"] == 1 and "greater than or equal to 0" in answer["error"]["message"]
    run_rpc(body, tmp_path)


def test_mirrors_share_text_metalink_and_options(tmp_path, file_server):
    data = make_blob(1_500_000, 51)
    file_server.add("/good/weights.bin", data)
    a, b = make_blob(300_000, 52), make_blob(400_000, 53)
    file_server.add("/ml/a.gguf", a)
    file_server.add("/ml/b.onnx", b)
    meta = f"""<?xml version="1.0" encoding="UTF-8"?>
<metalink xmlns="urn:ietf:params:xml:ns:metalink">
  <file name="llm/a.gguf"><size>{len(a)}</size>
    <hash type="sha-256">{hashlib.sha256(a).hexdigest()}</hash>
    <url priority="1">{file_server.url("/gone/a.gguf")}</url>
    <url priority="2">{file_server.url("/ml/a.gguf")}</url></file>
  <file name="vision/b.onnx"><hash type="sha-256">{hashlib.sha256(b).hexdigest()}</hash>
    <url>{file_server.url("/ml/b.onnx")}</url></file>
</metalink>"""

    async def body(svc, call, srv, http):
        dl = tmp_path / "dl"
        # two URIs of one file: the first is dead (404), the second, a mirror, serves it
        g1 = await call("aria2.addUri", [file_server.url("/dead/weights.bin"), file_server.url("/good/weights.bin")],
                        {"out": "weights.bin", "referer": "*", "max-connection-per-server": "2"})
        st = await until(lambda: _done(call, g1))
        assert st["files"][0]["path"] == str(dl / "weights.bin")
        assert st["files"][0]["uris"][0]["uri"] == file_server.url("/dead/weights.bin")
        assert (dl / "weights.bin").read_bytes() == data
        served = [r for r in file_server.requests if r["path"] == "/good/weights.bin"]
        assert served and all(r["headers"]["Referer"] == file_server.url("/dead/weights.bin") for r in served)
        # Metalink: one gid per file, under its own folder, checked by its hash
        gids = await call("aria2.addMetalink", base64.b64encode(meta.encode()).decode(), {"dir": "set"})
        assert len(gids) == 2
        for g in gids:
            await until(lambda g=g: _done(call, g))
        assert (dl / "set" / "llm" / "a.gguf").read_bytes() == a
        assert (dl / "set" / "vision" / "b.onnx").read_bytes() == b
        # share text with its extraction code, as the extension sends a selection
        g = await call("aria2.addUri", ["链接: https://pan.baidu.com/s/1AbCdEfGh 提取码: x7k2 复制这段内容"],
                       {"pause": "true"})
        row = svc.rows[task_of(g)]
        assert row.link == "https://pan.baidu.com/s/1AbCdEfGh" and row.password == "x7k2"
        # options of one download and of all
        assert await call("aria2.changeOption", g, {"max-download-limit": "100K", "split": "3"}) == "OK"
        opt = await call("aria2.getOption", g)
        assert opt["max-download-limit"] == str(100 * 1024) and opt["split"] == "3"
        assert await call("aria2.changeGlobalOption", {"max-concurrent-downloads": "7"}) == "OK"
        assert (await call("aria2.getGlobalOption"))["max-concurrent-downloads"] == "7"
        assert svc.settings.max_active == 7
        # a 404 everywhere: status error with aria2's "resource not found" code
        bad = await call("aria2.addUri", [file_server.url("/nothing/here.bin")])
        st = await until(lambda: _status(call, bad, "error"))
        assert st["errorCode"] == "3" and "404" in st["errorMessage"]
        stat = await call("aria2.getGlobalStat")
        assert (stat["numActive"], stat["numWaiting"], stat["numStopped"]) == ("0", "1", "4")
        answer = await call("aria2.removeDownloadResult", g, raw=True)
        assert answer["error"]["message"] == f"Could not remove download result of GID#{g}"
        assert await call("aria2.removeDownloadResult", bad) == "OK"
        assert await call("aria2.purgeDownloadResult") == "OK"
        assert [d["gid"] for d in await call("aria2.tellStopped", 0, 100, ["gid"])] == []
        assert list(svc.rows) == [task_of(g)]            # the paused one stays; files stay on disk
        assert (dl / "weights.bin").exists()
    run_rpc(body, tmp_path)


def test_notifications_over_websocket(tmp_path, file_server):
    file_server.add("/n/ok.bin", make_blob(200_000, 54))

    async def body(svc, call, srv, http):
        async with http.ws_connect(srv.url) as ws:
            got = []

            async def read():
                async for msg in ws:
                    got.append(json.loads(msg.data))
            reader = asyncio.create_task(read())
            ok = await call("aria2.addUri", [file_server.url("/n/ok.bin")])
            bad = await call("aria2.addUri", [file_server.url("/n/missing.bin")])
            await until(lambda: _status(call, ok, "complete"))
            await until(lambda: _status(call, bad, "error"))
            paused = await call("aria2.addUri", ["http://127.0.0.1:9/later.bin"], {"pause": "true"})
            await call("aria2.remove", paused)
            await until(lambda: _async(_has(got, "aria2.onDownloadStop", paused)))
            await ws.send_str(json.dumps({"jsonrpc": "2.0", "id": "w", "method": "aria2.tellStatus",
                                          "params": [f"token:{SECRET}", paused, ["status"]]}))
            answer = await until(lambda: _async(next((m for m in got if m.get("id") == "w"), None)))
            reader.cancel()
        assert answer["result"] == {"status": "removed"}
        for method, gid in (("aria2.onDownloadStart", ok), ("aria2.onDownloadComplete", ok),
                            ("aria2.onDownloadStart", bad), ("aria2.onDownloadError", bad)):
            assert {"jsonrpc": "2.0", "method": method, "params": [{"gid": gid}]} in got, (method, got)
        assert not _has(got, "aria2.onDownloadPause", paused)       # added paused: no event, as aria2
    run_rpc(body, tmp_path)


async def _status(call, gid, want):
    st = await call("aria2.tellStatus", gid)
    return st if st["status"] == want else None


async def _done(call, gid):
    return await _status(call, gid, "complete")


async def _async(value):
    return value


def _has(got, method, gid):
    return any(m.get("method") == method and m["params"] == [{"gid": gid}] for m in got)


def test_multicall_of_adds_answers_each_call(tmp_path):
    """addUri calls of one multicall are stored together but answered one by one, in order."""
    async def body(svc, call, srv, http):
        tok = f"token:{SECRET}"
        specs = [{"methodName": "aria2.addUri", "params": [tok, ["http://127.0.0.1:9/a.bin"], {"pause": "true"}]},
                 {"methodName": "aria2.addUri", "params": [tok, ["file:///etc/passwd"]]},
                 {"methodName": "aria2.addUri", "params": [["http://127.0.0.1:9/no-token.bin"]]},
                 {"methodName": "aria2.addUri", "params": [tok, ["http://127.0.0.1:9/a.bin"], {"pause": "true"}]},
                 {"methodName": "aria2.tellWaiting", "params": [tok, 0, 10, ["gid"]]},
                 {"methodName": "aria2.addUri", "params": [tok, ["http://127.0.0.1:9/b.bin"], {"dir": "/etc"}]},
                 {"methodName": "aria2.addUri", "params": [tok, ["http://127.0.0.1:9/c.bin"], {"pause": "true"}, 0]}]
        async with http.post(srv.url, json={"jsonrpc": "2.0", "id": 7, "method": "system.multicall",
                                            "params": [specs]}) as r:
            res = (await r.json(content_type=None))["result"]
        a = res[0][0]
        assert res[1] == {"code": 1, "message": "No URI to download."}
        assert res[2] == {"code": 1, "message": "Unauthorized"}
        assert res[3] == [a]                                   # the same link twice: one task
        assert res[4] == [[{"gid": a}]]                        # the adds before it are stored
        assert res[5]["code"] == 1 and "Refused" in res[5]["message"]
        c = res[6][0]
        assert [d["gid"] for d in await call("aria2.tellWaiting", 0, 10, ["gid"])] == [c, a]   # position 0
        assert len(svc.rows) == 2
    run_rpc(body, tmp_path)


def test_ariang_over_websocket_from_an_allowed_page(tmp_path, zhilian_home):
    """What AriaNg (mayswind/AriaNg, src/scripts/services/aria2RpcService.js) sends: a
    unique id, the token on aria2.* methods only, the basic task keys, tellStopped(-1, 1000);
    from a page whose origin the user allowed (and refused from any other page)."""
    (zhilian_home / "config").mkdir(exist_ok=True)
    (zhilian_home / "config" / "rpc.json").write_text(json.dumps({"allowed_origins": ["http://localhost:6880"]}))
    keys = ["gid", "totalLength", "completedLength", "uploadSpeed", "downloadSpeed", "connections",
            "numSeeders", "seeder", "status", "errorCode", "verifiedLength", "verifyIntegrityPending"]

    async def body(svc, call, srv, http):
        gid = await call("aria2.addUri", ["http://127.0.0.1:9/ariang.bin"], {"pause": "true"})
        async with http.ws_connect(srv.url, origin="http://localhost:6880") as ws:
            async def ask(method, *params, token=True):
                rid = f"{method}-{len(params)}"
                await ws.send_str(json.dumps({"jsonrpc": "2.0", "method": method, "id": rid,
                                              "params": ([f"token:{SECRET}"] if token else []) + list(params)}))
                while True:
                    m = json.loads((await ws.receive()).data)
                    if m.get("id") == rid:
                        return m
            assert (await ask("aria2.getVersion"))["result"]["version"] == "1.37.0"
            assert "aria2.tellActive" in (await ask("system.listMethods", token=False))["result"]
            assert (await ask("aria2.tellActive", keys))["result"] == []
            waiting = (await ask("aria2.tellWaiting", 0, 1000, keys))["result"]
            assert [w["gid"] for w in waiting] == [gid] and waiting[0]["status"] == "paused"
            assert set(waiting[0]) <= set(keys) and waiting[0]["totalLength"] == "0"
            assert (await ask("aria2.tellStopped", -1, 1000, keys))["result"] == []
            assert (await ask("aria2.getGlobalStat"))["result"]["numWaiting"] == "1"
            assert (await ask("aria2.changeGlobalOption", {"max-overall-download-limit": "1M"}))["result"] == "OK"
            assert svc.settings.global_limit == 1 << 20
            wrong = await ask("aria2.tellStatus", gid, token=False)
            assert wrong["error"] == {"code": 1, "message": "Unauthorized"}      # AriaNg matches this text
        try:
            async with http.ws_connect(srv.url, origin="http://localhost:6881"):
                raise AssertionError("another page was let in")
        except aiohttp.WSServerHandshakeError as e:
            assert e.status == 403
    run_rpc(body, tmp_path)
