"""The HTTP-level fallback (`intercept_http=True`) with the real google-genai and mistralai SDKs
and plain httpx / httpx2 calls: record live against the fake server, stop it, replay.

google-genai and mistralai have no SDK interceptor: their calls are recorded at the httpx2
transport as `llm_call`s of provider `gemini` / `mistral` (usage and cost read from the wire),
and replayed from the recorded bytes, so the SDK builds its own types. A URL that is no LLM
API becomes an `http_call`. A Replayer answers both without any flag.
"""

from __future__ import annotations

import asyncio
import importlib.util
from pathlib import Path
from typing import Any

import httpx
import httpx2
import openai
import pytest
from google import genai
from google.genai import types

from trace_ops import Recorder, Replayer, load_cassette
from trace_ops.errors import CassetteMismatchError
from trace_ops.testing import FakeLLMServer
from trace_ops.trace import HTTPCall

MODEL = "gemini-2.0-flash"
QUESTION = "What is the capital of France?"
API_KEY = "AIzaSyD-test-0123456789abcdefghijklmnopqrs"  # looks like a real Google key (39 chars)
SEARCH = types.Tool(
    function_declarations=[
        types.FunctionDeclaration(
            name="search",
            description="Search the web",
            parameters=types.Schema(
                type=types.Type.OBJECT, properties={"query": types.Schema(type=types.Type.STRING)}
            ),
        )
    ]
)
TOOLS = types.GenerateContentConfig(tools=[SEARCH])


def gemini_client(url: str) -> genai.Client:
    # with aiohttp installed google-genai sends async calls through it unless given an httpx transport
    async_args = {"transport": httpx2.AsyncHTTPTransport()} if importlib.util.find_spec("aiohttp") else None
    options = types.HttpOptions(base_url=url, api_version="v1beta", async_client_args=async_args)
    return genai.Client(api_key=API_KEY, http_options=options)


def dump(value: Any) -> Any:
    if isinstance(value, list):
        return [dump(v) for v in value]
    if hasattr(value, "model_dump"):
        data = value.model_dump(exclude={"sdk_http_response"})
        return (type(value).__name__, data)
    return value


def _tool_turn(first: types.GenerateContentResponse) -> list[types.Content]:
    call = first.function_calls[0] if first.function_calls else None
    assert call is not None and call.name == "search" and call.args == {"query": QUESTION}
    return [
        types.Content(role="user", parts=[types.Part(text=QUESTION)]),
        types.Content(role="model", parts=[types.Part(function_call=call)]),
        types.Content(
            role="user",
            parts=[types.Part.from_function_response(name="search", response={"result": "Paris."})],
        ),
    ]


def run_sync(client: genai.Client) -> list[Any]:
    plain = client.models.generate_content(model=MODEL, contents=QUESTION)
    streamed = list(client.models.generate_content_stream(model=MODEL, contents=QUESTION))
    first = client.models.generate_content(model=MODEL, contents=QUESTION, config=TOOLS)
    second = client.models.generate_content(model=MODEL, contents=_tool_turn(first), config=TOOLS)
    assert isinstance(plain, types.GenerateContentResponse) and plain.text == f"Echo: {QUESTION}"
    assert all(isinstance(c, types.GenerateContentResponse) for c in streamed) and len(streamed) > 1
    assert "".join(c.text or "" for c in streamed) == f"Echo: {QUESTION}"
    assert second.text == "Based on the tool result: Paris."
    return [plain, streamed, first, second]


async def run_async(client: genai.Client) -> list[Any]:
    plain = await client.aio.models.generate_content(model=MODEL, contents=QUESTION)
    streamed = [
        c async for c in await client.aio.models.generate_content_stream(model=MODEL, contents=QUESTION)
    ]
    first = await client.aio.models.generate_content(model=MODEL, contents=QUESTION, config=TOOLS)
    second = await client.aio.models.generate_content(model=MODEL, contents=_tool_turn(first), config=TOOLS)
    assert plain.text == f"Echo: {QUESTION}" and len(streamed) > 1
    assert second.text == "Based on the tool result: Paris."
    return [plain, streamed, first, second]


def _check_gemini_cassette(path: Path) -> None:
    text = path.read_text()
    assert API_KEY not in text and API_KEY[-12:] not in text
    trace = load_cassette(path)
    calls = trace.llm_calls
    assert len(trace.events) == len(calls) == 4  # one event per call, no http_call beside them
    assert {c.provider for c in calls} == {"gemini"}
    assert [c.endpoint for c in calls] == [
        "models.generateContent",
        "models.streamGenerateContent",
        "models.generateContent",
        "models.generateContent",
    ]
    assert all(c.model == MODEL for c in calls)
    assert calls[1].is_stream and calls[1].view.text == f"Echo: {QUESTION}"
    assert (
        calls[1].stream is not None and "\r" not in calls[1].stream
    )  # Gemini's CRLF kept as LF: a text block
    assert calls[2].view.tool_calls[0].name == "search" and calls[2].view.finish_reason == "tool_calls"
    for call in calls:
        assert call.usage is not None and call.usage.input_tokens > 0
        assert call.cost_usd is not None and call.cost_usd > 0
    assert trace.total_cost_usd is not None and trace.total_cost_usd > 0
    assert '"contents"' in text  # the request is data, readable in the cassette
    assert trace.sdk_versions["google.genai"] == genai.__version__


def test_google_genai_sync_record_then_replay_with_server_stopped(tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    server = FakeLLMServer().start()
    client = gemini_client(server.url)
    try:
        with Recorder(save_to=path, intercept_http=True):
            live = run_sync(client)
        assert server.request_count == 4
        assert server.requests[0]["headers"]["x-goog-api-key"] == API_KEY
    finally:
        server.stop()
    _check_gemini_cassette(path)
    with Replayer(path) as rep:  # no flag: the cassette's HTTP-level calls are answered
        replayed = run_sync(client)
    assert dump(replayed) == dump(live)
    assert rep.replayed_count == 4 and server.request_count == 4


def test_google_genai_async_record_then_replay_with_server_stopped(tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    server = FakeLLMServer().start()
    client = gemini_client(server.url)
    try:
        with Recorder(save_to=path, intercept_http=True):
            live = asyncio.run(run_async(client))
    finally:
        server.stop()
    _check_gemini_cassette(path)
    with Replayer(path):
        replayed = asyncio.run(run_async(client))
    assert dump(replayed) == dump(live)
    assert server.request_count == 4


def test_without_the_flag_nothing_is_recorded_at_the_http_level(
    fake_llm: FakeLLMServer, tmp_path: Path
) -> None:
    client = gemini_client(fake_llm.url)  # kept: a collected genai client closes its HTTP client
    with Recorder(save_to=tmp_path / "run.yaml") as rec:
        client.models.generate_content(model=MODEL, contents=QUESTION)
        httpx.get(f"{fake_llm.url}/health")
    assert rec.trace.events == [] and fake_llm.request_count == 2


def test_a_gemini_replay_mismatch_is_the_usual_error(fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    client = gemini_client(fake_llm.url)
    with Recorder(save_to=path, intercept_http=True):
        client.models.generate_content(model=MODEL, contents=QUESTION)
    with Replayer(path), pytest.raises(CassetteMismatchError, match=r"gemini models.generateContent"):
        client.models.generate_content(model=MODEL, contents="Something else")
    assert fake_llm.request_count == 1


def test_a_gemini_error_answer_replays_as_the_sdk_error(fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    client = gemini_client(fake_llm.url)
    with Recorder(save_to=path, intercept_http=True), pytest.raises(genai.errors.ClientError) as live:
        client.models.generate_content(model="error-400", contents=QUESTION)
    fake_llm.stop()
    with Replayer(path), pytest.raises(genai.errors.ClientError) as replayed:
        client.models.generate_content(model="error-400", contents=QUESTION)
    assert replayed.value.code == live.value.code == 400
    assert fake_llm.request_count == 1


def test_an_sdk_interceptor_owns_its_calls_one_event_per_call(
    fake_llm: FakeLLMServer, tmp_path: Path
) -> None:
    """openai over httpx2 with the HTTP fallback on: the SDK layer records, the transport passes through."""
    client = openai.OpenAI(base_url=fake_llm.openai_base_url, api_key="sk-test", max_retries=0)
    path = tmp_path / "run.yaml"
    with Recorder(save_to=path, intercept_http=True) as rec:
        client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
        list(
            client.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}], stream=True
            )
        )
    assert [(e.kind, e.provider) for e in rec.trace.events] == [("llm_call", "openai")] * 2  # type: ignore[attr-defined]
    assert fake_llm.request_count == 2
    fake_llm.stop()
    with Replayer(path) as rep:
        client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    assert rep.replayed_count == 1


def _streamed(http: Any, url: str) -> bytes:
    with http.Client() as client, client.stream("GET", url) as response:
        return b"".join(response.iter_bytes())


@pytest.mark.parametrize("http", [httpx, httpx2], ids=["httpx", "httpx2"])
def test_a_plain_http_call_is_an_http_call_event(http: Any, tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    server = FakeLLMServer().start()
    url = f"{server.url}/health"
    secret = "AIzaSyQ-secret-0123456789abcdefghijklmnop"
    try:
        with Recorder(save_to=path, intercept_http=True) as rec:
            live = http.get(url, params={"key": secret, "verbose": "1"})
            live_streamed = _streamed(http, url)
    finally:
        server.stop()
    assert live.json() == {"status": "ok"} and live_streamed == live.content
    assert [type(e) for e in rec.trace.events] == [HTTPCall, HTTPCall]
    assert rec.trace.llm_calls == [] and rec.trace.total_cost_usd == 0.0
    text = path.read_text()
    assert secret not in text and "verbose: '1'" in text
    assert "type: http_call" in text and "status: ok" in text  # the JSON body as data
    with Replayer(path) as rep:
        replayed = http.get(url, params={"key": secret, "verbose": "1"})
        replayed_streamed = _streamed(http, url)
    assert replayed.status_code == 200 and replayed.json() == live.json()
    assert replayed_streamed == live_streamed
    assert rep.replayed_count == 2 and server.request_count == 2
    with Replayer(path), pytest.raises(CassetteMismatchError, match=r"GET 127\.0\.0\.1"):
        http.get(f"{server.url}/other")


async def test_a_plain_async_http_call_replays(tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    server = FakeLLMServer().start()
    try:
        with Recorder(save_to=path, intercept_http=True):
            async with httpx.AsyncClient() as client:
                live = (await client.get(f"{server.url}/health")).json()
    finally:
        server.stop()
    with Replayer(path):
        async with httpx.AsyncClient() as client:
            assert (await client.get(f"{server.url}/health")).json() == live


def test_a_connection_error_is_recorded_and_replayed(tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    server = FakeLLMServer()
    url = f"{server.url}/health"
    server.stop()  # nothing listens there
    with Recorder(save_to=path, intercept_http=True), pytest.raises(httpx.ConnectError):
        httpx.get(url)
    with Replayer(path), pytest.raises(httpx.ConnectError):
        httpx.get(url)


def test_mistralai_chat_is_a_mistral_llm_call(tmp_path: Path) -> None:
    from mistralai.client import Mistral

    path = tmp_path / "run.yaml"
    server = FakeLLMServer().start()
    client = Mistral(api_key="mistral-test-key", server_url=server.url)
    messages: Any = [{"role": "user", "content": QUESTION}]
    try:
        with Recorder(save_to=path, intercept_http=True):
            live = client.chat.complete(model="mistral-small-latest", messages=messages)
            live_stream = [
                e.data for e in client.chat.stream(model="mistral-small-latest", messages=messages)
            ]
    finally:
        server.stop()
    calls = load_cassette(path).llm_calls
    assert [(c.provider, c.endpoint) for c in calls] == [("mistral", "chat.completions")] * 2
    assert calls[0].view.text == f"Echo: {QUESTION}" and calls[0].cost_usd is not None
    assert "mistral-test-key" not in path.read_text()
    with Replayer(path):
        replayed = client.chat.complete(model="mistral-small-latest", messages=messages)
        replayed_stream = [
            e.data for e in client.chat.stream(model="mistral-small-latest", messages=messages)
        ]
    assert type(replayed) is type(live) and replayed.model_dump() == live.model_dump()
    assert [c.model_dump() for c in replayed_stream] == [c.model_dump() for c in live_stream]
    assert server.request_count == 2


def test_the_cassette_fixture_takes_intercept_http(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`trace_ops_config` turns the fallback on for recording; the replay run answers from the
    cassette with the server stopped (and without the option: the cassette holds HTTP-level calls)."""
    monkeypatch.delenv("CI", raising=False)  # the child run records: CI would refuse that
    server = FakeLLMServer().start()
    monkeypatch.setenv("FAKE_URL", server.url)
    pytester.makeconftest(
        """
        import os
        import pytest

        @pytest.fixture
        def trace_ops_config():
            return {"intercept_http": os.environ.get("WITH_FLAG") == "1"}
        """
    )
    pytester.makepyfile(
        test_child="""
        import os
        import httpx

        def test_health(cassette):
            assert httpx.get(os.environ["FAKE_URL"] + "/health").json() == {"status": "ok"}
            assert [e.kind for e in cassette.events] == ["http_call"]
        """
    )
    monkeypatch.setenv("WITH_FLAG", "1")
    pytester.runpytest("--record").assert_outcomes(passed=1)
    server.stop()
    monkeypatch.setenv("WITH_FLAG", "0")
    pytester.runpytest().assert_outcomes(passed=1)
    assert server.request_count == 1


def test_google_genai_count_tokens_replays(tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    server = FakeLLMServer().start()
    client = gemini_client(server.url)
    try:
        with Recorder(save_to=path, intercept_http=True):
            live = client.models.count_tokens(model=MODEL, contents=QUESTION)
    finally:
        server.stop()
    [call] = load_cassette(path).llm_calls
    assert (call.provider, call.endpoint) == ("gemini", "models.countTokens")
    with Replayer(path):
        replayed = client.models.count_tokens(model=MODEL, contents=QUESTION)
    assert isinstance(replayed, types.CountTokensResponse) and replayed.total_tokens == live.total_tokens == 6
