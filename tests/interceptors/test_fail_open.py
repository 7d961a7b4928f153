"""Recording must never break the agent: a failure of ours while recording leaves the call unrecorded.

The agent gets the live answer unchanged, a warning names the call, the session counts it,
and the cassette marks it so that a replay reaching it fails (never answers it). Replay stays
strict. Failures are forced in trace_ops' own code (a value our describer cannot handle, or
one of our functions patched to raise), never in the SDK.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import openai
import pytest

import trace_ops
from trace_ops import CassetteMismatchError, CassetteWriteError, Recorder, Replayer, load_cassette
from trace_ops._seam import CallHandle
from trace_ops.interceptors import _stainless
from trace_ops.testing import FakeLLMServer

MESSAGES = [{"role": "user", "content": "What is the capital of France?"}]


def ask(server: FakeLLMServer, *, stream: bool, is_async: bool, question: str = "") -> Any:
    """One chat call through the real SDK; a stream is consumed to its list of chunk dumps."""
    messages = [{"role": "user", "content": question}] if question else MESSAGES
    kwargs: dict[str, Any] = {"model": "gpt-4o", "messages": messages, "stream": stream}

    def sync() -> Any:
        client = openai.OpenAI(base_url=server.openai_base_url, api_key="sk-test", max_retries=0)
        result = client.chat.completions.create(**kwargs)
        return [c.model_dump() for c in result] if stream else result.model_dump()

    async def run_async() -> Any:
        client = openai.AsyncOpenAI(base_url=server.openai_base_url, api_key="sk-test", max_retries=0)
        result = await client.chat.completions.create(**kwargs)
        return [c.model_dump() async for c in result] if stream else result.model_dump()

    return asyncio.run(run_async()) if is_async else sync()


def boom(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("a bug in trace_ops")


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "trace_ops" and r.levelno == logging.WARNING]


def check_unrecorded(rec: Recorder, path: Path, caplog: pytest.LogCaptureFixture, stage: str) -> None:
    """One warning naming the call, one unrecorded call, and a cassette that says so."""
    (warning,) = warnings_of(caplog)
    assert "could not record the openai chat.completions call (model gpt-4o)" in warning
    assert stage in warning and "a bug in trace_ops" in warning
    assert rec.unrecorded_count == 1 and "a bug in trace_ops" in rec.unrecorded[0]
    (call,) = rec.trace.llm_calls
    assert call.not_recorded is not None and stage in call.not_recorded
    (saved,) = load_cassette(path).llm_calls
    assert saved.not_recorded == call.not_recorded and saved.response is None and saved.stream is None


def check_replay_refuses(server: FakeLLMServer, path: Path, *, stream: bool, is_async: bool) -> None:
    """A replay reaching the unrecorded call fails with the reason; it never answers it."""
    server.stop()
    with Replayer(path) as rep, pytest.raises(CassetteMismatchError, match="was not recorded") as info:
        ask(server, stream=stream, is_async=is_async)
    assert "a bug in trace_ops" in str(info.value)
    assert rep.failures and rep.replayed_count == 0


MODES = [
    pytest.param(stream, is_async, id=f"{'async' if is_async else 'sync'}-{'stream' if stream else 'plain'}")
    for is_async in (False, True)
    for stream in (False, True)
]


@pytest.mark.parametrize(("stream", "is_async"), MODES)
def test_a_capture_bug_returns_the_live_answer(
    stream: bool,
    is_async: bool,
    fake_llm: FakeLLMServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    expected = ask(fake_llm, stream=stream, is_async=is_async)  # no session: the plain live answer
    path = tmp_path / "run.yaml"
    monkeypatch.setattr(_stainless, "headers_and_sse", boom)
    with caplog.at_level(logging.WARNING, "trace_ops"), Recorder(save_to=path) as rec:
        live = ask(fake_llm, stream=stream, is_async=is_async)
    assert live == expected
    assert fake_llm.request_count == 2
    check_unrecorded(rec, path, caplog, "capturing the response")
    monkeypatch.undo()
    check_replay_refuses(fake_llm, path, stream=stream, is_async=is_async)


@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
def test_a_stream_chunk_bug_still_streams_every_chunk(
    is_async: bool,
    fake_llm: FakeLLMServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    expected = ask(fake_llm, stream=True, is_async=is_async)
    path = tmp_path / "stream.yaml"
    chunk = CallHandle.stream_chunk
    seen: list[bytes] = []

    def fails_on_the_second(self: CallHandle, data: bytes) -> None:
        seen.append(data)
        if len(seen) == 2:
            boom()
        chunk(self, data)

    monkeypatch.setattr(CallHandle, "stream_chunk", fails_on_the_second)
    with caplog.at_level(logging.WARNING, "trace_ops"), Recorder(save_to=path) as rec:
        live = ask(fake_llm, stream=True, is_async=is_async)
    assert live == expected and len(expected) > 3
    check_unrecorded(rec, path, caplog, "capturing a stream chunk")
    monkeypatch.undo()
    check_replay_refuses(fake_llm, path, stream=True, is_async=is_async)


def test_a_save_time_bug_loses_only_that_call(
    fake_llm: FakeLLMServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The request is parsed from the wire bytes when the cassette is written: if that fails for one
    call, the others are saved and replay, and that one is marked."""
    parse = _stainless.request_from_wire

    def fails_for_paris(body: bytes, query: Any) -> Any:
        if b"Paris" in body:
            boom()
        return parse(body, query)

    monkeypatch.setattr(_stainless, "request_from_wire", fails_for_paris)
    path = tmp_path / "two.yaml"
    with caplog.at_level(logging.WARNING, "trace_ops"), Recorder(save_to=path) as rec:
        first = ask(fake_llm, stream=False, is_async=False, question="Where is Rome?")
        ask(fake_llm, stream=False, is_async=False, question="Where is Paris?")
    assert rec.unrecorded_count == 1 and "saving the cassette" in rec.unrecorded[0]
    assert len(warnings_of(caplog)) == 1
    saved = load_cassette(path).llm_calls
    assert [c.not_recorded is None for c in saved] == [True, False]
    monkeypatch.undo()
    fake_llm.stop()
    with Replayer(path):
        assert ask(fake_llm, stream=False, is_async=False, question="Where is Rome?") == first
        with pytest.raises(CassetteMismatchError):  # no recording answers the Paris call
            ask(fake_llm, stream=False, is_async=False, question="Where is Paris?")


def failing_scrubber(session: Recorder | Replayer, monkeypatch: pytest.MonkeyPatch) -> None:
    """A session whose scrubbing (run on each request a replaying session matches) has a bug."""
    monkeypatch.setattr(session.scrubber, "might_hold_secrets", boom)


def record_other_call(server: FakeLLMServer, path: Path) -> None:
    with Recorder(save_to=path):
        ask(server, stream=False, is_async=False, question="Where is Rome?")


def test_a_request_we_cannot_describe_goes_live_when_recording_misses(
    fake_llm: FakeLLMServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "episodes.yaml"
    record_other_call(fake_llm, path)
    expected = ask(fake_llm, stream=False, is_async=False)
    session = Recorder(save_to=path, record_mode="new_episodes")
    failing_scrubber(session, monkeypatch)
    with caplog.at_level(logging.WARNING, "trace_ops"), session:
        assert ask(fake_llm, stream=False, is_async=False) == expected
    assert session.unrecorded_count == 1 and "describing the request" in session.unrecorded[0]
    (warning,) = warnings_of(caplog)
    assert "openai chat.completions call" in warning


def test_a_request_we_cannot_describe_is_a_replay_error_never_a_live_call(
    fake_llm: FakeLLMServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "strict.yaml"
    record_other_call(fake_llm, path)
    served = fake_llm.request_count
    replayer = Replayer(path)
    failing_scrubber(replayer, monkeypatch)
    with replayer, pytest.raises(CassetteMismatchError, match="could not describe its request"):
        ask(fake_llm, stream=False, is_async=False, question="Where is Rome?")
    assert fake_llm.request_count == served and replayer.failures


def test_an_unwritable_cassette_path_is_a_one_line_error_and_the_recording_is_kept(
    fake_llm: FakeLLMServer, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the cassette directory should be")
    path = blocker / "run.yaml"
    live = None
    with pytest.raises(CassetteWriteError) as info, Recorder(save_to=path):
        live = ask(fake_llm, stream=False, is_async=False)
    assert live is not None and live["choices"][0]["message"]["content"].startswith("Echo: ")  # returned
    message = str(info.value)
    assert "\n" not in message and message.startswith(f"{path}: cannot save the cassette")
    kept = Path(message.rsplit("the recording was saved to ", 1)[1])
    assert load_cassette(kept).llm_calls[0].view.text == live["choices"][0]["message"]["content"]
    kept.unlink()


def test_an_unwritable_cassette_does_not_hide_the_agents_own_exception(
    fake_llm: FakeLLMServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    path = blocker / "x.yaml"
    with caplog.at_level(logging.ERROR, "trace_ops"), pytest.raises(KeyError), Recorder(save_to=path):
        ask(fake_llm, stream=False, is_async=False)
        raise KeyError("the agent's own failure")
    (logged,) = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert "cannot save the cassette" in logged and str(path) in logged
    Path(logged.rsplit("the recording was saved to ", 1)[1]).unlink()


class Unprintable:
    """A tool result our describer cannot turn into JSON (its `str` raises)."""

    def __str__(self) -> str:
        raise RuntimeError("no text for this object")


def test_a_tool_result_we_cannot_describe_is_still_returned(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    result = Unprintable()

    @trace_ops.tool
    def lookup(query: str) -> Unprintable:
        return result

    with caplog.at_level(logging.WARNING, "trace_ops"), Recorder(save_to=tmp_path / "t.yaml") as rec:
        assert lookup("x") is result
    assert rec.unrecorded_count == 1 and rec.unrecorded[0].startswith("tool lookup: ")
    assert rec.trace.tool_calls == []
    (warning,) = warnings_of(caplog)
    assert "tool lookup" in warning



def test_new_episodes_records_a_call_the_cassette_marks_as_not_recorded(
    fake_llm: FakeLLMServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "repair.yaml"
    with monkeypatch.context() as patch:
        patch.setattr(_stainless, "headers_and_sse", boom)
        with Recorder(save_to=path):
            expected = ask(fake_llm, stream=False, is_async=False)
    assert load_cassette(path).llm_calls[0].not_recorded is not None
    with Recorder(save_to=path, record_mode="new_episodes") as rec:
        assert ask(fake_llm, stream=False, is_async=False) == expected  # live again, not refused
    assert fake_llm.request_count == 2 and not rec.failures
    assert [c.not_recorded for c in rec.trace.llm_calls] == [None]
    # the placeholder gives way to the new recording (the rest of the cassette is kept)
    assert [c.not_recorded for c in load_cassette(path).llm_calls] == [None]
    fake_llm.stop()
    with Replayer(path):
        assert ask(fake_llm, stream=False, is_async=False) == expected
