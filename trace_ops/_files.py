"""Whole-file reads and atomic writes.

A write goes to a temp file in the target's directory, fsynced, then renamed over it: readers
(and a crash mid-write) only ever see the old file or the complete new one.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from pathlib import Path


def atomic_write_text(target: Path, text: str) -> Path:
    """Write `text` (UTF-8, `\\n` newlines) to `target` atomically, creating parent directories."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return target


MAX_FILE_MB_ENV = "TRACE_OPS_MAX_CASSETTE_MB"
DEFAULT_MAX_FILE_MB = 512


class UnreadableFile(OSError):
    """Not a file we read: a FIFO or device (which would block or never end), or too big."""


def max_file_bytes() -> int:
    """`$TRACE_OPS_MAX_CASSETTE_MB` (default 512) in bytes: a cassette (or cache entry) past it
    is refused rather than read into memory."""
    raw = os.environ.get(MAX_FILE_MB_ENV)
    try:
        mb = float(raw) if raw else DEFAULT_MAX_FILE_MB
    except ValueError:
        mb = DEFAULT_MAX_FILE_MB
    return int(mb * (1 << 20)) if mb > 0 else int(DEFAULT_MAX_FILE_MB * (1 << 20))


def read_bytes(path: str) -> bytes:
    """A whole regular file in one read() when its size is known: cheaper than pathlib or
    open() for the small files read once per test (the cassette and its cache entry).

    Only regular files, up to max_file_bytes(): O_NONBLOCK so opening a FIFO does not wait for a
    writer, and the type is checked on the open descriptor (a symlink to /dev/zero is a device)."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            if stat.S_ISDIR(info.st_mode):
                raise IsADirectoryError(errno.EISDIR, "is a directory", path)
            raise UnreadableFile(errno.EINVAL, f"not a regular file: {_file_kind(info.st_mode)}", path)
        limit = max_file_bytes()
        size = info.st_size
        if size > limit:
            raise UnreadableFile(errno.EFBIG, _too_big(size, limit), path)
        data = os.read(fd, size + 1)
        if len(data) != size:  # grew, shrank or a short read: read on until EOF (within the limit)
            chunks = [data]
            total = len(data)
            while chunk := os.read(fd, 1 << 20):
                total += len(chunk)
                if total > limit:
                    raise UnreadableFile(errno.EFBIG, _too_big(total, limit), path)
                chunks.append(chunk)
            data = b"".join(chunks)
        return data
    finally:
        os.close(fd)


def _too_big(size: int, limit: int) -> str:
    return f"{size / (1 << 20):.0f} MiB is over the {limit / (1 << 20):.0f} MiB limit, ${MAX_FILE_MB_ENV}"


def _file_kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return name
    return "a special file"
