"""Fixture installs of each kind, laid out like the real projects (HEYGEM.md), generated in
tmp folders, with the stand-in app as their app / start command."""

from __future__ import annotations

import io
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
STANDIN = HERE / "standin_app.py"

HACK_WEIGHTS = [
    "face_attr_detect/face_attr_epoch_12_220318.onnx",
    "face_detect_utils/resources/pfpld_robust_sim_bs1_8003.onnx",
    "face_detect_utils/resources/scrfd_500m_bnkps_shape640x640.onnx",
    "face_detect_utils/resources/model_float32.onnx",
    "landmark2face_wy/checkpoints/anylang/dinet_v1_20240131.pth",
    "pretrain_models/face_lib/face_parsing/79999_iter.onnx",
    "pretrain_models/face_lib/face_restore/gfpgan/GFPGANv1.4.onnx",
    "xseg/xseg_211104_4790000.onnx",
    "wenet/examples/aishell/aidata/exp/conformer/wenetmodel.pt",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pth_bytes(size: int = 64 << 10, seed: int = 1) -> bytes:
    """A file laid out like torch.save's zip format (archive/data.pkl + tensor storage)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        z.writestr("archive/data.pkl", b"\x80\x02}q\x00." + bytes([seed % 256]))
        z.writestr("archive/data/0", random.Random(seed).randbytes(size))
        z.writestr("archive/version", b"3\n")
    return buf.getvalue()


def write(p: Path, data: bytes | str = b"") -> Path:
    p.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        p.write_text(data, encoding="utf-8")
    else:
        p.write_bytes(data)
    return p


def _venv(root: Path) -> None:
    (root / ".venv" / "bin").mkdir(parents=True)
    os.symlink(sys.executable, root / ".venv" / "bin" / "python")


class Installs:
    """Factories for fixture installs."""

    def __init__(self, base: Path):
        self.base = base

    def webui(self, root: Path | None = None, port: int | None = None, model: bytes | None = None) -> Path:
        root = root or self.base / "HeyGem"
        port = port or free_port()
        shutil.copy(STANDIN, write(root / "app.py"))
        (root / "models").mkdir(parents=True, exist_ok=True)
        (root / "outputs").mkdir(exist_ok=True)
        write(root / "requirements.txt", "gradio\ntorch\n")
        _venv(root)
        # the start script of the deployment guides, reduced: free space, complete model, start
        write(root / "start_app.sh", f"""#!/bin/bash
cd "$(dirname "$0")"
MODEL=models/heygem_model_v1.0.pth
free_kb=$(df -Pk . | awk 'NR==2 {{print $4}}')
if [ "$free_kb" -lt 1024 ]; then echo "not enough disk space"; exit 1; fi
if [ -f "$MODEL.part" ]; then echo "model download not complete"; exit 1; fi
exec .venv/bin/python app.py --port {port} --model-path models/heygem_model_v1.0.pth
""")
        if model is not None:
            write(root / "models/heygem_model_v1.0.pth", model)
        return root

    def linux_hack(self, root: Path | None = None, port: int | None = None) -> Path:
        root = root or self.base / "HeyGem-Linux-Python-Hack"
        port = port or free_port()
        write(root / "run.py", "# offline inference entry\n")
        write(root / "download.sh", "set -e\n# fetches the weights from the project's release\n")
        write(root / "config/config.ini",
              "[log]\nlog_dir = ./log\nlog_file = dh.log\n\n"
              f"[http_server]\nserver_ip = 0.0.0.0\nserver_port = {port}\n\n"
              "[temp]\ntemp_dir = ./\nclean_switch = 1\n")
        write(root / "landmark2face_wy/checkpoints/test/opt.txt", "----------------- Options ---------------\n")
        for w in HACK_WEIGHTS:
            (root / w).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(STANDIN, root / "app_server.py")
        write(root / "requirements.txt", "onnxruntime\n")
        _venv(root)
        return root

    def wav2lip(self, root: Path | None = None) -> Path:
        root = root or self.base / "Wav2Lip"
        for f in ("inference.py", "hparams.py", "audio.py", "models/__init__.py", "models/wav2lip.py",
                  "models/syncnet.py", "face_detection/__init__.py", "face_detection/api.py",
                  "face_detection/detection/sfd/__init__.py",
                  "face_detection/detection/sfd/sfd_detector.py"):
            write(root / f, "# fixture\n")
        write(root / "checkpoints/README.md", "Place all your checkpoints (.pth files) here.\n")
        write(root / "face_detection/detection/sfd/README.md", "s3fd.pth goes here\n")
        return root

    def docker_data(self, home: Path, name: str = "heygem_data") -> Path:
        root = home / name
        (root / "face2face" / "temp").mkdir(parents=True)
        (root / "voice" / "data").mkdir(parents=True)
        return root

    def duix_client(self, root: Path | None = None) -> Path:
        root = root or self.base / "Duix.Avatar"
        write(root / "deploy/docker-compose.yml",
              "services:\n  duix-avatar-gen-video:\n    image: guiji2025/duix.avatar\n"
              "    ports:\n      - '8383:8383'\n")
        write(root / "package.json", '{"name": "duix-avatar"}\n')
        return root


@pytest.fixture
def installs(tmp_path) -> Installs:
    return Installs(tmp_path / "apps")


@pytest.fixture
def procs():
    """Process groups started during a test (by health.start or by hand), killed afterwards."""
    pids: list[int] = []
    yield pids
    for pid in pids:
        try:
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def other_fs_dir(tmp_path: Path) -> Path | None:
    """A folder on another filesystem than tmp_path, when this machine has one."""
    dev = os.stat(tmp_path).st_dev
    for cand in ("/dev/shm", "/run/shm"):
        if os.path.isdir(cand) and os.access(cand, os.W_OK):
            if os.stat(cand).st_dev != dev:
                d = Path(cand) / f"zhilian-test-{os.getpid()}-{random.randrange(1 << 30)}"
                d.mkdir()
                return d
    return None


def _try_tmpfs(tmp_path: Path) -> Path | None:
    """Mount a small tmpfs (works as root where mounting is allowed)."""
    if not sys.platform.startswith("linux") or os.geteuid() != 0 or not shutil.which("mount"):
        return None
    d = tmp_path / "tmpfs"
    d.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256m", "tmpfs", str(d)],
                       capture_output=True, timeout=20)
    if r.returncode != 0 or os.stat(d).st_dev == os.stat(tmp_path).st_dev:
        return None
    return d


@pytest.fixture
def other_fs(tmp_path):
    """A folder on a second filesystem (/dev/shm, else a tmpfs mounted for the test), or None
    when this machine allows neither: tests then inject EXDEV and say so."""
    d = other_fs_dir(tmp_path)
    mounted = None
    if d is None:
        d = mounted = _try_tmpfs(tmp_path)
    yield d
    if mounted is not None:
        subprocess.run(["umount", "-l", str(mounted)], capture_output=True, timeout=20)
    elif d is not None:
        shutil.rmtree(d, ignore_errors=True)


class _Helpers:
    free_port = staticmethod(free_port)
    pth_bytes = staticmethod(pth_bytes)
    write = staticmethod(write)
    other_fs_dir = staticmethod(other_fs_dir)
    standin = STANDIN
    hack_weights = HACK_WEIGHTS


@pytest.fixture
def hg() -> type[_Helpers]:
    return _Helpers
