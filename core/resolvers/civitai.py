"""CivitAI models (civitai.com; civitai.red is another host of the same site).

Links understood::

    https://civitai.com/api/download/models/<versionId>[?type=Model&format=SafeTensor]
    https://civitai.com/models/<modelId>[/<slug>][?modelVersionId=<versionId>]

The version is described by ``GET /api/v1/model-versions/<versionId>`` (file
names, ``hashes.SHA256``, ``primary``); a model page uses
``GET /api/v1/models/<modelId>`` and its newest (or the chosen) version's primary
file.  The download URL answers 307 to a Cloudflare R2 presigned URL
(``X-Amz-Expires=86400``), which is what the engine fetches; ``refresh()`` asks
again.

Every download needs a login now (civitai/civitai file.service.ts:
``requireAuth || !UNAUTHENTICATED_DOWNLOAD``).  The API token (account of
civitai.com, ``CIVITAI_TOKEN``, or ``?token=`` in the pasted link) is sent as
``Authorization: Bearer``: the site reads that header first
(get-server-auth-session.ts) and a header stays out of URLs, logs and the queue;
a pasted ``?token=`` is moved into it.  Without a token, cookies imported for
civitai.com in Accounts (the site's session cookie) are sent to civitai hosts
instead.  The resolver's User-Agent names no browser, so the site answers errors
as JSON (401 login needed, 403 early access); the answers it gives browsers
(307 to ``/login?...reason=download-auth`` or to ``/model-versions/<id>`` for
early access) are understood too.  All become NeedLogin with what to do.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit

from ..accounts.hosts import cookie_header, creds_for
from ..errors import NeedLogin, NotFound, UnsupportedLink
from ..expiry import url_expires_at
from ..models import Link, Mirror, Resolved
from ._web import Answer, UnexpectedAnswer, common_errors, fetch, token_for
from .base import Resolver, ResolverContext

UA = "Zhilian (download manager)"      # no browser name: errors come back as JSON
NEEDS_TOKEN = ("CivitAI needs an API token to download: log in at civitai.com, create a key under "
               "Account settings → API keys and add it in Accounts (zhilian accounts set civitai.com "
               "--token -, or set CIVITAI_TOKEN)")


def _json_message(ans: Answer) -> tuple[str, str]:
    """(error, message) of a JSON error answer, or empty strings."""
    if ans.body.strip().startswith(b"{"):
        try:
            data = ans.json()
        except Exception:
            return "", ""
        if isinstance(data, dict):
            return str(data.get("error") or ""), str(data.get("message") or "")
    return "", ""


def _early_access(deadline: str = "") -> NeedLogin:
    until = f" until {deadline[:10]}" if deadline else ""
    return NeedLogin("civitai.com", message=(
        f"This CivitAI model is in Early Access{until}: log in at civitai.com with an account that "
        "has early access to it and add that account's API token in Accounts"))


def _login_error(ans: Answer, has_auth: bool) -> NeedLogin | NotFound:
    error, msg = _json_message(ans)
    if error == "Early Access":
        data = ans.json()
        return _early_access(str(data.get("deadline") or "") if isinstance(data, dict) else "")
    if "disabled downloads" in msg:
        return NotFound("The creator of this CivitAI model has disabled downloads of this file")
    if ans.status == 403:
        return NeedLogin("civitai.com", message=(
            "CivitAI refused this download for your account (no access to this file): log in at "
            "civitai.com with an account that has access and add its API token in Accounts"))
    if has_auth:
        return NeedLogin("civitai.com", message=(
            "CivitAI did not accept your API token: log in at civitai.com, create a new key and "
            "add it in Accounts"))
    return NeedLogin("civitai.com", message=NEEDS_TOKEN)


def _pick_file(files: list[dict], want: dict[str, str]) -> dict | None:
    files = [f for f in files if isinstance(f, dict)]
    if want:
        for f in files:
            meta = f.get("metadata") or {}
            ok = True
            if "type" in want and str(f.get("type", "")).lower() != want["type"].lower():
                ok = False
            if "format" in want and str(meta.get("format", "")).lower() != want["format"].lower():
                ok = False
            if "size" in want and str(meta.get("size", "")).lower() != want["size"].lower():
                ok = False
            if "fp" in want and str(meta.get("fp", "")).lower() != want["fp"].lower():
                ok = False
            if ok:
                return f
    return next((f for f in files if f.get("primary")), files[0] if files else None)


class CivitaiResolver(Resolver):
    name = "civitai"
    hosts = ("civitai.com", "civitai.green", "civitai.red")
    priority = 20

    def __init__(self) -> None:
        # Tokens pasted as ?token= are kept in memory only (never in ``ref``, which
        # the queue stores), so refresh() in the same process can use them again.
        self._pasted_tokens: dict[str, str] = {}

    async def resolve(self, link: Link, ctx: ResolverContext) -> list[Resolved]:
        p = urlsplit(link.url)
        query = dict(parse_qsl(p.query))
        if query.get("token"):
            self._pasted_tokens[p.path] = query["token"]
        host = p.hostname or "civitai.com"
        token = (query.get("token") or self._pasted_tokens.get(p.path)
                 or token_for(ctx, host) or token_for(ctx, "civitai.com", "CIVITAI_TOKEN", "CIVITAI_API_TOKEN"))
        headers = {"User-Agent": UA}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        else:
            cookies = (creds_for(ctx.credentials, host).get("cookies")
                       or creds_for(ctx.credentials, "civitai.com").get("cookies"))
            if cookies:
                headers["Cookie"] = cookie_header(dict(cookies))
        origin = f"{p.scheme}://{p.netloc}"
        m = re.match(r"^/api/download/models/(\d+)", p.path)
        if m:
            version_id = m.group(1)
        else:
            m = re.match(r"^/models/(\d+)", p.path)
            if not m:
                raise UnsupportedLink("Paste a CivitAI model page or its download link")
            version_id = query.get("modelVersionId") or await self._latest_version(
                ctx, origin, m.group(1), headers)
        ans = await fetch(ctx, f"{origin}/api/v1/model-versions/{version_id}", headers=headers)
        if ans.status in (401, 403):
            raise _login_error(ans, "Authorization" in headers or "Cookie" in headers)
        if ans.status == 404:
            raise NotFound(f"CivitAI model version {version_id} does not exist (or was removed)")
        common_errors(ans, f"CivitAI model version {version_id}")
        data = ans.json()
        if ans.status >= 400 or not isinstance(data, dict):
            raise UnexpectedAnswer(f"CivitAI answered HTTP {ans.status} for version {version_id}")
        want = {k: v for k, v in query.items() if k in ("type", "format", "size", "fp")}
        f = _pick_file(list(data.get("files") or []), want)
        if f is None:
            raise NotFound(f"CivitAI model version {version_id} has no files")
        d = urlsplit(str(f.get("downloadUrl") or data.get("downloadUrl") or ""))
        # The token goes to the pasted host only: keep the API's path and query, not its host.
        dl = (f"{origin}{d.path}" + (f"?{d.query}" if d.query else "")
              if d.path.startswith("/api/download/") else f"{origin}/api/download/models/{version_id}")
        mirror, exp = await self._signed(ctx, dl, headers, version_id)
        sha = (f.get("hashes") or {}).get("SHA256")
        ref_link = f"{origin}/api/download/models/{version_id}"
        if token and query.get("token"):
            self._pasted_tokens[urlsplit(ref_link).path] = token
        if want:
            ref_link += "?" + urlencode(want)
        return [Resolved(mirrors=[mirror], filename=str(f.get("name") or "") or None,
                         sha256=str(sha).lower() if sha else None, expires_at=exp,
                         resolver=self.name, ref={"link": ref_link})]

    async def _latest_version(self, ctx: ResolverContext, origin: str, model_id: str,
                              headers: dict[str, str]) -> str:
        ans = await fetch(ctx, f"{origin}/api/v1/models/{model_id}", headers=headers)
        if ans.status in (401, 403):
            raise _login_error(ans, "Authorization" in headers or "Cookie" in headers)
        if ans.status == 404:
            raise NotFound(f"CivitAI model {model_id} does not exist (or was removed)")
        common_errors(ans, f"CivitAI model {model_id}")
        data = ans.json()
        versions = data.get("modelVersions") if isinstance(data, dict) else None
        if not versions or not isinstance(versions[0], dict) or "id" not in versions[0]:
            raise NotFound(f"CivitAI model {model_id} has no downloadable version")
        return str(versions[0]["id"])

    async def _signed(self, ctx: ResolverContext, dl: str, headers: dict[str, str],
                      version_id: str) -> tuple[Mirror, float | None]:
        ans = await fetch(ctx, dl, headers=headers, follow=False)
        has_auth = "Authorization" in headers or "Cookie" in headers
        if ans.status in (301, 302, 303, 307, 308) and ans.headers.get("Location"):
            loc = ans.headers["Location"]
            target = urlsplit(loc)
            if target.path.rstrip("/") == "/login":
                reason = (parse_qs(target.query).get("reason") or [""])[0]
                raise NeedLogin("civitai.com", message=NEEDS_TOKEN if not has_auth or reason == "download-auth"
                                else "CivitAI did not accept your login: add a fresh API token in Accounts")
            if re.fullmatch(rf"/model-versions/{version_id}/?", target.path):
                raise _early_access()          # what the site answers a browser for early access
            if loc.startswith("/"):
                u = urlsplit(dl)
                loc = f"{u.scheme}://{u.netloc}{loc}"
            exp = url_expires_at(loc)
            return Mirror(ctx.url(loc), expires_at=exp), exp
        if ans.status in (401, 403):
            raise _login_error(ans, has_auth)
        if ans.status in (404, 410):
            raise NotFound("CivitAI has no file behind this download link" +
                           (" (the model was archived)" if ans.status == 410 else ""))
        common_errors(ans, "CivitAI download")
        if ans.status == 200 and ans.is_file:
            return Mirror(ctx.url(dl), headers=dict(headers)), None
        raise UnexpectedAnswer(f"CivitAI answered HTTP {ans.status} for the download")

    async def refresh(self, resolved: Resolved, ctx: ResolverContext) -> list[Mirror]:
        fresh = await self.resolve(Link(resolved.ref["link"]), ctx)
        return fresh[0].mirrors
