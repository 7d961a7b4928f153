"""The demo's research agent as a regression test: its tools, its path, its budget."""

from __future__ import annotations

import demo_agent
import openai
import pytest

import trace_ops
from trace_ops import Trace
from trace_ops.assertions import assert_no_loops
from trace_ops.testing import FakeLLMServer


@pytest.fixture(autouse=True)
def recorded_tools(monkeypatch: pytest.MonkeyPatch) -> None:
    """The agent's tools, wrapped so the active cassette records (and can replay) each call."""
    for name, function in list(demo_agent.TOOLS.items()):
        monkeypatch.setitem(demo_agent.TOOLS, name, trace_ops.tool(name=name)(function))


def _client(server: FakeLLMServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.openai_base_url, api_key="sk-example-not-a-real-key", max_retries=0)


@pytest.mark.budget(max_llm_calls=8, max_tokens=2_000)
def test_research_agent_answers_with_both_tools(cassette: Trace, llm_server: FakeLLMServer) -> None:
    answer = demo_agent.run_agent(_client(llm_server), None)
    assert "Paris" in answer
    assert {"search", "calculator"} <= {call.name for call in cassette.tool_calls}
    assert_no_loops(cassette)


def test_research_agent_on_another_topic(cassette: Trace, llm_server: FakeLLMServer) -> None:
    answer = demo_agent.run_agent(_client(llm_server), None, topic="Atlantis", extra_check=True)
    assert "No result" in answer  # the encyclopedia does not know it; the agent says so
    assert cassette.total_llm_calls == 7
