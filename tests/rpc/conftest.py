"""Fixtures of the RPC tests; helpers live in rpc_helpers.py (importable by name because
this folder is put on sys.path)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from rpc_helpers import Runner  # noqa: E402


@pytest.fixture
def runner(zhilian_home):
    r = Runner(zhilian_home).start()
    yield r
    r.stop()
