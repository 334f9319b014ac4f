import json
import re

import pytest

from core import paths
from core.heygem import catalog as C


def test_every_catalog_file_loads_with_sane_entries():
    cats = C.load_catalog()
    assert set(cats) == {"webui", "linux_hack", "wav2lip", "docker"}
    assert cats["docker"].entries == [] and "guiji2025/heygem.ai" in cats["docker"].images
    assert len(cats["linux_hack"].entries) == 9
    for cat in cats.values():
        targets = [e.target for e in cat.entries]
        assert len(targets) == len(set(targets))
        for e in cat.entries:
            assert not e.target.startswith("/") and ".." not in e.target
            assert e.sha256 is None or re.fullmatch(r"[0-9a-f]{64}", e.sha256)
            assert (e.sha256 is None) == (e.size is None), e.name   # known together or not at all
            for u in e.sources:
                assert u.startswith("https://")


def test_unknown_values_are_null_not_invented():
    hack = C.entries_for("linux_hack")
    assert all(e.sha256 is None and e.size is None for e in hack)
    dinet = next(e for e in hack if e.name == "dinet_v1_20240131.pth")
    assert dinet.approx_size == 392_000_000 and dinet.expected_size() == (None, None)
    webui = C.entries_for("webui")
    assert webui[0].target == "models/heygem_model_v1.0.pth" and webui[0].sha256 is None


def test_s3fd_hash_agrees_with_the_prefix_in_its_upstream_name():
    s3fd = next(e for e in C.entries_for("wav2lip") if e.name == "s3fd.pth")
    prefix = re.search(r"s3fd-([0-9a-f]+)\.pth", s3fd.aliases[0]).group(1)
    assert s3fd.sha256.startswith(prefix)
    assert any(prefix in u for u in s3fd.sources)


def test_find_entry_by_hash_beats_name():
    gan = next(e for e in C.entries_for("wav2lip") if e.name == "wav2lip_gan.pth")
    e, how = C.find_entry("wav2lip", sha256=gan.sha256, name="s3fd.pth")
    assert (e.name, how) == ("wav2lip_gan.pth", "sha256")
    e, how = C.find_entry("wav2lip", name="s3fd-619a316812.pth")
    assert (e.target, how) == ("face_detection/detection/sfd/s3fd.pth", "name")
    e, how = C.find_entry("wav2lip", rel_path="./checkpoints/wav2lip.pth")
    assert (e.name, how) == ("wav2lip.pth", "target")
    assert C.find_entry("wav2lip", name="unknown.pth") == (None, None)


def test_pin_is_stored_under_data_dir_and_shown_as_pinned_locally():
    e, _ = C.find_entry("linux_hack", name="xseg_211104_4790000.onnx")
    assert e.expected_sha256() == (None, None)
    assert C.pin(e, 1234, "ab" * 32, "https://h/x?token=SECRET")
    pins = json.loads((paths.data_dir() / C.PINS_FILE).read_text())
    assert pins["linux_hack:xseg/xseg_211104_4790000.onnx"]["size"] == 1234
    again, _ = C.find_entry("linux_hack", name="xseg_211104_4790000.onnx")
    assert again.expected_sha256() == ("ab" * 32, "pinned locally")
    assert again.expected_size() == (1234, "pinned locally")
    assert "pinned locally" in again.describe()
    # found by its pinned hash too
    assert C.find_entry("linux_hack", sha256="AB" * 32)[0].name == "xseg_211104_4790000.onnx"


def test_catalog_values_are_never_overridden_by_pins():
    s3fd = next(e for e in C.entries_for("wav2lip") if e.name == "s3fd.pth")
    assert not C.pin(s3fd, 1, "cd" * 32)
    assert not (paths.data_dir() / C.PINS_FILE).exists()


@pytest.mark.parametrize("text,value", [(123, 123), ("3.7GB", 3_700_000_000), ("392 MiB", 392 << 20),
                                        ("1k", 1000), (None, None)])
def test_parse_size(text, value):
    assert C.parse_size(text) == value


def test_broken_catalog_file_gives_a_clear_error(tmp_path):
    (tmp_path / "x.yaml").write_text("kind: wav2lip\nfiles:\n  - name: a.pth\n    target: ../../etc/a\n")
    with pytest.raises(C.CatalogError, match="must stay inside the install"):
        C.load_catalog(tmp_path)
    (tmp_path / "x.yaml").write_text("kind: [unclosed\n")
    with pytest.raises(C.CatalogError, match="Cannot read catalog x.yaml"):
        C.load_catalog(tmp_path)


def test_cli_catalog_shows_pinned_values_as_such():
    import subprocess
    import sys
    from pathlib import Path
    root = Path(__file__).resolve().parents[2]
    e, _ = C.find_entry("linux_hack", name="wenetmodel.pt")
    C.pin(e, 77, "ef" * 32)
    r = subprocess.run([sys.executable, "main.py", "heygem", "catalog", "linux_hack", "--json"], cwd=root,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    rows = {x["name"]: x for x in json.loads(r.stdout)["linux_hack"]}
    assert rows["wenetmodel.pt"]["sha256_origin"] == "pinned locally" and rows["wenetmodel.pt"]["size"] == 77
    assert rows["xseg_211104_4790000.onnx"]["sha256"] is None
    r = subprocess.run([sys.executable, "main.py", "heygem", "catalog", "linux_hack"], cwd=root,
                       capture_output=True, text=True, timeout=60)
    assert "size 77 (pinned locally)" in r.stdout
