"""What a drop or a paste brings in: link text and manifest files (.yaml, .meta4)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QMimeData

MANIFEST_SUFFIXES = (".yaml", ".yml", ".meta4", ".metalink")
TEXT_SUFFIXES = (".txt", ".lst", ".list")
MAX_TEXT_FILE = 4 << 20   # a link list bigger than this is not a link list


@dataclass
class Dropped:
    text: str = ""
    manifests: list[Path] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.text.strip() or self.manifests)


def can_accept(mime: QMimeData) -> bool:
    if mime.hasUrls() and any(u.isLocalFile() for u in mime.urls()):
        return any(Path(u.toLocalFile()).suffix.lower() in MANIFEST_SUFFIXES + TEXT_SUFFIXES
                   for u in mime.urls() if u.isLocalFile()) or \
            any(u.scheme() in ("http", "https", "ftp") for u in mime.urls())
    if mime.hasUrls():
        for u in mime.urls():
            if not u.isLocalFile():
                if u.scheme() in ("http", "https", "ftp"):
                    return True
                continue
            p = Path(u.toLocalFile())
            if p.suffix.lower() in MANIFEST_SUFFIXES + TEXT_SUFFIXES:
                return True
    return mime.hasText() and bool(mime.text().strip())


def read_mime(mime: QMimeData) -> Dropped:
    out = Dropped()
    lines: list[str] = []
    if mime.hasUrls():
        for u in mime.urls():
            if u.isLocalFile():
                p = Path(u.toLocalFile())
                suffix = p.suffix.lower()
                if suffix in MANIFEST_SUFFIXES:
                    out.manifests.append(p)
                elif suffix in TEXT_SUFFIXES:
                    try:
                        if p.stat().st_size > MAX_TEXT_FILE:
                            out.errors.append(f"{p.name}: too big for a link list")
                            continue
                        lines.append(p.read_text(encoding="utf-8", errors="replace"))
                    except OSError as exc:
                        out.errors.append(f"{p.name}: {exc.strerror or exc}")
            elif u.scheme() in ("http", "https", "ftp"):
                lines.append(u.toString())
    has_local = mime.hasUrls() and any(u.isLocalFile() for u in mime.urls())
    if not has_local and mime.hasText():
        t = mime.text()
        if not lines:
            # plain text (a share text with its 提取码) carries more than a bare URL
            lines.append(t)
        elif t.strip() and len(t.strip()) > sum(len(x) for x in lines) + len(lines) and "://" in t:
            # browsers put the link in both the URL list and the text; the text may hold the code
            lines = [t]
    out.text = "\n".join(x.strip("\n") for x in lines if x.strip())
    return out
