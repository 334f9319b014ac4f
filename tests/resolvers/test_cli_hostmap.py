"""The CLI in a subprocess reaches the local hub mocks through ZHILIAN_HOST_MAP."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

from servers import make_blob

ROOT = Path(__file__).resolve().parents[2]
DATA = make_blob(900_000, seed=41)


def test_get_hugging_face_repo_file_via_host_map(hf, cdn, tmp_path):
    hf.add_repo("heygem/lipsync", {"heygem_v1.0.pth": DATA})
    env = {**os.environ, "ZHILIAN_HOST_MAP": json.dumps(
        {"huggingface.co": hf.base, "cas-bridge.xethub.hf.co": cdn.base})}
    env.pop("HF_ENDPOINT", None)
    r = subprocess.run([sys.executable, str(ROOT / "main.py"), "get",
                        "https://huggingface.co/heygem/lipsync/blob/main/heygem_v1.0.pth",
                        "-d", str(tmp_path), "-q"], capture_output=True, text=True, timeout=60, env=env)
    assert r.returncode == 0, r.stderr
    got = (tmp_path / "heygem_v1.0.pth").read_bytes()
    assert hashlib.sha256(got).hexdigest() == hashlib.sha256(DATA).hexdigest()
    assert hf.heads >= 1 and cdn.bytes_sent >= len(DATA)


def test_get_gated_repo_prints_one_clear_line(hf, cdn, tmp_path):
    hf.add_repo("meta/gated", {"w.bin": DATA}, gated=True)
    env = {**os.environ, "ZHILIAN_HOST_MAP": json.dumps({"huggingface.co": hf.base})}
    env.pop("HF_TOKEN", None)
    r = subprocess.run([sys.executable, str(ROOT / "main.py"), "get",
                        "https://huggingface.co/meta/gated/resolve/main/w.bin", "-d", str(tmp_path), "-q"],
                       capture_output=True, text=True, timeout=60, env=env)
    assert r.returncode != 0
    assert "gated" in r.stderr and "Traceback" not in r.stderr
