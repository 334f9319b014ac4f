"""Zhilian (直链): no arguments (or only links) -> the desktop app; a subcommand -> headless CLI."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    first = argv[1] if argv[:1] in (["-v"], ["--verbose"]) and len(argv) > 1 else (argv[0] if argv else "")
    if first == "get":    # its first request's TCP handshake starts now, beside the imports
        from core.preconnect import start_for_argv
        start_for_argv(argv[argv.index("get") + 1:])
    from core.invocation import ensure_std_streams
    ensure_std_streams()      # zhilian.exe (windowed) has no console: stdout/stderr are None
    if first and (first in ("-h", "--help", "--version") or not first.startswith("-")):
        # The imports make no garbage worth collecting; the collector's passes over their
        # new objects were 3.5 % of a short `get`'s instructions. Frozen afterwards, they
        # stay out of every later pass.
        import gc
        gc.disable()
        try:
            from core.commands import is_command
            known = first in ("-h", "--help", "--version") or is_command(first)
        finally:
            gc.enable()
        gc.freeze()
        if known:
            from core.commands import main as cli_main
            return cli_main(argv)
    from gui.app import run_gui
    return run_gui(argv)


def _exit_now(rc: int) -> None:
    """End a finished command without the interpreter's teardown (a tenth of a second of
    freeing modules): every file is closed by then; buffered output and logs are flushed."""
    import logging
    import os
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(rc)


if __name__ == "__main__":
    code = main()
    if sys.argv[1:2] in (["get"], ["fetch"]):   # throughput commands: their exit is timed
        _exit_now(code)
    sys.exit(code)
