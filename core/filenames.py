"""File names: Content-Disposition (RFC 6266 / RFC 5987), URL paths, sanitizing,
and never overwriting an existing different file."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

_WIN_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
                 *(f"LPT{i}" for i in range(1, 10))}
_BAD_CHARS = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]')
MAX_NAME_BYTES = 255
# What a download puts beside its final name while it runs (the .part, its journal and the
# journal's temporary file): the longest of them must fit the file system's limit as well,
# so a download's own name may have at most MAX_TARGET_BYTES.
SIDE_SUFFIXES = (".part", ".part.journal", ".part.journal.tmp")
MAX_TARGET_BYTES = MAX_NAME_BYTES - max(len(s) for s in SIDE_SUFFIXES)   # 238


def _split_params(value: str) -> list[tuple[str, str]]:
    """Split 'attachment; a=b; c="d;e"' into [(a,b),(c,d;e)] honouring quotes."""
    out: list[tuple[str, str]] = []
    i, n = 0, len(value)
    # skip disposition type
    semi = value.find(";")
    if semi < 0:
        return out
    i = semi + 1
    while i < n:
        while i < n and value[i] in " \t;":
            i += 1
        eq = value.find("=", i)
        if eq < 0:
            break
        key = value[i:eq].strip().lower()
        i = eq + 1
        while i < n and value[i] in " \t":
            i += 1
        if i < n and value[i] == '"':
            i += 1
            buf = []
            while i < n and value[i] != '"':
                if value[i] == "\\" and i + 1 < n:
                    i += 1
                buf.append(value[i])
                i += 1
            i += 1
            val = "".join(buf)
        else:
            end = value.find(";", i)
            end = n if end < 0 else end
            val = value[i:end].strip()
            i = end
        out.append((key, val))
    return out


def parse_content_disposition(value: str | None) -> str | None:
    """The file name a Content-Disposition header asks for (``filename*`` wins)."""
    if not value:
        return None
    params = _split_params(value)
    star = next((v for k, v in params if k == "filename*"), None)
    if star:
        m = re.match(r"^([\w!#$%&+^`{}~-]*)'[\w-]*'(.*)$", star)
        if m:
            charset = m.group(1) or "utf-8"
            try:
                return unquote(m.group(2), encoding=charset, errors="strict")
            except (LookupError, UnicodeDecodeError):
                return unquote(m.group(2), encoding="latin-1")
    plain = next((v for k, v in params if k == "filename"), None)
    if plain:
        # Servers often send raw UTF-8 bytes that aiohttp decoded as latin-1.
        try:
            fixed = plain.encode("latin-1").decode("utf-8")
            plain = fixed
        except (UnicodeEncodeError, UnicodeDecodeError):
            pass
        if "%" in plain:
            try:
                plain = unquote(plain, errors="strict")
            except UnicodeDecodeError:
                pass
        return plain
    return None


def name_from_url(url: str) -> str | None:
    path = urlsplit(url).path
    last = path.rstrip("/").rsplit("/", 1)[-1]
    return unquote(last) or None


def sanitize(name: str | None, fallback: str = "download", max_bytes: int = MAX_NAME_BYTES) -> str:
    """A name safe on Windows, macOS and Linux, at most ``max_bytes`` (255) bytes in UTF-8."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]  # keep the last path part only
    name = _BAD_CHARS.sub("_", name)
    name = name.strip(" .")
    if not name or set(name) <= {"."}:
        name = fallback
    stem, dot, ext = name.partition(".") if not name.startswith(".") else (name, "", "")
    if stem.upper() in _WIN_RESERVED:
        name = "_" + name
    if len(name.encode("utf-8")) > max_bytes:
        base, ext = _split_ext(name)
        name = _cut(base, ext[:32], "", max_bytes)
    return name


def target_name(name: str | None) -> str:
    """The name a download is saved under: ``sanitize`` with room left for the longest
    side file (``NAME.part.journal.tmp`` must fit 255 bytes too)."""
    return sanitize(name, max_bytes=MAX_TARGET_BYTES)


def _cut(base: str, ext: str, tag: str, max_bytes: int) -> str:
    """``base + tag + ext`` in at most ``max_bytes`` bytes of UTF-8: only the base is
    shortened, never in the middle of a character."""
    budget = max(0, max_bytes - len((tag + ext).encode("utf-8")))
    base = base.encode("utf-8")[:budget].decode("utf-8", errors="ignore")
    return base + tag + ext


def _split_ext(name: str) -> tuple[str, str]:
    for multi in (".tar.gz", ".tar.xz", ".tar.bz2", ".tar.zst"):
        if name.lower().endswith(multi) and len(name) > len(multi):
            return name[: -len(multi)], name[-len(multi):]
    stem, ext = Path(name).stem, Path(name).suffix
    if not stem:  # ".bashrc"
        return name, ""
    return stem, ext


def numbered(name: str, n: int) -> str:
    """'model.tar.gz', 2 -> 'model (2).tar.gz'. A download's name: the stem is cut so
    the result fits MAX_TARGET_BYTES with its side files (never the number or the
    extension, so every n gives another name)."""
    if n == 0:
        return name
    base, ext = _split_ext(name)
    return _cut(base, ext, f" ({n})", MAX_TARGET_BYTES)
