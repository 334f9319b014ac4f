"""The app's log: one rotating file in the platform's log folder, every record through
the redactor (``core/redact.py``), readable by its owner only.

- File: ``paths.log_dir()/zhilian.log`` (``~/.local/state/zhilian/log`` on Linux,
  ``~/Library/Logs/zhilian`` on macOS, ``%LOCALAPPDATA%\\zhilian\\Logs`` on Windows),
  rotated at ``MAX_BYTES`` with ``BACKUPS`` older files (``zhilian.log.1`` ...), created
  with mode 0600. INFO and up; DEBUG too with ``--verbose``.
- stderr: without ``--verbose`` only WARNING and up, as one line ``zhilian: message``
  (never a traceback: that stays in the file); with it every record from DEBUG up, in the
  file's format.
- Several processes (the app, a ``main.py add``) may write the same file: a process whose
  file was rotated by another reopens the new one before its next record.
"""

from __future__ import annotations

import logging
import os
import stat
import sys
from pathlib import Path

from . import paths
from .redact import RedactingFilter, RedactingFormatter, redact_text

LOG_NAME = "zhilian.log"
MAX_BYTES = 5 << 20          # 5 MiB per file ...
BACKUPS = 3                  # ... and three older ones: at most 20 MiB of log
FILE_FORMAT = "%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s"
# ``log.error(..., extra={FILE_ONLY: True})``: for the file (and --verbose) only, because the
# program tells the user about it in its own words.
FILE_ONLY = "file_only"
# Our loggers: "zhilian.*" and the modules' own names under core/ and gui/.
OWN_LOGGERS = ("zhilian", "core", "gui")


def log_file() -> Path:
    """Where the log file is (its folder is created)."""
    return paths.log_dir() / LOG_NAME


class PrivateRotatingFileHandler(logging.FileHandler):
    """An appending log file that is created 0600, moves to ``name.1`` (``.1`` to ``.2``,
    ...) before a record would take it to ``max_bytes``, keeping ``backups`` old files,
    follows a rotation done by another process, and never raises into the program over a
    log line. (logging.handlers' own rotating handler brings pickle, queue and more along:
    3 ms of every `get`.)"""

    def __init__(self, path: Path, max_bytes: int, backups: int):
        self.max_bytes, self.backups = max_bytes, backups
        super().__init__(path, mode="a", encoding="utf-8")

    def doRollover(self) -> None:  # noqa: N802 - the name logging's handlers use
        if self.stream is not None:
            self.stream.close()
            self.stream = None
        base = self.baseFilename
        if self.backups > 0:
            for i in range(self.backups, 0, -1):   # .3 is dropped, .2 -> .3, ..., log -> .1
                src = f"{base}.{i - 1}" if i > 1 else base
                if os.path.exists(src):
                    os.replace(src, f"{base}.{i}")
        else:
            os.remove(base)
        self.stream = self._open()

    def _open(self):  # noqa: ANN202 - logging's own signature
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
        fd = os.open(self.baseFilename, flags, 0o600)
        if hasattr(os, "fchmod"):
            try:
                os.fchmod(fd, 0o600)   # a file an older version left 0644
            except OSError:
                pass
        return os.fdopen(fd, "a", encoding=self.encoding, errors=self.errors)

    def _before_write(self, n: int) -> None:
        """Follow a rotation another process made (the path is now another file, or none),
        and rotate when ``n`` more characters would take the file to ``max_bytes``: one
        stat of the path and one of the open file per record."""
        try:
            try:
                disk: os.stat_result | None = os.stat(self.baseFilename)
            except FileNotFoundError:
                disk = None
            if self.stream is not None:
                mine = os.fstat(self.stream.fileno())
                if disk is None or (disk.st_dev, disk.st_ino) != (mine.st_dev, mine.st_ino):
                    self.stream.close()
                    self.stream = self._open()
                    disk = os.fstat(self.stream.fileno())
            # (a path that is no regular file, /dev/null say, is never moved)
            if (self.max_bytes > 0 and disk is not None and stat.S_ISREG(disk.st_mode)
                    and disk.st_size > 0 and disk.st_size + n + 1 >= self.max_bytes):
                self.doRollover()
        except OSError:
            pass

    def emit(self, record: logging.LogRecord) -> None:
        try:
            msg = self.format(record)      # once: the redacting formatter is the costly part
            self._before_write(len(msg))
            if self.stream is None:
                self.stream = self._open()
            self.stream.write(msg + self.terminator)
            self.stream.flush()
        except RecursionError:
            raise
        except Exception:
            self.handleError(record)

    def handleError(self, record: logging.LogRecord) -> None:
        pass   # a full disk or a vanished folder must not break a download


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time (tests swap it)."""

    def __init__(self, level: int = logging.NOTSET):
        logging.Handler.__init__(self, level)

    @property
    def stream(self):  # noqa: ANN201
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:  # noqa: ANN001
        pass

    def handleError(self, record: logging.LogRecord) -> None:
        pass


class _OneLineFormatter(logging.Formatter):
    """``zhilian: <first line of the message>``: what a user sees without --verbose."""

    def format(self, record: logging.LogRecord) -> str:
        msg = record.getMessage().strip()
        return "zhilian: " + redact_text(msg.splitlines()[0] if msg else "")


def _mark(h: logging.Handler) -> logging.Handler:
    h._zhilian = True  # type: ignore[attr-defined]
    h.addFilter(RedactingFilter())
    return h


def file_handler(level: int = logging.INFO) -> logging.Handler:
    """The rotating, redacting, private log file handler (raises OSError when the log
    folder cannot be written)."""
    path = log_file()
    try:
        os.chmod(path.parent, 0o700)   # the folder is ours alone too
    except OSError:
        pass
    h = PrivateRotatingFileHandler(path, MAX_BYTES, BACKUPS)
    h.setLevel(level)
    h.setFormatter(RedactingFormatter(FILE_FORMAT))
    return _mark(h)


def setup(*, verbose: bool = False, console: bool = True,
          extra: tuple[logging.Handler, ...] = ()) -> Path | None:
    """Root logging for a command or the app. Replaces what an earlier call installed
    (so a second command in one process logs to its own folder). Returns the log file,
    or None when it cannot be written (logging then goes on without a file)."""
    root = logging.getLogger()
    teardown()
    if root.level == logging.NOTSET or root.level > logging.INFO:
        root.setLevel(logging.INFO)
    for name in OWN_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG if verbose else logging.NOTSET)
    logging.captureWarnings(True)    # Python's warnings go through the redactor too
    path: Path | None = None
    try:
        root.addHandler(file_handler(logging.DEBUG if verbose else logging.INFO))
        path = log_file()
    except OSError:
        path = None
    if console:
        c = _StderrHandler(logging.DEBUG if verbose else logging.WARNING)
        c.setFormatter(RedactingFormatter(FILE_FORMAT) if verbose else _OneLineFormatter())
        if not verbose:   # a record the program reports in its own words (extra={FILE_ONLY: True})
            c.addFilter(lambda r: not getattr(r, FILE_ONLY, False))
        root.addHandler(_mark(c))
    for h in extra:
        root.addHandler(_mark(h))
    return path


def teardown() -> None:
    """Remove and close what ``setup`` installed (a command run inside another program,
    e.g. a test, leaves logging as it found it)."""
    root = logging.getLogger()
    for h in [h for h in root.handlers if getattr(h, "_zhilian", False)]:
        root.removeHandler(h)
        h.close()
    for name in OWN_LOGGERS:
        logging.getLogger(name).setLevel(logging.NOTSET)
    logging.captureWarnings(False)
