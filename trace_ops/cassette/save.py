"""Saving a cassette: Trace -> document (schema) -> YAML text (yaml_dump) -> an atomic write."""

from __future__ import annotations

import os
from pathlib import Path

from trace_ops._files import atomic_write_text
from trace_ops.cassette.schema import trace_to_document
from trace_ops.cassette.yaml_dump import dump
from trace_ops.scrub import DEFAULT_SCRUBBER, Scrubber
from trace_ops.trace import Trace


def dumps_cassette(trace: Trace, scrub: Scrubber = DEFAULT_SCRUBBER) -> str:
    """The cassette text for a trace."""
    return dump(trace_to_document(trace, scrub))


def save_cassette(trace: Trace, path: str | os.PathLike[str], *, scrubber: Scrubber | None = None) -> Path:
    """Write a trace atomically: a temp file in the same directory, fsynced, then renamed over `path`."""
    return atomic_write_text(Path(path), dumps_cassette(trace, scrubber or DEFAULT_SCRUBBER))
