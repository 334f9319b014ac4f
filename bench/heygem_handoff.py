"""Hand-off timings: rename on the same disk vs copy across filesystems vs "already there".

    .venv/bin/python bench/heygem_handoff.py [--mib 256]

Prints a table. The cross-filesystem row needs a second filesystem (/dev/shm on most Linux
machines); without one it is measured with the EXDEV fallback (same disk, forced copy).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def make_model(path: Path, mib: int) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        with z.open("archive/data/0", "w", force_zip64=True) as fh:
            block = os.urandom(1 << 20)
            for _ in range(mib):
                fh.write(block)
        z.writestr("archive/data.pkl", b"\x80\x02}.")


def make_install(root: Path) -> Path:
    (root / "models").mkdir(parents=True)
    (root / "app.py").write_text("# app\n")
    return root


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mib", type=int, default=256)
    a = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="zhilian-bench-"))
    os.environ["ZHILIAN_HOME"] = str(work / "home")
    from core.heygem.handoff import handoff_file

    other = None
    if os.path.isdir("/dev/shm") and os.stat("/dev/shm").st_dev != os.stat(work).st_dev:
        other = Path(tempfile.mkdtemp(prefix="zhilian-bench-", dir="/dev/shm"))
    rows = []
    try:
        inst = make_install(work / "HeyGem")
        src = work / "dl" / "heygem_model_v1.0.pth"
        src.parent.mkdir()
        make_model(src, a.mib)
        size = src.stat().st_size
        keep = work / "keep.pth"
        shutil.copy(src, keep)

        t = time.perf_counter()
        r = handoff_file(src, inst, check_running=False)
        rows.append(("same disk (rename)", r.method, time.perf_counter() - t))

        shutil.copy(keep, src)
        t = time.perf_counter()
        r = handoff_file(src, inst, check_running=False)
        rows.append(("identical file already there", r.status, time.perf_counter() - t))

        (inst / "models" / "heygem_model_v1.0.pth").unlink()
        if other is not None:
            src2 = other / "heygem_model_v1.0.pth"
            shutil.copy(keep, src2)
            label = "other filesystem (/dev/shm -> disk)"
        else:
            src2 = work / "dl2" / "heygem_model_v1.0.pth"
            src2.parent.mkdir()
            shutil.copy(keep, src2)
            label = "forced copy (no second filesystem)"
        t = time.perf_counter()
        r = handoff_file(src2, inst, copy=other is None, check_running=False)
        rows.append((label, r.method, time.perf_counter() - t))
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if other is not None:
            shutil.rmtree(other, ignore_errors=True)

    print(f"hand-off of a {size / (1 << 20):.0f} MiB model (checks + sha256 + placement)")
    print(f"{'case':40} {'result':10} {'seconds':>8} {'MiB/s':>8}")
    for label, res, secs in rows:
        print(f"{label:40} {res:10} {secs:8.2f} {size / (1 << 20) / secs:8.0f}")


if __name__ == "__main__":
    main()
