"""Lanzou (蓝奏云) share links, with or without password.

Protocol (PROTOCOLS.md, "Lanzou"): share page with a browser User-Agent and
``Accept-Language: zh-CN``; an anti-bot page carrying ``var arg1='...'`` wants the
cookie ``acw_sc__v2``, computed here in Python from ``arg1`` (page JavaScript is
never run).  Without password the ``<iframe src="/fn?...">`` page holds the
``ajaxm.php`` URL and its form data (values looked up from ``var x = '...'``
literals by regular expressions); with password the share page itself does, and
the code goes in ``p``.  ``{"zt":1,"dom":..,"url":..}`` -> ``dom/file/url``
answers 302 whose Location is the direct link (expiry in its ``e=`` parameter).
"""

from __future__ import annotations

import html as htmllib
import json
import re
from urllib.parse import parse_qs, urljoin, urlsplit

from ..errors import LinkExpired, NeedPassword, NotFound, ResolveError, WrongPassword
from ..http import lazy_aiohttp as aiohttp
from ..models import Link, Mirror, Resolved
from .base import Resolver, ResolverContext

BROWSER_UA = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/124.0.0.0 Safari/537.36")
HEADERS = {"User-Agent": BROWSER_UA, "Accept-Language": "zh-CN,zh;q=0.9"}

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


def _ajax_call(page: str) -> tuple[str, dict[str, str]]:
    """The ajaxm.php URL and its form data (without executing anything)."""
    live = re.sub(r"(?m)^\s*//.*$", "", page)          # commented-out decoys
    live = re.sub(r"/\*.*?\*/", "", live, flags=re.S)
    m = re.search(r"url\s*:\s*'([^']*ajaxm\.php[^']*)'", live)
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
    hosts = ("lanzou.com", "lanzous.com", "lanzoux.com", "lanzoui.com", "lanzouw.com",
             "lanzouo.com", "lanzouq.com", "lanzoul.com", "lanzouv.com", "lanzouj.com",
             "lanzoub.com", "lanzouf.com", "lanzouc.com", "lanzout.com", "lanzoug.com",
             "lanzouy.com", "lanzn.com", "lanzv.com", "woozooo.com")
    priority = 10

    async def _get(self, ctx: ResolverContext, url: str, cookies: dict[str, str],
                   referer: str | None = None) -> tuple[int, str, dict[str, str]]:
        """GET, solving the acw_sc__v2 challenge once when it is shown."""
        for _ in range(3):
            h = dict(HEADERS)
            if referer:
                h["Referer"] = referer
            if cookies:
                h["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
            try:
                async with ctx.session.get(ctx.url(url), headers=h, allow_redirects=False) as r:
                    text = await r.text(errors="replace")
                    status, headers = r.status, {k: v for k, v in r.headers.items()}
            except aiohttp.ClientError as e:
                raise ResolveError(f"Cannot reach Lanzou: {type(e).__name__}") from None
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
        h = {**HEADERS, "Referer": referer, "X-Requested-With": "XMLHttpRequest"}
        if cookies:
            h["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        try:
            async with ctx.session.post(ctx.url(urljoin(share, ajax)), data=data, headers=h) as r:
                text = await r.text()
        except aiohttp.ClientError as e:
            raise ResolveError(f"Cannot reach Lanzou: {type(e).__name__}") from None
        try:
            ans = json.loads(text)
        except ValueError:
            raise ResolveError("Lanzou answered something unexpected to the download request") from None
        if int(ans.get("zt", 0)) != 1:
            inf = str(ans.get("inf") or "unknown error")
            if "密码" in inf:
                raise WrongPassword(f"Wrong password for this Lanzou share ({inf})")
            if any(g in inf for g in _GONE) or "失效" in inf:
                raise NotFound(f"This Lanzou share no longer exists ({inf})")
            raise ResolveError(f"Lanzou refused the download: {inf}")
        if isinstance(ans.get("inf"), str) and ans["inf"] and ans["inf"] != "0":
            name = ans["inf"]
        target = f"{ans['dom'].rstrip('/')}/file/{ans['url']}"
        direct = await self._follow(ctx, target, cookies)
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

    async def _folder(self, ctx: ResolverContext, link: Link, share: str, page: str,
                      password: str, cookies: dict[str, str]) -> list[Resolved]:
        """A folder share: list it page by page, then resolve each file's own link."""
        ajax, form = _ajax_call(page.replace("filemoreajax.php", "ajaxm.php"))
        ajax = ajax.replace("ajaxm.php", "filemoreajax.php")
        needs_pwd = "pwd" in form and ("pwdload" in page or "passwddiv" in page or 'id="pwd"' in page)
        if needs_pwd and not password:
            raise NeedPassword("This Lanzou folder needs a password: add it to the link (密码)")
        files: list[dict] = []
        h = {**HEADERS, "Referer": share, "X-Requested-With": "XMLHttpRequest"}
        for pg in range(1, 100):
            data = {**form, "pg": str(pg)}
            if "pwd" in data:
                data["pwd"] = password
            if cookies:
                h["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
            try:
                async with ctx.session.post(ctx.url(urljoin(share, ajax)), data=data, headers=h) as r:
                    ans = json.loads(await r.text())
            except aiohttp.ClientError as e:
                raise ResolveError(f"Cannot reach Lanzou: {type(e).__name__}") from None
            except ValueError:
                raise ResolveError("Lanzou answered something unexpected to the folder listing") from None
            zt = int(ans.get("zt", 0))
            if zt == 1 and isinstance(ans.get("text"), list) and ans["text"]:
                files += ans["text"]
                continue
            if zt == 2 or (zt == 1 and not ans.get("text")):
                break                                  # no more pages
            info = str(ans.get("info") or "unknown error")
            if zt == 3 or "密码" in info:
                raise WrongPassword(f"Wrong password for this Lanzou folder ({info})")
            raise ResolveError(f"Lanzou refused the folder listing: {info}")
        if not files:
            raise NotFound("This Lanzou folder is empty")
        base = f"{urlsplit(share).scheme}://{urlsplit(share).netloc}"
        out: list[Resolved] = []
        for f in files:
            [r] = await self.resolve(Link(f"{base}/{f['id']}"), ctx)
            r.filename = f.get("name_all") or r.filename
            r.path = f.get("name_all") or r.filename
            r.ref = {"link": f"{base}/{f['id']}", "password": None, "folder": link.url}
            out.append(r)
        return out

    async def _follow(self, ctx: ResolverContext, target: str, cookies: dict[str, str]) -> str:
        """``dom/file/url`` -> the 302 Location (the direct link), without following it."""
        status, page, headers = await self._get(ctx, target, cookies)
        loc = headers.get("Location")
        if status in (301, 302, 303, 307) and loc:
            return ctx.url(loc)
        if status == 200 and not loc:
            raise ResolveError("Lanzou asked for a browser check on the download: try again later")
        raise ResolveError(f"Lanzou download answered HTTP {status}")

    async def refresh(self, resolved: Resolved, ctx: ResolverContext) -> list[Mirror]:
        link = Link(resolved.ref["link"], resolved.ref.get("password"))
        res = await self.resolve(link, ctx)
        return res[0].mirrors
