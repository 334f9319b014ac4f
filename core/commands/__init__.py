"""Headless CLI. Each module ``core/commands/<name>.py`` defines
``register(subparsers)`` which adds its subcommand and sets ``func`` (a plain
function taking the parsed args and returning an exit code).  Adding a command
touches no other file."""

from __future__ import annotations

import argparse
import functools
import importlib
import pkgutil
import sys

from .. import __version__
from ..errors import ZhilianError


def _module_names() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))


@functools.cache
def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The CLI parser; with ``only``, just the command module of that name (a faster
    start for ``get`` and friends: the other commands' imports are not needed)."""
    p = argparse.ArgumentParser(prog="zhilian", description="Zhilian (直链) download manager")
    p.add_argument("--version", action="version", version=f"zhilian {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    for name in ([only] if only else _module_names()):
        m = importlib.import_module(f"{__name__}.{name}")
        if hasattr(m, "register"):
            m.register(sub)
    return p


def _choices(parser: argparse.ArgumentParser) -> set[str]:
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return set(sub.choices)


def parser_for(command: str | None) -> argparse.ArgumentParser:
    """The smallest parser that knows ``command``: its own module when one is named
    after it, else every module."""
    if command and command in _module_names():
        p = build_parser(command)
        if command in _choices(p):
            return p
    return build_parser()


def is_command(name: str) -> bool:
    return name in _choices(parser_for(name))


def main(argv: list[str]) -> int:
    parser = parser_for(argv[0] if argv and not argv[0].startswith("-") else None)
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except ZhilianError as e:
        print(f"zhilian: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("zhilian: stopped; run the same command again to resume", file=sys.stderr)
        return 130
