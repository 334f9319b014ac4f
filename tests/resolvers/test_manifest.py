"""core.manifest: HeyGem-style YAML manifests and Metalink 4."""

from __future__ import annotations

import pytest

from core.manifest import ManifestError, load_manifest, parse_size

SHA = "a1b2c3d4" * 8

HEYGEM = f"""
name: heygem-lipsync-v1
version: 1.0.0
size: 3.7GB
sha256: {SHA}
download:
  - url: https://backup.s3.amazonaws.com/models/heygem_v1.0.pth
    region: us-west
    priority: 2
  - url: https://cdn.example.com/models/heygem_v1.0.pth?token=xxx
    region: cn-north
    priority: 1
"""


def test_single_file_manifest_from_protocols_example():
    [f] = load_manifest(HEYGEM)
    assert (f.name, f.version, f.sha256) == ("heygem-lipsync-v1", "1.0.0", SHA)
    assert f.size == 3_700_000_000 and not f.size_exact
    assert [m.region for m in f.mirrors] == ["cn-north", "us-west"]          # by priority
    assert [m.priority for m in f.mirrors] == [1, 2]
    assert f.filename == "heygem_v1.0.pth" and f.rel_path == "heygem_v1.0.pth" and f.path is None


def test_manifest_from_file_path(tmp_path):
    p = tmp_path / "heygem.yaml"
    p.write_text(HEYGEM, encoding="utf-8")
    assert load_manifest(p)[0].name == "heygem-lipsync-v1"
    assert load_manifest(str(p))[0].name == "heygem-lipsync-v1"


def test_files_list_with_paths_and_defaults():
    text = f"""
name: heygem-full
version: "2.1"
files:
  - name: lipsync
    path: face2face/checkpoints/heygem_v1.0.pth
    size: 123456
    sha256: "sha256:{SHA.upper()}"
    download:
      - https://a.example/heygem_v1.0.pth
      - https://b.example/heygem_v1.0.pth
  - name: wav2lip
    md5: 0123456789abcdef0123456789abcdef
    mirrors:
      - url: https://c.example/wav2lip.pth
        headers: {{Referer: "https://c.example/"}}
"""
    a, b = load_manifest(text)
    assert a.path == "face2face/checkpoints/heygem_v1.0.pth" and a.filename == "heygem_v1.0.pth"
    assert a.size == 123456 and a.size_exact and a.sha256 == SHA and a.version == "2.1"
    assert [m.url for m in a.mirrors] == ["https://a.example/heygem_v1.0.pth", "https://b.example/heygem_v1.0.pth"]
    assert b.md5 == "0123456789abcdef0123456789abcdef" and b.sha256 is None
    assert b.mirrors[0].headers == {"Referer": "https://c.example/"}


@pytest.mark.parametrize("value,expected", [
    (1024, (1024, True)), ("1024", (1024, True)), ("3.7GB", (3_700_000_000, False)),
    ("512 MiB", (512 * 1024 ** 2, False)), ("1,234", (1234, True)), ("2G", (2_000_000_000, False)),
    (None, (None, False)),
])
def test_sizes(value, expected):
    assert parse_size(value) == expected


METALINK = f"""<?xml version="1.0" encoding="UTF-8"?>
<metalink xmlns="urn:ietf:params:xml:ns:metalink">
  <generator>zhilian-test</generator>
  <file name="checkpoints/wav2lip_gan.pth">
    <size>435801865</size>
    <version>1.0</version>
    <hash type="sha-256">{SHA}</hash>
    <hash type="md5">0123456789abcdef0123456789abcdef</hash>
    <url location="us" priority="2">https://us.example.com/wav2lip_gan.pth</url>
    <url location="cn" priority="1">https://cn.example.com/wav2lip_gan.pth</url>
    <url>https://fallback.example.com/wav2lip_gan.pth</url>
  </file>
  <file name="s3fd.pth">
    <url priority="1">https://cn.example.com/s3fd.pth</url>
  </file>
</metalink>
"""


def test_metalink4():
    a, b = load_manifest(METALINK)
    assert a.path == "checkpoints/wav2lip_gan.pth" and a.name == "wav2lip_gan.pth"
    assert a.size == 435801865 and a.size_exact and a.sha256 == SHA and a.version == "1.0"
    assert [m.region for m in a.mirrors] == ["cn", "us", None]
    assert b.sha256 is None and b.size is None and b.rel_path == "s3fd.pth"


@pytest.mark.parametrize("text,match", [
    ("", "empty"),
    ("name: x\n  bad: [indent", r"manifest: line \d+: not valid YAML"),
    ("- just\n- a list", "expected a manifest"),
    ("name: x\nsha256: abc\ndownload: [https://a/x]", "sha256 must be 64 hex"),
    ("name: x\ndownload: []", "no download URLs"),
    ("name: x\ndownload:\n  - url: ftp://a/x", "no valid http"),
    ("name: x\nsize: lots\ndownload: [https://a.example/x]", "not a size"),
    ("name: x\npath: ../../etc/passwd\ndownload: [https://a.example/x]", "must be relative"),
    ("name: x\npath: /abs/x\ndownload: [https://a.example/x]", "must be relative"),
    ("files: []", "non-empty list"),
    ("files:\n  - name: a\n    download: [https://a.example/a]\n  - name: b\n", "file 2 \\(b\\): no download"),
    ("<metalink><file name='x'/></metalink>", "not a Metalink 4"),
    ("<metalink xmlns='urn:ietf:params:xml:ns:metalink'><file name='x'></file></metalink>", "no <url>"),
    ("<metalink xmlns='urn:ietf:params:xml:ns:metalink'><file", "not a usable Metalink"),
    ('<?xml version="1.0"?><!DOCTYPE m [<!ENTITY a "aaaa">]><metalink xmlns="urn:ietf:params:xml:ns:metalink">&a;</metalink>',
     "not a usable Metalink"),
])
def test_broken_manifests_give_clear_errors(text, match):
    with pytest.raises(ManifestError, match=match):
        load_manifest(text)


def test_missing_manifest_file():
    with pytest.raises(ManifestError, match="not found"):
        load_manifest("/nonexistent/heygem.yaml")


def test_all_digit_hash_read_as_number_by_yaml():
    [f] = load_manifest("name: x\nsha256: " + "0" * 63 + "1\ndownload: [https://a.example/x]")
    assert f.sha256 == "0" * 63 + "1"
    with pytest.raises(ManifestError, match="quotes"):
        load_manifest("name: x\nsha256: 1.0e+5\ndownload: [https://a.example/x]")
