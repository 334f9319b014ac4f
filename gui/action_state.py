"""Which of the main window's actions are enabled: a pure rule over the selected tasks
(their ``state`` and ``path``), whether the download service runs and which optional
parts the build has. No Qt here: tests/gui/test_action_state.py checks it on plain values."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

# the actions the rule decides, by name (gui/actions.py makes one QAction per name)
ACTIONS = ("add", "paste", "start", "pause", "pause_all", "resume_all", "remove", "remove_file", "open",
           "folder", "copy", "replace", "heygem", "share")

FINISHED = ("done", "handed_off")
STARTABLE = ("paused", "failed", "queued")
PAUSABLE = ("queued", "resolving", "downloading")


def enabled_actions(selected: Sequence[Any], *, ready: bool, heygem: bool = True,
                    share: bool = True) -> frozenset[str]:
    """The names of ACTIONS that are enabled.

    ``selected``: the selected tasks (anything with ``state`` and ``path``); ``ready``:
    the download service runs; ``heygem`` / ``share``: the build has the HeyGem hand-off
    and link sharing."""
    on: set[str] = set()
    if ready:
        on |= {"add", "paste", "pause_all", "resume_all"}
    if selected:
        on.add("copy")
        if ready:
            on |= {"remove", "remove_file"}
            if any(t.state in STARTABLE for t in selected):
                on.add("start")
            if any(t.state in PAUSABLE for t in selected):
                on.add("pause")
        if share and any(t.state in FINISHED and t.path for t in selected):
            on.add("share")
    if len(selected) == 1:
        one = selected[0]
        on.add("folder")
        if one.state in FINISHED and one.path:
            on.add("open")
        if ready and one.state not in FINISHED:
            on.add("replace")
        if heygem and one.state == "done":
            on.add("heygem")
    return frozenset(on)
