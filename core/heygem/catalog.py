"""Built-in catalog of the model files each kind of install expects.

``resources/catalog/*.yaml`` uses the model-manifest fields (``name``, ``size``,
``sha256``, ``md5``, ``download: [{url, priority, region}]``) plus ``target:``, the
path inside the install.  Sizes and hashes are only written where they are known;
``null`` means unknown.  An unknown value is *pinned* from the first verified
hand-off into a user file (``data_dir()/catalog-pins.json``) and shown as
"pinned locally" from then on, so a later truncated or swapped download is caught.
"""

from __future__ import annotations

import json
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import yaml

from .. import paths
from ..errors import ZhilianError
from ..fsutil import atomic_write

PINS_FILE = "catalog-pins.json"
_SIZE_RE = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*([KMGT]?i?B?)?\s*$", re.I)


class CatalogError(ZhilianError):
    """A catalog file cannot be read."""


def parse_size(value: object) -> int | None:
    """``123`` / ``"3.7GB"`` / ``"392 MiB"`` -> bytes; ``None`` stays ``None``."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(f"not a size: {value!r}")
    if isinstance(value, int):
        return value
    m = _SIZE_RE.match(str(value))
    if not m:
        raise ValueError(f"not a size: {value!r}")
    num, unit = float(m.group(1)), (m.group(2) or "").upper()
    prefix = unit[:1] if unit[:1] in "KMGT" else ""
    base = 1024 if "I" in unit else 1000
    mult = {"": 1, "K": base, "M": base ** 2, "G": base ** 3, "T": base ** 4}[prefix]
    return int(num * mult)


@dataclass
class CatalogEntry:
    kind: str
    name: str
    target: str                       # relative POSIX path inside the install
    size: int | None = None           # known size (catalog)
    sha256: str | None = None         # known hash (catalog)
    md5: str | None = None
    sources: list[str] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)
    approx_size: int | None = None    # for free-space estimates only, never for verification
    notes: str = ""
    pinned: dict | None = None        # {"size", "sha256", "time", "source"} from the user's pins

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.target}"

    def expected_sha256(self) -> tuple[str | None, str | None]:
        """(hash, origin) where origin is "catalog", "pinned locally" or None."""
        if self.sha256:
            return self.sha256.lower(), "catalog"
        if self.pinned and self.pinned.get("sha256"):
            return str(self.pinned["sha256"]).lower(), "pinned locally"
        return None, None

    def expected_size(self) -> tuple[int | None, str | None]:
        if self.size is not None:
            return self.size, "catalog"
        if self.pinned and self.pinned.get("size") is not None:
            return int(self.pinned["size"]), "pinned locally"
        return None, None

    def file_names(self) -> list[str]:
        return [self.name, PurePosixPath(self.target).name, *self.aliases]

    def describe(self) -> str:
        sha, sha_origin = self.expected_sha256()
        size, size_origin = self.expected_size()
        parts = [self.target]
        parts.append(f"size {size} ({size_origin})" if size is not None else "size unknown")
        parts.append(f"sha256 {sha[:16]}… ({sha_origin})" if sha else "sha256 unknown")
        return ", ".join(parts)


@dataclass
class KindCatalog:
    kind: str
    entries: list[CatalogEntry]
    images: list[str] = field(default_factory=list)
    source_file: str = ""


def catalog_dir() -> Path:
    return Path(os.environ.get("ZHILIAN_CATALOG_DIR") or paths.resources_dir() / "catalog")


def _entry(kind: str, raw: dict, where: str) -> CatalogEntry:
    if not isinstance(raw, dict) or not raw.get("target") or not raw.get("name"):
        raise CatalogError(f"{where}: every file needs a name and a target")
    target = str(raw["target"]).replace("\\", "/")
    if target.startswith("/") or ".." in PurePosixPath(target).parts:
        raise CatalogError(f"{where}: target {target!r} must stay inside the install")
    sources = []
    for d in raw.get("download") or []:
        url = d.get("url") if isinstance(d, dict) else d
        if url:
            sources.append((int(d.get("priority", 1)) if isinstance(d, dict) else 1, str(url)))
    sha = raw.get("sha256")
    if sha is not None and not re.fullmatch(r"[0-9a-fA-F]{64}", str(sha)):
        raise CatalogError(f"{where}: sha256 of {raw['name']} is not 64 hex digits")
    try:
        size = parse_size(raw.get("size"))
        approx = parse_size(raw.get("approx_size"))
    except ValueError as e:
        raise CatalogError(f"{where}: {e}") from None
    return CatalogEntry(
        kind=kind, name=str(raw["name"]), target=target, size=size,
        sha256=str(sha).lower() if sha else None, md5=raw.get("md5") or None,
        sources=[u for _, u in sorted(sources, key=lambda t: t[0])],
        aliases=[str(a) for a in raw.get("aliases") or []], approx_size=approx,
        notes=str(raw.get("notes") or "").strip())


def load_pins() -> dict[str, dict]:
    p = paths.data_dir() / PINS_FILE
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def load_catalog(directory: Path | None = None) -> dict[str, KindCatalog]:
    """All ``*.yaml`` in the catalog folder, by kind, with local pins applied."""
    directory = directory or catalog_dir()
    pins = load_pins()
    out: dict[str, KindCatalog] = {}
    for f in sorted(Path(directory).glob("*.yaml")):
        try:
            raw = yaml.safe_load(f.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as e:
            raise CatalogError(f"Cannot read catalog {f.name}: {e}") from None
        kind = raw.get("kind")
        if not kind:
            raise CatalogError(f"Catalog {f.name} has no kind")
        entries = [_entry(kind, r, f.name) for r in raw.get("files") or []]
        for e in entries:
            e.pinned = pins.get(e.key)
        cat = out.setdefault(kind, KindCatalog(kind, [], [], f.name))
        cat.entries.extend(entries)
        cat.images.extend(raw.get("images") or [])
    return out


def entries_for(kind: str, directory: Path | None = None) -> list[CatalogEntry]:
    cat = load_catalog(directory).get(kind)
    return list(cat.entries) if cat else []


def find_entry(kind: str | None, *, name: str | None = None, sha256: str | None = None,
               rel_path: str | None = None,
               directory: Path | None = None) -> tuple[CatalogEntry | None, str | None]:
    """The catalog entry for a file: by hash first (names lie), then target path, then name.

    Returns (entry, how) with how in {"sha256", "target", "name"}, or (None, None).
    """
    cats = load_catalog(directory)
    kinds = [kind] if kind else list(cats)
    pool = [e for k in kinds if k in cats for e in cats[k].entries]
    if sha256:
        for e in pool:
            if e.expected_sha256()[0] == sha256.lower():
                return e, "sha256"
    if rel_path:
        rel = rel_path.replace("\\", "/")
        while rel.startswith("./"):
            rel = rel[2:]
        for e in pool:
            if e.target == rel:
                return e, "target"
    if name:
        for e in pool:
            if name in e.file_names():
                return e, "name"
    return None, None


def pin(entry: CatalogEntry, size: int, sha256: str, source: str | None = None) -> bool:
    """Record size + hash of the first verified file for an entry the catalog does not
    know.  Returns True when a pin was written.  Never overrides catalog values."""
    if entry.sha256 and entry.size is not None:
        return False
    p = paths.data_dir() / PINS_FILE
    pins = load_pins()
    pins[entry.key] = {"size": int(size), "sha256": sha256.lower(), "time": time.time(),
                       "source": source, "name": entry.name}
    atomic_write(p, json.dumps(pins, indent=1, sort_keys=True))
    entry.pinned = pins[entry.key]
    return True
