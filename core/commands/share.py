"""`main.py share FILE`, `main.py serve`, `main.py shares ...`: signed direct links.

``share`` registers the file in the share store and prints its link for the
address of the running ``serve`` (or the configured host:port when none runs);
the running server reads the store on every request, so the link works at once.

Every share operation goes through the facade (core/app.py ``App.share_*``), as in the
desktop app; only the checks of option values (core.share.limits: pure functions of
the text given) are called directly.
"""

from __future__ import annotations

import asyncio
import getpass
import signal
import sys
from typing import Any, Callable

from ..errors import ZhilianError, human_bytes
from ..invocation import command


def _limits():
    # imported when used: the share package pulls in aiohttp, which commands that never
    # share should not pay for at start-up
    from ..share import limits
    return limits


def _rate(text: str | None) -> int:
    return _limits().rate(text)


def _when(ts: Any) -> str:
    return _limits().when_text(ts)


def _check(args, **checks: Callable[[Any, Any], Any]) -> None:
    """Replace each named option's text by its checked value, before anything happens:
    ``checks`` maps an option to a function of (core.share.limits, text). A bad value stops
    the command with one sentence naming the option."""
    from ..share.store import ShareError
    lim = _limits()
    for name, check in checks.items():
        value = getattr(args, name, None)
        if value is None:
            continue
        try:
            setattr(args, name, check(lim, value))
        except ShareError as e:
            flag = "-n" if name == "n" else "--" + name.replace("_", "-")
            raise ShareError(f"{flag}: {e}") from None


def _expiry(lim, text):
    return lim.duration(text, "expiry")


def _speed(lim, text):
    return lim.rate(text)


def _port(lim, text):
    return lim.port(text)


def _host(lim, text):
    return lim.host(text) or ""


LITERAL_PASSWORD_WARNING = ("warning: a password typed on the command line is visible to other "
                            "users of this computer (process list) and stays in the shell history; "
                            "prefer --ask-password, --password - (stdin) or --password-file FILE")


def _add_password_options(p, what: str) -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument("--password", metavar="PW",
                   help=f"ask downloaders for a password ({what}); '-' reads it from stdin. "
                        "A literal PW is visible in the process list: prefer the other ways")
    g.add_argument("--password-file", metavar="FILE", help="read the password from FILE (first line)")
    g.add_argument("--ask-password", action="store_true", help="type the password without echo")


def _first_line(text: str) -> str:
    return text.split("\n", 1)[0].removesuffix("\r")


def _password(args, long_running: bool = False) -> str | None:
    """The password from a prompt, stdin, a file or (refused for a long-running process,
    which would show it in `ps` for hours) the command line."""
    if getattr(args, "ask_password", False):
        pw = getpass.getpass("Password for the link: ")
        if pw != getpass.getpass("Again: "):
            raise ZhilianError("The passwords differ")
        return _limits().password(pw)
    if getattr(args, "password_file", None):
        try:
            with open(args.password_file, encoding="utf-8") as fh:
                pw = _first_line(fh.read(_limits().MAX_PASSWORD_CHARS + 2))
        except (OSError, UnicodeDecodeError, ValueError) as e:
            raise ZhilianError(f"Cannot read the password file {args.password_file!r}: "
                               f"{getattr(e, 'strerror', None) or e}") from None
        if not pw:
            raise ZhilianError(f"The password file {args.password_file} is empty")
        return _limits().password(pw)
    if args.password == "-":
        try:
            pw = _first_line(sys.stdin.readline(_limits().MAX_PASSWORD_CHARS + 2))
        except (OSError, ValueError, AttributeError) as e:     # closed or no stdin
            raise ZhilianError(f"Cannot read the password from stdin: {e}") from None
        if not pw:
            raise ZhilianError("No password on stdin")
        return _limits().password(pw)
    if args.password:
        if long_running:
            raise ZhilianError("A password on the command line would stay visible in the process "
                               "list for as long as the server runs; use --ask-password, "
                               "--password - (stdin) or --password-file FILE")
        print(LITERAL_PASSWORD_WARNING, file=sys.stderr)
        return _limits().password(args.password)
    return None


def _do(coro):
    """One facade call run to its end."""
    return asyncio.run(coro)


def _session(app, args) -> None:
    if getattr(args, "session_secret", False):
        _do(app.share_session_secret())


def _app(args=None):
    """The facade; with ``--lan`` its share server settings open to the local network
    (for this command only)."""
    from ..app import App
    app = App()
    if args is not None and getattr(args, "lan", False):
        _do(app.share_config()).lan = True
    return app


# -- share ---------------------------------------------------------------------

def register(sub) -> None:
    p = sub.add_parser("share", help="share a file as a signed, expiring direct link",
                       description="Share a file and print its link. The link is served by a "
                                   f"running `serve` (start one with: {command('serve')}), or by this "
                                   "command itself with --serve.")
    p.add_argument("file", help="the file to share")
    p.add_argument("--expires", default=None, metavar="DURATION",
                   help="lifetime of the link: 30m, 24h, 7d, 1w (at most 3650d) or never "
                        "(default: 24h)")
    _add_password_options(p, "HTTP Basic; any user name")
    p.add_argument("--limit-rate", metavar="SPEED",
                   help="speed cap for this share, e.g. 2M (1K to 10G)")
    p.add_argument("--qr", action="store_true", help="also print a QR code of the link")
    p.add_argument("--serve", action="store_true", help="serve now, in the foreground, until Ctrl-C")
    p.add_argument("--lan", action="store_true",
                   help="with --serve: open to the local network (default: this computer only)")
    p.add_argument("--port",
                   help="with --serve: port to listen on; without: make the link for the "
                        "server running on this port")
    p.add_argument("--session-secret", action="store_true",
                   help="no keyring: sign with a key kept in memory (links die with the server; "
                        "needs --serve)")
    p.set_defaults(func=_cmd_share)


def _cmd_share(args) -> int:
    _check(args, expires=_expiry, limit_rate=_speed, port=_port)
    if args.session_secret and not args.serve:
        raise ZhilianError("--session-secret needs --serve: a key kept in memory dies with this command")
    app = _app(args)
    _session(app, args)
    if args.serve:
        password = _password(args, long_running=True)
        if args.port is not None:
            _do(app.share_config()).port = args.port
        return _serve(app, args, share_args=args, password=password)
    if args.port is not None:
        _do(app.share_link_port(args.port))
    link = _do(app.share_create(args.file, expires=args.expires, password=_password(args),
                                limit_bps=_rate(args.limit_rate)))
    print(link.url)
    _describe(link)
    if args.qr:
        print(_do(app.share_qr_text(link.url)), file=sys.stderr)
    running, _base, _lan = _do(app.share_server_status())
    if not running:
        where = f" on port {args.port}" if args.port is not None else ""
        print(f"note: no share server is running{where}; links work once `{command('serve')}` runs",
              file=sys.stderr)
    return 0


def _describe(link) -> None:
    s = link.share
    bits = [f"id {s.id}", human_bytes(s.size), f"expires {_when(s.expires)}"]
    if s.has_password:
        bits.append("password required")
    if s.limit_bps:
        bits.append(f"capped at {human_bytes(s.limit_bps)}/s")
    print(f"  {s.name}: " + ", ".join(bits), file=sys.stderr)


# -- serve ---------------------------------------------------------------------

def register_serve(sub) -> None:
    p = sub.add_parser("serve", help="run the share server (headless)",
                       description="Serve shared files until Ctrl-C. Shares added with "
                                   f"`{command('share')}` while it runs work at once.")
    p.add_argument("--port", help="port (default from settings: 8770; 0: any free port)")
    p.add_argument("--lan", action="store_true",
                   help="open to the local network (default: this computer only)")
    p.add_argument("--public-host", help="host name or address to put in links")
    p.add_argument("--limit-rate", metavar="SPEED",
                   help="global speed cap for all shares, e.g. 10M (1K to 10G)")
    p.add_argument("--qr", action="store_true", help="print a QR code of the server address")
    p.add_argument("--session-secret", action="store_true",
                   help="no keyring: sign with a key kept in memory (links die with the server)")
    p.set_defaults(func=_cmd_serve)


def _cmd_serve(args) -> int:
    _check(args, port=_port, public_host=_host, limit_rate=_speed)
    app = _app(args)
    _session(app, args)
    cfg = _do(app.share_config())
    if args.port is not None:
        cfg.port = args.port
    if args.public_host:
        cfg.public_host = args.public_host
    if args.limit_rate:
        cfg.global_limit_bps = _rate(args.limit_rate)
    return _serve(app, args)


def _serve(app, args, share_args=None, password: str | None = None) -> int:
    async def run() -> int:
        cfg = await app.share_config()
        # the stop signals are caught before the server listens: a Ctrl-C (or SIGTERM, or
        # SIGHUP, which the command turns into one) from then on is a clean stop
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, stop.set)
            except (NotImplementedError, RuntimeError):  # Windows
                pass
        srv = await app.share_serve_here()
        try:
            port = srv.port
            base = srv.link_base()
            where = "the local network" if cfg.lan else "this computer only"
            print(f"Serving shares on {cfg.bind_host}:{port} ({where}); links use {base}",
                  file=sys.stderr, flush=True)
            if cfg.global_limit_bps:
                print(f"  speed cap for all shares: {human_bytes(cfg.global_limit_bps)}/s",
                      file=sys.stderr)
            if getattr(args, "qr", False) or (cfg.lan and share_args is None):
                print(await app.share_qr_text(base), file=sys.stderr)
            if share_args is not None:
                link = await app.share_create(share_args.file, expires=share_args.expires,
                                              password=password, limit_bps=_rate(share_args.limit_rate))
                print(srv.url_for(link.share), flush=True)
                _describe(link)
                if share_args.qr or cfg.lan:       # phones on the LAN scan it
                    print(await app.share_qr_text(srv.url_for(link.share)), file=sys.stderr)
            elif await app.share_session_in_use():
                links, _problem = await app.share_list()
                for link in links:
                    print(srv.url_for(link.share), flush=True)
            print("Press Ctrl-C to stop.", file=sys.stderr, flush=True)
            await stop.wait()
        finally:
            await srv.stop()
        print("Share server stopped.", file=sys.stderr)
        return 0

    try:
        return asyncio.run(run())
    except KeyboardInterrupt:
        return 0


# -- shares ----------------------------------------------------------------------

def register_shares(sub) -> None:
    p = sub.add_parser("shares", help="list, revoke and watch shares",
                       description="Manage shared files and watched folders.")
    ss = p.add_subparsers(dest="shares_cmd", metavar="ACTION")
    lst = ss.add_parser("list", help="active shares with their links")
    lst.add_argument("--all", action="store_true", help="also expired, revoked and missing ones")
    lst.set_defaults(func=_cmd_list)
    rv = ss.add_parser("revoke", help="stop a link at once")
    rv.add_argument("ids", nargs="+", metavar="ID")
    rv.set_defaults(func=_cmd_revoke)
    w = ss.add_parser("watch", help="share every new file of a folder (e.g. HeyGem outputs/)")
    w.add_argument("folder")
    w.add_argument("--expires", default=None, metavar="DURATION",
                   help="lifetime of each file's link (default: 24h; 'never' allowed)")
    _add_password_options(w, "for every link of this folder")
    w.add_argument("--limit-rate", metavar="SPEED",
                   help="speed cap for each of these shares (1K to 10G)")
    w.add_argument("--no-recursive", action="store_true", help="ignore sub-folders")
    w.add_argument("--retention-days", metavar="N",
                   help="with --retention: act on files older than N days")
    w.add_argument("--retention", choices=("delete", "archive"),
                   help="remove (delete) or move (archive) old files; off unless given")
    w.add_argument("--archive-dir", help="where --retention archive moves old files")
    w.set_defaults(func=_cmd_watch)
    ws = ss.add_parser("watches", help="list watched folders")
    ws.set_defaults(func=_cmd_watches)
    uw = ss.add_parser("unwatch", help="stop watching a folder (its links are revoked)")
    uw.add_argument("id")
    uw.add_argument("--keep-links", action="store_true", help="keep the links made so far")
    uw.set_defaults(func=_cmd_unwatch)
    pr = ss.add_parser("prune", help="apply retention now and report the freed space")
    pr.add_argument("--dry-run", action="store_true", help="only say what would be removed")
    pr.set_defaults(func=_cmd_prune)
    lg = ss.add_parser("log", help="who fetched what (access log)")
    lg.add_argument("-n", default=20, help="last N entries")
    lg.set_defaults(func=_cmd_log)
    rk = ss.add_parser("rotate-key", help="new signing key: every existing link stops working")
    rk.set_defaults(func=_cmd_rotate)
    tk = ss.add_parser("token", help="print the control API token (for local scripts)")
    tk.set_defaults(func=lambda a: (print(_do(_app().share_control_token())), 0)[1])
    cf = ss.add_parser("config", help="show or change server settings")
    cf.add_argument("--port")
    cf.add_argument("--lan", dest="lan", action="store_true", default=None,
                    help="open to the local network")
    cf.add_argument("--no-lan", dest="lan", action="store_false", help="this computer only")
    cf.add_argument("--public-host", help="host in links ('' to detect)")
    cf.add_argument("--limit-rate", metavar="SPEED",
                    help="global speed cap (0 = none; 1K to 10G)")
    cf.add_argument("--default-expires", metavar="DURATION")
    cf.set_defaults(func=_cmd_config)
    p.set_defaults(func=lambda a: (p.print_help(), 2)[1])


def _cmd_list(args) -> int:
    import time

    links, problem = _do(_app().share_list(include_inactive=args.all))
    if problem:                               # no keyring: the shares, without their links
        print(f"note: links cannot be shown: {problem}", file=sys.stderr)
    if not links:
        print("No active shares." if not args.all else "No shares.", file=sys.stderr)
        return 0
    now = time.time()
    for link in links:
        s = link.share
        state = s.state(now)
        extra = " [password]" if s.has_password else ""
        if s.watch_id:
            extra += " [watched]"
        print(f"{s.id}  {state:8}  {human_bytes(s.size):>10}  expires {_when(s.expires):16}  "
              f"{s.downloads} dl  {s.name}{extra}")
        if state == "active" and link.url:
            print(f"    {link.url}")
    return 0


def _cmd_revoke(args) -> int:
    app = _app()
    for i in args.ids:
        s = _do(app.share_revoke(i))
        print(f"revoked {s.id} ({s.name})")
    return 0


def _cmd_watch(args) -> int:
    _check(args, expires=_expiry, limit_rate=_speed,
           retention_days=lambda lim, t: lim.retention_days(t))
    app = _app()
    if args.retention and not args.retention_days:
        raise ZhilianError("--retention needs --retention-days N")
    if args.retention_days and not args.retention:
        raise ZhilianError("--retention-days needs --retention delete or --retention archive")
    w = _do(app.share_watch(args.folder, expires=args.expires, password=_password(args),
                            limit_bps=_rate(args.limit_rate), recursive=not args.no_recursive,
                            retention_days=args.retention_days, retention_action=args.retention,
                            archive_dir=args.archive_dir))
    print(f"watching {w.folder} (id {w.id}); new files are shared by the running server")
    if w.retention_action:
        print(f"  retention: {w.retention_action} files older than {w.retention_days:g} days")
    for link in _do(app.share_scan()):
        print(link.url)
    return 0


def _cmd_watches(args) -> int:
    ws = _do(_app().share_watches())
    if not ws:
        print("No watched folders.", file=sys.stderr)
    for w, n in ws:
        ret = (f"retention {w.retention_action} > {w.retention_days:g} d" if w.retention_action
               else "retention off")
        print(f"{w.id}  {w.folder}  {n} active share(s), {ret}")
    return 0


def _cmd_unwatch(args) -> int:
    _do(_app().share_unwatch(args.id, revoke_shares=not args.keep_links))
    print(f"stopped watching {args.id}")
    return 0


def _cmd_prune(args) -> int:
    reports = _do(_app().share_retention(dry_run=args.dry_run))
    if not reports:
        print("No watched folder has retention turned on.", file=sys.stderr)
        return 0
    total = 0
    for r in reports:
        print(r.summary())
        total += r.bytes
    print(f"total: {'would free' if args.dry_run else 'freed'} {human_bytes(total)}")
    return 1 if any(r.errors for r in reports) else 0


def _cmd_log(args) -> int:
    _check(args, n=lambda lim, t: lim.log_lines(t))
    for rec in _do(_app().share_access_log(args.n)):
        print(f"{rec.get('time')}  {rec.get('client'):15}  {rec.get('status')}  "
              f"{human_bytes(rec.get('bytes', 0)):>10}  {rec.get('share')}  {rec.get('name')}"
              + (f"  ({rec['reason']})" if rec.get("reason") else ""))
    return 0


def _cmd_rotate(args) -> int:
    _do(_app().share_rotate_key())
    print("New signing key: every link made before no longer works "
          f"(see new links with: {command('shares', 'list')})")
    return 0


def _cmd_config(args) -> int:
    _check(args, port=lambda lim, t: lim.port(t, allow_zero=False), public_host=_host,
           limit_rate=_speed, default_expires=lambda lim, t: (lim.duration(t, "expiry"), t)[1])
    app = _app()
    cfg = _do(app.share_config())
    if args.port is not None:
        cfg.port = args.port
    if args.lan is not None:
        cfg.lan = args.lan
    if args.public_host is not None:
        cfg.public_host = args.public_host or None
    if args.limit_rate is not None:
        cfg.global_limit_bps = _rate(args.limit_rate)
    if args.default_expires is not None:
        cfg.default_expires = args.default_expires
    if any(v is not None for v in (args.port, args.lan, args.public_host, args.limit_rate,
                                   args.default_expires)):
        _do(app.share_save_config())
    for k, v in vars(cfg).items():
        print(f"{k} = {v}")
    print(f"(settings file: {_do(app.share_config_path())}; a running server picks changes up when restarted)")
    return 0


