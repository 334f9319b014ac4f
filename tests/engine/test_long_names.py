"""Long names: the final name, the .part and every side file (.part.journal,
.part.journal.tmp) fit the file system's 255-byte limit; the stem is cut, the extension
kept, no UTF-8 character split. Model packages are often named with 80+ CJK characters
(3 bytes each)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

from servers import make_blob

from core import filenames
from core.filenames import MAX_NAME_BYTES, SIDE_SUFFIXES, numbered, target_name

ROOT = Path(__file__).resolve().parents[2]
LONG_STEM = "数字人唇形同步模型权重文件" * 7      # 91 CJK characters, 273 bytes
LONG = LONG_STEM + ".safetensors"


def _fits(name: str) -> None:
    longest = max(len(s.encode()) for s in SIDE_SUFFIXES)
    assert len(name.encode("utf-8")) + longest <= MAX_NAME_BYTES, (len(name.encode()), name)
    name.encode("utf-8").decode("utf-8", errors="strict")


def test_target_names_leave_room_for_every_side_file():
    name = target_name(LONG)
    _fits(name)
    assert name.endswith(".safetensors") and LONG_STEM.startswith(name[:-len(".safetensors")])
    assert max(SIDE_SUFFIXES, key=len) == ".part.journal.tmp"
    # numbered names cut the stem further, never the " (n)" or the extension
    for n in (1, 12, 345):
        nn = numbered(name, n)
        _fits(nn)
        assert nn.endswith(f" ({n}).safetensors") and nn != name
    # a name of ASCII and one multi-byte character at the cut never yields a broken character
    for k in range(230, 245):
        _fits(target_name("a" * k + "é" * 10 + ".tar.gz"))
        assert target_name("a" * k + "é" * 10 + ".tar.gz").endswith(".tar.gz")
    assert filenames.sanitize(LONG) == filenames.sanitize(LONG)  # the plain rule stays 255


def test_a_real_download_with_a_long_content_disposition_name(file_server, tmp_path, dl):
    data = make_blob(3 << 20, seed=51)
    # slow enough that the journal (and its .tmp) is written while it runs
    file_server.add("/dl", data, rate=1 << 20,
                    content_disposition=f"attachment; filename*=UTF-8''{quote(LONG)}")
    path, _ = dl(file_server.url("/dl"), tmp_path, connections=2, journal_interval=0.3)
    assert path.read_bytes() == data
    _fits(path.name)
    assert path.name.endswith(".safetensors")


def test_get_dash_o_with_a_long_name(file_server, tmp_path):
    data = make_blob(3 << 20, seed=52)
    file_server.add("/m.bin", data, rate=1 << 20)
    out = tmp_path / "dl"
    r = subprocess.run([sys.executable, str(ROOT / "main.py"), "get", file_server.url("/m.bin"),
                        "-d", str(out), "-o", LONG, "-x", "2", "-q"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    [saved] = list(out.iterdir())
    _fits(saved.name)
    assert saved.name.endswith(".safetensors") and saved.read_bytes() == data
