"""core.expiry: expiry times read from signed URLs, and "expired" answers."""

from __future__ import annotations

import calendar

import pytest

from core.expiry import is_expired_answer, url_expires_at


def utc(y, mo, d, h=0, mi=0, s=0) -> float:
    return float(calendar.timegm((y, mo, d, h, mi, s, 0, 0, 0)))


# -- url_expires_at -----------------------------------------------------------

def test_s3_v4():
    url = ("https://models.s3.us-west-2.amazonaws.com/heygem/heygem_v1.0.pth"
           "?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAEXAMPLE%2F20261123%2Fus-west-2%2Fs3%2Faws4_request"
           "&X-Amz-Date=20261123T094200Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host"
           "&X-Amz-Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7")
    assert url_expires_at(url) == utc(2026, 11, 23, 10, 42)


def test_s3_v4_lower_case_params_and_r2():
    url = ("https://abc.r2.cloudflarestorage.com/civitai-prod/model/1/x.safetensors"
           "?x-amz-algorithm=AWS4-HMAC-SHA256&x-amz-date=20261123T000000Z&x-amz-expires=86400"
           "&x-amz-signature=ff&x-amz-signedheaders=host")
    assert url_expires_at(url) == utc(2026, 11, 24)


def test_s3_v2():
    url = ("https://bucket.s3.amazonaws.com/w2l.pth?AWSAccessKeyId=AKIAEXAMPLE"
           "&Expires=1795430520&Signature=vjbyPxybdZaNmGa%2ByT272YEAiv4%3D")
    assert url_expires_at(url) == 1795430520.0


def test_oss_v1():
    url = ("https://heygem.oss-cn-hangzhou.aliyuncs.com/models/heygem_v1.0.pth"
           "?OSSAccessKeyId=LTAI5tEXAMPLE&Expires=1795430520&Signature=7hj%2BqWcqEXAMPLE%3D")
    assert url_expires_at(url) == 1795430520.0


def test_oss_v2():
    url = ("https://heygem.oss-cn-beijing.aliyuncs.com/models/a.pth?x-oss-signature-version=OSS2"
           "&x-oss-access-key-id=LTAI5tEXAMPLE&x-oss-expires=1795430520"
           "&x-oss-signature=ZmFrZSBzaWduYXR1cmU%3D")
    assert url_expires_at(url) == 1795430520.0


def test_oss_v4():
    url = ("https://heygem.oss-cn-hangzhou.aliyuncs.com/models/a.pth"
           "?x-oss-signature-version=OSS4-HMAC-SHA256"
           "&x-oss-credential=LTAI5tEXAMPLE%2F20261123%2Fcn-hangzhou%2Foss%2Faliyun_v4_request"
           "&x-oss-date=20261123T120000Z&x-oss-expires=1800&x-oss-signature=abcdef")
    assert url_expires_at(url) == utc(2026, 11, 23, 12, 30)


def test_lanzou_e_param():
    url = ("https://developer-oss.lanrar.com/file/?BmBSPQ4/UGMBCAE6VmBSbgE/BzxXXAYpV3UKJ1QxUG4"
           "&e=1795430520&t=1795420000")
    assert url_expires_at(url) == 1795430520.0


def test_gcs_v4_and_azure_sas():
    gcs = ("https://storage.googleapis.com/bucket/obj.bin?X-Goog-Algorithm=GOOG4-RSA-SHA256"
           "&X-Goog-Date=20261123T080000Z&X-Goog-Expires=900&X-Goog-Signature=00")
    assert url_expires_at(gcs) == utc(2026, 11, 23, 8, 15)
    az = ("https://acct.blob.core.windows.net/c/model.bin?sv=2022-11-02&st=2026-11-23T08:00:00Z"
          "&se=2026-11-23T09:00:00Z&sr=b&sp=r&sig=abc%3D")
    assert url_expires_at(az) == utc(2026, 11, 23, 9)


@pytest.mark.parametrize("url", [
    "https://example.com/file.bin",
    "https://example.com/file.bin?download=1",
    # SharePoint "e=" is a share token, not a time
    "https://contoso-my.sharepoint.com/:u:/g/personal/u/EaBcD?e=4ZxYwV",
    # Expires that is not an epoch
    "https://example.com/f?Expires=tomorrow",
    "https://example.com/f?X-Amz-Date=garbage&X-Amz-Expires=60",
    "not a url at all",
])
def test_no_expiry(url):
    assert url_expires_at(url) is None


def test_millisecond_epoch():
    assert url_expires_at("https://cdn.example.com/f.bin?e=1795430520123") == 1795430520.0


# -- is_expired_answer ----------------------------------------------------------

S3_V4_EXPIRED = b"""<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>AccessDenied</Code><Message>Request has expired</Message><X-Amz-Expires>3600</X-Amz-Expires><Expires>2026-11-23T10:42:00Z</Expires><ServerTime>2026-11-23T11:00:01Z</ServerTime><RequestId>4442587FB7D0A2F9</RequestId><HostId>fakehostid=</HostId></Error>"""

S3_V2_EXPIRED = b"""<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>AccessDenied</Code><Message>Request has expired</Message><Expires>2026-11-23T10:42:00Z</Expires><ServerTime>2026-11-23T11:00:01Z</ServerTime><RequestId>8A6B</RequestId><HostId>x</HostId></Error>"""

S3_DENIED = b"""<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>AccessDenied</Code><Message>Access Denied</Message><RequestId>1</RequestId><HostId>x</HostId></Error>"""

S3_BAD_SIG = b"""<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided.</Message></Error>"""

OSS_EXPIRED = b"""<?xml version="1.0" encoding="UTF-8"?>
<Error>
  <Code>AccessDenied</Code>
  <Message>Request has expired.</Message>
  <RequestId>6565A1B2C3D4E5F6A7B8C9D0</RequestId>
  <HostId>heygem.oss-cn-hangzhou.aliyuncs.com</HostId>
  <Expires>2026-11-23T10:42:00.000Z</Expires>
  <ServerTime>2026-11-23T11:00:01.000Z</ServerTime>
  <EC>0002-00000069</EC>
  <RecommendDoc>https://api.aliyun.com/troubleshoot?q=0002-00000069</RecommendDoc>
</Error>"""

OSS_FORBIDDEN = b"""<?xml version="1.0" encoding="UTF-8"?>
<Error>
  <Code>AccessDenied</Code>
  <Message>You have no right to access this object because of bucket acl.</Message>
  <EC>0003-00000001</EC>
</Error>"""

R2_EXPIRED = b"""<?xml version="1.0" encoding="UTF-8"?><Error><Code>ExpiredRequest</Code><Message>Request has expired</Message></Error>"""

GCS_EXPIRED = b"""<?xml version='1.0' encoding='UTF-8'?><Error><Code>ExpiredToken</Code><Message>The provided token has expired.</Message><Details>Request signature expired at: 2026-11-23T08:15:00+00:00</Details></Error>"""

AZURE_EXPIRED = b"""\xef\xbb\xbf<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthenticationFailed</Code><Message>Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.
RequestId:1 Time:2026-11-23T09:00:01Z</Message><AuthenticationErrorDetail>Signed expiry time [Mon, 23 Nov 2026 09:00:00 GMT] must be after signed start time [Mon, 23 Nov 2026 09:00:01 GMT]</AuthenticationErrorDetail></Error>"""

BAIDU_EXPIRED = b'{"error_code":31360,"error_msg":"url is expired","request_id":8786127653187417361}'
BAIDU_UNAUTH = b'{"error_code":31326,"error_msg":"user is not authorized, hitcode:117","request_id":1}'


@pytest.mark.parametrize("status,headers,body", [
    (403, {"Content-Type": "application/xml"}, S3_V4_EXPIRED),
    (403, {"Content-Type": "application/xml"}, S3_V2_EXPIRED),
    (403, {"Content-Type": "application/xml", "x-oss-ec": "0002-00000069"}, OSS_EXPIRED),
    (403, {"x-oss-ec": "0002-00000069"}, b""),            # HEAD: no body, header only
    (403, {}, R2_EXPIRED),
    (400, {}, R2_EXPIRED),
    (400, {}, GCS_EXPIRED),
    (403, {}, AZURE_EXPIRED),
    (403, {"Content-Type": "application/json"}, BAIDU_EXPIRED),
    (403, {}, b'{"error_code":"31360","error_msg":"url is expired"}'),
    (410, {"Content-Type": "text/plain"}, b"This URL has expired."),
])
def test_expired_answers(status, headers, body):
    assert is_expired_answer(status, headers, body)


@pytest.mark.parametrize("status,headers,body", [
    (403, {}, S3_DENIED),
    (403, {}, S3_BAD_SIG),
    (403, {"x-oss-ec": "0003-00000001"}, OSS_FORBIDDEN),
    (403, {}, BAIDU_UNAUTH),
    (404, {}, b"<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>"),
    (200, {}, S3_V4_EXPIRED),     # a file that happens to contain the text
    (206, {}, BAIDU_EXPIRED),
    (503, {}, S3_V4_EXPIRED),     # 5xx are server trouble, not expiry
    (403, {}, b"<html><body>Request has expired</body></html>"),  # HTML page: not decisive
    (403, {}, b""),
    (403, {}, b"\x00\x01\x02 binary"),
])
def test_not_expired_answers(status, headers, body):
    assert not is_expired_answer(status, headers, body)


def test_headers_case_insensitive_plain_dict():
    assert is_expired_answer(403, {"X-Oss-Ec": "0002-00000069"}, b"")


def test_never_raises_on_arbitrary_input():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    keys = st.sampled_from(["X-Amz-Date", "X-Amz-Expires", "Expires", "x-oss-expires", "x-oss-date",
                            "e", "se", "sig", "X-Goog-Date", "X-Goog-Expires"])
    vals = st.one_of(st.text(max_size=20), st.integers(-10**15, 10**15).map(str),
                     st.sampled_from(["20261123T094200Z", "99999999T999999Z", "2026-13-45T99:99:99Z"]))

    @settings(max_examples=300, deadline=None, database=None, derandomize=True)
    @given(st.lists(st.tuples(keys, vals), max_size=6), st.integers(100, 599), st.binary(max_size=300))
    def check(params, status, body):
        from urllib.parse import urlencode
        v = url_expires_at("https://h.example/o?" + urlencode(params))
        assert v is None or isinstance(v, float)
        assert is_expired_answer(status, {}, body) in (True, False)
        assert is_expired_answer(status, {}, b"{" + b'"a":' + b"[" * 5000 + b"}") is False
    check()
