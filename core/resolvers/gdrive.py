"""Google Drive shared files.

Links understood: ``drive.google.com/file/d/<id>/view``, ``/open?id=<id>``,
``/uc?id=<id>``, ``docs.google.com/uc?id=<id>`` and
``drive.usercontent.google.com/download?id=<id>``.

``GET https://drive.google.com/uc?id=<id>&export=download`` (redirected to
drive.usercontent.google.com) is either the file (Content-Disposition) or an
HTML page:

- the virus-scan warning for large files: ``<form id="download-form"
  action=".../download">`` with hidden inputs (``id``, ``export``, ``confirm``,
  ``uuid``); GET the action with those inputs to get the file;
- a quota page (``uc-error-subcaption``: "Too many users have viewed or
  downloaded this file recently") -> QuotaExceeded (lifts within 24 h);
- a sign-in / request-access page -> NeedLogin (the file is not public).

Probes send ``Range: bytes=0-0`` so no large transfer starts during resolving.
Folders are not supported (they need the Drive API).
"""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

from ..errors import NeedLogin, NotFound, QuotaExceeded, ResolveError, UnsupportedLink
from ..filenames import parse_content_disposition
from ..models import Link, Mirror, Resolved
from ._web import Answer, UnexpectedAnswer, common_errors, fetch, total_size
from .base import Resolver, ResolverContext

UC = "https://drive.google.com/uc"
QUOTA_RETRY = 3600.0
_ID_RE = re.compile(r"^[A-Za-z0-9_-]{10,}$")


def file_id(url: str) -> str:
    p = urlsplit(url)
    if "/folders/" in p.path or "/drive/u/" in p.path and "folders" in p.path:
        raise UnsupportedLink("Google Drive folders are not supported: open the folder and paste "
                              "the link of each file")
    if re.search(r"/(document|spreadsheets|presentation|forms)/d/", p.path):
        raise UnsupportedLink("Google Docs, Sheets and Slides are documents, not files: "
                              "use File > Download in the browser")
    m = re.search(r"/file/d/([^/?#]+)", p.path)
    if m and _ID_RE.match(m.group(1)):
        return m.group(1)
    q = dict(parse_qsl(p.query))
    if q.get("id") and _ID_RE.match(q["id"]):
        return q["id"]
    raise UnsupportedLink("This Google Drive link does not name a file (…/file/d/<id>/view)")


class _FormParser(HTMLParser):
    """Collects the download form, the quota/error text and the file name link."""

    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.inputs: list[tuple[str, str]] = []
        self._in_form = False
        self._in_error = 0
        self.error_text = ""
        self._in_name = False
        self.name_text = ""
        self.confirm_href: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v or "") for k, v in attrs}
        if tag == "form" and (a.get("id") == "download-form" or "download" in a.get("action", "")):
            self._in_form = True
            self.action = a.get("action") or ""
        elif tag == "input" and self._in_form and a.get("name"):
            if a.get("type", "hidden") in ("hidden", "submit") and a.get("type") != "submit":
                self.inputs.append((a["name"], a.get("value", "")))
        elif tag in ("p", "div", "span") and "uc-error-subcaption" in a.get("class", ""):
            self._in_error = 1
        elif self._in_error and tag in ("p", "div", "span"):
            self._in_error += 1
        elif tag == "span" and "uc-name-size" in a.get("class", ""):
            self._in_name = True
        elif tag == "a":
            href = a.get("href", "")
            if "confirm=" in href and "export=download" in href:
                self.confirm_href = unescape(href)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._in_form = False
        elif self._in_error and tag in ("p", "div", "span"):
            self._in_error -= 1
        elif tag == "span" and self._in_name:
            self._in_name = False

    def handle_data(self, data: str) -> None:
        if self._in_error:
            self.error_text += data
        if self._in_name:
            self.name_text += data


def _page_errors(ans: Answer, page: _FormParser) -> None:
    low = ans.body.lower()
    err = " ".join(page.error_text.split())
    if "too many users" in err.lower() or "quota" in err.lower():
        raise QuotaExceeded("Google Drive: too many people downloaded this file recently; it "
                            "becomes available again within 24 h (or make a copy in your own Drive)",
                            retry_after=QUOTA_RETRY)
    if err and ("does not exist" in err.lower() or "not found" in err.lower()):
        raise NotFound("This Google Drive file does not exist or was deleted")
    if (ans.status in (401, 403) or b"accounts.google.com/servicelogin" in low
            or b"you need access" in low or b"request access" in low):
        raise NeedLogin("drive.google.com", message=(
            "This Google Drive file is not shared publicly: ask its owner to share it with "
            "\"Anyone with the link\""))
    if err:
        raise ResolveError(f"Google Drive: {err}")


class GoogleDriveResolver(Resolver):
    name = "gdrive"
    hosts = ("drive.google.com", "docs.google.com", "drive.usercontent.google.com")
    priority = 20

    async def resolve(self, link: Link, ctx: ResolverContext) -> list[Resolved]:
        fid = file_id(link.url)
        url = f"{UC}?{urlencode({'id': fid, 'export': 'download'})}"
        probe = {"Range": "bytes=0-0"}
        ans = await fetch(ctx, url, headers=probe)
        guessed_name: str | None = None
        for _ in range(3):
            if ans.status == 404:
                raise NotFound("This Google Drive file does not exist or was deleted")
            if ans.is_file or ans.headers.get("Content-Disposition"):
                name = parse_content_disposition(ans.headers.get("Content-Disposition")) or guessed_name
                return [Resolved(mirrors=[Mirror(ctx.url(ans.url))], filename=name, size=total_size(ans),
                                 resolver=self.name, ref={"link": link.url})]
            page = _FormParser()
            try:
                page.feed(ans.text)
            except Exception:  # pragma: no cover - html.parser is lenient
                pass
            _page_errors(ans, page)
            if ans.status not in (200, 206) and ans.status >= 400:
                common_errors(ans, "This Google Drive file")
                raise UnexpectedAnswer(f"Google Drive answered HTTP {ans.status}")
            if page.name_text:
                guessed_name = re.sub(r"\s*\([\d.,]+\s*[KMGT]?B?\)\s*$", "", page.name_text.strip()) or None
            if page.action is not None:
                action = urljoin(ans.url, unescape(page.action))
                sep = "&" if urlsplit(action).query else "?"
                nxt = action + sep + urlencode(page.inputs) if page.inputs else action
            elif page.confirm_href:
                nxt = urljoin(ans.url, page.confirm_href)
            else:
                break
            ans = await fetch(ctx, nxt, headers=probe)
        raise UnexpectedAnswer("Google Drive showed a page Zhilian does not understand "
                               "instead of the file; open the link in a browser")

    async def refresh(self, resolved: Resolved, ctx: ResolverContext) -> list[Mirror]:
        fresh = await self.resolve(Link(resolved.ref["link"]), ctx)
        return fresh[0].mirrors
