"""Runs one hand-off in its own process so a test can kill -9 it at any moment.

    copy_worker.py SRC INSTALL_DIR REL_PATH [--exdev]

Prints one line per progress step (and sleeps a little, so a kill lands mid-copy). With
--exdev, os.replace refuses to move between folders (EXDEV), as it does between filesystems.
"""

import errno
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from core.heygem import handoff as H  # noqa: E402


def main() -> None:
    src, install, rel = sys.argv[1:4]
    if "--exdev" in sys.argv:
        real = os.replace

        def replace(a, b, *args, **kw):
            if Path(a).resolve().parent != Path(b).resolve().parent:
                raise OSError(errno.EXDEV, "Invalid cross-device link")
            return real(a, b, *args, **kw)

        H.os.replace = replace
    H.CHUNK = 128 << 10

    def progress(phase, done, total):
        print(f"P {phase} {done} {total}", flush=True)
        time.sleep(0.001)

    res = H.handoff_file(src, install, rel, progress=progress, force=True, check_running=False)
    print(f"DONE {res.method} {res.status}", flush=True)


if __name__ == "__main__":
    main()
