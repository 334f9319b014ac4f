"""core.resolve helpers and the direct-link fallback."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest
from rhelpers import resolve

from core.errors import LinkExpired, NotFound, UnsupportedLink, ZhilianError
from core.resolve import host_map_from_env, make_context, make_refresher, resolve_links
from core.resolvers import find, registry

SIGNED = ("https://heygem.oss-cn-hangzhou.aliyuncs.com/models/heygem_v1.0.pth"
          "?OSSAccessKeyId=LTAI5tEXAMPLE&Expires=1795430520&Signature=abc%2B")


def test_registry_has_every_builtin_and_direct_is_the_fallback():
    names = set(registry())
    assert {"direct", "github", "huggingface", "modelscope", "civitai", "dropbox", "gdrive"} <= names
    assert find("https://example.com/a.bin").name == "direct"
    assert find("http://10.0.0.2:8000/x").name == "direct"
    assert find("https://huggingface.co/a/b").name == "huggingface"
    assert find("https://hf-mirror.com/a/b").name == "huggingface"
    assert find("https://github.com/a/b/releases/download/v1/x").name == "github"
    assert find("https://www.modelscope.cn/models/a/b").name == "modelscope"
    assert find("https://civitai.com/models/1").name == "civitai"
    assert find("https://www.dropbox.com/s/x/y").name == "dropbox"
    assert find("https://drive.google.com/file/d/x/view").name == "gdrive"
    assert find("ftp://example.com/x") is None


def test_a_plain_link_imports_no_host_specific_resolver_and_the_host_table_is_complete():
    """`get` of a plain link finds the direct resolver without importing the others: the
    table of the hosts they claim (core.resolvers.KNOWN_HOSTS) must name every host of every
    resolver, and a resolver that decides by its own matches() must be known here too."""
    import subprocess
    import sys

    from core import resolvers
    from core.resolvers.base import Resolver
    from core.resolvers.lanzou import _HOST_RE
    for r in registry().values():
        if r.name == "direct":
            continue
        assert set(r.hosts) <= set(resolvers.KNOWN_HOSTS), f"add {r.name}'s hosts to KNOWN_HOSTS"
        for h in r.hosts:
            assert not resolvers._plain(f"https://{h}/x") and not resolvers._plain(f"https://www.{h}/x")
        if type(r).matches is not Resolver.matches:
            assert r.name == "lanzou", f"{r.name} decides by matches(): teach core.resolvers._plain"
    assert _HOST_RE.pattern == resolvers.KNOWN_HOST_RE.pattern
    assert not resolvers._plain("https://wwa.lanzouw.com/i123")
    code = ("import sys; from core.resolvers import find; "
            "assert find('https://example.com/a.bin').name == 'direct'; "
            "assert find('ftp://example.com/x') is None; "
            "print(sorted(m for m in sys.modules if m.startswith('core.resolvers.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['core.resolvers.base', 'core.resolvers.direct']"


def test_direct_link_expiry_from_signature(clock):
    clock.t = 1795430000
    [r] = resolve(f"链接：{SIGNED}。", {}, clock=clock)
    assert r.resolver == "direct" and r.filename == "heygem_v1.0.pth"
    assert r.expires_at == r.mirrors[0].expires_at == 1795430520.0
    assert r.ref["link"] == SIGNED


def test_direct_link_already_expired(clock):
    clock.t = 1795430521
    with pytest.raises(LinkExpired, match="paste a new link"):
        resolve(SIGNED, {}, clock=clock)


def test_direct_names():
    [a, b, c] = resolve("https://x.example/dl.php?id=3 https://x.example/file/?abc "
                        "https://x.example/m/w2l%20gan.pth", {})
    assert (a.filename, b.filename, c.filename) == (None, None, "w2l gan.pth")


def test_direct_has_no_refresher_and_refresh_raises():
    async def go():
        async with aiohttp.ClientSession() as s:
            ctx = make_context(s, credentials={}, env={})
            [r] = await resolve_links("https://cdn.example.com/a.bin", ctx)
            assert make_refresher(r, ctx) is None
            with pytest.raises(LinkExpired, match="paste a new link"):
                await registry()["direct"].refresh(r, ctx)
    asyncio.run(go())


def test_password_and_link_kept_in_ref_for_refresh(hf, cdn):
    hf.add_repo("a/b", {"x.bin": b"1" * 2000})
    [r] = resolve("https://huggingface.co/a/b/resolve/main/x.bin 提取码: abcd",
                  {"huggingface.co": hf.base, "cas-bridge.xethub.hf.co": cdn.base})
    assert r.ref["link"] == "https://huggingface.co/a/b/resolve/main/x.bin"
    assert r.ref["password"] == "abcd"


def test_host_map_from_env_and_argument_wins():
    env = {"ZHILIAN_HOST_MAP": json.dumps({"huggingface.co": "http://127.0.0.1:1/", "github.com": "http://127.0.0.1:2"})}
    assert host_map_from_env(env) == {"huggingface.co": "http://127.0.0.1:1", "github.com": "http://127.0.0.1:2"}

    async def go():
        async with aiohttp.ClientSession() as s:
            ctx = make_context(s, env=env, credentials={}, host_map={"github.com": "http://127.0.0.1:3"})
            return ctx.url("https://huggingface.co/x?y=1"), ctx.url("https://github.com/z"), ctx.env
    a, b, e = asyncio.run(go())
    assert (a, b) == ("http://127.0.0.1:1/x?y=1", "http://127.0.0.1:3/z")
    assert e["ZHILIAN_HOST_MAP"]


@pytest.mark.parametrize("raw", ["{not json", "[1,2]", '{"a": 1}'])
def test_bad_host_map_is_a_clear_error(raw):
    with pytest.raises(ZhilianError, match="ZHILIAN_HOST_MAP"):
        host_map_from_env({"ZHILIAN_HOST_MAP": raw})


def test_no_link_in_text():
    async def go():
        async with aiohttp.ClientSession() as s:
            await resolve_links("只是文字，没有链接", make_context(s, credentials={}, env={}))
    with pytest.raises(UnsupportedLink, match="No link"):
        asyncio.run(go())


def test_errors_list_collects_failures_and_keeps_the_rest(hf, cdn):
    hf.add_repo("a/b", {"x.bin": b"1" * 2000})
    text = ("https://huggingface.co/a/b/resolve/main/x.bin\n"
            "https://huggingface.co/a/b/resolve/main/missing.bin\n"
            "https://cdn.example.com/c.bin")

    async def go():
        async with aiohttp.ClientSession() as s:
            ctx = make_context(s, host_map={"huggingface.co": hf.base, "cas-bridge.xethub.hf.co": cdn.base},
                               credentials={}, env={})
            errs: list = []
            out = await resolve_links(text, ctx, errors=errs)
            return out, errs
    out, errs = asyncio.run(go())
    assert [r.resolver for r in out] == ["huggingface", "direct"]
    assert len(errs) == 1 and isinstance(errs[0][1], NotFound) and errs[0][0].url.endswith("missing.bin")


def test_unreachable_host_is_a_retryable_error():
    from core.resolvers._web import HostUnreachable
    with pytest.raises(HostUnreachable) as e:
        resolve("https://huggingface.co/a/b/resolve/main/x.bin", {"huggingface.co": "http://127.0.0.1:9"})
    assert e.value.retryable


def test_an_untrusted_certificate_is_not_retried_and_a_fixed_ca_store_is_read_again(tls_cert, monkeypatch):
    """A hub whose certificate the system does not trust (a self-signed one here): the
    error names the cause, and neither the queue nor its words ask for a later try. Once
    the system trusts it (SSL_CERT_FILE here), the next request of the same process makes
    its TLS handshake with the CA store read again (not aiohttp's, read at its import)."""
    from servers import RawServer, ok_answer, tls_server_context

    from core import preconnect
    from core.resolvers._web import HostUnreachable
    cert, key = tls_cert
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.setattr(preconnect, "_context", None)
    with RawServer(ok_answer, ssl_ctx=tls_server_context(cert, key)) as srv:
        hosts = {"huggingface.co": f"https://localhost:{srv.port}"}
        with pytest.raises(HostUnreachable) as e:
            resolve("https://huggingface.co/a/b/resolve/main/x.bin", hosts)
        assert srv.connections == 0                  # (counted after a handshake)
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))
        with pytest.raises(ZhilianError) as again:   # the mock is no hub: the answer is wrong
            resolve("https://huggingface.co/a/b/resolve/main/x.bin", hosts)
        assert srv.connections >= 1
    assert e.value.cause == "certificate" and not e.value.retryable
    assert str(e.value) == "Cannot reach huggingface.co: its certificate is not trusted"
    assert "certificate" not in str(again.value)


def test_refresher_stops_a_refresh_loop(hf, cdn, clock):
    from core.resolve import REFRESH_BURST, REFRESH_WINDOW
    hf.add_repo("a/b", {"x.bin": b"1" * 2000})

    async def go():
        async with aiohttp.ClientSession() as s:
            ctx = make_context(s, host_map={"huggingface.co": hf.base, "cas-bridge.xethub.hf.co": cdn.base},
                               credentials={}, env={}, clock=clock)
            [r] = await resolve_links("https://huggingface.co/a/b/resolve/main/x.bin", ctx)
            refresh = make_refresher(r, ctx)
            urls = [(await refresh())[0].url for _ in range(REFRESH_BURST)]
            assert len(set(urls)) == REFRESH_BURST          # each one a new signature
            assert r.mirrors[0].url == urls[-1]              # the Resolved follows
            with pytest.raises(LinkExpired, match="date and time"):
                await refresh()
            clock.t += REFRESH_WINDOW + 1                    # later, refreshing works again
            assert await refresh()
    asyncio.run(go())
