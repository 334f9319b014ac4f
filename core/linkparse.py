"""Find the links (and their extraction codes) in whatever text a user pastes.

Share texts from Chinese cloud drives wrap the link in prose::

    链接: https://pan.baidu.com/s/1AbCdEf?pwd=x7k2 提取码: x7k2 复制这段内容后打开百度网盘手机App

``parse_links`` returns one ``Link`` per distinct URL, with the extraction code
that goes with it: from ``?pwd=`` in the URL, or from ``提取码`` / ``密码`` /
``访问码`` / ``pwd`` / ``code`` (half- or full-width colon) written after the link
(or, for the first link, before it).  Surrounding Chinese or English text,
brackets and trailing punctuation are stripped; duplicates are dropped.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from .models import Link

# Characters that can never be part of a pasted URL: whitespace, quotes, CJK
# ideographs and CJK punctuation (users often paste "https://x/s/1abc提取码:1234").
_STOP = (r"\s<>\"'`\u00a0\u2018-\u201f\u2026\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff"
         r"\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef")
# (case-insensitive only where letters are: re.I over the big CJK classes is slow to compile)
_URL = rf"(?i:https?)://[^{_STOP}]+"
# ASCII characters of _STOP, for the quick path of one pasted link
_ASCII_STOP = frozenset("<>\"'`")

# Hosts users paste without "https://" (share texts sometimes drop it).
_BARE_HOSTS = (
    r"pan\.baidu\.com|yun\.baidu\.com|(?:[\w-]+\.)?lanzou\w?\.com|(?:[\w-]+\.)?lanzn\.com|"
    r"(?:[\w-]+\.)?ilanzou\.com|1drv\.ms|onedrive\.live\.com|civitai\.red|(?:www\.)?modelscope\.ai|"
    r"pan\.quark\.cn|(?:www\.)?alipan\.com|(?:www\.)?aliyundrive\.com|(?:www\.)?123pan\.com|"
    r"(?:www\.)?123pan\.cn|cloud\.189\.cn|pan\.xunlei\.com|huggingface\.co|hf-mirror\.com|"
    r"github\.com|(?:www\.)?modelscope\.cn|civitai\.com|drive\.google\.com|(?:www\.)?dropbox\.com|"
    r"(?:www\.)?123(?:684|865|912)\.com|drive\.uc\.cn|fast\.uc\.cn|(?:www\.)?kaggle\.com|"
    r"(?:www\.)?ollama\.com|registry\.ollama\.ai"
)
_BARE = rf"(?<![A-Za-z0-9_./@-])(?i:{_BARE_HOSTS})/[^{_STOP}]*"

# "提取码: abcd", "密码：1a2b", "访问码：ab12", "pwd=abcd", "code: abcd", "Password: abcd"
_CODE = (r"(?:提取码|提取密码|访问码|访问密码|密码|口令|"
         r"\b(?:pwd|passcode|password|pass|code|extraction\s+code|access\s+code)\b)"
         r"\s*(?:is\s*)?[:=]?\s*([A-Za-z0-9]{2,16})(?![A-Za-z0-9])")
# The English keywords need a separator ("code: x", "pwd=x") to count; Chinese ones don't.
_EN_KEYWORD = r"^(?:pwd|passcode|password|pass|code|extraction\s+code|access\s+code)$"


@functools.cache
def _re(pattern: str, flags: int = 0) -> re.Pattern:
    """A pattern compiled when first needed: compiling them all took 7 ms of every `get`,
    whose one link (see _url_matches) needs none of them."""
    return re.compile(pattern, flags)


def _url_matches(text: str) -> list[tuple[int, str]]:
    """(start, text) of each run that _URL matches. A text with no whitespace, quote or
    non-ASCII character (one link, as `get` passes it) is one run from its first
    "http(s)://" to its end: found without the pattern."""
    if text.isascii() and not any(c.isspace() or c in _ASCII_STOP for c in text):
        low = text.lower()
        starts = [i for i in (low.find("http://"), low.find("https://")) if i >= 0]
        if not starts:
            return []
        i = min(starts)
        return [(i, text[i:])] if len(text) > low.index("://", i) + 3 else []
    return [(m.start(), m.group(0)) for m in _re(_URL).finditer(text)]

_TRAILING = ".,;:!?*~_-'\"`"
_PAIRS = {")": "(", "]": "[", "}": "{", ">": "<"}
_PWD_KEYS = ("pwd", "password", "passcode")


def _clean_url(url: str) -> str:
    """Strip trailing punctuation and unbalanced closing brackets."""
    while url:
        last = url[-1]
        if last in _TRAILING:
            url = url[:-1]
        elif last in _PAIRS and url.count(last) > url.count(_PAIRS[last]):
            url = url[:-1]
        else:
            break
    return url


def _url_password(url: str) -> str | None:
    try:
        q = urlsplit(url).query
    except ValueError:
        return None
    for k, v in parse_qsl(q, keep_blank_values=True):
        if k.lower() in _PWD_KEYS and v:
            return v
    return None


def _dedupe_key(url: str) -> str:
    """Same share written twice (with and without ?pwd=, http/https, trailing slash)."""
    try:
        p = urlsplit(url)
        q = [(k, v) for k, v in parse_qsl(p.query, keep_blank_values=True) if k.lower() not in _PWD_KEYS]
        path = p.path.rstrip("/") or "/"
        # "#/list/share/<fid>" (a Quark sub-folder) names another target; "#top" does not
        fragment = p.fragment if p.fragment.startswith("/") else ""
        return urlunsplit(("https", (p.hostname or "").lower() + (f":{p.port}" if p.port else ""),
                           path, urlencode(q), fragment))
    except ValueError:   # a malformed port or host: compare the text itself
        return url


def _split_glued(start: int, url: str) -> list[tuple[int, str]]:
    """"https://a/x,https://b/y" -> two URLs (but keep "?next=https://...")."""
    out: list[tuple[int, str]] = []
    if url.count("://") < 2:   # the URL's own scheme is not preceded by a separator
        return [(start, url)]
    for m in list(re.finditer(r"(?<=[,;|)\]])https?://", url, re.I))[::-1]:
        out.append((start + m.start(), url[m.start():]))
        url = url[:m.start()]
    out.append((start, url))
    return out[::-1]


def _find_code(segment: str) -> str | None:
    segment = unicodedata.normalize("NFKC", segment)
    if not any(c.isascii() and c.isalnum() for c in segment):
        return None   # a code is ASCII letters and digits
    for m in _re(_CODE, re.I).finditer(segment):
        keyword = m.group(0)[: m.start(1) - m.start(0)]
        word = re.sub(r"\s*(?:is\s*)?[:=]?\s*$", "", keyword, flags=re.I).strip()
        sep = keyword[len(word):]
        if _re(_EN_KEYWORD, re.I).match(word) and not re.search(r"[:=]|\bis\b", sep, re.I):
            continue  # "source code here" is prose, "code: ab12" is a code
        return m.group(1)
    return None


def _unescape(text: str) -> str:
    import html
    return html.unescape(text)


def _uncovered_slash(text: str, taken: list[tuple[int, int]]) -> bool:
    """Whether a "/" is left outside the links found: a bare "host/path" needs one."""
    pos = 0
    for s, e in sorted(taken):
        if "/" in text[pos:s]:
            return True
        pos = max(pos, e)
    return "/" in text[pos:]


def _host_ok(host: str) -> bool:
    """A host name a request can carry: ASCII, or one the IDNA codec can encode (not one
    with an empty label or a label longer than 63 characters, say)."""
    if host.isascii():
        return True
    try:
        host.encode("idna")
    except UnicodeError:
        return False
    return True


def parse_links(text: str) -> list[Link]:
    """All distinct http(s) links in ``text``, each with its extraction code."""
    if not text:
        return []
    norm = text
    spans: list[tuple[int, int, str]] = []
    for start, found in _url_matches(norm):
        for pos, raw in _split_glued(start, found):
            raw = _clean_url(raw)
            url = _unescape(raw) if "&amp;" in raw else raw
            try:
                sp = urlsplit(url)
                ok = (len(url) > len("https://") and bool(sp.hostname) and (sp.port or 0) >= 0
                      and _host_ok(sp.hostname))
            except ValueError:
                ok = False
            if ok:
                spans.append((pos, pos + len(raw), url))
    taken = [(s, e) for s, e, _ in spans]
    for m in (_re(_BARE).finditer(norm) if _uncovered_slash(norm, taken) else ()):
        if any(s <= m.start() < e for s, e in taken):
            continue
        url = _clean_url(m.group(0))
        spans.append((m.start(), m.start() + len(url), "https://" + url))
    spans.sort()

    links: list[Link] = []
    index: dict[str, Link] = {}
    for i, (start, end, url) in enumerate(spans):
        nxt = spans[i + 1][0] if i + 1 < len(spans) else len(norm)
        pwd = _url_password(url) or _find_code(norm[end:nxt])
        if pwd is None and i == 0:
            pwd = _find_code(norm[:start])
        key = _dedupe_key(url)
        if key in index:
            if index[key].password is None and pwd:
                index[key].password = pwd
            continue
        link = Link(url, pwd)
        index[key] = link
        links.append(link)
    return links


__all__ = ["parse_links"]
