"""Which files of a repo or folder link to take: the link's options.

Like the Hugging Face CLI (``huggingface-cli download --include/--exclude
--revision``), a link may carry glob patterns and a revision.  They travel in
the link's fragment, so the download queue stores them with the task and a
restart or a refresh applies them again::

    https://huggingface.co/org/model#include=*.safetensors&include=*.json&exclude=*fp32*&revision=v1.0

Patterns follow ``huggingface_hub.utils.filter_repo_objects``: ``fnmatch`` on
the file's path inside the repo (``*`` also matches ``/``), a pattern ending in
``/`` means everything below that folder; a file is taken when it matches one
``include`` pattern (or there are none) and no ``exclude`` pattern.

Pure functions of strings and ``Resolved`` values: the resolvers use them, so
this module imports none of them (core/selection.py, which does, builds on it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fnmatch import fnmatch
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from .errors import NotFound, ZhilianError
from .models import Resolved

OPTION_KEYS = ("include", "exclude", "revision")


@dataclass
class LinkOptions:
    """Which files of a repository link to take (``include``/``exclude`` patterns) and at
    which ``revision``; carried in the link's fragment."""
    include: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    revision: str | None = None

    def __bool__(self) -> bool:
        return bool(self.include or self.exclude or self.revision)

    def fragment(self) -> str:
        parts = [f"include={_enc(p)}" for p in self.include]
        parts += [f"exclude={_enc(p)}" for p in self.exclude]
        if self.revision:
            parts.append(f"revision={_enc(self.revision)}")
        return "&".join(parts)


def _enc(value: str) -> str:
    """Every character but letters and digits percent-encoded: pasted-link cleaning
    strips trailing punctuation ("*", ".", "_"), which a pattern may end with."""
    return "".join(c if c.isascii() and c.isalnum() else "".join(f"%{b:02X}" for b in c.encode())
                   for c in value)


def link_options(url: str) -> LinkOptions:
    """The options a link's fragment carries (empty when it carries none)."""
    try:
        frag = urlsplit(url).fragment
    except ValueError:
        return LinkOptions()
    pairs = parse_qsl(frag, keep_blank_values=True) if "=" in frag else []
    if not pairs or any(k not in OPTION_KEYS for k, _ in pairs):
        return LinkOptions()     # some other fragment (a host's own "#/list/...")
    opts = LinkOptions()
    for k, v in pairs:
        v = v.strip()
        if not v:
            continue
        if k == "revision":
            opts.revision = v
        else:
            getattr(opts, k).append(v)
    return opts


def with_options(url: str, opts: LinkOptions) -> str:
    """``url`` carrying ``opts`` in its fragment (options already there are replaced)."""
    if not opts:
        return url
    p = urlsplit(url)
    if p.fragment and not link_options(url):
        raise ZhilianError("--include/--exclude/--revision cannot be used with a link that "
                           "already has a '#…' part")
    return urlunsplit(p._replace(fragment=opts.fragment()))


def apply_options(text: str, opts: LinkOptions) -> str:
    """Pasted text with ``opts`` put on every link in it (codes kept beside them)."""
    if not opts:
        return text
    from .linkparse import parse_links
    lines = []
    for link in parse_links(text):
        line = with_options(link.url, opts)
        if link.password and link.password not in link.url:
            line += f" 提取码: {link.password}"
        lines.append(line)
    return "\n".join(lines) or text


def without_options(url: str) -> str:
    """``url`` without an options fragment (what is shown to hosts)."""
    if not link_options(url):
        return url
    return urlunsplit(urlsplit(url)._replace(fragment=""))


def _matches(path: str, pattern: str) -> bool:
    if pattern.endswith("/"):
        pattern += "*"
    return fnmatch(path, pattern)


def keeps(path: str, include: list[str], exclude: list[str]) -> bool:
    """Whether a file at ``path`` passes ``--include`` (any, when given) and ``--exclude`` (none)."""
    return ((not include or any(_matches(path, p) for p in include))
            and not any(_matches(path, p) for p in exclude))


def select(files: list[Resolved], opts: LinkOptions, what: str = "this link") -> list[Resolved]:
    """The files the options keep; NotFound when they keep none."""
    if not (opts.include or opts.exclude):
        return files
    out = [r for r in files if keeps(r.path or r.filename or "", opts.include, opts.exclude)]
    if not out:
        rules = [f"--include {p}" for p in opts.include] + [f"--exclude {p}" for p in opts.exclude]
        raise NotFound(f"None of the {len(files)} file(s) of {what} matches {' '.join(rules)}")
    return out


def exact_pattern(path: str) -> str:
    """An ``--include`` pattern matching exactly this path (glob characters escaped)."""
    return "".join(f"[{c}]" if c in "*?[" else c for c in path)


__all__ = ["LinkOptions", "link_options", "with_options", "apply_options", "without_options", "keeps", "select",
           "exact_pattern"]
