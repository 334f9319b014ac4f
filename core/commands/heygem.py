"""`main.py heygem detect|status|start|deploy`: local HeyGem / Wav2Lip installs.

    heygem detect [DIR...]                 find installs (common places + the folders given)
    heygem status DIR [--verify]           model files present / missing / bad; running or not
    heygem start DIR                       start it with its own command; wait until it answers
    heygem catalog [KIND]                  known model files, sizes, hashes (or "pinned locally")
    heygem deploy --to DIR [--manifest F]  free-space check, download, hand off, [--start]

detect, status and catalog go through the facade (core/app.py ``App.heygem_*``) like the
desktop app; start and deploy run in the foreground until done or Ctrl-C, as `get` does
(docs/architecture.md says why they call core.heygem directly).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time

from ..errors import human_bytes
from . import facade_call


def register(sub) -> None:
    p = sub.add_parser("heygem", help="local HeyGem / Wav2Lip installs: detect, status, start, deploy",
                       description="Find local HeyGem / Wav2Lip installs, check their model files, "
                                   "start them and deploy models in one command.")
    g = p.add_subparsers(dest="heygem_command", metavar="ACTION")

    d = g.add_parser("detect", help="find installs (common places and the folders given)")
    d.add_argument("dirs", nargs="*", metavar="DIR", help="folders to check (added by hand)")
    d.add_argument("--no-search", action="store_true", help="check only the folders given")
    d.add_argument("--json", action="store_true")
    d.set_defaults(func=_detect)

    s = g.add_parser("status", help="model files and whether the app is running")
    s.add_argument("dir", metavar="DIR")
    s.add_argument("--verify", action="store_true", help="also hash files with a known sha256")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=_status)

    st = g.add_parser("start", help="start the install with its own start command")
    st.add_argument("dir", metavar="DIR")
    st.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for it to answer")
    st.set_defaults(func=_start)

    c = g.add_parser("catalog", help="the model files Zhilian knows for each kind of install")
    c.add_argument("kind", nargs="?", choices=["webui", "linux_hack", "wav2lip", "docker"])
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=_catalog)

    dp = g.add_parser("deploy", help="check free space, download missing models, hand off, start")
    dp.add_argument("--to", required=True, metavar="DIR", help="the install's folder")
    dp.add_argument("--manifest", metavar="FILE",
                    help="model manifest (YAML); default: the catalog's known sources for this kind")
    dp.add_argument("--start", action="store_true", help="start the app when everything is in place")
    dp.add_argument("-x", "--connections", type=int, help="connections per download")
    dp.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for the app to answer")
    dp.add_argument("-q", "--quiet", action="store_true")
    dp.set_defaults(func=_deploy)
    p.set_defaults(func=lambda a: (p.print_help(), 2)[1])


def _detect(args: argparse.Namespace) -> int:
    installs, problems = facade_call("heygem_detect", args.dirs, search_common=not args.no_search)
    for msg in problems:
        print(f"zhilian: {msg}", file=sys.stderr)
    if args.json:
        print(json.dumps([i.to_dict() for i in installs], ensure_ascii=False, indent=1))
    else:
        if not installs:
            print("No HeyGem or Wav2Lip install found. Give its folder: zhilian heygem detect DIR")
        for i in installs:
            port = f", port {i.port}" if i.port else ""
            print(f"{i.label}: {i.path}{port}")
            if not i.handoff or i.kind == "wav2lip":
                print(f"  {i.explanation}")
    return 1 if problems and not installs else 0


def _status(args: argparse.Namespace) -> int:
    from ..heygem.status import format_status
    inst, st = facade_call("heygem_status", args.dir, verify=args.verify)
    if args.json:
        print(json.dumps({"install": inst.to_dict(), "running": st.running, "health": st.health,
                          "complete": st.complete,
                          "files": [{"path": f.rel_path, "state": f.state, "detail": f.detail,
                                     "size": f.size, "last_handoff": f.last_handoff} for f in st.files]},
                         ensure_ascii=False, indent=1))
    else:
        print(format_status(st))
    return 0


def _catalog(args: argparse.Namespace) -> int:
    from ..heygem.detect import KIND_LABELS
    cats = facade_call("heygem_catalog")
    kinds = [args.kind] if args.kind else list(cats)
    if args.json:
        out = {k: [{"name": e.name, "target": e.target, "size": e.expected_size()[0],
                    "size_origin": e.expected_size()[1], "sha256": e.expected_sha256()[0],
                    "sha256_origin": e.expected_sha256()[1], "sources": e.sources, "notes": e.notes}
                   for e in cats[k].entries] for k in kinds if k in cats}
        print(json.dumps(out, ensure_ascii=False, indent=1))
        return 0
    for k in kinds:
        cat = cats.get(k)
        if cat is None:
            continue
        print(f"{KIND_LABELS.get(k, k)} ({k}):")
        if cat.images:
            print(f"  Docker images: {', '.join(cat.images)} (weights inside; no file hand-off)")
        for e in cat.entries:
            print(f"  {e.describe()}")
            for u in e.sources:
                print(f"      from {u}")
    return 0


def _start(args: argparse.Namespace) -> int:
    from ..heygem.detect import require_install
    from ..heygem.health import start
    inst = require_install(args.dir)
    res = start(inst, timeout=args.timeout)
    print(res.message)
    return 0


class _DeployBar:
    def __init__(self, enabled: bool):
        self.enabled = enabled
        self._last = 0.0

    def __call__(self, item, p) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if getattr(p, "state", "") == "downloading" and now - self._last < 0.5:
            return
        self._last = now
        total = getattr(p, "total", None)
        pct = f"{100.0 * p.done / total:5.1f}%" if total else human_bytes(p.done)
        print(f"  {item.rel_path}: {pct} {human_bytes(getattr(p, 'speed', 0))}/s {p.state}",
              file=sys.stderr, flush=True)


def _deploy(args: argparse.Namespace) -> int:
    from ..heygem.deploy import deploy, plan_from_catalog, plan_from_manifest
    from ..heygem.detect import require_install
    inst = require_install(args.to)
    items = plan_from_manifest(inst, args.manifest) if args.manifest else plan_from_catalog(inst)

    def say(s: str) -> None:
        print(s, flush=True)

    report = asyncio.run(deploy(inst, items, start=args.start, say=say,
                                on_progress=_DeployBar(not args.quiet),
                                connections=args.connections, start_timeout=args.timeout))
    print(f"done: {len(report.placed)} placed, {len(report.already)} already in place")
    return 0
