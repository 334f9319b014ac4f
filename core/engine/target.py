"""Where a download's file goes: the name (claimed in this engine, by the queue and
across processes), and what is there already: a .part to resume (when it is this file),
a .part of another file (passed over), or the finished file itself (proven, then
nothing is downloaded)."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Callable

from .. import identity, journal, wire
from ..errors import NoUsableSource, ZhilianError
from ..filenames import name_from_url, numbered, target_name
from ..namelock import NameLock
from ..ranges import RangeSet
from .mirrors import MirrorPool, MirrorState
from .options import DownloadOptions
from .partfile import PartFile, file_hash, read_span, sample_span
from .probe import LogFn, Probe, content_range, reason, request_headers


class Target:
    """The name of one download (``path``, None until chosen) and what it found there
    (``resumed_from``: bytes of a .part it resumes). ``owner`` holds the names in the
    engine's registry; ``note`` tells the user a decision (Download._note)."""

    def __init__(self, engine, owner: object, dest_dir: Path, opts: DownloadOptions,
                 sources: list[str], part: PartFile, mirrors: MirrorPool, *,
                 log: LogFn, note: Callable[[str], None]):
        self.engine, self.owner, self.dest_dir, self.opts = engine, owner, dest_dir, opts
        self.sources, self.part, self.mirrors = sources, part, mirrors
        self.log, self.note = log, note
        self.path: Path | None = None
        self.resumed_from = 0
        self._name_lock: NameLock | None = None   # this name is ours across processes

    def release(self) -> None:
        """The download has ended: its names are free again."""
        self.engine.release_names(self.owner)
        self.drop_name_lock()

    def claim(self, cand: Path) -> bool:
        """May this download use the name ``cand`` (and its .part)? Not when another download
        of this engine, a queue task (opts.claim) or another process (a name lock) has it."""
        if not self.engine.claim_name(cand, self.owner):
            return False
        if self.opts.claim is not None and not self.opts.claim(cand):
            self.engine.release_names(self.owner)
            return False
        if self._name_lock is not None and self._name_lock.target == cand:
            return True
        lock = NameLock.try_acquire(cand)
        if lock is None:
            self.engine.release_names(self.owner)
            self.log(logging.INFO, "%s is being downloaded by another process: another name", cand.name)
            return False
        self.drop_name_lock()
        self._name_lock = lock
        return True

    def drop_name_lock(self) -> None:
        if self._name_lock is not None:
            self._name_lock.release()
            self._name_lock = None

    def journal_record(self, probe: Probe, done: list[tuple[int, int]]) -> journal.JournalData:
        """What the journal says of the .part: the file it holds (as ``probe`` saw it), its
        name and sources, and the ranges ``done``."""
        return journal.JournalData(size=probe.total, etag=probe.etag, last_modified=probe.last_modified,
                                   done=done, name=self.path.name if self.path else "",
                                   ranges_supported=probe.ranges, sources=list(self.sources))

    async def record(self, probe: Probe | None) -> None:
        """The proof for later runs that the finished file (``path``) is this download's
        (core/identity.py)."""
        hashed = self.part.hasher is not None
        await asyncio.to_thread(
            identity.record, self.path, sources=self.sources, etag=probe.etag if probe else None,
            last_modified=probe.last_modified if probe else None,
            sha256=self.opts.sha256 if hashed and self.opts.sha256 else None,
            md5=self.opts.md5 if hashed and self.opts.md5 else None)

    def may_resume(self, ms: MirrorState) -> bool:
        """A .part of the name the file will likely get is there, or a file of that name
        that may prove to be this one (then nothing needs downloading: the same command
        run twice costs the server one byte, not a socket's worth of the file). The
        server's Content-Disposition may still name it otherwise."""
        name = self.opts.filename or name_from_url(ms.mirror.url)
        if not name:
            return False
        target = self.dest_dir / target_name(name)
        return target.with_name(target.name + ".part").exists() or target.exists()

    async def choose(self, probe: Probe) -> Path | None:
        """Sets self.path, the .part and the done ranges; returns a path when the finished
        file is proven to be there already (core/identity.py). A name is passed over when
        another download or queue task holds it, when a file there is not proven to be
        this one, or when its .part was started from another link whose bytes differ
        from this one's (that .part stays as it is, for its own download to resume)."""
        name = target_name(self.opts.filename or probe.name)
        passed: list[str] = []
        for n in range(10000):
            cand = self.dest_dir / numbered(name, n)
            if not self.claim(cand):
                continue   # another download or queue task owns this name
            part = cand.with_name(cand.name + ".part")
            jp = journal.journal_path(part)
            j = journal.load(jp) if jp.exists() else None
            if j is not None and not part.exists():
                # left behind by a crash after the rename: it describes no file
                journal.remove(jp)
                j = None
            if j is not None or part.exists():
                other = j is not None and bool(j.sources) and not set(j.sources) & set(self.sources)
                if other and not await self._same_bytes(j, part, probe):
                    passed.append(part.name)
                    continue
                self.path = cand
                self.part.use(part, jp)
                why = None
                if j is None:
                    why = "no journal beside the .part"
                else:
                    why = j.identity_mismatch(probe.total, probe.etag, probe.last_modified)
                    if why is None and not probe.ranges:
                        why = "the server does not support resuming (no Range)"
                    if why is None and j.done:
                        self.part.done = RangeSet(j.done)
                        self.resumed_from = self.part.done.total()
                        self.note(self._passed(passed) + (
                            f"resuming: {self.resumed_from} bytes already on disk" + (
                                " (the .part was started from another link; its bytes match)"
                                if other else "")))
                        return None
                if j is not None and j.done:
                    self.note(self._passed(passed) + f"restarted from zero: {why}")
                self.part.done = RangeSet()
                return None
            if cand.exists():
                if await self._already_there(cand, probe):
                    self.path = cand
                    return cand
                passed.append(cand.name)
                continue
            self.path = cand
            self.part.use(part, jp)
            if passed:
                self.note(self._passed(passed).rstrip("; "))
            return None
        raise ZhilianError(f"Too many files named like {name} in {self.dest_dir}")

    def _passed(self, names: list[str]) -> str:
        if not names:
            return ""
        what = "belongs to another download" if names[0].endswith(".part") else \
            "is another file (or not proven to be this one)"
        return f"{names[0]} {what}: saving as {self.path.name if self.path else '?'}; "

    async def _already_there(self, path: Path, probe: Probe) -> bool:
        """Is the existing file the one we would download?  Only with proof: the expected
        checksum matches (the finished-file record's checksum stands for it while the file
        is unchanged), or, with no checksum known, the record Zhilian wrote when it finished
        this file says it came from this source, and the server's size and validators still
        agree. A file of the same name, size and date is not proof (two repositories' model
        files often share all three)."""
        rec = await asyncio.to_thread(identity.lookup, path)
        algo, want = ("sha256", self.opts.sha256) if self.opts.sha256 else ("md5", self.opts.md5)
        if not want:
            return rec is not None and rec.matches(self.sources, probe.total, probe.etag,
                                                   probe.last_modified)
        if rec is not None and (getattr(rec, algo) or "") == want.lower():
            return True
        try:
            if probe.total is not None and path.stat().st_size != probe.total:
                return False
            return await asyncio.to_thread(file_hash, path, algo) == want.lower()
        except OSError:
            return False

    async def _same_bytes(self, j: journal.JournalData, part: Path, probe: Probe) -> bool:
        """A .part begun from another link is this file only when the server's size and
        validator agree with its journal and a stretch of its finished bytes (up to
        SAMPLE_BYTES, the end of its longest finished range) is what this source sends."""
        if j.identity_mismatch(probe.total, probe.etag, probe.last_modified) or not probe.ranges \
                or not j.done:
            return False
        a, b = sample_span(j.done)
        ms = self.mirrors.first_alive()
        try:
            async with asyncio.timeout(self.opts.give_up_after):
                resp, _ = await self.engine.client.get(
                    ms.mirror.url, headers=request_headers(ms, self.opts.headers, f"bytes={a}-{b - 1}"),
                    read_timeout=self.opts.stall_timeout)
                try:
                    cr = content_range(resp.headers.get("Content-Range"))
                    if resp.status != 206 or cr is None or (cr[0], cr[1]) != (a, b - 1):
                        return False
                    theirs = await resp.read_body(b - a)
                finally:
                    resp.close()
        except (TimeoutError, wire.ClientError, ConnectionError) as e:
            raise NoUsableSource(f"Cannot compare {part.name} with {ms.host}: {reason(e)}") from None
        return theirs == read_span(part, a, b)

