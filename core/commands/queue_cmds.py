"""Headless queue commands for servers:

    main.py add LINK... [--password CODE] [-d DIR]   queue links (share text works too)
    main.py list                                     show the queue
    main.py run [--watch]                            work through the queue, then exit
    main.py run --watch --rpc-listen-port 6800 --rpc-secret S   ... and answer aria2 RPC clients
    main.py pause ID / resume ID / retry ID / cancel ID / remove ID [--delete-file]
    main.py repair-queue                             rebuild a damaged queue database

``add``, ``pause``, ``resume``, ``retry``, ``cancel`` and ``remove`` work both with and
without a running queue (``run`` or the desktop app): a running queue is told
through the database and acts within a second.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import sys
import time

from ..errors import ZhilianError, human_bytes
from ..invocation import command
from ..ratelimit import parse_rate
from . import EXIT_STOPPED, STOP_SIGNALS, facade_call

log = logging.getLogger("zhilian.cli")


def register(sub) -> None:
    p = sub.add_parser("add", help="add links to the download queue",
                       description="Queue one or more links (or a pasted share text with its "
                                   f"extraction code). `{command('run')}` downloads them.")
    p.add_argument("links", nargs="+", metavar="LINK", help="link or pasted share text")
    p.add_argument("--password", "-p", metavar="CODE", help="extraction code (提取码) for share links")
    p.add_argument("-d", "--dir", help="target folder (default: the download folder in settings)")
    p.add_argument("-o", "--output", help="file name (one link only)")
    p.add_argument("-x", "--connections", type=int, help="connections for this download (1-64)")
    p.add_argument("--sha256", help="expected SHA-256 (hex)")
    p.add_argument("--priority", type=int, default=0, help="higher runs first (default 0)")
    p.add_argument("--limit-rate", help="speed limit for these downloads, e.g. 500K or 2M")
    p.add_argument("--time-limit", type=float, metavar="MIN", help="stop a download after MIN minutes")
    p.add_argument("--include", action="append", default=[], metavar="PATTERN",
                   help="only files of a repo / folder whose path matches this glob (repeatable)")
    p.add_argument("--exclude", action="append", default=[], metavar="PATTERN",
                   help="skip files whose path matches this glob (repeatable)")
    p.add_argument("--revision", metavar="REV", help="branch, tag or commit of a Hugging Face repo")
    p.set_defaults(func=_cmd_add)

    p = sub.add_parser("list", help="show the download queue")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=_cmd_list)

    p = sub.add_parser("run", help="download everything in the queue, then exit",
                       description="Work through the queue (resuming unfinished downloads) and "
                                   "exit when nothing is left to do. Ctrl-C stops cleanly; run "
                                   "again to resume.")
    p.add_argument("--watch", action="store_true", help="keep running and wait for new tasks")
    p.add_argument("-j", "--max-active", type=int, help="downloads at once (default from settings: 3)")
    p.add_argument("--limit-rate", help="global speed limit, e.g. 2M")
    p.add_argument("-q", "--quiet", action="store_true", help="only print finished and failed tasks")
    p.add_argument("--interval", type=float, default=2.0, help="seconds between progress lines (default 2)")
    # aria2c's own flag names, so scripts written for aria2 work (docs/browser.md)
    p.add_argument("--enable-rpc", nargs="?", const="true", choices=("true", "false"), metavar="[true|false]",
                   help="serve the aria2-compatible JSON-RPC on 127.0.0.1 (implies --watch)")
    p.add_argument("--rpc-listen-port", type=int, metavar="PORT",
                   help="RPC port (default 6800; 0 = any free port); implies --enable-rpc")
    p.add_argument("--rpc-secret", metavar="TOKEN",
                   help="RPC secret (default: the one kept in the keyring, `main.py rpc-secret` shows it)")
    p.set_defaults(func=_cmd_run)

    for name, hlp in (("pause", "pause a task"), ("resume", "resume a paused or failed task"),
                      ("retry", "retry a failed task"),
                      ("cancel", "stop a task until it is retried (its partial file is kept)")):
        p = sub.add_parser(name, help=hlp)
        p.add_argument("ids", nargs="+", type=int, metavar="ID")
        p.set_defaults(func=_cmd_control, action=name)
    p = sub.add_parser("remove", help="remove a task from the queue")
    p.add_argument("ids", nargs="+", type=int, metavar="ID")
    p.add_argument("--delete-file", action="store_true", help="also delete the file (and any partial download)")
    p.set_defaults(func=_cmd_control, action="remove")

    p = sub.add_parser("repair-queue", help="rebuild a damaged queue database",
                       description="Rebuild the queue database from its tables when part of the file "
                                   "(an index) is damaged. No task is lost; the damaged file is kept "
                                   "as a copy beside it. The queue must not be running.")
    p.set_defaults(func=_cmd_repair)


# -- helpers -----------------------------------------------------------------------

def _app():
    """The facade every front end uses (core/app.py); the commands that work without a
    running queue use its ``db_*`` methods, which go straight to the database."""
    from ..app import App
    return App()


def _fmt_eta(eta: float | None) -> str:
    if eta is None:
        return ""
    m, s = divmod(int(eta), 60)
    h, m = divmod(m, 60)
    return f"ETA {h}:{m:02d}:{s:02d}" if h else f"ETA {m}:{s:02d}"


def _amount(done: int, size: int | None) -> str:
    if size:
        return f"{100.0 * done / size:5.1f}% {human_bytes(done)}/{human_bytes(size)}"
    return human_bytes(done) if done else ""


# -- add ---------------------------------------------------------------------------

def _cmd_add(args) -> int:
    try:
        limit = parse_rate(args.limit_rate)
    except ValueError as e:
        raise ZhilianError(str(e)) from None
    if args.connections is not None and not 1 <= args.connections <= 64:
        raise ZhilianError("-x/--connections must be between 1 and 64")
    from ..selection import LinkOptions, apply_options
    text = apply_options("\n".join(args.links), LinkOptions(args.include, args.exclude, args.revision))
    views = facade_call("db_add", text, password=args.password, dest_dir=args.dir, filename=args.output,
                  connections=args.connections, sha256=args.sha256, priority=args.priority,
                  limit=int(limit), time_limit=args.time_limit * 60 if args.time_limit else None)
    for v in views:
        print(f"{v.id}\t{v.state}\t{v.link}")
    print(f"queued {len(views)} task(s); `{command('run')}` downloads them", file=sys.stderr)
    return 0


# -- list --------------------------------------------------------------------------

def _cmd_list(args) -> int:
    stored = facade_call("db_tasks")
    _print_leftovers(stored.leftovers, sys.stderr)
    views = stored.tasks
    if args.json:
        print(json.dumps([{k: getattr(v, k) for k in v.__dataclass_fields__} for v in views],
                         ensure_ascii=False, indent=1))
        return 0
    if not views:
        print(f"The queue is empty. Add links with: {command('add')} LINK...")
        return 0
    print(f"{'ID':>5}  {'STATE':<11} {'PROGRESS':<26} {'PRI':>3}  NAME")
    for v in views:
        line = f"{v.id:>5}  {v.state:<11} {_amount(v.done, v.size):<26} {v.priority:>3}  {v.name}"
        if v.error:
            line += f"  ({v.error})"
        print(line)
    counts: dict[str, int] = {}
    for v in views:
        counts[v.state] = counts.get(v.state, 0) + 1
    print(", ".join(f"{n} {s}" for s, n in sorted(counts.items())))
    return 0


# -- pause / resume / retry / remove -----------------------------------------------

def _cmd_control(args) -> int:
    rc = 0
    for c in facade_call("db_control", args.action, args.ids, getattr(args, "delete_file", False)):
        tid = c.task_id
        if c.outcome == "missing":
            print(f"zhilian: no task {tid} in the queue", file=sys.stderr)
            rc = 1
        elif c.outcome == "asked":
            print(f"{tid}: asked the running queue to {args.action} it")
        elif c.outcome == "removed":
            print(f"{tid}: removed" + (" and its file deleted" if args.delete_file else ""))
        elif c.outcome == "finished":
            print(f"zhilian: task {tid} is already finished", file=sys.stderr)
            rc = 1
        elif c.outcome == "unchanged":
            print(f"{tid}: {c.state}, nothing to do")
        else:                                   # paused, cancelled, queued
            print(f"{tid}: {c.outcome}")
    return rc


# -- repair ------------------------------------------------------------------------

def _cmd_repair(args) -> int:
    done = facade_call("db_repair")
    print(f"repaired {done.path}: {done.tasks} task(s) kept; the damaged file is saved as {done.backup}")
    return 0


def _print_leftovers(found, out) -> None:
    if not found:
        return
    print(f"zhilian: {len(found)} partial download(s) in the queue's folders belong to no task (kept, "
          "not deleted): " + "; ".join(lo.describe() for lo in found[:5])
          + (f"; and {len(found) - 5} more" if len(found) > 5 else "")
          + ". Add their link again to resume one, or delete them.", file=out, flush=True)


# -- run ---------------------------------------------------------------------------

class _Printer:
    def __init__(self, quiet: bool, interval: float):
        self.quiet, self.interval = quiet, interval
        self._last: dict[int, float] = {}
        self.failed: set[int] = set()

    def __call__(self, ev) -> None:
        t = ev.task
        if t is None:
            return
        out = sys.stdout
        if ev.kind == "finished":
            where = t.path or t.name
            note = f" ({t.error})" if t.error else ""
            print(f"[{t.id}] {t.state}: {where} ({human_bytes(t.size or 0)}){note}", file=out, flush=True)
            self.failed.discard(t.id)
        elif ev.kind == "failed":
            self.failed.add(t.id)
            print(f"[{t.id}] failed: {t.name}: {t.error}", file=out, flush=True)
        elif self.quiet:
            return
        elif ev.kind == "changed":
            msg = f" ({t.error})" if t.error else ""
            print(f"[{t.id}] {t.state} {t.name}{msg}", file=out, flush=True)
        elif ev.kind == "progress" and t.state == "downloading":
            now = time.monotonic()
            if now - self._last.get(t.id, 0.0) < self.interval:
                return
            self._last[t.id] = now
            print(f"[{t.id}] {t.name} {_amount(t.done, t.size)} {human_bytes(t.speed)}/s {_fmt_eta(t.eta)}".rstrip(),
                  file=out, flush=True)
        elif ev.kind == "removed":
            print(f"[{t.id}] removed", file=out, flush=True)


async def _run(args) -> int:
    from ..app import App
    from ..settings import load_settings
    settings = load_settings()   # a problem in the file is logged as a warning (stderr too)
    if args.max_active is not None:
        if not 1 <= args.max_active <= 50:
            raise ZhilianError("-j/--max-active must be between 1 and 50")
        settings.max_active = args.max_active
    if args.limit_rate:
        try:
            settings.global_limit = int(parse_rate(args.limit_rate))
        except ValueError as e:
            raise ZhilianError(str(e)) from None
    app = App(settings=settings)
    printer = _Printer(args.quiet, args.interval)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    def on_signal(sig: int) -> None:
        log.info("`run` stopped by %s", signal.Signals(sig).name)
        stop.set()
    # Ctrl-C, SIGTERM (systemd, docker stop) and SIGHUP (the terminal closed) all stop the
    # queue cleanly; a signal ignored from the start (nohup) stays ignored
    for sig in (signal.SIGINT, *STOP_SIGNALS):
        if sig != signal.SIGINT and signal.getsignal(sig) == signal.SIG_IGN:
            continue
        try:
            loop.add_signal_handler(sig, on_signal, int(sig))
        except (NotImplementedError, RuntimeError):  # pragma: no cover - Windows
            pass
    await app.start()
    app.subscribe(printer)
    rpc = None
    try:
        if _rpc_wanted(args):
            from ..rpc.server import start_rpc
            rpc = await start_rpc(app, port=args.rpc_listen_port, secret=await _rpc_secret(args))
            args.watch = True
            print(f"rpc: aria2-compatible JSON-RPC on {rpc.url} (WebSocket too)", flush=True)
        todo = await app.pending()
        if not args.quiet:
            print(f"queue: {len(await app.tasks())} task(s), {todo} to do", flush=True)
        _print_leftovers(await app.leftovers(), sys.stderr)
        while not stop.is_set() and await app.fault() is None:
            if not args.watch and await app.pending() == 0:
                break
            try:
                await asyncio.wait_for(stop.wait(), 0.5)
            except TimeoutError:
                pass
        stopped = stop.is_set()
    finally:
        if rpc is not None:
            await rpc.stop()
        await app.close()
    fault = await app.fault()
    if fault is not None:
        raise fault          # one line (the tasks in the database are as they were)
    if stopped:
        print(f"zhilian: stopped; `{command('run')}` again resumes", file=sys.stderr)
        return EXIT_STOPPED
    left = [t for t in await app.tasks() if t.state in ("paused", "failed")]
    if left and not args.quiet:
        print(f"queue: nothing left to run; {len(left)} task(s) paused or failed ({command('list')})", flush=True)
    return 1 if printer.failed else 0


def _rpc_wanted(args: argparse.Namespace) -> bool:
    if args.enable_rpc == "false":
        return False
    return bool(args.enable_rpc or args.rpc_listen_port is not None or args.rpc_secret is not None)


async def _rpc_secret(args: argparse.Namespace) -> str:
    if args.rpc_secret is not None:
        return args.rpc_secret
    info = await _app().rpc_secret()
    if not info.kept:
        raise ZhilianError(f"No usable keyring to keep the RPC secret ({info.problem}): give one with --rpc-secret")
    return info.secret


def _cmd_run(args: argparse.Namespace) -> int:
    return asyncio.run(_run(args))
