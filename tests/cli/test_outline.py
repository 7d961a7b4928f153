"""The render-free outline of a trace (header, one row per event, details) on recorded runs."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.agents import SYSTEM, record_agent, record_failing_call
from trace_ops import load_cassette
from trace_ops.reporters.outline import (
    event_details,
    event_rows,
    header_fields,
    one_line,
    plain_value,
    row_cells,
    trace_header,
)
from trace_ops.testing import FakeLLMServer
from trace_ops.trace import Judgment, Trace


def test_header_adds_up_the_recorded_run(fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    trace = load_cassette(record_agent(fake_llm, tmp_path / "run.trace.yaml"))
    header = trace_header(trace)
    assert (header.events, header.llm_calls, header.tool_calls, header.errors) == (4, 3, 1, 0)
    assert header.id == trace.id and header.created_at == trace.created_at
    assert set(header.sdk_versions) >= {"openai", "anthropic"}
    assert header.tokens == trace.total_tokens > 0
    assert header.input_tokens + header.output_tokens == header.tokens
    assert header.cost_usd is not None and abs(header.cost_usd - (trace.total_cost_usd or 0)) < 1e-12
    assert header.duration_ms >= 12.5
    assert header.models[0].startswith("gpt-4o-mini") and header.tools == ("search",)
    fields = dict(header_fields(header))
    assert fields["Events"] == "4 (3 LLM calls, 1 tool calls)"
    assert fields["Cost"].startswith("$") and "openai" in fields["Recorded with"]
    assert json.dumps(header.as_dict())  # plain data, ready for --json


def test_rows_say_what_each_step_did(fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    trace = load_cassette(record_agent(fake_llm, tmp_path / "run.trace.yaml"))
    rows = event_rows(trace)
    assert [r.kind for r in rows] == ["llm_call", "tool_call", "llm_call", "llm_call"]
    assert [r.number for r in rows] == [1, 2, 3, 4]
    assert rows[0].summary == '→ search({"query":"capital of France"})'
    assert rows[1].label == "tool:search" and rows[1].summary.startswith('{"query":"capital of France"} → ')
    assert rows[1].tokens is None and rows[1].latency_ms == 12.5
    assert rows[2].summary.startswith("'Based on the tool result")
    assert rows[3].label.startswith("llm_call:claude") and "sum up" in rows[3].summary
    assert all(r.tokens and r.cost_usd is not None and r.error is None for r in rows if r.kind == "llm_call")
    cells = row_cells(rows[1])
    assert cells["number"] == "#2" and cells["tokens"] == "-" and cells["cost"] == "-"
    assert row_cells(rows[0])["cost"].startswith("$")


def test_details_hold_prompts_answers_and_tool_io(fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    trace = load_cassette(record_agent(fake_llm, tmp_path / "run.trace.yaml"))
    first = {s.title: s.text for s in event_details(trace.events[0])}
    assert first["Prompt message 1 (system)"] == SYSTEM
    assert first["Prompt message 2 (user)"] == "capital of France"
    assert json.loads(first["Tool call requested: search"]) == {"query": "capital of France"}
    assert "tokens" in first["Figures"] and "cost $" in first["Figures"]
    tool = {s.title: s.text for s in event_details(trace.events[1])}
    assert json.loads(tool["Tool input"]) == {"query": "capital of France"}
    assert json.loads(tool["Tool output"]) == {"hits": ["capital of France is Paris"], "count": 1}
    second = {s.title: s.text for s in event_details(trace.events[2])}
    assert "tool_call_id" in second["Prompt message 4 (tool)"]  # the tool result sent back
    assert second["Answer"].startswith("Based on the tool result")
    claude = {s.title: s.text for s in event_details(trace.events[3])}
    assert claude["Prompt message 1 (system)"] == SYSTEM
    assert claude["Prompt message 2 (user)"] == "sum up: capital of France"  # text blocks as text


def test_a_failed_call_is_an_error_row_costing_nothing(fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    trace = load_cassette(record_failing_call(fake_llm, tmp_path / "fail.trace.yaml"))
    rows = event_rows(trace)
    assert rows[0].error == "HTTP 429" and rows[0].summary == "HTTP 429" and rows[0].cost_usd == 0.0
    assert rows[1].kind == "error" and rows[1].error and rows[1].error.startswith("RateLimitError")
    header = trace_header(trace, rows)
    assert header.errors == 2 and header.cost_usd == 0.0
    assert dict(header_fields(header))["Errors"] == "2"
    assert any(s.title == "Error" and s.text == "HTTP 429" for s in event_details(trace.events[0]))


def test_unknown_prices_stay_unknown_and_judgments_read_well() -> None:
    from tests.diff.traces import chat

    trace = Trace(events=[chat("no-such-model-xyz"), Judgment(name="judge", verdict="pass", score=0.9)])
    rows = event_rows(trace)
    assert rows[0].cost_usd is None and row_cells(rows[0])["cost"] == "unknown"
    assert trace_header(trace, rows).cost_usd is None
    assert rows[1].summary == "pass · score 0.9"
    details = event_details(trace.events[0])
    assert any("cost unknown (no price for model" in s.text for s in details)


def test_plain_text_helpers() -> None:
    assert one_line("a\n  b\tc") == "a b c"
    assert one_line("x" * 200, 10) == "x" * 9 + "…"
    assert plain_value("text") == "text" and plain_value({"a": [1]}) == '{\n  "a": [\n    1\n  ]\n}'
