"""core.linkparse: links and extraction codes out of real-looking pastes."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.linkparse import parse_links
from core.models import Link


def one(text: str) -> Link:
    links = parse_links(text)
    assert len(links) == 1, links
    return links[0]


# (paste, expected url, expected code)
SINGLE = [
    # Baidu, app share text with ?pwd= and 提取码 repeated
    ("链接: https://pan.baidu.com/s/1AbCdEfGhIjKlMnOpQrStU?pwd=x7k2 提取码: x7k2 复制这段内容后打开百度网盘手机App，操作更方便哦",
     "https://pan.baidu.com/s/1AbCdEfGhIjKlMnOpQrStU?pwd=x7k2", "x7k2"),
    # Baidu, old style, full-width colon, super-member footer
    ("链接：https://pan.baidu.com/s/1q2W3e4R5t6Y7u8I9o0P \n提取码：ab12 \n--来自百度网盘超级会员V5的分享",
     "https://pan.baidu.com/s/1q2W3e4R5t6Y7u8I9o0P", "ab12"),
    # Baidu surl form, code in parentheses with full-width brackets
    ("百度网盘 https://pan.baidu.com/share/init?surl=AbCdEfGh（提取码：9z8y）",
     "https://pan.baidu.com/share/init?surl=AbCdEfGh", "9z8y"),
    # Lanzou, no space between link and 密码
    ("https://wwi.lanzoui.com/iAbc1230xyzd密码:1a2b",
     "https://wwi.lanzoui.com/iAbc1230xyzd", "1a2b"),
    # Lanzou folder, 密码 on the next line with full-width colon
    ("HeyGem 整合包（分卷）\nhttps://wwt.lanzouu.com/b0abcdefg\n密码：6kqe\n",
     "https://wwt.lanzouu.com/b0abcdefg", "6kqe"),
    # Lanzou without password
    ("下载地址：https://wwa.lanzoux.com/iQ8Ab0c1d2e3f。", "https://wwa.lanzoux.com/iQ8Ab0c1d2e3f", None),
    # Quark share text
    ("我用夸克网盘分享了「HeyGem数字人模型」，点击链接即可保存。打开「夸克APP」，无需下载在线播放视频，畅享原画5倍速，支持电视投屏。\n"
     "链接：https://pan.quark.cn/s/3a1b2c3d4e5f\n提取码：AbCd",
     "https://pan.quark.cn/s/3a1b2c3d4e5f", "AbCd"),
    # Aliyun Drive / alipan share text
    ("「wav2lip_gan.pth」https://www.alipan.com/s/AbCdEfGhIjK 提取码: 1234 点击链接保存，或者复制本段内容，打开「阿里云盘」APP ，无需下载极速在线查看，视频原画倍速播放。",
     "https://www.alipan.com/s/AbCdEfGhIjK", "1234"),
    ("https://www.aliyundrive.com/s/ZyXwVuT 访问码：k3m9",
     "https://www.aliyundrive.com/s/ZyXwVuT", "k3m9"),
    # Tianyi cloud style "（访问码：xxxx）"
    ("https://cloud.189.cn/t/AbCdEf123456（访问码：ab3d）", "https://cloud.189.cn/t/AbCdEf123456", "ab3d"),
    # English
    ("Model: https://pan.baidu.com/s/1xyz, password: qw12. Thanks!",
     "https://pan.baidu.com/s/1xyz", "qw12"),
    ("Download https://pan.baidu.com/s/1xyz (code: mn34)", "https://pan.baidu.com/s/1xyz", "mn34"),
    ("get it at https://pan.baidu.com/s/1xyz pwd=zz99", "https://pan.baidu.com/s/1xyz", "zz99"),
    ("https://pan.baidu.com/s/1xyz  PWD：ZZ99", "https://pan.baidu.com/s/1xyz", "ZZ99"),
    # full-width code characters
    ("链接：https://pan.quark.cn/s/abc 提取码：ＡｂＣｄ", "https://pan.quark.cn/s/abc", "AbCd"),
    # code written before the link
    ("提取码: 5566 链接: https://pan.baidu.com/s/1beforeCode", "https://pan.baidu.com/s/1beforeCode", "5566"),
    # model hubs, no codes
    ("看这个模型 https://huggingface.co/guoyww/animatediff/blob/main/mm_sd_v15_v2.ckpt 很好用！",
     "https://huggingface.co/guoyww/animatediff/blob/main/mm_sd_v15_v2.ckpt", None),
    ("（https://hf-mirror.com/Systran/faster-whisper-large-v3）", "https://hf-mirror.com/Systran/faster-whisper-large-v3", None),
    ("[release](https://github.com/Rudrabha/Wav2Lip/releases/download/v1.0/wav2lip_gan.pth)",
     "https://github.com/Rudrabha/Wav2Lip/releases/download/v1.0/wav2lip_gan.pth", None),
    ("modelscope: https://www.modelscope.cn/models/iic/cosyvoice-300m/files。",
     "https://www.modelscope.cn/models/iic/cosyvoice-300m/files", None),
    ('"https://civitai.com/api/download/models/128713?type=Model&format=SafeTensor"',
     "https://civitai.com/api/download/models/128713?type=Model&format=SafeTensor", None),
    ("https://www.dropbox.com/scl/fi/abc123/model.safetensors?rlkey=xyz789&dl=0…",
     "https://www.dropbox.com/scl/fi/abc123/model.safetensors?rlkey=xyz789&dl=0", None),
    ("Drive: <https://drive.google.com/file/d/1AbC-dEf_GhI/view?usp=sharing>",
     "https://drive.google.com/file/d/1AbC-dEf_GhI/view?usp=sharing", None),
    # plain direct links with signatures and HTML-escaped ampersands
    ("直链：https://heygem.oss-cn-hangzhou.aliyuncs.com/m/a.pth?OSSAccessKeyId=LTAI&amp;Expires=1795430520&amp;Signature=x%2B",
     "https://heygem.oss-cn-hangzhou.aliyuncs.com/m/a.pth?OSSAccessKeyId=LTAI&Expires=1795430520&Signature=x%2B", None),
    ("http://192.168.1.10:8080/models/wav2lip.pth;", "http://192.168.1.10:8080/models/wav2lip.pth", None),
    # balanced parentheses inside a URL are kept
    ("see https://example.com/wiki/Model_(ML) now", "https://example.com/wiki/Model_(ML)", None),
    # scheme-less share link
    ("链接:pan.baidu.com/s/1noScheme 提取码:ab12", "https://pan.baidu.com/s/1noScheme", "ab12"),
    # 【】 brackets and full-width comma
    ("【模型】https://pan.quark.cn/s/f00ba4，提取码：Q1W2", "https://pan.quark.cn/s/f00ba4", "Q1W2"),
]


@pytest.mark.parametrize("text,url,code", SINGLE)
def test_single_link(text, url, code):
    link = one(text)
    assert link.url == url
    assert link.password == code


def test_prose_code_word_is_not_a_password():
    link = one("Source code https://github.com/kanyun-inc/HeyGem is open")
    assert link.password is None
    link = one("https://pan.baidu.com/s/1abc the code is ab12")
    assert link.password == "ab12"


def test_many_links_each_with_its_code():
    text = """HeyGem 全部模型（2024.12 更新）：
1. 主模型 链接: https://pan.baidu.com/s/1MainModelAAA 提取码: aaaa
2. 人脸检测 链接：https://pan.baidu.com/s/1FaceDetBBB?pwd=bbbb 提取码：bbbb
3. 备用（蓝奏）https://wwi.lanzoui.com/iBackup01 密码:cc33
4. 夸克：https://pan.quark.cn/s/quark4444
5. HF 镜像: https://hf-mirror.com/guoyww/animatediff/resolve/main/mm_sd_v15_v2.ckpt
6. 直链 https://cdn.example.com/models/heygem_v1.0.pth?token=xxx。
重复一遍第一个：https://pan.baidu.com/s/1MainModelAAA
"""
    links = parse_links(text)
    assert [(ln.url, ln.password) for ln in links] == [
        ("https://pan.baidu.com/s/1MainModelAAA", "aaaa"),
        ("https://pan.baidu.com/s/1FaceDetBBB?pwd=bbbb", "bbbb"),
        ("https://wwi.lanzoui.com/iBackup01", "cc33"),
        ("https://pan.quark.cn/s/quark4444", None),
        ("https://hf-mirror.com/guoyww/animatediff/resolve/main/mm_sd_v15_v2.ckpt", None),
        ("https://cdn.example.com/models/heygem_v1.0.pth?token=xxx", None),
    ]


def test_duplicates_merge_password():
    text = ("https://pan.baidu.com/s/1dup\n"
            "https://pan.baidu.com/s/1dup/ 提取码: 7777\n"
            "http://pan.baidu.com/s/1dup?pwd=7777")
    links = parse_links(text)
    assert links == [Link("https://pan.baidu.com/s/1dup", "7777")]


def test_different_query_is_not_a_duplicate():
    links = parse_links("https://a.example/f?v=1 https://a.example/f?v=2 https://a.example/f?v=1")
    assert [ln.url for ln in links] == ["https://a.example/f?v=1", "https://a.example/f?v=2"]


def test_links_separated_only_by_cjk_punctuation():
    links = parse_links("https://huggingface.co/a/b、https://huggingface.co/c/d；https://github.com/e/f")
    assert [ln.url for ln in links] == ["https://huggingface.co/a/b", "https://huggingface.co/c/d",
                                        "https://github.com/e/f"]


@pytest.mark.parametrize("text", ["", "   ", "没有链接，只有文字。提取码：1234", "ftp://example.com/x",
                                  "https://", "mailto:a@b.c", "magnet:?xt=urn:btih:abc"])
def test_nothing_to_find(text):
    assert parse_links(text) == []


def test_a_host_name_idna_cannot_encode_is_not_a_link():
    """No request could carry it (a label longer than 63 characters): it is not taken for
    a link, so `get` and the queue say so at once rather than fail at the first request;
    a host name IDNA can encode stays a link."""
    long_label = "ü" + "a" * 70
    links = parse_links(f"https://{long_label}.example/x.bin https://bücher.example/y.bin")
    assert links == [Link("https://bücher.example/y.bin")]


def test_windows_line_endings_and_tabs():
    links = parse_links("链接:\thttps://pan.baidu.com/s/1crlf\r\n提取码:\tcr1f\r\n")
    assert links == [Link("https://pan.baidu.com/s/1crlf", "cr1f")]


def test_links_glued_with_ascii_separators_but_not_redirect_params():
    links = parse_links("https://a.example/x.bin,https://b.example/y.bin;https://c.example/go?next=https://d.example/z")
    assert [ln.url for ln in links] == ["https://a.example/x.bin", "https://b.example/y.bin",
                                        "https://c.example/go?next=https://d.example/z"]


def test_never_raises_on_arbitrary_text():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    pieces = st.sampled_from(["https://", "http://[", "提取码：", "pwd=", "pan.baidu.com/s/1", "（", "）",
                              "?", "&", "=", "%", "。", " ", "\n", "[", "]", "github.com/", "::"])

    @settings(max_examples=300, deadline=None, database=None, derandomize=True)
    @given(st.lists(st.one_of(pieces, st.text(max_size=8)), max_size=20))
    def check(parts):
        for link in parse_links("".join(parts)):
            assert link.url.startswith(("http://", "https://"))
            assert not link.url.endswith(("。", "，", "）", " "))
    check()


@pytest.mark.parametrize("text,url,code", [
    ("蓝奏：wwk.lanzouk.com/iAbC123 密码:1a2b", "https://wwk.lanzouk.com/iAbC123", "1a2b"),
    ("文件夹 lanzoue.com/b0abcdefg 密码：q9q9", "https://lanzoue.com/b0abcdefg", "q9q9"),
    ("链接：www.lanzn.com/iXyZ9 ", "https://www.lanzn.com/iXyZ9", None),
    ("优享版 www.ilanzou.com/s/AbCd", "https://www.ilanzou.com/s/AbCd", None),
    ("模型 civitai.red/models/4201/dreamshaper 下载", "https://civitai.red/models/4201/dreamshaper", None),
    ("OneDrive：1drv.ms/u/c/a1b2c3/EaBcD123?e=x1Y2（权重）", "https://1drv.ms/u/c/a1b2c3/EaBcD123?e=x1Y2", None),
    ("onedrive.live.com/?redeem=aHR0cHM6Ly8xZHJ2&cid=A1B2 模型", "https://onedrive.live.com/?redeem=aHR0cHM6Ly8xZHJ2&cid=A1B2", None),
    ("www.modelscope.cn/datasets/ns/lipsync-set/files。", "https://www.modelscope.cn/datasets/ns/lipsync-set/files", None),
])
def test_share_hosts_without_scheme(text, url, code):
    link = one(text)
    assert (link.url, link.password) == (url, code)


def test_quark_subfolder_fragment_is_kept_and_not_merged_with_the_share():
    fid = "0123456789abcdef0123456789abcdef"
    links = parse_links(f"整个：https://pan.quark.cn/s/f00ba4 子目录：https://pan.quark.cn/s/f00ba4#/list/share/{fid}-ckpt "
                        "提取码：Q1W2")
    assert [x.url for x in links] == ["https://pan.quark.cn/s/f00ba4",
                                      f"https://pan.quark.cn/s/f00ba4#/list/share/{fid}-ckpt"]


# -- the quick paths (no pattern compiled for one plain link) agree with the patterns

_PIECES = ["http://", "https://", "HTTPS://", "pan.baidu.com/", "huggingface.co/", "a", "Z9", "/", "s/1x",
           "?pwd=", "ab12", ",", ";", ")", "(", "]", ".", " ", "\t", '"', "'", "<", "&amp;", "提取码:", "密码",
           "code: ", "=", "-", "\x1c", "\u00a0", "é", "#/list"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=12).map("".join))
def test_the_quick_url_scan_finds_what_the_pattern_finds(text):
    import re

    from core import linkparse
    want = [(m.start(), m.group(0)) for m in re.compile(linkparse._URL).finditer(text)]
    assert linkparse._url_matches(text) == want


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=12).map("".join))
def test_parse_links_gives_the_same_links_with_the_quick_paths_off(text):
    import re

    from core import linkparse
    quick = parse_links(text)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(linkparse, "_url_matches",
                  lambda t: [(x.start(), x.group(0)) for x in re.compile(linkparse._URL).finditer(t)])
        m.setattr(linkparse, "_uncovered_slash", lambda t, taken: True)
        full = parse_links(text)
    assert quick == full


def test_a_plain_link_compiles_no_pattern():
    from core import linkparse
    linkparse._re.cache_clear()
    assert one("https://example.com/models/w.safetensors?download=true").password is None
    assert one("https://pan.baidu.com/s/1AbC?pwd=x7k2").password == "x7k2"
    assert linkparse._re.cache_info().currsize == 0
