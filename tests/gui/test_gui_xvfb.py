"""A real X server (Xvfb) with a tray host: the app's window, tray icon and notification,
with screenshots saved under test-artifacts/gui/ for a person to look at."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from servers import make_blob

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "gui"
SCRIPT = Path(__file__).resolve().parent / "xvfb_app.py"


def _run_app(xvfb, zhilian_home, file_server, lang: str, out: Path) -> dict:
    data = make_blob(5 << 20, seed=21)
    file_server.add("/big-model.safetensors", data, rate=350_000)
    shutil.rmtree(out / "downloads", ignore_errors=True)
    env = dict(xvfb, ZHILIAN_HOME=str(zhilian_home), PYTHONPATH=str(ROOT / "tests"))
    proc = subprocess.run([sys.executable, str(SCRIPT), str(out), file_server.url("/big-model.safetensors"), lang],
                          env=env, cwd=ROOT, capture_output=True, text=True, timeout=170)
    res_file = out / "result.json"
    assert res_file.exists(), proc.stderr[-3000:]
    res = json.loads(res_file.read_text())
    failed = [name for name, ok in res["steps"] if not ok]
    assert proc.returncode == 0 and not failed, (failed, proc.stderr[-3000:])
    got = (out / "downloads" / "big-model.safetensors").read_bytes()
    assert got == data
    return res


def _check_png(path: Path, min_w: int, min_h: int) -> None:
    from PySide6.QtGui import QImage
    img = QImage(str(path))
    assert not img.isNull(), path
    assert img.width() >= min_w and img.height() >= min_h, (path, img.size())
    # not a blank capture: many distinct colours
    colours = {img.pixel(x, y) for x in range(0, img.width(), 7) for y in range(0, img.height(), 7)}
    assert len(colours) > 20, (path, len(colours))


@pytest.mark.xvfb
def test_real_window_tray_notification_and_screenshots(xvfb, zhilian_home, file_server, qapp):
    out = ARTIFACTS
    res = _run_app(xvfb, zhilian_home, file_server, "", out)
    assert res["tray_geometry"][2] > 0           # the tray host embedded the icon
    assert any(n[0] in ("finished", "done") for n in res["notes"])
    assert ["Download finished", "big-model.safetensors"] in res["tray_messages"]
    assert res["tray_messages"][-1][0] == "Zhilian is still running"      # closed to the tray
    _check_png(out / "main_window.png", 900, 500)
    _check_png(out / "details_pane.png", 400, 150)
    _check_png(out / "log_dock.png", 900, 500)
    _check_png(out / "add_dialog.png", 400, 300)
    _check_png(out / "notification.png", 1000, 700)
    _check_png(out / "main_window_dark.png", 900, 500)


@pytest.mark.xvfb
def test_real_window_in_chinese(xvfb, zhilian_home, file_server, qapp):
    out = ARTIFACTS
    res = _run_app(xvfb, zhilian_home, file_server, "zh_CN", out)
    assert ["下载完成", "big-model.safetensors"] in res["tray_messages"]
    _check_png(out / "main_window_zh_CN.png", 900, 500)
    _check_png(out / "add_dialog_zh_CN.png", 400, 300)
