"""Whole-file reads and atomic writes.

A write goes to a temp file in the target's directory, fsynced, then renamed over it: readers
(and a crash mid-write) only ever see the old file or the complete new one. A writer killed
mid-write leaves its temp file behind: the temp file's name carries the writer's host and PID,
so the next write of the same target removes the ones whose writer is gone (or that nobody
touched for `STALE_AFTER_S`), and never one a live writer is still filling.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import socket
import stat
import tempfile
import time
from pathlib import Path

#: A temp file of ours untouched this long is abandoned, whoever wrote it (a write takes seconds).
STALE_AFTER_S = 15 * 60
TEMP_SUFFIX = ".tmp"


def _umask() -> int:
    """The process umask (read once: setting it to read it back is not thread-safe)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _umask()


def _mode_for(target: Path) -> int:
    """A replaced file keeps its mode; a new one gets what `open()` would give it (0644 under the
    usual umask), not `mkstemp`'s private 0600."""
    try:
        return os.stat(target).st_mode & 0o777
    except OSError:
        return 0o666 & ~_UMASK


def atomic_write_text(target: Path, text: str, *, sweep: bool = True) -> Path:
    """Write `text` (UTF-8, `\\n` newlines) to `target` atomically, creating parent directories.

    With `sweep`, then remove the stale temp files earlier writers of `target` left behind.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.{_writer()}.", suffix=TEMP_SUFFIX, dir=target.parent)
    try:
        os.fchmod(fd, _mode_for(target))
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    if sweep:
        remove_stale_temp_files(target)
    return target


def is_temp_file(name: str) -> bool:
    """A name of ours for the temp file of an atomic write (`.<target>.<writer>.<random>.tmp`)."""
    return name.startswith(".") and name.endswith(TEMP_SUFFIX)


def remove_stale_temp_files(target: Path) -> list[Path]:
    """Remove the temp files an interrupted write of `target` left: those of a dead writer on
    this host, and any untouched for `STALE_AFTER_S` (an older name without a writer, another host)."""
    prefix = f".{target.name}."
    removed: list[Path] = []
    try:
        entries = [e for e in os.scandir(target.parent) if e.name.startswith(prefix) and is_temp_file(e.name)]
    except OSError:
        return removed
    now = time.time()
    for entry in entries:
        try:
            if not entry.is_file(follow_symlinks=False):
                continue
            old = now - entry.stat(follow_symlinks=False).st_mtime > STALE_AFTER_S
            if old or _writer_is_gone(entry.name[len(prefix) : -len(TEMP_SUFFIX)]):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:
            continue  # gone already (another writer swept it), or not ours to remove
    return removed


def _writer() -> str:
    """This process, as a temp file names it: `<pid>@<host hash>`."""
    return f"{os.getpid()}@{_host()}"


def _host() -> str:
    return hashlib.sha256(socket.gethostname().encode()).hexdigest()[:8]


def _writer_is_gone(middle: str) -> bool:
    """Whether the writer named in a temp file's name (`<pid>@<host>.<random>`) is a dead process
    of this host. Unknown (an older name, another host, our own PID): not gone."""
    writer = middle.split(".", 1)[0]
    pid_text, _, host = writer.partition("@")
    if host != _host() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid() or pid <= 0 or os.name == "nt":  # on Windows, os.kill(pid, 0) kills
        return False  # another thread of ours may be writing it
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # exists, owned by someone else
        return False
    return False


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
