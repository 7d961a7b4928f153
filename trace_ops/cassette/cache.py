"""A cache of parsed cassette documents, keyed by the SHA-256 of the cassette's bytes.

Parsing YAML costs seconds for 10,000 calls (and ~0.1 ms for even a one-call cassette);
reading the same document back from here is many times faster. The key is the file's
content, so an edited cassette never hits a stale entry, and the entry name carries a format
version, so a trace_ops that parses differently never reads another's entries. Any problem
with the cache (unwritable, corrupt or torn entry) just means parsing the YAML again.

An entry is one line of JSON, `[[text lengths...], document]`, then the caller's long texts
(the raw SSE bodies, JSON answers and request params blocks: most of a cassette's bytes) as
plain UTF-8, then the CRC-32 of those texts in 8 hex digits and a newline. Kept out of the
JSON, those texts cost no escaping on write and no unescaping on read: about half the time
of an all-JSON entry both ways.

Location: `$TRACE_OPS_CACHE_DIR`, else `$XDG_CACHE_HOME/trace_ops/cassettes`, else
`~/.cache/trace_ops/cassettes`. `TRACE_OPS_CACHE_DIR=off` disables it.

Size: at most once a day, a write prunes the cache: entries written more than 30 days ago go
(a cassette still in use is parsed once more and cached again), then the oldest ones until
the cache holds at most `$TRACE_OPS_CACHE_MAX_MB` (default 512) MiB.

`put_document` / `get_document` store a whole cassette document, its bulky texts in the raw
section. The hot path is `entry` + `get_document` for a small cassette, once per test: plain
strings and `os` calls, no pathlib.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import time
import zlib
from collections.abc import Sequence
from typing import Any

from trace_ops._files import read_bytes

_OFF = frozenset({"", "0", "off", "false", "no", "none"})
# bump when the entry layout, the documents the parser produces or the fingerprint scheme
# (entries hold computed fingerprints, see cassette.load._build) change
_FORMAT = "v3"
_TRAILER = 9  # b"%08x\n": CRC-32 of the texts
_PRUNE_EVERY_S = 86400.0
_MAX_AGE_S = 30 * 86400.0
_DEFAULT_MAX_MB = 512
_default_dir: tuple[str | None, str | None, str] | None = None  # (XDG_CACHE_HOME, HOME, dir)


def cache_dir() -> str | None:
    """The cache directory, or None when the cache is off. The environment is read on every
    call (a test may redirect the cache); the default location is computed once per value."""
    global _default_dir
    environ = os.environ
    configured = environ.get("TRACE_OPS_CACHE_DIR")
    if configured is not None:
        return None if configured.strip().lower() in _OFF else configured
    xdg, home = environ.get("XDG_CACHE_HOME"), environ.get("HOME")
    memo = _default_dir
    if memo is not None and memo[0] == xdg and memo[1] == home:
        return memo[2]
    base = xdg or os.path.join(os.path.expanduser("~"), ".cache")
    directory = os.path.join(base, "trace_ops", "cassettes")
    _default_dir = (xdg, home, directory)
    return directory


def entry(raw: bytes) -> str | None:
    """The cache file for these cassette bytes, or None when the cache is off."""
    directory = cache_dir()
    if directory is None:
        return None
    digest = hashlib.sha256(raw).hexdigest()
    return f"{directory}/{digest[:2]}/{digest}.{_FORMAT}"


def get(path: str) -> tuple[Any, list[str]] | None:
    """The (document, texts) stored at `path` (from `entry`), or None on a miss."""
    try:
        data = read_bytes(path)
    except OSError:
        return None
    try:
        head = data.index(b"\n")  # json.dumps escapes newlines: the first one ends the JSON
        lengths, document = json.loads(data[:head].decode())
        start = head + 1
        end = len(data) - _TRAILER
        view = memoryview(data)
        if start + sum(lengths) != end or data[end:] != b"%08x\n" % zlib.crc32(view[start:end]):
            return None  # torn or corrupt
        texts: list[str] = []
        for length in lengths:
            texts.append(str(view[start : start + length], "utf-8"))
            start += length
        return document, texts
    except (ValueError, TypeError):  # ValueError: bad JSON or UTF-8, no newline
        return None


def put(path: str, document: Any, texts: Sequence[str] = ()) -> None:
    """Store a parsed document and its long texts at `path` (from `entry`); silently does
    nothing when it cannot.

    The caller guarantees that JSON holds `document` exactly (only str/int/float/bool/None,
    lists, and dicts with str keys: see cassette.safe_yaml._Builder), so no read-back check is made;
    `allow_nan=False` refuses the one value that could still differ (inf/nan floats).

    No fsync: the entry is written to a temp file and renamed, so readers never see a partial
    file. After a crash an entry may be empty, cut short or hold zeros: that fails the JSON
    parse, the length check or the CRC, so it is a miss, never wrong data.
    """
    with contextlib.suppress(Exception):
        # Byte lengths up front without holding every encoded text at once (most are ASCII).
        lengths = [len(text) if text.isascii() else len(text.encode()) for text in texts]
        head = json.dumps(
            [lengths, document],
            ensure_ascii=False,
            separators=(",", ":"),
            allow_nan=False,
            check_circular=False,  # a parsed document is a tree: aliases were rejected
        )
        directory = os.path.dirname(path)
        os.makedirs(directory, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=directory)
        try:
            with open(fd, "wb", buffering=1 << 20) as handle:
                handle.write(head.encode())
                handle.write(b"\n")
                crc = 0
                for text in texts:
                    data = text.encode()
                    handle.write(data)
                    crc = zlib.crc32(data, crc)
                handle.write(b"%08x\n" % crc)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        maybe_prune(os.path.dirname(directory))


def _max_bytes() -> int:
    try:
        return int(float(os.environ.get("TRACE_OPS_CACHE_MAX_MB", _DEFAULT_MAX_MB)) * 1024 * 1024)
    except ValueError:
        return _DEFAULT_MAX_MB * 1024 * 1024


def maybe_prune(root: str, *, now: float | None = None) -> None:
    """Prune the cache if that was not done in the last day (a stamp file records when)."""
    now = time.time() if now is None else now
    stamp = os.path.join(root, ".pruned")
    try:
        if now - os.stat(stamp).st_mtime < _PRUNE_EVERY_S:
            return
    except OSError:
        pass
    with contextlib.suppress(OSError):
        with open(stamp, "w", encoding="utf-8"):
            pass
        prune(root, now=now)


def prune(root: str, *, now: float, max_bytes: int | None = None) -> None:
    """Delete entries older than 30 days, then the oldest until the cache fits its size cap."""
    limit = _max_bytes() if max_bytes is None else max_bytes
    entries: list[tuple[float, int, str]] = []
    for folder in os.scandir(root):
        if not folder.is_dir(follow_symlinks=False):
            continue
        for item in os.scandir(folder.path):
            if item.name.startswith(".") or not item.is_file(follow_symlinks=False):
                continue
            info = item.stat(follow_symlinks=False)
            entries.append((info.st_mtime, info.st_size, item.path))
    entries.sort()
    total = sum(size for _, size, _ in entries)
    for written, size, path in entries:
        if now - written <= _MAX_AGE_S and total <= limit:
            break
        with contextlib.suppress(OSError):
            os.unlink(path)
            total -= size


_BULKY = ("stream", "response")  # the wire texts: most of a cassette's bytes
_PARAMS = "params"  # request.params: an indented JSON block, full of quotes JSON would escape


def _split(document: Any) -> tuple[Any, list[str]]:
    """The parse cache's form of a document: the events' `stream`/`response` and
    `request.params` texts move out of the JSON (stored raw, see the module docstring), leaving "" and
    their (event, key) slot behind."""
    texts: list[str] = []
    slots: list[tuple[int, str]] = []
    events = document.get("events") if type(document) is dict else None
    if type(events) is list:
        skeleton = list(events)
        for index, event in enumerate(events):
            if type(event) is dict and (_BULKY[0] in event or _BULKY[1] in event):
                copy = None
                for key in _BULKY:
                    text = event.get(key)
                    if type(text) is str and text:
                        copy = copy or dict(event)
                        copy[key] = ""
                        texts.append(text)
                        slots.append((index, key))
                request = event.get("request")
                if type(request) is dict and type(request.get(_PARAMS)) is str and request[_PARAMS]:
                    copy = copy or dict(event)
                    copy["request"] = {**request, _PARAMS: ""}
                    texts.append(request[_PARAMS])
                    slots.append((index, _PARAMS))
                if copy is not None:
                    skeleton[index] = copy
        document = {**document, "events": skeleton}
    return {"document": document, "slots": slots}, texts


def _join(cached: tuple[Any, list[str]] | None) -> Any:
    """_split undone; None when the entry does not have that shape (then it is a miss)."""
    if cached is None:
        return None
    wrapper, texts = cached
    try:
        document = wrapper["document"]
        slots = wrapper["slots"]
        if slots or texts:
            events = document["events"]
            for (index, key), text in zip(slots, texts, strict=True):
                if key == _PARAMS:
                    events[index]["request"][key] = text
                elif key in _BULKY:
                    events[index][key] = text
                else:
                    return None
        return document
    except (KeyError, IndexError, TypeError, ValueError):
        return None


def put_document(path: str, document: Any) -> None:
    """Store a parsed cassette document (JSON must hold it exactly) at `path` (from `entry`)."""
    put(path, *_split(document))


def get_document(path: str) -> Any:
    """The cassette document stored at `path` (from `entry`), or None on a miss."""
    return _join(get(path))
