"""Cassette format v1: readable, round-trips exactly, rejects bad input with one clear line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from trace_ops import CassetteError, CassetteNotFoundError, load_cassette, save_cassette
from trace_ops.cassette import dumps_cassette, loads_cassette
from trace_ops.trace import AgentDecision, ErrorEvent, LLMCall, ToolCall, Trace

CHAT_RESPONSE: dict[str, Any] = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "created": 1700000000,
    "model": "gpt-4o-2024-08-06",
    "choices": [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "Line one.\nLine two.", "refusal": None},
            "logprobs": None,
            "finish_reason": "stop",
        }
    ],
    "usage": {"prompt_tokens": 12, "completion_tokens": 5, "total_tokens": 17},
}


def sample_trace() -> Trace:
    call = LLMCall(
        provider="openai",
        endpoint="chat.completions",
        request={
            "model": "gpt-4o",
            "messages": [
                {"role": "system", "content": "You are helpful.\nBe brief."},
                {"role": "user", "content": "Hi"},
            ],
            "temperature": 0.2,
            "tools": [{"type": "function", "function": {"name": "search", "parameters": {}}}],
        },
        response=CHAT_RESPONSE,
        headers={"x-request-id": "req_1"},
        duration_ms=12.5,
    )
    stream = LLMCall(
        provider="openai",
        endpoint="chat.completions",
        request={"model": "gpt-4o", "messages": [{"role": "user", "content": "Hi"}], "stream": True},
        stream='data: {"choices": [{"index": 0, "delta": {"content": "Hi"}}]}\n\ndata: [DONE]\n\n',
        ttft_ms=1.5,
    )
    return Trace(
        events=[
            call,
            ToolCall(name="search", input={"q": "x"}, output=["a", "b"], duration_ms=3.0),
            AgentDecision(decision="route", detail={"to": "billing"}),
            stream,
            ErrorEvent(error_type="ValueError", message="boom"),
        ],
        sdk_versions={"openai": "3.54.0"},
        tags=["smoke"],
    )


def test_round_trip_keeps_every_field(tmp_path: Path) -> None:
    trace = sample_trace()
    path = save_cassette(trace, tmp_path / "c.yaml")
    loaded = load_cassette(path)
    assert loaded.id == trace.id and loaded.sdk_versions == {"openai": "3.54.0"} and loaded.tags == ["smoke"]
    assert loaded.trajectory == [
        "llm_call:gpt-4o-2024-08-06",
        "tool:search",
        "decision:route",
        "llm_call:gpt-4o",
        "error:ValueError",
    ]
    first, tool, decision, stream, error = loaded.events
    assert isinstance(first, LLMCall) and isinstance(stream, LLMCall)
    assert first.request == trace.events[0].request  # type: ignore[attr-defined]
    assert first.response == CHAT_RESPONSE
    assert first.headers == {"x-request-id": "req_1"} and first.duration_ms == 12.5
    assert stream.stream == trace.events[3].stream  # type: ignore[attr-defined]
    assert stream.ttft_ms == 1.5
    assert isinstance(tool, ToolCall) and tool.output == ["a", "b"] and tool.input == {"q": "x"}
    assert isinstance(decision, AgentDecision) and decision.detail == {"to": "billing"}
    assert isinstance(error, ErrorEvent) and error.message == "boom"
    assert dumps_cassette(loaded) == dumps_cassette(trace)  # stable: same text after a round trip


def test_readable_layout_with_block_scalars() -> None:
    text = dumps_cassette(sample_trace())
    assert text.startswith("version: 1\n")
    assert "content: |-\n        You are helpful.\n        Be brief." in text
    assert "response: |\n" in text  # the wire answer is a JSON block, one field per line
    assert '"content": "Line one.\\nLine two."' in text
    assert "stream: |" in text
    assert 'params: |\n      {\n        "temperature": 0.2,\n        "tools": [\n' in text  # one field a line
    # the served answer's derived view comes from the wire data
    assert load_view_text(text) == "Line one.\nLine two."


def load_view_text(text: str) -> str:
    call = loads_cassette(text).llm_calls[0]
    return call.view.text


def test_save_is_atomic_and_keeps_old_file_on_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "c.yaml"
    save_cassette(sample_trace(), path)
    before = path.read_text()

    def explode(*args: Any, **kwargs: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("trace_ops._files.os.replace", explode)
    with pytest.raises(OSError, match="disk full"):
        save_cassette(Trace(), path)
    assert path.read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == ["c.yaml"]  # no temp file left behind


BAD_CASSETTES = {
    "not yaml": ("version: 1\nevents: [unclosed\n", "invalid YAML at line"),
    "top level list": ("- 1\n- 2\n", "top level is a list"),
    "no version": ("events: []\n", "no 'version' key"),
    "future version": ("version: 99\nevents: []\n", "unsupported cassette version 99"),
    "events not list": ("version: 1\nevents: {a: 1}\n", "events: expected a list"),
    "event not mapping": ("version: 1\nevents: [3]\n", "events[0]: expected a mapping"),
    "unknown type": ("version: 1\nevents: [{type: banana}]\n", "unknown event type 'banana'"),
    "missing provider": (
        "version: 1\nevents: [{type: llm_call, endpoint: chat, response: '{}'}]\n",
        "events[0]: missing required field 'provider'",
    ),
    "bad response json": (
        "version: 1\nevents: [{type: llm_call, provider: openai, endpoint: chat, response: '{nope'}]\n",
        "events[0].response: invalid JSON",
    ),
    "wrong type": (
        "version: 1\nevents: [{type: llm_call, provider: openai, endpoint: c, response: '{}', status: ok}]\n",
        "events[0].status: expected an integer, got text",
    ),
    "no outcome": (
        "version: 1\nevents: [{type: llm_call, provider: openai, endpoint: chat}]\n",
        "needs one of 'response', 'stream' or 'error'",
    ),
    "python tag": ("version: 1\nevents: !!python/object/apply:os.system ['true']\n", "invalid YAML"),
    "tool without name": ("version: 1\nevents: [{type: tool_call}]\n", "missing required field 'name'"),
}


@pytest.mark.parametrize("name", list(BAD_CASSETTES))
def test_bad_cassettes_raise_one_clear_line(name: str, tmp_path: Path) -> None:
    text, expected = BAD_CASSETTES[name]
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(CassetteError) as info:
        load_cassette(path)
    message = str(info.value)
    assert expected in message
    assert message.startswith(str(path))
    assert "\n" not in message


def test_truncated_cassette_is_a_cassette_error(tmp_path: Path) -> None:
    full = dumps_cassette(sample_trace())
    path = tmp_path / "t.yaml"
    failures = 0
    for cut in range(10, len(full), max(1, len(full) // 40)):
        path.write_text(full[:cut])
        try:
            load_cassette(path)
        except CassetteError as exc:
            failures += 1
            assert "\n" not in str(exc)
    assert failures > 0  # most cuts are invalid; none may escape as another exception type


def test_missing_binary_empty_and_directory(tmp_path: Path) -> None:
    with pytest.raises(CassetteNotFoundError, match="cassette not found"):
        load_cassette(tmp_path / "nope.yaml")
    (tmp_path / "bin.yaml").write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(CassetteError, match="not UTF-8"):
        load_cassette(tmp_path / "bin.yaml")
    (tmp_path / "empty.yaml").write_text("  \n")
    with pytest.raises(CassetteError, match="empty file"):
        load_cassette(tmp_path / "empty.yaml")
    with pytest.raises(CassetteError, match="is a directory"):
        load_cassette(tmp_path)


def test_loader_is_safe(monkeypatch: pytest.MonkeyPatch) -> None:
    def never(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a PyYAML constructor ran")

    # Only the composer (text -> nodes) comes from PyYAML; no PyYAML constructor ever runs.
    monkeypatch.setattr(yaml.constructor.BaseConstructor, "construct_object", never)
    assert load_view_text(dumps_cassette(sample_trace())) == "Line one.\nLine two."
    with pytest.raises(CassetteError, match=r"unsupported tag '!!python/name:os\.system'"):
        loads_cassette("version: 1\nevents: !!python/name:os.system\n")


def test_aliases_and_deep_nesting_are_rejected_quickly(tmp_path: Path) -> None:
    laughs = ["version: 1", 'a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    laughs += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    laughs += ["events: [{type: tool_call, name: x, input: *a9}]"]
    path = tmp_path / "laughs.yaml"
    path.write_text("\n".join(laughs) + "\n")
    with pytest.raises(CassetteError, match="anchors/aliases are not allowed"):
        load_cassette(path)
    path.write_text(
        "version: 1\nevents: [{type: tool_call, name: x, input: " + "[" * 200 + "]" * 200 + "}]\n"
    )
    with pytest.raises(CassetteError, match="nesting deeper than 64"):
        load_cassette(path)


def test_fingerprint_is_written_for_calls_recorded_without_one(tmp_path: Path) -> None:
    from trace_ops.matching import fingerprint

    request = {
        "model": "gpt-4o",
        "messages": [{"role": "user", "content": "key sk-proj-0123456789abcdefghij"}],
    }
    call = LLMCall(provider="openai", endpoint="chat.completions", request=request, response=CHAT_RESPONSE)
    loaded = load_cassette(save_cassette(Trace(events=[call]), tmp_path / "c.yaml")).llm_calls[0]
    assert "[REDACTED]" in loaded.request["messages"][0]["content"]
    assert loaded.fingerprint == fingerprint("chat.completions", loaded.request)  # of the scrubbed request
