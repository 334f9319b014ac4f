import threading

import pytest
from PySide6.QtWidgets import QWidget

from gui import heygem_actions as A


@pytest.fixture
def bridge(qtbot):
    """The hand-off runs in the core's worker thread, reached through the facade."""
    from gui.bridge import CoreBridge
    b = CoreBridge()
    b.start()
    assert b.wait_started(30) and b.start_error is None, b.start_error
    yield b
    b.stop()


def test_send_to_heygem_runs_off_the_gui_thread_and_reports(qtbot, tmp_path, installs, hg, bridge):
    root = installs.webui()
    f = hg.write(tmp_path / "heygem_model_v1.0.pth", hg.pth_bytes(1 << 20))
    w = QWidget()
    qtbot.addWidget(w)
    threads = []
    job = A.HandoffJob(f, root, bridge, parent=w)
    job.progress.connect(lambda *a: threads.append(threading.current_thread()))
    with qtbot.waitSignal(job.finished, timeout=30_000) as blocker:
        job.start()
    res = blocker.args[0]
    assert res.status == "placed" and (root / "models/heygem_model_v1.0.pth").exists()
    assert threads and all(t is threading.main_thread() for t in threads)   # delivered on GUI thread


def test_send_to_heygem_refusal_arrives_as_a_message(qtbot, tmp_path, installs, hg, bridge):
    root = installs.webui()
    f = hg.write(tmp_path / "heygem_model_v1.0.pth", b"<html>login</html>")
    w = QWidget()
    qtbot.addWidget(w)
    job = A.send_to_heygem(w, f, bridge, install_dir=root, show_result=False)
    qtbot.waitUntil(lambda: job.error is not None, timeout=30_000)
    assert "HTML page" in job.error
    assert not (root / "models/heygem_model_v1.0.pth").exists()


def test_send_to_heygem_takes_a_finished_task(qtbot, tmp_path, installs, hg, bridge):
    import dataclasses

    @dataclasses.dataclass
    class Task:          # the fields of the queue's TaskView that matter here
        path: str
        sha256: str | None
        link: str
        handoff_to: str | None

    root = installs.wav2lip()
    data = hg.pth_bytes()
    import hashlib
    f = hg.write(tmp_path / "wav2lip.pth", data)
    w = QWidget()
    qtbot.addWidget(w)
    task = Task(str(f), hashlib.sha256(data).hexdigest(), "https://h.example/wav2lip.pth?sign=SECRET", str(root))
    job = A.send_to_heygem(w, task, bridge, show_result=False)
    qtbot.waitUntil(lambda: job.result is not None or job.error is not None, timeout=30_000)
    assert job.error is None and job.result.rel_path == "checkpoints/wav2lip.pth"
    assert job.result.verified_by == "expected sha256" and "SECRET" not in job.result.source


def test_send_to_heygem_result_and_refusal_are_chinese(qtbot, tmp_path, installs, hg, bridge):
    """Under the Chinese translator the hand-off's result (the core's HandoffResult, worded
    by the window from its fields) and a refusal (its ErrorKind) have no English sentence;
    the core's own message stays English for the command line."""
    import re

    from gui import i18n
    root = installs.webui()
    good = hg.write(tmp_path / "heygem_model_v1.0.pth", hg.pth_bytes(1 << 16))
    page = hg.write(tmp_path / "other.pth", b"<html>login</html>")
    w = QWidget()
    qtbot.addWidget(w)
    i18n.install("zh_CN")
    try:
        job = A.HandoffJob(good, root, bridge, parent=w)
        with qtbot.waitSignal(job.finished, timeout=30_000) as blocker:
            job.start()
        res = blocker.args[0]
        text = A.result_text(res)
        bad = A.send_to_heygem(w, page, bridge, install_dir=root, show_result=False)
        qtbot.waitUntil(lambda: bad.error is not None, timeout=30_000)
    finally:
        i18n.install("en")
    assert "placed in" in res.message()                       # the command line's words
    assert text.startswith("models/heygem_model_v1.0.pth：已放入 "), text
    assert bad.error.startswith("other.pth 是网页"), bad.error
    keep = {"models", "heygem", "model", "pth", "sha", "html", "other", "kib"}
    for t in (text.replace(str(root), ""), bad.error):
        words = [x for x in re.findall(r"[A-Za-z]{3,}", re.sub(r"\b[0-9a-f]{64}\b", "", t)) if x.lower() not in keep]
        assert not words, (words, t)
