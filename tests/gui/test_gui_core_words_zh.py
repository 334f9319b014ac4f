"""What the core reports (a failed task's error, an account's state, why a share was
refused) reaches a user of the Chinese window in Chinese: the core gives a stable kind with
its facts (core.errors.ErrorKind, AccountStatus.state), the window words it (gui/outcome.py,
gui/accounts_dialog.py). Without that wording these tests see the core's English."""

from __future__ import annotations

import errno
import re
import socket
import ssl
import time

from PySide6.QtCore import Qt

from core.errors import (
    DiskFull,
    ErrorKind,
    LinkExpired,
    NotFound,
    NoUsableSource,
    outcome_of,
)
from core.models import State
from core.queue.events import TaskView
from gui import outcome
from gui.task_model import COL_STATE

#: words that stay as they are in Chinese text (names, units, protocol and file names)
KEEP = {"gib", "mib", "kib", "bduss", "stoken", "cookie", "cookies", "txt", "pan", "baidu", "com",
        "huggingface", "data", "models", "bin", "http", "https"}


def english(texts: list[str], *allowed: str) -> list[str]:
    """The English words in ``texts`` (three letters or more), less the names ``allowed``
    (hosts, paths) and KEEP."""
    bad = []
    for t in texts:
        for a in allowed:
            t = t.replace(a, "")
        for word in re.findall(r"[A-Za-z]{3,}", t):
            if word.lower() not in KEEP:
                bad.append(f"{word!r} in {t!r}")
    return bad


def _view(tid: int, state: State, exc: BaseException, **kw) -> TaskView:
    """A task as the queue stores one that ended on ``exc``: its English message and the
    kind and parameters the core derives from the exception (core.errors.outcome_of)."""
    kind, params = outcome_of(exc)
    return TaskView(id=tid, link=f"https://huggingface.co/m/resolve/main/m{tid}.bin", password=None,
                    name=f"m{tid}.bin", dest_dir="/data/models", path=None, state=state, error=str(exc),
                    size=1000, done=100, speed=0.0, eta=None, priority=0, connections=None, limit=0,
                    sha256=None, created=time.time(), finished=None, host="huggingface.co",
                    error_kind=kind, error_params=params, **kw)


def _enospc() -> OSError:
    return OSError(errno.ENOSPC, "No space left on device", "/data/models/m4.bin.part")


FAILED = [
    _view(1, State.FAILED, NotFound()),
    _view(2, State.FAILED, DiskFull(5 << 30, 1 << 30, "/data/models")),
    _view(3, State.PAUSED, LinkExpired()),
    _view(4, State.FAILED, _enospc()),
    _view(5, State.FAILED, NoUsableSource.unreachable("huggingface.co", ConnectionRefusedError())),
    _view(6, State.FAILED, NoUsableSource.unreachable(
        "huggingface.co", ssl.SSLCertVerificationError(1, "certificate verify failed: self-signed certificate"))),
]


def test_failed_tasks_errors_and_notices_are_chinese(qtbot, window, chinese):
    window.model.reset_tasks(FAILED)
    seen = []
    for t in FAILED:
        idx = window.model.index(window.model.row_of(t.id), COL_STATE)
        seen += [window.model.data(idx), window.model.data(idx, Qt.ItemDataRole.ToolTipRole),
                 outcome.error_text(t), outcome.notice(t)[1]]
    assert not english(seen, "huggingface.co", "/data/models"), english(seen, "huggingface.co", "/data/models")
    assert "5.0 GiB" in outcome.error_text(FAILED[1]) and "huggingface.co" in outcome.error_text(FAILED[4])
    assert "证书不受信任" in outcome.error_text(FAILED[5])     # a certificate refused: its own words
    # the notices that ask for the user come from the kind, whatever the wording
    assert outcome.notice(FAILED[2])[0] == "needs_link"
    assert outcome.notice(_view(6, State.FAILED, NotFound()))[0] == "failed"
    assert outcome.error_text(FAILED[0]) == "文件或分享已不存在"


def test_a_real_unreachable_host_is_worded_in_chinese(qtbot, window, chinese, tmp_path):
    """Through the real queue: a refused connection ends as a NETWORK kind with its cause,
    which the row shows in Chinese (the stored message stays English for the CLI)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    window.bridge.call("add", f"http://127.0.0.1:{port}/x.bin", dest_dir=str(tmp_path))
    qtbot.waitUntil(lambda: any(t.error_kind is ErrorKind.NETWORK for t in window.model.all_tasks()),
                    timeout=30000)
    t = next(iter(window.model.all_tasks()))
    assert t.error.startswith("Cannot reach 127.0.0.1: connection refused")     # the CLI's words
    tip = window.model.data(window.model.index(0, COL_STATE), Qt.ItemDataRole.ToolTipRole)
    assert "127.0.0.1" in tip and "连接被拒绝" in tip
    assert not english([tip]), tip


def test_unknown_kind_falls_back_to_the_english_message(chinese):
    t = _view(7, State.FAILED, RuntimeError("Disk exploded"))
    assert outcome.error_text(t) == "Disk exploded"
    assert outcome.problem_text("a_kind_from_a_newer_version", {}, "As the core said") == "As the core said"


def test_account_states_and_import_refusals_are_chinese(qtbot, window, chinese):
    """Real keyring (run through ./test.sh): an incomplete login, then a paste with no
    cookies in it; the table and the result line are Chinese."""
    window.open_accounts()
    dlg = window.accounts_dialog
    qtbot.waitUntil(lambda: dlg.pending == 0, timeout=20000)
    dlg.host.setCurrentIndex(dlg.host.findData("baidu.com"))
    dlg.cookies.setPlainText("BDUSS=abcdefghijklmnopqrstuvwxyz0123456789")      # no STOKEN
    dlg.import_btn.click()
    qtbot.waitUntil(lambda: dlg.table.rowCount() == 1 and dlg.pending == 0, timeout=20000)
    state, detail = dlg.table.item(0, 1).text(), dlg.table.item(0, 2).text()
    assert detail.startswith("登录信息不完整：缺少 STOKEN"), detail
    result = dlg.result.text()
    assert not english([state, detail, result], "baidu.com", "STOKEN", "BDUSS"), [state, detail, result]
    dlg.cookies.setPlainText("just some words")
    dlg.import_btn.click()
    qtbot.waitUntil(lambda: dlg.pending == 0 and dlg.result.text() != result, timeout=20000)
    assert dlg.result.text() == "粘贴的 Cookie 请求头中没有找到 Cookie", dlg.result.text()
    dlg.table.selectRow(0)
    dlg._remove(confirm=False)
    qtbot.waitUntil(lambda: dlg.table.rowCount() == 0 and dlg.pending == 0, timeout=20000)


def test_share_refusals_are_chinese(qtbot, share_bridge, chinese, tmp_path):
    from gui.share_dialog import ShareDialog
    missing = tmp_path / "没有" / "model.bin"
    dlg = ShareDialog(None, missing, share_bridge)
    qtbot.addWidget(dlg)
    qtbot.waitUntil(lambda: not dlg.busy, timeout=20000)
    dlg.create_btn.click()
    qtbot.waitUntil(lambda: not dlg.busy and dlg.error.isVisibleTo(dlg), timeout=20000)
    assert dlg.error.text() == f"无法分享 {missing}：文件不存在"
    folder = tmp_path / "文件夹"
    folder.mkdir()
    dlg2 = ShareDialog(None, folder, share_bridge)
    qtbot.addWidget(dlg2)
    qtbot.waitUntil(lambda: not dlg2.busy, timeout=20000)
    dlg2.create_btn.click()
    qtbot.waitUntil(lambda: not dlg2.busy and dlg2.error.isVisibleTo(dlg2), timeout=20000)
    assert dlg2.error.text().startswith(f"无法分享 {folder}：只能分享文件")
    assert not english([dlg.error.text(), dlg2.error.text()], str(missing), str(folder))
