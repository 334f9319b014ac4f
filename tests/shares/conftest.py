"""Fixtures of the share-host tests: local mocks and a resolver context."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from share_mocks import CDN, BaiduMock, LanzouMock, OneDriveMock, QuarkMock, SharePointMock  # noqa: E402


@pytest.fixture
def cdn():
    s = CDN().start()
    yield s
    s.stop()


@pytest.fixture
def baidu(cdn):
    s = BaiduMock(cdn).start()
    yield s
    s.stop()


@pytest.fixture
def quark():
    s = QuarkMock().start()
    yield s
    s.stop()


@pytest.fixture
def lanzou():
    s = LanzouMock().start()
    yield s
    s.stop()


@pytest.fixture
def sharepoint():
    s = SharePointMock().start()
    yield s
    s.stop()


@pytest.fixture
def onedrive():
    s = OneDriveMock().start()
    yield s
    s.stop()


@pytest.fixture(autouse=True)
def _fresh_session_store():
    """The session-only store is process-wide: empty it around every test."""
    from core import accounts
    accounts._memory.clear()
    accounts.use_session_only(False)
    yield
    accounts._memory.clear()
    accounts.use_session_only(False)
