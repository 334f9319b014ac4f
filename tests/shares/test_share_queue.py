"""Share links through the download queue: errors become the task's error text
(what the GUI shows), and the queue database holds no secret in clear text."""

import asyncio
import json
import os
from pathlib import Path

from share_mocks import BaiduMock, QuarkMock

from core import accounts


async def _wait(pred, timeout=30.0):
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not pred():
        if loop.time() > end:
            raise AssertionError("queue did not settle (hang guard)")
        await asyncio.sleep(0.05)


def test_queue_task_errors_and_no_secret_in_db(baidu, quark, cdn, zhilian_home, tmp_path, monkeypatch):
    hm = {**baidu.host_map(), **quark.host_map()}
    monkeypatch.setenv("ZHILIAN_HOST_MAP", json.dumps(hm))
    data = os.urandom(150_000)
    baidu.add_share("Good", "x7k2", {"model.pth": data})
    quark.add_share("q1", "pc12", {"a.bin": b"2" * 10})
    accounts.import_cookies("pan.baidu.com", f"BDUSS={BaiduMock.BDUSS}; STOKEN={BaiduMock.STOKEN}")
    # Quark has no login stored -> a NeedLogin task error

    from core.queue.service import QueueService

    async def go():
        svc = QueueService()
        await svc.start()
        try:
            dest = tmp_path / "dl"
            [ok] = await svc.add("https://pan.baidu.com/s/1Good", password="x7k2", dest_dir=dest)
            [bad] = await svc.add("https://pan.baidu.com/s/1Good?pwd=zzzz", dest_dir=tmp_path / "dl2")
            [login] = await svc.add("https://pan.quark.cn/s/q1?pwd=pc12", dest_dir=dest)
            done = {"done", "failed"}
            await _wait(lambda: all(svc.get(i).state in done for i in (ok, bad, login)))
            return svc.get(ok), svc.get(bad), svc.get(login)
        finally:
            await svc.close()

    ok, bad, login = asyncio.run(go())
    assert ok.state == "done", ok.error
    assert Path(ok.path).read_bytes() == data
    assert bad.state == "failed" and "Wrong extraction code" in bad.error
    assert login.state == "failed" and "Quark" in login.error and "login" in login.error
    for t in (ok, bad, login):
        for s in (BaiduMock.BDUSS, BaiduMock.STOKEN, QuarkMock.PUS):
            assert s not in (t.error or "") and all(s not in src for src in t.sources)
    secrets = [BaiduMock.BDUSS, BaiduMock.STOKEN, baidu.bdstoken, *baidu.randsk.values(), *baidu.signs]
    dbs = 0
    for dirpath, _, files in os.walk(zhilian_home):
        for f in files:
            p = Path(dirpath) / f
            if p.suffix in (".db", ".db-wal") or "zhilian.db" in p.name:
                dbs += 1
            blob = p.read_bytes()
            for s in secrets:
                assert s.encode() not in blob, f"{s[:8]}… in {p}"
    assert dbs >= 1
