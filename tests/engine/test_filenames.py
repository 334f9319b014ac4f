import pytest

from core.filenames import name_from_url, numbered, parse_content_disposition, sanitize


@pytest.mark.parametrize("header,expected", [
    ('attachment; filename="model.pth"', "model.pth"),
    ("attachment; filename=model.pth", "model.pth"),
    ("attachment; filename*=UTF-8''%E6%A8%A1%E5%9E%8B.safetensors", "模型.safetensors"),
    ('attachment; filename="fallback.bin"; filename*=UTF-8\'\'%E4%B8%AD.bin', "中.bin"),
    ('attachment; filename*=utf-8\'en\'a%20b.ckpt; filename="x"', "a b.ckpt"),
    ('inline; filename="semi;colon.txt"', "semi;colon.txt"),
    ('attachment; filename="esc\\"aped.txt"', 'esc"aped.txt'),
    ("attachment", None),
    ("", None),
    (None, None),
])
def test_content_disposition(header, expected):
    assert parse_content_disposition(header) == expected


def test_content_disposition_raw_utf8_sent_as_latin1():
    raw = 'attachment; filename="模型.pth"'.encode().decode("latin-1")
    assert parse_content_disposition(raw) == "模型.pth"


def test_name_from_url():
    assert name_from_url("https://h/a/b/wav2lip_gan.pth?X-Amz-Signature=abc") == "wav2lip_gan.pth"
    assert name_from_url("https://h/a/%E4%B8%AD%E6%96%87.zip") == "中文.zip"
    assert name_from_url("https://h/") is None


@pytest.mark.parametrize("raw,expected", [
    ("../../etc/passwd", "passwd"),
    ("..", "download"),
    ("a/b\\c.bin", "c.bin"),
    ("CON", "_CON"),
    ("con.txt", "_con.txt"),
    ("LPT9.log", "_LPT9.log"),
    ("bad\x00name\x1f.bin", "bad_name_.bin"),
    ('q?u*o"t<e>s|:.bin', "q_u_o_t_e_s__.bin"),
    ("  trailing dots...  ", "trailing dots"),
    ("", "download"),
])
def test_sanitize(raw, expected):
    assert sanitize(raw) == expected


def test_sanitize_limits_to_255_bytes_keeping_extension():
    name = "模" * 200 + ".safetensors"
    out = sanitize(name)
    assert len(out.encode()) <= 255
    assert out.endswith(".safetensors")
    out.encode().decode()  # still valid UTF-8


def test_numbered_keeps_double_extensions():
    assert numbered("model.pth", 0) == "model.pth"
    assert numbered("model.pth", 1) == "model (1).pth"
    assert numbered("weights.tar.gz", 2) == "weights (2).tar.gz"
    assert numbered("README", 3) == "README (3)"
