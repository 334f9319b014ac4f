"""End to end through the real CLI (`main.py accounts`, `main.py get`) with the
real keyring, the share mocks reached via ZHILIAN_HOST_MAP, and the real engine."""

import json
import os
import subprocess
import sys
from pathlib import Path

from servers import make_blob
from share_mocks import BaiduMock, QuarkMock

ROOT = Path(__file__).resolve().parents[2]


def run(*args, env_extra=None, stdin=None, timeout=60):
    env = dict(os.environ)
    env.update(env_extra or {})
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], cwd=ROOT, env=env,
                          input=stdin, capture_output=True, text=True, timeout=timeout)


def hostmap(*mocks):
    hm = {}
    for m in mocks:
        hm.update(m.host_map())
    return {"ZHILIAN_HOST_MAP": json.dumps(hm)}


CURL = ("curl 'https://pan.baidu.com/disk/main' \\\n  -H 'accept: text/html' \\\n"
        f"  -b 'BDUSS={BaiduMock.BDUSS}; STOKEN={BaiduMock.STOKEN}; PANWEB=1' \\\n  --compressed")


def test_accounts_commands_never_print_values(tmp_path):
    r = run("accounts", "import", "pan.baidu.com", "--curl", CURL)
    assert r.returncode == 0, r.stderr
    assert "BDUSS" in r.stdout and "Login looks valid" in r.stdout
    txt = tmp_path / "cookies.txt"
    txt.write_text("# Netscape HTTP Cookie File\n"
                   f".quark.cn\tTRUE\t/\tFALSE\t4000000000\t__pus\t{QuarkMock.PUS}\n"
                   ".quark.cn\tTRUE\t/\tFALSE\t4000000000\t__puus\tpuus-x\n")
    r2 = run("accounts", "import", "pan.quark.cn", "--file", str(txt))
    assert r2.returncode == 0, r2.stderr
    r3 = run("accounts", "import", "contoso-my.sharepoint.com", "-", stdin="FedAuth=fa-secret; rtFa=rt-secret")
    assert r3.returncode == 0, r3.stderr
    lst = run("accounts", "list")
    assert lst.returncode == 0
    for host in ("baidu.com", "quark.cn", "contoso-my.sharepoint.com"):
        assert host in lst.stdout
    chk = run("accounts", "check", "pan.baidu.com")
    assert chk.returncode == 0 and "[ok]" in chk.stdout
    s = run("accounts", "set", "pan.baidu.com", "--connections", "2")
    assert s.returncode == 0 and "connections: 2" in s.stdout
    t = run("accounts", "set", "huggingface.co", "--token", "-", stdin="hf_tokensecret123\n")
    assert t.returncode == 0 and "token: stored" in t.stdout
    from core import accounts
    assert accounts.load_credentials()["huggingface.co"]["token"] == "hf_tokensecret123"
    everything = "".join(x.stdout + x.stderr for x in (r, r2, r3, lst, chk, s, t))
    for secret in (BaiduMock.BDUSS, BaiduMock.STOKEN, QuarkMock.PUS, "puus-x", "fa-secret", "rt-secret",
                   "hf_tokensecret123"):
        assert secret not in everything
    rm = run("accounts", "remove", "pan.quark.cn")
    assert rm.returncode == 0 and "quark.cn" not in run("accounts", "list").stdout
    bad = run("accounts", "check", "pan.quark.cn")
    assert bad.returncode == 1 and "No login stored" in bad.stdout
    wrong = run("accounts", "import", "pan.baidu.com", "--cookie", "")
    assert wrong.returncode == 1 and wrong.stderr.startswith("zhilian: ") and "Traceback" not in wrong.stderr


def test_full_run_keeps_secrets_off_disk_and_cookies_on_their_hosts(baidu, quark, cdn, lanzou, sharepoint,
                                                                    zhilian_home, tmp_path):
    data_b = make_blob(300_000, 7)
    data_q = make_blob(200_000, 8)
    data_l = make_blob(50_000, 9)
    data_s = make_blob(80_000, 10)
    baidu.add_share("AbCd", "x7k2", {"wav2lip_gan.pth": data_b})
    quark.add_share("q9z8", "pc12", {"heygem.7z": data_q})
    lanzou.add_share("iLz1", "s3fd.pth", data_l, pwd="6cmb")
    sharepoint.add_share("EwTok", "wav2lip.pth", data_s)
    assert run("accounts", "import", "pan.baidu.com", "--curl", CURL).returncode == 0
    assert run("accounts", "import", "pan.quark.cn", "--cookie",
               f"__pus={QuarkMock.PUS}; __puus={quark.puus}").returncode == 0
    dest = tmp_path / "dl"
    r = run("get", "https://pan.baidu.com/s/1AbCd?pwd=x7k2", "https://pan.quark.cn/s/q9z8?pwd=pc12",
            "https://www.lanzoux.com/iLz1?pwd=6cmb", sharepoint.link("EwTok"),
            "-d", str(dest), env_extra=hostmap(baidu, quark, lanzou, sharepoint))
    assert r.returncode == 0, r.stderr
    assert (dest / "wav2lip_gan.pth").read_bytes() == data_b
    assert (dest / "heygem.7z").read_bytes() == data_q
    assert (dest / "s3fd.pth").read_bytes() == data_l
    assert (dest / "wav2lip.pth").read_bytes() == data_s
    # SharePoint: the guest FedAuth set by the share link was reused for download.aspx
    sp_dl = [q for q in sharepoint.requests if q["path"].endswith("/download.aspx")]
    assert sp_dl and all(f"FedAuth={sharepoint.fedauth}" in q["headers"].get("Cookie", "") for q in sp_dl)
    # Lanzou: browser headers on the direct link, no login cookie anywhere
    ln_dl = [q for q in lanzou.requests if q["path"].startswith("/dl/")]
    assert ln_dl and all("zh-CN" in q["headers"].get("Accept-Language", "") for q in ln_dl)
    assert all("BDUSS" not in q["headers"].get("Cookie", "") and "__pus" not in q["headers"].get("Cookie", "")
               for q in lanzou.requests + sharepoint.requests)

    # cookies went only to their own hosts
    baidu_cookie_headers = [q["headers"].get("Cookie", "") for q in baidu.requests]
    quark_cookie_headers = [q["headers"].get("Cookie", "") for q in quark.requests]
    assert all("__pus" not in c and "__puus" not in c for c in baidu_cookie_headers)
    assert all("BDUSS" not in c and "STOKEN" not in c for c in quark_cookie_headers)
    dl_reqs = [q for q in baidu.requests if q["path"].startswith("/file/")]
    assert dl_reqs and all("BDUSS=" in q["headers"]["Cookie"] for q in dl_reqs)
    # the CDN is another host: the engine dropped Cookie on the redirect
    assert cdn.requests and all("Cookie" not in q["headers"] and "Authorization" not in q["headers"]
                                for q in cdn.requests)
    # the rotated __puus reached the keyring
    from core import accounts
    assert accounts.load_credentials()["quark.cn"]["cookies"]["__puus"] == quark.puus
    assert quark.rotations >= 2

    # no cookie value, token or signature in clear text anywhere Zhilian writes
    secrets = [BaiduMock.BDUSS, BaiduMock.STOKEN, baidu.bdstoken, *baidu.randsk.values(),
               *baidu.signs, QuarkMock.PUS, quark.puus, *quark.stokens.values(), *quark.download_tokens,
               sharepoint.fedauth]
    assert len(secrets) >= 8
    scanned = []
    for root in (zhilian_home, dest):
        for dirpath, _, files in os.walk(root):
            for f in files:
                p = Path(dirpath) / f
                if p.name in ("wav2lip_gan.pth", "heygem.7z", "s3fd.pth", "wav2lip.pth"):
                    continue
                blob = p.read_bytes()
                scanned.append(p)
                for s in secrets:
                    assert s.encode() not in blob, f"{s[:8]}… found in {p}"
    assert any(p.name == "accounts.jar" for p in scanned)


def test_engine_strips_credentials_on_https_to_http_redirect():
    """The rule the engine applies on every redirect it follows (cross-host is
    exercised end to end above; a local https->http hop on one port is impossible)."""
    from core.http import strip_on_redirect
    h = {"Cookie": "BDUSS=x", "Authorization": "Bearer t", "User-Agent": "pan.baidu.com"}
    assert strip_on_redirect(h, "https://d.pcs.baidu.com/f", "http://d.pcs.baidu.com/f") == \
        {"User-Agent": "pan.baidu.com"}
    assert strip_on_redirect(h, "https://d.pcs.baidu.com/f", "https://cdn.baidupcs.com/f") == \
        {"User-Agent": "pan.baidu.com"}
    assert strip_on_redirect(h, "https://d.pcs.baidu.com/f", "https://d.pcs.baidu.com/g") == h


def test_each_error_is_one_clear_cli_line(baidu, quark, zhilian_home, tmp_path):
    baidu.add_share("Good", "x7k2", {"f.bin": b"1" * 100})
    baidu.add_share("Old", None, {"f.bin": b"1"}, state="expired")
    quark.add_share("q1", "pc12", {"a.bin": b"2"})
    env = hostmap(baidu, quark)
    d = str(tmp_path / "dl")

    def one_line(r, *words):
        assert r.returncode == 1
        lines = [ln for ln in r.stderr.splitlines() if ln.strip() and "note:" not in ln]
        assert "Traceback" not in r.stderr
        assert len(lines) == 1 and lines[0].startswith("zhilian: "), r.stderr
        for w in words:
            assert w in lines[0], lines[0]
        for s in (BaiduMock.BDUSS, BaiduMock.STOKEN, QuarkMock.PUS, "x7k2"):
            assert s not in r.stderr

    # login needed (nothing imported yet)
    one_line(run("get", "https://pan.baidu.com/s/1Good?pwd=x7k2", "-d", d, env_extra=env),
             "Baidu", "BDUSS", "Accounts")
    one_line(run("get", "https://pan.quark.cn/s/q1?pwd=pc12", "-d", d, env_extra=env), "Quark", "login")
    assert run("accounts", "import", "pan.baidu.com", "--curl", CURL).returncode == 0
    # wrong code / expired share
    one_line(run("get", "https://pan.baidu.com/s/1Good?pwd=zzzz", "-d", d, env_extra=env),
             "Wrong extraction code")
    one_line(run("get", "https://pan.baidu.com/s/1Old", "-d", d, env_extra=env), "expired")
    # captcha
    baidu.knobs.verify_errno = -62
    one_line(run("get", "https://pan.baidu.com/s/1Good?pwd=x7k2", "-d", d, env_extra=env),
             "verification code", "browser")
    baidu.knobs.verify_errno = None
    # quota: own disk full
    baidu.knobs.transfer_errno = -10
    one_line(run("get", "https://pan.baidu.com/s/1Good?pwd=x7k2", "-d", d, env_extra=env),
             "disk is full")


def test_cli_without_secret_service_refuses_plaintext_keyring(tmp_path, zhilian_home):
    """A keyring that stores secrets in a plain-text file (as keyrings.alt's does)
    is rejected with one clear line and without writing anything."""
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "DBUS_SESSION_BUS_ADDRESS"}
    env.update(HOME=str(home), XDG_DATA_HOME=str(home / "share"), XDG_CONFIG_HOME=str(home / "cfg"),
               PYTHON_KEYRING_BACKEND="fake_plaintext_keyring.PlaintextKeyring",
               PYTHONPATH=str(ROOT / "tests"))
    r = subprocess.run([sys.executable, str(ROOT / "main.py"), "accounts", "import", "pan.baidu.com",
                        "--cookie", "BDUSS=plainsecret; STOKEN=s"], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert r.stderr.startswith("zhilian: No usable system keyring") and len(r.stderr.splitlines()) == 1
    assert "plainsecret" not in r.stderr
    for root in (home, zhilian_home):
        for dirpath, _, files in os.walk(root):
            for f in files:
                assert b"plainsecret" not in (Path(dirpath) / f).read_bytes()
