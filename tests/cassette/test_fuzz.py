"""Property-based fuzz of the loader and replay (hypothesis): real recorded cassettes (OpenAI and
Anthropic, plain and streamed, a tool call), mutated with their structure in mind (wrong types,
deleted and added keys, damaged stream events and JSON answers, odd unicode) and as raw text.

Loading either works or raises exactly CassetteError, one line naming the file; replaying a
loaded one through the real SDKs either answers (a recorded API error is an answer: the SDK's
own `APIError`), or raises CassetteError / CassetteMismatchError; totals, views and costs never
raise; no request reaches the network; each example is bounded in time (an alarm). The example
budget is fixed; with CI set, the examples are derandomized (the same every run).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import anthropic
import openai
import pytest
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from trace_ops import CassetteError, CassetteMismatchError, Recorder, Replayer, load_cassette
from trace_ops.cassette.safe_yaml import parse
from trace_ops.testing import FakeLLMServer

# per property (both take ~6-12 s together on a shared 2-core machine); a longer local hunt:
# TRACE_OPS_FUZZ_EXAMPLES=5000 pytest tests/cassette/test_fuzz.py
EXAMPLES = int(os.environ.get("TRACE_OPS_FUZZ_EXAMPLES") or 300)
SECONDS_PER_EXAMPLE = 20  # an alarm: a hang is a failure, not a stuck CI job


def profile(environ: dict[str, str] | os._Environ[str]) -> settings:
    """The fixed budget; derandomized under CI (reproducible), random locally (finds more)."""
    return settings(
        max_examples=EXAMPLES,
        derandomize=bool(environ.get("CI")),
        deadline=None,  # a shared CI machine is noisy: the alarm bounds time instead
        database=None,  # no .hypothesis/ directory left in the work tree
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        # no shrinking: it may take minutes; a failure prints its draws (and, locally, a seed)
        phases=[Phase.explicit, Phase.generate],
    )


FUZZ = profile(os.environ)

MESSAGES: Any = [{"role": "user", "content": "hi"}]


def program(oa: openai.OpenAI, an: anthropic.Anthropic) -> list[Callable[[], Any]]:
    """The recorded run, one call per entry; replay runs the same calls."""
    return [
        lambda: oa.chat.completions.create(model="gpt-4o", messages=MESSAGES),
        lambda: list(oa.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True)),
        lambda: oa.chat.completions.create(
            model="gpt-4o",
            messages=[{"role": "user", "content": "use the tool"}],
            tools=[{"type": "function", "function": {"name": "search", "parameters": {"type": "object"}}}],
        ),
        lambda: an.messages.create(model="claude-haiku-4-5", max_tokens=20, messages=MESSAGES),
        lambda: list(
            an.messages.create(model="claude-haiku-4-5", max_tokens=20, messages=MESSAGES, stream=True)
        ),
    ]


class Recorded:
    def __init__(self, server: FakeLLMServer, text: str) -> None:
        self.server = server
        self.text = text
        self.document = parse(text, "recorded")[0]
        self.oa = openai.OpenAI(base_url=server.openai_base_url, api_key="x", max_retries=0)
        self.an = anthropic.Anthropic(base_url=server.anthropic_base_url, api_key="x", max_retries=0)


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Recorded]:
    path = tmp_path_factory.mktemp("fuzz") / "recorded.yaml"
    with FakeLLMServer() as server:
        oa = openai.OpenAI(base_url=server.openai_base_url, api_key="x", max_retries=0)
        an = anthropic.Anthropic(base_url=server.anthropic_base_url, api_key="x", max_retries=0)
        with Recorder(save_to=path) as rec:
            for call in program(oa, an):
                call()
            rec.record_tool_call("search", {"q": "x"}, ["result"])
        yield Recorded(server, path.read_text())


@pytest.fixture(autouse=True)
def no_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACE_OPS_CACHE_DIR", "off")


@contextlib.contextmanager
def time_bound() -> Iterator[None]:
    if os.name != "posix" or not hasattr(signal, "setitimer"):
        yield
        return

    def expired(signum: int, frame: Any) -> None:
        raise TimeoutError(f"one fuzz example took more than {SECONDS_PER_EXAMPLE} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, SECONDS_PER_EXAMPLE)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def check(recorded: Recorded, path: Path, text: str) -> None:
    """The property: load is a trace or one CassetteError line naming the file; replay answers,
    or raises CassetteError / CassetteMismatchError; nothing reaches the network."""
    path.write_text(text, encoding="utf-8")
    with time_bound():
        try:
            trace = load_cassette(path)
        except CassetteError as error:
            message = str(error)
            assert message.startswith(f"{path}: ") and "\n" not in message, message
            return
        for call in trace.llm_calls:  # derived figures read as unknown, never raise
            _ = (call.view, call.cost_usd, call.usage, call.served_model, call.label)
        _ = (trace.total_tokens, trace.total_cost_usd, trace.trajectory, trace.total_llm_calls)
        served = recorded.server.request_count
        with Replayer(path, allow_playback_repeats=True):
            for call in program(recorded.oa, recorded.an):
                try:
                    call()
                except (CassetteError, CassetteMismatchError):
                    pass
                except (openai.APIStatusError, anthropic.APIStatusError):
                    pass  # a recorded HTTP error (a mutated status) replays as the SDK's error
                except (openai.APIConnectionError, anthropic.APIConnectionError) as error:
                    assert recorded.server.request_count == served, "replay reached the network"
                    assert not isinstance(error.__cause__, OSError), error  # a recorded connection error
        assert recorded.server.request_count == served, "replay reached the network"


# ---------------------------------------------------------------- structure-aware mutations

ODD_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=12) | st.sampled_from(
    ["", "[REDACTED]", "\u202e", "\x00", "\ufeff", "data: [1]", "{", "null", "é" * 50, "🙂", "\n\n"]
)
ODD_VALUE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    ODD_TEXT,
    st.lists(st.integers() | ODD_TEXT, max_size=3),
    st.dictionaries(ODD_TEXT, st.integers() | ODD_TEXT, max_size=3),
)
ODD_EVENT = st.sampled_from(
    ["[1]", '"x"', "3", "null", "true", "{", '{"a": ', "[" * 300, '{"type": 5}', "{}"]
)


def _walk(data: st.DataObject, value: Any) -> tuple[Any, Any]:
    """A random (container, key) inside `value` (a dict or list reached from the root)."""
    parent, key = None, None
    node = value
    while isinstance(node, dict | list) and node:
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
        chosen = data.draw(st.sampled_from(keys))
        parent, key = node, chosen
        node = node[chosen]
        if data.draw(st.integers(0, 3)) == 0:
            break
    return parent, key


def _mutate_stream(data: st.DataObject, body: str) -> str:
    lines = body.split("\n")
    events = [i for i, line in enumerate(lines) if line.startswith("data:")]
    if not events:
        return body + data.draw(ODD_TEXT)
    i = data.draw(st.sampled_from(events))
    how = data.draw(st.sampled_from(["odd", "truncate", "delete", "duplicate", "unicode", "shape"]))
    if how == "odd":
        lines[i] = "data: " + data.draw(ODD_EVENT)
    elif how == "truncate":
        lines[i] = lines[i][: data.draw(st.integers(0, len(lines[i])))]
    elif how == "delete":
        del lines[i]
    elif how == "duplicate":
        lines.insert(i, lines[i])
    elif how == "unicode":
        lines.insert(i, "data: " + json.dumps({"text": data.draw(ODD_TEXT)}, ensure_ascii=False))
    else:
        with contextlib.suppress(ValueError):
            payload = json.loads(lines[i][6:])
            _mutate_value(data, payload)
            lines[i] = "data: " + json.dumps(payload, ensure_ascii=False)
    return "\n".join(lines)


def _mutate_value(data: st.DataObject, root: Any) -> None:
    parent, key = _walk(data, root)
    if parent is None:
        return
    how = data.draw(st.sampled_from(["replace", "delete", "add"]))
    if how == "replace":
        parent[key] = data.draw(ODD_VALUE)
    elif how == "delete":
        del parent[key]
    elif isinstance(parent, dict):
        parent[data.draw(ODD_TEXT)] = data.draw(ODD_VALUE)
    else:
        parent.insert(key, data.draw(ODD_VALUE))


def _mutate_document(data: st.DataObject, document: Any) -> None:
    events = document.get("events") if isinstance(document, dict) else None
    events = [e for e in events if isinstance(e, dict)] if isinstance(events, list) else []
    streams = [e for e in events if isinstance(e.get("stream"), str)]
    blocks = [(e, "response") for e in events if isinstance(e.get("response"), str)]
    requests = [e["request"] for e in events if isinstance(e.get("request"), dict)]
    blocks += [(r, "params") for r in requests if isinstance(r.get("params"), str)]
    target = data.draw(st.sampled_from(["anywhere", "stream", "json"]))
    if target == "stream" and streams:
        event = data.draw(st.sampled_from(streams))
        event["stream"] = _mutate_stream(data, event["stream"])
        return
    if target == "json" and blocks:  # the JSON blocks: the answer, the request's params
        holder, key = data.draw(st.sampled_from(blocks))
        if data.draw(st.booleans()):
            with contextlib.suppress(ValueError):  # already damaged by an earlier mutation
                value = json.loads(holder[key])
                _mutate_value(data, value)
                holder[key] = json.dumps(value, ensure_ascii=False)
        else:
            holder[key] = holder[key][: data.draw(st.integers(0, len(holder[key])))]
        return
    _mutate_value(data, document)


@FUZZ
@given(data=st.data())
def test_structure_aware_mutations(data: st.DataObject, recorded: Recorded, tmp_path: Path) -> None:
    document = json.loads(json.dumps(recorded.document))  # a deep copy
    for _ in range(data.draw(st.integers(1, 3))):
        _mutate_document(data, document)
    text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=10_000)
    check(recorded, tmp_path / "mutated.yaml", text)


# ---------------------------------------------------------------- the text as bytes see it


@FUZZ
@given(data=st.data())
def test_text_mutations(data: st.DataObject, recorded: Recorded, tmp_path: Path) -> None:
    text = recorded.text
    for _ in range(data.draw(st.integers(1, 3))):
        at = data.draw(st.integers(0, len(text)))
        how = data.draw(st.sampled_from(["truncate", "delete", "insert", "replace"]))
        if how == "truncate":
            text = text[:at]
        elif how == "delete":
            text = text[:at] + text[at + data.draw(st.integers(1, 200)) :]
        elif how == "insert":
            text = text[:at] + data.draw(ODD_TEXT | st.sampled_from(YAML_BITS)) + text[at:]
        else:
            text = text[:at] + data.draw(ODD_TEXT) + text[at + 1 :]
    check(recorded, tmp_path / "mutated.yaml", text)


YAML_BITS = [
    "&a ",
    "*a",
    "!!python/object:os.system ",
    "<<: *a\n",
    "? [x]\n: 1\n",
    "- ",
    ": ",
    "\t",
    "'",
    '"',
]


def test_the_profile_is_derandomized_under_ci_with_the_same_budget() -> None:
    ci, local = profile({"CI": "true"}), profile({})
    assert ci.derandomize and not local.derandomize
    assert ci.max_examples == local.max_examples == EXAMPLES and ci.database is None
