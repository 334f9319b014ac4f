"""End to end: a signed CDN URL dies in the middle of a download.

With a resolver (Hugging Face) the engine asks for a fresh URL and carries on in
the same .part and journal; a bare signed URL stops with "paste a new link", and
a replaced link resumes where it stopped."""

from __future__ import annotations

import asyncio
import hashlib

import aiohttp
import pytest
from servers import make_blob

from core.engine import DownloadOptions, Engine
from core.errors import LinkExpired
from core.resolve import make_context, make_refresher, resolve_links

SIZE = 6 * 1024 * 1024
BLOB = make_blob(SIZE, seed=77)


def test_hf_cdn_url_expires_mid_download_and_refresh_continues(hf, cdn, clock, tmp_path):
    hf.add_repo("heygem/lipsync", {"heygem_v1.0.pth": BLOB})
    cdn.rate = 3_000_000                 # per connection: the download takes a moment
    cdn.expire_after_bytes = SIZE // 3   # then every issued signature dies, transfers drop
    hosts = {"huggingface.co": hf.base, "cas-bridge.xethub.hf.co": cdn.base}
    notes: list[str] = []
    parts_seen: set[tuple[int, int]] = set()

    async def go():
        async with aiohttp.ClientSession() as s:
            ctx = make_context(s, host_map=hosts, credentials={}, env={}, clock=clock)
            [res] = await resolve_links(
                "https://huggingface.co/heygem/lipsync/resolve/main/heygem_v1.0.pth", ctx)
            inner = make_refresher(res, ctx)
            assert inner is not None
            calls = 0

            async def refresher():
                # One expiry needs one refresh (a few if connections race); more is a loop.
                nonlocal calls
                calls += 1
                if calls > 6:
                    raise LinkExpired("refreshed 6 times without getting on: giving up")
                return await inner()

            def on_progress(p):
                if p.message:
                    notes.append(p.message)
                part = tmp_path / "heygem_v1.0.pth.part"
                if part.exists():
                    st = part.stat()
                    parts_seen.add((st.st_ino, st.st_dev))

            async with Engine(clock=clock) as eng:
                dl = eng.download(res, tmp_path, DownloadOptions(connections=4),
                                  on_progress=on_progress, refresh=refresher)
                return await asyncio.wait_for(dl.run(), 60)

    path = asyncio.run(go())
    assert path.read_bytes() == BLOB
    assert hashlib.sha256(path.read_bytes()).hexdigest() == hashlib.sha256(BLOB).hexdigest()
    assert cdn.expired_answers >= 1, "the CDN never answered 'expired'"
    assert hf.heads >= 2, "no refresh through the resolver"
    assert any("fresh" in n or "refresh" in n for n in notes), notes
    assert len(parts_seen) == 1, "the .part was replaced instead of continued"
    # Bytes the CDN sent: the file once, plus at most what was in flight when
    # the transfers were dropped.
    assert cdn.bytes_sent <= SIZE + 4 * 256 * 1024, cdn.bytes_sent
    assert not (tmp_path / "heygem_v1.0.pth.part").exists()


def test_bare_signed_url_expires_then_replaced_link_resumes(cdn, clock, tmp_path):
    cdn.put("models/w2l.pth", BLOB)
    cdn.rate = 3_000_000
    cdn.expire_after_bytes = SIZE // 2
    first = cdn.sign("models/w2l.pth", ttl=3600, host="https://bucket.s3.us-west-2.amazonaws.com")
    hosts = {"bucket.s3.us-west-2.amazonaws.com": cdn.base}

    async def attempt(link: str):
        async with aiohttp.ClientSession() as s:
            ctx = make_context(s, host_map=hosts, credentials={}, env={}, clock=clock)
            [res] = await resolve_links(link, ctx)
            assert res.resolver == "direct" and res.expires_at is not None
            assert make_refresher(res, ctx) is None
            async with Engine(clock=clock) as eng:
                return await eng.download(res, tmp_path, DownloadOptions(connections=4)).run()

    with pytest.raises(LinkExpired, match="(?i)link expired: paste a new link"):
        asyncio.run(attempt(first))
    part = tmp_path / "w2l.pth.part"
    assert part.exists()
    sent_before = cdn.bytes_sent
    assert 0 < sent_before < SIZE

    second = cdn.sign("models/w2l.pth", ttl=3600, host="https://bucket.s3.us-west-2.amazonaws.com")
    path = asyncio.run(attempt(second))
    assert path.read_bytes() == BLOB
    # The replacement link only fetched what was missing (plus in-flight slack).
    assert cdn.bytes_sent <= SIZE + 4 * 256 * 1024, (sent_before, cdn.bytes_sent)
