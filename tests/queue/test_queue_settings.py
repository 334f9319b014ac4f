"""Settings: defaults, validation, broken files never crash."""

from __future__ import annotations

import json

import pytest

from core import paths
from core.queue.settings import Settings, SettingsError, load_settings, save_settings, settings_path


def test_defaults_when_missing():
    s = load_settings()
    assert s == Settings() and s.load_error is None
    assert s.max_active == 3 and s.connections == 0 and s.global_limit == 0 and s.proxy == ""
    assert s.download_path() == paths.default_download_dir()


def test_round_trip(tmp_path):
    s = Settings(download_dir=str(tmp_path), max_active=5, per_host=2, global_limit=1 << 20,
                 proxy="socks5://127.0.0.1:1080", heygem_installs=["/opt/heygem"], language="zh_CN")
    save_settings(s)
    back = load_settings()
    assert back == s and back.load_error is None
    assert json.loads(settings_path().read_text())["max_active"] == 5


def test_broken_json_gives_defaults_and_keeps_file():
    settings_path().write_text('{"max_active": 4,,,')
    s = load_settings()
    assert s == Settings()
    assert "not valid settings" in s.load_error and "settings.json.broken" in s.load_error
    assert settings_path().with_name("settings.json.broken").read_text() == '{"max_active": 4,,,'


def test_bad_values_fall_back_one_by_one():
    settings_path().write_text(json.dumps({
        "max_active": 0, "per_host": "many", "connections": 8, "proxy": "ftp://x",
        "close_to_tray": "yes", "language": "fr", "heygem_installs": "/opt", "color": "blue"}))
    s = load_settings()
    assert s.connections == 8                           # the good value is kept
    assert (s.max_active, s.per_host, s.proxy, s.close_to_tray, s.language, s.heygem_installs) == \
        (3, 4, "", True, "", [])
    for word in ("max_active", "per_host", "proxy", "close_to_tray", "language", "heygem_installs", "color"):
        assert word in s.load_error


def test_not_an_object_and_unreadable():
    settings_path().write_text("[1, 2]")
    assert "one JSON object" in load_settings().load_error
    settings_path().write_bytes(b"\xff\xfe\x00bad")
    s = load_settings()
    assert s == Settings() and s.load_error


def test_save_rejects_invalid_values():
    with pytest.raises(SettingsError, match="max_active"):
        save_settings(Settings(max_active=-1))
    assert not settings_path().exists()
