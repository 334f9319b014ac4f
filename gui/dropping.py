"""What a drop, a paste or the command line brings in: link text, link-list files and
manifest files (.yaml, .meta4). Files may come as paths or as ``file:`` URLs (desktop
launchers pass ``%U``; terminals drag a file as the text ``file:///…``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QMimeData

from core.invocation import path_from_arg

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


def _read_file(p: Path, out: Dropped, lines: list[str], *, any_suffix: bool) -> None:
    """A manifest goes to ``out.manifests``; a link list (any file when ``any_suffix``) is
    read into ``lines``; a problem becomes one line in ``out.errors``."""
    suffix = p.suffix.lower()
    if suffix in MANIFEST_SUFFIXES and p.is_file():
        out.manifests.append(p)
        return
    if suffix not in TEXT_SUFFIXES and not any_suffix and suffix not in MANIFEST_SUFFIXES:
        return
    try:
        if p.stat().st_size > MAX_TEXT_FILE:
            out.errors.append(f"{p}: too big for a link list")
            return
        lines.append(p.read_text(encoding="utf-8", errors="replace"))
    except OSError as exc:
        out.errors.append(f"{p}: {exc.strerror or exc}")


def _file_url_lines(text: str) -> list[Path] | None:
    """The files of a text that holds only ``file:`` URLs (one a line), else None."""
    rows = [r.strip() for r in text.splitlines() if r.strip()]
    if not rows or not all(r[:5].lower() == "file:" for r in rows):
        return None
    paths = [path_from_arg(r) for r in rows]
    return None if any(p == r for p, r in zip(paths, rows)) else [Path(p) for p in paths]


def read_args(args: list[str]) -> Dropped:
    """Command-line arguments (the launcher's ``%U``, a second start's forwarded argv):
    ``file:`` URLs and existing files are read (any file a user opens with the app is
    taken as a link list unless it is a manifest), everything else is link text."""
    out = Dropped()
    lines: list[str] = []
    for a in args:
        path = path_from_arg(a)
        p = Path(path)
        try:
            is_file = p.is_file()
        except (OSError, ValueError):
            is_file = False
        if path != a or is_file:
            _read_file(p, out, lines, any_suffix=True)
        else:
            lines.append(a)
    out.text = "\n".join(x.strip("\n") for x in lines if x.strip())
    return out


def read_mime(mime: QMimeData) -> Dropped:
    out = Dropped()
    lines: list[str] = []
    if mime.hasUrls():
        for u in mime.urls():
            if u.isLocalFile():
                _read_file(Path(u.toLocalFile()), out, lines, any_suffix=False)
            elif u.scheme() in ("http", "https", "ftp"):
                lines.append(u.toString())
    has_local = mime.hasUrls() and any(u.isLocalFile() for u in mime.urls())
    files = _file_url_lines(mime.text()) if not has_local and mime.hasText() else None
    if files:
        # a file dragged as the text "file:///…" (terminals, some editors)
        for p in files:
            _read_file(p, out, lines, any_suffix=False)
    elif not has_local and mime.hasText():
        t = mime.text()
        if not lines:
            # plain text (a share text with its 提取码) carries more than a bare URL
            lines.append(t)
        elif t.strip() and len(t.strip()) > sum(len(x) for x in lines) + len(lines) and "://" in t:
            # browsers put the link in both the URL list and the text; the text may hold the code
            lines = [t]
    out.text = "\n".join(x.strip("\n") for x in lines if x.strip())
    return out
