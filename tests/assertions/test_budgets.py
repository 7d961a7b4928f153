"""Budget assertions: pass under the limit, fail over it naming figure, limit and steps; unknown fails."""

from __future__ import annotations

import warnings

import pytest

from tests.diff.traces import chat, failed_chat, tool
from trace_ops.assertions import (
    assert_cost_under,
    assert_latency_under,
    assert_max_llm_calls,
    assert_no_loops,
    assert_tokens_under,
)
from trace_ops.cost import register_price
from trace_ops.trace import Trace


def test_cost_under_passes_and_fails_with_the_most_expensive_call() -> None:
    register_price("cheap", input_per_mtok=1.0, output_per_mtok=0.0)
    register_price("pricey", input_per_mtok=100.0, output_per_mtok=0.0)
    trace = Trace(
        events=[chat("cheap", input_tokens=1000), tool("search"), chat("pricey", input_tokens=1000)]
    )
    assert_cost_under(trace, max_usd=0.2)
    with pytest.raises(AssertionError) as failure:
        assert_cost_under(trace, max_usd=0.05)
    message = str(failure.value)
    assert message.startswith("cost $0.101 exceeds limit $0.05 over 2 LLM calls")
    assert "most expensive: call #2, step 3 llm_call:pricey $0.10" in message


def test_cost_unknown_fails_with_the_word_unknown() -> None:
    trace = Trace(events=[chat("gpt-4o"), chat("foo-1")])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(AssertionError) as failure:
            assert_cost_under(trace, max_usd=100.0)
    assert str(failure.value) == (
        "cost unknown: no price for model 'foo-1' from provider 'openai' "
        "(call #2, step 2 llm_call:foo-1); limit $100.00"
    )


def test_failed_calls_cost_nothing_and_do_not_make_cost_unknown() -> None:
    assert_cost_under(Trace(events=[failed_chat(), chat("gpt-4o")]), max_usd=0.01)


def test_tokens_under_total_input_and_output() -> None:
    trace = Trace(
        events=[chat(input_tokens=600, output_tokens=100), chat(input_tokens=300, output_tokens=50)]
    )
    assert_tokens_under(trace, max_tokens=1050, max_input_tokens=900, max_output_tokens=150)
    with pytest.raises(AssertionError) as failure:
        assert_tokens_under(trace, max_tokens=1000)
    assert str(failure.value).startswith(
        "tokens 1,050 exceed limit 1,000; largest calls: call #1, step 1 llm_call:gpt-4o 700"
    )
    with pytest.raises(AssertionError, match=r"^input tokens 900 exceed limit 899"):
        assert_tokens_under(trace, max_input_tokens=899)
    with pytest.raises(AssertionError, match=r"^output tokens 150 exceed limit 149"):
        assert_tokens_under(trace, max_output_tokens=149)


def test_tokens_unknown_when_a_call_reported_no_usage() -> None:
    trace = Trace(events=[chat(), chat(usage=False), failed_chat()])
    with pytest.raises(
        AssertionError, match=r"^tokens unknown: no usage recorded \(call #2, step 2 llm_call:gpt-4o\)"
    ):
        assert_tokens_under(trace, max_tokens=10**9)
    assert_tokens_under(Trace(events=[chat(), failed_chat()]), max_tokens=120)  # a refused call is 0


def test_tokens_under_needs_a_limit() -> None:
    with pytest.raises(ValueError):
        assert_tokens_under(Trace())


def test_max_llm_calls_names_the_calls_beyond_the_limit() -> None:
    trace = Trace(events=[chat(), tool("a"), chat(), chat()])
    assert_max_llm_calls(trace, max_calls=3)
    with pytest.raises(AssertionError) as failure:
        assert_max_llm_calls(trace, max_calls=2)
    assert (
        str(failure.value) == "3 LLM calls exceed limit 2; beyond the limit: call #3, step 4 llm_call:gpt-4o"
    )


def test_no_loops_consecutive_same_tool() -> None:
    looping = Trace(events=[e for _ in range(4) for e in (chat(text="again"), tool("search"))])
    assert_no_loops(looping, max_consecutive_same_tool=4, max_identical_llm_requests=None)
    with pytest.raises(AssertionError) as failure:
        assert_no_loops(looping, max_consecutive_same_tool=3, max_identical_llm_requests=None)
    assert str(failure.value) == (
        "loop: tool 'search' called 4 times in a row (limit 3): "
        "step 2 tool:search, step 4 tool:search, step 6 tool:search, step 8 tool:search"
    )
    varied = Trace(events=[tool("search"), tool("search"), tool("read"), tool("search"), tool("search")])
    assert_no_loops(varied, max_consecutive_same_tool=2)


def test_no_loops_uses_requested_calls_when_no_tool_events_were_recorded() -> None:
    trace = Trace(events=[chat(prompt=f"turn {n}", tool_calls=[("search", {"n": n})]) for n in range(3)])
    with pytest.raises(AssertionError, match="tool 'search' called 3 times in a row"):
        assert_no_loops(trace, max_consecutive_same_tool=2)


def test_no_loops_identical_llm_requests() -> None:
    same = Trace(events=[chat(prompt="status?", response_id=f"r{n}") for n in range(3)])
    assert_no_loops(same, max_identical_llm_requests=3)
    with pytest.raises(AssertionError) as failure:
        assert_no_loops(same, max_identical_llm_requests=2)
    assert str(failure.value).startswith(
        "loop: the same LLM request was sent 3 times (limit 2): call #1, step 1"
    )
    different = Trace(events=[chat(prompt=f"status {n}?") for n in range(3)])
    assert_no_loops(different, max_identical_llm_requests=1)
    retried = Trace(events=[failed_chat(prompt="x"), failed_chat(prompt="x"), chat(prompt="x")])
    assert_no_loops(retried, max_identical_llm_requests=1)  # retries after errors are not a loop


def test_latency_total_and_per_call() -> None:
    trace = Trace(
        events=[
            chat(duration_ms=300.0),
            tool("search", duration_ms=50.0),
            tool("manual"),
            chat(duration_ms=900.0),
        ]
    )
    assert_latency_under(trace, max_ms=1250)
    with pytest.raises(AssertionError) as failure:
        assert_latency_under(trace, max_ms=1000)
    assert str(failure.value).startswith(
        "latency 1,250 ms exceeds limit 1,000 ms; slowest: step 4 llm_call:gpt-4o 900 ms"
    )
    assert_latency_under(trace, max_ms=900, per_call=True)
    with pytest.raises(
        AssertionError, match=r"^1 step\(s\) slower than 500 ms: step 4 llm_call:gpt-4o 900 ms$"
    ):
        assert_latency_under(trace, max_ms=500, per_call=True)


def test_latency_unknown_when_an_llm_call_was_not_timed() -> None:
    trace = Trace(events=[chat(duration_ms=10.0), chat(duration_ms=None)])
    with pytest.raises(
        AssertionError, match=r"^latency unknown: no duration recorded \(step 2 llm_call:gpt-4o\)"
    ):
        assert_latency_under(trace, max_ms=10**9, per_call=True)
