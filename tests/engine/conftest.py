
import pytest
from servers import run_download


@pytest.fixture
def dl():
    return run_download
