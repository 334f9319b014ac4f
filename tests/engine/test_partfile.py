"""The .part's writes: every byte lands where it belongs, in write calls of at most
WRITE_PIECE bytes that end on WRITE_PIECE boundaries of the file (small page-cache
folios; see core/engine/partfile.py), also when the OS writes less than asked."""

from __future__ import annotations

import os

import pytest
from servers import make_blob

from core.engine import partfile
from core.engine.partfile import WRITE_PIECE, Buffer, PartFile


@pytest.mark.parametrize("offset,size", [(0, 512 << 10), (5000, 100_000), (WRITE_PIECE - 1, 2),
                                         (3 * WRITE_PIECE, WRITE_PIECE), (77, 10)])
@pytest.mark.parametrize("short", [False, True])
def test_a_buffer_lands_byte_exact_in_aligned_pieces(tmp_path, monkeypatch, offset, size, short):
    data = make_blob(size, seed=offset + size)
    calls = []
    real = os.pwrite

    def pwrite(fd, buf, off):
        calls.append((off, len(buf)))
        if short and len(buf) > 1:   # the OS may write less than asked: the rest follows
            buf = memoryview(buf)[:len(buf) // 2 + 1]
        return real(fd, buf, off)
    monkeypatch.setattr(partfile.os, "pwrite", pwrite)

    f = PartFile()
    f.use(tmp_path / "x.part", tmp_path / "x.part.json")
    f.open(offset + size + 1000, tmp_path)
    f.allocate(offset + size + 1000, [])
    buf = Buffer(size)
    buf.view[:size] = data
    buf.size = size
    f.write(buf, offset)
    f.close()

    on_disk = (tmp_path / "x.part").read_bytes()
    assert on_disk[offset:offset + size] == data
    assert on_disk[:offset] == bytes(offset) and on_disk[offset + size:] == bytes(1000)
    assert f.done.as_list() == [(offset, offset + size)]
    assert calls and all(0 < n <= WRITE_PIECE for _, n in calls)
    assert all((off + n) % WRITE_PIECE == 0 for off, n in calls if off + n < offset + size), \
        "a piece ends inside a WRITE_PIECE block of the file"
    if not short:
        assert len(calls) == -(-(offset + size) // WRITE_PIECE) - offset // WRITE_PIECE
