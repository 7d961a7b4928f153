"""OTLP/JSON export of a recorded run, read back by an independent parser (opentelemetry-proto)."""

from __future__ import annotations

import base64
import copy
import json
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import json_format
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Span as PbSpan

from tests.otlp.runs import record_agent_run
from trace_ops import Trace
from trace_ops.otlp import dumps_otlp, trace_to_otlp, write_otlp
from trace_ops.testing import FakeLLMServer


@pytest.fixture
def recorded(fake_llm: FakeLLMServer, tmp_path: Path) -> Trace:
    return record_agent_run(fake_llm, tmp_path / "run.yaml")


def _as_protobuf_json(document: dict[str, Any]) -> dict[str, Any]:
    """OTLP/JSON writes ids as hex; the plain proto3 mapping wants base64 for bytes."""
    doc = copy.deepcopy(document)
    for rs in doc["resourceSpans"]:
        for ss in rs["scopeSpans"]:
            for span in ss["spans"]:
                for key in ("traceId", "spanId", "parentSpanId"):
                    if key in span:
                        span[key] = base64.b64encode(bytes.fromhex(span[key])).decode()
    return doc


def parse(document: dict[str, Any]) -> ExportTraceServiceRequest:
    request = ExportTraceServiceRequest()
    json_format.Parse(json.dumps(_as_protobuf_json(document)), request)  # unknown keys are an error
    return request


def attrs(span: PbSpan) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for kv in span.attributes:
        kind = kv.value.WhichOneof("value")
        value = getattr(kv.value, kind)
        if kind == "array_value":
            value = [getattr(v, v.WhichOneof("value")) for v in value.values]
        out[kv.key] = value
    return out


def test_independent_parser_reads_the_genai_spans(recorded: Trace) -> None:
    document = trace_to_otlp(recorded, agent_name="researcher")
    request = parse(document)
    spans = list(request.resource_spans[0].scope_spans[0].spans)
    root, *children = spans
    assert root.name == "invoke_agent researcher"
    assert attrs(root)["gen_ai.operation.name"] == "invoke_agent"
    assert [s.name for s in children] == [
        "chat gpt-4o-mini",
        "execute_tool search",
        "chat gpt-4o-mini",
        "chat gpt-4o-mini",
        "chat gpt-4.1",
        "embeddings text-embedding-3-small",
        "chat claude-3-5-haiku-latest",
    ]
    hex_ids = {s["spanId"] for s in document["resourceSpans"][0]["scopeSpans"][0]["spans"]}
    assert {s.span_id.hex() for s in spans} == hex_ids and len(hex_ids) == len(spans)
    assert all(s.trace_id == root.trace_id and s.parent_span_id == root.span_id for s in children)
    assert {s.kind for s in children if s.name.startswith(("chat", "embeddings"))} == {
        PbSpan.SPAN_KIND_CLIENT
    }

    first = attrs(children[0])
    call = recorded.llm_calls[0]
    assert first["gen_ai.provider.name"] == "openai"
    assert first["gen_ai.request.model"] == "gpt-4o-mini"
    assert first["gen_ai.request.temperature"] == 0.2 and first["gen_ai.request.max_tokens"] == 64
    assert first["gen_ai.response.id"] == call.response["id"]
    assert first["gen_ai.response.finish_reasons"] == ["tool_calls"]
    assert first["gen_ai.usage.input_tokens"] == call.usage.input_tokens  # type: ignore[union-attr]
    assert first["gen_ai.usage.output_tokens"] == call.usage.output_tokens  # type: ignore[union-attr]
    assert json.loads(first["gen_ai.system_instructions"]) == [{"type": "text", "content": "You are terse."}]
    assert json.loads(first["gen_ai.input.messages"]) == [
        {"role": "user", "parts": [{"type": "text", "content": "Find the capital of France"}]}
    ]
    [out] = json.loads(first["gen_ai.output.messages"])
    assert out["finish_reason"] == "tool_calls" and out["parts"][0]["type"] == "tool_call"
    assert json.loads(first["gen_ai.tool.definitions"])[0]["name"] == "search"

    second_input = json.loads(attrs(children[2])["gen_ai.input.messages"])
    assert second_input[-1]["parts"][0] == {
        "type": "tool_call_response",
        "id": out["parts"][0]["id"],
        "response": '{"hits": ["Paris"]}',
    }
    assert attrs(children[2])["gen_ai.request.stop_sequences"] == ["\n\n"]
    streamed = attrs(children[3])
    assert streamed["gen_ai.request.stream"] is True
    assert streamed["gen_ai.response.time_to_first_chunk"] == pytest.approx(
        recorded.llm_calls[2].ttft_ms / 1000
    )  # type: ignore[operator]
    assert streamed["gen_ai.usage.output_tokens"] > 0

    tool = attrs(children[1])
    assert tool["gen_ai.tool.name"] == "search" and tool["gen_ai.tool.call.id"] == out["parts"][0]["id"]
    assert json.loads(tool["gen_ai.tool.call.result"]) == {"hits": ["Paris"]}
    assert attrs(children[6])["gen_ai.provider.name"] == "anthropic"

    [judgment] = [e for e in root.events if e.name == "gen_ai.evaluation.result"]
    jattrs = {kv.key: kv.value for kv in judgment.attributes}
    assert jattrs["gen_ai.evaluation.name"].string_value == "faithfulness"
    assert jattrs["gen_ai.evaluation.score.value"].double_value == 0.9
    assert jattrs["gen_ai.evaluation.score.label"].string_value == "pass"


def test_recorded_timestamps_and_deterministic_ids(recorded: Trace, tmp_path: Path) -> None:
    spans = trace_to_otlp(recorded)["resourceSpans"][0]["scopeSpans"][0]["spans"]
    call = recorded.llm_calls[0]
    first_call = spans[1]
    from trace_ops._time import parse_iso

    start = round(parse_iso(call.started_at).timestamp() * 1_000_000) * 1000  # type: ignore[arg-type]
    assert first_call["startTimeUnixNano"] == str(start)  # 64-bit integers as strings
    assert int(first_call["endTimeUnixNano"]) - start == pytest.approx(call.duration_ms * 1e6, abs=1000)  # type: ignore[operator]
    assert first_call["kind"] == 3 and spans[0]["kind"] == 1  # integer enums
    assert int(spans[0]["startTimeUnixNano"]) <= start
    a = write_otlp(recorded, tmp_path / "a.json").read_bytes()
    b = write_otlp(recorded, tmp_path / "b.json").read_bytes()
    assert a == b  # the same cassette exports to the same bytes, ids included


def test_no_content_leaves_prompts_answers_and_arguments_out(recorded: Trace) -> None:
    text = json.dumps(trace_to_otlp(recorded, content=False))
    for key in (
        "gen_ai.input.messages",
        "gen_ai.output.messages",
        "gen_ai.system_instructions",
        "gen_ai.tool.definitions",
        "gen_ai.tool.call.arguments",
        "gen_ai.tool.call.result",
        "gen_ai.evaluation.explanation",
    ):
        assert key not in text
    for secret in ("capital of France", "Paris", "You are terse"):
        assert secret not in text
    assert "gen_ai.usage.input_tokens" in text and "gen_ai.response.id" in text
    parse(trace_to_otlp(recorded, content=False))


def test_jsonl_is_one_export_request_per_line(recorded: Trace) -> None:
    document = trace_to_otlp(recorded)
    lines = dumps_otlp(document, jsonl=True).splitlines()
    assert len(lines) == 8
    names = []
    for line in lines:
        request = parse(json.loads(line))
        names.extend(s.name for s in request.resource_spans[0].scope_spans[0].spans)
    assert names[0] == "invoke_agent agent" and len(names) == 8


def test_secrets_in_a_live_trace_never_reach_the_export(fake_llm: FakeLLMServer) -> None:
    import openai

    from trace_ops import Recorder

    client = openai.OpenAI(base_url=fake_llm.openai_base_url, api_key="x")
    with Recorder() as rec:
        client.chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": "my key is sk-abcdef1234567890abcdef"}]
        )
    text = json.dumps(trace_to_otlp(rec.trace))
    assert "sk-abcdef1234567890abcdef" not in text and "[REDACTED]" in text
