import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


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


@pytest.fixture
def venv_python():
    """The interpreter running the tests (the repository's .venv under test.sh)."""
    return sys.executable
