"""A small cassette library recorded once per module with real SDKs against the fake server."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.agents import record_agent, record_failing_call
from trace_ops.testing import FakeLLMServer

#: A VCR.py cassette: foreign to trace_ops, and the same folder layout.
VCR_CASSETTE = (
    "interactions:\n- request: {method: GET, uri: 'http://x'}\n"
    "  response: {status: {code: 200}}\nversion: 1\n"
)


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """cassettes/test_agent/{test_search,test_weather,test_rate_limit}.trace.yaml, recorded live."""
    root = tmp_path_factory.mktemp("library")
    folder = root / "cassettes" / "test_agent"
    with FakeLLMServer() as server:
        record_agent(server, folder / "test_search.trace.yaml")
        record_agent(server, folder / "test_weather.trace.yaml", "weather in Oslo")
        record_failing_call(server, folder / "test_rate_limit.trace.yaml")
    yield root


@pytest.fixture
def library(recorded: Path, tmp_path: Path) -> Path:
    """A fresh copy of the recorded library that a test may change."""
    copy = tmp_path / "lib"
    shutil.copytree(recorded, copy)
    return copy
