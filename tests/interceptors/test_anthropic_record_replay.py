"""Every Anthropic surface: record live against the fake server, stop it, replay, compare.

The replayed result must be the SDK's own type and equal (`model_dump()`) to the live one,
and the server must serve zero requests during replay. Each test replays through the client
that recorded (building an SDK client costs ~30 ms of CA loading): its pool still points at
the stopped server, so a request leaking past the replay would fail loudly.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import anthropic
import pytest
from anthropic.types import (
    Message,
    MessageTokensCount,
    RawContentBlockDeltaEvent,
    RawContentBlockStartEvent,
    RawContentBlockStopEvent,
    RawMessageDeltaEvent,
    RawMessageStartEvent,
    RawMessageStopEvent,
    TextBlock,
    ThinkingBlock,
    ToolUseBlock,
)

from trace_ops import Recorder, Replayer, load_cassette
from trace_ops.testing import FakeLLMServer

API_KEY = "sk-ant-test-key"
MODEL = "claude-haiku-4-5"
THINKING_MODEL = "claude-thinking-test"
SYSTEM = "You are a terse assistant.\nAnswer in one line.\nNever apologise."
QUESTION = "What is the capital of France?"
MESSAGES: list[Any] = [{"role": "user", "content": QUESTION}]
TOOLS: list[Any] = [
    {
        "name": "search",
        "description": "Search the web",
        "input_schema": {
            "type": "object",
            "properties": {"query": {"type": "string"}},
            "required": ["query"],
        },
    }
]
CACHED_SYSTEM: list[Any] = [
    {
        "type": "text",
        "text": "A long, stable preamble.\nWorth caching.",
        "cache_control": {"type": "ephemeral"},
    }
]
THINKING: Any = {"type": "enabled", "budget_tokens": 1024}
TOOL_RESULT = "Paris is the capital."
STREAM_EVENT_CLASSES = (
    RawMessageStartEvent,
    RawContentBlockStartEvent,
    RawContentBlockDeltaEvent,
    RawContentBlockStopEvent,
    RawMessageDeltaEvent,
    RawMessageStopEvent,
)
STREAM_EVENT_TYPES = {
    "message_start",
    "content_block_start",
    "content_block_delta",
    "content_block_stop",
    "message_delta",
    "message_stop",
}


def dump(value: Any) -> Any:
    """A comparable, type-tagged form of an SDK result (objects, lists of events, raw wrappers)."""
    if isinstance(value, list):
        return [dump(v) for v in value]
    if hasattr(value, "model_dump"):
        return (type(value).__name__, value.model_dump())
    return value


def _followup(first: Message) -> list[Any]:
    """The conversation after a tool_use answer: assistant content + the user's tool_result."""
    call = next(b for b in first.content if isinstance(b, ToolUseBlock))
    return [
        *MESSAGES,
        {"role": "assistant", "content": first.content},
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": call.id, "content": TOOL_RESULT}],
        },
    ]


def _check_tool_use(first: Message, second: Message) -> None:
    assert first.stop_reason == "tool_use"
    call = next(b for b in first.content if isinstance(b, ToolUseBlock))
    assert call.name == "search" and call.input == {"query": QUESTION}
    assert second.stop_reason == "end_turn"
    assert isinstance(second.content[-1], TextBlock) and TOOL_RESULT in second.content[-1].text


def _check_thinking(message: Message) -> None:
    block = message.content[0]
    assert isinstance(block, ThinkingBlock)
    assert block.thinking == "Thinking about it." and block.signature.startswith("sig_")


def _check_events(events: list[Any]) -> None:
    assert all(isinstance(e, STREAM_EVENT_CLASSES) for e in events)
    assert {e.type for e in events} == STREAM_EVENT_TYPES
    assert events[0].type == "message_start" and events[-1].type == "message_stop"


def _check_cache(message: Message) -> None:
    assert message.usage.cache_creation_input_tokens == 5
    assert message.usage.cache_read_input_tokens == 3


# -------------------------------------------------------------------- sync scenarios


def messages_plain(c: anthropic.Anthropic) -> Message:
    result = c.messages.create(model=MODEL, max_tokens=256, system=SYSTEM, messages=MESSAGES)
    assert isinstance(result, Message) and result._request_id
    return result


def messages_tool_use(c: anthropic.Anthropic) -> Any:
    first = c.messages.create(model=MODEL, max_tokens=256, system=SYSTEM, messages=MESSAGES, tools=TOOLS)
    second = c.messages.create(
        model=MODEL, max_tokens=256, system=SYSTEM, messages=_followup(first), tools=TOOLS
    )
    _check_tool_use(first, second)
    return [first, second]


def messages_stream_raw(c: anthropic.Anthropic) -> Any:
    events = list(
        c.messages.create(model=MODEL, max_tokens=256, system=SYSTEM, messages=MESSAGES, stream=True)
    )
    _check_events(events)
    return events


def messages_stream_raw_tool_use(c: anthropic.Anthropic) -> Any:
    stream = c.messages.create(model=MODEL, max_tokens=256, messages=MESSAGES, tools=TOOLS, stream=True)
    with stream:
        return list(stream)


def messages_stream_helper(c: anthropic.Anthropic) -> Any:
    with c.messages.stream(model=MODEL, max_tokens=256, system=SYSTEM, messages=MESSAGES) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
        final_text = stream.get_final_text()
    assert text == final_text == f"Echo: {QUESTION}"
    return [text, final, final_text]


def messages_thinking(c: anthropic.Anthropic) -> Message:
    result = c.messages.create(model=THINKING_MODEL, max_tokens=2048, thinking=THINKING, messages=MESSAGES)
    _check_thinking(result)
    return result


def messages_thinking_stream(c: anthropic.Anthropic) -> Any:
    with c.messages.stream(
        model=THINKING_MODEL, max_tokens=2048, thinking=THINKING, messages=MESSAGES
    ) as stream:
        final = stream.get_final_message()
    _check_thinking(final)
    return final


def messages_cache(c: anthropic.Anthropic) -> Message:
    result = c.messages.create(model=MODEL, max_tokens=256, system=CACHED_SYSTEM, messages=MESSAGES)
    _check_cache(result)
    return result


def count_tokens(c: anthropic.Anthropic) -> Any:
    result = c.messages.count_tokens(model=MODEL, system=SYSTEM, messages=MESSAGES)
    assert isinstance(result, MessageTokensCount) and result.input_tokens > 0
    return result


def raw_response(c: anthropic.Anthropic) -> Any:
    raw = c.messages.with_raw_response.create(model=MODEL, max_tokens=256, system=SYSTEM, messages=MESSAGES)
    parsed = raw.parse()
    assert isinstance(parsed, Message)
    assert raw.http_response.status_code == 200
    return [raw.headers.get("request-id"), parsed, parsed._request_id]


SYNC_SCENARIOS: dict[str, Callable[[anthropic.Anthropic], Any]] = {
    f.__name__: f
    for f in (
        messages_plain,
        messages_tool_use,
        messages_stream_raw,
        messages_stream_raw_tool_use,
        messages_stream_helper,
        messages_thinking,
        messages_thinking_stream,
        messages_cache,
        count_tokens,
        raw_response,
    )
}


# -------------------------------------------------------------------- async scenarios


async def amessages_plain(c: anthropic.AsyncAnthropic) -> Any:
    result = await c.messages.create(model=MODEL, max_tokens=256, system=SYSTEM, messages=MESSAGES)
    assert isinstance(result, Message)
    return result


async def amessages_tool_use(c: anthropic.AsyncAnthropic) -> Any:
    first = await c.messages.create(
        model=MODEL, max_tokens=256, system=SYSTEM, messages=MESSAGES, tools=TOOLS
    )
    second = await c.messages.create(
        model=MODEL, max_tokens=256, system=SYSTEM, messages=_followup(first), tools=TOOLS
    )
    _check_tool_use(first, second)
    return [first, second]


async def amessages_stream_raw(c: anthropic.AsyncAnthropic) -> Any:
    stream = await c.messages.create(
        model=MODEL, max_tokens=256, system=SYSTEM, messages=MESSAGES, stream=True
    )
    events = [event async for event in stream]
    _check_events(events)
    return events


async def amessages_stream_raw_tool_use(c: anthropic.AsyncAnthropic) -> Any:
    stream = await c.messages.create(model=MODEL, max_tokens=256, messages=MESSAGES, tools=TOOLS, stream=True)
    async with stream:
        return [event async for event in stream]


async def amessages_stream_helper(c: anthropic.AsyncAnthropic) -> Any:
    async with c.messages.stream(model=MODEL, max_tokens=256, system=SYSTEM, messages=MESSAGES) as stream:
        text = "".join([t async for t in stream.text_stream])
        final = await stream.get_final_message()
        final_text = await stream.get_final_text()
    assert text == final_text == f"Echo: {QUESTION}"
    return [text, final, final_text]


async def amessages_thinking(c: anthropic.AsyncAnthropic) -> Any:
    result = await c.messages.create(
        model=THINKING_MODEL, max_tokens=2048, thinking=THINKING, messages=MESSAGES
    )
    _check_thinking(result)
    return result


async def amessages_thinking_stream(c: anthropic.AsyncAnthropic) -> Any:
    async with c.messages.stream(
        model=THINKING_MODEL, max_tokens=2048, thinking=THINKING, messages=MESSAGES
    ) as stream:
        final = await stream.get_final_message()
    _check_thinking(final)
    return final


async def amessages_cache(c: anthropic.AsyncAnthropic) -> Any:
    result = await c.messages.create(model=MODEL, max_tokens=256, system=CACHED_SYSTEM, messages=MESSAGES)
    _check_cache(result)
    return result


async def acount_tokens(c: anthropic.AsyncAnthropic) -> Any:
    result = await c.messages.count_tokens(model=MODEL, system=SYSTEM, messages=MESSAGES)
    assert isinstance(result, MessageTokensCount)
    return result


async def araw_response(c: anthropic.AsyncAnthropic) -> Any:
    raw = await c.messages.with_raw_response.create(
        model=MODEL, max_tokens=256, system=SYSTEM, messages=MESSAGES
    )
    parsed = await raw.parse()
    assert isinstance(parsed, Message)
    return [raw.headers.get("request-id"), parsed, parsed._request_id]


ASYNC_SCENARIOS: dict[str, Callable[[anthropic.AsyncAnthropic], Awaitable[Any]]] = {
    f.__name__: f
    for f in (
        amessages_plain,
        amessages_tool_use,
        amessages_stream_raw,
        amessages_stream_raw_tool_use,
        amessages_stream_helper,
        amessages_thinking,
        amessages_thinking_stream,
        amessages_cache,
        acount_tokens,
        araw_response,
    )
}


def _client(server: FakeLLMServer) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=server.anthropic_base_url, api_key=API_KEY, max_retries=0)


def _aclient(server: FakeLLMServer) -> anthropic.AsyncAnthropic:
    return anthropic.AsyncAnthropic(base_url=server.anthropic_base_url, api_key=API_KEY, max_retries=0)


def _assert_no_key(path: Path) -> None:
    assert API_KEY not in path.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", list(SYNC_SCENARIOS))
def test_sync_replay_equals_live(name: str, fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    scenario = SYNC_SCENARIOS[name]
    path = tmp_path / f"{name}.yaml"
    client = _client(fake_llm)
    with Recorder(save_to=path) as rec:
        live = scenario(client)
    served = fake_llm.request_count
    assert served >= 1
    assert rec.trace.total_llm_calls == served
    assert all(call.provider == "anthropic" for call in rec.trace.llm_calls)
    fake_llm.stop()
    _assert_no_key(path)

    with Replayer(path) as rep:
        replayed = scenario(client)

    assert dump(replayed) == dump(live)
    assert fake_llm.request_count == served  # nothing reached the (stopped) server
    assert rep.trace.total_llm_calls == served
    assert load_cassette(path).trajectory == rec.trace.trajectory


@pytest.mark.parametrize("name", list(ASYNC_SCENARIOS))
async def test_async_replay_equals_live(name: str, fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    scenario = ASYNC_SCENARIOS[name]
    path = tmp_path / f"{name}.yaml"
    client = _aclient(fake_llm)
    async with Recorder(save_to=path) as rec:
        live = await scenario(client)
    served = fake_llm.request_count
    assert rec.trace.total_llm_calls == served >= 1
    fake_llm.stop()
    _assert_no_key(path)

    async with Replayer(path) as rep:
        replayed = await scenario(client)

    assert dump(replayed) == dump(live)
    assert fake_llm.request_count == served
    assert rep.trace.total_llm_calls == served


# -------------------------------------------------------------------- the recorded trace
# These tests inspect what was recorded; they share one server and client (module-scoped) and
# prove replay stayed offline by the server's request count instead of stopping it.


@pytest.fixture(scope="module")
def shared() -> Iterator[tuple[FakeLLMServer, anthropic.Anthropic]]:
    server = FakeLLMServer().start()
    client = _client(server)
    try:
        yield server, client
    finally:
        client.close()
        server.stop()


def test_view_of_plain_call(shared: tuple[FakeLLMServer, anthropic.Anthropic], tmp_path: Path) -> None:
    _server, client = shared
    path = tmp_path / "plain.yaml"
    with Recorder(save_to=path):
        live = messages_plain(client)
    call = load_cassette(path).llm_calls[0]
    assert (call.provider, call.endpoint, call.model) == ("anthropic", "messages", MODEL)
    assert call.request["system"] == SYSTEM
    text = path.read_text(encoding="utf-8")
    assert "\\n" not in text.split("response:")[0]  # the multi-line prompt is a readable block scalar
    assert all(f" {line}\n" in text for line in SYSTEM.splitlines())
    view = call.view
    assert isinstance(live.content[0], TextBlock)
    assert view.text == f"Echo: {QUESTION}" == live.content[0].text
    assert view.tool_calls == ()
    assert view.finish_reason == "end_turn"
    assert view.model == MODEL
    assert view.usage is not None
    assert view.usage.input_tokens == live.usage.input_tokens
    assert view.usage.output_tokens == live.usage.output_tokens
    _assert_no_key(path)


def test_view_of_tool_use_calls(shared: tuple[FakeLLMServer, anthropic.Anthropic], tmp_path: Path) -> None:
    _server, client = shared
    path = tmp_path / "tools.yaml"
    with Recorder(save_to=path):
        first, _second = messages_tool_use(client)
    first_call, second_call = load_cassette(path).llm_calls
    view = first_call.view
    assert view.finish_reason == "tool_use"
    assert view.text == "Let me look that up."
    assert len(view.tool_calls) == 1
    tool_call = view.tool_calls[0]
    assert tool_call.name == "search"
    assert tool_call.arguments == {"query": QUESTION}
    assert tool_call.id == next(b.id for b in first.content if isinstance(b, ToolUseBlock))
    assert second_call.view.text == f"Based on the tool result: {TOOL_RESULT}"
    assert second_call.view.finish_reason == "end_turn"
    # the tool_result went out in the second request, and is kept in the cassette's prompt
    assert second_call.request["messages"][-1]["content"][0]["type"] == "tool_result"
    _assert_no_key(path)


def test_cassette_request_is_the_wire_body(
    shared: tuple[FakeLLMServer, anthropic.Anthropic], tmp_path: Path
) -> None:
    """The recorded request (what the fingerprint hashes) is exactly the JSON the SDK sent.

    Not the SDK's unprepared arguments: no `omit` sentinels (their repr holds a memory address,
    so a fingerprint over them differs in every process), no fields the SDK leaves out.
    """
    server, client = shared
    path = tmp_path / "wire.yaml"
    before = len(server.requests)
    with Recorder(save_to=path) as rec:
        messages_plain(client)
        messages_tool_use(client)
        count_tokens(client)
    sent = [r["body"] for r in server.requests[before:]]
    assert len(sent) == 4
    assert [call.request for call in rec.trace.llm_calls] == sent
    assert [call.request for call in load_cassette(path).llm_calls] == sent
    assert "Omit object" not in path.read_text(encoding="utf-8")


@pytest.mark.parametrize("tools", [False, True], ids=["text", "tool_use"])
def test_view_of_stream_call(
    tools: bool, shared: tuple[FakeLLMServer, anthropic.Anthropic], tmp_path: Path
) -> None:
    _server, client = shared
    path = tmp_path / "stream.yaml"
    with Recorder(save_to=path) as rec:
        events = (messages_stream_raw_tool_use if tools else messages_stream_raw)(client)
    recorded = rec.trace.llm_calls[0]
    assert recorded.is_stream and not recorded.incomplete
    assert recorded.ttft_ms is not None and recorded.duration_ms is not None
    text = "".join(
        e.delta.text for e in events if e.type == "content_block_delta" and e.delta.type == "text_delta"
    )
    call = load_cassette(path).llm_calls[0]
    assert call.stream is not None and "event: message_stop" in call.stream
    view = call.view
    assert view.text == text
    assert view.model == MODEL
    assert view.usage is not None and view.usage.output_tokens == events[-2].usage.output_tokens
    if tools:
        assert view.finish_reason == "tool_use"
        assert [(t.name, t.arguments) for t in view.tool_calls] == [("search", {"query": QUESTION})]
    else:
        assert view.text == f"Echo: {QUESTION}"
        assert view.finish_reason == "end_turn" and view.tool_calls == ()
    _assert_no_key(path)


def test_abandoned_stream_is_saved_incomplete(
    shared: tuple[FakeLLMServer, anthropic.Anthropic], tmp_path: Path
) -> None:
    _server, client = shared
    path = tmp_path / "partial.yaml"
    with Recorder(save_to=path):
        stream = client.messages.create(model=MODEL, max_tokens=256, messages=MESSAGES, stream=True)
        first = next(iter(stream))
        stream.close()
    assert first.type == "message_start"
    call = load_cassette(path).llm_calls[0]
    assert call.incomplete
    assert call.stream and "event: message_stop" not in call.stream


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
def test_cache_usage_is_kept_separately(
    stream: bool, shared: tuple[FakeLLMServer, anthropic.Anthropic], tmp_path: Path
) -> None:
    server, client = shared
    path = tmp_path / "cache.yaml"

    def run() -> Message:
        if not stream:
            return messages_cache(client)
        with client.messages.stream(
            model=MODEL, max_tokens=256, system=CACHED_SYSTEM, messages=MESSAGES
        ) as s:
            return s.get_final_message()

    with Recorder(save_to=path) as rec:
        live = run()
    served = server.request_count
    with Replayer(path):
        replayed = run()
    assert server.request_count == served

    _check_cache(live)
    assert replayed.usage.model_dump() == live.usage.model_dump()
    assert replayed.usage.cache_creation_input_tokens == live.usage.cache_creation_input_tokens
    assert replayed.usage.cache_read_input_tokens == live.usage.cache_read_input_tokens
    for call in (rec.trace.llm_calls[0], load_cassette(path).llm_calls[0]):
        usage = call.usage
        assert usage is not None
        assert usage.cache_write_tokens == live.usage.cache_creation_input_tokens == 5
        assert usage.cached_tokens == live.usage.cache_read_input_tokens == 3
        assert usage.input_tokens == live.usage.input_tokens
        assert usage.output_tokens == live.usage.output_tokens


def test_thinking_block_is_kept_as_it_came(
    shared: tuple[FakeLLMServer, anthropic.Anthropic], tmp_path: Path
) -> None:
    server, client = shared
    path = tmp_path / "thinking.yaml"
    with Recorder(save_to=path):
        live = messages_thinking(client)
    served = server.request_count
    with Replayer(path):
        replayed = messages_thinking(client)
    assert server.request_count == served
    assert [b.type for b in replayed.content] == ["thinking", "text"]
    assert replayed.content[0] == live.content[0]
    call = load_cassette(path).llm_calls[0]
    assert isinstance(live.content[0], ThinkingBlock)
    assert call.response["content"][0]["signature"] == live.content[0].signature
    assert call.view.text == f"Echo: {QUESTION}"  # the neutral view is the answer, not the thinking


# -------------------------------------------------------------------- errors


def test_http_error_is_recorded_and_replayed_as_sdk_error(fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    path = tmp_path / "error.yaml"
    client = _client(fake_llm)
    with Recorder(save_to=path), pytest.raises(anthropic.RateLimitError) as live:
        client.messages.create(model="error-429", max_tokens=16, messages=MESSAGES)
    served = fake_llm.request_count
    fake_llm.stop()
    with Replayer(path), pytest.raises(anthropic.RateLimitError) as replayed:
        client.messages.create(model="error-429", max_tokens=16, messages=MESSAGES)
    assert live.value.status_code == replayed.value.status_code == 429
    assert replayed.value.body == live.value.body
    assert str(replayed.value) == str(live.value)
    assert fake_llm.request_count == served == 1
    call = load_cassette(path).llm_calls[0]
    assert call.status == 429 and call.view.finish_reason == "error"
    _assert_no_key(path)


async def test_async_http_error_is_recorded_and_replayed(fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    path = tmp_path / "aerror.yaml"
    client = _aclient(fake_llm)
    async with Recorder(save_to=path):
        with pytest.raises(anthropic.RateLimitError) as live:
            await client.messages.create(model="error-429", max_tokens=16, messages=MESSAGES)
    served = fake_llm.request_count
    fake_llm.stop()
    async with Replayer(path):
        with pytest.raises(anthropic.RateLimitError) as replayed:
            await client.messages.create(model="error-429", max_tokens=16, messages=MESSAGES)
    assert replayed.value.status_code == 429
    assert replayed.value.body == live.value.body
    assert fake_llm.request_count == served
