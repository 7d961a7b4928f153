"""Loading a cassette: read the bytes, try the parse cache, else parse (safe_yaml), validate and
build the Trace (schema), refresh the fingerprints, and store the document in the cache.

The cyclic GC is paused meanwhile: building millions of acyclic objects otherwise triggers it
again and again. Any problem is one CassetteError line naming the file.
"""

from __future__ import annotations

import contextlib
import gc
import os
from collections.abc import Iterator
from typing import Any

from trace_ops._files import read_bytes
from trace_ops.cassette import cache
from trace_ops.cassette.safe_yaml import parse
from trace_ops.cassette.schema import trace_from_document
from trace_ops.errors import CassetteError, CassetteNotFoundError
from trace_ops.matching import fingerprint
from trace_ops.trace import LLMCall, Trace


@contextlib.contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Pause the cyclic GC (see the module docstring)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _build(document: Any, source: str, *, fresh: bool = True) -> Trace:
    """The Trace of a validated document. `fresh` (not from the parse cache): each llm_call's
    fingerprint is recomputed from its request, since the file's may be stale (a hand-edited
    prompt), and written back into `document`, so a cached copy carries the true ones and the
    per-test cache hit skips that work."""
    try:
        trace = trace_from_document(document, source, trusted=not fresh)
    except RecursionError:
        raise CassetteError(f"{source}: invalid cassette: nesting too deep") from None
    if fresh:
        raw_events = document["events"] if type(document.get("events")) is list else []
        for raw, event in zip(raw_events, trace.events, strict=True):
            if type(event) is LLMCall:
                event.fingerprint = raw["fingerprint"] = fingerprint(event.endpoint, event.request)
    return trace


def loads_cassette(text: str, source: str = "<cassette>") -> Trace:
    """Parse cassette text (safe: see safe_yaml) into a Trace."""
    with _no_cyclic_gc():
        document, _ = parse(text, source)
        return _build(document, source)


_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def load_cassette(path: str | os.PathLike[str]) -> Trace:
    """Load and validate a cassette. Any problem raises CassetteError with a one-line message."""
    source = os.fspath(path)
    try:
        raw = read_bytes(source)
    except FileNotFoundError:
        raise CassetteNotFoundError(f"{source}: cassette not found") from None
    except IsADirectoryError:
        raise CassetteError(f"{source}: is a directory, not a cassette file") from None
    except OSError as exc:
        raise CassetteError(f"{source}: cannot read cassette ({exc.strerror})") from None
    gc_was_enabled = gc.isenabled()  # see _no_cyclic_gc (inlined: this runs once per test)
    gc.disable()
    try:
        return _load(raw, source)
    finally:
        if gc_was_enabled:
            gc.enable()


def _load(raw: bytes, source: str) -> Trace:
    entry = cache.entry(raw)
    if entry is not None:
        cached = cache.get_document(entry)
        if cached is not None:  # these exact bytes parsed and validated before
            return _build(cached, source, fresh=False)
    if not raw or raw.isspace():
        raise CassetteError(f"{source}: empty file, not a cassette")
    # libyaml reads the bytes as they are (no decode + re-encode of the whole file) and
    # rejects invalid UTF-8 itself; only a UTF-16 BOM would make it switch encodings.
    if raw.startswith(_UTF16_BOMS):
        raise CassetteError(f"{source}: not UTF-8 text (bad byte at offset 0)")
    try:
        document, json_exact = parse(raw, source)
    except CassetteError:
        _check_utf8(raw, source)  # a clearer message when the real problem is the encoding
        raise
    trace = _build(document, source)
    if entry is not None and json_exact:
        cache.put_document(entry, document)
    return trace


def _check_utf8(raw: bytes, source: str) -> None:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CassetteError(f"{source}: not UTF-8 text (bad byte at offset {exc.start})") from None
