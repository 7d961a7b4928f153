"""Live capture: GenAISpanRecorder on a real TracerProvider records pydantic-ai's GenAI spans
into the active Recorder, and never counts an LLM call the SDK interceptor recorded twice."""

from __future__ import annotations

import sys
from pathlib import Path

import openai
import pytest

if sys.version_info < (3, 11):
    pytest.skip("pydantic-ai (a dev dependency from Python 3.11) is missing", allow_module_level=True)

from opentelemetry.sdk.trace import TracerProvider
from pydantic_ai import Agent
from pydantic_ai.capabilities import Instrumentation
from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart, ToolCallPart, ToolReturnPart
from pydantic_ai.models.function import AgentInfo, FunctionModel
from pydantic_ai.models.instrumented import InstrumentationSettings
from pydantic_ai.models.openai import OpenAIChatModel
from pydantic_ai.providers.openai import OpenAIProvider

from trace_ops import Recorder, Replayer, load_cassette
from trace_ops.otlp import GenAISpanRecorder
from trace_ops.testing import FakeLLMServer


def search(query: str) -> str:
    """Search the web."""
    return "Paris"


def instrumented(model: object, processor: GenAISpanRecorder) -> Agent[None, str]:
    provider = TracerProvider()
    provider.add_span_processor(processor)
    return Agent(
        model,  # type: ignore[arg-type]
        instructions="Be terse.",
        tools=[search],
        capabilities=[Instrumentation(settings=InstrumentationSettings(tracer_provider=provider))],
    )


def scripted(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    """A model trace_ops does not intercept (no HTTP at all): a tool call, then the answer."""
    returned = [p for m in messages for p in getattr(m, "parts", []) if isinstance(p, ToolReturnPart)]
    if not returned:
        return ModelResponse(
            parts=[ToolCallPart("search", {"query": "capital of France"}, tool_call_id="c1")]
        )
    return ModelResponse(parts=[TextPart(f"It is {returned[0].content}.")])


def test_spans_of_an_unpatched_model_are_recorded(tmp_path: Path) -> None:
    processor = GenAISpanRecorder()
    agent = instrumented(FunctionModel(scripted), processor)
    path = tmp_path / "live.yaml"
    with Recorder(save_to=path) as rec:
        result = agent.run_sync("Where is Paris?")
    assert result.output == "It is Paris."
    trace = rec.trace
    assert [e.label.split(":")[0] for e in trace.events] == ["llm_call", "tool", "llm_call"]
    first, second = trace.llm_calls
    assert first.view.tool_calls[0].name == "search" and first.view.tool_calls[0].arguments == {
        "query": "capital of France"
    }
    assert second.view.text == "It is Paris."
    assert first.request["messages"][-1] == {"role": "user", "content": "Where is Paris?"}
    assert second.usage is not None and second.usage.input_tokens > 0
    [tool] = trace.tool_calls
    assert (tool.name, tool.input, tool.output, tool.call_id) == (
        "search",
        {"query": "capital of France"},
        "Paris",
        "c1",
    )
    assert all(e.started_at and e.duration_ms is not None for e in trace.events)
    assert load_cassette(path).trajectory == trace.trajectory  # saved like any recording


def test_a_call_the_interceptor_recorded_is_not_counted_twice(
    fake_llm: FakeLLMServer, tmp_path: Path
) -> None:
    processor = GenAISpanRecorder()
    client = openai.AsyncOpenAI(base_url=fake_llm.openai_base_url, api_key="sk-test", max_retries=0)
    agent = instrumented(OpenAIChatModel("gpt-4o", provider=OpenAIProvider(openai_client=client)), processor)
    path = tmp_path / "both.yaml"
    with Recorder(save_to=path) as rec:
        agent.run_sync("capital of France?")
    trace = rec.trace
    assert trace.total_llm_calls == 2 == len(fake_llm.requests)  # the interceptor's, not 4
    assert trace.trajectory == ["llm_call:gpt-4o", "tool:search", "llm_call:gpt-4o"]  # the tool from its span
    assert processor.skipped == 2

    fake_llm.stop()
    with Replayer(path) as replay:
        agent.run_sync("capital of France?")
    assert replay.trace.total_llm_calls == 2  # replay adds nothing from spans


def test_no_session_no_events_and_switches() -> None:
    processor = GenAISpanRecorder(tool_calls=False)
    agent = instrumented(FunctionModel(scripted), processor)
    agent.run_sync("Where is Paris?")  # no session: nothing to record into, nothing breaks
    with Recorder() as rec:
        agent.run_sync("Where is Paris?")
    assert rec.trace.total_llm_calls == 2 and rec.trace.total_tool_calls == 0
