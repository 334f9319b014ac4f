"""Helpers the newer share-host resolvers (123pan, Aliyun Drive, Tianyi, UC) share.

- ``api_json``: one JSON API call through ``_web.fetch`` (host map, no
  credentials across hosts, bounded body), returning (status, parsed body);
  ``cookie_json_call`` the same with a login cookie the host may rotate.
- ``ShareCache``: a folder share resolves to one download link per file; the
  queue makes one task per file and each task resolves its link again.  The
  cache keeps a resolution for a short time (shorter than the links live) so
  a 100-file share costs one listing, not a hundred.  Keyed by the link and a
  digest of the login, never the login itself; copies are handed out.
"""

from __future__ import annotations

import copy
import hashlib
import json
from typing import Any
from urllib.parse import urlencode

from ..models import Resolved
from ._web import UnexpectedAnswer, fetch
from .base import ResolverContext


async def api_json(ctx: ResolverContext, method: str, url: str, *, headers: dict[str, str],
                   params: dict[str, Any] | None = None, body: Any = None,
                   form: dict[str, Any] | None = None, host: str) -> tuple[int, Any]:
    """(HTTP status, JSON body or None) of one API call."""
    hdrs = dict(headers)
    data: Any = None
    if body is not None:
        data = json.dumps(body, ensure_ascii=False).encode()
        hdrs.setdefault("Content-Type", "application/json;charset=UTF-8")
    elif form is not None:
        data = urlencode(form).encode()
        hdrs.setdefault("Content-Type", "application/x-www-form-urlencoded")
    if params:
        url = f"{url}{'&' if '?' in url else '?'}{urlencode(params)}"
    ans = await fetch(ctx, url, method=method, headers=hdrs, data=data, follow=False, read=True)
    try:
        parsed = json.loads(ans.body.decode("utf-8", "replace")) if ans.body else None
    except ValueError:
        if ans.status >= 500:
            raise UnexpectedAnswer(f"{host} has trouble right now (HTTP {ans.status}); "
                                   "try again later") from None
        parsed = None
    return ans.status, parsed


async def cookie_json_call(ctx: ResolverContext, method: str, url: str, *, headers: dict[str, str],
                           cookies: dict[str, str], rotated: dict[str, str], body: Any = None,
                           host: str, rotating: str = "__p") -> tuple[int, Any]:
    """(status, JSON body or None) of a call made with a login cookie; cookies the host
    replaces by Set-Cookie (names starting with ``rotating``: Quark/UC's ``__puus``)
    are used at once and collected in ``rotated`` for storing back."""
    from ..accounts.hosts import cookie_header
    hdrs = {**headers, "Cookie": cookie_header(cookies)}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        hdrs["Content-Type"] = "application/json"
    ans = await fetch(ctx, url, method=method, headers=hdrs, data=data, follow=False, read=True, label=host,
                      retry_unreachable=False)
    for name, value in ans.cookies.items():
        if name.startswith(rotating) and cookies.get(name) != value:
            cookies[name] = rotated[name] = value
    return ans.status, ans.json_or_none()


def share_code(link: Any) -> str:
    """The extraction code of a pasted share link: the one parsed from the text, else ``?pwd=``."""
    from urllib.parse import parse_qs, urlsplit
    return (link.password or (parse_qs(urlsplit(link.url).query).get("pwd") or [""])[0]).strip()


def login_digest(*secrets: Any) -> str:
    """A short digest of a login (for cache keys; the login itself is never kept)."""
    return hashlib.sha256("\0".join(str(s) for s in secrets).encode()).hexdigest()[:16]


class ShareCache:
    def __init__(self, ttl: float):
        self.ttl = ttl
        self._items: dict[tuple, tuple[float, list[Resolved]]] = {}

    def get(self, key: tuple, now: float) -> list[Resolved] | None:
        hit = self._items.get(key)
        if hit is None or now - hit[0] > self.ttl:
            self._items.pop(key, None)
            return None
        return copy.deepcopy(hit[1])

    def put(self, key: tuple, files: list[Resolved], now: float) -> None:
        for k in [k for k, (t, _) in self._items.items() if now - t > self.ttl]:
            del self._items[k]
        self._items[key] = (now, copy.deepcopy(files))

    def clear(self) -> None:
        self._items.clear()
