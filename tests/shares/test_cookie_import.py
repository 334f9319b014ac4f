import pytest

from core.accounts.parse import CookieImportError, detect_and_parse

BDUSS = "Vk9XUWx-long~value=="
STOKEN = "3f0a9c1e"


def test_cookie_header():
    p = detect_and_parse(f"Cookie: BDUSS={BDUSS}; STOKEN={STOKEN}; PANWEB=1")
    assert p.cookies == {"BDUSS": BDUSS, "STOKEN": STOKEN, "PANWEB": "1"} and p.source == "header"
    assert detect_and_parse("a=1;b=\"2\"").cookies == {"a": "1", "b": "2"}


def test_netscape_keeps_only_the_hosts_domains_and_expiry():
    txt = ("# Netscape HTTP Cookie File\n"
           f".baidu.com\tTRUE\t/\tFALSE\t1900000000\tBDUSS\t{BDUSS}\n"
           f"#HttpOnly_.pan.baidu.com\tTRUE\t/\tTRUE\t1800000000\tSTOKEN\t{STOKEN}\n"
           ".quark.cn\tTRUE\t/\tFALSE\t0\t__pus\tnot-for-baidu\n"
           "\n# comment\n")
    p = detect_and_parse(txt, "baidu.com")
    assert p.cookies == {"BDUSS": BDUSS, "STOKEN": STOKEN}
    assert p.expires == {"BDUSS": 1900000000.0, "STOKEN": 1800000000.0}


def test_curl_bash_chrome_style_with_ansi_c_quoting():
    cmd = ("curl 'https://pan.baidu.com/api/list?dir=%2F' \\\n"
           "  -H 'accept: application/json' \\\n"
           f"  -b $'BDUSS={BDUSS}; STOKEN={STOKEN}; note=caf\\u00e9' \\\n"
           "  --compressed")
    p = detect_and_parse(cmd)
    assert p.cookies["BDUSS"] == BDUSS and p.cookies["STOKEN"] == STOKEN
    assert p.cookies["note"] == "café" and p.url_host == "pan.baidu.com" and p.source == "curl"


def test_curl_bash_firefox_header_style():
    cmd = ("curl 'https://pan.quark.cn/list' -H 'User-Agent: Mozilla/5.0' "
           "-H 'Cookie: __pus=abc; __puus=def' -H 'Referer: https://pan.quark.cn/'")
    p = detect_and_parse(cmd)
    assert p.cookies == {"__pus": "abc", "__puus": "def"} and p.url_host == "pan.quark.cn"


def test_curl_cmd_windows_flavour():
    cmd = ('curl ^"https://pan.baidu.com/disk/main^" ^\n'
           '  -H ^"accept: text/html^" ^\n'
           f'  -H ^"cookie: BDUSS={BDUSS}; STOKEN={STOKEN}; pct=50^%^25^" ^\n'
           '  --compressed')
    p = detect_and_parse(cmd)
    assert p.source == "curl-cmd" and p.url_host == "pan.baidu.com"
    assert p.cookies["BDUSS"] == BDUSS and p.cookies["STOKEN"] == STOKEN and p.cookies["pct"] == "50%25"


def test_powershell_invoke_webrequest():
    ps = ('$session = New-Object Microsoft.PowerShell.Commands.WebRequestSession\n'
          '$session.UserAgent = "Mozilla/5.0"\n'
          f'$session.Cookies.Add((New-Object System.Net.Cookie("BDUSS", "{BDUSS}", "/", ".baidu.com")))\n'
          f'$session.Cookies.Add((New-Object System.Net.Cookie("STOKEN", "{STOKEN}", "/", ".baidu.com")))\n'
          'Invoke-WebRequest -UseBasicParsing -Uri "https://pan.baidu.com/disk/main" `\n'
          '-WebSession $session `\n-Headers @{ "accept"="text/html" }')
    p = detect_and_parse(ps)
    assert p.source == "powershell" and p.url_host == "pan.baidu.com"
    assert p.cookies == {"BDUSS": BDUSS, "STOKEN": STOKEN}


def test_powershell_curl_exe():
    cmd = ("curl.exe 'https://pan.quark.cn/x' `\n"
           "  -H 'cookie: __pus=a''b; __puus=c'")
    p = detect_and_parse(cmd)
    assert p.cookies == {"__pus": "a'b", "__puus": "c"}


@pytest.mark.parametrize("text", ["", "   ", "curl 'https://pan.baidu.com/' -H 'accept: x'",
                                  "# Netscape HTTP Cookie File\n.quark.cn\tTRUE\t/\tFALSE\t0\tx\ty\n"])
def test_nothing_usable_is_a_clear_error(text):
    with pytest.raises(CookieImportError) as ei:
        detect_and_parse(text, "baidu.com")
    assert "cookie" in str(ei.value).lower() or "nothing" in str(ei.value).lower()
