"""Fingerprints, the match index and the field-by-field mismatch diff."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from trace_ops.matching import MatchIndex, diff_values, fingerprint, validate_match_on
from trace_ops.trace import LLMCall

BASE: dict[str, Any] = {
    "model": "gpt-4o",
    "messages": [{"role": "user", "content": "hi"}],
    "temperature": 0,
}


def call(**changes: Any) -> LLMCall:
    request = {**BASE, **changes}
    return LLMCall(
        provider="openai", endpoint="chat.completions", request=request, response={"n": len(request)}
    )


def test_fingerprint_ignores_volatile_keys_only() -> None:
    fp = fingerprint("chat.completions", BASE)
    for volatile in ({"user": "u1"}, {"stream_options": {"include_usage": True}}, {"metadata": {"run": "7"}}):
        assert fingerprint("chat.completions", {**BASE, **volatile}) == fp
    for relevant in (
        {"model": "gpt-4o-mini"},
        {"messages": [{"role": "user", "content": "hello"}]},
        {"temperature": 1},
        {"tools": [{"type": "function"}]},
        {"tool_choice": "required"},
        {"response_format": {"type": "json_object"}},
        {"stream": True},
    ):
        assert fingerprint("chat.completions", {**BASE, **relevant}) != fp, relevant
    assert fingerprint("responses", BASE) != fp
    # key order never matters
    assert fingerprint("chat.completions", dict(reversed(list(BASE.items())))) == fp


def test_match_on_subsets() -> None:
    only_messages = ("endpoint", "messages")
    a = fingerprint("chat.completions", BASE, only_messages)
    assert fingerprint("chat.completions", {**BASE, "model": "other", "temperature": 1}, only_messages) == a
    assert fingerprint("chat.completions", {**BASE, "messages": []}, only_messages) != a
    with pytest.raises(ValueError, match="unknown field"):
        validate_match_on(["messages", "colour"])


def test_identical_requests_are_consumed_in_recorded_order() -> None:
    first, second, other = call(), call(), call(temperature=1)
    index = MatchIndex([first, other, second])
    fp = fingerprint("chat.completions", BASE)
    assert index.take(fp) is first
    assert index.take(fp) is second
    assert index.take(fp) is None
    assert index.unused == [1]


def test_repeats_and_sequential_mode() -> None:
    first, other = call(), call(temperature=1)
    repeats = MatchIndex([first], allow_repeats=True)
    fp = fingerprint("chat.completions", BASE)
    assert repeats.take(fp) is first and repeats.take(fp) is first

    strict = MatchIndex([first, other], sequential=True)
    other_fp = fingerprint("chat.completions", other.request)
    assert strict.take(other_fp) is None  # out of order
    assert strict.take(fp) is first
    assert strict.take(other_fp) is other


def test_index_is_thread_safe() -> None:
    calls = [call() for _ in range(400)]
    index = MatchIndex(calls)
    fp = fingerprint("chat.completions", BASE)
    taken: list[LLMCall] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(50):
            got = index.take(fp)
            assert got is not None
            with lock:
                taken.append(got)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(c) for c in taken}) == 400


def test_closest_and_readable_diff() -> None:
    index = MatchIndex(
        [call(), call(messages=[{"role": "user", "content": "something else entirely"}], top_p=1)]
    )
    position, differences = index.closest("chat.completions", {**BASE, "temperature": 0.5}) or (None, [])
    assert position == 0
    assert differences == ["temperature: 0.5 != 0"]


def test_diff_values_paths() -> None:
    live = {"messages": [{"role": "user", "content": "What is 2+3?"}], "tools": [1]}
    recorded = {"messages": [{"role": "user", "content": "What is 2+2?"}, {"role": "x"}], "n": 1}
    assert diff_values(live, recorded) == [
        'messages[0].content: "What is 2+3?" != "What is 2+2?"',
        'messages[1]: <absent> != {"role": "x"}',
        "tools: [1] != <absent>",
        "n: <absent> != 1",
    ]
    long_a = "x" * 200 + "A" + "y" * 50
    long_b = "x" * 200 + "B" + "y" * 50
    (line,) = diff_values(long_a, long_b)
    assert "A" in line and "B" in line and len(line) < 200  # shows the spot that differs, not the whole text
