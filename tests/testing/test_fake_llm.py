"""Sanity tests: drive the REAL openai/anthropic SDKs against FakeLLMServer.

Why: the fake is only useful if the SDKs parse its answers exactly like real ones,
streams included; these tests pin that down with concrete values.
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import anthropic
import openai
import pytest
from anthropic.types import Message
from openai.types import CreateEmbeddingResponse
from openai.types.chat import ChatCompletion
from openai.types.responses import Response

from trace_ops.testing import FakeLLMServer

CHAT_TOOLS: list[Any] = [
    {
        "type": "function",
        "function": {
            "name": "search",
            "description": "Search the web",
            "parameters": {"type": "object", "properties": {"query": {"type": "string"}}},
        },
    }
]
RESPONSES_TOOLS: list[Any] = [
    {
        "type": "function",
        "name": "search",
        "description": "Search the web",
        "parameters": {"type": "object", "properties": {"query": {"type": "string"}}},
        "strict": False,
    }
]
ANTHROPIC_TOOLS: list[Any] = [
    {"name": "search", "description": "Search", "input_schema": {"type": "object", "properties": {}}}
]


@pytest.fixture(scope="module")
def srv() -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as server:
        yield server


@pytest.fixture
def oai(srv: FakeLLMServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=srv.openai_base_url, api_key="sk-test", max_retries=0)


@pytest.fixture
def ant(srv: FakeLLMServer) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=srv.anthropic_base_url, api_key="sk-ant-test", max_retries=0)


def _post(srv: FakeLLMServer, path: str, body: Any) -> tuple[int, bytes]:
    req = urllib.request.Request(
        srv.url + path, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


# ----------------------------------------------------------------- chat completions


def test_chat_plain(oai: openai.OpenAI) -> None:
    r = oai.chat.completions.create(
        model="gpt-4o-mini",
        messages=[
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": "hello there world"},
        ],
    )
    assert r.object == "chat.completion"
    assert r.id.startswith("chatcmpl-") and len(r.id) == len("chatcmpl-") + 12
    assert r.created == 1700000000
    assert r.model == "gpt-4o-mini"
    assert r.system_fingerprint == "fp_fake"
    choice = r.choices[0]
    assert choice.message.content == "Echo: hello there world"
    assert choice.finish_reason == "stop"
    assert r.usage is not None
    assert (r.usage.prompt_tokens, r.usage.completion_tokens, r.usage.total_tokens) == (5, 4, 9)


def test_chat_tool_call_and_tool_result(oai: openai.OpenAI) -> None:
    r = oai.chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": "weather in Paris"}], tools=CHAT_TOOLS
    )
    msg = r.choices[0].message
    assert r.choices[0].finish_reason == "tool_calls"
    assert msg.content is None
    assert msg.tool_calls is not None and len(msg.tool_calls) == 1
    call = msg.tool_calls[0]
    assert call.type == "function" and call.id.startswith("call_")
    assert call.function.name == "search"
    assert json.loads(call.function.arguments) == {"query": "weather in Paris"}

    r2 = oai.chat.completions.create(
        model="gpt-4o",
        tools=CHAT_TOOLS,
        messages=[
            {"role": "user", "content": "weather in Paris"},
            {
                "role": "assistant",
                "tool_calls": [
                    {
                        "id": call.id,
                        "type": "function",
                        "function": {"name": call.function.name, "arguments": call.function.arguments},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": call.id, "content": "sunny, 21C"},
        ],
    )
    assert r2.choices[0].message.content == "Based on the tool result: sunny, 21C"
    assert r2.choices[0].finish_reason == "stop"


def test_chat_content_parts(oai: openai.OpenAI) -> None:
    r = oai.chat.completions.create(
        model="m",
        messages=[
            {"role": "user", "content": [{"type": "text", "text": "one"}, {"type": "text", "text": "two"}]}
        ],
    )
    assert r.choices[0].message.content == "Echo: one two"


def test_chat_stream_include_usage(oai: openai.OpenAI) -> None:
    plain = oai.chat.completions.create(model="m", messages=[{"role": "user", "content": "a  b c"}])
    chunks = list(
        oai.chat.completions.create(
            model="m",
            messages=[{"role": "user", "content": "a  b c"}],
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    assert all(c.object == "chat.completion.chunk" and c.id == plain.id for c in chunks)
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Echo: a  b c" == plain.choices[0].message.content
    assert len([c for c in chunks if c.choices and c.choices[0].delta.content]) == 4  # one per word
    assert chunks[-2].choices[0].finish_reason == "stop"
    assert all(c.usage is None for c in chunks[:-1])
    last = chunks[-1]
    assert last.choices == [] and last.usage is not None
    assert last.usage.model_dump() == plain.usage.model_dump()  # type: ignore[union-attr]


def test_chat_stream_tool_call_helper(oai: openai.OpenAI) -> None:
    with oai.chat.completions.stream(
        model="gpt-4o", messages=[{"role": "user", "content": "weather in Paris"}], tools=CHAT_TOOLS
    ) as stream:
        final = stream.get_final_completion()
    plain = oai.chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": "weather in Paris"}], tools=CHAT_TOOLS
    )
    got, want = final.choices[0].message, plain.choices[0].message
    assert final.choices[0].finish_reason == "tool_calls"
    assert got.content is None
    assert got.tool_calls is not None and want.tool_calls is not None
    got_call, want_call = got.tool_calls[0], want.tool_calls[0]
    assert got_call.type == "function" and want_call.type == "function"
    assert got_call.id == want_call.id
    assert got_call.function.arguments == want_call.function.arguments == '{"query": "weather in Paris"}'


# ----------------------------------------------------------------- responses


def test_responses_plain(oai: openai.OpenAI) -> None:
    r = oai.responses.create(model="gpt-4.1", input="hi there", instructions="be nice")
    assert r.id.startswith("resp_") and r.status == "completed" and r.created_at == 1700000000
    assert r.output_text == "Echo: hi there"
    assert r.instructions == "be nice"
    assert r.usage is not None and (r.usage.input_tokens, r.usage.output_tokens) == (4, 3)


def test_responses_function_call_roundtrip(oai: openai.OpenAI) -> None:
    r = oai.responses.create(
        model="gpt-4.1", input=[{"role": "user", "content": "weather in Paris"}], tools=RESPONSES_TOOLS
    )
    assert len(r.output) == 1
    call = r.output[0]
    assert call.type == "function_call"
    assert call.name == "search" and json.loads(call.arguments) == {"query": "weather in Paris"}
    assert call.id is not None and call.id.startswith("fc_") and call.call_id.startswith("call_")
    r2 = oai.responses.create(
        model="gpt-4.1",
        tools=RESPONSES_TOOLS,
        input=[
            {"role": "user", "content": "weather in Paris"},
            {"type": "function_call", "call_id": call.call_id, "name": "search", "arguments": call.arguments},
            {"type": "function_call_output", "call_id": call.call_id, "output": "sunny"},
        ],
    )
    assert r2.output_text == "Based on the tool result: sunny"


def test_responses_stream(oai: openai.OpenAI) -> None:
    events = list(oai.responses.create(model="gpt-4.1", input="hi there", stream=True))
    types = [e.type for e in events]
    assert types[:4] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
    ]
    assert types[-4:] == [
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert [e.sequence_number for e in events] == list(range(len(events)))
    deltas = [e.delta for e in events if e.type == "response.output_text.delta"]
    assert deltas == ["Echo: ", "hi ", "there"]
    completed = events[-1]
    assert completed.type == "response.completed"
    assert completed.response.output_text == "Echo: hi there"

    with oai.responses.stream(model="gpt-4.1", input="weather?", tools=RESPONSES_TOOLS) as stream:
        final = stream.get_final_response()
    assert final.output[0].type == "function_call"
    assert json.loads(final.output[0].arguments) == {"query": "weather?"}


# ----------------------------------------------------------------- embeddings


def test_embeddings(oai: openai.OpenAI, srv: FakeLLMServer) -> None:
    default = oai.embeddings.create(model="text-embedding-3-small", input=["alpha", "beta gamma"])
    assert srv.requests[-1]["body"]["encoding_format"] == "base64"  # SDK default on the wire
    floats = oai.embeddings.create(
        model="text-embedding-3-small", input=["alpha", "beta gamma"], encoding_format="float"
    )
    assert [d.index for d in default.data] == [0, 1]
    vec = default.data[0].embedding
    assert len(vec) == 8 and all(isinstance(x, float) and -1.0 <= x < 1.0 for x in vec)
    assert vec == floats.data[0].embedding  # base64(float32) decodes to the exact same numbers
    assert default.data[0].embedding != default.data[1].embedding
    assert default.usage.prompt_tokens == 3 == default.usage.total_tokens


# ----------------------------------------------------------------- anthropic


def test_anthropic_plain_and_cache_usage(ant: anthropic.Anthropic) -> None:
    m = ant.messages.create(
        model="claude-fake", max_tokens=64, system="be kind", messages=[{"role": "user", "content": "hi you"}]
    )
    assert m.id.startswith("msg_") and m.type == "message" and m.role == "assistant"
    assert [b.type for b in m.content] == ["text"]
    assert m.content[0].type == "text" and m.content[0].text == "Echo: hi you"
    assert m.stop_reason == "end_turn"
    assert (m.usage.input_tokens, m.usage.output_tokens, m.usage.cache_read_input_tokens) == (4, 3, 0)

    cached = ant.messages.create(
        model="claude-fake",
        max_tokens=64,
        system=[{"type": "text", "text": "long prompt", "cache_control": {"type": "ephemeral"}}],
        messages=[{"role": "user", "content": "hi"}],
    )
    assert (cached.usage.cache_creation_input_tokens, cached.usage.cache_read_input_tokens) == (5, 3)
    assert (
        ant.messages.count_tokens(
            model="claude", messages=[{"role": "user", "content": "a b c"}]
        ).input_tokens
        == 3
    )


def test_anthropic_tool_use_roundtrip(ant: anthropic.Anthropic) -> None:
    m = ant.messages.create(
        model="claude-thinking-x",
        max_tokens=64,
        tools=ANTHROPIC_TOOLS,
        messages=[{"role": "user", "content": "weather in Paris"}],
    )
    assert [b.type for b in m.content] == ["thinking", "text", "tool_use"]
    assert m.stop_reason == "tool_use"
    tool = m.content[2]
    assert tool.type == "tool_use" and tool.name == "search" and tool.id.startswith("toolu_")
    assert tool.input == {"query": "weather in Paris"}

    m2 = ant.messages.create(
        model="claude-fake",
        max_tokens=64,
        tools=ANTHROPIC_TOOLS,
        messages=[
            {"role": "user", "content": "weather in Paris"},
            {"role": "assistant", "content": m.content},
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": tool.id, "content": "sunny"}],
            },
        ],
    )
    assert m2.content[0].type == "text" and m2.content[0].text == "Based on the tool result: sunny"
    assert m2.stop_reason == "end_turn"


def test_anthropic_stream(ant: anthropic.Anthropic) -> None:
    kwargs: dict[str, Any] = {
        "model": "claude-thinking-x",
        "max_tokens": 64,
        "tools": ANTHROPIC_TOOLS,
        "messages": [{"role": "user", "content": "weather in Paris"}],
    }
    plain = ant.messages.create(**kwargs)
    with ant.messages.stream(**kwargs) as stream:
        final = stream.get_final_message()
    assert final.model_dump() == plain.model_dump()

    raw = list(ant.messages.create(**{**kwargs, "tools": [], "model": "claude"}, stream=True))
    types = [e.type for e in raw]
    assert types[0] == "message_start" and types[-2:] == ["message_delta", "message_stop"]
    text = "".join(
        e.delta.text for e in raw if e.type == "content_block_delta" and e.delta.type == "text_delta"
    )
    assert text == "Echo: weather in Paris"


# ----------------------------------------------------------------- server behaviour


def test_determinism_same_request_same_bytes(srv: FakeLLMServer) -> None:
    body = {"model": "m", "messages": [{"role": "user", "content": "same"}], "tools": CHAT_TOOLS}
    assert _post(srv, "/v1/chat/completions", body) == _post(srv, "/v1/chat/completions", body)
    a = _post(
        srv, "/v1/messages", {"model": "c", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}]}
    )
    assert a == _post(
        srv, "/v1/messages", {"model": "c", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}]}
    )
    stream_body = {**body, "stream": True}
    assert _post(srv, "/v1/chat/completions", stream_body) == _post(srv, "/v1/chat/completions", stream_body)
    other = _post(
        srv, "/v1/chat/completions", {**body, "messages": [{"role": "user", "content": "different"}]}
    )
    assert json.loads(other[1])["id"] != json.loads(_post(srv, "/v1/chat/completions", body)[1])["id"]


def test_shapes_validate_against_sdk_models(srv: FakeLLMServer) -> None:
    """Strict pydantic validation catches required fields the lenient SDK parser would hide."""
    user = [{"role": "user", "content": "x"}]
    ChatCompletion.model_validate_json(
        _post(srv, "/v1/chat/completions", {"model": "m", "messages": user})[1]
    )
    ChatCompletion.model_validate_json(
        _post(srv, "/v1/chat/completions", {"model": "m", "messages": user, "tools": CHAT_TOOLS})[1]
    )
    Response.model_validate_json(_post(srv, "/v1/responses", {"model": "m", "input": "x"})[1])
    Response.model_validate_json(
        _post(srv, "/v1/responses", {"model": "m", "input": "x", "tools": RESPONSES_TOOLS})[1]
    )
    CreateEmbeddingResponse.model_validate_json(_post(srv, "/v1/embeddings", {"model": "m", "input": "x"})[1])
    Message.model_validate_json(
        _post(
            srv,
            "/v1/messages",
            {"model": "thinking", "max_tokens": 5, "messages": user, "tools": ANTHROPIC_TOOLS},
        )[1]
    )


def test_request_recording_and_reset(oai: openai.OpenAI) -> None:
    with FakeLLMServer() as own:
        client = openai.OpenAI(base_url=own.openai_base_url, api_key="sk-test", max_retries=0)
        assert own.request_count == 0
        client.chat.completions.create(model="m", messages=[{"role": "user", "content": "one"}])
        client.embeddings.create(model="e", input="two")
        assert own.request_count == 2
        first = own.requests[0]
        assert first["method"] == "POST" and first["path"] == "/v1/chat/completions"
        assert first["body"]["messages"] == [{"role": "user", "content": "one"}]
        assert first["headers"]["authorization"] == "Bearer sk-test"
        own.reset()
        assert own.request_count == 0 and own.requests == []


def test_errors(oai: openai.OpenAI, ant: anthropic.Anthropic, srv: FakeLLMServer) -> None:
    with pytest.raises(openai.RateLimitError) as rl:
        oai.chat.completions.create(model="error-429", messages=[{"role": "user", "content": "x"}])
    assert rl.value.status_code == 429 and rl.value.code == "rate_limit_exceeded"
    with pytest.raises(openai.InternalServerError):
        oai.responses.create(model="error-500", input="x")
    with pytest.raises(openai.BadRequestError):
        oai.embeddings.create(model="error-400", input="x")
    with pytest.raises(anthropic.RateLimitError) as arl:
        ant.messages.create(model="error-429", max_tokens=5, messages=[{"role": "user", "content": "x"}])
    assert arl.value.body == {
        "type": "error",
        "error": {"type": "rate_limit_error", "message": "Rate limit reached (injected by fakellm)."},
    }
    status, raw = _post(srv, "/v1/nope", {})
    assert status == 404 and json.loads(raw)["error"]["type"] == "invalid_request_error"


def test_async_stream_and_incremental_delivery() -> None:
    """With delay_s each SSE event arrives separately: the first one long before the end."""

    async def run(url: str) -> tuple[list[str], list[float]]:
        async with openai.AsyncOpenAI(base_url=url, api_key="sk-test", max_retries=0) as client:
            start = time.monotonic()
            stream = await client.chat.completions.create(
                model="m", messages=[{"role": "user", "content": "x y"}], stream=True
            )
            pieces, times = [], []
            async for chunk in stream:
                pieces.append(chunk.choices[0].delta.content or "")
                times.append(time.monotonic() - start)
            return pieces, times

    with FakeLLMServer(delay_s=0.03) as slow:
        pieces, times = asyncio.run(run(slow.openai_base_url))
    assert pieces == ["", "Echo: ", "x ", "y", ""]
    assert times[-1] - times[0] >= 0.09  # 3 gaps of delay_s between first and last event


def test_stop_is_fast_and_idempotent() -> None:
    server = FakeLLMServer().start()
    client = openai.OpenAI(base_url=server.openai_base_url, api_key="sk-test", max_retries=0)
    # The SDK's connection pool keeps this connection alive; stop() must not wait on it.
    client.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
    start = time.monotonic()
    server.stop()
    server.stop()
    assert time.monotonic() - start < 1.0
    with pytest.raises(openai.APIConnectionError):
        client.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
