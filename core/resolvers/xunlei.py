"""Xunlei Cloud (迅雷云盘) share links: ``https://pan.xunlei.com/s/<id>?pwd=<code>``.

Not supported, on purpose, with a clear reason instead of a fall-through to the
plain-link downloader (which would save the share's web page).

What a working flow needs (alist ``drivers/thunder_share``, OpenList
``drivers/thunder``/``thunder_browser``/``thunderx``): every call to
``api-pan.xunlei.com/drive/v1/share`` carries an ``x-captcha-token`` that
``xluser-ssl.xunlei.com/v1/shield/captcha/init`` issues only for a
``captcha_sign`` computed with salts taken from Xunlei's own apps (the drivers
ship them as a default ``Algorithms`` list and a ``client_id``/``device_id``
of those apps); then the files must be restored into a logged-in Xunlei account
(itself behind the same signature and often an SMS captcha) before a download
link exists.  Doing that means impersonating Xunlei's client with its embedded
secrets, which Zhilian does not do.
"""

from __future__ import annotations

from ..errors import UnsupportedLink
from ..models import Link, Resolved
from .base import Resolver, ResolverContext

REASON = ("Xunlei Cloud (迅雷云盘) shares are not supported: its share API only answers requests "
          "signed with keys taken from Xunlei's own app (x-captcha-token), and files must first be "
          "saved into a logged-in Xunlei account; open the link in the Xunlei app")


class XunleiResolver(Resolver):
    name = "xunlei"
    hosts = ("pan.xunlei.com",)
    priority = 10

    async def resolve(self, link: Link, ctx: ResolverContext) -> list[Resolved]:
        raise UnsupportedLink(REASON)
