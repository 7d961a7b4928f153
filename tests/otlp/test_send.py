"""POSTing OTLP/JSON to an OTLP/HTTP receiver: a real local http.server, parsed by opentelemetry-proto."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.otlp.receiver import Receiver
from tests.otlp.runs import record_agent_run
from tests.otlp.test_export import parse
from trace_ops.otlp import OTLPSendError, send_otlp, trace_to_otlp, traces_url
from trace_ops.testing import FakeLLMServer


def test_spans_arrive_at_v1_traces_as_json(fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    trace = record_agent_run(fake_llm, tmp_path / "run.yaml")
    with Receiver() as receiver:
        assert send_otlp(trace_to_otlp(trace), receiver.url) == 200
    [(path, content_type, body)] = receiver.received
    assert path == "/v1/traces" and content_type == "application/json"
    spans = parse(body).resource_spans[0].scope_spans[0].spans
    assert len(spans) == 1 + trace.total_llm_calls + trace.total_tool_calls


def test_endpoint_forms() -> None:
    assert traces_url("http://h:4318") == "http://h:4318/v1/traces"
    assert traces_url("http://h:4318/v1/traces") == "http://h:4318/v1/traces"
    assert traces_url("https://h/otel/") == "https://h/otel/v1/traces"
    with pytest.raises(OTLPSendError, match="must be http"):
        traces_url("h:4318")


def test_a_refusing_receiver_is_one_line() -> None:
    with Receiver(status=415) as receiver, pytest.raises(OTLPSendError) as info:
        send_otlp({"resourceSpans": []}, receiver.url)
    assert "HTTP 415" in str(info.value) and "protobuf" in str(info.value) and "\n" not in str(info.value)
    with pytest.raises(OTLPSendError, match="cannot send spans"):
        send_otlp({"resourceSpans": []}, "http://127.0.0.1:9")
