"""What a drop, a paste or the command line brings in: link text, link-list files and
manifest files (.yaml, .meta4). Files may come as paths or as ``file:`` URLs (desktop
launchers pass ``%U``; terminals drag a file as the text ``file:///…``).

Nothing here touches the disk: a drop becomes a list of ``Incoming`` items (text, dropped
files, command-line words) and ``take()`` has the core read the files
(``bridge.core.read_incoming``, in a worker thread); the answer, an ``IncomingRead``, comes
back on the GUI thread. A drop of link text alone is answered at once."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import QCoreApplication, QMimeData

from core.app import Incoming, IncomingRead, link_file_kind
from core.invocation import path_from_arg


def _file_name_ok(path: str) -> bool:
    return link_file_kind(Path(path).name) is not None


def can_accept(mime: QMimeData) -> bool:
    """Whether a drag may be dropped: web links, link lists and manifests by name, or text."""
    if mime.hasUrls():
        for u in mime.urls():
            if u.isLocalFile():
                if _file_name_ok(u.toLocalFile()):
                    return True
            elif u.scheme() in ("http", "https", "ftp"):
                return True
        if any(u.isLocalFile() for u in mime.urls()):
            return False          # only other files (a photo): refused while dragging
    return mime.hasText() and bool(mime.text().strip())


def _file_url_lines(text: str) -> list[str] | None:
    """The files of a text that holds only ``file:`` URLs (one a line), else None."""
    rows = [r.strip() for r in text.splitlines() if r.strip()]
    if not rows or not all(r[:5].lower() == "file:" for r in rows):
        return None
    paths = [path_from_arg(r) for r in rows]
    return None if any(p == r for p, r in zip(paths, rows)) else paths


def from_args(args: list[str]) -> list[Incoming]:
    """Command-line arguments (the launcher's ``%U``, a second start's forwarded argv):
    a ``file:`` URL is a file the user opened; any other word is a file when one exists at
    that path (the core looks), else link text."""
    items = []
    for a in args:
        path = path_from_arg(a)
        items.append(Incoming("opened", path) if path != a else Incoming("arg", a))
    return items


def from_mime(mime: QMimeData) -> list[Incoming]:
    """A drag's data as items: web links and text as they are, local files to be read."""
    items: list[Incoming] = []
    links: list[str] = []
    if mime.hasUrls():
        for u in mime.urls():
            if u.isLocalFile():
                items.append(Incoming("dropped", u.toLocalFile()))
            elif u.scheme() in ("http", "https", "ftp"):
                links.append(u.toString())
                items.append(Incoming("text", links[-1]))
    has_local = mime.hasUrls() and any(u.isLocalFile() for u in mime.urls())
    files = _file_url_lines(mime.text()) if not has_local and mime.hasText() else None
    if files:
        # a file dragged as the text "file:///…" (terminals, some editors)
        items += [Incoming("dropped", p) for p in files]
    elif not has_local and mime.hasText():
        t = mime.text()
        if not links:
            # plain text (a share text with its 提取码) carries more than a bare URL
            if t.strip():
                items.append(Incoming("text", t))
        elif t.strip() and len(t.strip()) > sum(len(x) for x in links) + len(links) and "://" in t:
            # browsers put the link in both the URL list and the text; the text may hold the code
            items = [Incoming("text", t)]
    return items


def text_only(items: list[Incoming]) -> IncomingRead | None:
    """What ``items`` bring when they are all text (no file to read), else None."""
    if any(i.kind != "text" for i in items):
        return None
    return IncomingRead("\n".join(i.value.strip("\n") for i in items if i.value.strip()))


def take(items: list[Incoming], reader: Callable[..., Any] | None,
         on_done: Callable[[IncomingRead], None], on_error: Callable[[str], None]) -> None:
    """Calls ``on_done(IncomingRead)``: at once for text alone, else when ``reader``
    (``bridge.core.read_incoming``) has read the files off the GUI thread. Without a
    reader the files are left out."""
    now = text_only(items)
    if now is not None:
        on_done(now)
    elif reader is None:
        on_done(text_only([i for i in items if i.kind == "text"]) or IncomingRead())
    else:
        reader(items, on_done=on_done, on_error=on_error)


def problem_text(p: Any) -> str:
    """A ``core.incoming.FileProblem`` in the user's language."""
    from . import fmt
    if p.kind == "missing":
        why = QCoreApplication.translate("Dropping", "no such file")
    elif p.kind == "denied":
        why = QCoreApplication.translate("Dropping", "permission denied")
    elif p.kind == "folder":
        why = QCoreApplication.translate("Dropping", "a folder, not a link list")
    elif p.kind == "not_a_file":
        why = QCoreApplication.translate("Dropping", "not a regular file")
    elif p.kind == "too_big":
        why = QCoreApplication.translate("Dropping", "too big for a link list (%1; at most %2)") \
            .replace("%1", fmt.size(p.size)).replace("%2", fmt.size(p.limit))
    elif p.kind == "binary":
        why = QCoreApplication.translate("Dropping", "not a text file")
    else:
        why = QCoreApplication.translate("Dropping", "cannot be read (%1)").replace("%1", p.detail or "?")
    return QCoreApplication.translate("Dropping", "%1: %2").replace("%2", why).replace("%1", p.path)
