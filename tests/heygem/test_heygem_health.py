import dataclasses
import json
import os
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from core.heygem import handoff as H
from core.heygem import health
from core.heygem.detect import detect_install

ROOT = Path(__file__).resolve().parents[2]
MODEL = "models/heygem_model_v1.0.pth"


def get_json(url):
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=5) as r:
        return json.loads(r.read())


def test_webui_refuses_to_start_without_a_model_and_says_why(installs, procs):
    inst = detect_install(installs.webui())
    with pytest.raises(health.StartError) as ei:
        health.start(inst, timeout=30)
    msg = str(ei.value)
    assert "stopped right away" in msg and "models/heygem_model_v1.0.pth not found" in msg


def test_webui_starts_answers_and_a_second_start_says_restart_needed(tmp_path, installs, hg, procs):
    root = installs.webui()
    H.handoff_file(hg.write(tmp_path / "heygem_model_v1.0.pth", hg.pth_bytes(seed=1)), root)
    inst = detect_install(root)
    assert not health.probe(inst).up
    res = health.start(inst, timeout=60)
    procs.append(res.pid)
    assert res.state == "started" and health.probe(inst).up
    loaded = get_json(f"http://127.0.0.1:{inst.port}/model")["sha256"]
    # a new model handed off while it runs: placed, and "restart needed"
    new = hg.pth_bytes(seed=2)
    r = H.handoff_file(hg.write(tmp_path / "n" / "heygem_model_v1.0.pth", new), root, force=True)
    assert r.restart_needed and "restart needed" in r.message()
    assert get_json(f"http://127.0.0.1:{inst.port}/model")["sha256"] == loaded   # still the old one
    again = health.start(inst, timeout=10)
    assert again.state == "restart_needed" and "restart needed" in again.message
    assert again.pid == res.pid and f"pid {res.pid}" in again.message


def test_taken_port_names_the_process_holding_it(installs, hg, procs):
    port = hg.free_port()
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import socket,sys,time\ns=socket.socket();s.bind(('127.0.0.1',int(sys.argv[1])));s.listen();"
         "print('ok',flush=True)\nwhile True:\n c,_=s.accept();c.close()", str(port), "port-squatter"],
        stdout=subprocess.PIPE, text=True, start_new_session=True)
    procs.append(holder.pid)
    assert holder.stdout.readline().strip() == "ok"
    owner = health.port_owner(port)
    assert owner is not None and owner.pid == holder.pid and "port-squatter" in owner.cmdline
    inst = detect_install(installs.webui(port=port, model=hg.pth_bytes()))
    with pytest.raises(health.PortTaken) as ei:
        health.start(inst, timeout=10)
    assert f"Port {port} is already used by" in str(ei.value)
    assert f"pid {holder.pid}" in str(ei.value) and "port-squatter" in str(ei.value)
    holder.kill()
    holder.wait()
    holder.stdout.close()


def test_port_owner_of_a_free_port_is_none(hg):
    assert health.port_owner(hg.free_port()) is None


def test_linux_hack_starts_with_port_from_config_and_health_endpoint(tmp_path, installs, hg, procs):
    root = installs.linux_hack()
    inst = detect_install(root)
    with pytest.raises(health.StartError, match="not found"):
        health.start(inst, timeout=30)
    H.handoff_file(hg.write(tmp_path / "dinet_v1_20240131.pth", hg.pth_bytes()), root)
    res = health.start(inst, timeout=60)
    procs.append(res.pid)
    assert res.state == "started" and res.url.endswith(f":{inst.port}/health")
    assert get_json(res.url) == {"status": "ok"}


def test_docker_video_service_must_answer_json_on_easy_query(tmp_path, installs, hg, procs):
    port = hg.free_port()
    inst = dataclasses.replace(detect_install(installs.docker_data(tmp_path / "home")), port=port)
    assert not health.probe(inst).up
    p = subprocess.Popen([sys.executable, str(hg.standin), "--docker", "--port", str(port)],
                         stdout=subprocess.PIPE, text=True, start_new_session=True)
    procs.append(p.pid)
    assert p.stdout.readline().startswith("serving")
    h = health.probe(inst)
    assert h.up and h.data["code"] == 10004
    # something else on that port answering HTML is not the video service
    port2 = hg.free_port()
    w = installs.webui(port=port2, model=hg.pth_bytes())
    q = subprocess.Popen([sys.executable, str(w / "app.py"), "--port", str(port2), "--model-path", MODEL],
                         stdout=subprocess.PIPE, text=True, start_new_session=True)
    procs.append(q.pid)
    assert q.stdout.readline().startswith("serving")
    h2 = health.probe(dataclasses.replace(inst, port=port2))
    assert not h2.up and "HTTP 404" in h2.detail
    with pytest.raises(health.StartError, match="start it from its own client"):
        health.start(inst)
    for x in (p, q):
        x.kill()
        x.wait()
        x.stdout.close()


def test_wav2lip_has_nothing_to_start(installs):
    with pytest.raises(health.StartError, match="no server to start"):
        health.start(detect_install(installs.wav2lip()))


def test_cli_start_and_status(tmp_path, installs, hg, procs):
    root = installs.webui(model=hg.pth_bytes())
    env = dict(os.environ)
    r = subprocess.run([sys.executable, "main.py", "heygem", "start", str(root), "--timeout", "60"],
                       cwd=ROOT, capture_output=True, text=True, timeout=90, env=env)
    assert r.returncode == 0, r.stderr
    assert "started (pid" in r.stdout
    pid = int(r.stdout.split("(pid ")[1].split(")")[0])
    procs.append(pid)
    r = subprocess.run([sys.executable, "main.py", "heygem", "status", str(root), "--json"],
                       cwd=ROOT, capture_output=True, text=True, timeout=60, env=env)
    st = json.loads(r.stdout)
    assert st["running"] is True and st["complete"] is True
    assert st["files"][0]["path"] == MODEL and st["files"][0]["state"] == "present"
    r = subprocess.run([sys.executable, "main.py", "heygem", "start", str(root)],
                       cwd=ROOT, capture_output=True, text=True, timeout=60, env=env)
    assert r.returncode == 0 and "restart needed" in r.stdout


def test_listening_socket_in_this_process_is_found(hg):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen()
    try:
        owner = health.port_owner(s.getsockname()[1])
        assert owner is not None and owner.pid == os.getpid()
    finally:
        s.close()


NETSTAT = """
Active Connections

  Proto  Local Address          Foreign Address        State           PID
  TCP    0.0.0.0:135            0.0.0.0:0              LISTENING       1032
  TCP    0.0.0.0:8383           0.0.0.0:0              LISTENING       4242
  TCP    127.0.0.1:7860         127.0.0.1:53211        ESTABLISHED     77
  TCP    [::]:7860              [::]:0                 LISTENING       5150
"""


def test_windows_netstat_output_names_the_listening_pid():
    assert health.parse_netstat(NETSTAT, 8383) == 4242
    assert health.parse_netstat(NETSTAT, 7860) == 5150     # the listener, not the client
    assert health.parse_netstat(NETSTAT, 9999) is None


def test_port_bound_without_listening_is_not_bindable(hg):
    s = socket.socket()
    s.bind(("0.0.0.0", 0))
    try:
        port = s.getsockname()[1]
        assert not health.port_in_use(port) and not health.port_bindable(port)
    finally:
        s.close()
    assert health.port_bindable(port)
