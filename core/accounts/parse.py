"""Read cookies from what a user can copy out of a browser:

- a ``Cookie:`` header (or just ``a=b; c=d``),
- a Netscape ``cookies.txt`` (browser export extensions, ``curl -c``, yt-dlp),
- "Copy as cURL" in bash, cmd (Windows) or PowerShell ``curl.exe`` flavour,
- "Copy as PowerShell" (``Invoke-WebRequest`` with ``$session.Cookies.Add(...)``).

Nothing here evaluates the pasted text; it is tokenised by hand.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from ..errors import ErrorKind, ZhilianError


class CookieImportError(ZhilianError):
    """The pasted text holds no usable cookies."""


@dataclass
class ParsedCookies:
    cookies: dict[str, str]
    expires: dict[str, float] = field(default_factory=dict)   # name -> unix time, when known
    url_host: str | None = None     # the request host of a cURL/PowerShell command
    source: str = "header"          # header | netscape | curl | curl-cmd | powershell


_NAME_RE = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")


def parse_cookie_header(text: str) -> dict[str, str]:
    """'Cookie: a=1; b=2' -> {'a': '1', 'b': '2'}."""
    text = text.strip()
    if text.lower().startswith("cookie:"):
        text = text[7:]
    out: dict[str, str] = {}
    for part in text.split(";"):
        if "=" not in part:
            continue
        name, value = part.split("=", 1)
        name, value = name.strip(), value.strip()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        if name and _NAME_RE.match(name):
            out[name] = value
    return out


def _domain_ok(domain: str, host: str | None) -> bool:
    if not host:
        return True
    from .hosts import host_domains
    d = domain.lower().lstrip(".")
    return any(d == h or d.endswith("." + h) or h.endswith("." + d) for h in host_domains(host))


def parse_netscape(text: str, host: str | None = None) -> ParsedCookies:
    """Netscape cookies.txt; with ``host`` only that account's domains are kept."""
    cookies: dict[str, str] = {}
    expires: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith("#HttpOnly_"):
            line = line[len("#HttpOnly_"):]
        elif not line.strip() or line.startswith("#"):
            continue
        f = line.rstrip("\r\n").split("\t")
        if len(f) != 7:
            continue
        domain, _flag, _path, _secure, exp, name, value = f
        if not _domain_ok(domain, host):
            continue
        cookies[name] = value
        try:
            e = float(exp)
            if e > 0:
                expires[name] = e
        except ValueError:
            pass
    return ParsedCookies(cookies, expires, source="netscape")


# -- shell command tokenisers ------------------------------------------------

def _tokens_bash(text: str) -> list[str]:
    """POSIX-shell words: '...', "...", $'...', backslash escapes, line continuations."""
    out: list[str] = []
    i, n = 0, len(text)
    cur: list[str] | None = None
    while i < n:
        c = text[i]
        if c == "\\" and i + 1 < n and text[i + 1] in "\r\n":
            i += 3 if text[i + 1:i + 3] == "\r\n" else 2
            continue
        if c.isspace():
            if cur is not None:
                out.append("".join(cur))
                cur = None
            i += 1
            continue
        if cur is None:
            cur = []
        if c == "'":
            j = text.find("'", i + 1)
            j = n if j < 0 else j
            cur.append(text[i + 1:j])
            i = j + 1
        elif c == "$" and text[i + 1:i + 2] == "'":
            i += 2
            while i < n and text[i] != "'":
                if text[i] == "\\" and i + 1 < n:
                    e = text[i + 1]
                    if e == "x" and re.match(r"[0-9a-fA-F]{2}", text[i + 2:i + 4]):
                        cur.append(chr(int(text[i + 2:i + 4], 16)))
                        i += 4
                        continue
                    if e == "u" and re.match(r"[0-9a-fA-F]{4}", text[i + 2:i + 6]):
                        cur.append(chr(int(text[i + 2:i + 6], 16)))
                        i += 6
                        continue
                    cur.append({"n": "\n", "t": "\t", "r": "\r"}.get(e, e))
                    i += 2
                else:
                    cur.append(text[i])
                    i += 1
            i += 1
        elif c == '"':
            i += 1
            while i < n and text[i] != '"':
                if text[i] == "\\" and i + 1 < n and text[i + 1] in '"\\$`':
                    cur.append(text[i + 1])
                    i += 2
                else:
                    cur.append(text[i])
                    i += 1
            i += 1
        elif c == "\\" and i + 1 < n:
            cur.append(text[i + 1])
            i += 2
        else:
            cur.append(c)
            i += 1
    if cur is not None:
        out.append("".join(cur))
    return out


def _tokens_cmd(text: str) -> list[str]:
    """cmd.exe words as browsers write them: ^ escapes, ^ line continuation,
    "..." strings with \\" and \\\\ inside."""
    text = re.sub(r"\^\r?\n", " ", text)
    text = re.sub(r"\^(.)", r"\1", text)      # caret escapes (^" ^% ^& ^^ ...)
    out: list[str] = []
    i, n = 0, len(text)
    cur: list[str] | None = None
    while i < n:
        c = text[i]
        if c.isspace():
            if cur is not None:
                out.append("".join(cur))
                cur = None
            i += 1
            continue
        if cur is None:
            cur = []
        if c == '"':
            i += 1
            while i < n and text[i] != '"':
                if text[i] == "\\" and i + 1 < n and text[i + 1] in '"\\':
                    cur.append(text[i + 1])
                    i += 2
                elif text[i] == '"' and text[i + 1:i + 2] == '"':
                    cur.append('"')
                    i += 2
                else:
                    cur.append(text[i])
                    i += 1
            i += 1
        else:
            cur.append(c)
            i += 1
    if cur is not None:
        out.append("".join(cur))
    return out


def _tokens_powershell(text: str) -> list[str]:
    """PowerShell words: backtick escapes and continuation, '...' ('' = '), "..."."""
    text = re.sub(r"`\r?\n", " ", text)
    out: list[str] = []
    i, n = 0, len(text)
    cur: list[str] | None = None
    while i < n:
        c = text[i]
        if c.isspace():
            if cur is not None:
                out.append("".join(cur))
                cur = None
            i += 1
            continue
        if cur is None:
            cur = []
        if c == "'":
            i += 1
            while i < n:
                if text[i] == "'" and text[i + 1:i + 2] == "'":
                    cur.append("'")
                    i += 2
                elif text[i] == "'":
                    break
                else:
                    cur.append(text[i])
                    i += 1
            i += 1
        elif c == '"':
            i += 1
            while i < n and text[i] != '"':
                if text[i] == "`" and i + 1 < n:
                    e = text[i + 1]
                    cur.append({"n": "\n", "t": "\t", "r": "\r", "0": "\0"}.get(e, e))
                    i += 2
                else:
                    cur.append(text[i])
                    i += 1
            i += 1
        elif c == "`" and i + 1 < n:
            cur.append(text[i + 1])
            i += 2
        else:
            cur.append(c)
            i += 1
    if cur is not None:
        out.append("".join(cur))
    return out


def _from_curl_words(words: list[str], source: str) -> ParsedCookies:
    cookies: dict[str, str] = {}
    url: str | None = None
    i = 1
    while i < len(words):
        w = words[i]
        nxt = words[i + 1] if i + 1 < len(words) else ""
        if w in ("-H", "--header"):
            if nxt.lower().startswith("cookie:"):
                cookies.update(parse_cookie_header(nxt))
            i += 2
        elif w in ("-b", "--cookie"):
            if "=" in nxt:           # otherwise it names a cookie file, which we do not read
                cookies.update(parse_cookie_header(nxt))
            i += 2
        elif w in ("--url",):
            url = nxt
            i += 2
        elif w.startswith("http://") or w.startswith("https://"):
            url = url or w
            i += 1
        elif w.startswith("-") and w in _CURL_ARG_OPTS:
            i += 2
        else:
            i += 1
    host = urlsplit(url).hostname if url else None
    return ParsedCookies(cookies, url_host=host, source=source)


_CURL_ARG_OPTS = {"-X", "--request", "-d", "--data", "--data-raw", "--data-binary",
                  "--data-urlencode", "-A", "--user-agent", "-e", "--referer", "-o",
                  "--output", "-u", "--user", "-x", "--proxy", "--connect-timeout",
                  "-m", "--max-time", "-F", "--form"}


def parse_powershell(text: str) -> ParsedCookies:
    """'Copy as PowerShell': cookies from ``New-Object System.Net.Cookie("n", "v", ...)``
    and a ``"Cookie"="..."`` entry of ``-Headers @{...}``."""
    cookies: dict[str, str] = {}
    words = _tokens_powershell(text)
    joined = " ".join(words)
    url = None
    for m in re.finditer(r"-Uri\s+(\S+)", joined):
        url = m.group(1)
    # Re-tokenise the cookie constructors: System.Net.Cookie("name", "value", "/", ".host")
    for m in re.finditer(r"System\.Net\.Cookie\(([^()]*)\)", text):
        args = [a for a in _tokens_powershell(m.group(1).replace(",", " ")) if a]
        if len(args) >= 2:
            cookies[args[0]] = args[1]
    for m in re.finditer(r'(?i)["\']?cookie["\']?\s*=\s*("(?:[^"`]|`.)*"|\'(?:[^\']|\'\')*\')', text):
        val = _tokens_powershell(m.group(1))
        if val:
            cookies.update(parse_cookie_header(val[0]))
    host = urlsplit(url).hostname if url else None
    return ParsedCookies(cookies, url_host=host, source="powershell")


def detect_and_parse(text: str, host: str | None = None) -> ParsedCookies:
    """Any supported format -> cookies (raises CookieImportError when none found)."""
    s = text.strip().lstrip("\ufeff")
    if not s:
        raise CookieImportError("Nothing to import: paste a Cookie header, a cookies.txt or a 'Copy as cURL' command",
                                kind=ErrorKind.COOKIES_NOTHING)
    first = s.split(None, 1)[0].lower()
    if first in ("curl", "curl.exe"):
        if re.search(r'\^"|\^\r?\n', s):
            p = _from_curl_words(_tokens_cmd(s), "curl-cmd")
        elif re.search(r"`\r?\n", s):
            p = _from_curl_words(_tokens_powershell(s), "curl-powershell")
        else:
            p = _from_curl_words(_tokens_bash(s), "curl")
    elif re.search(r"(?i)Invoke-(WebRequest|RestMethod)|System\.Net\.Cookie|WebRequestSession", s):
        p = parse_powershell(s)
    elif "# Netscape HTTP Cookie File" in s or any(
            len(line.split("\t")) == 7 for line in s.splitlines() if not line.startswith("# ")):
        p = parse_netscape(s, host)
    else:
        p = ParsedCookies(parse_cookie_header(s), source="header")
    if not p.cookies:
        what = {"netscape": "cookies.txt (no cookie for this host in it)",
                "header": "Cookie header"}.get(p.source, "command (no Cookie header or -b option)")
        raise CookieImportError(f"No cookies found in the pasted {what}", kind=ErrorKind.COOKIES_NONE_FOUND,
                                params={"source": p.source if p.source in ("netscape", "header") else "command"})
    return p
