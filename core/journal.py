"""The control file beside a ``.part``: which byte ranges are on disk, and which
file on the server they came from (size + validator).

Crash safety: a range enters the journal only after its ``pwrite`` returned and
(when ``sync`` is on) after ``fdatasync`` of the ``.part``; the journal itself is
written to a temporary file, fsynced and renamed over the old one, so a kill -9
at any moment leaves either the old or the new journal, each of which claims
only bytes that are on disk.

``sources`` names the link(s) the ``.part`` was started from (hashed source keys, see
core/identity.py): a ``.part`` of another link is resumed only when its bytes match the
new link's (the engine compares a stretch); journals written before there were sources
have none and are judged by size and validator alone."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from .fsutil import atomic_write

VERSION = 1


@dataclass
class JournalData:
    """What a .part's journal says: the file it holds (size, validators, name, sources),
    whether its server honours Range, and the byte ranges on disk (``done``)."""
    size: int | None
    etag: str | None = None
    last_modified: str | None = None
    done: list[tuple[int, int]] = field(default_factory=list)
    name: str = ""
    ranges_supported: bool = True
    sources: list[str] = field(default_factory=list)

    def identity_mismatch(self, size: int | None, etag: str | None, last_modified: str | None) -> str | None:
        """Why a server answer does not belong to this journal, or None."""
        if self.size != size:
            return f"the file size changed on the server ({self.size} -> {size} bytes)"
        if self.etag and etag and _weakless(self.etag) != _weakless(etag):
            return "the file changed on the server (ETag differs)"
        if not (self.etag and etag) and self.last_modified and last_modified \
                and self.last_modified != last_modified:
            return "the file changed on the server (Last-Modified differs)"
        return None


def _weakless(tag: str) -> str:
    return tag[2:] if tag.startswith("W/") else tag


def journal_path(part: Path) -> Path:
    return part.with_name(part.name + ".journal")


def load(path: Path) -> JournalData | None:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if raw.get("v") != VERSION:
            return None
        return JournalData(size=raw["size"], etag=raw.get("etag"), last_modified=raw.get("last_modified"),
                           done=[(int(a), int(b)) for a, b in raw.get("done", [])],
                           name=raw.get("name", ""), ranges_supported=raw.get("ranges", True),
                           sources=[str(x) for x in raw.get("sources") or []])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def save(path: Path, data: JournalData) -> None:
    """Written whole or not at all, fsynced before the rename (``fsutil.atomic_write``);
    the temporary file is ``NAME.part.journal.tmp``, which ``remove`` and the queue's
    leftovers check know."""
    body = json.dumps({"v": VERSION, "size": data.size, "etag": data.etag,
                       "last_modified": data.last_modified, "done": data.done,
                       "name": data.name, "ranges": data.ranges_supported,
                       "sources": data.sources},
                      separators=(",", ":")).encode()
    atomic_write(path, body, 0o644, tmp=path.with_name(path.name + ".tmp"), umask=True)


def remove(path: Path) -> None:
    for p in (path, path.with_name(path.name + ".tmp")):
        try:
            p.unlink()
        except FileNotFoundError:
            pass
