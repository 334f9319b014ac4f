import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# The tests send SIGINT / SIGHUP to the programs they start, as a terminal would. A test run
# started in the background (`cmd &` in a script, nohup) inherits those signals ignored, and
# children inherit "ignored" in turn: give them back their default actions here, so what the
# tests check is the program's handling, not how the suite was launched. (The test of running
# under nohup ignores SIGHUP for its child explicitly.)
import signal  # noqa: E402

for _sig in (signal.SIGINT, getattr(signal, "SIGHUP", None)):
    if _sig is not None and signal.getsignal(_sig) == signal.SIG_IGN:
        signal.signal(_sig, signal.default_int_handler if _sig == signal.SIGINT else signal.SIG_DFL)


@pytest.fixture(autouse=True)
def zhilian_home(tmp_path, monkeypatch):
    """Every test gets its own config/data/log folders."""
    home = tmp_path / "zhome"
    home.mkdir()
    monkeypatch.setenv("ZHILIAN_HOME", str(home))
    return home


@pytest.fixture
def file_server():
    from servers import FileServer
    srv = FileServer().start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def tls_cert(tmp_path_factory):
    """A self-signed certificate for localhost and 127.0.0.1: (cert.pem, key.pem)."""
    from servers import self_signed_cert
    return self_signed_cert(tmp_path_factory.mktemp("tls"), "localhost", "DNS:localhost,IP:127.0.0.1")


@pytest.fixture
def venv_python():
    """The interpreter running the tests (the repository's .venv under test.sh)."""
    return sys.executable


def _free_display() -> int:
    for n in range(90, 200):
        if not Path(f"/tmp/.X11-unix/X{n}").exists() and not Path(f"/tmp/.X{n}-lock").exists():
            return n
    raise RuntimeError("no free X display number")


@pytest.fixture
def xvfb():
    """Starts Xvfb on a free display and trayer (an XEmbed tray host) on it; yields the env."""
    for tool in ("Xvfb", "trayer"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is not installed: run scripts/setup.sh dev")
    procs: list[subprocess.Popen] = []
    for _attempt in range(5):
        n = _free_display()
        xvfb = subprocess.Popen(["Xvfb", f":{n}", "-screen", "0", "1280x860x24", "-nolisten", "tcp",
                                 "-noreset"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        sock = Path(f"/tmp/.X11-unix/X{n}")
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and xvfb.poll() is None and not sock.exists():
            time.sleep(0.05)
        if xvfb.poll() is None and sock.exists():
            procs.append(xvfb)
            break
        xvfb.kill()
        xvfb.wait()
    else:
        pytest.fail("Xvfb did not start")
    env = dict(os.environ)
    env.pop("WAYLAND_DISPLAY", None)
    env.update(DISPLAY=f":{n}", QT_QPA_PLATFORM="xcb")
    tray = subprocess.Popen(["trayer", "--edge", "top", "--align", "right", "--widthtype", "pixel",
                             "--width", "120", "--height", "24", "--SetDockType", "true"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    procs.append(tray)
    time.sleep(0.3)
    try:
        yield env
    finally:
        for p in reversed(procs):
            p.terminate()
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
