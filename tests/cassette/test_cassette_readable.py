"""Readable cassettes: a streamed answer's assembled text and tool calls, request params one
field per line, and the old one-line layout still loading the same.

The streams are recorded from the real SDKs against the fake server, then replayed offline.
"""

from __future__ import annotations

import copy
import difflib
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anthropic
import openai
import pytest

from trace_ops import CassetteError, LLMCall, Recorder, Replayer, Trace, load_cassette, save_cassette
from trace_ops.cassette import dumps_cassette, loads_cassette
from trace_ops.testing import FakeLLMServer

QUESTION = "What is the capital of France?"
OPENAI_TOOLS: list[Any] = [
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
ANTHROPIC_TOOLS: list[Any] = [
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
MESSAGES: list[Any] = [{"role": "user", "content": QUESTION}]


def dump(value: Any) -> Any:
    if isinstance(value, list):
        return [dump(v) for v in value]
    return (type(value).__name__, value.model_dump()) if hasattr(value, "model_dump") else value


def openai_text(server: FakeLLMServer) -> list[Any]:
    client = openai.OpenAI(base_url=server.openai_base_url, api_key="sk-test-key", max_retries=0)
    return list(client.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True))


def openai_tool(server: FakeLLMServer) -> list[Any]:
    client = openai.OpenAI(base_url=server.openai_base_url, api_key="sk-test-key", max_retries=0)
    return list(
        client.chat.completions.create(model="gpt-4o", messages=MESSAGES, tools=OPENAI_TOOLS, stream=True)
    )


def anthropic_text(server: FakeLLMServer) -> list[Any]:
    client = anthropic.Anthropic(base_url=server.anthropic_base_url, api_key="sk-ant-test-key", max_retries=0)
    return list(
        client.messages.create(model="claude-haiku-4-5", max_tokens=64, messages=MESSAGES, stream=True)
    )


def anthropic_tool(server: FakeLLMServer) -> list[Any]:
    client = anthropic.Anthropic(base_url=server.anthropic_base_url, api_key="sk-ant-test-key", max_retries=0)
    stream = client.messages.create(
        model="claude-haiku-4-5", max_tokens=64, messages=MESSAGES, tools=ANTHROPIC_TOOLS, stream=True
    )
    return list(stream)


ARGS = '{"query": "What is the capital of France?"}'
# scenario -> the `assembled:` block the cassette must show (indented as under an event)
EXPECTED: dict[str, tuple[Callable[[FakeLLMServer], list[Any]], str]] = {
    "openai-text": (
        openai_text,
        f"  assembled:\n    text: |-\n      Echo: {QUESTION}\n    finish_reason: stop\n  stream: |",
    ),
    "openai-tool": (
        openai_tool,
        "  assembled:\n    tool_calls:\n    - name: search\n"
        f"      arguments: '{ARGS}'\n    finish_reason: tool_calls\n  stream: |",
    ),
    "anthropic-text": (
        anthropic_text,
        f"  assembled:\n    text: |-\n      Echo: {QUESTION}\n    finish_reason: end_turn\n  stream: |",
    ),
    "anthropic-tool": (
        anthropic_tool,
        "  assembled:\n    text: |-\n      Let me look that up.\n    tool_calls:\n    - name: search\n"
        f"      arguments: '{ARGS}'\n    finish_reason: tool_use\n  stream: |",
    ),
}


@pytest.mark.parametrize("name", list(EXPECTED))
def test_streamed_answer_is_readable_and_replays_from_the_raw_stream(
    name: str, fake_llm: FakeLLMServer, tmp_path: Path
) -> None:
    scenario, block = EXPECTED[name]
    path = tmp_path / "c.yaml"
    with Recorder(save_to=path):
        live = scenario(fake_llm)
    text = path.read_text(encoding="utf-8")
    assert block in text  # read before the raw events
    assert text.count("  assembled:\n") == 1

    # derived only: an edit of it replays nothing different (the raw stream is the source)
    path.write_text(text.replace("Echo: What", "EDITED: What").replace("'{\"query", "'{\"edited"))
    served = fake_llm.request_count
    fake_llm.stop()
    with Replayer(path):
        replayed = scenario(fake_llm)
    assert dump(replayed) == dump(live)
    assert fake_llm.request_count == served

    # and a re-save writes it again from the stream, byte for byte
    assert dumps_cassette(load_cassette(path)) == text


def assembled_block(text: str) -> str:
    match = re.search(r"\n  assembled:\n(?:    .*\n)+", text)
    assert match is not None
    return match.group(0)


def test_assembled_field_is_byte_stable_across_recordings(fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    blocks = []
    for run in range(2):
        path = tmp_path / f"run{run}.yaml"
        with Recorder(save_to=path):
            anthropic_tool(fake_llm)
            openai_text(fake_llm)
        blocks.append(re.findall(r"\n  assembled:\n(?:    .*\n)+", path.read_text(encoding="utf-8")))
    assert len(blocks[0]) == 2
    assert blocks[0] == blocks[1]


def test_a_secret_split_across_deltas_is_scrubbed_in_the_assembled_text() -> None:
    key = "sk-proj-0123456789abcdefghijklmn"
    stream = "".join(
        f'data: {{"choices": [{{"index": 0, "delta": {{"content": "{piece}"}}}}]}}\n\n'
        for piece in ("my key is ", key[:10], key[10:], " ok")
    )
    call = LLMCall(
        provider="openai",
        endpoint="chat.completions",
        request={"model": "gpt-4o", "messages": MESSAGES, "stream": True},
        stream=stream + "data: [DONE]\n\n",
    )
    text = dumps_cassette(Trace(events=[call]))
    assert "    text: |-\n      my key is [REDACTED] ok\n" in text
    assert key not in text


def test_a_stream_the_view_cannot_read_is_saved_without_assembled() -> None:
    call = LLMCall(
        provider="openai",
        endpoint="chat.completions",
        request={"model": "gpt-4o", "messages": MESSAGES, "stream": True},
        stream='data: {"choices": [1]}\n\ndata: [DONE]\n\n',
    )
    text = dumps_cassette(Trace(events=[call]))
    assert "assembled" not in text
    assert loads_cassette(text).llm_calls[0].stream == call.stream


def recorded_tool_call(fake_llm: FakeLLMServer, tmp_path: Path) -> Trace:
    client = openai.OpenAI(base_url=fake_llm.openai_base_url, api_key="sk-test-key", max_retries=0)
    with Recorder(save_to=tmp_path / "tools.yaml"):
        client.chat.completions.create(model="gpt-4o", messages=MESSAGES, tools=OPENAI_TOOLS, temperature=0.2)
    return load_cassette(tmp_path / "tools.yaml")


def changed_lines(before: Trace, edit: Callable[[dict[str, Any]], None]) -> list[str]:
    after = copy.deepcopy(before)
    call = after.llm_calls[0]
    request = copy.deepcopy(call.request)
    edit(request)
    call.request = request
    call.fingerprint = ""  # a re-recorded call gets the fingerprint of its new request
    before.llm_calls[0].fingerprint = ""
    diff = difflib.unified_diff(dumps_cassette(before).splitlines(), dumps_cassette(after).splitlines(), n=0)
    return [line for line in diff if line[:1] in "+-" and line[:3] not in ("---", "+++")]


def test_a_changed_tool_description_is_a_one_line_diff(fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    trace = recorded_tool_call(fake_llm, tmp_path)

    def describe(request: dict[str, Any]) -> None:
        request["tools"][0]["function"]["description"] = "Search the whole web"

    lines = changed_lines(trace, describe)
    fingerprints = [line for line in lines if line[1:].startswith("  fingerprint: ")]
    assert len(fingerprints) == 2  # the request changed, so its fingerprint does
    assert [line for line in lines if line not in fingerprints] == [
        '-              "description": "Search the web",',
        '+              "description": "Search the whole web",',
    ]


def test_emoji_and_line_separators_keep_params_a_block(fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    """libyaml writes no block scalar holding them: the JSON escapes them instead."""
    trace = recorded_tool_call(fake_llm, tmp_path)
    description = "Search the web \U0001f30d\u2028now \u00e9"

    def describe(request: dict[str, Any]) -> None:
        request["tools"][0]["function"]["description"] = description

    lines = [line for line in changed_lines(trace, describe) if "fingerprint: " not in line]
    assert lines == [
        '-              "description": "Search the web",',
        '+              "description": "Search the web \\ud83c\\udf0d\\u2028now \u00e9",',
    ]
    trace.llm_calls[0].request["tools"][0]["function"]["description"] = description
    loaded = loads_cassette(dumps_cassette(trace)).llm_calls[0]
    assert loaded.request["tools"][0]["function"]["description"] == description


def test_a_changed_sampling_param_is_a_one_line_diff(fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    trace = recorded_tool_call(fake_llm, tmp_path)

    def warmer(request: dict[str, Any]) -> None:
        request["temperature"] = 0.7

    lines = [line for line in changed_lines(trace, warmer) if "fingerprint: " not in line]
    assert lines == ['-        "temperature": 0.2,', '+        "temperature": 0.7,']


# What trace_ops 0.1.0 wrote before this layout: params on one JSON line, no `assembled:`.
OLD_FORMAT = """\
version: 1
trace:
  id: 0123456789abcdef
  created_at: '2025-06-01T12:00:00.000Z'
  trace_ops_version: 0.1.0
  sdk_versions:
    openai: 3.54.0
events:
- type: llm_call
  provider: openai
  endpoint: chat.completions
  model: gpt-4o
  fingerprint: 00000000deadbeef
  request:
    messages:
    - role: user
      content: What is the capital of France?
    params: '{"tools": [{"type": "function", "function": {"name": "search", "description": "Search the web", \
"parameters": {"type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"]}}}], \
"stream": true, "temperature": 0.2}'
  stream: |+
    data: {"choices": [{"index": 0, "delta": {"content": "Par"}}]}

    data: {"choices": [{"index": 0, "delta": {"content": "is."}, "finish_reason": "stop"}]}

    data: [DONE]

...
"""
OLD_REQUEST = {
    "model": "gpt-4o",
    "messages": MESSAGES,
    "tools": OPENAI_TOOLS,
    "stream": True,
    "temperature": 0.2,
}


def test_old_one_line_params_load_the_same_and_resave_readable(tmp_path: Path) -> None:
    path = tmp_path / "old.yaml"
    path.write_text(OLD_FORMAT)
    for _ in range(2):  # a fresh parse, then a parse-cache hit
        call = load_cassette(path).llm_calls[0]
        assert call.request == OLD_REQUEST and list(call.request) == list(OLD_REQUEST)
        assert call.view.text == "Paris." and call.stream is not None and call.stream.count("data: ") == 3
    new = dumps_cassette(load_cassette(path))
    assert '    params: |\n      {\n        "tools": [\n' in new
    assert "  assembled:\n    text: |-\n      Paris.\n    finish_reason: stop\n  stream: |+\n" in new
    again = loads_cassette(new).llm_calls[0]
    assert (
        again.request == OLD_REQUEST and again.stream == call.stream and again.fingerprint == call.fingerprint
    )


def streamed_cassette(tmp_path: Path) -> str:
    call = LLMCall(
        provider="openai",
        endpoint="chat.completions",
        request={"model": "gpt-4o", "messages": MESSAGES, "stream": True},
        stream='data: {"choices": [{"index": 0, "delta": {"content": "Paris."}}]}\n\ndata: [DONE]\n\n',
    )
    return save_cassette(Trace(events=[call]), tmp_path / "s.yaml").read_text()


BROKEN_ASSEMBLED = {
    "a list": (
        "  assembled:\n    text:",
        "  assembled:\n  - 1\n  - text:",
        "events[0].assembled: expected a mapping",
    ),
    "text a mapping": (
        "    text: |-\n      Paris.",
        "    text: {a: 1}",
        "events[0].assembled.text: expected text",
    ),
    "tool_calls text": (
        "    text: |-\n      Paris.",
        "    tool_calls: oops",
        "events[0].assembled.tool_calls: expected a list",
    ),
    "tool call not a mapping": (
        "    text: |-\n      Paris.",
        "    tool_calls: [3]",
        "events[0].assembled.tool_calls[0]: expected a mapping",
    ),
    "tool call without name": (
        "    text: |-\n      Paris.",
        "    tool_calls: [{arguments: '{}'}]",
        "events[0].assembled.tool_calls[0]: missing required field 'name'",
    ),
    "arguments a list": (
        "    text: |-\n      Paris.",
        "    tool_calls: [{name: s, arguments: [1]}]",
        "events[0].assembled.tool_calls[0].arguments: expected text",
    ),
    "finish_reason a number": (
        "    text: |-\n      Paris.",
        "    finish_reason: 3",
        "finish_reason: expected text",
    ),
    "without a stream": ("  stream: |+", "  response: '{}'\n  old_stream: |+", "derived from 'stream'"),
}


@pytest.mark.parametrize("name", list(BROKEN_ASSEMBLED))
def test_a_broken_assembled_field_is_one_clear_line(name: str, tmp_path: Path) -> None:
    old, new, expected = BROKEN_ASSEMBLED[name]
    text = streamed_cassette(tmp_path)
    assert old in text
    path = tmp_path / "broken.yaml"
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(CassetteError) as info:
        load_cassette(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ") and expected in message and "\n" not in message
