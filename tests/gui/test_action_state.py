"""The main window's enabled-state rule (gui/action_state.py) on plain values: no widget,
no QApplication."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from gui.action_state import ACTIONS, enabled_actions

ALWAYS_WHEN_READY = {"add", "paste", "pause_all", "resume_all"}


@dataclass
class T:
    state: str
    path: str | None = None


def test_nothing_selected():
    assert enabled_actions([], ready=True) == ALWAYS_WHEN_READY
    assert enabled_actions([], ready=False) == set()


@pytest.mark.parametrize("state, path, expected", [
    ("queued", None, {"start", "pause", "replace"}),
    ("resolving", None, {"pause", "replace"}),
    ("downloading", "/d/x.part", {"pause", "replace"}),
    ("verifying", "/d/x", {"replace"}),
    ("paused", None, {"start", "replace"}),
    ("failed", None, {"start", "replace"}),
    ("done", "/d/x", {"open", "heygem", "share"}),
    ("done", None, {"heygem"}),                  # finished, but no file to open or share
    ("handed_off", "/d/x", {"open", "share"}),   # already handed off: not again
])
def test_one_task_by_state(state, path, expected):
    base = ALWAYS_WHEN_READY | {"remove", "remove_file", "folder", "copy"}
    assert enabled_actions([T(state, path)], ready=True) == base | expected


def test_one_task_while_the_service_is_down():
    # only what does not need the queue: look at the file, copy the link, share a finished file
    assert enabled_actions([T("done", "/d/x")], ready=False) == {"open", "folder", "copy", "heygem", "share"}
    assert enabled_actions([T("failed")], ready=False) == {"folder", "copy"}


def test_several_tasks():
    sel = [T("done", "/d/a"), T("paused"), T("downloading")]
    on = enabled_actions(sel, ready=True)
    # start / pause when any selected task can; single-task actions are off
    assert on == ALWAYS_WHEN_READY | {"remove", "remove_file", "copy", "start", "pause", "share"}
    assert enabled_actions([T("done", "/d/a"), T("handed_off", "/d/b")], ready=True) == \
        ALWAYS_WHEN_READY | {"remove", "remove_file", "copy", "share"}


def test_parts_the_build_lacks_stay_off():
    on = enabled_actions([T("done", "/d/x")], ready=True, heygem=False, share=False)
    assert "heygem" not in on and "share" not in on and "open" in on


def test_every_name_is_an_action():
    sel = [T("done", "/d/x")]
    assert enabled_actions(sel, ready=True) <= set(ACTIONS)
    seen = set()
    for s in ("queued", "resolving", "downloading", "paused", "failed", "done", "handed_off"):
        seen |= enabled_actions([T(s, "/d/x")], ready=True)
    assert seen == set(ACTIONS)
