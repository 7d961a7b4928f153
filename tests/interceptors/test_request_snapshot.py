"""Recording keeps the request as the SDK encoded it (bytes, parsed on first read).

That snapshot must equal what a replaying session computes from the SDK's options, or a
cassette recorded by a plain `Recorder` would not replay; and it must be taken during the
call, so an agent that mutates its message list afterwards cannot change the recording.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import anthropic
import openai
import pytest
from pydantic import BaseModel

from trace_ops import Recorder, Replayer, save_cassette
from trace_ops.session import Session
from trace_ops.testing import FakeLLMServer
from trace_ops.trace import Deferred, Trace


class Answer(BaseModel):
    answer: str
    length: int


def _client(server: FakeLLMServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.openai_base_url, api_key="sk-test-key", max_retries=0)


def _calls(c: openai.OpenAI) -> list[Any]:
    messages: list[Any] = [{"role": "user", "content": "What is the capital of France?"}]
    return [
        c.chat.completions.create(model="gpt-4o-mini", messages=messages, temperature=0.5),
        c.chat.completions.create(
            model="gpt-4o-mini",
            messages=messages,
            extra_body={"custom_flag": True, "sent_at": dt.datetime(2026, 1, 2, 3, 4, 5)},
            extra_query={"api-version": "2024-06-01"},
        ),
        c.chat.completions.parse(model="gpt-4o-mini", messages=messages, response_format=Answer),
        c.embeddings.create(model="text-embedding-3-small", input=["a", "b"]),
    ]


def test_recorded_request_is_the_wire_body_and_replays(fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    path = tmp_path / "snapshot.yaml"
    with Recorder(save_to=path) as rec:
        _calls(_client(fake_llm))
        calls = rec.trace.llm_calls
        assert [type(c.__dict__["request"]) for c in calls] == [Deferred] * 4  # nothing parsed yet
    assert calls[0].request["temperature"] == 0.5
    assert calls[1].request["custom_flag"] is True
    assert calls[1].request["sent_at"] == "2026-01-02T03:04:05"
    assert calls[1].request["query"] == {"api-version": "2024-06-01"}
    assert calls[2].request["response_format"]["type"] == "json_schema"
    assert calls[3].request["input"] == ["a", "b"]
    assert calls[0].response["object"] == "chat.completion"
    fake_llm.stop()

    with Replayer(path) as rep:  # the replay side describes the SDK options: same fingerprints
        _calls(_client(fake_llm))
    assert rep.replayed_count == 4


def test_wire_snapshot_equals_description(fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    """The bytes-based request equals the one described from the SDK options, which is what a
    session that can replay (here: new_episodes over an empty cassette) computes eagerly."""
    with Recorder() as recording_only:
        _calls(_client(fake_llm))
    empty = tmp_path / "empty.yaml"
    save_cassette(Trace(), empty)
    with Session(empty, record_mode="new_episodes") as can_replay:
        _calls(_client(fake_llm))
    eager = can_replay.trace.llm_calls
    assert [type(c.__dict__["request"]) for c in eager] == [dict] * 4
    assert [c.request for c in recording_only.trace.llm_calls] == [c.request for c in eager]
    assert recording_only.trace.llm_calls[0].response.keys() == eager[0].response.keys()


def test_mutating_messages_after_the_call_does_not_change_the_recording(fake_llm: FakeLLMServer) -> None:
    messages: list[Any] = [{"role": "user", "content": "What is the capital of France?"}]
    with Recorder() as rec:
        _client(fake_llm).chat.completions.create(model="gpt-4o-mini", messages=messages)
        messages[0]["content"] = "changed"
        messages.append({"role": "user", "content": "more"})
    assert rec.trace.llm_calls[0].request["messages"] == [
        {"role": "user", "content": "What is the capital of France?"}
    ]


def test_connection_failure_still_snapshots_the_request(tmp_path: Path) -> None:
    client = openai.OpenAI(base_url="http://127.0.0.1:9/v1", api_key="sk-test-key", max_retries=0)
    messages: list[Any] = [{"role": "user", "content": "hi"}]
    with Recorder() as rec, pytest.raises(openai.APIConnectionError):
        client.chat.completions.create(model="gpt-4o-mini", messages=messages)
    messages[0]["content"] = "changed"
    assert rec.trace.llm_calls[0].request["messages"] == [{"role": "user", "content": "hi"}]


def test_anthropic_status_error_request_is_snapshotted(fake_llm: FakeLLMServer) -> None:
    client = anthropic.Anthropic(base_url=fake_llm.anthropic_base_url, api_key="sk-ant-x", max_retries=0)
    messages: list[Any] = [{"role": "user", "content": "hi"}]
    with Recorder() as rec, pytest.raises(anthropic.APIStatusError):
        client.messages.create(model="error-400", max_tokens=10, messages=messages)
    messages[0]["content"] = "changed"
    call = rec.trace.llm_calls[0]
    assert call.status == 400
    assert call.request["messages"] == [{"role": "user", "content": "hi"}]
