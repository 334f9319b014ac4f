"""ModelScope (modelscope.cn) model repositories.

Links understood::

    https://www.modelscope.cn/models/<owner>/<name>[/files|/summary]    every file
    https://www.modelscope.cn/models/<owner>/<name>/tree/<rev>/<folder> files under a folder
    https://www.modelscope.cn/models/<owner>/<name>/file/view/<rev>/<path>   one file
    https://www.modelscope.cn/models/<owner>/<name>/resolve/<rev>/<path>     one file

File list: ``GET /api/v1/models/<id>/repo/files?Revision=<rev>&Recursive=true`` ->
``Data.Files[]`` with ``Name, Path, Type, Size, Sha256``.  A file is fetched from
``GET /api/v1/models/<id>/repo?Revision=<rev>&FilePath=<path>`` (Range works).
A token (account of modelscope.cn, or ``MODELSCOPE_API_TOKEN``) is sent as
``Authorization: Bearer`` for private models.
"""

from __future__ import annotations

from urllib.parse import quote, unquote, urlencode, urlsplit

from ..errors import NeedLogin, NotFound, ResolveError, UnsupportedLink
from ..models import Link, Mirror, Resolved
from ._web import UnexpectedAnswer, common_errors, fetch, token_for
from .base import Resolver, ResolverContext

API_HOST = "https://www.modelscope.cn"


def parse_ms_url(url: str) -> tuple[str, str, str, str | None, str]:
    """-> (origin, model id, revision, kind 'file'|'folder'|None, path)."""
    p = urlsplit(url)
    parts = [unquote(x) for x in p.path.split("/") if x]
    if parts[:1] == ["datasets"]:
        raise UnsupportedLink("ModelScope datasets are not supported yet; paste a model link")
    if parts[:1] != ["models"] or len(parts) < 3:
        raise UnsupportedLink("This ModelScope link does not name a model (…/models/<owner>/<name>)")
    model_id = f"{parts[1]}/{parts[2]}"
    rest = parts[3:]
    origin = f"{p.scheme}://{p.netloc}"
    if rest[:2] == ["file", "view"] and len(rest) >= 4:
        return origin, model_id, rest[2], "file", "/".join(rest[3:])
    if rest[:1] == ["resolve"] and len(rest) >= 3:
        return origin, model_id, rest[1], "file", "/".join(rest[2:])
    if rest[:1] == ["tree"] and len(rest) >= 2:
        return origin, model_id, rest[1], "folder", "/".join(rest[2:])
    return origin, model_id, "master", None, ""


class ModelScopeResolver(Resolver):
    name = "modelscope"
    hosts = ("modelscope.cn", "modelscope.ai")
    priority = 20

    async def resolve(self, link: Link, ctx: ResolverContext) -> list[Resolved]:
        origin, model_id, rev, kind, path = parse_ms_url(link.url)
        host = urlsplit(origin).hostname or ""
        api_origin = origin if host.startswith("www.") or host.count(".") >= 2 else \
            origin.replace("://", "://www.", 1)
        token = token_for(ctx, "modelscope.cn", "MODELSCOPE_API_TOKEN")
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        q = urlencode({"Revision": rev, "Recursive": "true"})
        ans = await fetch(ctx, f"{api_origin}/api/v1/models/{model_id}/repo/files?{q}", headers=headers)
        what = f"ModelScope model {model_id}"
        if ans.status in (401, 403):
            raise NeedLogin("modelscope.cn", message=(
                f"{model_id} is private or needs a login: add your ModelScope token in Accounts"))
        data = ans.json() if ans.body.strip().startswith(b"{") else None
        if isinstance(data, dict) and (data.get("Code") not in (200, None) or data.get("Success") is False):
            msg = str(data.get("Message") or "")
            code = data.get("Code")
            if ans.status == 404 or code == 404 or "not exist" in msg.lower() or "not found" in msg.lower():
                if "revision" in msg.lower():
                    raise NotFound(f"Revision '{rev}' does not exist in {model_id}")
                raise NotFound(f"{what} does not exist (or is private)")
            if code in (401, 403) or "login" in msg.lower() or "permission" in msg.lower():
                raise NeedLogin("modelscope.cn", message=(
                    f"{model_id} needs a login: add your ModelScope token in Accounts"))
            raise ResolveError(f"ModelScope: {msg or 'error ' + str(code)}")
        common_errors(ans, what)
        if ans.status >= 400 or not isinstance(data, dict):
            raise UnexpectedAnswer(f"ModelScope answered HTTP {ans.status} for {what}")
        files = ((data.get("Data") or {}).get("Files")) or []
        out: list[Resolved] = []
        prefix = path.strip("/") + "/" if kind == "folder" and path.strip("/") else ""
        for f in files:
            if not isinstance(f, dict) or f.get("Type") == "tree":
                continue
            fpath = str(f.get("Path") or f.get("Name") or "")
            if not fpath:
                continue
            if kind == "file" and fpath != path:
                continue
            if prefix and not fpath.startswith(prefix):
                continue
            fq = urlencode({"Revision": rev, "FilePath": fpath}, quote_via=quote)
            url = f"{api_origin}/api/v1/models/{model_id}/repo?{fq}"
            sha = f.get("Sha256")
            size = f.get("Size") if isinstance(f.get("Size"), int) else None
            single = f"{origin}/models/{model_id}/resolve/{quote(rev, safe='')}/{quote(fpath, safe='/')}"
            out.append(Resolved(
                mirrors=[Mirror(ctx.url(url), headers=dict(headers))],
                filename=fpath.rsplit("/", 1)[-1], size=size,
                sha256=str(sha).lower() if sha else None, resolver=self.name,
                ref={"link": single, "listed_from": link.url},
                path=None if kind == "file" else fpath))
        if not out:
            if kind == "file":
                raise NotFound(f"{path} is not in {model_id} at revision '{rev}'")
            raise NotFound(f"No files in {model_id}" + (f"/{path}" if path else ""))
        return out

    async def refresh(self, resolved: Resolved, ctx: ResolverContext) -> list[Mirror]:
        fresh = await self.resolve(Link(resolved.ref["link"]), ctx)
        return fresh[0].mirrors
