"""A share host that cannot be reached: every share resolver makes its requests through
the shared helpers (core/resolvers/_web.py), so a host that is down (refused, or silent
until the request's time limit) is one error everywhere: ``HostUnreachable`` of kind
``network``, named after the host. Share hosts keep failing such a task at once (the
user presses Retry), as they always did; the model hubs' are retried later."""

from __future__ import annotations

import asyncio
import socket

import pytest
from share_helpers import BAIDU_CREDS, make_ctx

from core.errors import ErrorKind
from core.models import Link
from core.resolve import resolve_link
from core.resolvers._web import HostUnreachable


def closed_port_base() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"          # nothing listens there any more


CASES = [
    ("https://pan.baidu.com/s/1AbCdEf?pwd=x7k2", ("pan.baidu.com",), BAIDU_CREDS, "Baidu"),
    ("https://wwa.lanzoui.com/iAbc123", ("wwa.lanzoui.com",), {}, "Lanzou"),
    ("https://pan.quark.cn/s/abc123", ("drive-pc.quark.cn",), {"pan.quark.cn": {"cookies": {"__pus": "p"}}},
     "Quark"),
    ("https://drive.uc.cn/s/abc123", ("pc-api.uc.cn",), {"uc.cn": {"cookies": {"__pus": "p"}}}, "UC Drive"),
    ("https://contoso-my.sharepoint.com/:u:/g/personal/ann_contoso_com/EaBcD", ("contoso-my.sharepoint.com",),
     {}, "SharePoint"),
]


@pytest.mark.parametrize("url, hosts, creds, label", CASES, ids=[c[3] for c in CASES])
def test_a_share_host_that_is_down_is_one_network_error(url, hosts, creds, label):
    base = closed_port_base()

    async def go():
        async with make_ctx({h: base for h in hosts}, creds) as ctx:
            await resolve_link(Link(url), ctx)
    with pytest.raises(HostUnreachable) as ei:
        asyncio.run(go())
    assert ei.value.kind == ErrorKind.NETWORK and ei.value.params() == {"host": label, "cause": "refused"}
    assert not ei.value.retryable
    assert str(ei.value).startswith(f"Cannot reach {label}: ")
