"""A cache of parsed cassette documents, keyed by the SHA-256 of the cassette's bytes.

Parsing YAML costs seconds for 10,000 calls (and ~0.1 ms for even a one-call cassette);
reading the same document back from here is many times faster. The key is the file's
content, so an edited cassette never hits a stale entry, and the folder name carries a format
version, so a trace_ops that parses differently never reads another's entries. Any problem
with the cache (unwritable, corrupt, torn, edited or misplaced entry) just means parsing the
YAML again.

A hit is served without validation (see cassette.load), so an entry must prove it is what
this cache wrote for these exact bytes: it names the SHA-256 of the cassette it was made
from, and ends with an HMAC-SHA256 over everything before it, keyed by a random 32-byte key
the cache keeps in its folder (`.key`, mode 0600). Edited, swapped or truncated contents fail
the HMAC; an entry copied under another cassette's name fails the name check; an entry made
by another cache (another user, machine or key) fails the HMAC. Integrity, not secrecy: the
key stops entries forged by whoever cannot read it (whoever can is the user running the
tests). HMAC-SHA256 runs at ~1 GB/s (SHA-NI), faster here than keyed BLAKE2b; v3's CRC-32
over the texts alone proved nothing against an edit.

An entry is one line of JSON, `[cassette sha256, [text lengths...], document]`, then the
caller's long texts (the raw SSE bodies, JSON answers and request params blocks: most of a
cassette's bytes) as plain UTF-8, then the HMAC in 64 hex digits and a newline. Kept out of
the JSON, those texts cost no escaping on write and no unescaping on read: about half the
time of an all-JSON entry both ways.

Location: `$TRACE_OPS_CACHE_DIR`, else `$XDG_CACHE_HOME/trace_ops/cassettes`, else
`~/.cache/trace_ops/cassettes`; in it, the cache writes only in its own folder (see
cassette.cache_files). `TRACE_OPS_CACHE_DIR=off` disables it.

Size: at most once a day, a write prunes the cache (cache_files.prune): entries written more
than 30 days ago go (a cassette still in use is parsed once more and cached again), then the
oldest ones until the cache holds at most `$TRACE_OPS_CACHE_MAX_MB` (default 512) MiB.

`put_document` / `get_document` store a whole cassette document, its bulky texts in the raw
section. The hot path is `entry` + `get_document` for a small cassette, once per test: plain
strings and `os` calls, no pathlib, the key read once per process.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import tempfile
from collections.abc import Sequence
from typing import Any

from trace_ops._files import read_bytes
from trace_ops.cassette.cache_files import FOLDER, KEY_FILE, SUFFIX, maybe_prune

_OFF = frozenset({"", "0", "off", "false", "no", "none"})
_KEY_BYTES = 32
_MAC_HEX = 64
_TRAILER = _MAC_HEX + 1  # the HMAC in hex, then b"\n"
_default_dir: tuple[str | None, str | None, str] | None = None  # (XDG_CACHE_HOME, HOME, dir)
_keys: dict[str, bytes] = {}  # cache folder -> its key, read once per process


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
    return f"{directory}/{FOLDER}/{digest[:2]}/{digest}{SUFFIX}"


def _parts(path: str) -> tuple[str, str]:
    """(cache folder, cassette sha256 hex) of an entry path made by `entry`."""
    folder, _, name = path.rsplit("/", 2)
    return folder, name[: -len(SUFFIX)]


def _read_key(folder: str) -> bytes | None:
    try:
        key = read_bytes(f"{folder}/{KEY_FILE}")
    except OSError:
        return None
    if len(key) != _KEY_BYTES:
        return None
    _keys[folder] = key
    return key


def _writing_key(folder: str) -> bytes:
    """The folder's key as the file now holds it, created first if there is none (or it is
    damaged). Created by a hard link, so a concurrent writer's key is never replaced."""
    os.makedirs(folder, exist_ok=True)
    key = _read_key(folder)
    if key is not None:
        return key
    path = f"{folder}/{KEY_FILE}"
    fd, tmp = tempfile.mkstemp(prefix=f"{KEY_FILE}.", suffix=".tmp", dir=folder)
    try:
        with open(fd, "wb") as handle:
            handle.write(os.urandom(_KEY_BYTES))
            handle.flush()
            os.fsync(handle.fileno())  # written once: a zeroed key after a crash would be guessable
        try:
            os.link(tmp, path)
        except FileExistsError:
            if _read_key(folder) is None:  # damaged: replace it
                os.replace(tmp, path)
        except OSError:  # no hard links on this file system
            os.replace(tmp, path)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
    key = _read_key(folder)
    if key is None:
        raise OSError(f"{path}: cannot read the cache key back")
    return key


def get(path: str) -> tuple[Any, list[str]] | None:
    """The (document, texts) stored at `path` (from `entry`), or None on a miss: no entry,
    or one that does not prove it was written by this cache for these cassette bytes."""
    folder, digest = _parts(path)
    key = _keys.get(folder) or _read_key(folder)
    if key is None:
        return None
    try:
        data = read_bytes(path)
    except OSError:
        return None
    end = len(data) - _TRAILER
    if end <= 0 or data[-1:] != b"\n":
        return None
    view = memoryview(data)
    mac = hmac.digest(key, view[:end], "sha256").hex().encode()
    if not hmac.compare_digest(mac, data[end:-1]):
        return None  # torn, corrupt, edited, or not written with this cache's key
    try:
        head = data.index(b"\n", 0, end)  # json.dumps escapes newlines: the first one ends the JSON
        source, lengths, document = json.loads(data[:head].decode())
        start = head + 1
        if source != digest or start + sum(lengths) != end:
            return None  # another cassette's entry under this name
        texts: list[str] = []
        for length in lengths:
            texts.append(str(view[start : start + length], "utf-8"))
            start += length
        return document, texts
    except (ValueError, TypeError, RecursionError):  # ValueError: bad JSON or UTF-8, no newline
        return None


def put(path: str, document: Any, texts: Sequence[str] = ()) -> None:
    """Store a parsed document and its long texts at `path` (from `entry`); silently does
    nothing when it cannot.

    The caller guarantees that JSON holds `document` exactly (only str/int/float/bool/None,
    lists, and dicts with str keys: see cassette.safe_yaml._Builder), so no read-back check is made;
    `allow_nan=False` refuses the one value that could still differ (inf/nan floats).

    No fsync: the entry is written to a temp file and renamed, so readers never see a partial
    file. After a crash an entry may be empty, cut short or hold zeros: that fails the HMAC,
    so it is a miss, never wrong data.
    """
    with contextlib.suppress(Exception):
        folder, digest = _parts(path)
        key = _writing_key(folder)
        # Byte lengths up front without holding every encoded text at once (most are ASCII).
        lengths = [len(text) if text.isascii() else len(text.encode()) for text in texts]
        head = json.dumps(
            [digest, lengths, document],
            ensure_ascii=False,
            separators=(",", ":"),
            allow_nan=False,
            check_circular=False,  # a parsed document is a tree: aliases were rejected
        ).encode()
        directory = os.path.dirname(path)
        os.makedirs(directory, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{digest}.", suffix=".tmp", dir=directory)
        try:
            with open(fd, "wb", buffering=1 << 20) as handle:
                mac = hmac.new(key, head, "sha256")
                handle.write(head)
                handle.write(b"\n")
                mac.update(b"\n")
                for text in texts:
                    data = text.encode()
                    handle.write(data)
                    mac.update(data)
                handle.write(mac.hexdigest().encode() + b"\n")
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        maybe_prune(os.path.dirname(folder))


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
