"""Which account a host belongs to and which cookies make a login.

Kept free of keyring/crypto imports so resolvers can use it cheaply.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class HostRule:
    account: str                      # the key accounts are stored under
    domains: tuple[str, ...]          # cookie domains of this account (suffix match)
    required: tuple[str, ...] = ()    # cookie names a login needs
    label: str = ""


RULES: tuple[HostRule, ...] = (
    HostRule("baidu.com", ("baidu.com", "baidupcs.com"), ("BDUSS", "STOKEN"), "Baidu Netdisk"),
    HostRule("quark.cn", ("quark.cn",), ("__pus",), "Quark"),
    # Aliyun Drive: the login is a refresh token (``accounts set alipan.com --token -``)
    HostRule("alipan.com", ("alipan.com", "aliyundrive.com"), (), "Aliyun Drive (阿里云盘)"),
    HostRule("123pan.com", ("123pan.com", "123pan.cn", "123684.com", "123865.com", "123912.com"),
             (), "123pan (123云盘)"),
    HostRule("189.cn", ("189.cn",), ("COOKIE_LOGIN_USER",), "Tianyi Cloud (天翼云盘)"),
    HostRule("uc.cn", ("uc.cn",), ("__pus",), "UC Drive (UC网盘)"),
    HostRule("kaggle.com", ("kaggle.com",), (), "Kaggle"),
)


def normalize_host(host: str) -> str:
    """'https://pan.baidu.com/s/1x' or 'PAN.baidu.com' -> 'baidu.com' (known hosts),
    anything else -> its lower-case host name."""
    h = host.strip().lower()
    if "://" in h:
        from urllib.parse import urlsplit
        h = urlsplit(h).hostname or ""
    h = h.split("/", 1)[0].split(":", 1)[0].strip(".")
    for r in RULES:
        if any(h == d or h.endswith("." + d) for d in r.domains):
            return r.account
    return h


def rule_for(host: str) -> HostRule | None:
    acc = normalize_host(host)
    for r in RULES:
        if r.account == acc:
            return r
    if acc.endswith(".sharepoint.com"):
        return HostRule(acc, (acc,), ("FedAuth",), "SharePoint / OneDrive for Business")
    return None


def host_domains(host: str) -> tuple[str, ...]:
    """Cookie domains an account's cookies may be sent to."""
    r = rule_for(host)
    return r.domains if r else (normalize_host(host),)


def cookie_allowed(account_host: str, request_host: str) -> bool:
    """True when a cookie of ``account_host`` may go to ``request_host``."""
    rh = (request_host or "").lower().strip(".")
    return any(rh == d or rh.endswith("." + d) for d in host_domains(account_host))


def creds_for(credentials: dict[str, dict[str, Any]], url_host: str) -> dict[str, Any]:
    """The stored account for a URL's host (looked up by account key, then by the
    host name itself), or {}."""
    for key in (normalize_host(url_host), (url_host or "").lower()):
        if key in credentials and credentials[key]:
            return credentials[key]
    return {}


def cookie_header(cookies: dict[str, str]) -> str:
    return "; ".join(f"{k}={v}" for k, v in cookies.items())
