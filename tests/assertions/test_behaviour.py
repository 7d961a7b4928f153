"""Behaviour assertions: tools called (run or requested), arguments, response text, trajectory."""

from __future__ import annotations

import pytest

from tests.diff.traces import anthropic, chat, failed_chat, tool
from trace_ops.assertions import (
    assert_response_contains,
    assert_tool_args_match,
    assert_tool_called,
    assert_tool_not_called,
    assert_trajectory,
    partial_mismatches,
)
from trace_ops.diff import TrajectoryMode
from trace_ops.trace import Trace


def booking_run() -> Trace:
    """The model requests two tools; the agent runs them (recorded as ToolCall events)."""
    return Trace(
        events=[
            chat(
                tool_calls=[("check_availability", {"time": "19:00"}), ("reserve_table", {"party_size": 2})]
            ),
            tool("check_availability", {"time": "19:00"}, {"free": True}),
            tool(
                "reserve_table",
                {"party_size": 2, "guest": {"name": "Ada", "phone": "123"}, "tags": ["window"]},
            ),
            chat(text="Your table is confirmed for 7pm."),
        ]
    )


def test_tool_called_counts_a_requested_then_run_call_once() -> None:
    trace = booking_run()
    assert_tool_called(trace, "reserve_table")
    assert_tool_called(trace, "reserve_table", times=1)
    with pytest.raises(AssertionError) as failure:
        assert_tool_called(trace, "reserve_table", times=2)
    assert str(failure.value) == (
        "tool 'reserve_table' was called 1 time(s) (step 1 llm_call:gpt-4o requested reserve_table, "
        "step 3 tool:reserve_table), expected exactly 2; "
        "tools called: check_availability x1, reserve_table x1"
    )


def test_tool_called_min_times_and_never_called() -> None:
    trace = Trace(events=[tool("search"), tool("search")])
    assert_tool_called(trace, "search", min_times=2)
    with pytest.raises(AssertionError, match=r"called 2 time\(s\) .*expected at least 3"):
        assert_tool_called(trace, "search", min_times=3)
    with pytest.raises(
        AssertionError,
        match=r"^tool 'browse' was called 0 time\(s\), expected at least 1; tools called: search x2$",
    ):
        assert_tool_called(trace, "browse")


def test_tool_called_sees_anthropic_tool_use_requests() -> None:
    assert_tool_called(Trace(events=[anthropic(tool_uses=[("lookup", {"id": 7})])]), "lookup", times=1)


def test_tool_not_called() -> None:
    trace = booking_run()
    assert_tool_not_called(trace, "cancel_booking")
    with pytest.raises(AssertionError) as failure:
        assert_tool_not_called(trace, "check_availability")
    assert str(failure.value) == (
        "tool 'check_availability' was called 1 time(s), expected never: "
        "step 1 llm_call:gpt-4o requested check_availability, step 2 tool:check_availability"
    )


def test_tool_args_match_deep_partial() -> None:
    trace = booking_run()
    assert_tool_args_match(trace, "reserve_table", {"party_size": 2})
    assert_tool_args_match(trace, "reserve_table", {"guest": {"name": "Ada"}, "tags": ["window"]})
    with pytest.raises(AssertionError) as failure:
        assert_tool_args_match(trace, "reserve_table", {"party_size": 3, "guest": {"name": "Bob"}})
    assert str(failure.value) == (
        "no call of tool 'reserve_table' matches {'party_size': 3, 'guest': {'name': 'Bob'}}:\n"
        "  step 1 llm_call:gpt-4o requested reserve_table: party_size: 2 != expected 3; guest: missing "
        "(expected {'name': 'Bob'})\n"
        "  step 3 tool:reserve_table: party_size: 2 != expected 3; guest.name: 'Ada' != expected 'Bob'"
    )


def test_tool_args_match_considers_requested_calls_alone() -> None:
    trace = Trace(events=[chat(tool_calls=[("search", {"q": "paris", "n": 3})])])
    assert_tool_args_match(trace, "search", {"q": "paris"})
    with pytest.raises(AssertionError, match="q: 'paris' != expected 'lyon'"):
        assert_tool_args_match(trace, "search", {"q": "lyon"})


def test_tool_args_match_when_the_tool_never_ran() -> None:
    with pytest.raises(AssertionError, match=r"^tool 'reserve' was never called, so no arguments match"):
        assert_tool_args_match(Trace(events=[tool("search", {})]), "reserve", {"a": 1})


@pytest.mark.parametrize(
    ("expected", "actual", "problems"),
    [
        ({"a": 1}, {"a": 1, "b": 2}, []),
        ({"a": {"b": 1}}, {"a": {"b": 1, "c": 2}}, []),
        ({"a": [1, {"x": 1}]}, {"a": [1, {"x": 1, "y": 2}]}, []),
        ({"a": [1]}, {"a": [1, 2]}, ["a: expected [1], got [1, 2]"]),
        ({"a": [1, 2]}, {"a": [2, 1]}, ["a[0]: 2 != expected 1", "a[1]: 1 != expected 2"]),
        ({"a": True}, {"a": 1}, ["a: 1 != expected True"]),
        ({"a": 1}, {}, ["a: missing (expected 1)"]),
        ({"a": 1}, '{"a": 1}', []),
        ({"a": 1}, "not json", ["(value): expected an object, got 'not json'"]),
        ("x", "x", []),
    ],
)
def test_partial_mismatches(expected: object, actual: object, problems: list[str]) -> None:
    assert partial_mismatches(expected, actual) == problems


def test_response_contains_final_or_any() -> None:
    trace = Trace(events=[chat(text="Checking availability"), chat(text="Your table is confirmed.")])
    assert_response_contains(trace, "confirmed")
    assert_response_contains(trace, r"table is \w+\.", regex=True)
    assert_response_contains(trace, "availability", which="any")
    with pytest.raises(AssertionError) as failure:
        assert_response_contains(trace, "availability")
    assert str(failure.value) == (
        "the final response contains 'availability':\n"
        "  call #2, step 2 llm_call:gpt-4o: 'Your table is confirmed.'"
    )
    with pytest.raises(AssertionError, match="none of 2 responses contains regex"):
        assert_response_contains(trace, r"^cancel", regex=True, which="any")


def test_response_contains_skips_failed_calls_and_rejects_bad_which() -> None:
    trace = Trace(events=[chat(text="done"), failed_chat()])
    assert_response_contains(trace, "done")
    with pytest.raises(ValueError):
        assert_response_contains(trace, "done", which="first")
    with pytest.raises(AssertionError, match="no LLM response in the trace"):
        assert_response_contains(Trace(events=[failed_chat()]), "x")


def test_trajectory_with_tool_names() -> None:
    trace = booking_run()
    assert_trajectory(trace, ["check_availability", "reserve_table"])
    assert_trajectory(trace, ["reserve_table", "check_availability"], mode=TrajectoryMode.ANY_ORDER)
    assert_trajectory(trace, ["reserve_table"], mode="in_order")
    with pytest.raises(AssertionError) as failure:
        assert_trajectory(trace, ["reserve_table", "check_availability"])
    assert str(failure.value) == (
        "trajectory does not match (exact):\n"
        "  expected: reserve_table → check_availability\n"
        "  actual:   check_availability → reserve_table"
    )
    with pytest.raises(AssertionError, match="missing: cancel"):
        assert_trajectory(trace, ["cancel"], mode="any_order")


def test_trajectory_with_full_labels() -> None:
    trace = booking_run()
    assert_trajectory(
        trace, ["llm_call:gpt-4o", "check_availability", "tool:reserve_table", "llm_call:gpt-4o"]
    )
    assert_trajectory(trace, ["llm_call:gpt-4o", "reserve_table"], mode="in_order")
    with pytest.raises(AssertionError, match=r"\(in_order\)"):
        assert_trajectory(trace, ["reserve_table", "llm_call:gpt-4o-mini"], mode="in_order")
