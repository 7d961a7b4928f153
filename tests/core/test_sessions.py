"""Recorder / Replayer behaviour through the real OpenAI SDK: modes, misses, secrets, nesting, threads."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import openai
import pytest

from trace_ops import (
    CassetteMismatchError,
    CassetteNotFoundError,
    Recorder,
    RecordModeError,
    Replayer,
    load_cassette,
)
from trace_ops.session import Session
from trace_ops.testing import FakeLLMServer
from trace_ops.trace import ErrorEvent, LLMCall

SECRET = "sk-proj-THISISASECRETKEY0123456789abcdef"


def client(server: FakeLLMServer, key: str = SECRET) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.openai_base_url, api_key=key, max_retries=0)


def ask(c: openai.OpenAI, question: str, **kw: Any) -> str:
    reply = c.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": question}], **kw)
    return reply.choices[0].message.content or ""


def record(server: FakeLLMServer, path: Path, *questions: str) -> None:
    with Recorder(save_to=path):
        for q in questions:
            ask(client(server), q)


# ------------------------------------------------------------------ misses and the network


def test_mismatch_names_cassette_call_and_difference(fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    record(fake_llm, path, "What is 2+2?", "And 3+3?")
    served = fake_llm.request_count
    with Replayer(path), pytest.raises(CassetteMismatchError) as info:
        ask(client(fake_llm), "What is 2+2?")
        ask(client(fake_llm), "And 3+4?")
    message = str(info.value)
    assert str(path) in message
    assert "LLM call #2" in message
    assert 'messages[0].content: "And 3+4?" != "And 3+3?"' in message
    assert "closest recorded call: #2" in message
    assert "to re-record" in message
    assert fake_llm.request_count == served  # the miss never reached the server (which is still up)


def test_more_identical_calls_than_recorded_is_a_clear_miss(fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    record(fake_llm, path, "same")
    with Replayer(path), pytest.raises(CassetteMismatchError, match="already replayed"):
        ask(client(fake_llm), "same")
        ask(client(fake_llm), "same")
    with Replayer(path, allow_playback_repeats=True):
        assert ask(client(fake_llm), "same") == ask(client(fake_llm), "same") == "Echo: same"


def test_missing_cassette(tmp_path: Path) -> None:
    with pytest.raises(CassetteNotFoundError, match="cassette not found; to re-record"):
        Replayer(tmp_path / "missing.yaml").start()


def test_unknown_record_mode() -> None:
    with pytest.raises(RecordModeError, match="choose one of: none, once, new_episodes, all, rewrite"):
        Replayer("x.yaml", record_mode="sometimes")


def test_sequential_mode_rejects_reordering(fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    record(fake_llm, path, "first", "second")
    with Replayer(path), Replayer(path, sequential=False):
        pass
    with Replayer(path, sequential=True), pytest.raises(CassetteMismatchError, match="#1"):
        ask(client(fake_llm), "second")
    with Replayer(path):  # default: order of different requests does not matter
        assert ask(client(fake_llm), "second") == "Echo: second"
        assert ask(client(fake_llm), "first") == "Echo: first"


def test_match_on_lets_a_parameter_change_pass(fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    with Recorder(save_to=path):
        ask(client(fake_llm), "hi", temperature=0)
    with Replayer(path), pytest.raises(CassetteMismatchError, match="temperature: 1 != 0"):
        ask(client(fake_llm), "hi", temperature=1)
    with Replayer(path, match_on=("endpoint", "model", "messages")):
        assert ask(client(fake_llm), "hi", temperature=1) == "Echo: hi"


# ------------------------------------------------------------------ record modes


def test_mode_once_records_then_replays(fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    with Session(path, record_mode="once") as s:
        ask(client(fake_llm), "a")
    assert s.recorded_count == 1 and path.exists()
    with Session(path, record_mode="once") as s:
        ask(client(fake_llm), "a")
        with pytest.raises(CassetteMismatchError):
            ask(client(fake_llm), "b")
    assert s.replayed_count == 1 and fake_llm.request_count == 1


def test_mode_new_episodes_appends(fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    record(fake_llm, path, "a")
    with Session(path, record_mode="new_episodes") as s:
        ask(client(fake_llm), "a")
        ask(client(fake_llm), "b")
    assert (s.replayed_count, s.recorded_count, fake_llm.request_count) == (1, 1, 2)
    assert [c.request["messages"][0]["content"] for c in load_cassette(path).llm_calls] == ["a", "b"]


def test_mode_all_and_rewrite_replace(fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    record(fake_llm, path, "a", "b")
    with Session(path, record_mode="all"):
        ask(client(fake_llm), "a")
    assert fake_llm.request_count == 3 and load_cassette(path).total_llm_calls == 1

    class Boom(Exception):
        pass

    with pytest.raises(Boom), Session(path, record_mode="rewrite"):
        ask(client(fake_llm), "b")
        raise Boom
    assert [c.request["messages"][0]["content"] for c in load_cassette(path).llm_calls] == ["b"]


# ------------------------------------------------------------------ secrets


def test_secrets_never_reach_the_cassette(fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    prompt = f"my key is {SECRET} and my token is Bearer abcdefghijklmnop1234 and EMP-12345"
    with Recorder(save_to=path, scrub_patterns=[r"EMP-\d+"]):
        ask(client(fake_llm), prompt)
        c = openai.OpenAI(
            base_url=fake_llm.openai_base_url,
            api_key=SECRET,
            organization="org-secretorg",
            default_headers={"X-Custom-Auth": "hunter2hunter2"},
        )
        ask(c, "hi")
    text = path.read_text()
    for leaked in (
        SECRET,
        "abcdefghijklmnop1234",
        "EMP-12345",
        "org-secretorg",
        "hunter2hunter2",
        "authorization",
    ):
        assert leaked not in text, leaked
    assert "[REDACTED]" in text
    # a scrubbed request still replays: live requests are scrubbed the same way before matching
    fake_llm.stop()
    with Replayer(path, scrub_patterns=[r"EMP-\d+"]):
        assert ask(client(fake_llm), prompt).startswith("Echo: my key is [REDACTED]")


def test_before_record_hook_edits_and_drops(fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"

    def hook(event: Any) -> Any:
        if isinstance(event, LLMCall) and event.request["messages"][0]["content"] == "drop me":
            return None
        return event

    with Recorder(save_to=path, before_record=hook) as rec:
        ask(client(fake_llm), "keep me")
        ask(client(fake_llm), "drop me")
    assert rec.trace.total_llm_calls == 2
    assert [c.request["messages"][0]["content"] for c in load_cassette(path).llm_calls] == ["keep me"]


# ------------------------------------------------------------------ lifecycle, events, nesting, threads


def test_agent_exception_saves_what_was_recorded(fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    with pytest.raises(KeyError), Recorder(save_to=path) as rec:
        ask(client(fake_llm), "before the crash")
        rec.record_tool_call("lookup", {"id": 7}, None, error=KeyError("7"))
        raise KeyError("7")
    trace = load_cassette(path)
    assert trace.trajectory == ["llm_call:gpt-4o", "tool:lookup", "error:KeyError"]
    assert trace.tool_calls[0].error == "KeyError: '7'"
    assert isinstance(trace.events[-1], ErrorEvent) and trace.events[-1].message == "'7'"


def test_tool_calls_and_decisions_in_trajectory(fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    with Recorder() as rec:
        rec.record_decision("route", to="search_agent")
        ask(client(fake_llm), "q")
        rec.record_tool_call("search", {"q": "x"}, "result", duration_ms=2.0)
    assert rec.trace.trajectory == ["decision:route", "llm_call:gpt-4o", "tool:search"]
    assert rec.trace.total_tool_calls == 1 and rec.trace.total_llm_calls == 1
    assert rec.trace.total_tokens > 0


def test_nested_recorder_inside_replayer_sees_replayed_calls(fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    record(fake_llm, path, "a", "b")
    fake_llm.stop()
    with Replayer(path) as outer:
        ask(client(fake_llm), "a")
        with Recorder() as inner:
            ask(client(fake_llm), "b")
    assert outer.trace.total_llm_calls == 2
    assert inner.trace.total_llm_calls == 1 and inner.recorded_count == 1


def test_patches_are_refcounted_and_idle_patches_pass_through(fake_llm: FakeLLMServer) -> None:
    from trace_ops import interceptors

    before = interceptors._active  # the pytest plugin keeps one reference for the whole run
    with Recorder() as rec:
        assert interceptors._active == before + 1
        assert "FunctionWrapper" in type(openai._base_client.SyncAPIClient.__dict__["request"]).__name__
    assert interceptors._active == before
    assert ask(client(fake_llm), "plain") == "Echo: plain"  # no session: not recorded anywhere
    assert rec.trace.total_llm_calls == 0
    patched = "FunctionWrapper" in type(openai._base_client.SyncAPIClient.__dict__["request"]).__name__
    assert patched == (before > 0)


def test_threads_record_and_replay_every_call(fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    questions = [f"thread {t} question {i}" for t in range(8) for i in range(5)]

    def run(answers: dict[str, str]) -> None:
        c = client(fake_llm)

        def worker(chunk: list[str]) -> None:
            for q in chunk:
                answers[q] = ask(c, q)

        threads = [threading.Thread(target=worker, args=(questions[i::8],)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    live: dict[str, str] = {}
    with Recorder(save_to=path) as rec:
        run(live)
    assert rec.trace.total_llm_calls == 40
    fake_llm.stop()
    replayed: dict[str, str] = {}
    with Replayer(path) as rep:
        run(replayed)
    assert replayed == live and len(live) == 40
    assert rep.unused_calls == []

