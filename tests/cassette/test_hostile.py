"""Hostile and damaged cassettes: a cassette is untrusted input, so anything wrong with it is one
CassetteError line naming the file (never a TypeError, a hang or a crash mid-replay)."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anthropic
import openai
import pytest

from trace_ops import CassetteError, Recorder, Replayer, load_cassette
from trace_ops.testing import FakeLLMServer

CALL = """  - type: llm_call
    provider: openai
    endpoint: chat.completions
    model: gpt-4o
    request:
      messages:
      - role: user
        content: hi
    response: '{"choices": [{"message": {"role": "assistant", "content": "ok"}}]}'
"""


@pytest.fixture()
def no_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACE_OPS_CACHE_DIR", "off")


def one_line_error(path: Path, match: str) -> str:
    with pytest.raises(CassetteError, match=match) as caught:
        load_cassette(path)
    message = str(caught.value)
    assert "\n" not in message and message.startswith(str(path)), message
    return message


# ---------------------------------------------------------------- 1. odd types in the document


@pytest.mark.parametrize("version", ["[]", "{}", "[1]", "{a: 1}", "true", "'1'"])
def test_a_version_of_the_wrong_type_is_one_line(version: str, tmp_path: Path, no_cache: None) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(f"version: {version}\nevents:\n{CALL}")
    one_line_error(path, "unsupported cassette version")


@pytest.mark.parametrize("key", ["1", "null", "true", "1.5"])
def test_a_request_key_that_is_not_text_is_one_line(key: str, tmp_path: Path, no_cache: None) -> None:
    path = tmp_path / "c.yaml"
    odd_key = f"content: hi\n      ? {key}\n      : x\n"
    path.write_text(f"version: 1\nevents:\n{CALL}".replace("content: hi\n", odd_key))
    message = one_line_error(path, r"events\[0\]\.request: a key is")
    assert "not text" in message


# ---------------------------------------------------------------- 2. files that are not files


def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "c.yaml"
    os.mkfifo(fifo)
    result: list[BaseException | None] = []

    def load() -> None:
        try:
            load_cassette(fifo)
            result.append(None)
        except BaseException as exc:
            result.append(exc)

    worker = threading.Thread(target=load, daemon=True)
    worker.start()
    worker.join(timeout=5)
    if worker.is_alive():  # unblock the reader so the test run can end
        with open(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK), "wb"):
            pass
        pytest.fail("loading a FIFO blocked")
    assert isinstance(result[0], CassetteError) and "not a regular file: a FIFO" in str(result[0])


def test_a_symlink_to_a_device_is_refused(tmp_path: Path) -> None:
    link = tmp_path / "c.yaml"
    link.symlink_to("/dev/zero")
    one_line_error(link, "not a regular file: a character device")


def test_a_cassette_over_the_size_limit_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(f"version: 1\nevents:\n{CALL}" + "#" * (2 << 20) + "\n")
    monkeypatch.setenv("TRACE_OPS_MAX_CASSETTE_MB", "1")
    one_line_error(path, r"over the 1 MiB limit, \$TRACE_OPS_MAX_CASSETTE_MB")
    monkeypatch.setenv("TRACE_OPS_MAX_CASSETTE_MB", "3")
    assert load_cassette(path).total_llm_calls == 1


# ---------------------------------------------------------------- 3. response headers on replay


@pytest.fixture()
def odd_header_server() -> Iterator[FakeLLMServer]:
    # What a real server may send: a header value with a byte that is not ASCII (latin-1 on the wire).
    odd = "req-café"
    with FakeLLMServer(extra_headers={"x-request-id": odd, "request-id": odd}) as server:
        yield server


def _clients(server: FakeLLMServer) -> tuple[openai.OpenAI, anthropic.Anthropic]:
    return (
        openai.OpenAI(base_url=server.openai_base_url, api_key="sk-test", max_retries=0),
        anthropic.Anthropic(base_url=server.anthropic_base_url, api_key="sk-ant-test", max_retries=0),
    )


def _run(oa: openai.OpenAI, an: anthropic.Anthropic) -> list[Any]:
    messages: Any = [{"role": "user", "content": "hi"}]
    plain = oa.chat.completions.with_raw_response.create(model="gpt-4o", messages=messages)
    streamed = "".join(
        c.choices[0].delta.content or ""
        for c in oa.chat.completions.create(model="gpt-4o", messages=messages, stream=True)
        if c.choices
    )
    message = an.messages.create(model="claude-haiku-4-5", max_tokens=20, messages=messages)
    text = plain.parse().choices[0].message.content
    return [plain.headers.get("x-request-id"), text, streamed, message._request_id]


def test_a_non_ascii_header_value_replays(odd_header_server: FakeLLMServer, tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    oa, an = _clients(odd_header_server)
    with Recorder(save_to=path):
        live = _run(oa, an)
    assert live[0] == "req-café" and live[3] == "req-café"
    with Replayer(path):
        assert _run(*_clients(odd_header_server)) == live  # zero network: the server is not asked
    assert odd_header_server.request_count == 3


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br"])
def test_a_content_encoding_in_a_cassette_is_not_replayed(
    encoding: str, tmp_path: Path, fake_server: FakeLLMServer
) -> None:
    path = tmp_path / "c.yaml"
    oa, an = _clients(fake_server)
    with Recorder(save_to=path):
        live = _run(oa, an)
    text = path.read_text()
    assert "content-encoding" not in text
    # A hand edit (or an older recorder) adds it, and a header that is not latin-1.
    edited = text.replace("\n    x-request-id:", f"\n    content-encoding: {encoding}\n    x-request-id:")
    anthropic_headers = f"\n    content-encoding: {encoding}\n    x-note: 日本\n    request-id:"
    edited = edited.replace("\n    request-id:", anthropic_headers)
    assert edited.count("content-encoding") == 3 and "日本" in edited
    path.write_text(edited)
    with Replayer(path):
        assert _run(oa, an) == live


@pytest.fixture()
def fake_server() -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as server:
        yield server


# ---------------------------------------------------------------- 4. valid JSON of an odd shape

ODD_VALUES: list[Any] = [None, "x", "", 0, -1, 1.5, True, [], {}, [1, "a"], {"a": {"b": None}}]


def _nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = {"a": [value]}
    return value


def _mutations(value: Any) -> Iterator[Any]:
    """Every copy of `value` with one node (a key's value or a list item) replaced by an odd one."""
    import copy

    def paths(node: Any, path: tuple[Any, ...]) -> Iterator[tuple[Any, ...]]:
        if isinstance(node, dict):
            for key, child in node.items():
                yield (*path, key)
                yield from paths(child, (*path, key))
        elif isinstance(node, list):
            for index, child in enumerate(node):
                yield (*path, index)
                yield from paths(child, (*path, index))

    for path in paths(value, ()):
        for odd in [*ODD_VALUES, _nested(300)]:
            mutated = copy.deepcopy(value)
            parent = mutated
            for step in path[:-1]:
                parent = parent[step]
            parent[path[-1]] = odd
            yield mutated
    for odd in ODD_VALUES:  # the whole answer
        yield odd


def _recorded_answers(server: FakeLLMServer, tmp_path: Path) -> Path:
    oa, an = _clients(server)
    path = tmp_path / "rec.yaml"
    messages: Any = [{"role": "user", "content": "hi"}]
    tools: Any = [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]
    with Recorder(save_to=path):
        oa.chat.completions.create(model="gpt-4o", messages=messages, tools=tools)
        oa.responses.create(model="gpt-4o", input="hi")
        an.messages.create(model="claude-haiku-4-5", max_tokens=20, messages=messages)
        list(
            oa.chat.completions.create(
                model="gpt-4o", messages=messages, stream=True, stream_options={"include_usage": True}
            )
        )
        with an.messages.stream(model="claude-haiku-4-5", max_tokens=20, messages=messages) as stream:
            list(stream)
    return path


@pytest.mark.filterwarnings("ignore::trace_ops.PriceWarning")
def test_odd_shaped_answers_read_as_unknown(
    fake_server: FakeLLMServer, tmp_path: Path, no_cache: None
) -> None:
    """Replace each node of each recorded answer by a list, mapping, text, number, None or deep
    nesting: the totals, views and costs are a clean value (or the load a CassetteError)."""
    import json

    from trace_ops.cassette import dumps_cassette
    from trace_ops.trace import LLMCall, Trace

    trace = load_cassette(_recorded_answers(fake_server, tmp_path))
    tried = 0
    for index, call in enumerate(trace.llm_calls):
        if call.stream is not None:
            chunks = [
                json.loads(d)
                for line in call.stream.splitlines()
                if line.startswith("data: ") and (d := line[6:]) != "[DONE]"
            ]
            originals: list[Any] = chunks
        else:
            originals = [call.response]
        for which, original in enumerate(originals):
            for mutated in _mutations(original):
                tried += 1
                if call.stream is not None:
                    body = "".join(
                        f"data: {json.dumps(mutated if i == which else c)}\n\n"
                        for i, c in enumerate(originals)
                    )
                    odd = LLMCall(
                        provider=call.provider, endpoint=call.endpoint, request=call.request, stream=body
                    )
                else:
                    odd = LLMCall(
                        provider=call.provider, endpoint=call.endpoint, request=call.request, response=mutated
                    )
                path = tmp_path / "odd.yaml"
                try:
                    path.write_text(dumps_cassette(Trace(events=[odd])))
                except (RecursionError, ValueError):
                    continue  # too deep to write: not a cassette anyone has
                try:
                    loaded = load_cassette(path)
                except CassetteError:
                    continue
                try:
                    assert isinstance(loaded.total_tokens, int)
                    assert loaded.total_cost_usd is None or isinstance(loaded.total_cost_usd, float)
                    view = loaded.llm_calls[0].view
                    assert isinstance(view.text, str)
                except AssertionError:
                    raise
                except Exception as exc:
                    pytest.fail(
                        f"call {index} chunk {which}: {type(exc).__name__}: {exc} for {mutated!r:.200}"
                    )
    assert tried > 1000


# ---------------------------------------------------------------- 5. a damaged stream


def _streams(oa: openai.OpenAI, an: anthropic.Anthropic) -> list[str]:
    messages: Any = [{"role": "user", "content": "hi"}]
    text = "".join(
        c.choices[0].delta.content or ""
        for c in oa.chat.completions.create(model="gpt-4o", messages=messages, stream=True)
        if c.choices
    )
    with an.messages.stream(model="claude-haiku-4-5", max_tokens=20, messages=messages) as stream:
        return [text, stream.get_final_text()]


DAMAGE = {
    "truncated JSON": lambda data: data[: len(data) // 2],
    "deep nesting": lambda data: "[" * 100_000 + "]" * 100_000,
    "not an object": lambda data: "5",
    # what each line passes alone, but the SDK's SSE decoder reads as one event: two objects
    # on two `data:` lines of one event, an `id:`-only event
    "two objects in one event": lambda data: data + "\n    data: " + data,
    "an id-only event": lambda data: data + "\n\n    id: 7",
}


@pytest.mark.parametrize("damage", DAMAGE)
@pytest.mark.parametrize("call", [0, 1])
def test_a_damaged_stream_is_one_line_naming_the_call(
    damage: str, call: int, fake_server: FakeLLMServer, tmp_path: Path, no_cache: None
) -> None:
    path = tmp_path / "c.yaml"
    with Recorder(save_to=path):
        _streams(*_clients(fake_server))
    lines = path.read_text().split("\n")
    starts = [i for i, line in enumerate(lines) if line.startswith("  stream: |")]
    target = next(i for i in range(starts[call], len(lines)) if lines[i].startswith("    data: {"))
    lines[target] = "    data: " + DAMAGE[damage](lines[target][len("    data: ") :])
    path.write_text("\n".join(lines))
    match = rf"^{path}: events\[{call}\]\.stream: "
    with pytest.raises(CassetteError, match=match) as caught, Replayer(path):
        _streams(*_clients(fake_server))
    assert "\n" not in str(caught.value)


def test_an_event_whose_json_spans_lines_still_loads(fake_server: FakeLLMServer, tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    with Recorder(save_to=path):
        live = _streams(*_clients(fake_server))
    text = path.read_text()
    split = text.replace('    data: {"id"', '    data: {\n    data: "id"', 1)
    assert split != text
    path.write_text(split)
    with Replayer(path):
        assert _streams(*_clients(fake_server)) == live
