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


@functools.cache
def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="zhilian", description="Zhilian (直链) download manager")
    p.add_argument("--version", action="version", version=f"zhilian {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    for mod in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if mod.name.startswith("_"):
            continue
        m = importlib.import_module(f"{__name__}.{mod.name}")
        if hasattr(m, "register"):
            m.register(sub)
    return p


def commands() -> set[str]:
    """Every subcommand name (a module may register several)."""
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return set(sub.choices)


def main(argv: list[str]) -> int:
    parser = build_parser()
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
