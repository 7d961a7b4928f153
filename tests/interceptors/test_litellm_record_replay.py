"""LiteLLM (`completion`, `acompletion`, `embedding`): record live, stop the server, replay, compare.

LiteLLM pins `openai<3`, so these tests run in the second CI leg (`.venv-openai2`); in the
main leg litellm is absent and they are skipped, unless TRACE_OPS_REQUIRE_LITELLM=1 is set
(the second leg sets it, so there a missing litellm fails instead of skipping).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from trace_ops import Recorder, Replayer, load_cassette
from trace_ops.testing import FakeLLMServer

if os.environ.get("TRACE_OPS_REQUIRE_LITELLM") != "1":
    pytest.importorskip(
        "litellm", reason="litellm needs openai<3: runs in the .venv-openai2 leg of ./dev test"
    )
import litellm

MESSAGES = [{"role": "user", "content": "What is the capital of France?"}]
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "search",
            "parameters": {
                "type": "object",
                "properties": {"query": {"type": "string"}},
                "required": ["query"],
            },
        },
    }
]


def dump(value: Any) -> Any:
    if isinstance(value, list):
        return [dump(v) for v in value]
    return (type(value).__name__, value.model_dump()) if hasattr(value, "model_dump") else value


def case(
    server: FakeLLMServer, *, provider: str, stream: bool, tools: bool, is_async: bool
) -> Callable[[], Any]:
    if provider == "openai":
        kwargs: dict[str, Any] = {"model": "openai/gpt-4o", "api_base": server.openai_base_url}
    else:
        kwargs = {"model": "anthropic/claude-test-1", "api_base": server.anthropic_base_url, "max_tokens": 64}
    kwargs.update(messages=MESSAGES, api_key="sk-test-litellm-key-0123456789", stream=stream)
    if tools:
        kwargs["tools"] = TOOLS

    def run_sync() -> Any:
        result = litellm.completion(**kwargs)
        return list(result) if stream else result

    async def run_async() -> Any:
        result = await litellm.acompletion(**kwargs)
        return [chunk async for chunk in result] if stream else result

    return (lambda: asyncio.run(run_async())) if is_async else run_sync


CELLS = [
    pytest.param(
        p,
        s,
        t,
        a,
        id=f"{p}-{'async' if a else 'sync'}-{'stream' if s else 'plain'}-{'tools' if t else 'text'}",
    )
    for p in ("openai", "anthropic")
    for a in (False, True)
    for s in (False, True)
    for t in (False, True)
]


@pytest.mark.parametrize(("provider", "stream", "tools", "is_async"), CELLS)
def test_litellm_matrix(
    provider: str, stream: bool, tools: bool, is_async: bool, fake_llm: FakeLLMServer, tmp_path: Path
) -> None:
    path = tmp_path / "ll.yaml"
    run = case(fake_llm, provider=provider, stream=stream, tools=tools, is_async=is_async)
    with Recorder(save_to=path) as rec:
        live = run()
    served = fake_llm.request_count
    assert served == 1
    # one LLM call is one event, although LiteLLM called the provider (SDK) underneath
    assert [(c.provider, c.is_stream) for c in rec.trace.llm_calls] == [("litellm", stream)]
    fake_llm.stop()
    with Replayer(path):
        replayed = run()
    assert dump(replayed) == dump(live)
    assert fake_llm.request_count == served
    if stream:
        assert isinstance(live, list) and all(type(c).__name__ == "ModelResponseStream" for c in replayed)
    else:
        assert isinstance(replayed, litellm.ModelResponse)
    view = load_cassette(path).llm_calls[0].view
    if tools and provider == "openai":
        assert view.tool_calls[0].name == "search" and view.tool_calls[0].arguments == {
            "query": MESSAGES[0]["content"]
        }
    elif not tools:
        assert view.text == "Echo: What is the capital of France?"
    assert "sk-test-litellm-key" not in path.read_text()


def test_replayed_stream_is_litellms_stream_wrapper(fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    kwargs: dict[str, Any] = {
        "model": "openai/gpt-4o",
        "messages": MESSAGES,
        "api_base": fake_llm.openai_base_url,
    }
    with Recorder(save_to=path):
        live = litellm.completion(api_key="sk-x", stream=True, **kwargs)
        live_chunks = list(live)
    fake_llm.stop()
    with Replayer(path):
        replayed = litellm.completion(api_key="sk-x", stream=True, **kwargs)
        assert isinstance(replayed, litellm.CustomStreamWrapper)
        chunks = list(replayed)
    rebuilt = litellm.stream_chunk_builder(chunks)
    assert rebuilt is not None
    assert (
        rebuilt.choices[0].message.content
        == litellm.stream_chunk_builder(live_chunks).choices[0].message.content
    )  # type: ignore[union-attr]


def test_embedding_replays_as_embedding_response(fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    path = tmp_path / "e.yaml"
    kwargs: dict[str, Any] = {"model": "openai/text-embedding-3-small", "input": ["alpha", "beta"]}
    kwargs.update(api_base=fake_llm.openai_base_url, api_key="sk-x")
    with Recorder(save_to=path) as rec:
        live = litellm.embedding(**kwargs)
    fake_llm.stop()
    with Replayer(path):
        replayed = litellm.embedding(**kwargs)
    assert isinstance(replayed, litellm.EmbeddingResponse)
    assert replayed.model_dump() == live.model_dump()
    assert rec.trace.llm_calls[0].endpoint == "embeddings"


def test_openai_sdk_under_litellm_still_records_on_its_own(fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    import openai

    client = openai.OpenAI(base_url=fake_llm.openai_base_url, api_key="sk-x", max_retries=0)
    with Recorder() as rec:
        litellm.completion(
            model="openai/gpt-4o", messages=MESSAGES, api_base=fake_llm.openai_base_url, api_key="k"
        )
        client.chat.completions.create(model="gpt-4o", messages=MESSAGES)  # type: ignore[arg-type]
    assert [c.provider for c in rec.trace.llm_calls] == ["litellm", "openai"]
    assert fake_llm.request_count == 2


def test_litellm_error_is_replayed(fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    path = tmp_path / "err.yaml"
    kwargs: dict[str, Any] = {
        "model": "openai/error-400",
        "messages": MESSAGES,
        "api_base": fake_llm.openai_base_url,
    }
    with Recorder(save_to=path), pytest.raises(litellm.BadRequestError) as live:
        litellm.completion(api_key="sk-x", num_retries=0, **kwargs)
    fake_llm.stop()
    with Replayer(path), pytest.raises(litellm.BadRequestError) as replayed:
        litellm.completion(api_key="sk-x", num_retries=0, **kwargs)
    assert "injected by fakellm" in str(live.value) and "injected by fakellm" in str(replayed.value)


class Capital(BaseModel):
    city: str
    population: int


def test_response_format_class_is_recorded_as_its_schema(fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    """`response_format=<pydantic class>` (DSPy's JSON adapter does this) records as the schema sent."""
    path = tmp_path / "rf.yaml"
    kwargs: dict[str, Any] = {"model": "openai/gpt-4o", "messages": MESSAGES, "response_format": Capital}
    kwargs.update(api_base=fake_llm.openai_base_url, api_key="sk-x")
    with Recorder(save_to=path) as rec:
        live = litellm.completion(**kwargs)
    assert Capital.model_validate_json(live.choices[0].message.content).city.startswith("Echo: ")
    sent = fake_llm.requests[0]["body"]["response_format"]
    assert sent["json_schema"]["name"] == "Capital" and sent["json_schema"]["strict"] is True
    assert rec.trace.llm_calls[0].request["response_format"] == sent
    assert load_cassette(path).llm_calls[0].request["response_format"] == sent
    fake_llm.stop()
    with Replayer(path) as rep:
        replayed = litellm.completion(**kwargs)
    assert replayed.choices[0].message.content == live.choices[0].message.content
    assert rep.replayed_count == 1 and fake_llm.request_count == 1
