"""Redaction collisions: requests that differ only inside a redacted secret share one fingerprint,
so they are refused at save (each saved as not recorded, one error naming the calls): a replay
never answers one with the other's answer, and the secrets never reach the cassette."""

from __future__ import annotations

import logging
from pathlib import Path

import openai
import pytest

from trace_ops import CassetteMismatchError, Recorder, RedactionCollisionError, Replayer, load_cassette
from trace_ops.session import Session
from trace_ops.testing import FakeLLMServer

KEY_A = "sk-proj-AAAAAAAAAAAAAAAA0123456789"
KEY_B = "sk-proj-BBBBBBBBBBBBBBBB0123456789"


def client(server: FakeLLMServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.openai_base_url, api_key="x", max_retries=0)


def ask(c: openai.OpenAI, question: str) -> str:
    reply = c.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": question}])
    return reply.choices[0].message.content or ""


def test_calls_differing_only_in_a_secret_are_refused_and_never_replayed_crosswise(
    fake_llm: FakeLLMServer, tmp_path: Path
) -> None:
    path = tmp_path / "c.yaml"
    with pytest.raises(RedactionCollisionError) as caught, Recorder(save_to=path) as rec:
        assert ask(client(fake_llm), "plain question") == "Echo: plain question"
        ask(client(fake_llm), f"use {KEY_A} for project one")
        ask(client(fake_llm), f"use {KEY_B} for project one")
    message = str(caught.value)
    assert message.startswith(f"{path}: LLM calls #2 and #3 (openai chat.completions, model 'gpt-4o')")
    assert "redacted secret" in message and "scrub pattern" in message and "\n" not in message
    assert rec.unrecorded_count == 2
    text = path.read_text()
    assert KEY_A not in text and KEY_B not in text and "AAAAAAAA" not in text and "BBBBBBBB" not in text
    calls = load_cassette(path).llm_calls
    assert [c.not_recorded is not None for c in calls] == [False, True, True]
    for key in (KEY_B, KEY_A):  # either order: a refusal that says why, never the other's answer
        with Replayer(path) as replay:
            with pytest.raises(CassetteMismatchError, match="only inside a redacted secret"):
                ask(client(fake_llm), f"use {key} for project one")
            assert ask(client(fake_llm), "plain question") == "Echo: plain question"
        assert replay.replayed_count == 1


def test_the_same_secret_twice_is_no_collision(fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    with Recorder(save_to=path) as rec:
        ask(client(fake_llm), f"use {KEY_A}")
        ask(client(fake_llm), f"use {KEY_A}")
        ask(client(fake_llm), "use [REDACTED] literally")  # no secret: its own request
    assert rec.unrecorded_count == 0
    with Replayer(path):
        assert ask(client(fake_llm), f"use {KEY_B}") == "Echo: use [REDACTED]"  # another key matches


def test_a_literal_redacted_marker_colliding_with_a_secret_is_refused(
    fake_llm: FakeLLMServer, tmp_path: Path
) -> None:
    path = tmp_path / "c.yaml"
    with pytest.raises(RedactionCollisionError, match=r"LLM calls #1 and #2"), Recorder(save_to=path):
        ask(client(fake_llm), "use [REDACTED]")
        ask(client(fake_llm), f"use {KEY_A}")


def test_collisions_are_caught_while_replaying_and_recording_new_episodes(
    fake_llm: FakeLLMServer, tmp_path: Path
) -> None:
    path = tmp_path / "c.yaml"
    with Recorder(save_to=path):
        ask(client(fake_llm), "old question")
    with (
        pytest.raises(RedactionCollisionError, match=r"LLM calls #2 and #3"),
        Session(path, record_mode="new_episodes"),
    ):
        assert ask(client(fake_llm), "old question") == "Echo: old question"  # replayed
        ask(client(fake_llm), f"key {KEY_A}")
        ask(client(fake_llm), f"key {KEY_B}")
    assert [c.not_recorded is not None for c in load_cassette(path).llm_calls] == [False, True, True]
    assert KEY_A not in path.read_text() and KEY_B not in path.read_text()


def test_a_failing_agent_keeps_its_exception_and_the_collision_is_logged(
    fake_llm: FakeLLMServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "c.yaml"

    class Boom(Exception):
        pass

    with caplog.at_level(logging.ERROR, "trace_ops"), pytest.raises(Boom), Recorder(save_to=path):
        ask(client(fake_llm), f"key {KEY_A}")
        ask(client(fake_llm), f"key {KEY_B}")
        raise Boom
    assert "differ only inside a redacted secret" in caplog.text
    assert KEY_A not in caplog.text and KEY_B not in caplog.text
    assert all(c.not_recorded is not None for c in load_cassette(path).llm_calls)


def test_the_fixture_fails_the_test_in_one_line(
    pytester: pytest.Pytester, fake_llm: FakeLLMServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CI", raising=False)  # the child run records: CI would refuse that
    pytester.makepyfile(
        f"""
        import openai

        def test_agent(cassette):
            c = openai.OpenAI(base_url={fake_llm.openai_base_url!r}, api_key="x", max_retries=0)
            for key in ({KEY_A!r}, {KEY_B!r}):
                c.chat.completions.create(model="gpt-4o", messages=[{{"role": "user", "content": key}}])
        """
    )
    result = pytester.runpytest("--record", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*LLM calls #1 and #2 (openai chat.completions*only inside a redacted*"])


def test_the_trace_id_does_not_depend_on_the_secret(fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    """The id is derived from the fingerprints the cassette holds (scrubbed), not from the raw
    requests: re-recording with another key gives the same id, and no hash of the key."""
    path = tmp_path / "c.yaml"
    ids = []
    for key in (KEY_A, KEY_B):
        with Recorder(save_to=path):
            ask(client(fake_llm), f"use {key}")
        ids.append(load_cassette(path).id)
    assert ids[0] == ids[1]
