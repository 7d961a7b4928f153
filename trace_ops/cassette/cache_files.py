"""The files the parse cache (cassette.cache) writes, and pruning them.

Everything lives in one folder the cache owns, `<cache dir>/trace_ops-parse-v<N>/`: the key
(`.key`), entries `<2 hex>/<sha256>.entry`, temp files `.<sha256>.<random>.tmp` (and
`.key.<random>.tmp`) while one is written, and the `.pruned` stamp. The cache directory may
be a folder shared with other files (`$TRACE_OPS_CACHE_DIR`), so pruning touches only files
with these names in these folders (of every format version, and v3's `<2 hex>/<sha256>.v3`
directly under the cache directory), never follows a symlink, and leaves the rest alone.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from collections.abc import Iterator

# bump when the entry layout, the documents the parser produces or the fingerprint scheme
# (entries hold computed fingerprints, see cassette.load._build) change
FORMAT = "v4"
FOLDER = f"trace_ops-parse-{FORMAT}"
SUFFIX = ".entry"
KEY_FILE = ".key"
_PRUNE_EVERY_S = 86400.0
_MAX_AGE_S = 30 * 86400.0
_TEMP_AGE_S = 86400.0  # a temp file this old is left from a killed write
_DEFAULT_MAX_MB = 512

# The names the cache gives its files (mkstemp's random part is 8 of [a-z0-9_]).
_VERSIONFOLDER = re.compile(r"trace_ops-parse-v[0-9]+\Z")
_SHARD = re.compile(r"[0-9a-f]{2}\Z")
_ENTRY = re.compile(r"[0-9a-f]{64}\.entry\Z")
_TEMP = re.compile(r"\.(?:[0-9a-f]{64}|key)\.[a-z0-9_]{8}\.tmp\Z")
_LEGACY_ENTRY = re.compile(r"[0-9a-f]{64}\.v[0-3]\Z")  # up to v3: <dir>/<2 hex>/<sha>.v3
_Found = tuple[str, os.stat_result, bool]  # (path, stat, is a temp file)


def _max_bytes() -> int:
    try:
        return int(float(os.environ.get("TRACE_OPS_CACHE_MAX_MB", _DEFAULT_MAX_MB)) * 1024 * 1024)
    except ValueError:
        return _DEFAULT_MAX_MB * 1024 * 1024


def maybe_prune(root: str, *, now: float | None = None) -> None:
    """Prune the cache if that was not done in the last day (a stamp file in the cache's own
    folder records when)."""
    now = time.time() if now is None else now
    stamp = f"{root}/{FOLDER}/.pruned"
    try:
        if now - os.stat(stamp).st_mtime < _PRUNE_EVERY_S:
            return
    except OSError:
        pass
    with contextlib.suppress(OSError):
        with open(stamp, "w", encoding="utf-8"):
            pass
        prune(root, now=now)


def _folders(path: str) -> Iterator[os.DirEntry[str]]:
    """The real subfolders of `path` (no symlinks), none if it cannot be listed."""
    try:
        with os.scandir(path) as listing:
            found = [item for item in listing if item.is_dir(follow_symlinks=False)]
    except OSError:
        return iter(())
    return iter(found)


def _files(folder: str, shard: str | None, pattern: re.Pattern[str] | None) -> Iterator[_Found]:
    """(path, stat, is_temp) of the regular files in `folder` named like this cache's: entries
    matching `pattern` (in shard `xx`, names that start with `xx`) and its own temp files."""
    try:
        with os.scandir(folder) as listing:
            items = list(listing)
    except OSError:
        return
    for item in items:
        name = item.name
        temp = _TEMP.match(name) is not None
        if not temp and not (pattern and pattern.match(name) and (shard is None or name[:2] == shard)):
            continue
        with contextlib.suppress(OSError):
            if item.is_file(follow_symlinks=False):
                yield item.path, item.stat(follow_symlinks=False), temp


def _own_files(root: str) -> Iterator[_Found]:
    """Every file this cache (any format version) wrote under `root`, and nothing else."""
    for top in _folders(root):
        if _VERSIONFOLDER.match(top.name):
            yield from _files(top.path, None, None)  # the key's temp files
            for shard in _folders(top.path):
                if _SHARD.match(shard.name):
                    yield from _files(shard.path, shard.name, _ENTRY)
        elif _SHARD.match(top.name):  # v3 and before wrote straight into <root>/<2 hex>/
            for path, info, temp in _files(top.path, top.name, _LEGACY_ENTRY):
                if not temp:
                    yield path, info, temp


def prune(root: str, *, now: float, max_bytes: int | None = None) -> None:
    """Delete entries older than 30 days, then the oldest until the cache fits its size cap;
    and temp files left by killed writes. Only files this cache named (see the docstring)."""
    limit = _max_bytes() if max_bytes is None else max_bytes
    entries: list[tuple[float, int, str]] = []
    for path, info, temp in _own_files(root):
        if not temp:
            entries.append((info.st_mtime, info.st_size, path))
        elif now - info.st_mtime > _TEMP_AGE_S:
            with contextlib.suppress(OSError):
                os.unlink(path)
    entries.sort()
    total = sum(size for _, size, _ in entries)
    for written, size, path in entries:
        if now - written <= _MAX_AGE_S and total <= limit:
            break
        with contextlib.suppress(OSError):
            os.unlink(path)
            total -= size
