"""Importing span files: a real span dump from opentelemetry-sdk (pydantic-ai's GenAI
instrumentation against the fake server) in every shape we read, old attribute names, bad files."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openai
import pytest

if sys.version_info < (3, 11):
    pytest.skip("pydantic-ai (a dev dependency from Python 3.11) is missing", allow_module_level=True)

from google.protobuf import json_format
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from pydantic_ai import Agent
from pydantic_ai.capabilities import Instrumentation
from pydantic_ai.models.instrumented import InstrumentationSettings
from pydantic_ai.models.openai import OpenAIChatModel
from pydantic_ai.providers.openai import OpenAIProvider

import trace_ops
from trace_ops import (
    CassetteError,
    Recorder,
    Trace,
    diff_traces,
    load_cassette,
    load_trace_file,
    save_cassette,
)
from trace_ops.testing import FakeLLMServer


def run_instrumented_agent(server: FakeLLMServer) -> tuple[list[ReadableSpan], Trace]:
    """A pydantic-ai agent with its OTel instrumentation on a real TracerProvider, also recorded."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))

    @trace_ops.tool
    def search(query: str) -> str:
        """Search the web."""
        return "Paris"

    client = openai.AsyncOpenAI(base_url=server.openai_base_url, api_key="sk-test", max_retries=0)
    agent = Agent(
        OpenAIChatModel("gpt-4o", provider=OpenAIProvider(openai_client=client)),
        instructions="Be terse.",
        tools=[search],
        capabilities=[Instrumentation(settings=InstrumentationSettings(tracer_provider=provider))],
    )
    with Recorder() as rec:
        agent.run_sync("What is the capital of France?")
    provider.shutdown()
    return list(exporter.get_finished_spans()), rec.trace


def protobuf_json(spans: list[ReadableSpan]) -> str:
    """What the SDK's OTLP exporter sends, printed by protobuf (base64 ids, enum names)."""
    return json_format.MessageToJson(encode_spans(spans))


def protobuf_jsonl(spans: list[ReadableSpan]) -> str:
    return "".join(json_format.MessageToJson(encode_spans([s]), indent=None) + "\n" for s in spans)


def sdk_json(spans: list[ReadableSpan]) -> str:
    return json.dumps([json.loads(s.to_json()) for s in spans])


def console_dump(spans: list[ReadableSpan]) -> str:
    """ConsoleSpanExporter's output: indented span JSON objects one after another."""
    return "".join(s.to_json() + "\n" for s in spans)


def jaeger_json(spans: list[ReadableSpan]) -> str:
    """The shape Jaeger's UI downloads (µs times, tags, CHILD_OF references)."""

    def tag(key: str, value: Any) -> dict[str, Any]:
        return {
            "key": key,
            "type": "string",
            "value": value if isinstance(value, (str, int, float)) else json.dumps(list(value)),
        }

    out = []
    for s in spans:
        assert s.context is not None and s.start_time is not None and s.end_time is not None
        tags = [tag(k, v) for k, v in (s.attributes or {}).items()]
        tags.append(tag("span.kind", s.kind.name.lower()))
        refs = (
            [
                {
                    "refType": "CHILD_OF",
                    "traceID": f"{s.context.trace_id:032x}",
                    "spanID": f"{s.parent.span_id:016x}",
                }
            ]
            if s.parent
            else []
        )
        out.append(
            {
                "traceID": f"{s.context.trace_id:032x}",
                "spanID": f"{s.context.span_id:016x}",
                "operationName": s.name,
                "references": refs,
                "startTime": s.start_time // 1000,
                "duration": (s.end_time - s.start_time) // 1000,
                "tags": tags,
                "logs": [],
                "processID": "p1",
            }
        )
    trace_id = out[0]["traceID"]
    return json.dumps(
        {"data": [{"traceID": trace_id, "spans": out, "processes": {"p1": {"serviceName": "agent"}}}]}
    )


DUMPS: dict[str, Callable[[list[ReadableSpan]], str]] = {
    "otlp-protobuf-json": protobuf_json,
    "otlp-jsonl": protobuf_jsonl,
    "sdk-span-list": sdk_json,
    "console-exporter": console_dump,
    "jaeger": jaeger_json,
}


@pytest.mark.parametrize("shape", sorted(DUMPS))
def test_a_real_span_dump_becomes_a_trace(shape: str, fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    spans, recorded = run_instrumented_agent(fake_llm)
    path = tmp_path / "spans.json"
    path.write_text(DUMPS[shape](spans))
    trace = load_trace_file(path)

    assert trace.trajectory == recorded.trajectory == ["llm_call:gpt-4o", "tool:search", "llm_call:gpt-4o"]
    assert [c.provider for c in trace.llm_calls] == ["openai", "openai"]
    assert [c.model for c in trace.llm_calls] == ["gpt-4o", "gpt-4o"]
    assert [c.usage for c in trace.llm_calls] == [c.usage for c in recorded.llm_calls]
    assert [c.view.finish_reason for c in trace.llm_calls] == ["tool_call", "stop"]
    assert trace.llm_calls[1].view.text == recorded.llm_calls[1].view.text
    first = trace.llm_calls[0].request
    assert first["messages"][0] == {"role": "system", "content": "Be terse."}
    assert first["messages"][1] == {"role": "user", "content": "What is the capital of France?"}
    assert first["tools"][0]["function"]["name"] == "search"
    [tool] = trace.tool_calls
    assert (tool.name, tool.input, tool.output) == (
        "search",
        {"query": "What is the capital of France?"},
        "Paris",
    )
    assert tool.call_id == trace.llm_calls[0].view.tool_calls[0].id
    llm_spans = [s for s in spans if s.name == "chat gpt-4o"]
    precision_ns = 1 if shape.startswith("otlp") else 2000  # the SDK and Jaeger write microseconds
    for call, span in zip(trace.llm_calls, llm_spans, strict=True):
        assert span.start_time is not None and span.end_time is not None
        assert call.duration_ms == pytest.approx(
            (span.end_time - span.start_time) / 1e6, abs=precision_ns / 1e6
        )
    assert trace.metadata["agent"] == "agent" if shape != "jaeger" else True
    # what works on recorded traces works on this one
    diff = diff_traces(recorded, trace)
    assert diff.trajectory is None and not diff.model_changes and not diff.tool_arg_changes
    assert not diff.response_changes and diff.tokens.old == diff.tokens.new
    # some pydantic-ai releases spell the tool arguments in their spans `{"query": ...}` (with a
    # space) where the request had `{"query":...}`: the only prompt difference allowed is that
    # spelling, in the assistant's tool call of the second call
    assert all(
        (c.new_index, c.role) == (2, "assistant") and '"arguments"' in c.diff for c in diff.prompt_changes
    )
    assert trace.llm_calls[0].request["messages"] == recorded.llm_calls[0].request["messages"]
    assert trace.total_tokens == recorded.total_tokens and trace.total_cost_usd == pytest.approx(
        recorded.total_cost_usd
    )
    save_cassette(trace, tmp_path / "imported.yaml")
    again = load_cassette(tmp_path / "imported.yaml")
    assert again.trajectory == trace.trajectory and again.total_tokens == trace.total_tokens


def otlp_file(tmp_path: Path, attributes: dict[str, Any]) -> Path:
    def value(v: Any) -> dict[str, Any]:
        return {"intValue": str(v)} if isinstance(v, int) else {"stringValue": v}

    span = {
        "traceId": "0af7651916cd43dd8448eb211c80319c",
        "spanId": "b7ad6b7169203331",
        "name": "chat gpt-3.5-turbo",
        "kind": 3,
        "startTimeUnixNano": "1700000000000000000",
        "endTimeUnixNano": "1700000001500000000",
        "attributes": [{"key": k, "value": value(v)} for k, v in attributes.items()],
    }
    path = tmp_path / "old.json"
    path.write_text(json.dumps([span]))  # a bare list of spans
    return path


def test_deprecated_attribute_names(tmp_path: Path) -> None:
    trace = load_trace_file(
        otlp_file(
            tmp_path,
            {
                "gen_ai.system": "anthropic",
                "gen_ai.request.model": "claude-3-haiku",
                "gen_ai.usage.prompt_tokens": 11,
                "gen_ai.usage.completion_tokens": 7,
                "gen_ai.response.finish_reason": "end_turn",
            },
        )
    )
    [call] = trace.llm_calls
    assert (call.provider, call.endpoint, call.model) == ("anthropic", "messages", "claude-3-haiku")
    assert call.usage is not None and (call.usage.input_tokens, call.usage.output_tokens) == (11, 7)
    assert call.view.finish_reason == "end_turn"
    assert call.started_at == "2023-11-14T22:13:20.000Z" and call.duration_ms == 1500


def test_current_names_win_over_old_ones(tmp_path: Path) -> None:
    trace = load_trace_file(
        otlp_file(
            tmp_path,
            {
                "gen_ai.system": "openai",
                "gen_ai.provider.name": "aws.bedrock",
                "gen_ai.request.model": "m",
                "gen_ai.usage.input_tokens": 3,
                "gen_ai.usage.prompt_tokens": 99,
                "gen_ai.usage.output_tokens": 1,
            },
        )
    )
    [call] = trace.llm_calls
    assert call.provider == "bedrock" and call.usage is not None and call.usage.input_tokens == 3


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "empty file"),
        (b"{not json", "not JSON at line 1"),
        (b'{"hello": 1}', "keys hello: not OTLP/JSON"),
        (b"[1, 2]", "other than spans"),
        (
            b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "zz!", "spanId": "01"}]}]}]}',
            "neither hex nor base64",
        ),
        (b'{"resourceSpans": []}', "holds no spans"),
        (b"\xff\xfe\x00", "not UTF-8"),
        (
            b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "0af7651916cd43dd8448eb211c80319c", '
            b'"spanId": "b7ad6b7169203331", "startTimeUnixNano": "soon"}]}]}]}',
            "not an integer",
        ),
    ],
)
def test_bad_files_are_one_line(content: bytes, expected: str, tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with pytest.raises(CassetteError) as info:
        load_trace_file(path)
    message = str(info.value)
    assert expected in message and str(path) in message and "\n" not in message


def test_missing_file_and_directory(tmp_path: Path) -> None:
    for path in (tmp_path / "nope.json", tmp_path):
        with pytest.raises(CassetteError, match="cannot read"):
            load_trace_file(path)
