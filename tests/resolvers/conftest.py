import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hubmocks import (  # noqa: E402
    MockCivitai,
    MockDropbox,
    MockGDrive,
    MockGitHub,
    MockHF,
    MockModelScope,
    MockS3CDN,
)


class Clock:
    """A clock tests move by hand (shared by mocks and resolver context)."""

    def __init__(self, t: float | None = None):
        # starts at the real time: a subprocess (the CLI) checks signed URLs by the real clock
        self.t = float(int(time.time())) if t is None else t

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def cdn(clock):
    srv = MockS3CDN(clock=clock).start()
    yield srv
    srv.stop()


@pytest.fixture
def hf(cdn):
    srv = MockHF(cdn).start()
    srv.cdn_host = "https://cas-bridge.xethub.hf.co"
    yield srv
    srv.stop()


@pytest.fixture
def ms():
    srv = MockModelScope().start()
    yield srv
    srv.stop()


@pytest.fixture
def gh(cdn):
    srv = MockGitHub(cdn).start()
    yield srv
    srv.stop()


@pytest.fixture
def civitai(cdn):
    srv = MockCivitai(cdn).start()
    yield srv
    srv.stop()


@pytest.fixture
def dropbox():
    srv = MockDropbox().start()
    yield srv
    srv.stop()


@pytest.fixture
def gdrive():
    srv = MockGDrive().start()
    yield srv
    srv.stop()
