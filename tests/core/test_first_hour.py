"""What a new user meets in the first hour: clean re-record diffs, `new_episodes` that keeps
what was recorded, and VCR.py cassettes told apart from ours (issue 17 §2-§4)."""

from __future__ import annotations

import difflib
import json
import re
from pathlib import Path
from typing import Any

import anthropic
import openai
import pytest

import trace_ops
from trace_ops import CassetteError, Recorder, Replayer, load_cassette
from trace_ops.session import Session
from trace_ops.testing import FakeLLMServer

#: The only keys whose values may change when an unchanged conversation is recorded again.
TIMING_KEYS = ("started_at", "duration_ms", "created_at", "ttft_ms")

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "lookup",
            "description": "Look a city up.",
            "parameters": {"type": "object", "properties": {"query": {"type": "string"}}},
        },
    }
]


@trace_ops.tool
def lookup(query: str) -> dict[str, Any]:
    return {"query": query, "population": 513_275}


def conversation(server: FakeLLMServer) -> None:
    """An agent run over several surfaces: plain, tools, stream (OpenAI), stream (Anthropic)."""
    oa = openai.OpenAI(base_url=server.openai_base_url, api_key="sk-test-0123456789abcdef", max_retries=0)
    an = anthropic.Anthropic(base_url=server.anthropic_base_url, api_key="sk-ant-test-0123", max_retries=0)
    messages: list[Any] = [{"role": "user", "content": "How many people live in Lyon?"}]
    first = oa.chat.completions.create(model="gpt-4o", messages=messages, tools=TOOLS)
    call = (first.choices[0].message.tool_calls or [None])[0]
    assert call is not None and call.type == "function"
    result = lookup(**json.loads(call.function.arguments))
    messages += [
        first.choices[0].message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call.id, "content": json.dumps(result)},
    ]
    oa.chat.completions.create(model="gpt-4o", messages=messages)
    for _ in oa.chat.completions.create(model="gpt-4o", messages=messages, stream=True):
        pass
    with an.messages.stream(
        model="claude-test-1", max_tokens=64, messages=[{"role": "user", "content": "Summarize."}]
    ) as stream:
        stream.get_final_text()


def changed_keys(old: str, new: str) -> set[str]:
    keys = set()
    for line in difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=0):
        if line.startswith(("---", "+++", "@@")):
            continue
        match = re.match(r"[-+]\s*(?:- )?([A-Za-z_]+):", line)
        keys.add(match.group(1) if match else line)
    return keys


def test_rerecording_an_unchanged_conversation_changes_only_timing(
    fake_llm: FakeLLMServer, tmp_path: Path
) -> None:
    path = tmp_path / "cassettes" / "agent.yaml"
    with Recorder(save_to=path) as first:
        conversation(fake_llm)
    before = path.read_text()
    with Recorder(save_to=path) as second:
        conversation(fake_llm)
    after = path.read_text()
    assert before != after  # timing moved
    assert changed_keys(before, after) <= set(TIMING_KEYS), changed_keys(before, after)
    assert first.trace.id == second.trace.id == load_cassette(path).id
    assert re.fullmatch(r"[0-9a-f]{16}", load_cassette(path).id)


def test_trace_id_follows_the_conversation_and_the_cassette_name(
    fake_llm: FakeLLMServer, tmp_path: Path
) -> None:
    ids = []
    for name, question in (("a.yaml", "one"), ("b.yaml", "one"), ("c.yaml", "two")):
        with Recorder(save_to=tmp_path / name) as rec:
            ask(fake_llm, question)
        ids.append(rec.trace.id)
    assert len(set(ids)) == 3


# ------------------------------------------------------------------ new_episodes


def ask(server: FakeLLMServer, question: str) -> str:
    client = openai.OpenAI(base_url=server.openai_base_url, api_key="sk-x", max_retries=0)
    reply = client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": question}])
    return reply.choices[0].message.content or ""


def prompts(path: Path) -> list[str]:
    return [c.request["messages"][0]["content"] for c in load_cassette(path).llm_calls]


def test_new_episodes_keeps_calls_this_run_did_not_make(fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    with Recorder(save_to=path):
        ask(fake_llm, "A")
        lookup(query="Lyon")
        ask(fake_llm, "B")
    with Session(path, record_mode="new_episodes") as session:
        assert ask(fake_llm, "A") == "Echo: A"
        lookup(query="Lyon")  # runs again with the same input and output: not appended twice
        assert ask(fake_llm, "C") == "Echo: C"
    assert (session.replayed_count, session.recorded_count, fake_llm.request_count) == (1, 1, 3)
    assert prompts(path) == ["A", "B", "C"]  # VCR.py's rule: keep everything, append the new
    saved = load_cassette(path)
    assert [e.label for e in saved.events] == [
        "llm_call:gpt-4o",
        "tool:lookup",
        "llm_call:gpt-4o",
        "llm_call:gpt-4o",
    ]
    fake_llm.stop()
    with Replayer(path):  # every recorded call still replays
        assert [ask(fake_llm, q) for q in ("B", "A", "C")] == ["Echo: B", "Echo: A", "Echo: C"]


def test_new_episodes_with_nothing_new_leaves_the_file_alone(fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    with Recorder(save_to=path):
        ask(fake_llm, "A")
        ask(fake_llm, "B")
    before = path.read_bytes()
    with Session(path, record_mode="new_episodes"):
        ask(fake_llm, "B")
    assert path.read_bytes() == before and fake_llm.request_count == 2


# ------------------------------------------------------------------ VCR.py cassettes

VCR_CASSETTE = """\
interactions:
- request:
    body: '{"model": "gpt-4o"}'
    headers: {}
    method: POST
    uri: https://api.openai.com/v1/chat/completions
  response:
    body: {string: '{"id": "x"}'}
    headers: {}
    status: {code: 200, message: OK}
version: 1
"""


def test_a_vcr_cassette_is_named_as_such(tmp_path: Path) -> None:
    path = tmp_path / "test_agent.yaml"
    path.write_text(VCR_CASSETTE)
    with pytest.raises(CassetteError) as info:
        load_cassette(path)
    message = str(info.value)
    assert "\n" not in message and message.startswith(f"{path}: ") and "VCR.py cassette" in message
    with pytest.raises(CassetteError, match=r"VCR\.py cassette"):
        Replayer(path).start()
    json_path = tmp_path / "test_agent.json"  # VCR.py's JSON serializer
    json_path.write_text(json.dumps({"interactions": [], "version": 1}))
    with pytest.raises(CassetteError, match=r"VCR\.py cassette"):
        load_cassette(json_path)


def test_a_version_key_alone_is_not_a_cassette(tmp_path: Path) -> None:
    path = tmp_path / "other.yaml"
    path.write_text("version: 1\nname: something else\n")
    with pytest.raises(CassetteError, match="not a trace_ops cassette"):
        load_cassette(path)
