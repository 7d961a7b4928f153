"""diff_traces: each kind of change is found when present and absent when not."""

from __future__ import annotations

import json
import warnings

import pytest

from tests.diff.traces import chat, failed_chat, tool
from trace_ops.diff import (
    ASPECTS,
    SCHEMA_VERSION,
    Delta,
    StepEdit,
    TrajectoryMode,
    ValueChange,
    assert_trace_unchanged,
    diff_traces,
)
from trace_ops.trace import AgentDecision, ErrorEvent, Trace

REFERENCE_SUMMARY = """\
Trace comparison:
  ⚠ TRAJECTORY CHANGED (agent took a different path)
    Old: llm_call:gpt-4o → tool:search → llm_call:gpt-4o
    New: llm_call:gpt-4o → tool:browse → tool:search → llm_call:gpt-4o
  Tool calls: 1 more
  New tools used: browse"""


def search_run() -> Trace:
    return Trace(events=[chat(text="let me search"), tool("search", {"q": "paris"}), chat(text="Paris.")])


def test_reference_example_summary_is_reproduced_exactly() -> None:
    old = search_run()
    new = Trace(
        events=[
            chat(text="let me search"),
            tool("browse", {"url": "https://example.com"}),
            tool("search", {"q": "paris"}),
            chat(text="Paris."),
        ]
    )
    diff = diff_traces(old, new)
    assert diff.summary() == REFERENCE_SUMMARY
    assert diff.trajectory is not None
    assert diff.trajectory.edits == (StepEdit("inserted", None, 1, None, "tool:browse"),)


def test_identical_runs_have_no_changes() -> None:
    diff = diff_traces(search_run(), search_run())
    assert not diff.has_changes
    assert diff.summary() == "Trace comparison:\n  No changes"


def test_volatile_fields_never_show_as_changes() -> None:
    def run(tag: str, started: str) -> Trace:
        history = [
            {"role": "user", "content": "weather?"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {"id": f"call_{tag}", "type": "function", "function": {"name": "get", "arguments": "{}"}}
                ],
            },
            {"role": "tool", "tool_call_id": f"call_{tag}", "content": "sunny"},
        ]
        return Trace(
            events=[
                chat(prompt=history, response_id=f"chatcmpl-{tag}", started_at=started),
                tool("get", {}, call_id=f"call_{tag}"),
            ]
        )

    diff = diff_traces(run("a", "2026-11-01T10:00:00Z"), run("b", "2026-11-02T11:00:00Z"))
    assert not diff.has_changes, diff.summary()


def test_removed_and_replaced_steps_are_reported_with_their_indexes() -> None:
    old = Trace(events=[chat(), tool("search"), tool("read"), chat()])
    new = Trace(events=[chat(), tool("lookup"), chat()])
    diff = diff_traces(old, new)
    assert diff.trajectory is not None
    assert set(diff.trajectory.edits) == {
        StepEdit("changed", 1, 1, "tool:search", "tool:lookup"),
        StepEdit("removed", 2, None, "tool:read", None),
    }
    assert diff.tools_added == ("lookup",) and diff.tools_removed == ("read", "search")
    assert "Tools no longer used: read, search" in diff.summary()
    assert "Tool calls: 1 fewer" in diff.summary()


def test_llm_call_count_delta() -> None:
    old = Trace(events=[chat(), chat(), chat()])
    new = Trace(events=[chat(), chat()])
    diff = diff_traces(old, new)
    assert diff.llm_calls == Delta(3, 2)
    assert "LLM calls: 1 fewer" in diff.summary()
    assert "LLM calls" not in diff_traces(old, old).summary()


def test_model_change_is_per_aligned_call_not_a_new_path() -> None:
    old = Trace(events=[chat("gpt-4o"), tool("search"), chat("gpt-4o")])
    new = Trace(events=[chat("gpt-4o-mini"), tool("search"), chat("gpt-4o")])
    diff = diff_traces(old, new)
    assert diff.trajectory is None
    assert [(m.old_index, m.new_index, m.old, m.new) for m in diff.model_changes] == [
        (0, 0, "gpt-4o", "gpt-4o-mini")
    ]
    assert "Model changed: gpt-4o → gpt-4o-mini (step 1)" in diff.summary()


def test_tool_arguments_changed_per_key_for_aligned_tool_calls() -> None:
    old = Trace(
        events=[chat(), tool("search", {"q": "paris", "opts": {"lang": "en", "n": 3}, "tags": ["a"]})]
    )
    new = Trace(events=[chat(), tool("search", {"q": "lyon", "opts": {"lang": "en", "n": 5, "safe": True}})])
    (change,) = diff_traces(old, new).tool_arg_changes
    assert change.source == "tool_call" and (change.old_index, change.new_index) == (1, 1)
    assert list(change.changes) == [
        ValueChange("q", "changed", "paris", "lyon"),
        ValueChange("opts.n", "changed", 3, 5),
        ValueChange("opts.safe", "added", None, True),
        ValueChange("tags", "removed", ["a"], None),
    ]


def test_same_arguments_in_another_key_order_or_as_json_text_are_unchanged() -> None:
    old = Trace(events=[tool("search", {"q": "x", "n": 1})])
    new = Trace(events=[tool("search", '{"n": 1, "q": "x"}')])
    assert diff_traces(old, new).tool_arg_changes == ()


def test_requested_tool_calls_in_responses_are_compared() -> None:
    old = Trace(events=[chat(tool_calls=[("search", {"q": "paris"})])])
    new = Trace(events=[chat(tool_calls=[("browse", {"url": "u"}), ("search", {"q": "lyon"})])])
    diff = diff_traces(old, new)
    (requested,) = diff.requested_tool_changes
    assert (requested.old, requested.new) == (("search",), ("browse", "search"))
    (args,) = diff.tool_arg_changes
    assert (args.source, args.name, args.position) == ("requested", "search", 1)
    assert args.changes == (ValueChange("q", "changed", "paris", "lyon"),)
    assert diff.tools_added == ("browse",)
    text = diff.summary()
    assert "Requested tool calls changed (step 1): search → browse, search" in text
    assert "Requested tool args changed: search (step 1): q: 'paris' → 'lyon'" in text


def test_prompt_change_has_a_unified_diff_and_is_reported_once() -> None:
    def run(city: str) -> Trace:
        first = [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": f"Weather in\n{city}?"},
        ]
        second = [*first, {"role": "assistant", "content": "Sunny."}, {"role": "user", "content": "Thanks"}]
        return Trace(events=[chat(prompt=first), chat(prompt=second)])

    diff = diff_traces(run("Paris"), run("Lyon"))
    (change,) = diff.prompt_changes  # the second call repeats the same edited message: not reported again
    assert (change.op, change.old_message, change.new_message, change.role) == ("changed", 1, 1, "user")
    assert "-Paris?" in change.diff and "+Lyon?" in change.diff and " Weather in" in change.diff
    assert "Prompt changed: step 1, message 2 (user)" in diff.summary()


def test_added_system_prompt_is_an_added_message() -> None:
    old = Trace(events=[chat(prompt="hi")])
    new = Trace(
        events=[chat(prompt=[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}])]
    )
    (change,) = diff_traces(old, new).prompt_changes
    assert (change.op, change.old_message, change.new_message, change.role) == ("added", None, 0, "system")
    assert "+Be brief." in change.diff


def test_response_text_change_has_a_similarity_score() -> None:
    old = Trace(events=[chat(text="The capital of France is Paris.")])
    close = diff_traces(old, Trace(events=[chat(text="The capital of France is Paris!")])).response_changes
    far = diff_traces(old, Trace(events=[chat(text="I cannot help with that request.")])).response_changes
    assert len(close) == 1 and len(far) == 1
    assert 0.8 < close[0].similarity < 1.0
    assert far[0].similarity < 0.3
    assert diff_traces(old, old).response_changes == ()


def test_finish_reason_change() -> None:
    diff = diff_traces(Trace(events=[chat(finish="stop")]), Trace(events=[chat(finish="length")]))
    (change,) = diff.finish_reason_changes
    assert (change.old, change.new) == ("stop", "length")
    assert "Finish reason changed: step 1: stop → length" in diff.summary()


def test_token_and_cost_deltas_absolute_and_percent() -> None:
    old = Trace(events=[chat(input_tokens=1000, output_tokens=200)])
    new = Trace(events=[chat(input_tokens=1200, output_tokens=300)])
    diff = diff_traces(old, new)
    assert (diff.tokens.old, diff.tokens.new, diff.tokens.abs) == (1200, 1500, 300)
    assert diff.tokens.pct == pytest.approx(25.0)
    assert diff.input_tokens.abs == 200 and diff.output_tokens.abs == 100
    assert diff.cost_usd.abs is not None and diff.cost_usd.abs > 0
    text = diff.summary()
    assert "Tokens: 1,200 → 1,500 (+300, +25.0%) [input +200, output +100]" in text
    assert "Cost: $0.0045 → $0.006 (+$0.0015, +33.3%)" in text  # gpt-4o: $2.50 in, $10 out per MTok


def test_unknown_figures_stay_unknown() -> None:
    old = Trace(events=[chat("gpt-4o", usage=False)])
    new = Trace(events=[chat("gpt-4o")])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        diff = diff_traces(old, new)
    assert diff.tokens.old is None and diff.tokens.abs is None and diff.tokens.pct is None
    assert diff.cost_usd.old is None and diff.cost_usd.moved and diff.has_changes
    assert "Tokens: unknown → 120" in diff.summary()
    assert "Cost: unknown → $0.00045 (info only: set cost_tolerance_pct to count it)" in diff.summary()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert diff_traces(old, new, cost_tolerance_pct=50).cost_usd.changed  # unknown is never within


def test_latency_delta() -> None:
    old = Trace(events=[chat(duration_ms=1200.0)])
    new = Trace(events=[chat(duration_ms=900.0)])
    diff = diff_traces(old, new)
    assert diff.latency_ms.abs == -300.0 and diff.latency_ms.pct == pytest.approx(-25.0)
    assert "Latency: 1,200 ms → 900 ms (-300 ms, -25.0%)" in diff.summary()


def test_errors_appeared_and_disappeared() -> None:
    old = Trace(
        events=[chat(), tool("search", error="Timeout"), ErrorEvent(error_type="KeyError", message="x")]
    )
    new = Trace(
        events=[failed_chat(status=429), tool("search"), ErrorEvent(error_type="KeyError", message="x")]
    )
    diff = diff_traces(old, new)
    assert [(e.index, e.kind) for e in diff.errors_appeared] == [(0, "HTTP 429")]
    assert [(e.index, e.kind, e.message) for e in diff.errors_disappeared] == [(1, "tool error", "Timeout")]
    text = diff.summary()
    assert "Errors appeared:\n    step 1 llm_call:gpt-4o (HTTP 429): Rate limit reached" in text
    assert "Errors disappeared:\n    step 2 tool:search (tool error): Timeout" in text


def test_trajectory_modes_decide_what_counts_as_a_new_path() -> None:
    old = Trace(events=[chat(), tool("a"), tool("b"), chat()])
    reordered = Trace(events=[chat(), tool("b"), tool("a"), chat()])
    extended = Trace(events=[chat(), tool("a"), tool("x"), tool("b"), chat()])
    assert diff_traces(old, reordered).trajectory is not None
    assert diff_traces(old, reordered, trajectory_mode=TrajectoryMode.ANY_ORDER).trajectory is None
    assert diff_traces(old, reordered, trajectory_mode="in_order").trajectory is not None
    assert diff_traces(old, extended, trajectory_mode="in_order").trajectory is None
    assert diff_traces(extended, old, trajectory_mode="in_order").trajectory is not None


def test_long_trajectories_list_the_edits_instead_of_both_paths() -> None:
    steps = [chat() if n % 2 == 0 else tool("search") for n in range(60)]
    new_steps = [*steps[:31], AgentDecision(decision="route"), *steps[31:]]
    diff = diff_traces(Trace(events=steps), Trace(events=new_steps))
    text = diff.summary()
    assert "Old: 60 steps, New: 61 steps" in text
    assert "+ step 32: decision:route" in text


def test_to_dict_is_json_with_a_schema_version() -> None:
    class Opaque:
        def __repr__(self) -> str:
            return "<opaque>"

    old = Trace(events=[chat(), tool("search", {"q": "a", "obj": 1})])
    new = Trace(events=[chat(text="changed"), tool("search", {"q": "b", "obj": Opaque()})])
    data = json.loads(json.dumps(diff_traces(old, new).to_dict()))
    assert data["schema_version"] == SCHEMA_VERSION
    assert data["has_changes"] is True and data["trajectory"] is None
    changes = {c["path"]: c for c in data["tool_arg_changes"][0]["changes"]}
    assert changes["obj"]["new"] == "<opaque>" and changes["q"] == {
        "path": "q",
        "op": "changed",
        "old": "a",
        "new": "b",
    }
    assert data["response_changes"][0]["new_text"] == "changed"
    assert set(data["tokens"]) == {"old", "new", "abs", "pct", "changed", "within_tolerance"}
    assert data["info"] == []


def test_ignoring_aspects_and_tolerances() -> None:
    old = Trace(events=[chat(text="a", input_tokens=1000, output_tokens=0)])
    new = Trace(events=[chat(text="b", input_tokens=1050, output_tokens=0)])
    diff = diff_traces(old, new)
    assert diff.ignoring(["response_text", "tokens", "cost"]).has_changes is False
    assert diff.ignoring(["response_text", "cost"], tokens_tolerance_pct=10).has_changes is False
    assert diff.ignoring(["response_text", "cost"], tokens_tolerance_pct=4).has_changes is True
    with pytest.raises(ValueError, match="unknown aspect"):
        diff.ignoring(["vibes"])
    assert "latency" in ASPECTS


def test_assert_trace_unchanged_passes_and_fails_with_the_summary() -> None:
    assert_trace_unchanged(search_run(), search_run())
    new = Trace(events=[chat(text="let me search"), tool("search", {"q": "lyon"}), chat(text="Paris.")])
    with pytest.raises(AssertionError) as failure:
        assert_trace_unchanged(search_run(), new)
    assert str(failure.value) == diff_traces(search_run(), new).summary()
    assert "q: 'paris' → 'lyon'" in str(failure.value)
    assert_trace_unchanged(search_run(), new, ignore=("tool_args",))


def test_assert_trace_unchanged_checks_latency_only_past_a_tolerance() -> None:
    old = Trace(events=[chat(duration_ms=100.0)])
    new = Trace(events=[chat(duration_ms=400.0)])
    assert_trace_unchanged(old, new)
    assert_trace_unchanged(old, new, ignore=())
    with pytest.raises(AssertionError, match="Latency: 100 ms → 400 ms"):
        assert_trace_unchanged(old, new, latency_tolerance_pct=0)
    assert_trace_unchanged(old, new, latency_tolerance_pct=300)
    assert_trace_unchanged(old, new, ignore=("latency",), latency_tolerance_pct=0)


def test_assert_trace_unchanged_response_similarity_threshold() -> None:
    old = Trace(events=[chat(text="The capital of France is Paris.")])
    new = Trace(events=[chat(text="The capital of France is Paris!")])
    assert_trace_unchanged(old, new, min_response_similarity=0.8)
    with pytest.raises(AssertionError, match="Response text changed"):
        assert_trace_unchanged(old, new, min_response_similarity=0.99)


def test_a_message_appended_later_in_the_conversation_is_compared_at_its_position() -> None:
    def run(thanks: str) -> Trace:
        first = [{"role": "user", "content": "Weather?"}]
        second = [*first, {"role": "assistant", "content": "Sunny."}, {"role": "user", "content": thanks}]
        third = [*second, {"role": "assistant", "content": "You're welcome."}]
        return Trace(events=[chat(prompt=first), chat(prompt=second), chat(prompt=third)])

    diff = diff_traces(run("Thanks"), run("Thank you"))
    (change,) = diff.prompt_changes
    assert (change.old_index, change.new_index, change.old_message, change.new_message) == (1, 1, 2, 2)
    assert "-Thanks" in change.diff and "+Thank you" in change.diff
    assert "Prompt changed: step 2, message 3 (user)" in diff.summary()


def test_diff_of_two_thousand_step_runs_takes_well_under_a_second() -> None:
    def run(variant: int) -> Trace:
        events = []
        for n in range(1000):
            history = [{"role": "system", "content": "agent"}, {"role": "user", "content": f"step {n}"}]
            text = f"answer {n}" + (" (v2)" if variant and n % 37 == 0 else "")
            events.append(
                chat(
                    prompt=history,
                    text=text,
                    tool_calls=[("search", {"q": n, "v": variant * (n % 50 == 0)})],
                    response_id=f"r{variant}-{n}",
                    duration_ms=100.0,
                )
            )
            events.append(tool("search", {"q": n}, duration_ms=10.0))
            if variant and n % 250 == 0:
                events.append(tool("browse", {"url": n}))
        return Trace(events=events)

    old, new = run(0), run(1)
    diff = diff_traces(old, new)  # speed is measured in benchmarks/bench_diff.py, not here
    assert diff.trajectory is not None and len(diff.trajectory.edits) == 4
    assert len(diff.response_changes) == 28
