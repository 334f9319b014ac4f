"""Hugging Face Hub and its mirrors (hf-mirror.com, or any ``HF_ENDPOINT``).

Links understood (models, ``datasets/`` and ``spaces/``)::

    https://huggingface.co/<repo>/resolve/<rev>/<path>     one file
    https://huggingface.co/<repo>/blob/<rev>/<path>        one file (page link)
    https://huggingface.co/<repo>                          every file of the repo
    https://huggingface.co/<repo>/tree/<rev>[/<folder>]    every file under a folder

One file: ``HEAD /<repo>/resolve/<rev>/<path>`` with ``Accept-Encoding: identity``
and no redirect following.  A large (LFS/Xet) file answers 302 with
``X-Linked-Etag`` (its sha256), ``X-Linked-Size`` and ``Location`` = a signed CDN
URL that expires; a small file answers 200 with its size.  Errors come in
``X-Error-Code``.  A repo or folder is listed with
``GET /api/<type>s/<repo>/tree/<rev>/<folder>?recursive=true`` (paginated with
``Link: <...>; rel="next"``), each file becoming one ``Resolved`` with ``path``.

``HF_ENDPOINT`` (e.g. ``https://hf-mirror.com``) replaces huggingface.co for
every request, as the official client does.  A token (account of
huggingface.co, or ``HF_TOKEN``) is sent as ``Authorization: Bearer``.
"""

from __future__ import annotations

import re
from urllib.parse import quote, unquote, urlsplit

from ..errors import NeedLogin, NotFound, ResolveError, Throttled, UnsupportedLink
from ..expiry import url_expires_at
from ..linkoptions import link_options
from ..models import Link, Mirror, Resolved
from ._web import Answer, UnexpectedAnswer, common_errors, fetch, retry_after, token_for
from .base import Resolver, ResolverContext

HF_HOST = "huggingface.co"
MAX_FILES = 20000
_REPO_TYPES = {"datasets": "dataset", "spaces": "space", "models": "model"}
_ACTIONS = ("resolve", "blob", "tree", "raw")


class _Ref:
    """A parsed Hugging Face link."""

    def __init__(self, origin: str, repo_type: str, repo_id: str, action: str | None,
                 revision: str, path: str):
        self.origin, self.repo_type, self.repo_id = origin, repo_type, repo_id
        self.action, self.revision, self.path = action, revision, path

    @property
    def prefix(self) -> str:
        return {"model": "", "dataset": "datasets/", "space": "spaces/"}[self.repo_type] + self.repo_id

    @property
    def is_file(self) -> bool:
        return self.action in ("resolve", "blob", "raw") and bool(self.path)

    def resolve_url(self, endpoint: str, path: str | None = None) -> str:
        p = quote(path if path is not None else self.path, safe="/")
        return f"{endpoint}/{self.prefix}/resolve/{quote(self.revision, safe='')}/{p}"

    def page_url(self, path: str) -> str:
        """The link a user would paste for one file of this repo (for refresh)."""
        return self.resolve_url(self.origin, path)


def parse_hf_url(url: str) -> _Ref:
    p = urlsplit(url)
    origin = f"{p.scheme}://{p.netloc}"
    parts = [unquote(x) for x in p.path.split("/") if x]
    if not parts:
        raise UnsupportedLink("This Hugging Face link does not name a repository")
    repo_type = "model"
    if parts[0] in _REPO_TYPES:
        repo_type = _REPO_TYPES[parts.pop(0)]
    if parts and parts[0] == "api":
        raise UnsupportedLink("Hugging Face API links cannot be downloaded; paste the repo or file link")
    if not parts:
        raise UnsupportedLink("This Hugging Face link does not name a repository")
    # "<owner>/<name>" or a legacy single-name repo ("gpt2/resolve/main/x")
    if len(parts) >= 2 and parts[1] not in _ACTIONS:
        repo_id, rest = f"{parts[0]}/{parts[1]}", parts[2:]
    else:
        repo_id, rest = parts[0], parts[1:]
    action = rest[0] if rest and rest[0] in _ACTIONS else None
    revision, path = "main", ""
    if action and len(rest) >= 2:
        revision = rest[1]
        path = "/".join(rest[2:])
    elif rest and not action:
        # /<repo>/discussions, /<repo>/commits ... : treat as the whole repo
        action = None
    # "refs/pr/1" revisions: /resolve/refs%2Fpr%2F1/... is unquoted to refs/pr/1 above only
    # when sent encoded; a literal "refs/pr/N" in the path is rare and kept as a folder path.
    return _Ref(origin, repo_type, repo_id, action, revision, path)


def _endpoint(ref: _Ref, ctx: ResolverContext) -> str:
    host = urlsplit(ref.origin).hostname or ""
    env = (ctx.env.get("HF_ENDPOINT") or "").strip().rstrip("/")
    if env and host in ("huggingface.co", "hf.co", "www.huggingface.co"):
        return env
    if host in ("hf.co", "www.huggingface.co"):
        return "https://huggingface.co"
    return ref.origin


def _etag(v: str | None) -> str | None:
    if not v:
        return None
    v = v.strip()
    if v.startswith("W/"):
        v = v[2:]
    return v.strip('"') or None


def _raise_hf_error(ans: Answer, ref: _Ref, has_token: bool, what: str) -> None:
    code = ans.headers.get("X-Error-Code", "")
    msg = ans.headers.get("X-Error-Message", "")
    repo = ref.repo_id
    page = f"{ref.origin}/{ref.prefix}"
    if code == "GatedRepo":
        if has_token:
            raise NeedLogin(HF_HOST, message=(
                f"{repo} is a gated repository: accept its conditions at {page} with the account "
                "of your token, then try again"))
        raise NeedLogin(HF_HOST, message=(
            f"{repo} is a gated repository: accept its conditions at {page} and add your "
            "Hugging Face token in Accounts (or set HF_TOKEN)"))
    if code == "RepoNotFound":
        if has_token:
            raise NotFound(f"Hugging Face repository {repo} does not exist, or your token cannot see it")
        raise NotFound(f"Hugging Face repository {repo} does not exist (if it is private, "
                       "add your Hugging Face token in Accounts)")
    if code == "RevisionNotFound":
        raise NotFound(f"Revision '{ref.revision}' does not exist in {repo}")
    if code == "EntryNotFound":
        raise NotFound(f"{what} is not in {repo} at revision '{ref.revision}'")
    if code == "DisabledRepo":
        raise NotFound(f"Access to {repo} has been disabled by Hugging Face")
    if ans.status == 401:
        if has_token and "invalid" in msg.lower():
            raise NeedLogin(HF_HOST, message="Hugging Face rejected your token: add a valid one in Accounts")
        raise NeedLogin(HF_HOST, message=(
            f"{repo} needs a Hugging Face login: add your token in Accounts (or set HF_TOKEN)"))
    if ans.status == 403:
        raise NeedLogin(HF_HOST, message=(
            f"Your Hugging Face token may not read {repo}" + (f": {msg}" if msg else "")))
    if ans.status == 429:
        raise Throttled("Hugging Face is rate-limiting requests; try again later",
                        retry_after=retry_after(ans.headers))
    common_errors(ans, what)
    if ans.status >= 400:
        raise ResolveError(f"Hugging Face answered HTTP {ans.status} for {what}")


class HuggingFaceResolver(Resolver):
    name = "huggingface"
    hosts = ("huggingface.co", "hf.co", "hf-mirror.com")
    priority = 20
    keep_layout = True      # a repo's files keep its folders, like the official CLI

    def _headers(self, ctx: ResolverContext, endpoint: str) -> tuple[dict[str, str], bool]:
        """The token goes to huggingface.co, or to the endpoint the user chose with
        HF_ENDPOINT; never to a third-party mirror merely because a link named it."""
        tok = token_for(ctx, HF_HOST, "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN")
        chosen = (ctx.env.get("HF_ENDPOINT") or "").strip().rstrip("/")
        if urlsplit(endpoint).hostname != HF_HOST and endpoint != chosen:
            tok = None
        h = {"Accept-Encoding": "identity"}
        if tok:
            h["Authorization"] = f"Bearer {tok}"
        return h, bool(tok)

    async def resolve(self, link: Link, ctx: ResolverContext) -> list[Resolved]:
        ref = parse_hf_url(link.url)
        revision = link_options(link.url).revision     # --revision (core/linkoptions.py)
        if revision:
            ref.revision = revision
        if ref.is_file:
            return [await self._one(ref, ctx, link)]
        return await self._list(ref, ctx, link)

    async def _one(self, ref: _Ref, ctx: ResolverContext, link: Link) -> Resolved:
        endpoint = _endpoint(ref, ctx)
        headers, has_token = self._headers(ctx, endpoint)
        url = ref.resolve_url(endpoint)
        what = ref.path
        # Follow only same-repo renames (relative redirects); stop at the CDN redirect.
        for _ in range(5):
            ans = await fetch(ctx, url, method="HEAD", headers=headers, follow=False)
            loc = ans.headers.get("Location")
            if ans.status in (301, 302, 303, 307, 308) and loc and not ans.headers.get("X-Linked-Etag") \
                    and loc.startswith("/"):
                url = urlsplit(url)._replace(path=urlsplit(loc).path, query=urlsplit(loc).query).geturl()
                continue
            break
        if ans.status >= 400:
            _raise_hf_error(ans, ref, has_token, what)
        name = ref.path.rsplit("/", 1)[-1]
        base_ref = {"link": link.url, "password": link.password}
        if ans.status in (301, 302, 303, 307, 308) and ans.headers.get("Location"):
            cdn = ans.headers["Location"]
            if cdn.startswith("/"):
                cdn = endpoint + cdn
            size_h = ans.headers.get("X-Linked-Size") or ans.headers.get("Content-Length")
            sha = _etag(ans.headers.get("X-Linked-Etag"))
            if sha and not re.fullmatch(r"[0-9a-f]{64}", sha):
                sha = None
            exp = url_expires_at(cdn)
            mirror = Mirror(ctx.url(cdn), expires_at=exp)
            return Resolved(mirrors=[mirror], filename=name, size=_int(size_h), sha256=sha,
                            expires_at=exp, resolver=self.name,
                            ref={**base_ref, "commit": ans.headers.get("X-Repo-Commit")})
        if ans.status == 200:
            # Small file stored in git: served by the resolve URL itself (needs the token).
            auth = {k: v for k, v in headers.items() if k == "Authorization"}
            size = _int(ans.headers.get("X-Linked-Size") or ans.headers.get("Content-Length"))
            return Resolved(mirrors=[Mirror(ctx.url(url), headers=auth)], filename=name, size=size,
                            resolver=self.name, ref=base_ref)
        raise UnexpectedAnswer(f"Hugging Face answered HTTP {ans.status} for {what}")

    async def _list(self, ref: _Ref, ctx: ResolverContext, link: Link) -> list[Resolved]:
        endpoint = _endpoint(ref, ctx)
        headers, has_token = self._headers(ctx, endpoint)
        headers = {k: v for k, v in headers.items() if k != "Accept-Encoding"}
        folder = ref.path.strip("/")
        api = (f"{endpoint}/api/{ref.repo_type}s/{ref.repo_id}/tree/{quote(ref.revision, safe='')}"
               + (f"/{quote(folder, safe='/')}" if folder else "") + "?recursive=true")
        entries: list[dict] = []
        next_url: str | None = api
        while next_url:
            ans = await fetch(ctx, next_url, headers=headers)
            if ans.status >= 400:
                _raise_hf_error(ans, ref, has_token, f"folder '{folder}'" if folder else "the repository")
            data = ans.json()
            if not isinstance(data, list):
                raise UnexpectedAnswer("Hugging Face sent an unexpected file list")
            entries.extend(e for e in data if isinstance(e, dict))
            if len(entries) > MAX_FILES:
                raise ResolveError(f"{ref.repo_id} holds more than {MAX_FILES} files: paste a folder link")
            next_url = _next_link(ans.headers.get("Link", ""))
        auth = {k: v for k, v in headers.items() if k == "Authorization"}
        out: list[Resolved] = []
        for e in entries:
            if e.get("type") != "file" or not e.get("path"):
                continue
            path = str(e["path"])
            lfs = e.get("lfs") if isinstance(e.get("lfs"), dict) else None
            sha = str(lfs["oid"]) if lfs and lfs.get("oid") else None
            size = _int(str(lfs.get("size") if lfs else e.get("size")))
            file_url = ref.resolve_url(endpoint, path)
            out.append(Resolved(
                mirrors=[Mirror(ctx.url(file_url), headers=dict(auth))],
                filename=path.rsplit("/", 1)[-1], size=size, sha256=sha, resolver=self.name,
                ref={"link": ref.page_url(path), "password": link.password, "listed_from": link.url},
                path=path))
        if not out:
            raise NotFound(f"No files in {ref.repo_id}" + (f"/{folder}" if folder else ""))
        return out

    async def refresh(self, resolved: Resolved, ctx: ResolverContext) -> list[Mirror]:
        ref = parse_hf_url(resolved.ref["link"])
        if not ref.is_file:
            return await super().refresh(resolved, ctx)
        fresh = await self._one(ref, ctx, Link(resolved.ref["link"], resolved.ref.get("password")))
        return fresh.mirrors


def _int(v: str | None) -> int | None:
    try:
        return int(v) if v not in (None, "", "None") else None
    except ValueError:
        return None


def _next_link(header: str) -> str | None:
    for part in header.split(","):
        m = re.match(r'\s*<([^>]+)>\s*;.*rel="?next"?', part)
        if m:
            return m.group(1)
    return None
