"""`main.py fetch --manifest FILE --target-dir DIR`: every file of a model
manifest (YAML or Metalink 4), each from all its mirrors at once."""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import sys
import time
from pathlib import Path

from ..engine import DownloadOptions, Engine, Progress
from ..errors import Cancelled, ZhilianError, human_bytes
from ..manifest import ManifestFile, load_manifest
from ..redact import redact_url


def register(sub) -> None:
    p = sub.add_parser(
        "fetch", help="download every file of a model manifest (YAML or .meta4)",
        description="Download every file listed in a model manifest (the YAML HeyGem deployment "
                    "guides use, or Metalink 4) using all of each file's mirrors at once. Files "
                    "already present with the right checksum are skipped; running it again resumes.")
    p.add_argument("--manifest", required=True, metavar="FILE", help="manifest (.yaml/.yml/.meta4)")
    p.add_argument("--target-dir", required=True, metavar="DIR", help="folder to put the files in")
    p.add_argument("-x", "--connections", type=int, help="connections per file (1-64, default 16)")
    p.add_argument("--heygem", metavar="INSTALL_DIR",
                   help="place each verified file into this HeyGem / Wav2Lip install")
    p.add_argument("--include", action="append", default=[], metavar="PATTERN",
                   help="only the manifest's files whose path matches this glob (repeatable), "
                        "as huggingface-cli download --include")
    p.add_argument("--exclude", action="append", default=[], metavar="PATTERN",
                   help="leave out the files whose path matches this glob (repeatable)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    p.set_defaults(func=_cmd)


def _hash_file(path: Path, algo: str) -> str:
    h = hashlib.new(algo)
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(4 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _already_there(f: ManifestFile, path: Path, say) -> bool:
    """True when ``path`` already holds this file by its checksum; a file the manifest's
    size or checksum proves wrong is removed. Without a checksum the engine decides (the
    finished-file record, core/identity.py): a file it cannot prove is kept, and the
    download is saved beside it."""
    if not path.is_file():
        return False
    size = path.stat().st_size
    if f.size_exact and f.size is not None and size != f.size:
        say(f"{f.rel_path}: present but {human_bytes(size)} instead of {human_bytes(f.size)}; downloading again")
        path.unlink()
        return False
    if f.sha256 or f.md5:
        algo, want = ("sha256", f.sha256) if f.sha256 else ("md5", f.md5)
        say(f"{f.rel_path}: checking the file already there ({human_bytes(size)})")
        if _hash_file(path, algo) == want:
            return True
        say(f"{f.rel_path}: present but its {algo} differs; downloading again")
        path.unlink()
        return False
    return False


class _Printer:
    def __init__(self, quiet: bool):
        self.quiet = quiet
        self.tty = sys.stderr.isatty()
        self._last = 0.0
        self._width = 0

    def say(self, msg: str) -> None:
        if self.quiet:
            return
        self.end_line()
        print(msg, file=sys.stderr, flush=True)

    def end_line(self) -> None:
        if self._width:
            sys.stderr.write("\n")
            self._width = 0

    def progress(self, label: str, p: Progress) -> None:
        if self.quiet:
            return
        now = time.monotonic()
        every = 0.25 if self.tty else 5.0
        if p.state == "downloading" and now - self._last < every:
            return
        self._last = now
        amount = human_bytes(p.done)
        if p.total:
            amount = f"{100.0 * p.done / p.total:5.1f}% {human_bytes(p.done)}/{human_bytes(p.total)}"
        srcs = len({c.mirror for c in p.connections})
        line = (f"{label}: {amount} {human_bytes(p.speed)}/s {len(p.connections)} conn "
                f"from {srcs} mirror(s) {p.state}")
        if self.tty:
            pad = max(0, self._width - len(line))
            self._width = len(line)
            sys.stderr.write("\r" + line + " " * pad)
            sys.stderr.flush()
        elif p.state in ("downloading", "verifying"):
            print(line, file=sys.stderr, flush=True)


async def _fetch_one(eng: Engine, f: ManifestFile, target_dir: Path, args, out: _Printer) -> Path:
    dest = target_dir / f.rel_path
    if _already_there(f, dest, out.say):
        out.say(f"{f.rel_path}: already present and verified")
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    opts = DownloadOptions(connections=args.connections, sha256=f.sha256, md5=f.md5,
                           size=f.size if f.size_exact else None, filename=dest.name)
    out.say(f"{f.rel_path}: downloading from {len(f.mirrors)} mirror(s)")
    dl = eng.download(list(f.mirrors), dest.parent, opts,
                      on_progress=lambda p: out.progress(f.rel_path, p))
    path = await dl.run()
    out.end_line()
    if path != dest and not dest.exists():
        path.replace(dest)
        path = dest
    if (dl.message or "").startswith("already downloaded"):
        out.say(f"{f.rel_path}: already present (finished earlier from these mirrors; "
                "the manifest has no checksum to verify it)")
    elif path != dest:
        out.say(f"{f.rel_path}: {dest.name} there is another file (or not proven to be this one, "
                f"the manifest has no checksum): saved as {path.name}")
    else:
        out.say(f"{f.rel_path}: done ({human_bytes(path.stat().st_size)})")
    return path


async def _handoff(path: Path, f: ManifestFile, install_dir: str, out: _Printer) -> None:
    """Through the facade (core/app.py), like the desktop app's hand-off; it runs in a
    worker thread, which Ctrl-C stops at its next piece (its temporary file is removed)."""
    import threading

    from ..app import App
    stop = threading.Event()

    def progress(phase: str, done: int, total: int) -> None:
        if stop.is_set():
            raise KeyboardInterrupt

    try:
        res = await App().heygem_handoff(str(path), install_dir, expected_sha256=f.sha256,
                                         source=redact_url(f.mirrors[0].url), progress=progress)
    except asyncio.CancelledError:
        stop.set()
        raise
    where = getattr(res, "path", None) or install_dir
    out.say(f"{f.rel_path}: placed in the install at {where}")


async def _run(args) -> int:
    if args.connections is not None and not 1 <= args.connections <= 64:
        raise ZhilianError("-x/--connections must be between 1 and 64")
    files = load_manifest(Path(args.manifest))
    if args.include or args.exclude:
        from ..selection import keeps
        kept = [f for f in files if keeps(f.rel_path, args.include, args.exclude)]
        if not kept:
            rules = [f"--include {p}" for p in args.include] + [f"--exclude {p}" for p in args.exclude]
            raise ZhilianError(f"None of the {len(files)} file(s) of the manifest matches {' '.join(rules)}")
        files = kept
    target = Path(args.target_dir)
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ZhilianError(f"Cannot create {target}: {e.strerror or e}") from None
    out = _Printer(args.quiet)
    failed: list[str] = []
    async with Engine() as eng:
        for f in files:
            try:
                path = await _fetch_one(eng, f, target, args, out)
            except Cancelled:
                raise
            except ZhilianError as e:
                out.end_line()
                hosts = ", ".join(sorted({redact_url(m.url).split('/')[2] for m in f.mirrors}))
                failed.append(f"zhilian: {f.rel_path}: could not be had from any mirror ({hosts}): {e}")
                continue
            if args.heygem:
                try:
                    await _handoff(path, f, args.heygem, out)
                except ZhilianError as e:
                    failed.append(f"zhilian: {f.rel_path}: downloaded to {path} but not placed in "
                                  f"the install: {e}")
    for line in failed:
        print(line, file=sys.stderr)
    if not args.quiet:
        ok = len(files) - len(failed)
        print(f"{ok} of {len(files)} file(s) ready in {target}", file=sys.stderr)
    return 1 if failed else 0


def _cmd(args: argparse.Namespace) -> int:
    try:
        return asyncio.run(_run(args))
    except KeyboardInterrupt:
        print("zhilian: stopped; run the same command again to resume", file=sys.stderr)
        return 130
