"""Hand a finished model file to a local HeyGem / Wav2Lip install, verified and atomically.

Order of work (each step can refuse with a message a person understands):

1. content check: empty file, HTML page, Git LFS pointer, JSON error body, a ``.pth`` that is
   neither a zip archive (``PK\\x03\\x04``, with its end-of-archive record, so a truncated one
   is caught) nor a pickle (``\\x80\\x02``…) -> refused.  Nothing is ever unpickled.
2. sha256 of the file (progress reported); the expected hash (manifest), then the catalog's or
   the locally pinned one, and the known size are compared.
3. placement: same filesystem -> ``os.replace`` (instant); other filesystem -> copy into a
   temporary file in the target folder, fsync, re-hash from disk, ``os.replace``.  An
   identical file already there -> nothing to do; a different one -> kept as a dated backup
   (hard link, so the old name is never empty).  A kill -9 at any moment leaves the old file
   or the new one under the target name, never a truncated one.
4. record: appended atomically to ``<install>/.zhilian-handoff.json`` and to the ``handoffs``
   table of the app database.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import secrets
import sqlite3
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Callable, Iterator

from .. import paths
from ..errors import ErrorKind, ZhilianError, human_bytes, os_reason
from ..fsutil import atomic_write, pid_alive
from ..redact import redact_text
from . import catalog as _catalog
from .detect import DOCKER_EXPLANATION, Install, NotAnInstall, detect_install

RECORD_FILE = ".zhilian-handoff.json"
LOCK_FILE = ".zhilian-handoff.lock"
TMP_MARK = ".zhilian-"
CHUNK = 4 << 20

# (phase, done_bytes, total_bytes); phase in "hashing", "copying", "verifying"
ProgressFn = Callable[[str, int, int], None]


class HandoffError(ZhilianError):
    """The file was not placed (the message says why)."""


class BadModelFile(HandoffError):
    """The file's content shows it is not a model (HTML page, LFS pointer, empty, truncated);
    params: name, what (empty, lfs, html, json, torch_cut, not_torch, safetensors), size."""
    kind = ErrorKind.NOT_A_MODEL

    def __init__(self, message: str, name: str = "", what: str = "", size: int = 0):
        super().__init__(message, params={"name": name, "what": what, "size": size})


class HandoffNotApplicable(HandoffError):
    """The install keeps its weights elsewhere (Docker images)."""
    kind = ErrorKind.HANDOFF_DOCKER


@dataclass
class HandoffResult:
    status: str                     # "placed" | "unchanged"
    path: Path                      # where the model is now
    install_dir: Path
    rel_path: str
    size: int
    sha256: str
    method: str                     # "rename" | "copy" | "none"
    backup: Path | None = None
    kind: str | None = None
    source: str | None = None       # redacted
    time: float = 0.0
    catalog_name: str | None = None
    verified_by: str | None = None  # "expected sha256" | "catalog" | "pinned locally" | None
    pinned: bool = False
    restart_needed: bool = False
    notes: list[str] = field(default_factory=list)
    #: what each of ``notes`` says, as (code, params) for a front end that words it itself:
    #: despite (mismatch), catalog_place (name, target), start_script (model_path),
    #: record_failed, history_failed, source_left (path), restart (install, port)
    note_kinds: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def message(self) -> str:
        if self.status == "unchanged":
            head = f"{self.rel_path}: already in place (identical), nothing to do"
        else:
            how = "moved (same disk)" if self.method == "rename" else "copied and re-verified"
            head = f"{self.rel_path}: placed in {self.install_dir} ({human_bytes(self.size)}, {how})"
        lines = [head]
        if self.verified_by:
            lines.append(f"  sha256 {self.sha256} matches the {self.verified_by} value")
        else:
            lines.append(f"  sha256 {self.sha256} (no known value to compare)")
        if self.pinned:
            lines.append("  size and sha256 pinned locally for next time")
        if self.backup:
            lines.append(f"  previous file kept as {self.backup.name}")
        lines += [f"  {n}" for n in self.notes]
        return "\n".join(lines)


# -- content checks -------------------------------------------------------------

_PTH = {".pth", ".pt", ".ckpt"}
_MODEL_EXT = _PTH | {".onnx", ".safetensors", ".bin", ".model", ".pkl", ".npy", ".h5", ".tflite"}


def check_content(path: Path, size: int | None = None) -> None:
    """Refuse files whose content shows they are not a model.  Reads only a few bytes."""
    path = Path(path)
    size = path.stat().st_size if size is None else size
    name = path.name
    if size == 0:
        raise BadModelFile(f"{name} is empty (0 bytes): the download failed; not a model", name, "empty", size)
    with open(path, "rb") as fh:
        head = fh.read(512)
        tail = b""
        if head.startswith(b"PK\x03\x04"):
            fh.seek(max(0, size - 65_557))
            tail = fh.read()
    lead = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    low = lead[:200].lower()
    if lead.startswith(b"version https://git-lfs"):
        raise BadModelFile(
            f"{name} is a Git LFS pointer ({size} bytes), not the model itself: download the "
            "real file (git lfs pull, or the file's direct download link)", name, "lfs", size)
    if lead.startswith(b"<"):
        kind = "an HTML page" if (b"html" in low or b"<!doctype" in low or b"<head" in low
                                  or b"<body" in low) else "an HTML/XML page"
        raise BadModelFile(
            f"{name} is {kind} ({human_bytes(size)}), not a model: the server sent an error, login "
            "or captcha page instead of the file. Get a fresh link and download again", name, "html", size)
    ext = path.suffix.lower()
    if ext in _MODEL_EXT and ext != ".safetensors" and lead.startswith((b"{", b"[")) and size < 1 << 20:
        raise BadModelFile(f"{name} is a JSON text ({size} bytes), probably an error answer from "
                           "the server, not a model", name, "json", size)
    if ext in _PTH:
        if head.startswith(b"PK\x03\x04"):
            if b"PK\x05\x06" not in tail:
                raise BadModelFile(
                    f"{name} is an incomplete PyTorch archive ({human_bytes(size)}): its end is "
                    "missing, the download was cut short. Download it again", name, "torch_cut", size)
        elif not (len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5):
            raise BadModelFile(
                f"{name} does not look like a PyTorch checkpoint (it starts with "
                f"{head[:8]!r}, expected a zip archive or a pickle): not placed", name, "not_torch", size)
    if ext == ".safetensors":
        n = int.from_bytes(head[:8], "little") if len(head) >= 8 else 0
        if not (0 < n <= size - 8 and head[8:9] == b"{"):
            raise BadModelFile(f"{name} is not a valid safetensors file (bad header): not placed", name,
                               "safetensors", size)


# -- hashing / copying ------------------------------------------------------------

def sha256_file(path: Path, progress: ProgressFn | None = None, phase: str = "hashing") -> str:
    h = hashlib.sha256()
    total = os.stat(path).st_size
    done = 0
    with open(path, "rb", buffering=0) as fh:
        while True:
            b = fh.read(CHUNK)
            if not b:
                break
            h.update(b)
            done += len(b)
            if progress:
                progress(phase, done, total)
    return h.hexdigest()


def _fsync_dir(d: Path) -> None:
    if os.name == "nt":
        return
    with contextlib.suppress(OSError):
        fd = os.open(d, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _tmp_name(dst: Path) -> Path:
    return dst.parent / f".{dst.name}{TMP_MARK}{os.getpid()}-{secrets.token_hex(3)}.tmp"


def clean_stale_temps(folder: Path) -> list[Path]:
    """Remove temporary files left by a hand-off that was killed (its process is gone)."""
    removed = []
    try:
        entries = list(folder.iterdir())
    except OSError:
        return removed
    for p in entries:
        n = p.name
        if not (n.startswith(".") and TMP_MARK in n and n.endswith(".tmp")):
            continue
        try:
            pid = int(n.rsplit(TMP_MARK, 1)[1].split("-", 1)[0])
        except (ValueError, IndexError):
            continue
        if pid != os.getpid() and not pid_alive(pid):
            with contextlib.suppress(OSError):
                p.unlink()
                removed.append(p)
    return removed


def _copy_verified(src: Path, dst: Path, want_sha: str, progress: ProgressFn | None) -> Path:
    """Copy ``src`` into a temp file beside ``dst``, fsync, re-hash from disk. Returns the temp."""
    tmp = _tmp_name(dst)
    total = os.stat(src).st_size
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o644)
    try:
        with open(src, "rb", buffering=0) as fin, os.fdopen(fd, "wb", buffering=0) as fout:
            done = 0
            while True:
                b = fin.read(CHUNK)
                if not b:
                    break
                view = memoryview(b)
                while view:
                    n = fout.write(view)
                    view = view[n:]
                done += len(b)
                if progress:
                    progress("copying", done, total)
            fout.flush()
            os.fsync(fout.fileno())
        if os.stat(tmp).st_size != total:
            raise HandoffError(f"Copy of {src.name} came out short: not placed",
                               kind=ErrorKind.HANDOFF_COPY_FAULTY, params={"name": src.name})
        got = sha256_file(tmp, progress, "verifying")
        if got != want_sha:
            raise HandoffError(
                f"The copy of {src.name} does not match the original (sha256 {got[:16]}… vs "
                f"{want_sha[:16]}…): the disk or the connection to it is faulty; not placed",
                kind=ErrorKind.HANDOFF_COPY_FAULTY, params={"name": src.name})
        return tmp
    except BaseException as e:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(e, OSError) and e.errno == errno.ENOSPC:
            raise HandoffError(f"Not enough space in {dst.parent} to copy {src.name} "
                               f"({human_bytes(total)}): not placed", kind=ErrorKind.HANDOFF_NO_SPACE,
                               params={"folder": str(dst.parent), "name": src.name, "size": total}) from None
        raise


def _unique_backup(dst: Path) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    b = dst.with_name(f"{dst.name}.bak-{stamp}")
    i = 1
    while b.exists():
        b = dst.with_name(f"{dst.name}.bak-{stamp}-{i}")
        i += 1
    return b


def _make_backup(dst: Path) -> Path:
    """Keep the current ``dst`` under a dated name, without ever removing ``dst`` itself."""
    b = _unique_backup(dst)
    try:
        os.link(dst, b)
        return b
    except OSError:
        pass  # no hard links here (FAT/exFAT, some network shares): copy instead
    tmp = _tmp_name(dst)
    try:
        with open(dst, "rb") as fin, open(tmp, "xb") as fout:
            while chunk := fin.read(CHUNK):
                fout.write(chunk)
            fout.flush()
            os.fsync(fout.fileno())
        os.replace(tmp, b)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return b


def _replace(src: Path, dst: Path) -> None:
    try:
        os.replace(src, dst)
    except PermissionError as e:
        raise HandoffError(
            f"Cannot replace {dst}: {e.strerror or e}. If the app is running, stop it and try "
            "again (the new file was not placed)", kind=ErrorKind.HANDOFF_IN_USE, params={"path": str(dst)}) from None


def place(src: Path, dst: Path, sha: str, *, copy: bool = False,
          progress: ProgressFn | None = None) -> tuple[str, str, Path | None]:
    """Put ``src`` (already checked, hash ``sha``) at ``dst``.  Returns (status, method, backup)."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    clean_stale_temps(dst.parent)
    if dst.exists():
        if os.path.samefile(src, dst):
            return "unchanged", "none", None
        if dst.stat().st_size == src.stat().st_size and sha256_file(dst) == sha:
            return "unchanged", "none", None
    backup = _make_backup(dst) if dst.exists() else None
    try:
        same_fs = os.stat(src).st_dev == os.stat(dst.parent).st_dev
        if same_fs and not copy:
            try:
                _replace(src, dst)
                _fsync_dir(dst.parent)
                return "placed", "rename", backup
            except OSError as e:
                if e.errno != errno.EXDEV:   # bind mounts / overlays can still say EXDEV
                    raise
        tmp = _copy_verified(src, dst, sha, progress)
        try:
            _replace(tmp, dst)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        _fsync_dir(dst.parent)
        if not copy:
            with contextlib.suppress(OSError):
                os.unlink(src)
        return "placed", "copy", backup
    except BaseException:
        if backup is not None:   # nothing was replaced: drop the duplicate backup
            with contextlib.suppress(OSError):
                if os.path.samefile(backup, dst):
                    os.unlink(backup)
        raise


# -- records -------------------------------------------------------------------------

@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    lock = folder / LOCK_FILE
    fh = open(lock, "a+b")
    try:
        if os.name == "nt":  # pragma: no cover - Windows
            import msvcrt
            msvcrt.locking(fh.fileno(), msvcrt.LK_LOCK, 1)
        else:
            import fcntl
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        yield
    finally:
        fh.close()


def read_records(install_dir: str | os.PathLike) -> list[dict]:
    p = Path(install_dir) / RECORD_FILE
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, ValueError):
        return []
    return list(data.get("records", [])) if isinstance(data, dict) else []


def _append_install_record(install_dir: Path, rec: dict) -> None:
    p = install_dir / RECORD_FILE
    with _locked(install_dir):
        clean_stale_temps(install_dir)
        data: dict = {"format": 1, "records": []}
        if p.exists():
            try:
                loaded = json.loads(p.read_text(encoding="utf-8"))
                if isinstance(loaded, dict) and isinstance(loaded.get("records"), list):
                    data = loaded
                else:
                    raise ValueError
            except (OSError, ValueError):
                with contextlib.suppress(OSError):
                    os.replace(p, p.with_name(f"{RECORD_FILE}.unreadable-{int(time.time())}"))
        data["records"].append(rec)
        # the temporary name tells clean_stale_temps whose it is; the umask applies (a file of the install)
        atomic_write(p, json.dumps(data, indent=1, ensure_ascii=False), 0o666, tmp=_tmp_name(p), umask=True)
        _fsync_dir(install_dir)


HANDOFFS_SQL = """CREATE TABLE IF NOT EXISTS handoffs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    path TEXT NOT NULL, size INTEGER, sha256 TEXT, source TEXT, time REAL,
    backup TEXT, install_dir TEXT, kind TEXT)"""


def db_path() -> Path:
    return paths.data_dir() / "zhilian.db"


def _connect() -> sqlite3.Connection:
    con = sqlite3.connect(db_path(), timeout=15)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA busy_timeout=15000")
    con.execute(HANDOFFS_SQL)
    return con


def _db_record(rec: dict) -> None:
    con = _connect()
    try:
        with con:
            con.execute("INSERT INTO handoffs (path, size, sha256, source, time, backup, install_dir, kind)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        (rec["path"], rec["size"], rec["sha256"], rec["source"], rec["time"],
                         rec["backup"], rec["install_dir"], rec["kind"]))
    finally:
        con.close()


# -- choosing the target --------------------------------------------------------------

def _safe_rel(rel: str, root: Path) -> str:
    r = rel.replace("\\", "/")
    pp = PurePosixPath(r)
    if pp.is_absolute() or (len(r) > 1 and r[1] == ":") or ".." in pp.parts or not pp.parts:
        raise HandoffError(f"--as {rel!r} must be a path inside the install, like models/x.pth")
    target = (root / pp).resolve()
    if root not in target.parents:
        raise HandoffError(f"--as {rel!r} points outside the install")
    return pp.as_posix()


def _guess_target(inst: Install, src: Path, entry: _catalog.CatalogEntry | None) -> str:
    if entry is not None:
        return entry.target
    if inst.kind == "webui" and src.suffix.lower() in _MODEL_EXT:
        return f"models/{src.name}"
    known = ", ".join(e.target for e in _catalog.entries_for(inst.kind)) or "none"
    raise HandoffError(
        f"Zhilian does not know where {src.name} goes in a {inst.label} install: give the "
        f"place with --as RELATIVE_PATH (known files: {known})", kind=ErrorKind.HANDOFF_UNKNOWN_TARGET,
        params={"name": src.name, "install": inst.label})


def _running_note(inst: Install) -> str | None:
    if not inst.port:
        return None
    from .health import probe
    h = probe(inst, timeout=0.5)
    if h.up:
        return (f"{inst.label} is running on port {inst.port}: restart it to load the new model "
                "(restart needed)")
    return None


# -- the public function ----------------------------------------------------------------

def handoff_file(path: str | os.PathLike, install_dir: str | os.PathLike,
                 rel_path: str | None = None, *, expected_sha256: str | None = None,
                 source: str | None = None, expected_size: int | None = None,
                 progress: ProgressFn | None = None, copy: bool = False, force: bool = False,
                 check_running: bool = True) -> HandoffResult:
    """Check ``path`` and place it in the install at ``install_dir``.

    ``rel_path``: where inside the install (default: chosen by the catalog from the file's
    hash or name).  ``expected_sha256``/``expected_size``: always enforced.  ``force``: place a
    file whose hash differs from the catalog's / locally pinned one (content checks still
    apply).  ``copy``: keep the original (otherwise the file is moved).
    Raises ``HandoffError`` subclasses (or ``NotAnInstall``) with a message for the user.
    """
    src = Path(path).expanduser()
    if not src.is_file():
        raise HandoffError(f"File not found: {src}", kind=ErrorKind.HANDOFF_NO_FILE, params={"name": src.name})
    src = src.resolve()
    inst = detect_install(install_dir)
    if inst is None:
        from .detect import require_install
        require_install(install_dir)   # raises with the explanation
        raise NotAnInstall(str(install_dir))  # pragma: no cover
    if not inst.handoff:
        raise HandoffNotApplicable(DOCKER_EXPLANATION)
    root = inst.path
    size = src.stat().st_size

    check_content(src, size)
    if expected_size is not None and size != expected_size:
        raise HandoffError(f"{src.name} is {size} bytes, expected {expected_size}: the download is "
                           "incomplete or a different file; not placed", kind=ErrorKind.HANDOFF_MISMATCH,
                           params={"name": src.name, "what": "size", "size": size, "expected": expected_size})
    sha = sha256_file(src, progress, "hashing")
    if expected_sha256 and sha != expected_sha256.lower():
        raise HandoffError(f"{src.name}: sha256 is {sha[:16]}…, expected {expected_sha256[:16]}…: "
                           "not the file that was asked for; not placed", kind=ErrorKind.HANDOFF_MISMATCH,
                           params={"name": src.name, "what": "sha256"})

    rel = _safe_rel(rel_path, root) if rel_path else None
    entry, how = _catalog.find_entry(inst.kind, sha256=sha, rel_path=rel,
                                     name=None if rel else src.name)
    if rel is None:
        rel = _guess_target(inst, src, entry)
    notes: list[str] = []
    note_kinds: list[tuple[str, dict[str, Any]]] = []

    def note(kind: str, text: str, **params: Any) -> None:
        notes.append(text)
        note_kinds.append((kind, params))
    verified_by = "expected sha256" if expected_sha256 else None
    if entry is not None and how != "sha256":
        want_size, size_origin = entry.expected_size()
        want_sha, sha_origin = entry.expected_sha256()
        mismatch = None
        if want_size is not None and want_size != size:
            mismatch = (f"{src.name} is {human_bytes(size)} ({size} bytes) but {entry.name} is "
                        f"{want_size} bytes ({size_origin})")
        elif want_sha and want_sha != sha:
            mismatch = (f"{src.name} has sha256 {sha[:16]}… but {entry.name} has "
                        f"{want_sha[:16]}… ({sha_origin})")
        if mismatch and not force and not expected_sha256:
            hint = ("the download is incomplete or broken" if want_size is not None and size < want_size
                    else "it is a different file or another release")
            raise HandoffError(f"{mismatch}: {hint}. Not placed; use --force to place it anyway")
        if mismatch:
            why = "--force" if force else "its expected sha256 matches: another release"
            note("despite", f"placed despite: {mismatch} ({why})")
            force = True   # re-pin to the file that was asked for
        elif want_sha:
            verified_by = verified_by or sha_origin
    elif entry is not None:
        verified_by = verified_by or entry.expected_sha256()[1]
    if entry is not None and entry.target != rel:
        note("catalog_place", f"the catalog places {entry.name} at {entry.target}", name=entry.name,
             target=entry.target)
    if inst.kind == "webui" and inst.model_path and rel != inst.model_path and rel.startswith("models/"):
        note("start_script", f"the start script loads {inst.model_path}; to use this file instead, hand it "
                             f"off with --as {inst.model_path}", model_path=inst.model_path)

    dst = root / rel
    if dst.is_dir():
        raise HandoffError(f"{rel} is a folder in the install: give the file's path, like "
                           f"{rel.rstrip('/')}/{src.name}")
    try:
        status, method, backup = place(src, dst, sha, copy=copy, progress=progress)
    except OSError as e:
        raise HandoffError(f"Could not place {src.name} at {dst}: {e.strerror or e}; the file "
                           "there (if any) was not changed", kind=ErrorKind.HANDOFF_CANNOT_PLACE,
                           params={"name": src.name, "path": str(dst), **os_reason(e)}) from None

    pinned = False
    if entry is not None and (entry.sha256 is None or entry.size is None):
        if force or not entry.pinned:
            pinned = _catalog.pin(entry, size, sha, redact_text(source) if source else None)

    now = time.time()
    res = HandoffResult(status=status, path=dst, install_dir=root, rel_path=rel, size=size,
                        sha256=sha, method=method, backup=backup, kind=inst.kind,
                        source=redact_text(source) if source else None, time=now,
                        catalog_name=entry.name if entry else None, verified_by=verified_by,
                        pinned=pinned, notes=notes, note_kinds=note_kinds)
    if status == "placed":
        rec = {"path": str(dst), "rel_path": rel, "size": size, "sha256": sha,
               "source": res.source, "time": now, "backup": str(backup) if backup else None,
               "install_dir": str(root), "kind": inst.kind, "method": method,
               "verified_by": verified_by}
        try:
            _append_install_record(root, rec)
        except OSError as e:
            note("record_failed", f"placed, but the record in {RECORD_FILE} could not be written: {e.strerror or e}")
        try:
            _db_record(rec)
        except (sqlite3.Error, OSError) as e:
            note("history_failed", f"placed, but not recorded in Zhilian's history: {e}")
    elif src != dst:
        note("source_left", f"your file {src} was left where it is", path=str(src))
    if check_running:
        running = _running_note(inst)
        if running:
            res.restart_needed = True
            note("restart", running, install=inst.label, port=inst.port)
    return res


def result_dict(res: HandoffResult) -> dict:
    d = asdict(res)
    for k in ("path", "install_dir", "backup"):
        d[k] = str(d[k]) if d[k] is not None else None
    return d
