"""`main.py get URL...`: download now, in the foreground, like aria2c/curl."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

from ..engine import DownloadOptions, Engine, Progress
from ..errors import ZhilianError, human_bytes
from ..models import Mirror, Resolved
from ..ratelimit import parse_rate
from ..redact import redact_text
from ..selection import LinkOptions, apply_options, layout_dir


def register(sub) -> None:
    p = sub.add_parser("get", help="download links now (resumes automatically)",
                       description="Download one or more links into a folder. Running the same "
                                   "command again resumes; Ctrl-C stops cleanly.")
    p.add_argument("urls", nargs="+", metavar="URL", help="direct link, share link or model hub link")
    p.add_argument("-d", "--dir", help="target folder (default: current folder)")
    p.add_argument("-o", "--output", help="file name (only with one link)")
    p.add_argument("-x", "--connections", type=int, help="connections per download (1-64, default 16)")
    p.add_argument("--header", action="append", default=[], metavar="'K: V'", help="extra request header")
    p.add_argument("--referer", help="Referer header")
    p.add_argument("--user-agent", help="User-Agent header")
    p.add_argument("--cookie", help="Cookie header ('k=v; k2=v2'); sent only to the link's host")
    p.add_argument("--sha256", help="expected SHA-256 (hex)")
    p.add_argument("--md5", help="expected MD5 (hex)")
    p.add_argument("--password", help="extraction code for a share link")
    p.add_argument("--limit-rate", help="speed limit, e.g. 500K or 2M (per second)")
    p.add_argument("--per-host", type=int, default=16, help="connections per host across downloads")
    p.add_argument("--mirror", action="append", default=[], metavar="URL",
                   help="another URL of the same file (used at the same time)")
    p.add_argument("--include", action="append", default=[], metavar="PATTERN",
                   help="only files of a repo / folder whose path matches this glob "
                        "(e.g. '*.safetensors'; repeatable; like huggingface-cli)")
    p.add_argument("--exclude", action="append", default=[], metavar="PATTERN",
                   help="skip files whose path matches this glob (repeatable)")
    p.add_argument("--revision", metavar="REV", help="branch, tag or commit of a Hugging Face repo")
    p.add_argument("--ollama-dir", metavar="DIR",
                   help="Ollama models folder for ollama.com links (default: OLLAMA_MODELS or "
                        "~/.ollama/models when it exists and -d is not given)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    p.set_defaults(func=_cmd)


class _Bar:
    """One status line on a terminal, redrawn in place."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self._last = 0.0
        self._width = 0

    def __call__(self, p: Progress) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if p.state == "downloading" and now - self._last < 0.2:
            return
        self._last = now
        name = (p.filename or "")[:32]
        if p.total:
            pct = 100.0 * p.done / p.total
            fill = int(pct / 5)
            bar = "#" * fill + "-" * (20 - fill)
            amount = f"{pct:5.1f}% [{bar}] {human_bytes(p.done)}/{human_bytes(p.total)}"
        else:
            amount = human_bytes(p.done)
        eta = ""
        if p.eta is not None and p.state == "downloading":
            m, s = divmod(int(p.eta), 60)
            h, m = divmod(m, 60)
            eta = f" ETA {h}:{m:02d}:{s:02d}" if h else f" ETA {m}:{s:02d}"
        line = f"{name} {amount} {human_bytes(p.speed)}/s{eta} {len(p.connections)}c {p.state}"
        pad = max(0, self._width - len(line))
        self._width = len(line)
        sys.stderr.write("\r" + line + " " * pad)
        sys.stderr.flush()

    def done(self) -> None:
        if self.enabled and self._width:
            sys.stderr.write("\n")
            sys.stderr.flush()
            self._width = 0


def _headers(args) -> dict[str, str]:
    h: dict[str, str] = {}
    for line in args.header:
        k, sep, v = line.partition(":")
        if not sep or not k.strip():
            raise ZhilianError(f"--header wants 'Name: value', got {line!r}")
        h[k.strip()] = v.strip()
    if args.referer:
        h["Referer"] = args.referer
    if args.user_agent:
        h["User-Agent"] = args.user_agent
    if args.cookie:
        h["Cookie"] = args.cookie
    return h


async def _resolve(url: str, args, session) -> list[tuple[Resolved, object]]:
    """``session`` makes the resolvers' aiohttp session when one needs it."""
    """Share and hub links go through their resolver; plain links become one mirror."""
    from .. import resolve as resolving

    def stored() -> dict:
        # read only when the link's resolver asks for a login (never for a plain link)
        from .. import accounts
        try:
            return accounts.load_credentials()
        except ZhilianError as e:  # no keyring: continue without stored logins
            if not args.quiet:
                print(f"zhilian: note: {e}", file=sys.stderr)
            return {}

    overrides = {}
    if args.cookie:
        # a one-off login for this link's host (not stored)
        from ..accounts.hosts import normalize_host
        from ..accounts.parse import parse_cookie_header
        overrides[normalize_host(urlsplit(url).hostname or "")] = {"cookies": parse_cookie_header(args.cookie)}
    # rotated cookies go back to the keyring through the context's default saver
    ctx = resolving.make_context(session, credentials=resolving.LazyCredentials(stored, overrides))
    text = url if not args.password else f"{url} 提取码: {args.password}"
    text = apply_options(text, LinkOptions(args.include, args.exclude, args.revision))
    items = await resolving.resolve_links(text, ctx)
    return [(r, resolving.make_refresher(r, ctx)) for r in items]


async def _run(args) -> int:
    if args.output and len(args.urls) > 1:
        raise ZhilianError("-o/--output works with one link only")
    if args.connections is not None and not 1 <= args.connections <= 64:
        raise ZhilianError("-x/--connections must be between 1 and 64")
    try:
        limit = parse_rate(args.limit_rate)
    except ValueError as e:
        raise ZhilianError(str(e)) from None
    headers = _headers(args)
    show = not args.quiet and sys.stderr.isatty()
    ollama_dir = _ollama_dir(args)
    failures = 0
    async with Engine(per_host=args.per_host) as eng:
        for url in args.urls:
            bar = _Bar(show)
            try:
                jobs = await _resolve(url, args, lambda: eng.session)
                for resolved, refresher in jobs:
                    if args.mirror:
                        resolved.mirrors += [Mirror(u, priority=2) for u in args.mirror]
                    opts = DownloadOptions(connections=args.connections, sha256=args.sha256,
                                           md5=args.md5, limit=limit, filename=args.output,
                                           headers=headers)
                    base = Path(args.dir or ".")
                    if resolved.resolver == "ollama" and ollama_dir is not None:
                        base = ollama_dir
                    dl = eng.download(resolved, layout_dir(base, resolved), opts, on_progress=bar,
                                      refresh=refresher)
                    path = await dl.run()
                    bar.done()
                    if not args.quiet:
                        note = dl.message or ""
                        msg = note if note.startswith("already downloaded") else "saved"
                        if ": saving as " in note:   # the name was taken by another file
                            msg += f" ({note.split(': saving as ')[0]})"
                        print(f"{path} ({human_bytes(path.stat().st_size)}) {msg}")
            except ZhilianError as e:
                bar.done()
                print(f"zhilian: {url.split('?')[0]}: {redact_text(str(e))}", file=sys.stderr)
                failures += 1
    return 1 if failures else 0


def _ollama_dir(args) -> Path | None:
    """Where ollama.com links go: --ollama-dir, else (without -d) the local Ollama's
    models folder when it exists; None = the target folder."""
    if args.ollama_dir:
        return Path(args.ollama_dir).expanduser()
    if args.dir or not any("ollama" in u for u in args.urls):
        return None
    import os

    from ..resolvers.ollama import default_models_dir
    found = default_models_dir(dict(os.environ))
    if found is not None and not args.quiet:
        print(f"zhilian: Ollama models go to {found} (use --ollama-dir or -d to choose)", file=sys.stderr)
    return found


def _cmd(args: argparse.Namespace) -> int:
    return asyncio.run(_run(args))
