"""Segmented download engine.

    async with Engine(global_limit=0, per_host=16) as eng:
        dl = eng.download([Mirror(url)], Path("dir"), DownloadOptions(sha256=...),
                          on_progress=cb, refresh=None)
        path = await dl.run()      # final file, verified; raises ZhilianError subclasses
        # dl.set_limit(bps), dl.cancel() -> run() raises Cancelled, .part + journal kept

How one download works (see docs/engine.md for the reasoning):
- probe each mirror with ``Range: bytes=0-0`` (a GET: presigned URLs are signed
  for GET only) -> size, validator, Range support, file name;
- choose the target (resume from ``<name>.part.journal`` when the server's file is
  the same one, never overwrite a different existing file), check free space,
  reserve the ``.part`` with fallocate (else sparse);
- requests go through ``core/wire.py`` (a small HTTP/1.1 client: keep-alive
  pool, stall timeout, proxies), not aiohttp, so a download starts fast;
- connections start one after another (the next opens once the previous one has
  its answer); each streams one range into the ``.part`` with ``pwrite``;
  an idle connection takes the back part of the range with the longest time
  left (in proportion to speeds, never below ``min_split`` except to rescue a
  tail), and in the end game the small tail of a silent or far slower
  connection moves to an idle one, so there is no slow tail;
- every second the finished ranges go to the journal (after ``fdatasync``);
- the finished prefix is hashed while the download runs, so verification at the
  end only reads what was written last;
- rename to the final name only after size and hash match.

Progress events are ``Progress`` dataclasses, delivered to ``on_progress`` on the
engine's loop about 4 times a second and on every state change.

Code layout (docs/engine.md, "Code layout"): options.py (DownloadOptions, Progress),
engine.py (Engine), download.py (one download's supervisor), planner.py (which bytes
each connection fetches: pure, given the time), mirrors.py (which mirror), failures.py
(what a failed request means: retry, back off, drop a mirror, give up), probe.py (the
probe, what an answer means), target.py (which name; resume, pass over, or already
there), connection.py (one connection's ranges and requests), ticker.py (speed, journal
and hash ticks), partfile.py (the .part, its journal, verify and rename).
"""

from .download import Download
from .engine import Engine
from .options import (
    DEFAULT_CONNECTIONS,
    GIVE_UP_AFTER,
    MAX_CONNECTIONS,
    ConnInfo,
    DownloadOptions,
    Progress,
)
from .partfile import FLUSH_AT, SAMPLE_BYTES
from .planner import (
    BUSY_SHARE,
    FAST_STREAM,
    GROWTH_WINDOW,
    RESCUE_MIN,
    RESCUE_RTTS,
    RESCUE_SECONDS,
    TAKEOVER_RATIO,
    TAKEOVER_SILENCE,
    UNKNOWN_END,
    Planner,
    Seg,
)

__all__ = [
    "BUSY_SHARE", "DEFAULT_CONNECTIONS", "FAST_STREAM", "FLUSH_AT", "GIVE_UP_AFTER",
    "GROWTH_WINDOW", "MAX_CONNECTIONS", "RESCUE_MIN", "RESCUE_RTTS", "RESCUE_SECONDS",
    "SAMPLE_BYTES", "TAKEOVER_RATIO", "TAKEOVER_SILENCE", "UNKNOWN_END", "ConnInfo",
    "Download", "DownloadOptions", "Engine", "Planner", "Progress", "Seg",
]
