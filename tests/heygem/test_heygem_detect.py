import json
import subprocess
import sys
from pathlib import Path

import pytest

from core.heygem import detect as D

ROOT = Path(__file__).resolve().parents[2]


def test_webui_detected_with_port_and_model_from_start_script(installs):
    root = installs.webui(port=7861)
    inst = D.detect_install(root)
    assert inst.kind == "webui" and inst.handoff
    assert inst.port == 7861
    assert inst.model_path == "models/heygem_model_v1.0.pth"
    assert inst.start_cmd == ["bash", "start_app.sh"]
    assert inst.health_path == "/"


def test_webui_without_start_script_uses_its_own_venv_and_default_port(installs):
    root = installs.webui()
    (root / "start_app.sh").unlink()
    inst = D.detect_install(root)
    assert inst.kind == "webui" and inst.port == 7860
    assert inst.start_cmd[0] == str(root / ".venv/bin/python")
    assert inst.start_cmd[1:] == ["app.py", "--port", "7860", "--model-path", "models/heygem_model_v1.0.pth"]


def test_linux_hack_port_from_config_ini(installs):
    root = installs.linux_hack(port=9123)
    inst = D.detect_install(root)
    assert inst.kind == "linux_hack"
    assert inst.port == 9123 and inst.health_path == "/health"
    assert inst.start_cmd == [str(root / ".venv/bin/python"), "app_server.py"]
    assert "config/config.ini" in inst.evidence
    # not mistaken for a WebUI although it has app.py-like files and models
    (root / "app.py").write_text("#\n")
    (root / "models").mkdir()
    assert D.detect_install(root).kind == "linux_hack"


def test_linux_hack_broken_config_falls_back_to_8383(installs):
    root = installs.linux_hack()
    (root / "config/config.ini").write_text("[http_server]\nserver_port = not-a-number\n")
    assert D.detect_install(root).port == 8383


def test_wav2lip_detected_and_has_no_server(installs):
    inst = D.detect_install(installs.wav2lip())
    assert inst.kind == "wav2lip" and inst.handoff
    assert inst.port is None and inst.start_cmd is None
    assert "inference.py" in inst.explanation


def test_docker_data_folder_recognised_and_explained(tmp_path, installs):
    for name in ("heygem_data", "duix_avatar_data"):
        root = installs.docker_data(tmp_path / name.upper(), name)
        inst = D.detect_install(root)
        assert inst.kind == "docker" and not inst.handoff
        assert inst.port == 8383 and inst.health_json
        assert "Docker images" in inst.explanation and "docker load" in inst.explanation


def test_duix_client_checkout_recognised(installs):
    inst = D.detect_install(installs.duix_client())
    assert inst.kind == "docker"
    assert any("guiji2025" in e for e in inst.evidence)


def test_plain_folder_is_not_an_install(tmp_path):
    (tmp_path / "x").mkdir()
    assert D.detect_install(tmp_path / "x") is None
    with pytest.raises(D.NotAnInstall, match="does not look like a HeyGem or Wav2Lip install"):
        D.require_install(tmp_path / "x")
    with pytest.raises(D.NotAnInstall, match="is not a folder"):
        D.require_install(tmp_path / "missing")


def test_common_places_found_automatically(tmp_path, installs):
    home = tmp_path / "home"
    installs.webui(home / "HeyGem")
    installs.linux_hack(home / "Desktop" / "heygem-tools" / "HeyGem-Linux-Python-Hack")
    installs.wav2lip(home / "projects" / "Wav2Lip")
    installs.docker_data(home)
    (home / "Documents" / "unrelated" / "deep").mkdir(parents=True)
    found = D.search(home, bases=[home, home / "Desktop", home / "projects", home / "Documents"])
    kinds = {i.kind: i.path for i in found}
    assert kinds == {"webui": (home / "HeyGem").resolve(),
                     "linux_hack": (home / "Desktop/heygem-tools/HeyGem-Linux-Python-Hack").resolve(),
                     "wav2lip": (home / "projects/Wav2Lip").resolve(),
                     "docker": (home / "heygem_data").resolve()}


def test_detect_merges_hand_added_folders_and_reports_bad_ones(tmp_path, installs):
    w = installs.wav2lip(tmp_path / "elsewhere" / "w2l")
    found, problems = D.detect([w, tmp_path], search_common=False)
    assert [i.path for i in found] == [w.resolve()]
    assert len(problems) == 1 and str(tmp_path) in problems[0]


def test_cli_detect_json(tmp_path, installs):
    w = installs.webui(port=7999)
    d = installs.docker_data(tmp_path)
    r = subprocess.run([sys.executable, "main.py", "heygem", "detect", "--no-search", "--json", str(w), str(d)],
                       cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert [(x["kind"], x["port"], x["handoff"]) for x in data] == [("webui", 7999, True), ("docker", 8383, False)]
    r = subprocess.run([sys.executable, "main.py", "heygem", "detect", "--no-search", str(d)],
                       cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert "HeyGem / Duix.Avatar (Docker)" in r.stdout and "docker load" in r.stdout


def test_default_install_prefers_the_given_folder_and_skips_docker(tmp_path, installs, monkeypatch):
    w = installs.wav2lip()
    assert D.default_install(w).path == w.resolve()
    d = installs.docker_data(tmp_path / "h")
    assert D.default_install(d) is None
    monkeypatch.setenv("HOME", str(tmp_path / "emptyhome"))
    (tmp_path / "emptyhome").mkdir()
    monkeypatch.setattr(D, "common_places", lambda home=None: [tmp_path / "apps"])
    assert D.default_install("heygem").path == w.resolve()
