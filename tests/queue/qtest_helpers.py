"""Helpers of the queue tests: the CLI as a real subprocess, a started
QueueService on a fresh event loop, and waiting on its state."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The queue commands through the product's CLI entry (core.commands.main), as main.py runs it.
CLI = [sys.executable, "-c",
       f"import sys; sys.path.insert(0, {str(ROOT)!r}); from core.commands import main; "
       "sys.exit(main(sys.argv[1:]))"]


def cli(*args: str, env: dict | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=timeout, env=e, cwd=ROOT)


async def wait_until(pred, timeout: float = 20.0, step: float = 0.02):
    """Polls ``pred()`` until true; fails the test (not a timing assertion: a hang guard)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while True:
        v = pred()
        if v:
            return v
        if loop.time() > end:
            raise AssertionError("condition not reached")
        await asyncio.sleep(step)


def settings(**kw):
    from core.queue.settings import Settings
    s = Settings(retry_delay=0.05)
    for k, v in kw.items():
        setattr(s, k, v)
    return s


def run_svc(body, *, settings_obj=None, before=None, **kw):
    """Starts a QueueService, runs ``await body(svc)``, closes it; returns body's result."""
    from core.queue.service import QueueService

    async def go():
        svc = QueueService(settings=settings_obj or settings(), **kw)
        if before:
            before(svc)
        await svc.start()
        try:
            return await body(svc)
        finally:
            await svc.close()
    return asyncio.run(go())


class Recorder:
    def __init__(self):
        self.events = []

    def __call__(self, ev):
        self.events.append(ev)

    def kinds(self, tid=None):
        return [e.kind for e in self.events if tid is None or e.task_id == tid]

    def states(self, tid):
        out = []
        for e in self.events:
            if e.task_id == tid and e.task and (not out or out[-1] != e.task.state):
                out.append(e.task.state)
        return out
