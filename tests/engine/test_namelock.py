"""The cross-process name lock (core/namelock.py): one holder at a time, released by the
operating system when the holder dies, even by kill -9."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from core.namelock import NameLock, lock_path

ROOT = Path(__file__).resolve().parents[2]


def test_one_holder_at_a_time_and_release(tmp_path):
    target = tmp_path / "model.bin"
    first = NameLock.try_acquire(target)
    assert first is not None
    assert NameLock.try_acquire(target) is None          # another download (same process)
    assert NameLock.try_acquire(tmp_path / "other.bin") is not None
    first.release()
    assert not lock_path(target).exists()                # no lock files pile up
    again = NameLock.try_acquire(target)
    assert again is not None
    again.release()


def test_a_killed_holder_leaves_no_lock(tmp_path):
    target = tmp_path / "model.bin"
    code = ("import sys, time; sys.path.insert(0, sys.argv[1]); from pathlib import Path;"
            "from core.namelock import NameLock; l = NameLock.try_acquire(Path(sys.argv[2]));"
            "print('held' if l else 'busy', flush=True); time.sleep(60)")
    p = subprocess.Popen([sys.executable, "-c", code, str(ROOT), str(target)], stdout=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline().strip() == "held"
        assert NameLock.try_acquire(target) is None      # held by the other process
        p.send_signal(signal.SIGKILL)
        p.wait(10)
        deadline = time.monotonic() + 5
        lock = None
        while lock is None and time.monotonic() < deadline:
            lock = NameLock.try_acquire(target)
        assert lock is not None
        lock.release()
    finally:
        p.kill()
