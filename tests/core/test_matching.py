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


# ------------------------------------------------------------------ registered matchers


@pytest.fixture
def last_user_matcher() -> Any:
    from trace_ops.matching import MATCHERS, register_matcher

    def last_user(request: dict[str, Any]) -> dict[str, Any]:
        users = [m for m in request.get("messages", []) if m.get("role") == "user"]
        return {"last_user": users[-1]["content"] if users else None}

    register_matcher("last_user", last_user)
    yield "last_user"
    del MATCHERS["last_user"]


def test_a_registered_matcher_decides_what_must_be_equal(
    last_user_matcher: str, fake_llm: Any, tmp_path: Any
) -> None:
    import openai

    from trace_ops import CassetteMismatchError, Recorder, Replayer

    client = openai.OpenAI(base_url=fake_llm.openai_base_url, api_key="sk-x", max_retries=0)

    def ask(system: str) -> str:
        messages = [{"role": "system", "content": system}, {"role": "user", "content": "Where is Lyon?"}]
        reply = client.chat.completions.create(model="gpt-4o", messages=messages)
        return reply.choices[0].message.content or ""

    path = tmp_path / "c.yaml"
    with Recorder(save_to=path):
        recorded = ask("You are terse.")
    fake_llm.stop()
    with Replayer(path), pytest.raises(CassetteMismatchError, match="You are verbose"):
        ask("You are verbose.")  # by default the system prompt counts
    with Replayer(path, match_on=("endpoint", "model", last_user_matcher)):
        assert ask("You are verbose.") == recorded  # only the last user message must match


def test_matcher_names_are_checked_and_built_ins_kept(last_user_matcher: str) -> None:
    from trace_ops.matching import register_matcher

    assert validate_match_on(["messages", last_user_matcher]) == ("messages", "last_user")
    with pytest.raises(ValueError, match="already a matcher"):
        register_matcher("messages", lambda r: {})
    with pytest.raises(ValueError, match="unknown field"):
        validate_match_on(["colour"])
