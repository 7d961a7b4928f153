"""The example suite: the demo agent's tests, replayed from the cassettes committed beside them.

`pytest examples/tests` replays offline; `pytest examples/tests --record` records them again
against the bundled fake LLM server (a real HTTP server, the real OpenAI SDK).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from trace_ops.testing import FakeLLMServer

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # demo_agent


@pytest.fixture
def llm_server() -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as server:
        yield server
