"""The HTTP-level fallback's rules beside the SDKs: one event per call over httpx too, record
modes, credentials in URLs, hand-edited http_call entries, and the Gemini wire reader."""

from __future__ import annotations

from pathlib import Path

import groq
import httpx
import httpx2
import pytest

from trace_ops import Recorder, Replayer, load_cassette
from trace_ops.cassette import loads_cassette
from trace_ops.errors import CassetteError, CassetteMismatchError
from trace_ops.providers import gemini
from trace_ops.testing import FakeLLMServer

GEMINI_PATH = "/v1beta/models/gemini-2.0-flash:generateContent"
BODY = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}


def test_a_stainless_sdk_over_httpx_is_one_event(fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    """groq runs over httpx (openai 3.x over httpx2): its interceptor owns the call there too."""
    client = groq.Groq(base_url=fake_llm.url, api_key="gsk-test", max_retries=0)
    with Recorder(save_to=tmp_path / "run.yaml", intercept_http=True) as rec:
        client.chat.completions.create(
            model="llama-3.1-8b-instant", messages=[{"role": "user", "content": "hi"}]
        )
    assert [(e.kind, e.provider) for e in rec.trace.exchanges] == [("llm_call", "groq")]
    assert len(rec.trace.events) == 1


def test_a_gemini_url_called_with_plain_httpx_is_an_llm_call(tmp_path: Path) -> None:
    """The key in `?key=` never reaches the cassette, and the call matches whatever key replays it."""
    path = tmp_path / "run.yaml"
    server = FakeLLMServer().start()
    secret = "AIzaSyQ-secret-0123456789abcdefghijklmnop"
    try:
        with Recorder(save_to=path, intercept_http=True):
            live = httpx2.post(server.url + GEMINI_PATH, params={"key": secret}, json=BODY).json()
    finally:
        server.stop()
    assert secret not in path.read_text()
    [call] = load_cassette(path).llm_calls
    assert (call.provider, call.endpoint, call.model) == (
        "gemini",
        "models.generateContent",
        "gemini-2.0-flash",
    )
    assert call.view.text == "Echo: hi" and call.usage is not None and call.usage.input_tokens == 1
    with Replayer(path):
        assert httpx2.post(server.url + GEMINI_PATH, params={"key": "another"}, json=BODY).json() == live


def test_record_modes_apply_to_http_calls(tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    server = FakeLLMServer().start()
    try:
        with Recorder(save_to=path, intercept_http=True):
            httpx.get(f"{server.url}/health")
        # new_episodes: the recorded call replays, a new one is recorded (no flag: it holds http calls)
        with Replayer(path, record_mode="new_episodes") as rep:
            httpx.get(f"{server.url}/health")
            httpx.get(f"{server.url}/health", params={"page": "2"})
        assert (rep.replayed_count, rep.recorded_count) == (1, 1)
        assert server.request_count == 2
    finally:
        server.stop()
    assert len(load_cassette(path).http_calls) == 2
    with Replayer(path), pytest.raises(CassetteMismatchError, match="no recorded call matches"):
        httpx.get(f"{server.url}/health", params={"page": "3"})


def test_an_abandoned_plain_body_is_not_recorded_as_an_answer(
    fake_llm: FakeLLMServer, tmp_path: Path
) -> None:
    with (
        Recorder(save_to=tmp_path / "run.yaml", intercept_http=True) as rec,
        httpx.Client() as client,
        client.stream("GET", f"{fake_llm.url}/health"),
    ):
        pass  # closed without reading the body
    [call] = rec.trace.http_calls
    assert call.not_recorded is not None and "before reading its body" in call.not_recorded
    assert rec.unrecorded_count == 1


def _cassette(event: str) -> str:
    return f"version: 1\ntrace:\n  id: t\nevents:\n{event}"


@pytest.mark.parametrize(
    ("event", "problem"),
    [
        ("- type: http_call\n  request: {}\n  json: {}\n", "missing required field 'endpoint'"),
        ("- type: http_call\n  endpoint: GET h/p\n", "needs one of 'json', 'text', 'stream' or 'error'"),
        ("- type: http_call\n  endpoint: GET h/p\n  status: ok\n  json: 1\n", "expected an integer"),
        ("- type: http_call\n  endpoint: GET h/p\n  request: [1]\n  json: 1\n", "expected a mapping"),
        ("- type: http_call\n  endpoint: GET h/p\n  request: {1: x}\n  json: 1\n", "a key is not text"),
    ],
)
def test_a_broken_http_call_entry_is_one_line(event: str, problem: str) -> None:
    with pytest.raises(CassetteError) as error:
        loads_cassette(_cassette(event), source="x.yaml")
    assert problem in str(error.value) and "\n" not in str(error.value)


def test_the_gemini_reader() -> None:
    body = {
        "candidates": [
            {
                "content": {"parts": [{"text": "hmm", "thought": True}, {"text": "Paris"}]},
                "finishReason": "MAX_TOKENS",
            }
        ],
        "usageMetadata": {
            "promptTokenCount": 10,
            "candidatesTokenCount": 3,
            "thoughtsTokenCount": 4,
            "cachedContentTokenCount": 6,
        },
        "modelVersion": "gemini-2.5-flash",
    }
    view = gemini.view("models.generateContent", body)
    assert (view.model, view.text, view.finish_reason) == ("gemini-2.5-flash", "Paris", "MAX_TOKENS")
    assert view.usage is not None
    assert (view.usage.input_tokens, view.usage.output_tokens, view.usage.cached_tokens) == (10, 7, 6)
    assert view.usage.reasoning_tokens == 4
    assert gemini.view("models.countTokens", {"totalTokens": 5}).usage.input_tokens == 5  # type: ignore[union-attr]
    assert gemini.http_endpoint("h", "/v1/projects/p/locations/l/models/m:streamGenerateContent", {}) == (
        "models.streamGenerateContent",
        "m",
    )
    assert gemini.http_endpoint("h", "/v1/chat/completions", {}) is None


def test_http_calls_are_no_llm_calls_for_assertions_and_the_diff() -> None:
    from trace_ops.assertions import assert_max_llm_calls
    from trace_ops.diff import diff_traces
    from trace_ops.trace import HTTPCall, LLMCall, Trace

    def http(path: str) -> HTTPCall:
        return HTTPCall(provider="http", endpoint=f"GET h{path}", request={"method": "GET"}, response={})

    usage = {"prompt_tokens": 3, "completion_tokens": 2}
    llm = LLMCall(
        provider="openai", endpoint="chat.completions", request={"model": "gpt-4o"}, response={"usage": usage}
    )
    old, new = Trace(events=[http("/a"), llm]), Trace(events=[http("/b"), llm])
    assert_max_llm_calls(old, 1)  # the http call is not counted
    assert old.total_llm_calls == 1 and old.llm_calls == [llm] and old.http_calls == old.events[:1]
    change = diff_traces(old, new).trajectory
    assert change is not None and change.old[0] == "http:GET h/a" and change.new[0] == "http:GET h/b"


def test_a_request_we_cannot_describe_goes_live_unrecorded_and_never_replays(
    fake_llm: FakeLLMServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from trace_ops.interceptors import transport

    path = tmp_path / "run.yaml"
    with Recorder(save_to=path, intercept_http=True):
        httpx.get(f"{fake_llm.url}/health")
    monkeypatch.setattr(transport, "describe", lambda request: 1 / 0)
    with Recorder(save_to=tmp_path / "other.yaml", intercept_http=True) as rec:
        assert httpx.get(f"{fake_llm.url}/health").json() == {"status": "ok"}  # the live call went on
    assert rec.unrecorded_count == 1 and "ZeroDivisionError" in rec.unrecorded[0]
    with Replayer(path), pytest.raises(CassetteMismatchError, match="could not describe"):
        httpx.get(f"{fake_llm.url}/health")
    assert fake_llm.request_count == 2


def test_a_plain_event_stream_is_recorded_as_it_arrived(tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    server = FakeLLMServer().start()

    def lines() -> list[str]:
        with httpx2.Client() as client, client.stream("GET", f"{server.url}/events") as response:
            return list(response.iter_lines())

    try:
        with Recorder(save_to=path, intercept_http=True):
            live = lines()
    finally:
        server.stop()
    assert "data: two" in live
    [call] = load_cassette(path).http_calls
    assert call.stream is not None and "data: one" in call.stream and not call.incomplete
    with Replayer(path):
        assert lines() == live
    assert server.request_count == 1


def test_an_absolute_url_is_named_by_its_path() -> None:
    from trace_ops.interceptors import INTERCEPTORS

    together = next(i for i in INTERCEPTORS if i.module_name == "together")
    assert together.endpoint("POST", "https://api-inference.together.ai/v1/chat/completions") == (  # type: ignore[attr-defined]
        "chat.completions"
    )
    groq = next(i for i in INTERCEPTORS if i.module_name == "groq")
    assert groq.endpoint("GET", "/openai/v1/models?x=1") == "GET models"  # type: ignore[attr-defined]


def test_crlf_split_across_chunks_is_kept_as_lf() -> None:
    from trace_ops._seam import CallHandle
    from trace_ops.interceptors.transport import _Stream
    from trace_ops.trace import LLMCall

    handle = CallHandle(LLMCall(provider="gemini", endpoint="e", request={}), [], replayed=None)
    stream = _Stream(handle, 200, {})
    for chunk in (b"data: 1\r", b"\n\r", b"\ndata: 2\r\n\r\n", b"tail\r"):
        stream.add(chunk)
    stream.finish(complete=True)
    assert handle.event.stream == "data: 1\n\ndata: 2\n\ntail\r" and not handle.event.incomplete
