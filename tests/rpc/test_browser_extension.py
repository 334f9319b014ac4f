"""The browser extension (browser/) in a real Chromium (Debian's chromium + chromium-driver,
driven by Selenium) under Xvfb, against the headless runner's RPC.

WebDriver cannot click a context-menu item, so the link is sent through the same handler
the menu calls: the options page posts the menu's ``info`` object ({menuItemId, linkUrl,
pageUrl} / {selectionText}) to the service worker, whose ``handleMenu`` is what
``contextMenus.onClicked`` runs.  The capture of downloads is driven for real: a click on
a link of a web page starts a browser download that the extension hands to Zhilian."""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from pathlib import Path

import pytest
from aiohttp import web
from rpc_helpers import SECRET, queue_rows, wait_for
from servers import FileServer, file_sha256, make_blob

from core.rpc.methods import task_of

ROOT = Path(__file__).resolve().parents[2]
EXTENSION = ROOT / "browser"
COOKIE = "hf_session=8d1f0c2b7a"


class Site(FileServer):
    """A model site: a page that sets a login cookie, and files that need it."""

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if request.path == "/page.html":
            html = ('<html><body><h1>Models</h1>'
                    '<a id="model" href="/files/model.safetensors">model.safetensors</a> '
                    '<a id="capture" href="/files/capture.gguf">capture.gguf</a></body></html>')
            resp = web.Response(text=html, content_type="text/html")
            resp.headers["Set-Cookie"] = f"{COOKIE}; Path=/"
            return resp
        if COOKIE not in request.headers.get("Cookie", ""):
            self.requests.append({"path": request.path, "headers": dict(request.headers), "refused": True,
                                  "range": request.headers.get("Range")})
            return web.Response(status=403, text="log in first")
        return await super()._handle(request)


def _chromium(xvfb: dict, downloads: Path):
    for tool in ("chromium", "chromedriver"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is not installed: run scripts/setup.sh dev (chromium, chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    opts = webdriver.ChromeOptions()
    opts.binary_location = shutil.which("chromium")
    for arg in ("--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--disable-gpu", "--disable-dev-shm-usage",
                f"--load-extension={EXTENSION}", f"--disable-extensions-except={EXTENSION}",
                f"--user-data-dir={tempfile.mkdtemp(prefix='zhilian-chromium-')}"):
        opts.add_argument(arg)
    opts.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                           "download.prompt_for_download": False})
    return webdriver.Chrome(options=opts, service=Service(shutil.which("chromedriver"), env=xvfb))


def _extension_id(driver) -> str:
    def find():
        for t in driver.execute_cdp_cmd("Target.getTargets", {})["targetInfos"]:
            if t["type"] == "service_worker" and t["url"].startswith("chrome-extension://"):
                return t["url"].split("/")[2]
        return None
    return wait_for(find, 30, 0.2, what="the extension's service worker")


def _menu_click(driver, info: dict) -> dict:
    """What contextMenus.onClicked would run, posted from the extension's own page."""
    return driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "chrome.runtime.sendMessage({kind: 'menu-click', info: arguments[0]}).then(done, e => done({ok: false, error: String(e)}));",
        info)


@pytest.mark.xvfb
def test_extension_sends_links_and_captures_downloads(xvfb, runner, tmp_path):
    site = Site().start()
    model, captured = make_blob(2_000_000, 61), make_blob(1_500_000, 62)
    site.add("/files/model.safetensors", model)
    site.add("/files/capture.gguf", captured)
    browser_dl = tmp_path / "browser-downloads"
    browser_dl.mkdir()
    driver = _chromium(xvfb, browser_dl)
    try:
        ext = _extension_id(driver)
        driver.get(site.base + "/page.html")                   # the site sets its login cookie
        assert driver.find_element("id", "model").text == "model.safetensors"

        # the secret is pasted once in the options page; a wrong one is reported
        driver.get(f"chrome-extension://{ext}/options.html")
        url_box, secret_box = driver.find_element("id", "rpcUrl"), driver.find_element("id", "secret")
        url_box.clear()
        url_box.send_keys(runner.url)
        secret_box.send_keys("not-the-secret")
        driver.find_element("id", "test").click()
        status = driver.find_element("id", "status")
        wait_for(lambda: "refused the secret" in status.text, 15, what="refusal shown")
        secret_box.clear()
        secret_box.send_keys(SECRET)
        driver.find_element("id", "test").click()
        wait_for(lambda: "Connected to Zhilian" in status.text, 15, what=f"connection ({status.text})")

        # "Download with Zhilian" on the link of the page
        page = site.base + "/page.html"
        link = site.base + "/files/model.safetensors"
        reply = _menu_click(driver, {"menuItemId": "zhilian-link", "linkUrl": link, "pageUrl": page,
                                     "editable": False})
        assert reply["ok"], reply
        gid = reply["result"]
        wait_for(lambda: runner.call("aria2.tellStatus", gid, ["status"])["status"] == "complete",
                 60, what="the link downloaded")
        assert file_sha256(runner.downloads / "model.safetensors") == hashlib.sha256(model).hexdigest()
        seen = [r for r in site.requests if r["path"] == "/files/model.safetensors"]
        assert seen and not [r for r in seen if r.get("refused")]
        ua = driver.execute_script("return navigator.userAgent")
        for r in seen:   # the page's cookies for that host, the page as Referer, the browser's UA
            assert r["headers"]["Cookie"] == COOKIE and r["headers"]["Referer"] == page
            assert r["headers"]["User-Agent"] == ua and "Chrome/" in ua
        assert any(r.id == task_of(gid) for r in queue_rows())          # a queue task like any other

        # a selected share text keeps its extraction code
        reply = _menu_click(driver, {"menuItemId": "zhilian-selection", "pageUrl": page,
                                     "selectionText": "链接: https://pan.baidu.com/s/1AbCdEfGh 提取码: x7k2 --来自百度网盘"})
        assert reply["ok"], reply
        row = next(r for r in queue_rows() if r.id == task_of(reply["result"]))
        assert (row.link, row.password) == ("https://pan.baidu.com/s/1AbCdEfGh", "x7k2")
        reply = _menu_click(driver, {"menuItemId": "zhilian-selection", "selectionText": "no link here"})
        assert not reply["ok"] and "No link" in reply["error"]

        # capture: switched on, a click on a model file in a page goes to Zhilian, not the browser
        driver.find_element("id", "capture").click()
        driver.find_element("id", "save").click()
        wait_for(lambda: status.text == "Saved.", 10, what="saved")
        before = runner.all_gids()
        driver.get(page)
        driver.find_element("id", "capture").click()
        new = wait_for(lambda: runner.all_gids() - before, 30, what="the captured download queued")
        (cgid,) = new
        wait_for(lambda: runner.call("aria2.tellStatus", cgid, ["status"])["status"] == "complete",
                 60, what="the captured download done")
        assert file_sha256(runner.downloads / "capture.gguf") == hashlib.sha256(captured).hexdigest()
        served = [r for r in site.requests if r["path"] == "/files/capture.gguf" and not r.get("refused")]
        assert any(r["headers"].get("Referer") == page and r["headers"]["Cookie"] == COOKIE for r in served)
        # the browser's own download was stopped (or its file deleted) and nothing is left of it
        try:
            wait_for(lambda: not list(browser_dl.iterdir()), 15, what="the browser's copy gone")
        except AssertionError as e:   # say what is left
            raise AssertionError(f"{e}: {[p.name for p in browser_dl.iterdir()]}") from None
        driver.get(f"chrome-extension://{ext}/options.html")
        left = driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "chrome.downloads.search({}).then(items => done(items.map(i => i.url)));")
        assert not [u for u in left if u.endswith("/files/capture.gguf")], left     # erased from the list
    finally:
        driver.quit()
        site.stop()
