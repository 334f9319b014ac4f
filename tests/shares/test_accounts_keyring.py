"""Accounts against the real gnome-keyring (Secret Service) that ./test.sh starts."""

import json
import os
import time

import keyring
import pytest

from core import accounts
from core.accounts import store
from core.errors import NoKeyring

BDUSS = "BDUSS-secret-" + "x" * 180
STOKEN = "STOKEN-secret-" + "y" * 60


@pytest.fixture
def restore_keyring():
    kr = keyring.get_keyring()
    yield
    keyring.set_keyring(kr)
    accounts.use_session_only(False)


def _all_bytes(root):
    for dirpath, _, files in os.walk(root):
        for f in files:
            with open(os.path.join(dirpath, f), "rb") as fh:
                yield os.path.join(dirpath, f), fh.read()


def test_backend_is_secret_service():
    assert "SecretService" in type(store.keyring_backend()).__name__ or \
        "SecretService" in repr(store.keyring_backend())


def test_import_store_reload_and_status(zhilian_home):
    st = accounts.import_cookies("pan.baidu.com", f"BDUSS={BDUSS}; STOKEN={STOKEN}; PSTM=1")
    assert st.host == "baidu.com" and st.valid and st.cookie_names == ["BDUSS", "PSTM", "STOKEN"]
    assert st.storage == "keyring"
    creds = accounts.load_credentials()
    assert creds["baidu.com"]["cookies"]["BDUSS"] == BDUSS
    # nothing readable on disk: the jar is ciphertext, its key lives in the keyring
    hits = [p for p, b in _all_bytes(zhilian_home) if BDUSS[:20].encode() in b or STOKEN[:20].encode() in b]
    assert hits == []
    jar = zhilian_home / "data" / "accounts.jar"
    header = json.loads(jar.read_bytes().split(b"\n")[1])
    key = keyring.get_password(store.SERVICE, f"accounts-key-{header['key_id']}")
    assert key and len(key.encode()) <= 2560        # fits Windows' per-secret limit
    assert jar.stat().st_mode & 0o077 == 0


def test_big_jar_beyond_windows_limit_still_stored(zhilian_home):
    big = "; ".join(f"c{i}={'v' * 100}" for i in range(100))     # ~10 KB of cookies
    accounts.import_cookies("pan.quark.cn", big + "; __pus=p")
    assert len(accounts.load_credentials()["quark.cn"]["cookies"]) == 101


def test_without_the_keyring_key_the_file_is_useless(zhilian_home):
    accounts.import_cookies("pan.baidu.com", f"BDUSS={BDUSS}; STOKEN={STOKEN}")
    jar = zhilian_home / "data" / "accounts.jar"
    header = json.loads(jar.read_bytes().split(b"\n")[1])
    keyring.delete_password(store.SERVICE, f"accounts-key-{header['key_id']}")
    assert accounts.load_credentials() == {}


def test_status_missing_and_expired(zhilian_home):
    st = accounts.import_cookies("pan.baidu.com", "BDUSS=abc")
    assert not st.valid and st.missing == ["STOKEN"] and "missing STOKEN" in st.message
    txt = (".baidu.com\tTRUE\t/\tFALSE\t1000\tBDUSS\tb\n"
           ".baidu.com\tTRUE\t/\tFALSE\t4000000000\tSTOKEN\ts\n")
    st = accounts.import_cookies("baidu.com", txt, now=time.time())
    assert not st.valid and st.expired == ["BDUSS"] and "expired" in st.message
    txt = txt.replace("\t1000\t", "\t3900000000\t")
    st = accounts.import_cookies("baidu.com", txt)
    assert st.valid and st.expires_at == 3900000000


def test_curl_from_another_host_is_refused(zhilian_home):
    with pytest.raises(accounts.CookieImportError) as ei:
        accounts.import_cookies("pan.baidu.com", "curl 'https://pan.quark.cn/' -b '__pus=1'")
    assert "pan.quark.cn" in str(ei.value)
    assert accounts.list_accounts() == []


def test_rotated_cookies_saved_back_and_remove(zhilian_home):
    accounts.import_cookies("pan.quark.cn", "__pus=p; __puus=old")
    accounts.save_cookies("pan.quark.cn", {"__puus": "new"})
    assert accounts.load_credentials()["quark.cn"]["cookies"] == {"__pus": "p", "__puus": "new"}
    accounts.set_setting("pan.baidu.com", "max_connections", 4)
    assert accounts.load_credentials()["baidu.com"]["max_connections"] == 4
    assert [a.host for a in accounts.list_accounts()] == ["baidu.com", "quark.cn"]
    assert accounts.remove_account("quark.cn") and not accounts.remove_account("quark.cn")
    assert accounts.remove_account("baidu.com")
    assert not (zhilian_home / "data" / "accounts.jar").exists()


def test_no_keyring_raises_and_offers_session_only(zhilian_home, restore_keyring):
    from keyring.backends import fail
    keyring.set_keyring(fail.Keyring())
    with pytest.raises(NoKeyring) as ei:
        accounts.import_cookies("pan.baidu.com", f"BDUSS={BDUSS}; STOKEN={STOKEN}")
    assert "session only" in str(ei.value)
    assert not accounts.keyring_available()
    assert accounts.load_credentials() == {}          # nothing, and nothing read from plain text
    accounts.use_session_only(True)
    st = accounts.import_cookies("pan.baidu.com", f"BDUSS={BDUSS}; STOKEN={STOKEN}")
    assert st.valid and st.storage == "session"
    assert accounts.load_credentials()["baidu.com"]["cookies"]["STOKEN"] == STOKEN
    assert [p for p, b in _all_bytes(zhilian_home) if STOKEN.encode() in b] == []


@pytest.mark.parametrize("cls", ["fake_plaintext_keyring.PlaintextKeyring", "keyring.backends.null.Keyring"])
def test_plaintext_and_null_backends_are_rejected(zhilian_home, restore_keyring, cls, tmp_path):
    import importlib
    mod, name = cls.rsplit(".", 1)
    kr = getattr(importlib.import_module(mod), name)()
    if hasattr(kr, "file_path"):
        kr.file_path = str(tmp_path / "plain.cfg")
    keyring.set_keyring(kr)
    with pytest.raises(NoKeyring):
        accounts.import_cookies("pan.baidu.com", f"BDUSS={BDUSS}; STOKEN={STOKEN}")
    assert not (tmp_path / "plain.cfg").exists()
    assert [p for p, b in _all_bytes(tmp_path) if BDUSS.encode() in b] == []


def test_rotated_cookie_without_keyring_stays_in_memory(zhilian_home, restore_keyring):
    from keyring.backends import fail
    keyring.set_keyring(fail.Keyring())
    accounts.save_cookies("pan.quark.cn", {"__puus": "rot"})      # must not raise
    assert accounts.load_credentials()["quark.cn"]["cookies"] == {"__puus": "rot"}
    assert not (zhilian_home / "data" / "accounts.jar").exists()


def test_damaged_jar_is_reported_not_a_crash(zhilian_home, caplog):
    accounts.import_cookies("pan.quark.cn", "__pus=p")
    jar = zhilian_home / "data" / "accounts.jar"
    jar.write_bytes(store.MAGIC + b"{not json")
    assert accounts.load_credentials() == {}
    assert "damaged" in caplog.text
    st = accounts.import_cookies("pan.quark.cn", "__pus=p2")       # starts a fresh jar
    assert st.valid and accounts.load_credentials()["quark.cn"]["cookies"] == {"__pus": "p2"}
