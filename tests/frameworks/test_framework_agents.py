"""Real framework agents record and replay through the SDK interceptors alone.

openai-agents and pydantic-ai drive the real `openai.AsyncOpenAI` client against the fake
server; trace_ops has no framework-specific code, only the SDK `request()` seam. Each test
records a tool-using run, stops the server, replays, and checks that the framework saw the
same thing (final output, tool calls and their results, usage) with zero requests served.

The tool is a plain function decorated with `@trace_ops.tool` and handed to the framework,
so the trajectory shows the tool step between the two LLM calls.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import openai
import pytest

if sys.version_info < (3, 11):  # pydantic-ai-slim (a dev dependency from Python 3.11) is missing there
    pytest.skip("the framework tests need Python 3.11+ (pydantic-ai)", allow_module_level=True)

from agents import (
    Agent,
    OpenAIChatCompletionsModel,
    OpenAIProvider,
    OpenAIResponsesModel,
    RunConfig,
    Runner,
    RunResult,
    RunResultStreaming,
    function_tool,
    set_default_openai_api,
    set_default_openai_client,
    set_tracing_disabled,
)
from agents.models import _openai_shared
from pydantic_ai import Agent as PydanticAgent
from pydantic_ai.messages import ModelResponse, ToolReturnPart
from pydantic_ai.models.openai import OpenAIChatModel
from pydantic_ai.models.openai import OpenAIResponsesModel as PydanticResponsesModel
from pydantic_ai.providers.openai import OpenAIProvider as PydanticOpenAIProvider

import trace_ops
from trace_ops import Recorder, Replayer, Trace, load_cassette
from trace_ops.testing import FakeLLMServer

QUESTION = "What is the capital of France?"
TOOL_RESULT = f"Paris is the capital of France (searched: {QUESTION})."
FINAL = f"Based on the tool result: {TOOL_RESULT}"
TRAJECTORY = ["llm_call:gpt-4o", "tool:search", "llm_call:gpt-4o"]
APIS = ["responses", "chat_completions"]

# openai-agents would otherwise export its traces to api.openai.com in a background thread.
set_tracing_disabled(True)


def make_search(log: list[str]) -> Callable[[str], str]:
    """A fresh `search` tool that logs each real execution (a replayed tool does not run)."""

    @trace_ops.tool
    def search(query: str) -> str:
        """Search the web."""
        log.append(query)
        return f"Paris is the capital of France (searched: {query})."

    return search


def client_for(server: FakeLLMServer) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=server.openai_base_url, api_key="sk-test", max_retries=0)


def dump(value: Any) -> Any:
    """A comparable form of framework results: pydantic models, dataclasses, lists, dicts."""
    if isinstance(value, (list, tuple)):
        return [dump(v) for v in value]
    if isinstance(value, dict):
        return {k: dump(v) for k, v in value.items()}
    if hasattr(value, "model_dump"):
        return (type(value).__name__, value.model_dump())
    return value


def check_recorded_trace(trace: Trace, path: Path, *, stream: bool) -> None:
    """The cassette holds the two LLM calls around the tool step, with the model's tool request."""
    assert trace.trajectory == TRAJECTORY
    assert load_cassette(path).trajectory == TRAJECTORY
    first, second = trace.llm_calls
    assert [first.is_stream, second.is_stream] == [stream, stream]
    assert [(c.name, c.arguments) for c in first.view.tool_calls] == [("search", {"query": QUESTION})]
    assert second.view.text == FINAL
    assert second.view.tool_calls == ()
    (tool,) = trace.tool_calls
    assert (tool.input, tool.output) == ({"query": QUESTION}, TOOL_RESULT)


# ================================================================== openai-agents


def agents_outcome(result: RunResult | RunResultStreaming) -> Any:
    """Everything the run produced: output, items (tool call, tool output, message), usage."""
    usage = result.context_wrapper.usage
    return {
        "final_output": result.final_output,
        "items": [(item.type, dump(item.raw_item)) for item in result.new_items],
        "responses": [(r.response_id, dump(r.output)) for r in result.raw_responses],
        "usage": (usage.requests, usage.input_tokens, usage.output_tokens, usage.total_tokens),
    }


def check_agents_items(outcome: Any) -> None:
    assert outcome["final_output"] == FINAL
    assert [kind for kind, _ in outcome["items"]] == [
        "tool_call_item",
        "tool_call_output_item",
        "message_output_item",
    ]


@pytest.fixture
def default_openai_client() -> Iterator[Callable[[openai.AsyncOpenAI, str], None]]:
    """Set openai-agents' process-wide default client and API; restore both afterwards."""
    saved_client = _openai_shared.get_default_openai_client()
    saved_responses = _openai_shared.get_use_responses_by_default()

    def use(client: openai.AsyncOpenAI, api: str) -> None:
        set_default_openai_client(client, use_for_tracing=False)
        set_default_openai_api(api)  # type: ignore[arg-type]

    yield use
    _openai_shared.set_default_openai_client(saved_client)  # type: ignore[arg-type]
    _openai_shared.set_use_responses_by_default(saved_responses)


@pytest.mark.parametrize("api", APIS)
def test_openai_agents_run_sync_replays(
    api: str,
    fake_llm: FakeLLMServer,
    tmp_path: Path,
    default_openai_client: Callable[[openai.AsyncOpenAI, str], None],
) -> None:
    path = tmp_path / "agents.yaml"
    log: list[str] = []
    agent = Agent(
        name="assistant", instructions="Be terse.", tools=[function_tool(make_search(log))], model="gpt-4o"
    )

    default_openai_client(client_for(fake_llm), api)
    with Recorder(save_to=path) as rec:
        live = agents_outcome(Runner.run_sync(agent, QUESTION))
    served = fake_llm.request_count
    endpoint = "/v1/responses" if api == "responses" else "/v1/chat/completions"
    assert [r["path"] for r in fake_llm.requests] == [endpoint, endpoint]
    fake_llm.stop()

    default_openai_client(client_for(fake_llm), api)  # a fresh client: nothing cached from the live run
    with Replayer(path) as rep:
        replayed = agents_outcome(Runner.run_sync(agent, QUESTION))

    assert replayed == live
    check_agents_items(replayed)
    assert log == [QUESTION, QUESTION]  # the tool really ran in both runs, with the same argument
    assert fake_llm.request_count == served == 2
    check_recorded_trace(rec.trace, path, stream=False)
    assert rep.trace.trajectory == TRAJECTORY
    assert rep.replayed_count == 2


@pytest.mark.parametrize("api", APIS)
async def test_openai_agents_async_run_replays_tools_too(
    api: str, fake_llm: FakeLLMServer, tmp_path: Path
) -> None:
    """`Runner.run` with the model given explicitly; on replay the tool itself is replayed."""
    path = tmp_path / "agents.yaml"
    log: list[str] = []

    async def run(server: FakeLLMServer) -> Any:
        async with client_for(server) as client:
            provider = OpenAIProvider(openai_client=client, use_responses=api == "responses")
            agent = Agent(
                name="assistant",
                instructions="Be terse.",
                tools=[function_tool(make_search(log))],
                model="gpt-4o",
            )
            result = await Runner.run(agent, QUESTION, run_config=RunConfig(model_provider=provider))
            return agents_outcome(result)

    async with Recorder(save_to=path) as rec:
        live = await run(fake_llm)
    served = fake_llm.request_count
    fake_llm.stop()

    async with Replayer(path, replay_tools=True) as rep:
        replayed = await run(fake_llm)

    assert replayed == live
    check_agents_items(replayed)
    assert log == [QUESTION]  # replayed from the cassette: the function did not run again
    assert fake_llm.request_count == served == 2
    check_recorded_trace(rec.trace, path, stream=False)
    assert rep.trace.trajectory == TRAJECTORY


@pytest.mark.parametrize("api", APIS)
async def test_openai_agents_streamed_run_replays(api: str, fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    path = tmp_path / "agents-stream.yaml"
    log: list[str] = []

    async def run(server: FakeLLMServer) -> tuple[Any, list[Any], str]:
        async with client_for(server) as client:
            model_cls = OpenAIResponsesModel if api == "responses" else OpenAIChatCompletionsModel
            agent = Agent(
                name="assistant",
                instructions="Be terse.",
                tools=[function_tool(make_search(log))],
                model=model_cls(model="gpt-4o", openai_client=client),
            )
            result = Runner.run_streamed(agent, QUESTION)
            events: list[Any] = []
            deltas: list[str] = []
            async for event in result.stream_events():
                if event.type == "raw_response_event":
                    events.append((event.type, event.data.type))
                    if event.data.type == "response.output_text.delta":
                        deltas.append(event.data.delta)
                elif event.type == "run_item_stream_event":
                    events.append((event.type, event.name, dump(event.item.raw_item)))
                else:
                    events.append((event.type, event.new_agent.name))
            return agents_outcome(result), events, "".join(deltas)

    async with Recorder(save_to=path) as rec:
        live = await run(fake_llm)
    served = fake_llm.request_count
    fake_llm.stop()

    async with Replayer(path):
        replayed = await run(fake_llm)

    assert replayed == live
    outcome, events, streamed_text = replayed
    check_agents_items(outcome)
    assert streamed_text == FINAL  # the answer arrived as incremental deltas
    assert [e[1] for e in events if e[0] == "run_item_stream_event"] == [
        "tool_called",
        "tool_output",
        "message_output_created",
    ]
    assert log == [QUESTION, QUESTION]
    assert fake_llm.request_count == served == 2
    assert all(r["body"].get("stream") is True for r in fake_llm.requests)
    check_recorded_trace(rec.trace, path, stream=True)


# ================================================================== pydantic-ai


def pydantic_agent(server: FakeLLMServer, api: str, log: list[str]) -> tuple[PydanticAgent[None, str], Any]:
    client = client_for(server)
    provider = PydanticOpenAIProvider(openai_client=client)
    model_cls = PydanticResponsesModel if api == "responses" else OpenAIChatModel
    agent = PydanticAgent(
        model_cls("gpt-4o", provider=provider), instructions="Be terse.", tools=[make_search(log)]
    )
    return agent, client


def pydantic_outcome(result: Any, output: str) -> Any:
    """The output, every model answer part, the tool's returns and the usage."""
    messages = result.all_messages()
    usage = result.usage
    responses = [m for m in messages if isinstance(m, ModelResponse)]
    returns = [
        (p.tool_name, p.content)
        for m in messages
        for p in getattr(m, "parts", [])
        if isinstance(p, ToolReturnPart)
    ]
    return {
        "output": output,
        "responses": [
            (r.model_name, r.provider_response_id, r.finish_reason, r.parts, r.usage) for r in responses
        ],
        "tool_returns": returns,
        "usage": (usage.requests, usage.input_tokens, usage.output_tokens),
    }


def check_pydantic_outcome(outcome: Any) -> None:
    assert outcome["output"] == FINAL
    assert outcome["tool_returns"] == [("search", TOOL_RESULT)]
    first_parts = outcome["responses"][0][3]
    assert [
        (p.part_kind, p.tool_name, p.args_as_dict()) for p in first_parts if p.part_kind == "tool-call"
    ] == [("tool-call", "search", {"query": QUESTION})]
    assert outcome["usage"][0] == 2


@pytest.mark.parametrize("api", APIS)
def test_pydantic_ai_run_sync_replays(api: str, fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    path = tmp_path / "pydantic-ai.yaml"
    log: list[str] = []

    agent, _ = pydantic_agent(fake_llm, api, log)
    with Recorder(save_to=path) as rec:
        result = agent.run_sync(QUESTION)
        live = pydantic_outcome(result, result.output)
    served = fake_llm.request_count
    endpoint = "/v1/responses" if api == "responses" else "/v1/chat/completions"
    assert [r["path"] for r in fake_llm.requests] == [endpoint, endpoint]
    fake_llm.stop()

    agent, _ = pydantic_agent(fake_llm, api, log)
    with Replayer(path) as rep:
        result = agent.run_sync(QUESTION)
        replayed = pydantic_outcome(result, result.output)

    assert replayed == live
    check_pydantic_outcome(replayed)
    assert log == [QUESTION, QUESTION]
    assert fake_llm.request_count == served == 2
    check_recorded_trace(rec.trace, path, stream=False)
    assert rep.trace.trajectory == TRAJECTORY


@pytest.mark.parametrize("api", APIS)
async def test_pydantic_ai_streamed_run_replays(api: str, fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    path = tmp_path / "pydantic-ai-stream.yaml"
    log: list[str] = []

    async def run(server: FakeLLMServer) -> tuple[Any, list[str]]:
        agent, client = pydantic_agent(server, api, log)
        async with client, agent.run_stream(QUESTION) as result:
            deltas = [delta async for delta in result.stream_text(delta=True, debounce_by=None)]
            output = await result.get_output()
            return pydantic_outcome(result, output), deltas

    async with Recorder(save_to=path) as rec:
        live = await run(fake_llm)
    served = fake_llm.request_count
    fake_llm.stop()

    async with Replayer(path) as rep:
        replayed = await run(fake_llm)

    assert replayed == live
    outcome, deltas = replayed
    check_pydantic_outcome(outcome)
    assert len(deltas) > 1 and "".join(deltas) == FINAL
    assert log == [QUESTION, QUESTION]
    assert fake_llm.request_count == served == 2
    check_recorded_trace(rec.trace, path, stream=True)
    assert rep.trace.trajectory == TRAJECTORY
