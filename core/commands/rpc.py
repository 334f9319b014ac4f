"""``main.py rpc-secret [--new]``: the secret aria2 RPC clients must send as ``token:...``
(kept in the system keyring; the desktop app shows the same one in Settings > Browser)."""

from __future__ import annotations

import argparse

from ..errors import ZhilianError
from . import facade_call


def register(sub) -> None:
    p = sub.add_parser("rpc-secret", help="show the RPC secret for browser tools and aria2 clients",
                       description="Print the secret that aria2 RPC clients (网盘直链下载助手, AriaNg, the "
                                   "browser extension) send as token:SECRET. It is kept in the system keyring.")
    p.add_argument("--new", action="store_true", help="make a new secret (clients must be given it again)")
    p.set_defaults(func=_cmd_secret)


def _cmd_secret(args: argparse.Namespace) -> int:
    info = facade_call("rpc_secret", renew=args.new)
    if not info.kept:
        raise ZhilianError(f"No usable keyring to keep the RPC secret ({info.problem}): "
                           "give one to `main.py run` with --rpc-secret")
    print(info.secret)
    return 0
