"""core/incoming.py: what a drop or the command line hands in, read from real files: link
lists in the encodings editors save, and each file that gives no links with why."""

from __future__ import annotations

import os

from core.incoming import (
    MAX_LINK_LIST,
    FileProblem,
    Incoming,
    LinkListError,
    file_kind,
    read_incoming,
    read_link_list,
)

SHARE = "链接: https://pan.baidu.com/s/1AbCd 提取码: x7k2\nhttps://example.com/a.bin\n"


def _problem(path) -> FileProblem:
    try:
        read_link_list(path)
    except LinkListError as e:
        return e.problem
    raise AssertionError(f"{path} was read")


def test_link_lists_in_the_encodings_editors_save(tmp_path):
    for encoding, data in (("utf-8", SHARE.encode()), ("utf-8 with BOM", b"\xef\xbb\xbf" + SHARE.encode()),
                           ("utf-16 (Notepad's Unicode)", SHARE.encode("utf-16")),
                           ("gbk (Chinese Windows' ANSI)", SHARE.encode("gbk")),
                           ("crlf", SHARE.replace("\n", "\r\n").encode())):
        p = tmp_path / "links.txt"
        p.write_bytes(data)
        assert read_link_list(p).replace("\r\n", "\n") == SHARE, encoding


def test_files_that_are_no_link_list_say_why(tmp_path):
    binary = tmp_path / "photo.txt"
    binary.write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01")
    control = tmp_path / "control.txt"
    control.write_bytes(bytes(range(1, 32)) * 20)            # no NUL, yet nothing typed
    big = tmp_path / "big.txt"
    with open(big, "wb") as f:
        f.truncate(MAX_LINK_LIST + 1)
    at_limit = tmp_path / "at-limit.txt"
    at_limit.write_bytes(b"https://example.com/x.bin\n".ljust(MAX_LINK_LIST, b" "))
    folder = tmp_path / "folder.txt"
    folder.mkdir()
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)                                           # reading it would block
    assert _problem(binary) == FileProblem(str(binary), "binary")
    assert _problem(control).kind == "binary"
    assert _problem(big) == FileProblem(str(big), "too_big", size=MAX_LINK_LIST + 1)
    assert _problem(big).message == f"{big}: too big for a link list (4.0 MiB; at most 4.0 MiB)"
    assert read_link_list(at_limit).startswith("https://example.com/x.bin")
    assert _problem(folder).kind == "folder"
    assert _problem(fifo).kind == "not_a_file"
    assert _problem(tmp_path / "gone.txt").message == f"{tmp_path / 'gone.txt'}: no such file"


def test_what_items_bring_in_their_order(tmp_path, monkeypatch):
    lst = tmp_path / "links.txt"
    lst.write_text("https://example.com/from-list.bin\n", encoding="utf-8")
    dat = tmp_path / "links.dat"                              # opened with the app: any name
    dat.write_text("https://example.com/from-dat.bin\n", encoding="utf-8")
    man = tmp_path / "models.yaml"
    man.write_text("files: []\n", encoding="utf-8")
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(b"\xff\xd8\xff")
    monkeypatch.chdir(tmp_path)
    got = read_incoming([Incoming("text", "https://example.com/first.bin"), Incoming("dropped", str(lst)),
                         Incoming("dropped", str(photo)),            # dropped: not a link list by name
                         Incoming("dropped", str(man)), Incoming("opened", str(dat)),
                         Incoming("arg", "links.txt"),               # a relative path that exists
                         Incoming("arg", "https://example.com/last.bin"),
                         Incoming("arg", "bad\x00name"),             # not a path at all: text
                         Incoming("opened", str(tmp_path / "gone.txt"))])
    assert got.text.splitlines() == ["https://example.com/first.bin", "https://example.com/from-list.bin",
                                     "https://example.com/from-dat.bin", "https://example.com/from-list.bin",
                                     "https://example.com/last.bin", "bad\x00name"]
    assert got.manifests == [man]
    assert got.problems == [FileProblem(str(tmp_path / "gone.txt"), "missing")]
    assert bool(got) and not read_incoming([Incoming("dropped", str(photo))])


def test_file_kind_by_name_only():
    assert file_kind("a.TXT") == "list" and file_kind("m.meta4") == "manifest" and file_kind("x.yml") == "manifest"
    assert file_kind("photo.jpg") is None and file_kind("/no/such/dir/links.lst") == "list"
