"""Fixtures of the queue tests; helpers live in qtest_helpers.py (importable
by name because this folder is put on sys.path)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))


@pytest.fixture
def dl_dir(tmp_path) -> Path:
    d = tmp_path / "dl"
    d.mkdir()
    return d
