"""Whole-file reads and atomic writes.

A write goes to a temp file in the target's directory, fsynced, then renamed over it: readers
(and a crash mid-write) only ever see the old file or the complete new one.
"""

from __future__ import annotations

import contextlib
import os
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


def read_bytes(path: str) -> bytes:
    """A whole file in one read() when its size is known: cheaper than pathlib or open() for
    the small files read once per test (the cassette and its cache entry)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        size = os.fstat(fd).st_size
        data = os.read(fd, size + 1)
        if len(data) != size:  # grew, shrank or a short read: read on until EOF
            chunks = [data]
            while chunk := os.read(fd, 1 << 20):
                chunks.append(chunk)
            data = b"".join(chunks)
        return data
    finally:
        os.close(fd)
