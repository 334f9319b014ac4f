"""A web page, an error message or a Git LFS pointer is never saved as the file asked for.

The pages here are our own HTML: what matters is how the hosts answer (200 with
text/html where a file was expected), not the page's content (a guess, not a copy of any
host's page). Share hosts without a resolver are reached through a local HTTP proxy, so
the engine sees their real names."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from servers import make_blob, run_download

from core.errors import WebPageInsteadOfFile

ROOT = Path(__file__).resolve().parents[2]
LOGIN_PAGE = (b"<!DOCTYPE html><html><head><title>Sign in</title></head>"
              b"<body><form action=\"/login\"><input name=\"user\"></form></body></html>")
HTML = "text/html; charset=utf-8"


def _get(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run([sys.executable, str(ROOT / "main.py"), "get", *args],
                          capture_output=True, text=True, timeout=60, env=e)


def _nothing_under(d: Path, name: str) -> None:
    left = [p.name for p in d.iterdir() if p.name.startswith(name)] if d.exists() else []
    assert left == [], left


def test_a_login_page_is_refused_in_one_line_and_nothing_is_kept(file_server, tmp_path):
    """`…/model.safetensors` answered with `200 text/html` (139 bytes of login page): before,
    a "done" model.safetensors of 139 bytes."""
    file_server.add("/repo/model.safetensors", LOGIN_PAGE, content_type=HTML, ignore_range=True)
    r = _get(file_server.url("/repo/model.safetensors"), "-d", str(tmp_path))
    assert r.returncode == 1
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "web page" in lines[0] and "127.0.0.1" in lines[0], r.stderr
    assert "Traceback" not in r.stderr
    _nothing_under(tmp_path, "model.safetensors")


def test_a_page_with_range_support_is_refused_too(file_server, tmp_path):
    file_server.add("/m.bin", LOGIN_PAGE, content_type=HTML)   # 206 for the probe, still a page
    with pytest.raises(WebPageInsteadOfFile) as ei:
        run_download(file_server.url("/m.bin"), tmp_path)
    assert ei.value.host == "127.0.0.1" and ei.value.content_type.startswith("text/html")
    assert ei.value.retryable is False
    _nothing_under(tmp_path, "m.bin")


# (host the user pastes, the name the message gives). Share links of these hosts open browser
# pages; their files come from each host's own API or client: e.g. a MEGA link's id and key
# go to the API at api.mega.co.nz/cs for the download URL, and the bytes it gives are
# AES-CTR encrypted (Aman9026/CLI-ALT-of-MegaTools meg.sh; NickCis/node-mega README.md).
SHARE_HOSTS = [
    ("mega.nz", "mega.nz"), ("www.mediafire.com", "mediafire.com"),
    ("wetransfer.com", "wetransfer.com"), ("share.weiyun.com", "weiyun.com"),
    ("115.com", "115.com"), ("caiyun.139.com", "caiyun.139.com"),
    ("www.jianguoyun.com", "jianguoyun.com"), ("pan.wo.cn", "pan.wo.cn"),
]


@pytest.mark.parametrize("host,shown", SHARE_HOSTS)
def test_share_hosts_without_a_resolver_say_so(file_server, tmp_path, host, shown):
    file_server.add("/s/AbCdEf12345", LOGIN_PAGE, content_type=HTML, ignore_range=True)
    with pytest.raises(WebPageInsteadOfFile) as ei:
        run_download(f"http://{host}/s/AbCdEf12345", tmp_path,
                     engine_kw={"proxy": file_server.base})
    assert str(ei.value).startswith(f"{shown} share links are not supported yet"), str(ei.value)
    _nothing_under(tmp_path, "AbCdEf12345")


def test_no_resolver_claims_a_host_said_to_have_none():
    """The list of share hosts without a resolver stays true as resolvers are added."""
    from core.identity import SHARE_HOSTS_WITHOUT_RESOLVER
    from core.resolvers import find
    for host in SHARE_HOSTS_WITHOUT_RESOLVER:
        r = find(f"https://{host}/s/AbCdEf12345")
        assert r is None or r.name == "direct", (host, r.name)
    for host in ("www.alipan.com", "www.123pan.com", "cloud.189.cn", "1drv.ms"):
        assert find(f"https://{host}/s/AbCdEf12345").name != "direct", host


def test_get_of_a_mega_link_is_one_line(file_server, tmp_path):
    file_server.add("/file/AbCdEf12345", LOGIN_PAGE, content_type=HTML, ignore_range=True)
    tmp_path = tmp_path / "dl"
    r = _get("http://mega.nz/file/AbCdEf12345", "-d", str(tmp_path),
             env={"http_proxy": file_server.base, "no_proxy": ""})
    assert r.returncode == 1
    assert r.stderr.strip().splitlines() == [
        "zhilian: http://mega.nz/file/AbCdEf12345: mega.nz share links are not supported "
        "yet (the host sent a web page, not the file)"], r.stderr
    assert not tmp_path.exists() or list(tmp_path.iterdir()) == []


def test_an_html_file_the_user_asked_for_is_saved(file_server, tmp_path):
    """The rule: a page is what was asked for when the URL's or the chosen name (-o, the
    server's Content-Disposition) ends in .html/.htm."""
    file_server.add("/docs/index.html", LOGIN_PAGE, content_type=HTML)
    path, _ = run_download(file_server.url("/docs/index.html"), tmp_path)
    assert path.read_bytes() == LOGIN_PAGE
    file_server.add("/page", LOGIN_PAGE, content_type=HTML, ignore_range=True)
    r = _get(file_server.url("/page"), "-d", str(tmp_path), "-o", "saved.html", "-q")
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "saved.html").read_bytes() == LOGIN_PAGE


def test_a_json_error_body_is_refused_but_a_json_file_is_saved(file_server, tmp_path):
    body = b'{"error":"Unauthorized","message":"token required"}'
    file_server.add("/m/model.bin", body, content_type="application/json", ignore_range=True)
    with pytest.raises(WebPageInsteadOfFile) as ei:
        run_download(file_server.url("/m/model.bin"), tmp_path)
    assert "error message" in str(ei.value) and "token required" in str(ei.value)
    xml = b'<?xml version="1.0"?><Error><Code>AccessDenied</Code></Error>'
    file_server.add("/m/w.pth", xml, content_type="application/xml")
    with pytest.raises(WebPageInsteadOfFile):
        run_download(file_server.url("/m/w.pth"), tmp_path)
    config = b'{"architectures": ["LlamaForCausalLM"], "hidden_size": 4096}'
    file_server.add("/m/config.json", config, content_type="application/json")
    path, _ = run_download(file_server.url("/m/config.json"), tmp_path)
    assert path.read_bytes() == config
    _nothing_under(tmp_path, "model.bin")
    _nothing_under(tmp_path, "w.pth")


def test_a_page_under_a_wrong_content_type_is_found_by_its_first_bytes(file_server, tmp_path):
    """200/206 application/octet-stream, but the body starts with `<!DOCTYPE html`: a file
    with a file's name (.bin) that starts like a page is never the file."""
    page = LOGIN_PAGE + b" " * 300_000
    file_server.add("/w/model.bin", page, content_type="application/octet-stream")
    with pytest.raises(WebPageInsteadOfFile) as ei:
        run_download(file_server.url("/w/model.bin"), tmp_path, connections=4, min_split=65536)
    assert "web page" in str(ei.value)
    _nothing_under(tmp_path, "model.bin")
    # a text file may start with anything
    file_server.add("/w/notes.txt", page, content_type="application/octet-stream")
    path, _ = run_download(file_server.url("/w/notes.txt"), tmp_path)
    assert path.read_bytes() == page


def test_a_git_lfs_pointer_is_not_the_model(file_server, tmp_path):
    pointer = (b"version https://git-lfs.github.com/spec/v1\n"
               b"oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\n"
               b"size 12345\n")
    file_server.add("/raw/model.safetensors", pointer, content_type="text/plain; charset=utf-8")
    with pytest.raises(WebPageInsteadOfFile) as ei:
        run_download(file_server.url("/raw/model.safetensors"), tmp_path)
    assert "Git LFS pointer" in str(ei.value)
    _nothing_under(tmp_path, "model.safetensors")


def test_a_model_that_starts_with_a_less_than_sign_is_still_a_model(file_server, tmp_path):
    data = b"<" + make_blob(100_000, 3)   # binary data whose first byte happens to be '<'
    file_server.add("/b/model.bin", data)
    path, _ = run_download(file_server.url("/b/model.bin"), tmp_path)
    assert path.read_bytes() == data


def test_the_queue_fails_a_web_page_without_retrying(file_server, tmp_path):
    import asyncio

    from core.queue.service import QueueService
    from core.queue.settings import Settings

    file_server.add("/q/model.bin", LOGIN_PAGE, content_type=HTML, ignore_range=True)
    dest = tmp_path / "dl"
    dest.mkdir()

    async def go():
        svc = QueueService(settings=Settings(retry_delay=0.05, max_retries=3))
        await svc.start()
        try:
            [tid] = await svc.add(file_server.url("/q/model.bin"), dest_dir=str(dest))
            for _ in range(1000):
                if svc.get(tid).state in ("done", "failed"):
                    break
                await asyncio.sleep(0.02)
            return svc.get(tid)
        finally:
            await svc.close()
    v = asyncio.run(go())
    assert v.state == "failed" and v.attempts == 1, (v.state, v.error)
    assert "web page" in v.error and "retrying" not in v.error
    _nothing_under(dest, "model.bin")
