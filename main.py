"""Zhilian (直链): no arguments (or only links) -> the desktop app; a subcommand -> headless CLI."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and (argv[0] in ("-h", "--help", "--version") or not argv[0].startswith("-")):
        from core.commands import commands
        if argv[0] in commands() or argv[0] in ("-h", "--help", "--version"):
            from core.commands import main as cli_main
            return cli_main(argv)
    from gui.app import run_gui
    return run_gui(argv)


if __name__ == "__main__":
    sys.exit(main())
