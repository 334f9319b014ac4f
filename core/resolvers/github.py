"""GitHub release assets and repository files.

Links understood::

    https://github.com/<o>/<r>/releases/download/<tag>/<asset>   one asset
    https://github.com/<o>/<r>/releases/tag/<tag>                every asset of the release
    https://github.com/<o>/<r>/releases/latest[/download/<asset>] the latest release
    https://github.com/<o>/<r>/blob/<ref>/<path>                 one file (raw)

The release API (``api.github.com/repos/<o>/<r>/releases/tags/<tag>``) gives each
asset's size and ``digest: "sha256:..."``.  The download URL itself answers 302
to a presigned URL valid about five minutes, so the mirror handed to the engine
is the stable github.com URL (the engine follows the redirect for every new
connection); ``refresh()`` asks again.  A token (account of github.com, or
``GITHUB_TOKEN``) lifts the API rate limit and opens private repositories, whose
assets are then fetched through the API with ``Accept: application/octet-stream``.

A repository file (``blob``/``raw`` link) without a token is the stable
``github.com/<o>/<r>/raw/<ref>/<path>`` URL.  With a token it is the contents API,
``api.github.com/repos/<o>/<r>/contents/<path>?ref=<ref>`` with
``Accept: application/vnd.github.raw``: ``github.com/raw`` redirects to
raw.githubusercontent.com and the token is dropped at that host change, so a private
file would fail.  The API serves files up to 100 MB this way (GitHub changelog
2022-05-03); a file kept in Git LFS answers its pointer, which is refused clearly.
"""

from __future__ import annotations

import base64
import time
from urllib.parse import quote, unquote, urlsplit

from ..errors import NeedLogin, NotFound, Throttled, UnsupportedLink
from ..models import Link, Mirror, Resolved
from ._web import Answer, UnexpectedAnswer, common_errors, fetch, token_for
from .base import Resolver, ResolverContext

API = "https://api.github.com"
WEB = "https://github.com"


def _api_headers(token: str | None) -> dict[str, str]:
    h = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
    if token:
        h["Authorization"] = f"Bearer {token}"
    return h


def _api_error(ans: Answer, what: str, has_token: bool) -> None:
    if ans.status == 401:
        raise NeedLogin("github.com", message="GitHub rejected your token: add a valid one in Accounts")
    if ans.status in (403, 429) and (ans.headers.get("X-RateLimit-Remaining") == "0"
                                      or "rate limit" in ans.text.lower()):
        reset = ans.headers.get("X-RateLimit-Reset")
        ra = None
        if reset and reset.isdigit():
            ra = max(0.0, int(reset) - time.time())
        hint = "" if has_token else " (add a GitHub token in Accounts to raise the limit)"
        raise Throttled(f"GitHub API rate limit reached{hint}", retry_after=ra)
    if ans.status == 404:
        hint = "" if has_token else " (if the repository is private, add a GitHub token in Accounts)"
        raise NotFound(f"{what} was not found on GitHub{hint}")
    common_errors(ans, what)
    if ans.status >= 400:
        raise UnexpectedAnswer(f"GitHub answered HTTP {ans.status} for {what}")


def _digest(asset: dict) -> str | None:
    d = asset.get("digest")
    if isinstance(d, str) and d.lower().startswith("sha256:"):
        return d.split(":", 1)[1].lower()
    return None


class GitHubResolver(Resolver):
    name = "github"
    hosts = ("github.com",)
    priority = 20

    async def resolve(self, link: Link, ctx: ResolverContext) -> list[Resolved]:
        p = urlsplit(link.url)
        parts = [unquote(x) for x in p.path.split("/") if x]
        if len(parts) < 2:
            raise UnsupportedLink("This GitHub link does not name a repository")
        owner, repo, rest = parts[0], parts[1], parts[2:]
        token = token_for(ctx, "github.com", "GITHUB_TOKEN", "GH_TOKEN")
        if rest[:1] == ["releases"]:
            if rest[1:2] == ["download"] and len(rest) >= 4:
                tag, asset = rest[2], "/".join(rest[3:])
                return [await self._asset(ctx, link, owner, repo, tag, asset, token)]
            if rest[1:2] == ["latest"]:
                if rest[2:3] == ["download"] and len(rest) >= 4:
                    return [await self._asset(ctx, link, owner, repo, None, "/".join(rest[3:]), token)]
                return await self._release(ctx, link, owner, repo, None, token)
            if rest[1:2] == ["tag"] and len(rest) >= 3:
                return await self._release(ctx, link, owner, repo, rest[2], token)
            raise UnsupportedLink("Paste a release page or a release asset link")
        if rest[:1] in (["blob"], ["raw"]) and len(rest) >= 3:
            ref, path = rest[1], "/".join(rest[2:])
            if token:
                return [await self._contents(ctx, link, owner, repo, ref, path, token)]
            raw = f"{WEB}/{owner}/{repo}/raw/{quote(ref, safe='')}/{quote(path, safe='/')}"
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            return [Resolved(mirrors=[Mirror(ctx.url(raw), headers=headers)],
                             filename=path.rsplit("/", 1)[-1], resolver=self.name,
                             ref={"link": link.url})]
        raise UnsupportedLink("Only GitHub release assets and repository files can be downloaded")

    async def _contents(self, ctx: ResolverContext, link: Link, owner: str, repo: str, ref: str,
                        path: str, token: str) -> Resolved:
        """A repository file through the contents API, so the token reaches the file."""
        api = f"{API}/repos/{owner}/{repo}/contents/{quote(path, safe='/')}?ref={quote(ref, safe='')}"
        ans = await fetch(ctx, api, headers=_api_headers(token))
        if ans.status >= 400:
            _api_error(ans, f"{path} at {ref} in {owner}/{repo}", True)
        meta = ans.json()
        if not isinstance(meta, dict) or meta.get("type") != "file":
            raise UnsupportedLink("This GitHub link is a folder: paste the link of each file")
        size = meta.get("size") if isinstance(meta.get("size"), int) else None
        if meta.get("encoding") == "base64" and (size or 0) < 1024:
            head = base64.b64decode(str(meta.get("content") or "").encode() or b"", validate=False)
            if head.startswith(b"version https://git-lfs.github.com/spec/"):
                raise UnsupportedLink(f"{path} is stored with Git LFS: files of private repositories "
                                      "kept in LFS are not supported yet (a release asset works)")
        headers = {"Accept": "application/vnd.github.raw", "Authorization": f"Bearer {token}",
                   "X-GitHub-Api-Version": "2022-11-28"}
        return Resolved(mirrors=[Mirror(ctx.url(api), headers=headers)], filename=path.rsplit("/", 1)[-1],
                        size=size, resolver=self.name, ref={"link": link.url})

    async def _release_json(self, ctx: ResolverContext, owner: str, repo: str, tag: str | None,
                            token: str | None) -> dict:
        path = f"releases/tags/{quote(tag, safe='')}" if tag else "releases/latest"
        ans = await fetch(ctx, f"{API}/repos/{owner}/{repo}/{path}", headers=_api_headers(token))
        what = f"Release {tag} of {owner}/{repo}" if tag else f"A release of {owner}/{repo}"
        if ans.status >= 400:
            _api_error(ans, what, bool(token))
        data = ans.json()
        if not isinstance(data, dict) or not isinstance(data.get("assets"), list):
            raise UnexpectedAnswer("GitHub sent an unexpected release description")
        return data

    def _resolved(self, ctx: ResolverContext, link_url: str, owner: str, repo: str, tag: str,
                  asset: dict, token: str | None, path: str | None = None) -> Resolved:
        name = str(asset.get("name") or "")
        if token and asset.get("url"):
            # Private repositories: only the API URL works with a token.
            mirror = Mirror(ctx.url(str(asset["url"])), headers={
                "Accept": "application/octet-stream", "Authorization": f"Bearer {token}"})
        else:
            url = asset.get("browser_download_url") or (
                f"{WEB}/{owner}/{repo}/releases/download/{quote(tag, safe='')}/{quote(name)}")
            mirror = Mirror(ctx.url(str(url)))
        size = asset.get("size") if isinstance(asset.get("size"), int) else None
        page = f"{WEB}/{owner}/{repo}/releases/download/{quote(tag, safe='')}/{quote(name)}"
        return Resolved(mirrors=[mirror], filename=name, size=size, sha256=_digest(asset),
                        resolver=self.name, path=path,
                        ref={"link": page, "tag": tag, "asset": name, "listed_from": link_url})

    async def _asset(self, ctx: ResolverContext, link: Link, owner: str, repo: str, tag: str | None,
                     name: str, token: str | None) -> Resolved:
        try:
            rel = await self._release_json(ctx, owner, repo, tag, token)
        except Throttled:
            if tag is None:
                raise
            # Without the API we still know where the file is; only the digest is missing.
            url = f"{WEB}/{owner}/{repo}/releases/download/{quote(tag, safe='')}/{quote(name)}"
            return Resolved(mirrors=[Mirror(ctx.url(url))], filename=name, resolver=self.name,
                            ref={"link": url, "tag": tag, "asset": name})
        tag = str(rel.get("tag_name") or tag or "")
        for a in rel["assets"]:
            if isinstance(a, dict) and a.get("name") == name:
                r = self._resolved(ctx, link.url, owner, repo, tag, a, token)
                return r
        raise NotFound(f"Release {tag} of {owner}/{repo} has no file named {name}")

    async def _release(self, ctx: ResolverContext, link: Link, owner: str, repo: str, tag: str | None,
                       token: str | None) -> list[Resolved]:
        rel = await self._release_json(ctx, owner, repo, tag, token)
        tag = str(rel.get("tag_name") or tag or "")
        out = [self._resolved(ctx, link.url, owner, repo, tag, a, token, path=str(a.get("name")))
               for a in rel["assets"] if isinstance(a, dict) and a.get("name")]
        if not out:
            raise NotFound(f"Release {tag} of {owner}/{repo} has no downloadable files")
        return out

    async def refresh(self, resolved: Resolved, ctx: ResolverContext) -> list[Mirror]:
        fresh = await self.resolve(Link(resolved.ref["link"]), ctx)
        return fresh[0].mirrors
