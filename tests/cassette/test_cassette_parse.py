"""The cassette parser: libyaml's composer + trace_ops' own constructor (cassette.safe_yaml._Builder).

It must give exactly what `yaml.load(text, Loader=CSafeLoader)` gives for every cassette
trace_ops writes, and a one-line CassetteError, never a constructed object or a crash, for
anything else a cassette never needs (aliases, odd tags, merge keys, duplicate keys, ...).
"""

from __future__ import annotations

import math
import random
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anthropic
import openai
import pytest
import yaml

from tests.cassette.test_cassette import sample_trace
from trace_ops import CassetteError, Recorder, load_cassette
from trace_ops.cassette import dumps_cassette, loads_cassette, safe_yaml
from trace_ops.testing import FakeLLMServer
from trace_ops.trace import AgentDecision, LLMCall, ToolCall, Trace

SAFE_LOADER: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@pytest.fixture(params=["libyaml", "pure-python"])
def composer(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Run a test with libyaml's composer and with PyYAML's pure-Python one (used without libyaml)."""
    if request.param == "pure-python":
        monkeypatch.setattr(safe_yaml, "_Composer", safe_yaml._PurePythonComposer)
    yield request.param


def parse(text: str | bytes) -> Any:
    document, _ = safe_yaml.parse(text, "c.yaml")
    return document


def same(a: Any, b: Any) -> bool:
    """Equal, with equal types all the way down (plain == says True == 1 == 1.0) and key order."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        if [(type(k), repr(k)) for k in a] != [(type(k), repr(k)) for k in b]:  # repr: nan keys
            return False
        return all(same(x, y) for x, y in zip(a.values(), b.values(), strict=True))
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float):
        if math.isnan(a):
            return math.isnan(b)
        return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)
    return bool(a == b)


def assert_like_safe_loader(text: str) -> None:
    expected = yaml.load(text, Loader=SAFE_LOADER)
    assert same(parse(text), expected)
    assert same(parse(text.encode()), expected)  # load_cassette hands libyaml the raw bytes
    assert same(expected, yaml.load(text, Loader=yaml.SafeLoader))  # C and Python SafeLoader agree


# ---------------------------------------------------------------- equal to SafeLoader

TRICKY_TEXT = [
    "", " ", "  leading", "trailing  ", "yes", "no", "No", "on", "OFF", "y", "n", "True", "NULL", "~",
    "null", "<<", "=", "0", "007", "08", "0x1F", "0b101", "0o17", "1_000", "1:30", "-1:30.5", "1.5",
    "1e5", "1.0e+5", ".5", "-.inf", ".NaN", "+12", "12abc", "2025-06-01", "2025-06-01T12:00:00Z",
    "2025-06-01 12:00:00.5 +02:00", "12:30:00", "#hash", "a #b", "key: value", "- item", "[x]", "{y}",
    "*alias", "&anchor", "!tag", "%dir", "@at", "`tick", "'single'", '"double"', "multi\nline",
    "trailing newline\n", "two blank\n\n", "\n", "\n\nleading blanks", "tab\there", "\tlead tab",
    "crlf\r\nline", "nel\x85x", "ls\u2028x", "emoji 😀", "日本語のテキスト", "Ünïcödé", "bell\x07",
    "nul\x00x", "    indented\n  less\n", "|", ">", "? q", ": c", "---", "...", "a: b\nc: d",
    "x" * 300, "line\n" * 40,
]
TRICKY_VALUES: list[Any] = [
    None, True, False, 0, -1, 7, 2**70, -(10**30), 0.0, -0.0, 1.5, -2.25, 1e20, 1e-7, 3.0, 1e300,
    math.inf, -math.inf, math.nan, [], {}, [None], {"": None},
]


def tricky_trace() -> Trace:
    data: dict[Any, Any] = {text: text for text in TRICKY_TEXT}
    data.update({2: "int key", 2.5: "float key", True: "bool key", None: "null key", "list": TRICKY_VALUES})
    call = LLMCall(
        provider="openai",
        endpoint="chat.completions",
        request={
            "model": "gpt-4o",
            "messages": [{"role": "user", "content": text} for text in TRICKY_TEXT],
            "on": "yes",
            "temperature": 0,
        },
        response={"choices": [{"message": {"content": "Ünïcödé\nmulti-line"}}]},
        headers={"yes": "no", "x-n": "1"},
    )
    stream = LLMCall(
        provider="anthropic",
        endpoint="messages",
        request={"model": "claude", "messages": [{"role": "user", "content": "hi"}], "stream": True},
        stream='event: message_start\ndata: {"type": "message_start", "text": "日本"}\n\n',
    )
    return Trace(
        events=[
            call,
            stream,
            ToolCall(name="tool", input=data, output=TRICKY_VALUES),
            AgentDecision(decision="on", detail={"no": [1, "1", 1.0, "1.0", None, "null"]}),
        ],
        metadata={"yes": True, "n": [0.1, "0.1"]},
        tags=["on", "off", ""],
    )


def test_tricky_values_parse_like_safe_loader(composer: str) -> None:
    assert_like_safe_loader(dumps_cassette(tricky_trace()))
    assert_like_safe_loader(dumps_cassette(sample_trace()))


def random_value(rng: random.Random, depth: int = 0) -> Any:
    roll = rng.random()
    if depth < 4 and roll < 0.2:
        return [random_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    if depth < 4 and roll < 0.4:
        return {random_key(rng): random_value(rng, depth + 1) for _ in range(rng.randint(0, 4))}
    if roll < 0.55:
        return rng.choice(TRICKY_VALUES)
    if roll < 0.7:
        return rng.choice(TRICKY_TEXT)
    return "".join(rng.choice("ab 0123.-+:#\n\t'\"yYnN~_xeE<=é😀") for _ in range(rng.randint(0, 10)))


def random_key(rng: random.Random) -> Any:
    key = random_value(rng, depth=99)  # no lists or dicts at this depth, but maybe [] or {}
    if isinstance(key, (list, dict)) or (isinstance(key, float) and math.isnan(key)):
        return "k"
    return key


def test_random_documents_parse_like_safe_loader(composer: str) -> None:
    rng = random.Random(20251123)
    for _ in range(150 if composer == "libyaml" else 40):
        trace = Trace(events=[ToolCall(name="t", input=random_value(rng), output=random_value(rng))])
        assert_like_safe_loader(dumps_cassette(trace))


def test_plain_scalars_resolve_like_safe_loader(composer: str) -> None:
    words = (
        "yes Yes YES no No NO true True TRUE false False FALSE on On ON off Off OFF y n ~ null Null NULL "
        "nULL 0 00 007 08 0o12 0x1F 0X1F 0x_1 0b11 0b_1 017 1_000 +1_0 -0 1:30 -1:30 1:60 190:20:30 "
        "1.5 -1.5e+3 1.5e3 1e5 .5 1. 1._5 +.inf -.Inf .INF .nan .NaN -.nan 1:30.5 12abc +12 3.14_15 "
        "0.1 6.8523015e+5 685.230_15e+03 685_230.15 -0.0 - + . .. a=b < <<x"
    )
    plain = words.split()
    assert_like_safe_loader("".join(f"- {word}\n" for word in plain) + "- \n-\n- ''\n")
    assert_like_safe_loader("".join(f"- {word}: {i}\n" for i, word in enumerate(plain)))  # as keys


def test_where_trace_ops_is_stricter_or_simpler_than_safe_loader() -> None:
    # Timestamps stay text (SafeLoader makes datetime/date, which JSON, the cache, cannot hold).
    dates = parse("a: 2025-06-01\nb: 2025-06-01T12:00:00Z\n")
    assert dates == {"a": "2025-06-01", "b": "2025-06-01T12:00:00Z"}
    # A plain `=` is text (SafeLoader raises: no constructor for tag:yaml.org,2002:value).
    assert parse("a: =\n= : b\n") == {"a": "=", "=": "b"}


def test_explicit_standard_tags_are_honoured(composer: str) -> None:
    text = (
        "version: !!int '1'\n"
        "events: !!seq\n"
        "- !!map {type: tool_call, name: !!str 12, input: "
        "[!!float 1, !!bool yes, !!null x, ! 12, !!str null, !!int 0x10, !!float '-.inf', "
        "!<tag:yaml.org,2002:str> 3]}\n"
    )
    assert_like_safe_loader(text)
    event = parse(text)["events"][0]
    assert event["name"] == "12"
    assert same(event["input"], [1.0, True, None, 12, "null", 16, -math.inf, "3"])  # `! 12`: as SafeLoader
    tool = loads_cassette(text).events[0]
    assert isinstance(tool, ToolCall) and tool.name == "12"


@pytest.fixture
def fake_server() -> Iterator[FakeLLMServer]:
    server = FakeLLMServer().start()
    try:
        yield server
    finally:
        server.stop()


def test_recorded_sdk_cassettes_parse_like_safe_loader(fake_server: FakeLLMServer, tmp_path: Path) -> None:
    """Real cassettes: openai chat (plain, streamed, tools), responses, anthropic (plain, streamed)."""
    oa = openai.OpenAI(base_url=fake_server.openai_base_url, api_key="sk-test", max_retries=0)
    an = anthropic.Anthropic(base_url=fake_server.anthropic_base_url, api_key="sk-ant-test", max_retries=0)
    messages: list[Any] = [
        {"role": "system", "content": "Réponds en une ligne.\nSois bref: 'yes' or no?"},
        {"role": "user", "content": "日本の首都は? on/off, null, ~, 1e5"},
    ]
    tools: list[Any] = [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]
    path = tmp_path / "sdk.yaml"
    with Recorder(save_to=path):
        oa.chat.completions.create(model="gpt-4o", messages=messages, temperature=0)
        list(oa.chat.completions.create(model="gpt-4o", messages=messages, stream=True))
        oa.chat.completions.create(model="gpt-4o", messages=messages, tools=tools)
        oa.responses.create(model="gpt-4o", input="Ünïcödé\n\nsecond paragraph")
        an.messages.create(model="claude-haiku-4-5", max_tokens=50, messages=messages[1:], system="yes")
        with an.messages.stream(model="claude-haiku-4-5", max_tokens=50, messages=messages[1:]) as stream:
            list(stream)
    text = path.read_text(encoding="utf-8")
    assert "stream: |" in text and "response: |" in text
    assert_like_safe_loader(text)
    assert load_cassette(path).total_llm_calls == 6


# ---------------------------------------------------------------- rejected, one line each

REJECTED = {
    "python object on a list": ("version: 1\nevents: !!python/object/apply:os.system ['true']\n",
                                "unsupported tag '!!python/object/apply:os.system' on a list"),
    "python name on a scalar": ("version: 1\nx: !!python/name:os.system ''\n",
                                "unsupported tag '!!python/name:os.system'"),
    "binary": ("version: 1\nx: !!binary aGVsbG8=\n", "unsupported tag '!!binary'"),
    "timestamp tag": ("version: 1\nx: !!timestamp 2025-01-01\n", "unsupported tag '!!timestamp'"),
    "set": ("version: 1\nx: !!set {a: null}\n", "unsupported tag '!!set' on a mapping"),
    "omap": ("version: 1\nx: !!omap [{a: 1}]\n", "unsupported tag '!!omap' on a list"),
    "merge tag": ("version: 1\nx: !!merge <<\n", "unsupported tag '!!merge'"),
    "custom tag": ("version: 1\nx: !custom foo\n", "unsupported tag '!custom'"),
    "verbatim tag": (
        "version: 1\nx: !<tag:example.com,2000:app> foo\n",
        "unsupported tag 'tag:example.com,2000:app'",
    ),
    "str tag on a mapping": ("version: 1\nx: !!str {a: 1}\n", "unsupported tag '!!str' on a mapping"),
    "map tag on a scalar": ("version: 1\nx: !!map foo\n", "unsupported tag '!!map'"),
    "bad int": ("version: 1\nx: !!int abc\n", "invalid !!int value 'abc'"),
    "bad float": ("version: 1\nx: !!float nope\n", "invalid !!float value 'nope'"),
    "bad bool": ("version: 1\nx: !!bool maybe\n", "invalid !!bool value 'maybe'"),
    "empty int": ("version: 1\nx: !!int ''\n", "invalid !!int value ''"),
    "plain 0x_": ("version: 1\nx: 0x_\n", "invalid number '0x_'"),
    "huge int": ("version: 1\nx: " + "1" * 5000 + "\n", "invalid number '1111"),
    "merge key": ("version: 1\nbase: {a: 1}\nx:\n  <<: {a: 1}\n", "merge keys ('<<') are not supported"),
    "duplicate key": ("version: 1\nevents: []\nversion: 1\n", "line 3, column 1: duplicate key 'version'"),
    "duplicate once resolved": ("version: 1\nx: {1: a, 0x1: b}\n", "duplicate keys in this mapping"),
    "list as key": ("version: 1\nx: {[a]: b}\n", "a mapping key must be a plain value"),
    "mapping as key": ("version: 1\n? {a: b}\n: c\n", "a mapping key must be a plain value"),
    "scalar alias": ("version: 1\na: &x foo\nb: *x\n", "anchors/aliases are not allowed (node at line 2"),
    "list alias": ("version: 1\na: &x [1]\nb: [*x]\n", "anchors/aliases are not allowed"),
    "key alias": ("version: 1\na: &k b\n*k : c\n", "anchors/aliases are not allowed"),
    "self alias": ("version: 1\na: &x [*x]\n", "anchors/aliases are not allowed"),  # a cycle
    "undefined alias": ("version: 1\na: *nope\n", "found undefined alias"),
    "two documents": ("version: 1\n---\nversion: 1\n", "invalid YAML"),
    "deep flow": ("version: 1\nx: " + "[" * 65 + "]" * 65 + "\n", "nesting deeper than 64 levels"),
    "deep block": ("version: 1\nx:\n" + "".join("  " * i + "- \n" for i in range(1, 70)), "nesting deeper"),
}


@pytest.mark.parametrize("name", list(REJECTED))
def test_rejected_with_one_clear_line(name: str, composer: str, tmp_path: Path) -> None:
    text, expected = REJECTED[name]
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CassetteError) as info:
        load_cassette(path)
    message = str(info.value)
    assert expected in message
    assert message.startswith(f"{path}: ")
    assert "\n" not in message


def test_nesting_limit_is_exact(composer: str) -> None:
    def nested(levels: int) -> str:
        inner = "[" * levels + "]" * levels
        return "version: 1\nevents: [{type: tool_call, name: x, input: " + inner + "}]\n"

    assert loads_cassette(nested(62)).events  # the event mapping is at depth 2: 62 lists reach 64
    with pytest.raises(CassetteError, match="nesting deeper than 64 levels"):
        loads_cassette(nested(63))


def test_very_deep_nesting_is_an_error_not_a_crash(tmp_path: Path) -> None:
    """libyaml's composer recurses in C: without the depth check in the resolver hooks, this
    file (600 KB) overflows the C stack and kills the process."""
    path = tmp_path / "deep.yaml"
    path.write_text("version: 1\nx: " + "[" * 300_000 + "]" * 300_000 + "\n")
    code = (
        "import sys\nfrom trace_ops import load_cassette, CassetteError\n"
        "try:\n    load_cassette(sys.argv[1])\nexcept CassetteError as e:\n    print(e)\n"
    )
    command = [sys.executable, "-c", code, str(path)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    # The behaviour, not the wording: libyaml (PyYAML >= 6.0.4) may stop the nesting itself
    # before our depth check does; either way the user gets one line naming the file.
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1, result.stdout
    assert lines[0].startswith(f"{path}: ") and "nesting" in lines[0]


def test_billion_laughs_fails_fast_without_expanding(tmp_path: Path) -> None:
    lines = ["version: 1", "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 30)]  # 10**30 lols
    path = tmp_path / "laughs.yaml"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(CassetteError, match="anchors/aliases are not allowed"):
        load_cassette(path)


def test_encoding_problems_name_the_byte(tmp_path: Path, composer: str) -> None:
    path = tmp_path / "c.yaml"
    path.write_bytes(b"version: 1\nx: caf\xe9\n")
    with pytest.raises(CassetteError, match=r"not UTF-8 text \(bad byte at offset 17\)"):
        load_cassette(path)
    path.write_bytes("version: 1\n".encode("utf-16"))  # with a BOM: libyaml would read it as UTF-16
    with pytest.raises(CassetteError, match=r"not UTF-8 text \(bad byte at offset 0\)"):
        load_cassette(path)
    path.write_bytes("\ufeffversion: 1\nevents: []\n".encode())  # a UTF-8 BOM is fine
    assert load_cassette(path).events == []


def test_anchors_without_aliases_and_empty_documents() -> None:
    assert parse("a: &x 1\n") == {"a": 1}  # harmless: nothing is shared
    assert parse("# only a comment\n") is None
    with pytest.raises(CassetteError, match="top level is nothing"):
        loads_cassette("# only a comment\n")


def test_json_exactness_is_reported() -> None:
    _, exact = safe_yaml.parse("a: 1\nb: {c: [x, 1.5, null, true]}\n", "c")
    assert exact
    for text in ("1: a\n", "a: {null: 1}\n", "a: {yes: 1}\n", "a: {1.5: x}\n", "a: {!!int 1: x}\n"):
        _, exact = safe_yaml.parse(text, "c")
        assert not exact, text
