"""The aria2 JSON-RPC methods, answered from the download queue.

A gid is a queue task: its id, reversibly scrambled into 16 hex digits (``gid_of``), so
it is the same after a restart, looks like aria2's random gids (a short prefix names one
download) and the task shows in the desktop window like any other.
Requests and answers follow aria2's ``src/RpcMethodImpl.cc`` and ``src/rpc_helper.cc``
(aria2 1.37): the ``token:`` first parameter, every number as a string, the status names,
the error messages a client may match on ("Unauthorized"), ``system.multicall``'s
``[[result], {code, message}]`` list, pagination with negative offsets.

Status of a task as aria2 names it: queued -> ``waiting``; resolving, downloading,
verifying -> ``active``; paused -> ``paused``; done / handed off -> ``complete``;
failed -> ``error`` (stopped by the user -> ``removed``).  ``aria2.remove`` takes the
task out of the queue (its partial file is kept); it is then reported as ``removed``
until ``aria2.removeDownloadResult`` or ``purgeDownloadResult`` forgets it, as aria2
keeps its download results.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import re
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Awaitable, Callable

from ..errors import Cancelled, UnsupportedLink, ZhilianError
from ..netguard import token_matches
from ..queue.events import Event, TaskView, make_view
from ..queue.service import make_rows
from ..queue.store import ACTIVE_STATES, FINAL_STATES, display_link
from ..queue.tasks import host_of
from ..ratelimit import parse_rate
from .config import RpcConfig
from .extras import Extras, ExtrasStore

log = logging.getLogger("zhilian.rpc")

ARIA2_VERSION = "1.37.0"          # the aria2 whose RPC this follows (clients check it)
PIECE = 1 << 20                   # pieceLength reported (the engine has no fixed pieces)
MAX_RESULTS = 1000                # removed downloads remembered (aria2's --max-download-result)
STOPPED = ("complete", "error", "removed")

METHODS = (
    "aria2.addUri", "aria2.addMetalink", "aria2.remove", "aria2.forceRemove", "aria2.pause",
    "aria2.forcePause", "aria2.pauseAll", "aria2.forcePauseAll", "aria2.unpause", "aria2.unpauseAll",
    "aria2.tellStatus", "aria2.getUris", "aria2.getFiles", "aria2.tellActive", "aria2.tellWaiting",
    "aria2.tellStopped", "aria2.getOption", "aria2.changeOption", "aria2.getGlobalOption",
    "aria2.changeGlobalOption", "aria2.getGlobalStat", "aria2.purgeDownloadResult",
    "aria2.removeDownloadResult", "aria2.getVersion", "aria2.getSessionInfo", "aria2.saveSession",
    "system.multicall", "system.listMethods", "system.listNotifications",
)
NOTIFICATIONS = ("aria2.onDownloadStart", "aria2.onDownloadPause", "aria2.onDownloadStop",
                 "aria2.onDownloadComplete", "aria2.onDownloadError")
_NOTIFY_ON = {"active": "aria2.onDownloadStart", "paused": "aria2.onDownloadPause",
              "complete": "aria2.onDownloadComplete", "error": "aria2.onDownloadError",
              "removed": "aria2.onDownloadStop"}

# Headers the engine sets itself, or that must not be chosen by a client.
_NOT_FORWARDED = {"host", "content-length", "transfer-encoding", "connection", "range", "accept-encoding",
                  "te", "upgrade", "keep-alive", "proxy-authorization", "proxy-connection", "if-range"}
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")

# aria2's exit codes ("EXIT STATUS" in its manual), chosen from the task's error text.
_ERROR_CODES = [
    (re.compile(r"mismatch", re.I), "32"),
    (re.compile(r"disk space", re.I), "9"),
    (re.compile(r"HTTP 404|no longer exists|not found|no longer behind", re.I), "3"),
    (re.compile(r"HTTP 40[13]|Log in|extraction code|Link expired|not kept|captcha", re.I), "24"),
    (re.compile(r"time limit", re.I), "2"),
    (re.compile(r"HTTP 5\d\d|busy|quota|limiting", re.I), "29"),
    (re.compile(r"redirect", re.I), "23"),
    (re.compile(r"Content-Range|server sent|server answered", re.I), "22"),
    (re.compile(r"Cannot reach|source answered|connection|network", re.I), "6"),
]


class RpcError(Exception):
    """Answered as aria2 does: ``{"code": 1, "message": str(e)}``."""


UNAUTHORIZED = {"code": 1, "message": "Unauthorized"}


_MASK = (1 << 64) - 1
_MUL = 0x9E3779B97F4A7C15                  # odd: multiplying by it is a bijection mod 2**64
_MUL_INV = pow(_MUL, -1, 1 << 64)
_XOR = 0x5A17C3D2E1F00B69


def gid_of(task_id: int) -> str:
    """The task id, scrambled (reversibly) so that gids look like aria2's random ones and a
    short prefix names one download, as aria2 clients expect."""
    return f"{((task_id * _MUL) & _MASK) ^ _XOR:016x}"


def task_of(gid: str) -> int:
    return ((int(gid, 16) ^ _XOR) * _MUL_INV) & _MASK


def error_code(message: str | None) -> str:
    for rx, code in _ERROR_CODES:
        if message and rx.search(message):
            return code
    return "1"


def aria2_status(v: Any) -> str:
    """From a TaskView or a TaskRow (both have ``state`` and ``error``)."""
    if v.state in ACTIVE_STATES:
        return "active"
    if v.state == "queued":
        return "waiting"
    if v.state == "paused":
        return "paused"
    if v.state in FINAL_STATES:
        return "complete"
    return "removed" if v.error == Cancelled().message else "error"


def _is(value: Any, kind: type) -> bool:
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, kind)


def _param(p: list, i: int, kind: type, required: bool = False) -> Any:
    if len(p) > i:
        if not _is(p[i], kind):
            raise RpcError(f"The parameter at {i} has wrong type.")
        return p[i]
    if required:
        raise RpcError(f"The parameter at {i} is required but missing.")
    return None


def _opt(value: Any) -> str | None:
    """An option value as aria2 reads it (clients also send booleans and numbers)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    return None


def _keys(p: list, i: int) -> list[str]:
    keys = _param(p, i, list) or []
    return [k for k in keys if isinstance(k, str)]


@dataclass
class AddOptions:
    folder: Path
    filename: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    connections: int | None = None
    sha256: str | None = None
    md5: str | None = None
    limit: int = 0
    paused: bool = False


@dataclass
class _Adding:
    """The tasks of one add call, checked and not stored yet."""
    rows: list[Any]
    extras: Extras
    pos: int | None = None


@dataclass
class _Removed:
    view: TaskView
    time: float


class Aria2Api:
    """The methods; ``call(request)`` answers one JSON-RPC request object."""

    def __init__(self, app: Any, config: RpcConfig, secret: str, extras: ExtrasStore,
                 clock: Callable[[], float] = time.time):
        # ``app``: the facade (core/app.py App) this RPC is a front end of. Queue commands go
        # through it; reads of the task table (rows, live progress, settings) through the
        # queue it drives. (The facade hosts the RPC, so this package does not import it.)
        self.app = app
        self.svc = self.app.queue
        self.config = config
        self.secret = secret
        self.extras = extras
        self.clock = clock
        self.session_id = secrets.token_hex(20)
        self.notify: Callable[[str, str], None] | None = None     # (method, gid) -> WebSocket sessions
        self._removed: OrderedDict[int, _Removed] = OrderedDict()
        self._folders: dict[str | None, Path] | None = None     # `dir` checked, during a multicall
        self._status: dict[int, str] = {tid: aria2_status(r) for tid, r in self.svc.rows.items()}
        self._table: dict[str, Callable[[list], Awaitable[Any]]] = {
            name: getattr(self, "m_" + name.split(".", 1)[1]) for name in METHODS if name.startswith("aria2.")}
        self._unsubscribe = self.app.subscribe(self._on_event)
        self.svc.source_hooks.append(extras.apply)

    def close(self) -> None:
        self._unsubscribe()
        if self.extras.apply in self.svc.source_hooks:
            self.svc.source_hooks.remove(self.extras.apply)

    # -- requests ---------------------------------------------------------------------
    async def call(self, req: dict) -> tuple[dict, bool]:
        """One request object -> (response object, authorized)."""
        if "id" not in req:
            return _error(-32600, "Invalid Request.", None), True
        rid = req["id"]
        method = req.get("method")
        if not isinstance(method, str):
            return _error(-32600, "Invalid Request.", rid), True
        params = req.get("params", [])
        if not isinstance(params, list):
            return _error(-32602, "Invalid params.", rid), True
        ok, result, authorized = await self.execute(method, list(params))
        if ok:
            return {"id": rid, "jsonrpc": "2.0", "result": result}, authorized
        return {"id": rid, "jsonrpc": "2.0", "error": result}, authorized

    async def execute(self, method: str, params: list) -> tuple[bool, Any, bool]:
        """(succeeded, result or {code, message}, authorized)."""
        if method == "system.listMethods":
            return True, list(METHODS), True
        if method == "system.listNotifications":
            return True, list(NOTIFICATIONS), True
        if method == "system.multicall":
            return await self._multicall(params)
        if not self._authorized(params):
            return False, dict(UNAUTHORIZED), False
        fn = self._table.get(method)
        try:
            if fn is None:
                raise RpcError(f"No such method: {method}")
            return True, await fn(params), True
        except (RpcError, ZhilianError) as e:
            return False, {"code": 1, "message": str(e)}, True
        except Exception as e:      # a bug must not take the server down; no parameters logged
            log.exception("RPC method %s failed", method)
            return False, {"code": 1, "message": f"{e.__class__.__name__}: internal error"}, True

    def _authorized(self, params: list) -> bool:
        """aria2: a first parameter "token:..." is taken off the list and checked."""
        token = None
        if params and isinstance(params[0], str) and params[0].startswith("token:"):
            token = params.pop(0)[6:]
        return token_matches(token, self.secret)

    async def _multicall(self, params: list) -> tuple[bool, Any, bool]:
        """aria2's system.multicall.  Runs of addUri calls are stored together (one
        transaction, one duplicate check), each still answered on its own."""
        try:
            specs = _param(params, 0, list, True)
        except RpcError as e:
            return False, {"code": 1, "message": str(e)}, True
        out: list[Any] = []
        authorized = True
        batch: list[tuple[int, _Adding]] = []
        self._folders = {}
        try:
            for spec in specs:
                name = spec.get("methodName") if isinstance(spec, dict) else None
                if name == "aria2.addUri":
                    p = list(spec["params"]) if isinstance(spec.get("params"), list) else []
                    if not self._authorized(p):
                        authorized = False
                        out.append(dict(UNAUTHORIZED))
                        continue
                    try:
                        batch.append((len(out), self._prepare_uri(p)))
                        out.append(None)
                    except (RpcError, ZhilianError) as e:
                        out.append({"code": 1, "message": str(e)})
                    continue
                await self._flush(batch, out)
                authorized = await self._one_of_many(spec, out) and authorized
            await self._flush(batch, out)
        finally:
            self._folders = None
        return True, out, authorized

    async def _flush(self, batch: list[tuple[int, _Adding]], out: list[Any]) -> None:
        if not batch:
            return
        try:
            for (i, adding), ids in zip(batch, self._store([a for _, a in batch])):
                await self._place(ids[0], adding.pos)
                out[i] = [gid_of(ids[0])]
        except (RpcError, ZhilianError) as e:
            for i, _ in batch:
                out[i] = out[i] or {"code": 1, "message": str(e)}
        batch.clear()

    async def _one_of_many(self, spec: Any, out: list[Any]) -> bool:
        """One call of a multicall, answered into ``out``; returns whether it was authorized."""
        if not isinstance(spec, dict):
            out.append({"code": 1, "message": "system.multicall expected struct."})
            return True
        name = spec.get("methodName")
        if not isinstance(name, str):
            out.append({"code": 1, "message": "Missing methodName."})
            return True
        if name == "system.multicall":
            out.append({"code": 1, "message": "Recursive system.multicall forbidden."})
            return True
        p = spec.get("params")
        ok, result, auth = await self.execute(name, list(p) if isinstance(p, list) else [])
        out.append([result] if ok else result)
        return auth

    # -- gids -----------------------------------------------------------------------------
    def _tid(self, gid: str) -> int:
        s = gid.lower()
        if not s or len(s) > 16 or any(c not in "0123456789abcdef" for c in s):
            raise RpcError(f"Invalid GID {gid}")
        known = [*self.svc.rows, *self._removed]
        if len(s) == 16:
            tid = task_of(s)
            if tid in self.svc.rows or tid in self._removed:
                return tid
            raise RpcError(f"GID {gid} is not found")
        hits = [t for t in known if gid_of(t).startswith(s)]
        if not hits:
            raise RpcError(f"GID {gid} is not found")
        if len(hits) > 1:
            raise RpcError(f"GID {gid} is not unique")
        return hits[0]

    def _view(self, tid: int) -> TaskView | None:
        row = self.svc.rows.get(tid)
        return make_view(row, self.svc.live.get(tid)) if row is not None else None

    # -- status entries ---------------------------------------------------------------------
    def _files(self, v: TaskView, status: str) -> list[dict]:
        path = v.path or str(Path(v.dest_dir) / v.name)
        used = "used" if status != "waiting" and status != "paused" else "waiting"
        uris = [{"uri": v.link, "status": used}]
        extra = self.extras.cached(v.id)
        if extra is not None:
            uris += [{"uri": display_link(u), "status": "waiting"} for u in extra.mirrors]
        return [{"index": "1", "path": path, "length": str(v.size or 0), "completedLength": str(v.done),
                 "selected": "true", "uris": uris}]

    def _entry(self, v: TaskView, status: str, keys: list[str]) -> dict:
        want = (lambda k: True) if not keys else (lambda k: k in keys)
        live = self.svc.live.get(v.id) if status == "active" else None
        total = v.size or 0
        d: dict[str, Any] = {}
        if want("gid"):
            d["gid"] = gid_of(v.id)
        if want("status"):
            d["status"] = status
        if want("totalLength"):
            d["totalLength"] = str(total)
        if want("completedLength"):
            d["completedLength"] = str(v.done)
        if want("uploadLength"):
            d["uploadLength"] = "0"
        if want("downloadSpeed"):
            d["downloadSpeed"] = str(int(v.speed)) if status == "active" else "0"
        if want("uploadSpeed"):
            d["uploadSpeed"] = "0"
        if want("connections"):
            prog = getattr(live, "progress", None)
            d["connections"] = str(len(prog.connections)) if prog is not None else "0"
        if want("pieceLength"):
            d["pieceLength"] = str(PIECE)
        if want("numPieces"):
            d["numPieces"] = str(-(-total // PIECE))
        if status in STOPPED:
            if want("errorCode"):
                d["errorCode"] = {"complete": "0", "removed": "31"}.get(status) or error_code(v.error)
            if want("errorMessage"):
                d["errorMessage"] = "" if status == "complete" else (v.error or "")
        if want("dir"):
            d["dir"] = v.dest_dir
        if want("files"):
            d["files"] = self._files(v, status)
        return d

    def _lookup(self, tid: int) -> tuple[TaskView, str]:
        v = self._view(tid)
        if v is not None:
            return v, aria2_status(v)
        return self._removed[tid].view, "removed"

    def _ordered(self, states: tuple[str, ...]) -> list[Any]:
        rows = [r for r in self.svc.rows.values() if r.state in states]
        rows.sort(key=lambda r: (-r.priority, r.position, r.id))
        return rows

    def _stopped(self) -> list[Any]:
        """complete, error and removed downloads (task rows and removed views), oldest first
        as aria2 lists its results."""
        out: list[tuple[float, int, Any]] = [
            (r.finished or r.updated or r.created, r.id, r) for r in self.svc.rows.values()
            if r.state in FINAL_STATES or r.state == "failed"]
        out += [(rm.time, tid, rm.view) for tid, rm in self._removed.items()]
        out.sort(key=lambda t: (t[0], t[1]))
        return [x for _, _, x in out]

    @staticmethod
    def _page(items: list, offset: int, num: int) -> list:
        """aria2's getPaginationRange: a negative offset counts from the end, result reversed."""
        if num <= 0:
            return []
        if offset < 0:
            temp = offset + len(items)
            if temp < 0:
                return []
            offset = temp - (num - 1)
            if offset < 0:
                offset, num = 0, temp + 1
            return items[offset:offset + num][::-1]
        return items[offset:offset + num]

    def _paged(self, p: list) -> tuple[int, int, list[str]]:
        offset = _param(p, 0, int, True)
        num = _param(p, 1, int, True)
        if num < 0:
            raise RpcError("The integer parameter at 1 has invalid value: "
                           "the value must be greater than or equal to 0.")
        return offset, num, _keys(p, 2)

    # -- adding ----------------------------------------------------------------------------
    def _folder(self, text: str | None) -> Path:
        if self._folders is not None:
            if text not in self._folders:
                self._folders[text] = self._check_folder(text)
            return self._folders[text]
        return self._check_folder(text)

    def _check_folder(self, text: str | None) -> Path:
        base = self.svc.settings.download_path()
        if text is None or not text.strip():
            return base.expanduser().resolve()
        p = Path(text.strip()).expanduser()
        if not p.is_absolute():
            p = base / p
        real = Path(os.path.realpath(p))
        roots = [Path(os.path.realpath(Path(r).expanduser())) for r in [str(base), *self.config.allowed_dirs]]
        if not any(real == r or real.is_relative_to(r) for r in roots):
            raise RpcError(f"Refused: dir {text!r} is outside the download folder ({base}) and the folders "
                           "allowed in Settings > Browser")
        return real

    def _options(self, opts: dict, uris: list[str]) -> AddOptions:
        o = {k: _opt(v) for k, v in opts.items() if k != "header"}
        o = {k: v for k, v in o.items() if v is not None}
        a = AddOptions(folder=self._folder(o.get("dir")))
        out = o.get("out")
        if out:
            parts = [x for x in out.replace("\\", "/").split("/") if x not in ("", ".")]
            if not parts or ".." in parts or out.startswith(("/", "\\")):
                raise RpcError(f"Refused: out {out!r} must be a file name inside dir")
            if len(parts) > 1:
                a.folder = self._folder(str(a.folder.joinpath(*parts[:-1])))
            a.filename = parts[-1]
        raw = opts.get("header")
        lines = [raw] if isinstance(raw, str) else [h for h in (raw or []) if isinstance(h, str)]
        if o.get("referer"):
            lines.append("Referer: " + (uris[0] if o["referer"] == "*" else o["referer"]))
        if o.get("user-agent"):
            lines.append("User-Agent: " + o["user-agent"])
        for line in lines:
            name, sep, value = line.partition(":")
            name, value = name.strip(), value.strip()
            if not sep or not _TOKEN.match(name) or any(c in value for c in "\r\n\0"):
                raise RpcError("Refused: a header must be one line 'Name: value'")
            if name.lower() not in _NOT_FORWARDED:
                a.headers = {k: v for k, v in a.headers.items() if k.lower() != name.lower()}
                a.headers[name] = value
        split, per_server = _int_opt(o, "split"), _int_opt(o, "max-connection-per-server")
        if per_server:
            per_server *= len(uris)
        conns = min(x for x in (split, per_server) if x) if (split or per_server) else None
        a.connections = min(conns, 64) if conns else None
        checksum = o.get("checksum")
        if checksum:
            algo, _, digest = checksum.partition("=")
            algo = algo.strip().lower().replace("_", "-")
            if algo in ("sha-256", "sha256"):
                a.sha256 = digest.strip()
            elif algo == "md5":
                a.md5 = digest.strip()
            else:
                raise RpcError(f"checksum type {algo!r} is not supported: use sha-256=HEX or md5=HEX")
        if o.get("max-download-limit"):
            a.limit = int(_rate(o["max-download-limit"], "max-download-limit"))
        a.paused = o.get("pause", "false").lower() == "true"
        return a

    def _prepare(self, text: str, a: AddOptions, extras: Extras, pos: int | None = None,
                 sha256: str | None = None, md5: str | None = None) -> _Adding:
        try:
            rows = make_rows(text, settings=self.svc.settings, dest_dir=a.folder, filename=a.filename,
                             connections=a.connections, sha256=sha256 or a.sha256, md5=md5 or a.md5,
                             limit=a.limit)
        except UnsupportedLink:
            raise RpcError("No URI to download.") from None
        if any(not (r.real_link or "").lower().startswith(("http://", "https://")) for r in rows):
            raise RpcError("No URI to download.")
        if len(rows) == 1 and _plain_url(text):
            r = rows[0]
            r.link = r.real_link = text.strip()    # as the client sent it, not as prose is cut
            r.host = host_of(r.real_link)
        for r in rows:
            if a.paused:
                r.state = "paused"
        return _Adding(rows, extras, pos)

    def _store(self, batch: list[_Adding]) -> list[list[int]]:
        """Queues the prepared calls at once; each call's task ids."""
        rows = [r for b in batch for r in b.rows]
        ids = self.svc.add_rows(rows)
        first: dict[tuple, int] = {}
        for i, r in enumerate(rows):       # the same link twice in one batch: one task
            key = (r.real_link, r.dest_dir, r.filename)
            if ids[i] == -1:
                ids[i] = first[key]
            first.setdefault(key, ids[i])
        out, i = [], 0
        for b in batch:
            mine, i = ids[i:i + len(b.rows)], i + len(b.rows)
            if b.extras:
                for tid in mine:
                    self.extras.put(tid, b.extras)
            out.append(mine)
        return out

    async def _place(self, tid: int, pos: int | None) -> None:
        if pos is None:
            return
        waiting = [r.id for r in self._ordered(("queued", "paused")) if r.id != tid]
        if pos < len(waiting):
            await self.app.move(tid, before_id=waiting[pos])

    def _prepare_uri(self, p: list) -> _Adding:
        """addUri's parameters checked and turned into tasks (not stored yet)."""
        uris = [u.strip() for u in _param(p, 0, list, True) if isinstance(u, str) and u.strip()]
        opts = _param(p, 1, dict) or {}
        pos = _param(p, 2, int)
        if pos is not None and pos < 0:
            raise RpcError("Position must be greater than or equal to 0.")
        if not uris:
            raise RpcError("URI is not provided.")
        a = self._options(opts, uris)
        mirrors = [u for u in uris[1:] if _plain_url(u)]
        return self._prepare(uris[0], a, Extras(dict(a.headers), mirrors), pos)

    async def m_addUri(self, p: list) -> str:
        adding = self._prepare_uri(p)
        ids = self._store([adding])[0]
        await self._place(ids[0], adding.pos)
        return gid_of(ids[0])

    async def m_addMetalink(self, p: list) -> list[str]:
        import base64
        import binascii

        from ..manifest import load_manifest
        data = _param(p, 0, str, True)
        opts = _param(p, 1, dict) or {}
        pos = _param(p, 2, int)
        if pos is not None and pos < 0:
            raise RpcError("Position must be greater than or equal to 0.")
        try:
            text = base64.b64decode(data, validate=False).decode("utf-8-sig")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise RpcError("The Metalink document must be base64-encoded UTF-8 XML") from None
        if not text.lstrip().startswith("<"):
            raise RpcError("Not a Metalink document")
        files = load_manifest(text + "\n")      # the text itself, never read as a path
        a = self._options(opts, ["metalink"])
        batch = []
        for f in files:
            if not f.mirrors:
                continue
            folder = self._folder(str(a.folder / Path(f.rel_path).parent))
            fa = dataclasses.replace(a, folder=folder, filename=f.filename)
            extras = Extras(dict(a.headers), [m.url for m in f.mirrors[1:]])
            batch.append(self._prepare(f.mirrors[0].url, fa, extras, sha256=f.sha256, md5=f.md5))
        if not batch:
            raise RpcError("No file to download in the Metalink document")
        gids = [gid_of(ids[0]) for ids in self._store(batch)]
        await self._place(task_of(gids[0]), pos)
        return gids

    # -- control ----------------------------------------------------------------------------
    async def _remove(self, p: list) -> str:
        tid = self._tid(_param(p, 0, str, True))
        v = self._view(tid)
        if v is None or aria2_status(v) in STOPPED:
            raise RpcError(f"Active Download not found for GID#{gid_of(tid)}")
        await self.app.remove(tid, delete_file=False)
        return gid_of(tid)

    m_remove = m_forceRemove = _remove

    async def _pause(self, p: list) -> str:
        tid = self._tid(_param(p, 0, str, True))
        v = self._view(tid)
        if v is None or aria2_status(v) not in ("active", "waiting"):
            raise RpcError(f"GID#{gid_of(tid)} cannot be paused now")
        await self.app.pause(tid)
        return gid_of(tid)

    m_pause = m_forcePause = _pause

    async def _pause_all(self, p: list) -> str:
        await self.app.pause_all()
        return "OK"

    m_pauseAll = m_forcePauseAll = _pause_all

    async def m_unpause(self, p: list) -> str:
        tid = self._tid(_param(p, 0, str, True))
        v = self._view(tid)
        if v is None or v.state != "paused":
            raise RpcError(f"GID#{gid_of(tid)} cannot be unpaused now")
        await self.app.resume(tid)
        return gid_of(tid)

    async def m_unpauseAll(self, p: list) -> str:
        await self.app.resume_all()
        return "OK"

    # -- status -----------------------------------------------------------------------------
    async def m_tellStatus(self, p: list) -> dict:
        tid = self._tid(_param(p, 0, str, True))
        keys = _keys(p, 1)
        v, status = self._lookup(tid)
        return self._entry(v, status, keys)

    async def m_getFiles(self, p: list) -> list:
        v, status = self._lookup(self._tid(_param(p, 0, str, True)))
        return self._files(v, status)

    async def m_getUris(self, p: list) -> list:
        tid = self._tid(_param(p, 0, str, True))
        v = self._view(tid)
        if v is None:
            raise RpcError(f"No URI data is available for GID#{gid_of(tid)}")
        return self._files(v, aria2_status(v))[0]["uris"]

    async def m_tellActive(self, p: list) -> list:
        keys = _keys(p, 0)
        live = self.svc.live
        return [self._entry(make_view(r, live.get(r.id)), "active", keys) for r in self._ordered(ACTIVE_STATES)]

    async def m_tellWaiting(self, p: list) -> list:
        offset, num, keys = self._paged(p)
        page = self._page(self._ordered(("queued", "paused")), offset, num)
        return [self._entry(v, aria2_status(v), keys) for v in (make_view(r) for r in page)]

    async def m_tellStopped(self, p: list) -> list:
        offset, num, keys = self._paged(p)
        page = self._page(self._stopped(), offset, num)      # views made for the page only
        views = [x if isinstance(x, TaskView) else make_view(x) for x in page]
        return [self._entry(v, "removed" if v.id in self._removed else aria2_status(v), keys) for v in views]

    async def m_getGlobalStat(self, p: list) -> dict:
        rows = list(self.svc.rows.values())
        active = [r for r in rows if r.state in ACTIVE_STATES]
        speed = sum(int(getattr(self.svc.live.get(r.id), "speed", 0) or 0) for r in active)
        waiting = sum(1 for r in rows if r.state in ("queued", "paused"))
        stopped = sum(1 for r in rows if r.state in FINAL_STATES or r.state == "failed") + len(self._removed)
        return {"downloadSpeed": str(speed), "uploadSpeed": "0", "numActive": str(len(active)),
                "numWaiting": str(waiting), "numStopped": str(stopped), "numStoppedTotal": str(stopped)}

    # -- options ------------------------------------------------------------------------------
    async def m_getGlobalOption(self, p: list) -> dict:
        from ..http import USER_AGENT
        s = self.svc.settings
        conns = s.connections or 16
        return {"dir": str(s.download_path()), "max-concurrent-downloads": str(s.max_active),
                "max-overall-download-limit": str(int(s.global_limit)), "max-download-limit": "0",
                "split": str(conns), "max-connection-per-server": str(conns), "max-tries": str(s.max_retries),
                "retry-wait": str(int(s.retry_delay)), "continue": "true", "user-agent": USER_AGENT,
                "enable-rpc": "true", "rpc-listen-all": "false", "rpc-listen-port": str(self.config.port),
                "max-download-result": str(MAX_RESULTS), "pause": "false"}

    async def m_changeGlobalOption(self, p: list) -> str:
        o = {k: _opt(v) for k, v in (_param(p, 0, dict, True)).items()}
        if o.get("max-overall-download-limit") is not None:
            await self.app.set_global_limit(_rate(o["max-overall-download-limit"], "max-overall-download-limit"))
        n = _int_opt(o, "max-concurrent-downloads")
        if n is not None:
            if not 1 <= n <= 50:
                raise RpcError("max-concurrent-downloads must be from 1 to 50")
            await self.app.apply_settings(dataclasses.replace(self.svc.settings, max_active=n))
        return "OK"

    async def m_getOption(self, p: list) -> dict:
        tid = self._tid(_param(p, 0, str, True))
        v, _ = self._lookup(tid)
        out = {"dir": v.dest_dir, "out": v.name, "max-download-limit": str(v.limit)}
        if v.connections:
            out["split"] = out["max-connection-per-server"] = str(v.connections)
        if v.sha256:
            out["checksum"] = f"sha-256={v.sha256}"
        return out

    async def m_changeOption(self, p: list) -> str:
        tid = self._tid(_param(p, 0, str, True))
        o = {k: _opt(v) for k, v in (_param(p, 1, dict, True)).items()}
        if tid not in self.svc.rows:
            raise RpcError(f"Cannot change option for GID#{gid_of(tid)}")
        if o.get("max-download-limit") is not None:
            await self.app.set_task_limit(tid, _rate(o["max-download-limit"], "max-download-limit"))
        n = _int_opt(o, "split") or _int_opt(o, "max-connection-per-server")
        if n:
            await self.app.set_connections(tid, min(n, 64))
        return "OK"

    # -- results and the rest -------------------------------------------------------------------
    async def m_purgeDownloadResult(self, p: list) -> str:
        for r in list(self.svc.rows.values()):
            if r.state in FINAL_STATES or r.state == "failed":
                await self.app.remove(r.id, delete_file=False)
        self._removed.clear()
        return "OK"

    async def m_removeDownloadResult(self, p: list) -> str:
        tid = self._tid(_param(p, 0, str, True))
        v = self._view(tid)
        if tid in self._removed:
            del self._removed[tid]
        elif v is not None and aria2_status(v) in STOPPED:
            await self.app.remove(tid, delete_file=False)
        else:
            raise RpcError(f"Could not remove download result of GID#{gid_of(tid)}")
        return "OK"

    async def m_getVersion(self, p: list) -> dict:
        from .. import __version__
        return {"version": ARIA2_VERSION, "enabledFeatures": ["HTTPS", "Message Digest", "Metalink"],
                "zhilian": __version__}

    async def m_getSessionInfo(self, p: list) -> dict:
        return {"sessionId": self.session_id}

    async def m_saveSession(self, p: list) -> str:
        return "OK"        # the queue is saved with every change

    # -- queue events -> notifications ------------------------------------------------------------
    def _on_event(self, ev: Event) -> None:
        if ev.kind == "progress":
            return
        tid = ev.task_id
        if ev.kind == "removed":
            prev = self._status.pop(tid, None)
            self.extras.drop(tid)
            if prev in ("active", "waiting", "paused") and ev.task is not None:
                self._removed[tid] = _Removed(ev.task, self.clock())
                while len(self._removed) > MAX_RESULTS:
                    self._removed.popitem(last=False)
                self._send("removed", tid)
            return
        if ev.task is None:
            return
        new = aria2_status(ev.task)
        prev = self._status.get(tid)
        self._status[tid] = new
        if new == "complete":
            self.extras.drop(tid)
        if ev.kind != "added" and new != prev:
            self._send(new, tid)

    def _send(self, status: str, tid: int) -> None:
        method = _NOTIFY_ON.get(status)
        if method and self.notify is not None:
            self.notify(method, gid_of(tid))


def _error(code: int, message: str, rid: Any) -> dict:
    return {"id": rid, "jsonrpc": "2.0", "error": {"code": code, "message": message}}


def _plain_url(text: str) -> bool:
    t = text.strip()
    return t.lower().startswith(("http://", "https://")) and not any(c.isspace() for c in t)


def _int_opt(o: dict, name: str) -> int | None:
    v = o.get(name)
    if v is None:
        return None
    try:
        n = int(v)
    except ValueError:
        raise RpcError(f"We encountered a problem while processing the option '--{name}'.") from None
    if n < 1:
        raise RpcError(f"We encountered a problem while processing the option '--{name}'.")
    return n


def _rate(text: str, name: str) -> float:
    try:
        return parse_rate(text)
    except ValueError:
        raise RpcError(f"We encountered a problem while processing the option '--{name}'.") from None
