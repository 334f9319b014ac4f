"""What an install has and lacks: each catalog file (and the WebUI's --model-path) checked
against known sizes / hashes, the last hand-off recorded for it, and whether the app runs."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import human_bytes
from . import catalog as _catalog
from .detect import Install
from .handoff import BadModelFile, check_content, read_records, sha256_file


@dataclass
class FileState:
    rel_path: str
    state: str             # "ok", "missing", "wrong size", "wrong hash", "not a model", "present"
    detail: str = ""
    size: int | None = None
    entry: _catalog.CatalogEntry | None = None
    last_handoff: dict | None = None


@dataclass
class InstallStatus:
    install: Install
    files: list[FileState] = field(default_factory=list)
    running: bool | None = None
    health: str = ""

    @property
    def complete(self) -> bool:
        return all(f.state in ("ok", "present") for f in self.files)


def expected_files(inst: Install) -> list[_catalog.CatalogEntry]:
    entries = _catalog.entries_for(inst.kind)
    if inst.kind == "webui" and inst.model_path and all(e.target != inst.model_path for e in entries):
        entries.append(_catalog.CatalogEntry(kind="webui", name=Path(inst.model_path).name,
                                             target=inst.model_path,
                                             notes="the model named by the start script"))
    return entries


def file_state(inst: Install, entry: _catalog.CatalogEntry, *, verify: bool = False,
               records: list[dict] | None = None) -> FileState:
    p = inst.path / entry.target
    last = None
    for r in reversed(records or []):
        if r.get("rel_path") == entry.target:
            last = r
            break
    if not p.is_file():
        return FileState(entry.target, "missing", "", None, entry, last)
    size = p.stat().st_size
    try:
        check_content(p, size)
    except BadModelFile as e:
        return FileState(entry.target, "not a model", str(e), size, entry, last)
    want_size, size_origin = entry.expected_size()
    if want_size is not None and want_size != size:
        return FileState(entry.target, "wrong size",
                         f"{size} bytes, expected {want_size} ({size_origin})", size, entry, last)
    want_sha, sha_origin = entry.expected_sha256()
    if verify and want_sha:
        got = sha256_file(p)
        if got != want_sha:
            return FileState(entry.target, "wrong hash", f"sha256 {got[:16]}…, expected "
                             f"{want_sha[:16]}… ({sha_origin})", size, entry, last)
        return FileState(entry.target, "ok", f"sha256 matches ({sha_origin})", size, entry, last)
    if want_size is not None:
        return FileState(entry.target, "ok", f"size matches ({size_origin})", size, entry, last)
    if last and last.get("size") == size:
        return FileState(entry.target, "ok", "as handed off", size, entry, last)
    return FileState(entry.target, "present", "nothing known to compare", size, entry, last)


def install_status(inst: Install, *, verify: bool = False, check_health: bool = True) -> InstallStatus:
    st = InstallStatus(inst)
    if not inst.handoff:
        st.health = inst.explanation
    else:
        records = read_records(inst.path)
        st.files = [file_state(inst, e, verify=verify, records=records) for e in expected_files(inst)]
    if check_health and inst.port:
        from .health import probe
        h = probe(inst, timeout=1.0)
        st.running, st.health = h.up, h.detail
    return st


def format_status(st: InstallStatus) -> str:
    inst = st.install
    lines = [f"{inst.label} at {inst.path}"]
    if inst.port:
        lines.append(f"  port {inst.port}: " + ("running" if st.running else "not running")
                     + (f" ({st.health})" if st.health and not st.running else ""))
    if not inst.handoff:
        lines.append(f"  {inst.explanation}")
    for f in st.files:
        size = f" {human_bytes(f.size)}" if f.size is not None else ""
        det = f" - {f.detail}" if f.detail else ""
        lines.append(f"  [{f.state}] {f.rel_path}{size}{det}")
        if f.last_handoff:
            t = time.strftime("%Y-%m-%d %H:%M", time.localtime(f.last_handoff.get("time", 0)))
            lines.append(f"      handed off {t}, sha256 {str(f.last_handoff.get('sha256'))[:16]}…")
    if st.files:
        lines.append("  all model files in place" if st.complete else "  some model files are missing or bad")
    return "\n".join(lines)
