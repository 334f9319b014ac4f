"""The GUI reaches the core through bridge.core, a proxy with exactly the facade's methods."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from core.app import App, public_methods
from gui.bridge import CoreBridge, CoreProxy

GUI = Path(__file__).resolve().parents[2] / "gui"


def test_every_core_call_in_the_gui_is_a_facade_method():
    called = set()
    for py in GUI.glob("*.py"):
        called |= set(re.findall(r"\bcore\.([a-z_]+)\(", py.read_text(encoding="utf-8")))
    assert called, "the GUI makes no facade call"
    assert called <= public_methods(), sorted(called - public_methods())
    assert all(callable(getattr(CoreProxy, m)) for m in called)


def test_a_misspelt_method_is_an_attribute_error(qtbot):
    bridge = CoreBridge()
    with pytest.raises(AttributeError):
        bridge.core.pasue(1)        # noqa: B018 - the typo is the point
    with pytest.raises(AttributeError):
        bridge.call("tasks_all")


def test_proxy_calls_run_on_the_core_and_answer_on_the_gui_thread(qtbot, bridge, tmp_path):
    got = []
    bridge.core.tasks(on_done=got.append)
    qtbot.waitUntil(lambda: bool(got), timeout=10000)
    assert got == [[]] and isinstance(bridge.app, App)


def test_without_the_queue_only_the_queue_free_methods_answer(qtbot):
    """Accounts, HeyGem, previews and shares work before the queue runs or when it could
    not start (a damaged database); queue calls answer with the reason."""
    bridge = CoreBridge()          # not started
    got, errors = [], []
    bridge.core.account_session_only(on_done=got.append, on_error=errors.append)
    bridge.core.pause(1, on_done=got.append, on_error=errors.append)
    qtbot.waitUntil(lambda: len(got) + len(errors) == 2, timeout=10000)
    assert got == [False] and errors == ["The download service is not running"]
