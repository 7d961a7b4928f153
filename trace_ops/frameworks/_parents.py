"""Where an event happens: each installed framework says which of its runs is current.

Sessions stamp the answer as the `parent` of the events they add (`_seam.parent_of`); the
framework installed last (the innermost, e.g. a LangGraph graph run inside a CrewAI task) asks first.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from trace_ops import _seam

_lock = threading.Lock()
_sources: list[Callable[[], str | None]] = []


def _current() -> str | None:
    for source in reversed(_sources):
        span = source()
        if span is not None:
            return span
    return None


def add(source: Callable[[], str | None]) -> None:
    with _lock:
        _sources.append(source)
        _seam.parent_of = _current


def remove(source: Callable[[], str | None]) -> None:
    with _lock:
        if source in _sources:
            _sources.remove(source)
        if not _sources:
            _seam.parent_of = None


def current() -> str | None:
    """The span id of the innermost framework run current here, or None."""
    return _current() if _sources else None
