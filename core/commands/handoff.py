"""`main.py handoff FILE --to INSTALL_DIR [--as RELATIVE_PATH]`: place a finished model into a
local HeyGem / Wav2Lip install, checked and atomically (see docs/heygem.md).

The `heygem` command group (detect, status, start, deploy) lives in the sibling module
``heygem.py`` and shares the output helpers defined here."""

from __future__ import annotations

import argparse
import json
import sys
import time

from ..errors import human_bytes


class ByteProgress:
    """A single redrawn line on stderr for hashing / copying a big file."""

    LABELS = {"hashing": "checking", "copying": "copying", "verifying": "re-checking copy"}

    def __init__(self, enabled: bool):
        self.enabled = enabled and sys.stderr.isatty()
        self._last = 0.0
        self._shown = False

    def __call__(self, phase: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if done < total and now - self._last < 0.2:
            return
        self._last = now
        pct = 100.0 * done / total if total else 100.0
        sys.stderr.write(f"\r{self.LABELS.get(phase, phase)}: {pct:5.1f}% of {human_bytes(total)}   ")
        sys.stderr.flush()
        self._shown = True

    def done(self) -> None:
        if self._shown:
            sys.stderr.write("\n")
            sys.stderr.flush()
            self._shown = False


def register(sub) -> None:
    p = sub.add_parser(
        "handoff", help="place a downloaded model into a HeyGem / Wav2Lip install",
        description="Check a model file (size, hash, content) and place it atomically in a local "
                    "HeyGem or Wav2Lip install. The catalog chooses the place when the file is "
                    "known by hash or name; an existing different file is kept as a dated backup.")
    p.add_argument("file", metavar="FILE", help="the downloaded model file")
    p.add_argument("--to", required=True, metavar="INSTALL_DIR", help="the install's folder")
    p.add_argument("--as", dest="rel", metavar="RELATIVE_PATH",
                   help="place inside the install (e.g. checkpoints/wav2lip_gan.pth)")
    p.add_argument("--sha256", help="expected SHA-256 of the file (hex)")
    p.add_argument("--size", type=int, help="expected size in bytes")
    p.add_argument("--source", help="where the file came from (recorded, secrets masked)")
    p.add_argument("--copy", action="store_true", help="keep the original file (copy instead of move)")
    p.add_argument("--force", action="store_true",
                   help="place it even when its hash differs from the catalog's or the locally "
                        "pinned one (content checks still apply)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    p.set_defaults(func=_cmd)


def _cmd(args: argparse.Namespace) -> int:
    import asyncio
    import threading

    from ..app import App
    from ..heygem.handoff import result_dict
    bar = ByteProgress(not args.quiet and not args.json)
    stop = threading.Event()

    def progress(phase: str, done: int, total: int) -> None:
        # the hand-off runs in the facade's worker thread: Ctrl-C (or SIGTERM) stops it at
        # its next piece, which removes its temporary file, as when it ran on this thread
        if stop.is_set():
            raise KeyboardInterrupt
        bar(phase, done, total)

    async def handoff():
        try:
            return await App().heygem_handoff(args.file, args.to, rel_path=args.rel, expected_sha256=args.sha256,
                                              expected_size=args.size, source=args.source, progress=progress,
                                              copy=args.copy, force=args.force)
        except asyncio.CancelledError:
            stop.set()
            raise
    try:
        res = asyncio.run(handoff())
    finally:
        bar.done()
    if args.json:
        print(json.dumps(result_dict(res), ensure_ascii=False, indent=1))
    else:
        print(res.message())
    return 0
