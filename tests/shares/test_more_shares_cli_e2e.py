"""End to end through the real CLI (`main.py accounts`, `main.py get`) with the real
keyring and engine: one download each from 123pan, Aliyun Drive, Tianyi Cloud and UC
Drive (their mocks reached via ZHILIAN_HOST_MAP), Xunlei's one-line refusal, and no
login value anywhere on disk afterwards."""

import json
import os
from pathlib import Path

from more_mocks import AliyunMock, Pan123Mock, TianyiMock, UCMock
from servers import make_blob
from servers import run_cli as run


def test_one_file_from_each_host_through_get(zhilian_home, tmp_path):
    mocks = [Pan123Mock().start(), AliyunMock().start(), TianyiMock().start(), UCMock().start()]
    p123, ali, ty, uc = mocks
    try:
        d123, dali, dty, duc = (make_blob(n, s) for n, s in ((400_000, 1), (350_000, 2), (120_000, 3),
                                                              (90_000, 4)))
        p123.add_share("Ab12-cD34", "x7Kq", {"wav2lip_gan.pth": d123})
        ali.add_share("AliShare01", "1a2b", {"heygem/model.ckpt": dali, "heygem/cfg.yaml": b"a: 1"})
        ty.add_share("Ty5678ab", "ab12", {"s3fd.pth": dty})
        uc.add_share("ucZ9", "p4ss", {"face.onnx": duc})
        hm = {}
        for m in mocks:
            hm.update(m.host_map())
        env = {"ZHILIAN_HOST_MAP": json.dumps(hm)}
        first_refresh = ali.refresh_token
        assert run("accounts", "set", "alipan.com", "--token", "-", stdin=first_refresh + "\n").returncode == 0
        assert run("accounts", "import", "cloud.189.cn", "--cookie",
                   f"COOKIE_LOGIN_USER={TianyiMock.LOGIN}; JSESSIONID=j").returncode == 0
        assert run("accounts", "import", "drive.uc.cn", "--cookie", f"__pus={UCMock.PUS}; __puus=p0").returncode == 0
        dest = tmp_path / "dl"
        r = run("get", "链接：https://www.123684.com/s/Ab12-cD34.html 提取码：x7Kq",
                "https://www.alipan.com/s/AliShare01 提取码: 1a2b",
                "https://cloud.189.cn/t/Ty5678ab（访问码：ab12）", "https://drive.uc.cn/s/ucZ9?pwd=p4ss",
                "-d", str(dest), env_extra=env)
        assert r.returncode == 0, r.stderr
        assert (dest / "wav2lip_gan.pth").read_bytes() == d123
        assert (dest / "model.ckpt").read_bytes() == dali and (dest / "cfg.yaml").read_bytes() == b"a: 1"
        assert (dest / "s3fd.pth").read_bytes() == dty
        assert (dest / "face.onnx").read_bytes() == duc
        # Aliyun: the rotated refresh token went back into the keyring
        from core import accounts
        stored = accounts.load_credentials()["alipan.com"]["token"]
        assert stored == ali.refresh_token != first_refresh
        # logins only to their own hosts
        for m, secret in ((p123, TianyiMock.LOGIN), (ali, UCMock.PUS), (uc, TianyiMock.LOGIN),
                          (ty, UCMock.PUS)):
            assert all(secret not in str(q["headers"]) for q in m.requests)
        # nothing secret on disk in clear text
        secrets = [first_refresh, ali.refresh_token, *ali.access, *ali.issued, TianyiMock.LOGIN, UCMock.PUS,
                   *p123.issued]
        for root in (zhilian_home, dest):
            for dirpath, _, files in os.walk(root):
                for f in files:
                    p = Path(dirpath) / f
                    if p.suffix in (".pth", ".ckpt", ".onnx"):
                        continue
                    blob = p.read_bytes()
                    for s in secrets:
                        assert s.encode() not in blob, f"{s[:8]}… in {p}"
    finally:
        for m in mocks:
            m.stop()


def test_missing_logins_and_xunlei_are_one_clear_line(zhilian_home, tmp_path):
    ali, ty = AliyunMock().start(), TianyiMock().start()
    try:
        ali.add_share("AliShare01", "", {"f.bin": b"1"})
        ty.add_share("Ty5678ab", "", {"f.bin": b"1"})
        env = {"ZHILIAN_HOST_MAP": json.dumps({**ali.host_map(), **ty.host_map()})}
        for url, words in (("https://www.alipan.com/s/AliShare01", "accounts set alipan.com"),
                           ("https://cloud.189.cn/t/Ty5678ab", "accounts import cloud.189.cn"),
                           ("https://pan.xunlei.com/s/VNa1b2c3?pwd=ab12", "not supported")):
            r = run("get", url, "-d", str(tmp_path / "dl"), env_extra=env)
            lines = [ln for ln in r.stderr.splitlines() if ln.strip() and "note:" not in ln]
            assert r.returncode == 1 and "Traceback" not in r.stderr
            assert len(lines) == 1 and lines[0].startswith("zhilian: ") and words in lines[0], r.stderr
        assert not (tmp_path / "dl").exists()           # no web page saved as a file
    finally:
        ali.stop()
        ty.stop()
