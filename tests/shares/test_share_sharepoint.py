import asyncio

import pytest
from share_helpers import make_ctx
from share_mocks import SharePointMock

from core import errors
from core.models import Link
from core.resolvers import find


def resolve(mock, url, creds=None, saved=None, pwd=None):
    async def go():
        async with make_ctx(mock.host_map(), creds, saved) as ctx:
            r = find(url)
            assert r is not None and r.name == "sharepoint"
            return await r.resolve(Link(url, pwd), ctx)
    return asyncio.run(go())


def test_share_link_becomes_download_aspx_with_fedauth(sharepoint):
    sharepoint.add_share("EaBcDeF", "wav2lip_gan.pth", b"W" * 4321)
    [r] = resolve(sharepoint, sharepoint.link("EaBcDeF"))
    assert r.filename == "wav2lip_gan.pth" and r.size == 4321
    m = r.mirrors[0]
    assert m.url == sharepoint.base + "/personal/alice_contoso_com/_layouts/52/download.aspx?share=EaBcDeF"
    assert m.headers["Cookie"] == f"FedAuth={sharepoint.fedauth}"


def test_org_only_link_needs_login_then_works_with_cookies(sharepoint):
    sharepoint.add_share("Org1", "m.pth", b"M" * 10, state="org")
    with pytest.raises(errors.NeedLogin) as ei:
        resolve(sharepoint, sharepoint.link("Org1"))
    assert SharePointMock.HOST in str(ei.value)
    creds = {SharePointMock.HOST: {"cookies": {"FedAuth": sharepoint.org_fedauth, "rtFa": "r"}}}
    [r] = resolve(sharepoint, sharepoint.link("Org1"), creds=creds)
    assert r.size == 10 and sharepoint.org_fedauth in r.mirrors[0].headers["Cookie"]


@pytest.mark.parametrize("token,state,kind,exc", [
    ("Exp", "expired", "u", errors.LinkExpired),
    ("Missing", None, "u", errors.NotFound),
    ("Dir", "ok", "f", errors.UnsupportedLink),
])
def test_errors(sharepoint, token, state, kind, exc):
    if state:
        sharepoint.add_share(token, "x", b"x", state=state)
    with pytest.raises(exc):
        resolve(sharepoint, sharepoint.link(token, kind))


def test_password_protected_link_posts_the_txtpassword_form(sharepoint):
    """OpenList drivers/onedrive_sharelink getCookiesWithPassword: the form inputForm with
    __VIEWSTATE / __EVENTVALIDATION takes txtPassword and sets FedAuth."""
    sharepoint.add_share("PwTok", "s3fd.pth", b"S" * 300, password="hunter2")
    [r] = resolve(sharepoint, sharepoint.link("PwTok"), pwd="hunter2")
    [post] = sharepoint.password_posts
    s = sharepoint.shares["PwTok"]
    assert post["txtPassword"] == "hunter2" and post["__VIEWSTATE"] == s["viewstate"]
    assert post["__EVENTVALIDATION"] == s["validation"] and post["__VIEWSTATEENCRYPTED"] == ""
    assert r.size == 300 and r.filename == "s3fd.pth"
    assert r.mirrors[0].headers["Cookie"] == f"FedAuth={sharepoint.fedauth}"
    assert r.ref["password"] == "hunter2"
    with pytest.raises(errors.NeedPassword):
        resolve(sharepoint, sharepoint.link("PwTok"))
    with pytest.raises(errors.WrongPassword):
        resolve(sharepoint, sharepoint.link("PwTok"), pwd="nope")
