"""The ``.part`` file of a download, and everything that touches it: the space check and
the reservation (fallocate), the writes (a connection's buffer, in pwrite pieces), the
finished ranges (``done``), the journal beside it, the hash of the finished prefix,
the sample compared with a new link before resuming, and at the end the size and
checksum check and the rename to the final name. Nothing else opens the ``.part``."""

from __future__ import annotations

import asyncio
import ctypes
import errno
import hashlib
import os
import sys
import threading
from pathlib import Path
from typing import Callable

from .. import journal
from ..errors import ChecksumMismatch, DiskFull, SizeMismatch, ZhilianError
from ..filenames import numbered
from ..ranges import RangeSet

SAMPLE_BYTES = 64 << 10  # bytes of a .part compared with a new link before it is resumed
FLUSH_AT = 1 << 19       # a connection writes when it holds this much
WRITE_PIECE = 16 << 10   # bytes per write call (see _pwrite_all)

_libc = None


def _fallocate(fd: int, size: int) -> bool:
    """Reserve ``size`` bytes instantly. False when the filesystem cannot (then the
    file stays sparse); never falls back to writing zeros."""
    global _libc
    if size <= 0 or not sys.platform.startswith("linux"):
        return False
    try:
        if _libc is None:
            try:  # no find_library(): it runs ldconfig in a subprocess
                _libc = ctypes.CDLL("libc.so.6", use_errno=True)
            except OSError:
                from ctypes.util import find_library
                _libc = ctypes.CDLL(find_library("c"), use_errno=True)
            _libc.fallocate.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_longlong, ctypes.c_longlong]
        if _libc.fallocate(fd, 0, 0, size) == 0:
            return True
        err = ctypes.get_errno()
    except (OSError, AttributeError):
        return False
    if err == errno.ENOSPC:
        raise OSError(errno.ENOSPC, "No space left on device")
    return False


def _allocated(path: Path) -> int:
    try:
        st = path.stat()
    except FileNotFoundError:
        return 0
    return getattr(st, "st_blocks", 0) * 512 if hasattr(st, "st_blocks") else st.st_size


def free_bytes(folder: Path) -> int:
    """Bytes a user may still write in ``folder``'s filesystem (shutil.disk_usage's free,
    read here without importing shutil, which `get` otherwise does without)."""
    if hasattr(os, "statvfs"):
        st = os.statvfs(folder)
        return st.f_bavail * st.f_frsize
    import shutil
    return shutil.disk_usage(folder).free


def datasync(fd: int) -> None:
    os.fdatasync(fd) if hasattr(os, "fdatasync") else os.fsync(fd)


def write_error(e: OSError, need: int, dest_dir: Path, part: Path | None) -> ZhilianError:
    """What a failed write means to the user: the disk is full (``need``: the bytes still
    to come), or the .part (else the folder) cannot be written."""
    if e.errno == errno.ENOSPC:
        return DiskFull(need, free_bytes(dest_dir), str(dest_dir))
    return ZhilianError(f"Cannot write {part or dest_dir}: {e.strerror or e}")


def file_hash(path: Path, algo: str) -> str:
    h = hashlib.new(algo)
    with open(path, "rb") as fh:
        for b in iter(lambda: fh.read(4 << 20), b""):
            h.update(b)
    return h.hexdigest().lower()


class PrefixHasher:
    """Hashes the finished prefix of the .part as it grows (in a worker thread). It reads
    through its own file handle, so the download's descriptor is never shared with a
    thread (and no file position is shared where positioned reads do not exist)."""

    def __init__(self, algos: list[str]):
        self.hashes = {a: hashlib.new(a) for a in algos}
        self.offset = 0
        # the ticker's thread may still be hashing when the final check starts (a thread
        # cannot be cancelled): one at a time, each going on from where the other stopped
        self._lock = threading.Lock()

    def advance(self, path: Path, upto: int) -> None:
        with self._lock:
            self._advance(path, upto)

    def _advance(self, path: Path, upto: int) -> None:
        if self.offset >= upto:
            return
        with open(path, "rb") as fh:
            fh.seek(self.offset)
            while self.offset < upto:
                chunk = fh.read(min(4 << 20, upto - self.offset))
                if not chunk:
                    raise OSError("short read while hashing")
                for h in self.hashes.values():
                    h.update(chunk)
                self.offset += len(chunk)


class Buffer:
    """One connection's received bytes waiting to be written: a preallocated buffer the
    HTTP client reads into (over TLS, the TLS object decrypts into it), written with one
    positioned write. No bytes object per read, no joining."""
    __slots__ = ("data", "view", "size")

    def __init__(self, capacity: int = FLUSH_AT):
        self.data = bytearray(capacity)
        self.view = memoryview(self.data)
        self.size = 0

    @property
    def parts(self) -> list[memoryview]:
        return [self.view[:self.size]]

    def free(self, limit: int) -> memoryview:
        """Where the next read goes: at most `limit` bytes after what is held."""
        return self.view[self.size:self.size + limit]

    def clear(self) -> None:
        self.size = 0

    def __len__(self) -> int:
        return self.size


def _pwrite_all(fd: int, parts: list[bytes], offset: int) -> int:
    """Write every part at offset, in pieces of at most WRITE_PIECE bytes that end on
    WRITE_PIECE boundaries of the file; returns the bytes written (all of them, or raises).

    Why pieces: Linux sizes the page-cache folios of a buffered write by the size of the
    write, and a 64 KiB or larger folio comes from the allocator's large free blocks; in a
    virtual machine whose free memory is handed back to the host (free page reporting,
    ballooning), those are the blocks the host has taken back, and the copy into them
    faults every page in from the host: 1.3-2 s of system time per 512 MiB instead of
    0.1-0.2 s. Folios of 16 KiB come from the per-CPU lists of recently freed pages."""
    size = sum(len(p) for p in parts)
    if not size:
        return 0
    data = memoryview(parts[0] if len(parts) == 1 else b"".join(parts))
    done = 0
    try:
        if hasattr(os, "pwrite"):
            pwrite = os.pwrite   # 32 calls per MiB: the loop does no more than it must
            while done < size:
                pos = offset + done
                done += pwrite(fd, data[done:done + WRITE_PIECE - pos % WRITE_PIECE], pos)
        else:  # Windows: no positioned writes; only the event loop thread writes this fd
            os.lseek(fd, offset + done, os.SEEK_SET)
            while done < size:
                done += os.write(fd, data[done:])
    finally:
        data.release()
    return done


def sample_span(done: list[tuple[int, int]]) -> tuple[int, int]:
    """The stretch of a .part compared with a new link before resuming it: up to
    SAMPLE_BYTES at the end of its longest finished range."""
    a, b = max(done, key=lambda r: r[1] - r[0])
    return max(a, b - SAMPLE_BYTES), b


def read_span(path: Path, a: int, b: int) -> bytes:
    with open(path, "rb") as fh:
        fh.seek(a)
        return fh.read(b - a)


class PartFile:
    """The ``.part`` of one download: ``path`` and ``jpath`` (its journal) once the name
    is chosen, ``fd`` while it is open, ``done`` (the ranges on disk)."""

    def __init__(self) -> None:
        self.path: Path | None = None
        self.jpath: Path | None = None
        self.fd: int | None = None
        self.done = RangeSet()
        self.hasher: PrefixHasher | None = None
        self.epoch = 0   # bumped by every restart from zero: a snapshot of done from before is stale
        self._jlock = threading.Lock()
        self._jclosed = False
        self._created = False

    def use(self, path: Path, jpath: Path) -> None:
        self.path, self.jpath = path, jpath

    # -- open, write, close -----------------------------------------------------------
    def open(self, total: int | None, dest_dir: Path) -> None:
        """Check the free space for what is still to reserve (DiskFull), then open (or
        create) the .part."""
        assert self.path is not None
        if total is not None:
            need = total - min(total, _allocated(self.path))
            free = free_bytes(dest_dir)
            if need > free:
                raise DiskFull(need, free, str(dest_dir))
        self._created = not self.path.exists()
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_BINARY", 0), 0o644)

    def allocate(self, total: int | None, algos: list[str]) -> None:
        """Reserve ``total`` bytes (fallocate, else sparse); an unknown size starts empty.
        ``algos``: the checksums to compute of the finished prefix."""
        fd = self.fd
        assert fd is not None
        if total is not None:
            if self._created or os.fstat(fd).st_size != total:
                if not _fallocate(fd, total):
                    os.ftruncate(fd, total)
        else:
            os.ftruncate(fd, 0)
        self.hasher = PrefixHasher(algos) if algos else None

    def write(self, buf: Buffer, offset: int) -> None:
        """``buf`` at ``offset``, then those bytes count as done."""
        done = _pwrite_all(self.fd, buf.parts, offset)
        self.done.add(offset, offset + done)

    def restart(self, total: int | None) -> None:
        """Everything on disk is of another version of the file: nothing counts as done, the
        hash starts over, and the file takes the new size."""
        assert self.fd is not None
        if total is not None:
            os.ftruncate(self.fd, total)
        self.done = RangeSet()
        if self.hasher is not None:
            self.hasher = PrefixHasher(list(self.hasher.hashes))

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def discard(self) -> None:
        """Close, and remove the .part and its journal."""
        self.close()
        assert self.path is not None
        self.path.unlink(missing_ok=True)
        self.remove_journal()

    # -- the journal --------------------------------------------------------------------
    def save_journal(self, describe: Callable[[list[tuple[int, int]]], journal.JournalData],
                     sync: bool) -> None:
        """The finished ranges to the journal (``describe`` makes its record of them), after
        an fdatasync of the .part when ``sync``."""
        snap = self.done.as_list()
        if sync and self.fd is not None:
            datasync(self.fd)
        assert self.jpath is not None
        self.write_journal(describe(snap))

    def write_journal(self, data: journal.JournalData) -> None:
        # the ticker writes from a thread: one writer at a time (they share the temp file)
        with self._jlock:
            if self.jpath is not None and not self._jclosed:
                journal.save(self.jpath, data)

    def remove_journal(self) -> None:
        with self._jlock:
            self._jclosed = True   # a late write from the ticker's thread must not bring it back
            if self.jpath is not None:
                journal.remove(self.jpath)

    # -- the end ----------------------------------------------------------------------------
    async def verify(self, total: int, want: dict[str, str | None], name: str) -> None:
        """The .part holds ``total`` bytes, all of them done, and its checksums are the ones
        wanted; a checksum mismatch removes the .part and its journal (ChecksumMismatch)."""
        assert self.fd is not None and self.path is not None
        fd = self.fd
        # No journal write and no fdatasync of the whole file here: the journal of the last
        # tick (synced, at most a second old) covers a crash while verifying, and the finished
        # file is left to the OS like every other program's writes (forcing gigabytes to disk
        # would cost seconds on fast links for no gain against a killed process).
        if os.fstat(fd).st_size != total:
            os.ftruncate(fd, total)
        size = os.fstat(fd).st_size
        if size != total or self.done.total() != total:
            raise SizeMismatch(total, size)
        if self.hasher:
            await asyncio.to_thread(self.hasher.advance, self.path, total)
            for algo, expected in want.items():
                if expected:
                    got = self.hasher.hashes[algo].hexdigest()
                    if got.lower() != expected.lower():
                        self.discard()
                        raise ChecksumMismatch(algo, expected, got, name)

    def rename(self, target: Path) -> Path:
        """The verified .part becomes ``target``, or ``name (n).ext`` when a file of that name
        appeared meanwhile (never overwritten); its journal goes."""
        assert self.path is not None
        final = target
        n = 1
        while final.exists():  # appeared while we downloaded: never overwrite it
            final = target.with_name(numbered(target.name, n))
            n += 1
        os.replace(self.path, final)
        self.remove_journal()
        return final
