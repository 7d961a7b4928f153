"""export -> import gives back the same calls, models, tokens, tools, order and timing."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.otlp.runs import record_agent_run
from trace_ops import Judgment, diff_traces
from trace_ops.otlp import load_trace_file, write_otlp
from trace_ops.testing import FakeLLMServer


@pytest.mark.parametrize("jsonl", [False, True])
def test_round_trip(jsonl: bool, fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    original = record_agent_run(fake_llm, tmp_path / "run.yaml")
    back = load_trace_file(write_otlp(original, tmp_path / "spans.json", jsonl=jsonl))

    assert back.id == original.id
    assert back.trajectory == original.trajectory
    assert [e.started_at for e in back.events] == [e.started_at for e in original.events]
    assert [e.duration_ms for e in back.events] == pytest.approx([e.duration_ms for e in original.events])
    for old, new in zip(original.llm_calls, back.llm_calls, strict=True):
        assert (new.provider, new.endpoint, new.model, new.served_model) == (
            old.provider,
            old.endpoint,
            old.model,
            old.served_model,
        )
        assert new.usage == old.usage
        assert new.view.text == old.view.text and new.view.finish_reason == old.view.finish_reason
        assert [(c.name, c.arguments, c.id) for c in new.view.tool_calls] == [
            (c.name, c.arguments, c.id) for c in old.view.tool_calls
        ]
        assert new.ttft_ms == pytest.approx(old.ttft_ms) if old.ttft_ms is not None else new.ttft_ms is None
    for old_tool, new_tool in zip(original.tool_calls, back.tool_calls, strict=True):
        assert (new_tool.name, new_tool.input, new_tool.output, new_tool.call_id) == (
            old_tool.name,
            old_tool.input,
            old_tool.output,
            old_tool.call_id,
        )
    [judgment] = [e for e in back.events if isinstance(e, Judgment)]
    assert (judgment.name, judgment.verdict, judgment.score, judgment.reasoning, judgment.intent) == (
        "faithfulness",
        "pass",
        0.9,
        "cites the tool",
        "grounded",
    )
    assert back.total_tokens == original.total_tokens
    assert back.total_cost_usd == pytest.approx(original.total_cost_usd)
    diff = diff_traces(original, back)
    assert diff.trajectory is None and not diff.model_changes and not diff.response_changes
    assert not diff.judgment_changes and not diff.tool_arg_changes
    # the prompts come back in the conventions' reading of them: the user's words are the same
    first = back.llm_calls[0].request["messages"]
    assert first[:2] == [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": "Find the capital of France"},
    ]
    anthropic = back.llm_calls[-1].request
    assert anthropic["system"] == "Be kind." and anthropic["max_tokens"] == 50
