"""What a drop, the command line or a second start hands in: link text, link-list files
and manifests. Reading the files (``read_incoming``) is blocking: front ends call it
through the facade (``App.read_incoming``), which runs it in a worker thread.

A link list is a text file of at most ``MAX_LINK_LIST`` bytes, in UTF-8 (with or without
a byte-order mark), UTF-16 with a byte-order mark, or GB18030/GBK (what Chinese Windows
editors save as "ANSI"). A file that is none of these, or holds NUL bytes or mostly
control characters, is not a link list: it is refused with a ``FileProblem`` saying
why, never read into the add dialog as garbage.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

MANIFEST_SUFFIXES = (".yaml", ".yml", ".meta4", ".metalink")
LIST_SUFFIXES = (".txt", ".lst", ".list")
MAX_LINK_LIST = 4 << 20        # a link list bigger than this is not a link list
_SNIFF = 8192                  # bytes looked at to tell text from binary data

#: kinds of Incoming: how to take ``value``
TEXT = "text"          # link text as it is
DROPPED = "dropped"    # a dropped file: read when its name says link list or manifest
OPENED = "opened"      # a file the user opened with the app: a link list unless a manifest
ARG = "arg"            # a command-line word: OPENED when a file exists there, else TEXT


@dataclass(frozen=True)
class Incoming:
    """One thing handed in (``kind`` is TEXT, DROPPED, OPENED or ARG)."""
    kind: str
    value: str


@dataclass(frozen=True)
class FileProblem:
    """Why a handed-in file gives no links. ``kind``: 'missing', 'denied', 'folder',
    'not_a_file' (a device, pipe or socket), 'too_big' (``size`` bytes), 'binary' or
    'unreadable' (``detail``: the system's words). ``limit``: the most a link list may hold."""
    path: str
    kind: str
    size: int = 0
    detail: str = ""
    limit: int = MAX_LINK_LIST

    @property
    def message(self) -> str:
        """The English line (logs, the command line); the GUI words ``kind`` itself."""
        from .errors import human_bytes
        return f"{self.path}: " + {
            "missing": "no such file",
            "denied": "permission denied",
            "folder": "a folder, not a link list",
            "not_a_file": "not a regular file",
            "too_big": f"too big for a link list ({human_bytes(self.size)}; at most "
                       f"{human_bytes(self.limit)})",
            "binary": "not a text file",
        }.get(self.kind, f"cannot be read ({self.detail or 'unknown error'})")


@dataclass(frozen=True)
class IncomingRead:
    """What the handed-in items bring: the link text (in their order), the manifests to
    preview and add, and the files that gave nothing, with why."""
    text: str = ""
    manifests: list[Path] = field(default_factory=list)
    problems: list[FileProblem] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.text.strip() or self.manifests)


class LinkListError(Exception):
    def __init__(self, problem: FileProblem):
        super().__init__(problem.message)
        self.problem = problem


def file_kind(name: str) -> str | None:
    """'manifest', 'list' or None, from a file name's suffix (no disk access)."""
    suffix = os.path.splitext(name)[1].lower()
    if suffix in MANIFEST_SUFFIXES:
        return "manifest"
    if suffix in LIST_SUFFIXES:
        return "list"
    return None


def _problem(path: Path, exc: OSError) -> FileProblem:
    if exc.errno == errno.ENOENT or isinstance(exc, FileNotFoundError):
        return FileProblem(str(path), "missing")
    if exc.errno in (errno.EACCES, errno.EPERM):
        return FileProblem(str(path), "denied")
    if exc.errno == errno.EISDIR:
        return FileProblem(str(path), "folder")
    return FileProblem(str(path), "unreadable", detail=exc.strerror or str(exc))


def _check_regular(path: Path) -> os.stat_result:
    try:
        st = os.stat(path)
    except (OSError, ValueError) as exc:        # ValueError: a NUL byte in the name
        raise LinkListError(_problem(path, exc) if isinstance(exc, OSError)
                            else FileProblem(str(path), "missing")) from None
    if stat.S_ISDIR(st.st_mode):
        raise LinkListError(FileProblem(str(path), "folder"))
    if not stat.S_ISREG(st.st_mode):            # a pipe would block the read
        raise LinkListError(FileProblem(str(path), "not_a_file"))
    return st


def _looks_binary(text: str) -> bool:
    head = text[:_SNIFF]
    if "\x00" in head:
        return True
    control = sum(1 for c in head if (ord(c) < 32 and c not in "\t\n\r\f\v") or c == "\x7f")
    return control * 10 > len(head)             # more than a tenth: not something typed


def decode_link_list(data: bytes) -> str | None:
    """The text of a link list's bytes, or None when they are not text."""
    if data.startswith(b"\xef\xbb\xbf"):
        candidates = ["utf-8-sig"]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = ["utf-16"]
    elif b"\x00" in data[:_SNIFF]:
        return None
    else:
        candidates = ["utf-8", "gb18030"]
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return None if _looks_binary(text) else text
    return None


def read_link_list(path: str | os.PathLike[str]) -> str:
    """The text of the link list at ``path`` (blocking). Raises LinkListError, whose
    ``problem`` says why not: missing, denied, a folder, too big, not text, unreadable."""
    p = Path(path)
    st = _check_regular(p)
    if st.st_size > MAX_LINK_LIST:
        raise LinkListError(FileProblem(str(p), "too_big", size=st.st_size))
    try:
        with open(p, "rb") as f:
            data = f.read(MAX_LINK_LIST + 1)     # bounded, also when the file grows meanwhile
    except OSError as exc:
        raise LinkListError(_problem(p, exc)) from None
    if len(data) > MAX_LINK_LIST:
        raise LinkListError(FileProblem(str(p), "too_big", size=max(len(data), st.st_size)))
    text = decode_link_list(data)
    if text is None:
        raise LinkListError(FileProblem(str(p), "binary"))
    return text


def _is_file(value: str) -> bool:
    try:
        return os.path.isfile(value)
    except (OSError, ValueError):               # not a path at all (share text, NUL bytes)
        return False


def read_incoming(items: list[Incoming]) -> IncomingRead:
    """Reads what ``items`` hand in (blocking: link lists are read, manifests checked).
    Link text keeps the items' order; a file that gives nothing becomes a FileProblem."""
    texts: list[str] = []
    manifests: list[Path] = []
    problems: list[FileProblem] = []
    for item in items:
        kind, value = item.kind, item.value
        if kind == ARG:
            kind = OPENED if _is_file(value) else TEXT
        if kind == TEXT:
            texts.append(value)
            continue
        p = Path(value)
        what = file_kind(p.name)
        if kind == OPENED:
            p = Path(os.path.abspath(p))
        elif what is None:                      # a dropped photo next to a link list
            continue
        try:
            if what == "manifest":
                _check_regular(p)
                manifests.append(p.resolve() if kind == OPENED else p)
            else:
                texts.append(read_link_list(p))
        except LinkListError as exc:
            problems.append(exc.problem)
    text = "\n".join(t.strip("\n") for t in texts if t.strip())
    return IncomingRead(text, manifests, problems)
