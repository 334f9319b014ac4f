"""Lanzou (蓝奏云) share links, with or without password.

Hosts: every ``lanzou[a-z].com`` (lanzoux, lanzoui, lanzoue, lanzouk, lanzouu, ...,
any sub-domain: LanZouCloud-API utils.py ``is_file_url``), ``lanzn.com`` and the older
``lanzous.com``/``woozooo.com``.  ``ilanzou.com`` is another service (its API needs
an account login and AES-signed timestamps: OpenList drivers/ilanzou) and is refused
with a clear line.

Protocol, as OpenList drivers/lanzou/util.go and zaxtyson/LanZouCloud-API core.py do
it: share page with a browser User-Agent and ``Accept-Language: zh-CN``; an anti-bot
page carrying ``var arg1='...'`` wants the cookie ``acw_sc__v2``, computed here in
Python from ``arg1`` (page JavaScript is never run).  Without password the
``<iframe src="/fn?...">`` page holds the ``ajaxm.php`` URL and its form data (values
looked up from ``var x = '...'`` literals by regular expressions); with password the
share page itself does, and the code goes in ``p``.  ``{"zt":1,"dom":..,"url":..}``
-> ``dom/file/url``, fetched with cookie ``down_ip=1`` and ``Referer: dom/file``
(the anti-bot check may come again there), answers 302 whose Location is the
direct link (expiry in its ``e=`` parameter).  When that hop answers a page instead
(a traffic check), its form is posted to ``dom/file/ajax.php`` with ``el=2`` after
about 2 s and the answer's ``url`` is the direct link.  A folder (``/b0...``,
password ``pwd``) is listed page by page with ``filemoreajax.php`` and each file is
resolved as its own share, with the folder's password if it asks for one.
"""

from __future__ import annotations

import asyncio
import html as htmllib
import re
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

from ..errors import LinkExpired, NeedPassword, NotFound, ResolveError, UnsupportedLink, WrongPassword
from ..models import Link, Mirror, Resolved
from ._web import fetch
from .base import Resolver, ResolverContext

BROWSER_UA = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/124.0.0.0 Safari/537.36")
HEADERS = {"User-Agent": BROWSER_UA, "Accept-Language": "zh-CN,zh;q=0.9"}
EL2_DELAY = 2.0          # LanZouCloud core.py: ajax.php answers "?SignError" when asked sooner
BUSY_RETRIES = 5         # folder pages answering zt 4 ("try again") are asked again this often
_HOST_RE = re.compile(r"(?:^|\.)(?:lanzou[a-z]|lanzou|lanzn|lanzv|woozooo)\.com$")

# acw_sc__v2: permute arg1 by this order, then XOR with the mask (hex pairs).
_POS = (15, 35, 29, 24, 33, 16, 1, 38, 10, 9, 19, 31, 40, 27, 22, 23, 25, 13, 6, 11,
        39, 18, 20, 8, 14, 21, 32, 26, 2, 30, 7, 4, 17, 5, 3, 28, 34, 37, 12, 36)
_MASK = "3000176000856006061501533003690027800375"


def acw_sc_v2(arg1: str) -> str:
    """The anti-bot cookie value for a challenge ``arg1`` (40 hex characters)."""
    out = [""] * len(_POS)
    for i, ch in enumerate(arg1):
        for j, p in enumerate(_POS):
            if p == i + 1:
                out[j] = ch
    arg2 = "".join(out)
    res = []
    for i in range(0, min(len(arg2), len(_MASK)), 2):
        res.append("%02x" % (int(arg2[i:i + 2], 16) ^ int(_MASK[i:i + 2], 16)))
    return "".join(res)


_ARG1_RE = re.compile(r"var\s+arg1\s*=\s*'([0-9A-Fa-f]+)'")
_GONE = ("文件取消分享了", "文件不存在", "来晚啦")


def _js_vars(page: str) -> dict[str, str]:
    """`var name = 'literal';` / `name = 123;` assignments of a page (literals only)."""
    out: dict[str, str] = {}
    for m in re.finditer(r"(?:var\s+)?([A-Za-z_$][\w$]*)\s*=\s*(?:'([^'\n]*)'|\"([^\"\n]*)\"|(\d+))\s*;",
                         page):
        out[m.group(1)] = next(g for g in m.group(2, 3, 4) if g is not None)
    return out


def _ajax_call(page: str, endpoint: str = "ajaxm.php") -> tuple[str, dict[str, str]]:
    """The ``endpoint`` URL and its form data (without executing anything)."""
    live = re.sub(r"(?m)^\s*//.*$", "", page)          # commented-out decoys
    live = re.sub(r"/\*.*?\*/", "", live, flags=re.S)
    m = re.search(r"url\s*:\s*'([^']*" + re.escape(endpoint) + r"[^']*)'", live)
    d = re.search(r"data\s*:\s*\{(.*?)\}", live, re.S)
    if not m or not d:
        raise ResolveError("Lanzou changed its page: no download form found")
    variables = _js_vars(live)
    data: dict[str, str] = {}
    for km in re.finditer(r"'?([\w]+)'?\s*:\s*('([^']*)'|\"([^\"]*)\"|([\w$]+))", d.group(1)):
        key = km.group(1)
        if km.group(3) is not None or km.group(4) is not None:
            data[key] = km.group(3) if km.group(3) is not None else km.group(4)
        else:
            token = km.group(5)
            data[key] = token if token.isdigit() else variables.get(token, "")
    return m.group(1), data


def _password_form(page: str) -> tuple[str, str]:
    """Password page: the ajaxm.php URL and the ``sign`` its form posts."""
    live = re.sub(r"(?m)^\s*//.*$", "", page)
    m = re.search(r"url\s*:\s*'([^']*ajaxm\.php[^']*)'", live)
    if not m:
        raise ResolveError("Lanzou changed its password page: no download form found")
    variables = _js_vars(live)
    s = re.search(r"sign=([0-9A-Za-z_]+)&", live)             # literal in the data string
    if s:
        return m.group(1), s.group(1)
    s = re.search(r"sign='\s*\+\s*([A-Za-z_$][\w$]*)", live)   # 'action=...&sign='+var+'...'
    if s and s.group(1) in variables:
        return m.group(1), variables[s.group(1)]
    s = re.search(r"'sign'\s*:\s*(?:'([^']*)'|([A-Za-z_$][\w$]*))", live)
    if s:
        return m.group(1), s.group(1) if s.group(1) is not None else variables.get(s.group(2), "")
    raise ResolveError("Lanzou changed its password page: no sign found")


def _title(page: str) -> str | None:
    m = re.search(r"<title>(.*?)</title>", page, re.S)
    if m:
        t = htmllib.unescape(m.group(1)).split(" - ")[0].strip()
        if t and "蓝奏" not in t:
            return t
    m = re.search(r'class="(?:n_box_3fn|filethetext|b)"[^>]*>([^<]+)<', page)
    return htmllib.unescape(m.group(1)).strip() if m else None


class LanzouResolver(Resolver):
    name = "lanzou"
    hosts = ("lanzoux.com", "lanzoui.com", "lanzn.com", "ilanzou.com")   # examples; matches() decides
    priority = 10

    def matches(self, url: str) -> bool:
        host = (urlsplit(url).hostname or "").lower()
        return bool(_HOST_RE.search(host)) or host == "ilanzou.com" or host.endswith(".ilanzou.com")

    async def _get(self, ctx: ResolverContext, url: str, cookies: dict[str, str],
                   referer: str | None = None) -> tuple[int, str, Any]:
        """GET, solving the acw_sc__v2 challenge once when it is shown."""
        for _ in range(3):
            h = dict(HEADERS)
            if referer:
                h["Referer"] = referer
            if cookies:
                h["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
            ans = await fetch(ctx, url, headers=h, follow=False, read=True, label="Lanzou",
                              retry_unreachable=False)
            status, text, headers = ans.status, ans.text, ans.headers
            m = _ARG1_RE.search(text)
            if m:
                answer = acw_sc_v2(m.group(1))
                if cookies.get("acw_sc__v2") == answer:
                    break               # our answer was refused
                cookies["acw_sc__v2"] = answer   # first challenge, or a new one from another host
                continue
            return status, text, headers
        raise ResolveError("Lanzou's anti-bot check did not accept the answer")

    async def resolve(self, link: Link, ctx: ResolverContext) -> list[Resolved]:
        parts = urlsplit(link.url)
        host = (parts.hostname or "").lower()
        if host == "ilanzou.com" or host.endswith(".ilanzou.com"):
            raise UnsupportedLink("ilanzou.com (蓝奏云优享版) links are not supported yet: it is another "
                                  "service whose API needs an account login and signed requests")
        share = f"{parts.scheme or 'https'}://{parts.netloc}{parts.path}"
        password = (link.password or (parse_qs(parts.query).get("pwd") or [None])[0] or "").strip()
        cookies: dict[str, str] = {}
        status, page, _ = await self._get(ctx, share, cookies)
        if status == 404 or any(g in page for g in _GONE):
            raise NotFound("This Lanzou share was cancelled or deleted")
        if status != 200:
            raise ResolveError(f"Lanzou share page answered HTTP {status}")
        name = _title(page)
        if "filemoreajax.php" in page:
            return await self._folder(ctx, link, share, page, password, cookies)
        return await self._file(ctx, link, share, page, password, cookies, name)

    async def _file(self, ctx: ResolverContext, link: Link, share: str, page: str, password: str,
                    cookies: dict[str, str], name: str | None) -> list[Resolved]:
        if "pwdload" in page or "passwddiv" in page:
            if not password:
                raise NeedPassword("This Lanzou share needs a password: add it to the link (密码)")
            ajax, sign = _password_form(page)
            data = {"action": "downprocess", "sign": sign, "p": password, "kd": "1"}
            referer = share
        else:
            m = re.search(r'<iframe[^>]+src="(/fn\?[^"]+)"', page)
            if not m:
                raise ResolveError("Lanzou changed its page: no download frame found")
            fn_url = urljoin(share, m.group(1))
            status, fn_page, _ = await self._get(ctx, fn_url, cookies, referer=share)
            if status != 200:
                raise ResolveError(f"Lanzou download frame answered HTTP {status}")
            ajax, data = _ajax_call(fn_page)
            referer = fn_url
        ans = await self._post(ctx, urljoin(share, ajax), data, cookies, referer, "the download request")
        if int(ans.get("zt", 0)) != 1:
            inf = str(ans.get("inf") or "unknown error")
            if "密码" in inf:
                raise WrongPassword(f"Wrong password for this Lanzou share ({inf})")
            if any(g in inf for g in _GONE) or "失效" in inf:
                raise NotFound(f"This Lanzou share no longer exists ({inf})")
            raise ResolveError(f"Lanzou refused the download: {inf}")
        if isinstance(ans.get("inf"), str) and ans["inf"] and ans["inf"] != "0":
            name = ans["inf"]
        direct = await self._follow(ctx, ans["dom"].rstrip("/"), str(ans["url"]), cookies)
        q = parse_qs(urlsplit(direct).query)
        expires = None
        try:
            expires = float(q["e"][0]) if "e" in q else None
        except ValueError:
            pass
        if expires is not None and expires <= ctx.clock():
            raise LinkExpired("Lanzou gave an already expired link; try again")
        return [Resolved(mirrors=[Mirror(url=direct, headers=dict(HEADERS), expires_at=expires)],
                         filename=name, expires_at=expires, resolver=self.name,
                         ref={"link": link.url, "password": password or None})]

    async def _post(self, ctx: ResolverContext, url: str, data: dict[str, str], cookies: dict[str, str],
                    referer: str, what: str) -> dict:
        """POST a form, answering the anti-bot check once if it comes; -> the JSON answer."""
        for _ in range(2):
            h = {**HEADERS, "Referer": referer, "X-Requested-With": "XMLHttpRequest"}
            if cookies:
                h["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
            got = await fetch(ctx, url, method="POST", data=data, headers=h, read=True, label="Lanzou",
                              retry_unreachable=False)
            m = _ARG1_RE.search(got.text)
            if m and cookies.get("acw_sc__v2") != acw_sc_v2(m.group(1)):
                cookies["acw_sc__v2"] = acw_sc_v2(m.group(1))
                continue
            ans = got.json_or_none()
            if isinstance(ans, dict):
                return ans
            break
        raise ResolveError(f"Lanzou answered something unexpected to {what}")

    async def _folder(self, ctx: ResolverContext, link: Link, share: str, page: str,
                      password: str, cookies: dict[str, str]) -> list[Resolved]:
        """A folder share: list it page by page, then resolve each file's own link."""
        ajax, form = _ajax_call(page, "filemoreajax.php")
        needs_pwd = "pwd" in form and ("pwdload" in page or "passwddiv" in page or 'id="pwd"' in page)
        if needs_pwd and not password:
            raise NeedPassword("This Lanzou folder needs a password: add it to the link (密码)")
        files: list[dict] = []
        pg, busy = 1, 0
        while pg < 100:
            data = {**form, "pg": str(pg)}
            if "pwd" in data:
                data["pwd"] = password
            ans = await self._post(ctx, urljoin(share, ajax), data, cookies, share, "the folder listing")
            zt = int(ans.get("zt", 0))
            if zt == 4 and busy < BUSY_RETRIES:           # "try again" (OpenList, LanZouCloud)
                busy += 1
                await asyncio.sleep(0.5)
                continue
            if zt == 1 and isinstance(ans.get("text"), list) and ans["text"]:
                files += ans["text"]
                pg += 1
                continue
            if zt == 2 or (zt == 1 and not ans.get("text")):
                break                                  # no more pages
            info = str(ans.get("info") or ans.get("inf") or "unknown error")
            if zt == 3 or "密码" in info:
                raise WrongPassword(f"Wrong password for this Lanzou folder ({info})")
            raise ResolveError(f"Lanzou refused the folder listing: {info}")
        if not files:
            raise NotFound("This Lanzou folder is empty")
        base = f"{urlsplit(share).scheme}://{urlsplit(share).netloc}"
        out: list[Resolved] = []
        for f in files:
            # A folder's files may ask for the folder's password (OpenList gives it to each file).
            file_link = f"{base}/{f['id']}"
            [r] = await self.resolve(Link(file_link, password or None), ctx)
            r.filename = f.get("name_all") or r.filename
            r.path = f.get("name_all") or r.filename
            r.ref = {"link": file_link, "password": password or None, "folder": link.url}
            out.append(r)
        return out

    async def _follow(self, ctx: ResolverContext, dom: str, url: str, cookies: dict[str, str]) -> str:
        """``dom/file/url`` -> the direct link: the 302 Location, or, when a traffic-check
        page comes back instead, the ``url`` of its ``ajax.php`` form posted with ``el=2``."""
        base = f"{dom}/file"
        hop = {**cookies, "down_ip": "1"}
        status, page, headers = await self._get(ctx, f"{base}/{url}", hop, referer=base)
        loc = headers.get("Location")
        if status in (301, 302, 303, 307) and loc:
            return ctx.url(loc)
        if status != 200:
            raise ResolveError(f"Lanzou download answered HTTP {status}")
        try:
            ajax, form = _ajax_call(page, "ajax.php")
        except ResolveError:
            raise ResolveError("Lanzou asked for a browser check on the download: try again later") from None
        form["el"] = "2"
        await asyncio.sleep(EL2_DELAY)
        ans = await self._post(ctx, urljoin(base + "/", ajax), form, hop, base, "the download check")
        direct = str(ans.get("url") or "")
        if int(ans.get("zt", 0)) != 1 or not direct.startswith("http"):
            info = str(ans.get("info") or ans.get("inf") or "no link")
            raise ResolveError(f"Lanzou's download check did not pass ({info}); try again later")
        return ctx.url(direct)

    async def refresh(self, resolved: Resolved, ctx: ResolverContext) -> list[Mirror]:
        link = Link(resolved.ref["link"], resolved.ref.get("password"))
        res = await self.resolve(link, ctx)
        return res[0].mirrors
