"""The `cassette` fixture and its configuration: one record/replay session per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from trace_ops import library
from trace_ops.errors import CassetteWriteError
from trace_ops.pytest_plugin.state import SESSION_KEY, STATE_KEY
from trace_ops.session import Session, SessionOptions
from trace_ops.trace import Trace


@pytest.fixture
def trace_ops_config() -> dict[str, Any]:
    """Override in a conftest to configure cassettes, like pytest-recording's `vcr_config`.

    Keys: `cassette_dir` (relative to the test file, default "cassettes"), `match_on`,
    `sequential`, `allow_playback_repeats`, `scrub_patterns`, `before_record`, `intercept_http`
    (also record at the httpx / httpx2 transport what no SDK interceptor owns).
    """
    return {}


def cassette_path_for(item: pytest.Item, config: dict[str, Any]) -> Path:
    """Where a test's cassette lives: the `cassette` marker, or cassettes/<module>/<test>.trace.yaml."""
    test_file = Path(str(item.path))
    marker = item.get_closest_marker("cassette")
    if marker is not None and marker.args:
        return (test_file.parent / str(marker.args[0])).resolve()
    cls = getattr(item, "cls", None)
    return library.default_cassette_path(
        test_file,
        item.name,
        class_name=cls.__name__ if cls is not None else None,
        cassette_dir=str(config.get("cassette_dir", library.DEFAULT_CASSETTE_DIR)),
    )


@pytest.fixture
def cassette(request: pytest.FixtureRequest, trace_ops_config: dict[str, Any]) -> Iterator[Trace]:
    """Record or replay this test's LLM calls; yields the live Trace of the run."""
    item = request.node
    state = request.config.stash[STATE_KEY]
    path = cassette_path_for(item, trace_ops_config)
    nodeid = item.nodeid
    options = SessionOptions(
        record_mode=state.mode,
        match_on=trace_ops_config.get("match_on"),
        sequential=bool(trace_ops_config.get("sequential", False)),
        allow_playback_repeats=bool(trace_ops_config.get("allow_playback_repeats", False)),
        scrub_patterns=trace_ops_config.get("scrub_patterns", ()),
        before_record=trace_ops_config.get("before_record"),
        intercept_http=bool(trace_ops_config.get("intercept_http", False)),
        record_hint=f"record it with: pytest '{nodeid}' --record",
        rerecord_hint=f"to re-record: pytest '{nodeid}' --record-mode=rewrite",
        missing_ok=True,
        intercept_langchain=bool(trace_ops_config.get("intercept_langchain", False)),
        intercept_langgraph=bool(trace_ops_config.get("intercept_langgraph", False)),
        intercept_crewai=bool(trace_ops_config.get("intercept_crewai", False)),
    )
    session = Session(path, options=options)
    item.stash[SESSION_KEY] = session
    session.start()
    try:
        yield session.trace
    finally:
        unsaved: str | None = None
        try:
            session.stop()
        except CassetteWriteError as exc:
            unsaved = str(exc)
        if unsaved is not None:  # one line naming the path: no traceback, no exception chain
            pytest.fail(unsaved, pytrace=False)


__all__ = ["cassette", "cassette_path_for", "trace_ops_config"]
