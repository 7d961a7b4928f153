"""groq, cerebras-cloud-sdk and together through the shared Stainless seam: record live against
the fake server, stop it, replay through the same client, compare.

Each SDK is one provider entry naming its package (`trace_ops.providers.groq` …), with no
interceptor code of its own. The replayed results must be the SDK's own types, equal to the
live ones, with zero requests reaching the (stopped) server; each call is one event, priced
where genai-prices knows the model.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cerebras.cloud.sdk as cerebras_sdk
import groq
import pytest
import together

from trace_ops import Recorder, Replayer, load_cassette
from trace_ops.interceptors import INTERCEPTORS
from trace_ops.providers import groq as groq_wire
from trace_ops.testing import FakeLLMServer

QUESTION = "What is the capital of France?"
MESSAGES: list[Any] = [{"role": "user", "content": QUESTION}]
TOOLS: list[Any] = [
    {
        "type": "function",
        "function": {
            "name": "search",
            "description": "Search the web",
            "parameters": {"type": "object", "properties": {"query": {"type": "string"}}},
        },
    }
]


@dataclass(frozen=True)
class SDK:
    provider: str
    module: str
    model: str  # one genai-prices knows under the provider's id
    sync: Callable[[str], Any]
    async_: Callable[[str], Any]
    #: how a stream asks for usage (groq reports it unasked, in `x_groq.usage`)
    usage_kwargs: dict[str, Any]


SDKS = [
    SDK(
        "groq",
        "groq",
        "llama-3.1-8b-instant",
        lambda url: groq.Groq(base_url=url, api_key="gsk-test", max_retries=0),
        lambda url: groq.AsyncGroq(base_url=url, api_key="gsk-test", max_retries=0),
        {},
    ),
    SDK(
        "cerebras",
        "cerebras.cloud.sdk",
        "llama3.1-8b",
        lambda url: cerebras_sdk.Cerebras(
            base_url=url, api_key="csk-test", max_retries=0, warm_tcp_connection=False
        ),
        lambda url: cerebras_sdk.AsyncCerebras(
            base_url=url, api_key="csk-test", max_retries=0, warm_tcp_connection=False
        ),
        {"stream_options": {"include_usage": True}},
    ),
    SDK(
        "together",
        "together",
        "meta-llama/Llama-3.3-70B-Instruct-Turbo",
        lambda url: together.Together(base_url=url, api_key="tg-test", max_retries=0),
        lambda url: together.AsyncTogether(base_url=url, api_key="tg-test", max_retries=0),
        {"extra_body": {"stream_options": {"include_usage": True}}},
    ),
]
IDS = [sdk.provider for sdk in SDKS]


def dump(value: Any) -> Any:
    if isinstance(value, list):
        return [dump(v) for v in value]
    if hasattr(value, "model_dump"):
        return (type(value).__module__.split(".")[0], type(value).__name__, value.model_dump())
    return value


def _followup(first: Any) -> list[Any]:
    call = first.choices[0].message.tool_calls[0]
    return [
        *MESSAGES,
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": call.id,
                    "type": "function",
                    "function": {"name": call.function.name, "arguments": call.function.arguments},
                }
            ],
        },
        {"role": "tool", "tool_call_id": call.id, "content": "Paris."},
    ]


def run_sync(sdk: SDK, client: Any) -> list[Any]:
    plain = client.chat.completions.create(model=sdk.model, messages=MESSAGES)
    streamed = list(
        client.chat.completions.create(model=sdk.model, messages=MESSAGES, stream=True, **sdk.usage_kwargs)
    )
    first = client.chat.completions.create(model=sdk.model, messages=MESSAGES, tools=TOOLS)
    second = client.chat.completions.create(model=sdk.model, messages=_followup(first), tools=TOOLS)
    assert plain.choices[0].message.content == f"Echo: {QUESTION}"
    assert "".join(c.choices[0].delta.content or "" for c in streamed if c.choices) == f"Echo: {QUESTION}"
    assert first.choices[0].message.tool_calls[0].function.name == "search"
    assert second.choices[0].message.content == "Based on the tool result: Paris."
    return [plain, streamed, first, second]


async def run_async(sdk: SDK, client: Any) -> list[Any]:
    plain = await client.chat.completions.create(model=sdk.model, messages=MESSAGES)
    stream = await client.chat.completions.create(
        model=sdk.model, messages=MESSAGES, stream=True, **sdk.usage_kwargs
    )
    streamed = [chunk async for chunk in stream]
    first = await client.chat.completions.create(model=sdk.model, messages=MESSAGES, tools=TOOLS)
    second = await client.chat.completions.create(model=sdk.model, messages=_followup(first), tools=TOOLS)
    assert plain.choices[0].message.content == f"Echo: {QUESTION}"
    assert first.choices[0].message.tool_calls[0].function.name == "search"
    return [plain, streamed, first, second]


def _check_cassette(sdk: SDK, path: Path) -> None:
    trace = load_cassette(path)
    calls = trace.llm_calls
    assert len(trace.events) == len(calls) == 4  # one event per call
    assert {c.provider for c in calls} == {sdk.provider}
    assert {c.endpoint for c in calls} == {"chat.completions"}
    assert calls[1].is_stream and calls[1].view.text == f"Echo: {QUESTION}"
    for call in calls:
        assert call.usage is not None and call.usage.input_tokens > 0, call.endpoint
        assert call.cost_usd is not None and call.cost_usd > 0, (sdk.model, call.is_stream)
    assert calls[2].view.tool_calls[0].name == "search"
    assert sdk.module in trace.sdk_versions


@pytest.mark.parametrize("sdk", SDKS, ids=IDS)
def test_sync_record_then_replay_with_server_stopped(sdk: SDK, tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    server = FakeLLMServer().start()
    client = sdk.sync(server.url)
    try:
        with Recorder(save_to=path):
            live = run_sync(sdk, client)
        assert server.request_count == 4
    finally:
        server.stop()
    _check_cassette(sdk, path)
    with Replayer(path) as rep:
        replayed = run_sync(sdk, client)
    assert dump(replayed) == dump(live)
    assert rep.replayed_count == 4 and rep.recorded_count == 0
    assert server.request_count == 4


@pytest.mark.parametrize("sdk", SDKS, ids=IDS)
def test_async_record_then_replay_with_server_stopped(sdk: SDK, tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    server = FakeLLMServer().start()
    client = sdk.async_(server.url)

    async def scenario() -> list[Any]:
        return await run_async(sdk, client)

    try:
        with Recorder(save_to=path):
            live = asyncio.run(scenario())
    finally:
        server.stop()
    _check_cassette(sdk, path)
    with Replayer(path):
        replayed = asyncio.run(scenario())
    assert dump(replayed) == dump(live)
    assert server.request_count == 4


def test_a_replay_mismatch_is_the_usual_error(tmp_path: Path, fake_llm: FakeLLMServer) -> None:
    from trace_ops.errors import CassetteMismatchError

    path = tmp_path / "run.yaml"
    client = groq.Groq(base_url=fake_llm.url, api_key="gsk-test", max_retries=0)
    with Recorder(save_to=path):
        client.chat.completions.create(model="llama-3.1-8b-instant", messages=MESSAGES)
    with Replayer(path), pytest.raises(CassetteMismatchError, match=r"groq chat\.completions"):
        client.chat.completions.create(
            model="llama-3.1-8b-instant", messages=[{"role": "user", "content": "x"}]
        )
    assert fake_llm.request_count == 1


def test_cerebras_connection_warmup_is_never_recorded(tmp_path: Path, fake_llm: FakeLLMServer) -> None:
    path = tmp_path / "run.yaml"
    with Recorder(save_to=path) as rec:
        client = cerebras_sdk.Cerebras(base_url=fake_llm.url, api_key="csk-test", max_retries=0)
        client.chat.completions.create(model="llama3.1-8b", messages=MESSAGES)
    assert any(r["path"] == "/v1/tcp_warming" for r in fake_llm.requests)
    assert [c.endpoint for c in rec.trace.llm_calls] == ["chat.completions"]


def test_secrets_never_reach_the_cassette(tmp_path: Path, fake_llm: FakeLLMServer) -> None:
    path = tmp_path / "run.yaml"
    client = groq.Groq(base_url=fake_llm.url, api_key="gsk_live_Abcdefghijklmnop1234567890", max_retries=0)
    with Recorder(save_to=path):
        client.chat.completions.create(model="llama-3.1-8b-instant", messages=MESSAGES)
    assert fake_llm.requests[0]["headers"]["authorization"].endswith("1234567890")
    assert "1234567890" not in path.read_text()


def test_each_sdk_is_a_provider_entry_with_no_interceptor_code() -> None:
    patched = {i.module_name: i.provider for i in INTERCEPTORS}
    assert patched["groq"] == "groq"
    assert patched["cerebras.cloud.sdk"] == "cerebras"
    assert patched["together"] == "together"


def test_groq_stream_usage_is_read_from_x_groq() -> None:
    chunks = [
        {"model": "m", "choices": [{"index": 0, "delta": {"content": "hi"}}]},
        {
            "model": "m",
            "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
            "x_groq": {"id": "req_1", "usage": {"prompt_tokens": 7, "completion_tokens": 2}},
        },
    ]
    view = groq_wire.stream_view("chat.completions", chunks)
    assert view.text == "hi" and view.usage is not None
    assert (view.usage.input_tokens, view.usage.output_tokens) == (7, 2)
