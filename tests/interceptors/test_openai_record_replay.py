"""Every OpenAI surface: record live against the fake server, stop it, replay, compare.

The replayed result must be the SDK's own type and equal (`model_dump()`) to the live one,
and the server must serve zero requests during replay.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import openai
import pytest
from openai.types import CreateEmbeddingResponse
from openai.types.chat import ChatCompletion, ChatCompletionChunk
from openai.types.responses import Response
from pydantic import BaseModel

from trace_ops import Recorder, Replayer, load_cassette
from trace_ops.testing import FakeLLMServer

MESSAGES = [
    {"role": "system", "content": "You are a terse assistant.\nAnswer in one line."},
    {"role": "user", "content": "What is the capital of France?"},
]
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "search",
            "description": "Search the web",
            "parameters": {
                "type": "object",
                "properties": {"query": {"type": "string"}},
                "required": ["query"],
            },
        },
    }
]
RESPONSE_TOOLS = [
    {
        "type": "function",
        "name": "search",
        "description": "Search the web",
        "parameters": {"type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"]},
    }
]
USAGE = {"include_usage": True}


def dump(value: Any) -> Any:
    """A comparable, type-tagged form of an SDK result (objects, lists of chunks, raw wrappers)."""
    if isinstance(value, list):
        return [dump(v) for v in value]
    if hasattr(value, "model_dump"):
        return (type(value).__name__, value.model_dump())
    return value


# -------------------------------------------------------------------- sync scenarios


def chat_plain(c: openai.OpenAI) -> Any:
    result = c.chat.completions.create(model="gpt-4o", messages=MESSAGES, temperature=0)
    assert isinstance(result, ChatCompletion)
    return result


def chat_tools(c: openai.OpenAI) -> Any:
    first = c.chat.completions.create(model="gpt-4o", messages=MESSAGES, tools=TOOLS)
    call = first.choices[0].message.tool_calls[0]
    followup = [
        *MESSAGES,
        first.choices[0].message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call.id, "content": "Paris is the capital."},
    ]
    second = c.chat.completions.create(model="gpt-4o", messages=followup, tools=TOOLS)
    assert first.choices[0].finish_reason == "tool_calls"
    assert "Paris" in (second.choices[0].message.content or "")
    return [first, second]


def chat_stream(c: openai.OpenAI) -> Any:
    chunks = list(
        c.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True, stream_options=USAGE)
    )
    assert all(isinstance(ch, ChatCompletionChunk) for ch in chunks)
    assert chunks[-1].usage is not None
    return chunks


def chat_stream_tools(c: openai.OpenAI) -> Any:
    return list(c.chat.completions.create(model="gpt-4o", messages=MESSAGES, tools=TOOLS, stream=True))


def chat_stream_context_manager(c: openai.OpenAI) -> Any:
    with c.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True) as stream:
        return list(stream)


def chat_stream_helper(c: openai.OpenAI) -> Any:
    with c.chat.completions.stream(model="gpt-4o", messages=MESSAGES) as stream:
        events = [e.type for e in stream]
        final = stream.get_final_completion()
    return [events, final]


def chat_raw_response(c: openai.OpenAI) -> Any:
    raw = c.chat.completions.with_raw_response.create(model="gpt-4o", messages=MESSAGES)
    parsed = raw.parse()
    assert isinstance(parsed, ChatCompletion)
    return [raw.headers.get("x-request-id"), parsed, parsed._request_id]


class Answer(BaseModel):
    answer: str
    length: int


def chat_parse_structured_output(c: openai.OpenAI) -> Any:
    result = c.chat.completions.parse(model="gpt-4o", messages=MESSAGES, response_format=Answer)
    parsed = result.choices[0].message.parsed
    assert isinstance(parsed, Answer) and parsed.answer.startswith("Echo: ")
    return [result, parsed]


def chat_streaming_response(c: openai.OpenAI) -> Any:
    with c.chat.completions.with_streaming_response.create(model="gpt-4o", messages=MESSAGES) as response:
        assert response.headers.get("x-request-id")
        return [list(response.iter_lines()), response.http_request.url.path]


def responses_plain(c: openai.OpenAI) -> Any:
    result = c.responses.create(
        model="gpt-4o", input="What is the capital of France?", instructions="Be terse."
    )
    assert isinstance(result, Response) and result.output_text
    return result


def responses_tools(c: openai.OpenAI) -> Any:
    return c.responses.create(model="gpt-4o", input="weather in Paris", tools=RESPONSE_TOOLS)  # type: ignore[arg-type]


def responses_stream(c: openai.OpenAI) -> Any:
    return list(c.responses.create(model="gpt-4o", input="Tell me a story", stream=True))


def responses_stream_helper(c: openai.OpenAI) -> Any:
    with c.responses.stream(model="gpt-4o", input="Tell me a story") as stream:
        deltas = [e.delta for e in stream if e.type == "response.output_text.delta"]
        final = stream.get_final_response()
    return [deltas, final]


def embeddings(c: openai.OpenAI) -> Any:
    result = c.embeddings.create(model="text-embedding-3-small", input=["alpha", "beta"])
    assert isinstance(result, CreateEmbeddingResponse) and len(result.data[0].embedding) == 8
    return result


SYNC_SCENARIOS: dict[str, Callable[[openai.OpenAI], Any]] = {
    f.__name__: f
    for f in (
        chat_plain,
        chat_tools,
        chat_stream,
        chat_stream_tools,
        chat_stream_context_manager,
        chat_stream_helper,
        chat_raw_response,
        chat_parse_structured_output,
        chat_streaming_response,
        responses_plain,
        responses_tools,
        responses_stream,
        responses_stream_helper,
        embeddings,
    )
}


# -------------------------------------------------------------------- async scenarios


async def achat_plain(c: openai.AsyncOpenAI) -> Any:
    return await c.chat.completions.create(model="gpt-4o", messages=MESSAGES)


async def achat_tools(c: openai.AsyncOpenAI) -> Any:
    return await c.chat.completions.create(model="gpt-4o", messages=MESSAGES, tools=TOOLS)


async def achat_stream(c: openai.AsyncOpenAI) -> Any:
    stream = await c.chat.completions.create(
        model="gpt-4o", messages=MESSAGES, stream=True, stream_options=USAGE
    )
    return [chunk async for chunk in stream]


async def achat_stream_tools(c: openai.AsyncOpenAI) -> Any:
    stream = await c.chat.completions.create(model="gpt-4o", messages=MESSAGES, tools=TOOLS, stream=True)
    async with stream:
        return [chunk async for chunk in stream]


async def aresponses_plain(c: openai.AsyncOpenAI) -> Any:
    return await c.responses.create(model="gpt-4o", input="What is the capital of France?")


async def aresponses_stream(c: openai.AsyncOpenAI) -> Any:
    stream = await c.responses.create(model="gpt-4o", input="Tell me a story", stream=True)
    return [event async for event in stream]


async def aembeddings(c: openai.AsyncOpenAI) -> Any:
    return await c.embeddings.create(model="text-embedding-3-small", input="alpha")


ASYNC_SCENARIOS: dict[str, Callable[[openai.AsyncOpenAI], Awaitable[Any]]] = {
    f.__name__: f
    for f in (
        achat_plain,
        achat_tools,
        achat_stream,
        achat_stream_tools,
        aresponses_plain,
        aresponses_stream,
        aembeddings,
    )
}


def _client(server: FakeLLMServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.openai_base_url, api_key="sk-test-key", max_retries=0)


def _aclient(server: FakeLLMServer) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=server.openai_base_url, api_key="sk-test-key", max_retries=0)


@pytest.mark.parametrize("name", list(SYNC_SCENARIOS))
def test_sync_replay_equals_live(name: str, fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    scenario = SYNC_SCENARIOS[name]
    path = tmp_path / f"{name}.yaml"
    with Recorder(save_to=path) as rec:
        live = scenario(_client(fake_llm))
    served = fake_llm.request_count
    assert served >= 1
    assert rec.trace.total_llm_calls == served
    fake_llm.stop()

    with Replayer(path) as rep:
        replayed = scenario(_client(fake_llm))

    assert dump(replayed) == dump(live)
    assert fake_llm.request_count == served  # nothing reached the (stopped) server
    assert rep.trace.total_llm_calls == served
    assert load_cassette(path).trajectory == rec.trace.trajectory


@pytest.mark.parametrize("name", list(ASYNC_SCENARIOS))
async def test_async_replay_equals_live(name: str, fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    scenario = ASYNC_SCENARIOS[name]
    path = tmp_path / f"{name}.yaml"
    async with Recorder(save_to=path):
        live = await scenario(_aclient(fake_llm))
    served = fake_llm.request_count
    fake_llm.stop()

    async with Replayer(path):
        replayed = await scenario(_aclient(fake_llm))

    assert dump(replayed) == dump(live)
    assert fake_llm.request_count == served


def test_streamed_cassette_keeps_chunks_and_usage(fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    path = tmp_path / "stream.yaml"
    with Recorder(save_to=path) as rec:
        chunks = chat_stream(_client(fake_llm))
    call = rec.trace.llm_calls[0]
    assert call.is_stream and not call.incomplete
    assert call.ttft_ms is not None and call.duration_ms is not None and call.ttft_ms <= call.duration_ms
    text = "".join(ch.choices[0].delta.content or "" for ch in chunks if ch.choices)
    loaded = load_cassette(path).llm_calls[0]
    assert loaded.view.text == text
    assert loaded.usage is not None and loaded.usage.output_tokens == chunks[-1].usage.completion_tokens  # type: ignore[union-attr]


def test_abandoned_stream_is_saved_incomplete(fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    path = tmp_path / "partial.yaml"
    with Recorder(save_to=path):
        stream = _client(fake_llm).chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True)
        first = next(iter(stream))
        stream.close()
    assert first.choices[0].delta.role == "assistant"
    call = load_cassette(path).llm_calls[0]
    assert call.incomplete
    assert call.stream and "[DONE]" not in call.stream


def test_http_error_is_recorded_and_replayed_as_sdk_error(fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    path = tmp_path / "error.yaml"
    with Recorder(save_to=path), pytest.raises(openai.RateLimitError) as live:
        _client(fake_llm).chat.completions.create(model="error-429", messages=MESSAGES)
    fake_llm.stop()
    with Replayer(path), pytest.raises(openai.RateLimitError) as replayed:
        _client(fake_llm).chat.completions.create(model="error-429", messages=MESSAGES)
    assert replayed.value.status_code == 429
    assert replayed.value.body == live.value.body
    assert str(replayed.value) == str(live.value)


def test_connection_error_is_replayed(tmp_path: Path) -> None:
    path = tmp_path / "down.yaml"
    client = openai.OpenAI(base_url="http://127.0.0.1:9/v1", api_key="sk-test", max_retries=0)
    with Recorder(save_to=path), pytest.raises(openai.APIConnectionError):
        client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    with Replayer(path), pytest.raises(openai.APIConnectionError):
        client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    assert load_cassette(path).llm_calls[0].error is not None


def test_gather_of_concurrent_calls_replays_each_answer(fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    path = tmp_path / "gather.yaml"
    questions = [f"question {i}" for i in range(20)] + ["same"] * 5

    async def run(client: openai.AsyncOpenAI) -> list[str]:
        results = await asyncio.gather(
            *(
                client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": q}])
                for q in questions
            )
        )
        return [r.choices[0].message.content or "" for r in results]

    async def main() -> tuple[list[str], list[str]]:
        async with Recorder(save_to=path):
            live = await run(_aclient(fake_llm))
        fake_llm.stop()
        async with Replayer(path):
            replayed = await run(_aclient(fake_llm))
        return live, replayed

    live, replayed = asyncio.run(main())
    assert replayed == live
    assert live[0] == "Echo: question 0"


@pytest.mark.parametrize(
    "name", ["chat_plain", "chat_raw_response", "chat_parse_structured_output", "embeddings"]
)
def test_replay_from_the_parse_cache_equals_live(name: str, fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    """The second load of a cassette comes from the parse cache, where a wire answer stays JSON
    text until read and replay hands that text to the SDK as it is."""
    from trace_ops.trace import JSONText

    scenario = SYNC_SCENARIOS[name]
    path = tmp_path / f"{name}.yaml"
    with Recorder(save_to=path):
        live = scenario(_client(fake_llm))
    fake_llm.stop()
    with Replayer(path):  # first load: parsed from YAML
        scenario(_client(fake_llm))
    cached = load_cassette(path).llm_calls[0]
    assert type(cached.__dict__["response"]) is JSONText
    with Replayer(path):
        replayed = scenario(_client(fake_llm))
    assert dump(replayed) == dump(live)
