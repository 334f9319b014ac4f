"""`zhilian accounts ...`: import, list, check and remove logins (cookies), through the
facade (core/app.py ``App.account_*``) as in the desktop app.

Cookie values are never printed, only their names.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ..errors import NoKeyring, ZhilianError

_NO_KEYRING_HINT = ("the command line cannot keep logins without a keyring and never writes them "
                    "in plain text: start a keyring (gnome-keyring, KWallet) and import again, or "
                    "use the desktop app, which can keep logins for the session only")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("accounts", help="logins (cookies) for share hosts, kept in the system keyring",
                       description="Import, list, check and remove logins for share hosts. "
                                   "Cookies are kept encrypted with a key in the system keyring.")
    asub = p.add_subparsers(dest="accounts_cmd", metavar="ACTION")

    imp = asub.add_parser("import", help="import cookies for a host",
                          description="Import cookies from a Cookie header, a Netscape cookies.txt "
                                      "or a browser's 'Copy as cURL' / 'Copy as PowerShell'. "
                                      "Use '-' to read the text from standard input.")
    imp.add_argument("host", help="host the cookies belong to, e.g. pan.baidu.com")
    src = imp.add_mutually_exclusive_group(required=True)
    src.add_argument("--file", "-f", type=Path, help="cookies.txt or a file holding any supported format")
    src.add_argument("--cookie", help="a Cookie header: 'BDUSS=...; STOKEN=...'")
    src.add_argument("--curl", help="a command from the browser's 'Copy as cURL'")
    src.add_argument("stdin", nargs="?", choices=["-"], help="read the text from standard input")
    imp.set_defaults(func=_import)

    lst = asub.add_parser("list", help="list stored logins (cookie names only)")
    lst.set_defaults(func=_list)

    rm = asub.add_parser("remove", help="forget a host's login")
    rm.add_argument("host")
    rm.set_defaults(func=_remove)

    chk = asub.add_parser("check", help="does a host's login look valid?")
    chk.add_argument("host")
    chk.set_defaults(func=_check)

    st = asub.add_parser("set", help="per-account settings")
    st.add_argument("host")
    st.add_argument("--connections", type=int, metavar="N",
                    help="connections per download for this account (Baidu: 1 unless your "
                         "account is VIP; more makes ordinary accounts throttled for hours); "
                         "0 = back to the host's default")
    st.add_argument("--token", metavar="TOKEN",
                    help="API token for the host (e.g. huggingface.co, civitai.com); '-' reads it "
                         "from standard input so it stays out of the shell history; '' removes it")
    st.set_defaults(func=_set)

    p.set_defaults(func=lambda a: (p.print_help(), 2)[1])


def _print_status(st, out=sys.stdout) -> None:
    names = ", ".join(st.cookie_names) if st.cookie_names else "none"
    mark = "ok" if st.valid else "!!"
    print(f"[{mark}] {st.host} ({st.label}): {st.message}", file=out)
    print(f"     cookies: {names}", file=out)
    if st.required:
        print(f"     login needs: {', '.join(st.required)}", file=out)
    if st.expires_at:
        print(time.strftime("     expires: %Y-%m-%d %H:%M", time.localtime(st.expires_at)), file=out)
    if st.has_token:
        print("     token: stored", file=out)
    if st.settings.get("max_connections"):
        print(f"     connections: {st.settings['max_connections']}", file=out)
    if st.storage == "session":
        print("     (kept for this session only)", file=out)


def _run(method: str, *args):
    """``App().<method>(*args)`` (the facade, core/app.py), with the command line's words
    for a missing keyring."""
    from . import facade_call
    try:
        return facade_call(method, *args)
    except NoKeyring as e:
        reason = getattr(e, "reason", None)
        where = f" ({reason})" if reason else ""
        raise NoKeyring(f"No usable system keyring{where}: {_NO_KEYRING_HINT}") from None


def _import(args) -> int:
    if args.file is not None:
        try:
            text = args.file.read_text(encoding="utf-8-sig", errors="replace")
        except OSError as e:
            raise ZhilianError(f"Cannot read {args.file}: {e.strerror or e}") from None
    elif args.cookie is not None:
        text = args.cookie
    elif args.curl is not None:
        text = args.curl
    else:
        text = sys.stdin.read()
    st = _run("account_import", args.host, text)
    print(f"Imported {len(st.cookie_names)} cookies for {st.host}.")
    _print_status(st)
    return 0 if st.valid else 1


def _list(args) -> int:
    rows = _run("accounts")
    if not rows:
        print("No logins stored. Import one with: zhilian accounts import HOST --file cookies.txt")
        return 0
    for st in rows:
        _print_status(st)
    return 0


def _remove(args) -> int:
    host = _run("account_host", args.host)
    if _run("account_remove", args.host):
        print(f"Removed the login for {host}.")
        return 0
    print(f"No login stored for {host}.", file=sys.stderr)
    return 1


def _check(args) -> int:
    st = _run("account_status", args.host)
    _print_status(st)
    return 0 if st.valid else 1


def _set(args) -> int:
    if args.connections is None and args.token is None:
        print("Nothing to set: try --connections N or --token -", file=sys.stderr)
        return 2
    if args.connections is not None:
        if args.connections < 0 or args.connections > 16:
            raise ZhilianError("--connections must be between 0 and 16")
        _run("account_set", args.host, "max_connections", args.connections or None)
    if args.token is not None:
        token = sys.stdin.readline().strip() if args.token == "-" else args.token.strip()
        _run("account_token", args.host, token or None)
    _print_status(_run("account_status", args.host))
    return 0
