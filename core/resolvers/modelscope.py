"""ModelScope (modelscope.cn, modelscope.ai) model and dataset repositories.

Links understood (``datasets`` in place of ``models`` works the same way)::

    https://www.modelscope.cn/models/<owner>/<name>[/files|/summary]        every file
    https://www.modelscope.cn/models/<owner>/<name>/tree/<rev>/<folder>     files under a folder
    https://www.modelscope.cn/models/<owner>/<name>/file/view/<rev>/<path>  one file
    https://www.modelscope.cn/models/<owner>/<name>/file/view/<rev>?fileName=<path>   one file
    https://www.modelscope.cn/models/<owner>/<name>/resolve/<rev>/<path>    one file

As the modelscope SDK does it (modelscope/hub/api.py, file_download.py):

- models: ``GET /api/v1/models/<id>/repo/files?Revision=<rev>&Recursive=True`` ->
  ``Data.Files[]`` with ``Name, Path, Type, Size, Sha256``; a file is
  ``GET /api/v1/models/<id>/repo?Revision=<rev>&FilePath=<path>`` (Range works);
- datasets: ``GET /api/v1/datasets/<owner>/<name>`` -> ``Data.Id``; then
  ``GET /api/v1/datasets/<Id>/repo/tree?Revision&Root&Recursive=True&PageNumber&PageSize``
  page by page; a file is ``/api/v1/datasets/<owner>/<name>/repo?Source=SDK&Revision=&FilePath=``;
- private repositories: the access token (account of modelscope.cn, or
  ``MODELSCOPE_API_TOKEN``) goes in the cookie ``m_session_id``, as the SDK's
  ``get_cookies`` builds it; these APIs take no ``Authorization: Bearer``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit

from ..errors import NeedLogin, NotFound, ResolveError, UnsupportedLink
from ..models import Link, Mirror, Resolved
from ._web import Answer, UnexpectedAnswer, common_errors, fetch, token_for
from .base import Resolver, ResolverContext

PAGE_SIZE = 100          # the SDK's get_dataset_files default


@dataclass
class MsLink:
    origin: str          # scheme://host of the pasted link
    api: str             # scheme://host of the API (www. added to a bare domain)
    kind: str            # "models" | "datasets"
    repo: str            # owner/name
    rev: str
    scope: str | None    # "file" | "folder" | None (whole repository)
    path: str


def parse_ms_url(url: str) -> MsLink:
    p = urlsplit(url)
    parts = [unquote(x) for x in p.path.split("/") if x]
    if parts[:1] not in (["models"], ["datasets"]) or len(parts) < 3:
        raise UnsupportedLink("This ModelScope link does not name a model or dataset "
                              "(…/models/<owner>/<name> or …/datasets/<owner>/<name>)")
    origin = f"{p.scheme}://{p.netloc}"
    host = p.hostname or ""
    api = origin if host.startswith("www.") or host.count(".") >= 2 else origin.replace("://", "://www.", 1)
    kind, repo, rest = parts[0], f"{parts[1]}/{parts[2]}", parts[3:]
    q = parse_qs(p.query)
    if rest[:2] == ["file", "view"] and len(rest) >= 3:
        path = "/".join(rest[3:]) or (q.get("fileName") or q.get("filename") or [""])[0]
        if path:
            return MsLink(origin, api, kind, repo, rest[2], "file", path)
        return MsLink(origin, api, kind, repo, rest[2], None, "")
    if rest[:1] == ["resolve"] and len(rest) >= 3:
        return MsLink(origin, api, kind, repo, rest[1], "file", "/".join(rest[2:]))
    if rest[:1] == ["tree"] and len(rest) >= 2:
        return MsLink(origin, api, kind, repo, rest[1], "folder", "/".join(rest[2:]))
    return MsLink(origin, api, kind, repo, "master", None, "")


def _check(ans: Answer, what: str, rev: str) -> dict[str, Any]:
    """The JSON answer of a ModelScope API call, or the error it means."""
    if ans.status in (401, 403):
        raise NeedLogin("modelscope.cn", message=(
            f"{what} is private or needs a login: add your ModelScope token in Accounts"))
    data = ans.json() if ans.body.strip().startswith(b"{") else None
    if isinstance(data, dict) and (data.get("Code") not in (200, None) or data.get("Success") is False):
        msg = str(data.get("Message") or "")
        code = data.get("Code")
        low = msg.lower()
        if ans.status == 404 or code == 404 or "not exist" in low or "not found" in low:
            if "revision" in low:
                raise NotFound(f"Revision '{rev}' does not exist in {what}")
            raise NotFound(f"{what} does not exist (or is private)")
        if code in (401, 403) or "login" in low or "permission" in low:
            raise NeedLogin("modelscope.cn", message=f"{what} needs a login: add your ModelScope token in Accounts")
        raise ResolveError(f"ModelScope: {msg or 'error ' + str(code)}")
    common_errors(ans, what)
    if ans.status >= 400 or not isinstance(data, dict):
        raise UnexpectedAnswer(f"ModelScope answered HTTP {ans.status} for {what}")
    return data


class ModelScopeResolver(Resolver):
    name = "modelscope"
    keep_layout = True      # a repo's files keep its folders, as the official SDK downloads them
    hosts = ("modelscope.cn", "modelscope.ai")
    priority = 20

    async def resolve(self, link: Link, ctx: ResolverContext) -> list[Resolved]:
        ml = parse_ms_url(link.url)
        token = token_for(ctx, "modelscope.cn", "MODELSCOPE_API_TOKEN")
        headers = {"Cookie": f"m_session_id={token}"} if token else {}
        what = f"ModelScope {'dataset' if ml.kind == 'datasets' else 'model'} {ml.repo}"
        if ml.kind == "datasets":
            files = await self._dataset_files(ctx, ml, headers, what)
        else:
            q = urlencode({"Revision": ml.rev, "Recursive": "True"})
            ans = await fetch(ctx, f"{ml.api}/api/v1/models/{ml.repo}/repo/files?{q}", headers=headers)
            files = list((_check(ans, what, ml.rev).get("Data") or {}).get("Files") or [])
        out: list[Resolved] = []
        prefix = ml.path.strip("/") + "/" if ml.scope == "folder" and ml.path.strip("/") else ""
        for f in files:
            if not isinstance(f, dict) or f.get("Type") == "tree":
                continue
            fpath = str(f.get("Path") or f.get("Name") or "")
            if not fpath or (ml.scope == "file" and fpath != ml.path) or (prefix and not fpath.startswith(prefix)):
                continue
            sha = f.get("Sha256")
            size = f.get("Size") if isinstance(f.get("Size"), int) else None
            single = (f"{ml.origin}/{ml.kind}/{ml.repo}/resolve/{quote(ml.rev, safe='')}/"
                      f"{quote(fpath, safe='/')}")
            out.append(Resolved(
                mirrors=[Mirror(ctx.url(self._file_url(ml, fpath)), headers=dict(headers))],
                filename=fpath.rsplit("/", 1)[-1], size=size,
                sha256=str(sha).lower() if sha else None, resolver=self.name,
                ref={"link": single, "listed_from": link.url},
                path=None if ml.scope == "file" else fpath))
        if not out:
            if ml.scope == "file":
                raise NotFound(f"{ml.path} is not in {ml.repo} at revision '{ml.rev}'")
            raise NotFound(f"No files in {ml.repo}" + (f"/{ml.path}" if ml.path else ""))
        return out

    @staticmethod
    def _file_url(ml: MsLink, fpath: str) -> str:
        if ml.kind == "datasets":   # get_dataset_file_url: FilePath last
            q = urlencode({"Source": "SDK", "Revision": ml.rev, "FilePath": fpath}, quote_via=quote)
            return f"{ml.api}/api/v1/datasets/{ml.repo}/repo?{q}"
        q = urlencode({"Revision": ml.rev, "FilePath": fpath}, quote_via=quote)
        return f"{ml.api}/api/v1/models/{ml.repo}/repo?{q}"

    async def _dataset_files(self, ctx: ResolverContext, ml: MsLink, headers: dict[str, str],
                             what: str) -> list[dict[str, Any]]:
        ans = await fetch(ctx, f"{ml.api}/api/v1/datasets/{ml.repo}", headers=headers)
        ds_id = (_check(ans, what, ml.rev).get("Data") or {}).get("Id")
        if ds_id is None:
            raise UnexpectedAnswer(f"ModelScope gave no id for {what}")
        root = ml.path.strip("/") if ml.scope == "folder" else ""
        files: list[dict[str, Any]] = []
        for page in range(1, 10_000):
            q = urlencode({"Revision": ml.rev, "Root": root or "/", "Recursive": "True",
                           "PageNumber": page, "PageSize": PAGE_SIZE})
            ans = await fetch(ctx, f"{ml.api}/api/v1/datasets/{ds_id}/repo/tree?{q}", headers=headers)
            batch = list((_check(ans, what, ml.rev).get("Data") or {}).get("Files") or [])
            files += batch
            if len(batch) < PAGE_SIZE:
                break
        return files

    async def refresh(self, resolved: Resolved, ctx: ResolverContext) -> list[Mirror]:
        fresh = await self.resolve(Link(resolved.ref["link"]), ctx)
        return fresh[0].mirrors
