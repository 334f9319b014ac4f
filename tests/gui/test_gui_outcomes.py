"""Typed outcomes in the window: "Needs login" with *Import login…*, "Link expired" with
*Replace link…* instead of a red "Failed"; errors worded by the GUI (also in Chinese)."""

from __future__ import annotations

import socket
import time

from PySide6.QtCore import QPoint, Qt

from core.errors import ErrorKind
from core.models import State
from core.queue.events import TaskView
from gui import outcome
from gui.task_model import COL_STATE


def _view(tid, state, kind, params, error, **kw):
    return TaskView(id=tid, link=f"https://pan.baidu.com/s/{tid}", password=None, name=f"m{tid}.bin",
                    dest_dir="/tmp", path=None, state=state, error=error, size=1000, done=100, speed=0.0,
                    eta=None, priority=0, connections=None, limit=0, sha256=None, created=time.time(),
                    finished=None, host="pan.baidu.com", error_kind=kind, error_params=params, **kw)


LOGIN = _view(1, State.FAILED, ErrorKind.NEEDS_LOGIN, {"host": "pan.baidu.com", "cookies": ["BDUSS"]},
              "Log in to pan.baidu.com first")
EXPIRED = _view(2, State.PAUSED, ErrorKind.LINK_EXPIRED, {}, "Link expired: paste a new link")
NETWORK = _view(3, State.QUEUED, ErrorKind.NETWORK, {"host": "huggingface.co", "cause": "dns"},
                "Cannot reach huggingface.co: name lookup failed; retrying in 160 s", next_retry=time.time() + 160)


def _click_button(qtbot, window, tid):
    row = window.proxy.mapFromSource(window.model.index(window.model.row_of(tid), COL_STATE))
    window.table.scrollTo(row)
    rect = window.table.visualRect(row)
    qtbot.mouseClick(window.table.viewport(), Qt.MouseButton.LeftButton,
                     pos=QPoint(rect.right() - 8, rect.center().y()))


def test_rows_that_need_the_user_show_their_state_and_button(qtbot, window, monkeypatch):
    window.model.reset_tasks([LOGIN, EXPIRED, NETWORK])
    texts = {t.id: window.model.data(window.model.index(window.model.row_of(t.id), COL_STATE))
             for t in (LOGIN, EXPIRED, NETWORK)}
    assert texts[1] == "Needs login" and texts[2] == "Link expired" and texts[3].startswith("Retry at ")
    assert outcome.action(LOGIN) == "import_login" and outcome.action(NETWORK) is None
    # Import login… opens Accounts on the task's host
    _click_button(qtbot, window, 1)
    qtbot.waitUntil(lambda: getattr(window, "accounts_dialog", None) is not None, timeout=5000)
    assert window.accounts_dialog.host_text() == "baidu.com"     # the account that covers pan.baidu.com
    # (left open: closing it before its keyring answers would delete its table under the answer)
    # Replace link… asks for the expired task's new link
    asked = []
    monkeypatch.setattr(window, "replace_link", lambda text=None: asked.append(window.commands.one().id))
    _click_button(qtbot, window, 2)
    assert asked == [2]


def test_errors_are_worded_by_the_gui_in_chinese_without_class_names(qtbot, window):
    from gui import i18n
    try:
        i18n.install("zh_CN")
        text = outcome.error_text(NETWORK)
        assert "huggingface.co" in text and "Cannot reach" not in text and "Error" not in text
        assert outcome.state_text(LOGIN) != "Needs login"
    finally:
        i18n.install("en")
    assert outcome.error_text(NETWORK).startswith("Cannot reach huggingface.co: name lookup failed; retry at ")


def test_unreachable_host_row_says_retry_at_with_words(qtbot, window, tmp_path):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    window.bridge.call("add", f"http://127.0.0.1:{port}/x.bin", dest_dir=str(tmp_path))
    qtbot.waitUntil(lambda: any(t.error_kind is ErrorKind.NETWORK for t in window.model.all_tasks()),
                    timeout=30000)
    tip = window.model.data(window.model.index(0, COL_STATE), Qt.ItemDataRole.ToolTipRole)
    assert tip.startswith("Cannot reach 127.0.0.1: connection refused") and "Error" not in tip


def test_a_snapshot_older_than_applied_events_does_not_undo_them(qtbot, window):
    """The task list asked at start can arrive after newer events were already applied (events
    are drained in batches): such tasks keep what the events said, a task removed since stays
    removed, one added since stays."""
    import dataclasses
    done = dataclasses.replace(_view(7, State.DONE, None, {}, None), done=1000)
    verifying = dataclasses.replace(done, state=State.VERIFYING, done=900)
    added = _view(8, State.QUEUED, None, {}, None)
    window.model.reset_tasks([done, added])
    window.bridge.applied.update({7: 50, 8: 51, 9: 52})      # their last events: after the snapshot
    gone = _view(9, State.QUEUED, None, {}, None)            # removed by event 52
    other = _view(10, State.QUEUED, None, {}, None)          # no newer event: the snapshot's
    window._load_tasks(([verifying, gone, other], 40))
    shown = {t.id: t.state for t in window.model.all_tasks()}
    assert shown == {7: State.DONE, 8: State.QUEUED, 10: State.QUEUED}


def test_no_progress_is_worded_with_its_seconds_and_host_in_english_and_chinese(qtbot):
    """No byte from any source for the give-up time: its own kind, worded from its
    parameters (not the core's English message)."""
    from gui import i18n
    silent = _view(11, State.FAILED, ErrorKind.NO_PROGRESS, {"seconds": 60, "host": "cdn.example.com"},
                   "No data from cdn.example.com for 60 s (last error: connection reset); the .part is kept")
    failing = _view(12, State.FAILED, ErrorKind.NO_PROGRESS, {"seconds": None, "host": "cdn.example.com"},
                    "cdn.example.com keeps failing (connection reset); the .part is kept")
    assert outcome.error_text(silent) == \
        "No data from cdn.example.com for 60 s; the partial file is kept and trying again resumes"
    assert outcome.error_text(failing) == \
        "cdn.example.com keeps failing; the partial file is kept and trying again resumes"
    try:
        i18n.install("zh_CN")
        zh = outcome.error_text(silent)
        assert "cdn.example.com" in zh and "60" in zh and "No data" not in zh and ".part" not in zh
        zh = outcome.error_text(failing)
        assert "cdn.example.com" in zh and "keeps failing" not in zh
    finally:
        i18n.install("en")
