"""Headless CLI. Each module ``core/commands/<name>.py`` defines
``register(subparsers)`` which adds its subcommand and sets ``func`` (a plain
function taking the parsed args and returning an exit code).  Adding a command
touches no other file.

Every command also takes ``-v/--verbose`` (debug records on stderr), writes the log file
(``core/logsetup.py``), stops on SIGTERM and SIGHUP the way it stops on Ctrl-C, and turns
an unexpected exception into one line that names the log file (exit code
``EXIT_INTERNAL``)."""

from __future__ import annotations

import argparse
import functools
import importlib
import logging
import os
import signal
import sys
from pathlib import Path

from .. import __version__
from ..errors import ZhilianError
from ..invocation import ensure_std_streams, program_name
from ..redact import redact_text

log = logging.getLogger("zhilian.cli")

EXIT_INTERNAL = 70   # sysexits.h EX_SOFTWARE: an unexpected error (a bug), details in the log
# A clean stop (Ctrl-C, SIGTERM, SIGHUP) exits with 130 whatever the signal: the files are
# closed, the journals written, and the same command resumes; the log names the signal.
EXIT_STOPPED = 130
STOP_SIGNALS = tuple(s for s in (getattr(signal, "SIGTERM", None), getattr(signal, "SIGHUP", None))
                     if s is not None)


class _Answer:
    """A facade call's answer, as the result of ``asyncio.run``'s main task. On Python 3.11,
    ``asyncio.run`` puts back the SIGINT handler at its end and ``signal.signal`` formats the
    handler it replaces with ``%r``: a partial holding the main task, whose repr holds the
    task's result. For `list` of 10 000 tasks that was the whole queue, twice: 0.25 s."""
    __slots__ = ("value",)

    def __repr__(self) -> str:
        return "<answer>"


def facade_call(method: str, *args, **kwargs):
    """``App().<method>(...)`` of the facade every front end uses (core/app.py), run to its
    end: one command, one event loop."""
    import asyncio

    from ..app import App

    async def call() -> _Answer:
        answer = _Answer()
        answer.value = await getattr(App(), method)(*args, **kwargs)
        return answer
    return asyncio.run(call()).value


def _module_names() -> list[str]:
    import pkgutil
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))


def _command_module(name: str):
    """The module ``core/commands/<name>.py``, or None when there is none (without listing
    the folder: `get` starts sooner)."""
    if not name.isidentifier() or name.startswith("_"):
        return None
    full = f"{__name__}.{name}"
    try:
        return importlib.import_module(full)
    except ModuleNotFoundError as e:
        if e.name == full:
            return None
        raise


def _add_verbose(parser: argparse.ArgumentParser, top: bool = False) -> None:
    """``-v/--verbose`` on ``parser`` and every subcommand below it."""
    if not any("--verbose" in a.option_strings for a in parser._actions):
        parser.add_argument("-v", "--verbose", action="store_true",
                            default=False if top else argparse.SUPPRESS,
                            help="also show the log's debug records on stderr (secrets masked)")
    for a in parser._actions:
        if isinstance(a, argparse._SubParsersAction):
            for sp in a.choices.values():
                _add_verbose(sp)


def _columns() -> int:
    """The terminal's width as shutil.get_terminal_size gives it (COLUMNS, else the
    terminal of stdout, else 80), without importing shutil: argparse imports it for the
    first argument added, when no width is given, and `get` needs it nowhere else."""
    try:
        n = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        n = 0
    if n <= 0:
        try:
            n = os.get_terminal_size(sys.__stdout__.fileno()).columns
        except (AttributeError, ValueError, OSError):
            n = 0
    return n or 80


class _HelpFormatter(argparse.HelpFormatter):
    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24,
                 width: int | None = None):
        super().__init__(prog, indent_increment, max_help_position,
                         _columns() - 2 if width is None else width)


class _Parser(argparse.ArgumentParser):
    """argparse's parser with a help formatter that reads the width itself; subcommands'
    parsers are of this class too (add_parser makes its parent's class)."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("formatter_class", _HelpFormatter)
        super().__init__(*args, **kwargs)


@functools.cache
def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The CLI parser; with ``only``, just the command module of that name (a faster
    start for ``get`` and friends: the other commands' imports are not needed)."""
    p = _Parser(prog=program_name(), description="Zhilian (直链) download manager")
    p.add_argument("--version", action="version", version=f"zhilian {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    for name in ([only] if only else _module_names()):
        m = _command_module(name)
        if m is not None and hasattr(m, "register"):
            m.register(sub)
    _add_verbose(p, top=True)
    return p


def _choices(parser: argparse.ArgumentParser) -> set[str]:
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return set(sub.choices)


def parser_for(command: str | None) -> argparse.ArgumentParser:
    """The smallest parser that knows ``command``: its own module when one is named
    after it, else every module."""
    if command and _command_module(command) is not None:
        p = build_parser(command)
        if command in _choices(p):
            return p
    return build_parser()


def is_command(name: str) -> bool:
    return name in _choices(parser_for(name))


class _StopOnSignals:
    """SIGTERM and SIGHUP stop a command like Ctrl-C: the handler raises SIGINT, so what
    the command does on Ctrl-C happens (asyncio.run cancels its main task, so downloads
    close their files and write their journals; a loop's own SIGINT handler stops it;
    elsewhere KeyboardInterrupt is raised). A signal that was ignored when the command
    started (``nohup``) stays ignored."""

    def __init__(self) -> None:
        self.signum = signal.SIGINT
        self._old: dict[int, object] = {}

    def __enter__(self) -> _StopOnSignals:
        for sig in STOP_SIGNALS:
            try:
                if signal.getsignal(sig) == signal.SIG_IGN:
                    continue
                self._old[sig] = signal.signal(sig, self._handle)
            except (ValueError, OSError):   # not the main thread, or not on this system
                pass
        return self

    def _handle(self, signum: int, frame) -> None:  # noqa: ANN001
        self.signum = signum
        if not callable(signal.getsignal(signal.SIGINT)):   # SIGINT ignored (a background job)
            raise KeyboardInterrupt
        signal.raise_signal(signal.SIGINT)

    def __exit__(self, *exc) -> None:
        for sig, old in self._old.items():
            try:
                signal.signal(sig, old)  # type: ignore[arg-type]
            except (ValueError, OSError, TypeError):
                pass


def _first_command(argv: list[str]) -> str | None:
    return next((a for a in argv if not a.startswith("-")), None)


def _unexpected(e: BaseException, command: str, logfile: Path | None) -> int:
    from ..logsetup import FILE_ONLY
    log.error("unexpected error in `%s`", command, exc_info=(type(e), e, e.__traceback__),
              extra={FILE_ONLY: True})
    what = redact_text(str(e).strip().splitlines()[0] if str(e).strip() else "")
    what = f"{e.__class__.__name__}: {what}" if what else e.__class__.__name__
    where = f"the details are in {logfile}" if logfile else "no log file could be written"
    print(f"zhilian: unexpected error ({what[:200]}); {where}", file=sys.stderr)
    return EXIT_INTERNAL


def main(argv: list[str]) -> int:
    ensure_std_streams()
    parser = parser_for(_first_command(argv))
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    from .. import logsetup
    logfile = logsetup.setup(verbose=bool(getattr(args, "verbose", False)))
    try:
        return _run(args, logfile)
    finally:
        logsetup.teardown()


def _run(args: argparse.Namespace, logfile: Path | None) -> int:
    command = str(args.command)
    log.info("zhilian %s: `%s` started (Python %s, %s)", __version__, command,
             sys.version.split()[0], sys.platform)
    with _StopOnSignals() as stop:
        try:
            rc = int(args.func(args) or 0)
            log.info("`%s` ended with exit code %d", command, rc)
            return rc
        except ZhilianError as e:
            log.info("`%s` failed: %s", command, e)
            print(f"zhilian: {redact_text(str(e))}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            log.info("`%s` stopped by %s (exit code %d)", command, signal.Signals(stop.signum).name,
                     EXIT_STOPPED)
            print("zhilian: stopped; run the same command again to resume", file=sys.stderr)
            return EXIT_STOPPED
        except Exception as e:   # a bug: one line for the user, the traceback in the log
            return _unexpected(e, command, logfile)
