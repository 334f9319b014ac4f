"""Model manifests: the YAML that HeyGem deployment guides propose, and Metalink 4.

YAML, one file::

    name: heygem-lipsync-v1
    version: 1.0.0
    size: 3.7GB            # or an exact byte count: 3972844012
    sha256: a1b2c3...
    path: models/heygem_v1.0.pth   # optional: where to put it under the target dir
    download:
      - url: https://cdn.example.com/models/heygem_v1.0.pth?token=xxx
        region: cn-north
        priority: 1
      - url: https://backup.s3.amazonaws.com/...
        priority: 2

or many files: ``files: [ {name, sha256, download: [...]}, ... ]`` (top-level
``name``/``version`` apply to entries that lack them).  ``download`` may also be
called ``mirrors`` or ``urls``, and an entry may be a bare URL string.

Metalink 4 (RFC 5854, ``.meta4``): ``<file name>`` with ``<size>``,
``<hash type="sha-256">``, ``<url priority location>``; parsed with defusedxml.

A size written with a unit ("3.7GB") is approximate: it is kept for display and
disk-space checks (``size``) but never used to verify (``size_exact`` False).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from .errors import ZhilianError
from .incoming import MANIFEST_SUFFIXES
from .models import Mirror


class ManifestError(ZhilianError):
    """The manifest cannot be used; the message says where and why."""


@dataclass
class ManifestFile:
    name: str
    version: str | None = None
    size: int | None = None
    sha256: str | None = None
    md5: str | None = None
    path: str | None = None            # relative target path (None: name from the URL)
    mirrors: list[Mirror] = field(default_factory=list)   # ordered by priority
    size_exact: bool = False           # size given in bytes (safe to verify against)

    @property
    def filename(self) -> str:
        """The file name to save under (last part of ``path``, else from the first URL)."""
        from .filenames import name_from_url, sanitize
        if self.path:
            return PurePosixPath(self.path).name
        for m in self.mirrors:
            n = name_from_url(m.url)
            if n:
                return sanitize(n)
        return sanitize(self.name)

    @property
    def rel_path(self) -> str:
        """Where the file goes under the target directory (always relative, no '..')."""
        if self.path:
            return self.path
        return self.filename


_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1000, "m": 1000 ** 2, "mb": 1000 ** 2, "g": 1000 ** 3,
          "gb": 1000 ** 3, "t": 1000 ** 4, "tb": 1000 ** 4, "kib": 1024, "mib": 1024 ** 2,
          "gib": 1024 ** 3, "tib": 1024 ** 4}


def parse_size(value: Any) -> tuple[int | None, bool]:
    """``3972844012`` -> (3972844012, True); ``"3.7GB"`` -> (3700000000, False)."""
    if value is None or value == "":
        return None, False
    if isinstance(value, bool):
        raise ValueError(f"not a size: {value!r}")
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"negative size: {value}")
        return value, True
    if isinstance(value, float):
        return int(value), False
    s = str(value).strip().replace(",", "").replace("_", "")
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([a-zA-Z]*)", s)
    if not m or m.group(2).lower() not in _UNITS:
        raise ValueError(f"not a size: {value!r} (use bytes, or e.g. 3.7GB, 512MiB)")
    num, unit = m.group(1), m.group(2).lower()
    exact = unit in ("", "b") and "." not in num
    return int(float(num) * _UNITS[unit]), exact


def _hex(value: Any, length: int, what: str) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or isinstance(value, float):
        raise ValueError(f"{what} was read as a number: put it in quotes")
    if isinstance(value, int):   # YAML reads an all-digit hash as a number
        s = str(value).zfill(length)
    else:
        s = str(value).strip().lower()
    if s.startswith(("sha256:", "sha-256:", "md5:")):
        s = s.split(":", 1)[1]
    if not re.fullmatch(rf"[0-9a-f]{{{length}}}", s):
        raise ValueError(f"{what} must be {length} hex digits, got {str(value)[:80]!r}")
    return s


def _safe_rel(path: Any, where: str) -> str | None:
    if path in (None, ""):
        return None
    p = str(path).replace("\\", "/").strip()
    pp = PurePosixPath(p)
    if pp.is_absolute() or re.match(r"^[A-Za-z]:", p) or ".." in pp.parts or not pp.parts:
        raise ManifestError(f"{where}: path {p!r} must be relative and stay inside the target folder")
    return str(pp)


def _mirrors(raw: Any, where: str) -> list[Mirror]:
    if raw is None:
        return []
    if isinstance(raw, (str, dict)):
        raw = [raw]
    if not isinstance(raw, list):
        raise ManifestError(f"{where}: 'download' must be a list of mirrors")
    out: list[tuple[int, int, Mirror]] = []
    for i, item in enumerate(raw):
        if isinstance(item, str):
            url, prio, region, headers = item, i + 1, None, {}
        elif isinstance(item, dict):
            url = item.get("url")
            try:
                prio = int(item.get("priority", i + 1))
            except (TypeError, ValueError) as e:
                raise ManifestError(f"{where}: mirror {i + 1}: priority must be a number") from e
            region = item.get("region") or item.get("location")
            headers = item.get("headers") or {}
            if not isinstance(headers, dict):
                raise ManifestError(f"{where}: mirror {i + 1}: headers must be a mapping")
        else:
            raise ManifestError(f"{where}: mirror {i + 1} must be a URL or a mapping with 'url'")
        if not isinstance(url, str) or not re.match(r"^https?://[^/\s]+", url.strip()):
            raise ManifestError(f"{where}: mirror {i + 1} has no valid http(s) url")
        out.append((prio, i, Mirror(url.strip(), headers={str(k): str(v) for k, v in headers.items()},
                                    priority=prio, region=str(region) if region else None)))
    out.sort(key=lambda t: (t[0], t[1]))
    return [m for _, _, m in out]


def _entry(d: Any, where: str, defaults: dict[str, Any]) -> ManifestFile:
    if not isinstance(d, dict):
        raise ManifestError(f"{where}: expected a mapping with name, sha256 and download")
    mirrors = _mirrors(d.get("download", d.get("mirrors", d.get("urls", d.get("url")))), where)
    if not mirrors:
        raise ManifestError(f"{where}: no download URLs")
    try:
        size, exact = parse_size(d.get("size"))
        sha = _hex(d.get("sha256"), 64, "sha256")
        md5 = _hex(d.get("md5"), 32, "md5")
    except ValueError as e:
        raise ManifestError(f"{where}: {e}") from e
    name = d.get("name") or defaults.get("name")
    path = _safe_rel(d.get("path") or d.get("target") or d.get("filename"), where)
    version = d.get("version", defaults.get("version"))
    mf = ManifestFile(name=str(name) if name else "", version=str(version) if version is not None else None,
                      size=size, sha256=sha, md5=md5, path=path, mirrors=mirrors, size_exact=exact)
    if not mf.name:
        mf.name = mf.filename
    return mf


def _load_yaml(text: str, src: str) -> list[ManifestFile]:
    import yaml
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        at = f" line {mark.line + 1}:" if mark is not None else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise ManifestError(f"{src}:{at} not valid YAML: {problem}") from e
    if not isinstance(data, dict):
        raise ManifestError(f"{src}: expected a manifest (name, sha256, download: [...]) or 'files:'")
    if "files" in data:
        files = data["files"]
        if not isinstance(files, list) or not files:
            raise ManifestError(f"{src}: 'files' must be a non-empty list")
        defaults = {k: data.get(k) for k in ("name", "version")}
        return [_entry(f, f"{src}: file {i + 1}" + (f" ({f.get('name')})" if isinstance(f, dict) and f.get("name") else ""),
                       defaults) for i, f in enumerate(files)]
    return [_entry(data, src, {})]


_ML_NS = "urn:ietf:params:xml:ns:metalink"
_HASH_TYPES = {"sha-256": "sha256", "sha256": "sha256", "md5": "md5"}


def _load_metalink(text: str, src: str) -> list[ManifestFile]:
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import ParseError, fromstring
    try:
        root = fromstring(text.encode("utf-8") if isinstance(text, str) else text)
    except (ParseError, DefusedXmlException) as e:
        raise ManifestError(f"{src}: not a usable Metalink file: {e}") from e
    if root.tag != f"{{{_ML_NS}}}metalink":
        raise ManifestError(f"{src}: not a Metalink 4 file (root element {root.tag!r}; "
                            "Metalink 3 is not supported)")
    ns = {"m": _ML_NS}
    out: list[ManifestFile] = []
    for i, f in enumerate(root.findall("m:file", ns)):
        where = f"{src}: file {i + 1}"
        name = f.get("name")
        if not name:
            raise ManifestError(f"{where}: <file> without a name")
        where += f" ({name})"
        path = _safe_rel(name, where)
        raw_mirrors = []
        for j, u in enumerate(f.findall("m:url", ns)):
            try:
                prio = int(u.get("priority") or 999999)
            except ValueError as e:
                raise ManifestError(f"{where}: url {j + 1}: bad priority") from e
            raw_mirrors.append({"url": (u.text or "").strip(), "priority": prio,
                                "region": u.get("location")})
        mirrors = _mirrors(raw_mirrors, where)
        if not mirrors:
            raise ManifestError(f"{where}: no <url> (metaurl/torrent are not supported)")
        hashes: dict[str, str] = {}
        for h in f.findall("m:hash", ns):
            t = _HASH_TYPES.get((h.get("type") or "").lower())
            if t:
                hashes[t] = (h.text or "").strip()
        size_el = f.find("m:size", ns)
        ver_el = f.find("m:version", ns)
        try:
            size, exact = parse_size(int(size_el.text.strip())) if size_el is not None and size_el.text else (None, False)
            sha = _hex(hashes.get("sha256"), 64, "sha-256 hash")
            md5 = _hex(hashes.get("md5"), 32, "md5 hash")
        except ValueError as e:
            raise ManifestError(f"{where}: {e}") from e
        out.append(ManifestFile(name=PurePosixPath(name).name, version=(ver_el.text or "").strip() if ver_el is not None else None,
                                size=size, sha256=sha, md5=md5, path=path, mirrors=mirrors, size_exact=exact))
    if not out:
        raise ManifestError(f"{src}: the Metalink file lists no files")
    return out


def load_manifest(path_or_text: str | Path) -> list[ManifestFile]:
    """Every file of a YAML manifest or a Metalink 4 document (a path or the text)."""
    src = "manifest"
    text: str
    if isinstance(path_or_text, Path) or (isinstance(path_or_text, str) and "\n" not in path_or_text
                                           and len(path_or_text) < 4096 and Path(path_or_text).is_file()):
        p = Path(path_or_text)
        src = p.name
        if not p.exists():
            raise ManifestError(f"Manifest file not found: {p}")
        try:
            raw = p.read_bytes()
        except OSError as e:
            raise ManifestError(f"Cannot read manifest {p}: {e.strerror or e}") from e
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            raise ManifestError(f"{src}: not UTF-8 text") from e
    else:
        text = str(path_or_text)
        if "\n" not in text and len(text) < 4096 and (text.endswith(MANIFEST_SUFFIXES)):
            raise ManifestError(f"Manifest file not found: {text}")
    if not text.strip():
        raise ManifestError(f"{src}: the manifest is empty")
    if text.lstrip().startswith("<"):
        return _load_metalink(text, src)
    return _load_yaml(text, src)


__all__ = ["ManifestFile", "ManifestError", "load_manifest", "parse_size"]
