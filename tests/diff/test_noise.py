"""Latency and cost noise are information, not behaviour changes, unless the user sets a tolerance."""

from __future__ import annotations

import json

import openai
import pytest
from rich.console import Console

from tests.diff.traces import chat
from trace_ops import Recorder
from trace_ops.diff import Delta, TraceDiff, assert_trace_unchanged, diff_traces
from trace_ops.reporters.markdown import diff_to_markdown
from trace_ops.reporters.terminal import render_diff_rich
from trace_ops.testing import FakeLLMServer
from trace_ops.trace import Trace


def record_agent(server: FakeLLMServer) -> Trace:
    """A deterministic two-step agent: the same questions, the same answers, every run."""
    client = openai.OpenAI(base_url=server.openai_base_url, api_key="sk-test", max_retries=0)
    with Recorder() as rec:
        history = [{"role": "user", "content": "What is the capital of France?"}]
        reply = client.chat.completions.create(model="gpt-4o", messages=history)  # type: ignore[arg-type]
        history += [{"role": "assistant", "content": reply.choices[0].message.content or ""}]
        history += [{"role": "user", "content": "And of Italy?"}]
        client.chat.completions.create(model="gpt-4o", messages=history)  # type: ignore[arg-type]
    return rec.trace


@pytest.fixture(scope="module")
def two_runs() -> tuple[Trace, Trace]:
    with FakeLLMServer() as fast, FakeLLMServer(delay_s=0.08) as slow:
        return record_agent(fast), record_agent(slow)


def test_two_recordings_of_the_same_agent_have_no_changes(two_runs: tuple[Trace, Trace]) -> None:
    old, new = two_runs
    diff = diff_traces(old, new)
    assert diff.latency_ms.moved and not diff.latency_ms.changed
    assert not diff.has_changes, diff.summary()
    lines = diff.summary().splitlines()
    assert lines[:2] == ["Trace comparison:", "  No changes"]
    assert lines[2].startswith("  Latency: ") and lines[2].endswith(
        "(info only: set latency_tolerance_pct to count it)"
    )
    data = json.loads(json.dumps(diff.to_dict()))
    assert data["has_changes"] is False
    assert data["latency_ms"]["changed"] is False and data["latency_ms"]["within_tolerance"] is True
    assert data["info"] == [lines[2].strip()]
    assert_trace_unchanged(old, new)


def test_latency_past_the_tolerance_is_a_change(two_runs: tuple[Trace, Trace]) -> None:
    old, new = two_runs  # the slow server adds 80 ms to each call of a few milliseconds
    diff = diff_traces(old, new, latency_tolerance_pct=50)
    assert diff.has_changes and diff.latency_ms.changed
    assert "info only" not in diff.summary() and "  Latency: " in diff.summary()
    with pytest.raises(AssertionError, match="Latency: "):
        assert_trace_unchanged(old, new, latency_tolerance_pct=50)
    within = diff_traces(old, new, latency_tolerance_pct=1_000_000)
    assert not within.has_changes and "(info only: within the 1e+06% tolerance)" in within.summary()


def test_cost_noise_is_information_and_counts_past_its_tolerance() -> None:
    noisy = TraceDiff((), (), cost_usd=Delta(0.0000183, 0.0000185).tolerating(None))
    assert not noisy.has_changes
    assert "Cost: $0.0000183 → $0.0000185 (+$0.0000002, +1.1%) (info only" in noisy.summary()
    counted = TraceDiff((), (), cost_usd=Delta(0.0000183, 0.0000185).tolerating(1))
    assert counted.has_changes and "info only" not in counted.summary()
    assert not TraceDiff((), (), cost_usd=Delta(0.0000183, 0.0000185).tolerating(5)).has_changes


def test_tokens_within_their_tolerance_are_shown_as_information() -> None:
    old = Trace(events=[chat(input_tokens=1000, output_tokens=0)])
    new = Trace(events=[chat(input_tokens=1040, output_tokens=0)])
    assert diff_traces(old, new).has_changes
    diff = diff_traces(old, new, tokens_tolerance_pct=5)
    assert not diff.has_changes
    assert "Tokens: 1,000 → 1,040 (+40, +4.0%) (info only: within the 5% tolerance)" in diff.summary()


def test_renderers_show_the_information_and_ignored_aspects_say_nothing() -> None:
    old = Trace(events=[chat(duration_ms=100.0)])
    new = Trace(events=[chat(duration_ms=130.0)])
    diff = diff_traces(old, new)
    md = diff_to_markdown(diff)
    assert "✅ no changes" in md
    assert "- Latency: 100 ms → 130 ms (+30 ms, +30.0%) (info only: set latency\\_tolerance\\_pct" in md
    console = Console(record=True, width=200, color_system=None)
    console.print(render_diff_rich(diff))
    assert "Latency: 100 ms → 130 ms (+30 ms, +30.0%) (info only" in console.export_text()
    ignored = diff.ignoring(["latency"])
    assert "Latency" not in ignored.summary() and ignored.to_dict()["info"] == []
