"""How this process was started: the program name to show in messages, the arguments a
desktop launcher passes (``file:`` URLs), and standard streams that may be missing.

- ``program_name()`` is the command a user types to run Zhilian the way they started it:
  ``zhilian`` (the .deb's launcher, or the bundle found on PATH), ``./zhilian`` (the
  unpacked portable build), ``zhilian-cli`` (Windows; the windowed ``zhilian.exe`` points
  at its console twin), ``.venv/bin/python main.py`` or ``./run.sh`` (a source checkout).
  Messages that tell the user what to run next use ``command("run")``.
- ``path_from_arg()`` turns a ``file:`` URL into a local path. Desktop entries pass ``%U``,
  so "Open with Zhilian", a file dropped on the launcher and a second start all hand over
  ``file:///home/me/My%20links.txt`` rather than a path.
- ``ensure_std_streams()``: a windowed Windows program (``zhilian.exe``) has no console, so
  ``sys.stdout``/``sys.stderr`` are ``None``; every ``.write()``/``.isatty()`` would raise.
  They are replaced by the null device (output discarded, not a terminal).
"""

from __future__ import annotations

import ntpath
import os
import sys
from pathlib import Path
from urllib.parse import unquote_to_bytes, urlsplit

# Set by run.sh (the checkout's launcher) to the name it was started as.
PROG_ENV = "ZHILIAN_PROG"


def _quote(word: str) -> str:
    if sys.platform == "win32":
        return f'"{word}"' if any(c in word for c in ' \t&()[]{}^=;!\'+,`~') else word
    import shlex  # (imported here: `get` starts faster without what it does not use)
    return shlex.quote(word)


def program_name() -> str:
    """The command that runs this program again, as the user started it: ``argv[0]`` as
    typed (a name found on PATH stays a bare name, ``./zhilian`` stays relative)."""
    forced = os.environ.get(PROG_ENV, "").strip()
    if forced:
        return forced
    argv0 = sys.argv[0] if sys.argv and sys.argv[0] else ""
    if not getattr(sys, "frozen", False) and argv0.endswith(".py"):
        # a source checkout: `python main.py`, with the interpreter as it was typed
        orig = getattr(sys, "orig_argv", None) or [sys.executable]
        return f"{_quote(orig[0] or 'python')} {_quote(argv0)}"
    if argv0 in ("", "-c", "-m"):
        return "zhilian"
    if os.path.isabs(argv0):
        # A script started by name from PATH arrives as its full path (the kernel passes that
        # to the interpreter): when the bare name still finds this very file, use the name.
        name = (ntpath if sys.platform == "win32" else os.path).basename(argv0)
        import shutil
        found = shutil.which(name)
        try:
            if found and os.path.samefile(found, argv0):
                argv0 = name
        except OSError:
            pass
    if getattr(sys, "frozen", False) and sys.platform == "win32":
        folder, name = ntpath.split(argv0)
        stem, ext = ntpath.splitext(name)
        if stem.lower() == "zhilian":
            # the windowed desktop app cannot print: commands are for its console twin
            argv0 = ntpath.join(folder, f"{stem}-cli{ext}") if folder else f"{stem}-cli{ext}"
    return _quote(argv0)


def command(*args: str) -> str:
    """``command("run")`` -> ``zhilian run`` (or ``zhilian-cli.exe run``, …)."""
    return " ".join([program_name(), *args])


def path_from_arg(arg: str) -> str:
    """A ``file:`` URL of this machine as a local path; anything else unchanged.

    Accepts ``file:///abs/path``, ``file://localhost/abs/path`` and ``file:/abs/path``,
    percent-encoded (spaces, CJK names) as file managers send them. On Windows
    ``file:///C:/dir/x.txt`` becomes ``C:\\dir\\x.txt`` and ``file://server/share/x`` a UNC
    path. A ``file:`` URL naming another host (on Linux/macOS) is left as it is.
    """
    if arg[:5].lower() != "file:":
        return arg
    parts = urlsplit(arg)
    host = parts.netloc
    raw = os.fsdecode(unquote_to_bytes(parts.path))
    if sys.platform == "win32":
        if len(raw) >= 3 and raw[0] == "/" and raw[2] == ":" and raw[1].isalpha():
            raw = raw[1:]                       # /C:/x -> C:/x
        if host and host.lower() != "localhost":
            raw = f"//{host}{raw}"              # UNC: \\server\share\x
        return str(Path(raw))
    if host and host.lower() != "localhost":
        return arg
    if not raw.startswith("/"):
        return arg
    return raw


def ensure_std_streams() -> None:
    """Give ``sys.stdout``/``sys.stderr``/``sys.stdin`` the null device where the process
    has none (a windowed Windows executable, ``pythonw``), so progress lines, messages and
    logging never fail on ``None``: output is discarded, ``isatty()`` is False, and
    ``fileno()`` works for code that needs a real file. Streams that exist are left alone."""
    for name, mode in (("stdout", "w"), ("stderr", "w"), ("stdin", "r")):
        if getattr(sys, name, None) is None:
            # lives as long as the process, like the stream it stands in for
            setattr(sys, name, open(os.devnull, mode, encoding="utf-8", errors="replace"))  # noqa: SIM115


__all__ = ["PROG_ENV", "command", "ensure_std_streams", "path_from_arg", "program_name"]
