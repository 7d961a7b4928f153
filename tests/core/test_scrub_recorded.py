"""Scrubbing real recordings: key names and legitimate words survive, and a key the model
streams in pieces is cut from every chunk it spans (the replayed stream still parses)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anthropic
import openai
import pytest

from trace_ops import Recorder, Replayer
from trace_ops.scrub import REDACTED
from trace_ops.testing import FakeLLMServer

KEY = "sk-proj-Zq8mW3xV7pL2nR9tK4bY6cH1"
TOKEN = "Zq8mW3xV7pL2nR9tK4bY6cH1aa"
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"query": {"type": "string"}, "password": {"type": "string"}, "secret": {"type": "string"}},
    "required": ["query"],
}
OPENAI_TOOLS: Any = [
    {"type": "function", "function": {"name": "login", "description": "Log in", "parameters": SCHEMA}}
]
RESPONSE_TOOLS: Any = [{"type": "function", "name": "login", "description": "Log in", "parameters": SCHEMA}]
ANTHROPIC_TOOLS: Any = [{"name": "login", "description": "Log in", "input_schema": SCHEMA}]
WORDS = "task-list-management-dashboard for the standard-bearer position"


def openai_client(fake_llm: FakeLLMServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=fake_llm.openai_base_url, api_key="sk-test-key", max_retries=0)


def anthropic_client(fake_llm: FakeLLMServer) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=fake_llm.anthropic_base_url, api_key="sk-ant-test", max_retries=0)


def test_an_openai_tool_schema_and_ordinary_words_survive(fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    path = tmp_path / "tools.yaml"
    messages: Any = [{"role": "user", "content": WORDS}]
    client = openai_client(fake_llm)
    with Recorder(save_to=path):
        live = client.chat.completions.create(model="gpt-4o", messages=messages, tools=OPENAI_TOOLS)
    text = path.read_text()
    assert '"password": {' in text and '"secret": {' in text and REDACTED not in text
    fake_llm.stop()
    with Replayer(path):
        replayed = client.chat.completions.create(model="gpt-4o", messages=messages, tools=OPENAI_TOOLS)
    assert replayed.model_dump() == live.model_dump()
    arguments = replayed.choices[0].message.tool_calls[0].function.arguments  # type: ignore[union-attr]
    assert json.loads(arguments) == {"query": WORDS}


def test_anthropic_tool_use_input_keys_and_schema_survive(fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    path = tmp_path / "tool_use.yaml"
    tool_use = {"type": "tool_use", "id": "toolu_1", "name": "login", "input": {"secret": "db-password-name"}}
    messages: Any = [
        {"role": "user", "content": "Which secret does the job read?"},
        {"role": "assistant", "content": [tool_use]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "ok"}]},
        {"role": "assistant", "content": "It reads one."},
        {"role": "user", "content": WORDS},
    ]
    client = anthropic_client(fake_llm)
    with Recorder(save_to=path):
        live = client.messages.create(
            model="claude-haiku-4-5", max_tokens=64, messages=messages, tools=ANTHROPIC_TOOLS
        )
    text = path.read_text()
    assert "secret: db-password-name" in text and '"password": {' in text and REDACTED not in text
    fake_llm.stop()
    with Replayer(path):
        replayed = client.messages.create(
            model="claude-haiku-4-5", max_tokens=64, messages=messages, tools=ANTHROPIC_TOOLS
        )
    assert replayed.model_dump() == live.model_dump()
    assert [b.input for b in replayed.content if b.type == "tool_use"] == [{"query": WORDS}]


def assert_cut(path: Path, *secrets: str) -> None:
    """No secret in the cassette, nor in what its stream's deltas join to."""
    text = path.read_text()
    assert REDACTED in text
    for secret in secrets:
        assert secret not in text and secret[:12] not in text


def test_an_openai_chat_stream_of_a_split_key_is_cut(fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    path = tmp_path / "chat.yaml"
    prompt = f"use {KEY} and Bearer {TOKEN} now"
    client = openai_client(fake_llm)
    with Recorder(save_to=path):
        live = list(
            client.chat.completions.create(
                model="gpt-4o", messages=[{"role": "user", "content": prompt}], stream=True
            )
        )
        tool = list(
            client.chat.completions.create(
                model="gpt-4o",
                messages=[{"role": "user", "content": prompt}],
                tools=OPENAI_TOOLS,
                stream=True,
            )
        )
    assert TOKEN in "".join(
        c.choices[0].delta.content or "" for c in live if c.choices
    )  # the live answer has it
    assert KEY in "".join(
        d.function.arguments or ""
        for c in tool
        if c.choices
        for d in c.choices[0].delta.tool_calls or ()
        if d.function
    )
    assert_cut(path, KEY, TOKEN)
    fake_llm.stop()
    with Replayer(path):
        text = "".join(
            c.choices[0].delta.content or ""
            for c in client.chat.completions.create(
                model="gpt-4o", messages=[{"role": "user", "content": prompt}], stream=True
            )
            if c.choices
        )
        arguments = "".join(
            d.function.arguments or ""
            for c in client.chat.completions.create(
                model="gpt-4o",
                messages=[{"role": "user", "content": prompt}],
                tools=OPENAI_TOOLS,
                stream=True,
            )
            if c.choices
            for d in c.choices[0].delta.tool_calls or ()
            if d.function
        )
    assert text.endswith(f"{REDACTED} now") and TOKEN not in text
    assert json.loads(arguments) == {"query": f"use {REDACTED} and {REDACTED} now"}


def test_a_responses_stream_of_a_split_key_is_cut(fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    path = tmp_path / "responses.yaml"
    prompt = f"use {KEY} and Bearer {TOKEN} now"
    client = openai_client(fake_llm)
    with Recorder(save_to=path):
        list(client.responses.create(model="gpt-4o", input=prompt, stream=True))
        list(client.responses.create(model="gpt-4o", input=prompt, tools=RESPONSE_TOOLS, stream=True))
    assert_cut(path, KEY, TOKEN)
    fake_llm.stop()
    with Replayer(path):
        events = list(client.responses.create(model="gpt-4o", input=prompt, stream=True))
        tool_events = list(
            client.responses.create(model="gpt-4o", input=prompt, tools=RESPONSE_TOOLS, stream=True)
        )
    text = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    arguments = "".join(e.delta for e in tool_events if e.type == "response.function_call_arguments.delta")
    assert text.endswith(f"{REDACTED} now") and TOKEN not in text
    assert REDACTED in arguments and KEY[:12] not in arguments


def test_an_anthropic_stream_of_a_split_key_is_cut(fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    path = tmp_path / "anthropic.yaml"
    messages: Any = [{"role": "user", "content": f"use {KEY} and Bearer {TOKEN} now"}]
    client = anthropic_client(fake_llm)
    kwargs: Any = {"model": "claude-haiku-4-5", "max_tokens": 64, "messages": messages, "stream": True}
    with Recorder(save_to=path):
        list(client.messages.create(**kwargs))
        list(client.messages.create(tools=ANTHROPIC_TOOLS, **kwargs))
    assert_cut(path, KEY, TOKEN)
    fake_llm.stop()
    with Replayer(path):
        events = list(client.messages.create(**kwargs))
        tool_events = list(client.messages.create(tools=ANTHROPIC_TOOLS, **kwargs))
    text = "".join(
        e.delta.text for e in events if e.type == "content_block_delta" and e.delta.type == "text_delta"
    )
    arguments = "".join(
        e.delta.partial_json
        for e in tool_events
        if e.type == "content_block_delta" and e.delta.type == "input_json_delta"
    )
    assert text.endswith(f"{REDACTED} now") and TOKEN not in text
    assert json.loads(arguments) == {"query": f"use {REDACTED} and {REDACTED} now"}


def test_a_litellm_stream_of_a_split_key_is_cut(fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    litellm = pytest.importorskip("litellm")  # the openai2 leg has it
    path = tmp_path / "litellm.yaml"
    kwargs: Any = {
        "model": "openai/gpt-4o",
        "api_base": fake_llm.openai_base_url,
        "messages": [{"role": "user", "content": f"use Bearer {TOKEN} now"}],
    }
    with Recorder(save_to=path):
        list(litellm.completion(api_key="sk-x", stream=True, **kwargs))
    assert_cut(path, TOKEN)
    fake_llm.stop()
    with Replayer(path):
        chunks = list(litellm.completion(api_key="sk-x", stream=True, **kwargs))
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text.endswith(f"{REDACTED} now") and TOKEN not in text


def test_kept_response_headers_are_scrubbed(fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    from trace_ops.cassette.save import dumps_cassette
    from trace_ops.trace import LLMCall, Trace

    call = LLMCall(
        provider="openai",
        endpoint="chat.completions",
        request={"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]},
        response={"choices": []},
        headers={"x-request-id": KEY},
    )
    text = dumps_cassette(Trace(events=[call]))
    assert KEY not in text and f"x-request-id: '{REDACTED}'" in text
