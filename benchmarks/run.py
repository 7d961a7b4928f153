"""trace_ops benchmarks: `./dev bench` (= `.venv/bin/python benchmarks/run.py [--quick] [--json PATH]`).

Every row compares trace_ops with a baseline measured in the same run on the same machine.
Per-call rows alternate the two variants in short rounds (ABBA order), so that load from
other processes hits both alike; times are medians over rounds and the ratio is the median
of the per-round ratios trace_ops/baseline. Targets print as PASS/MISS and never change the
exit code (0 unless the benchmark itself crashes).

The "floor" is a real SDK client (openai / anthropic) whose `http_client` is an `httpx2.Client`
over an `httpx2.MockTransport` answering canned bytes: everything a call costs except the
network, with no trace_ops session active (so trace_ops is not patched in at all).
See benchmarks/README.md for what each row means.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import itertools
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import anthropic  # noqa: E402
import httpx2  # noqa: E402
import openai  # noqa: E402
import yaml  # noqa: E402

import trace_ops  # noqa: E402
import trace_ops.session as trace_ops_session  # noqa: E402
from trace_ops import LLMCall, Recorder, Replayer, Trace, load_cassette, save_cassette  # noqa: E402
from trace_ops.cassette import trace_to_document  # noqa: E402
from trace_ops.matching import fingerprint  # noqa: E402
from trace_ops.scrub import Scrubber  # noqa: E402

# anthropic 2.x warns that the request model of the Anthropic rows is deprecated.
warnings.simplefilter("ignore", DeprecationWarning)

OPENAI_MODEL = "gpt-4o"
ANTHROPIC_MODEL = "claude-sonnet-4-5"
BIG = 10_000  # calls in the large cassettes of (c), (d.c), (e)
LOAD_TARGET_S = 5.0  # the one absolute target: a 10,000-call cassette loads in <= 5 s
STREAM_PIECES = 30  # content chunks per streamed answer (plus role, finish and usage chunks)

Prompt = dict[str, Any]
Call = Callable[[Prompt], None]
Block = Callable[[], float]  # runs one timed block, returns seconds per call


# ====================================================================== settings


@dataclass(frozen=True)
class Settings:
    """How much work each section does (full run ~60 s on a quiet 2-core machine, --quick < 15 s)."""

    quick: bool
    rounds: int  # alternated rounds of the per-call rows (plain calls)
    block: int  # calls per round (plain calls)
    stream_rounds: int
    stream_block: int  # calls per round (streamed calls)
    per_test_rounds: int  # rounds of the per-test row
    per_test_block: int  # "enter + 1 call + exit" repetitions per round
    cassette_calls: int  # calls in the large cassettes
    flat_calls: int  # calls replayed from each cassette in (e)

    @classmethod
    def make(cls, quick: bool) -> Settings:
        if quick:
            return cls(True, 4, 25, 4, 6, 4, 5, 500, 60)
        return cls(False, 16, 50, 12, 20, 16, 10, BIG, 200)


# ====================================================================== realistic data

_WORDS = (
    "the agent should look up order status refund policy shipping address invoice customer account "
    "billing cycle subscription plan upgrade downgrade cancel renewal payment method card expired "
    "warehouse inventory tracking number delivery estimate carrier delayed package return label "
    "escalate human support ticket priority summary answer briefly politely cite sources tool result "
    "weather forecast temperature city tomorrow search query documents knowledge base article"
)
WORDS = tuple(_WORDS.split())

TOOLS: list[dict[str, Any]] = [
    {
        "type": "function",
        "function": {
            "name": "search_orders",
            "description": "Search the customer's orders by id, status or date range.",
            "parameters": {
                "type": "object",
                "properties": {
                    "order_id": {"type": "string", "description": "The order id, e.g. A-1234"},
                    "status": {"type": "string", "enum": ["open", "shipped", "delivered", "returned"]},
                },
                "required": ["order_id"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Current weather and a short forecast for a city.",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}, "unit": {"type": "string", "enum": ["c", "f"]}},
                "required": ["city"],
            },
        },
    },
]


def _text(rng: random.Random, chars: int) -> str:
    words: list[str] = []
    size = 0
    while size < chars:
        word = rng.choice(WORDS)
        words.append(word)
        size += len(word) + 1
    sentence = " ".join(words)
    return sentence[:1].upper() + sentence[1:] + "."


def openai_request(i: int, *, stream: bool = False) -> Prompt:
    """Keyword arguments of `chat.completions.create` for prompt #i: ~1.1 KB of message text,
    a tool call + tool result on every 3rd call, a tools list on every 2nd."""
    rng = random.Random(i)
    system = f"You are support agent #{i % 97}. " + _text(rng, rng.randint(280, 380))
    if i % 5 == 0:
        system += "\nRules:\n- be brief\n- cite the tool result\n"
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": system},
        {"role": "user", "content": f"[ticket {i}] " + _text(rng, rng.randint(450, 650))},
    ]
    if i % 3 == 0:
        call_id = f"call_{i:06d}"
        arguments = json.dumps({"order_id": f"A-{i}"})
        messages.append(
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": call_id,
                        "type": "function",
                        "function": {"name": "search_orders", "arguments": arguments},
                    }
                ],
            }
        )
        messages.append({"role": "tool", "tool_call_id": call_id, "content": _text(rng, 300)})
    kwargs: Prompt = {"model": OPENAI_MODEL, "messages": messages}
    if i % 2 == 0:
        kwargs["tools"] = TOOLS
    if i % 4 == 1:
        kwargs["temperature"] = 0.2
    if stream:
        kwargs["stream"] = True
        kwargs["stream_options"] = {"include_usage": True}
    return kwargs


def _usage(rng: random.Random) -> dict[str, Any]:
    prompt, completion = rng.randint(250, 900), rng.randint(20, 200)
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def chat_completion(i: int) -> dict[str, Any]:
    """A real-shaped OpenAI chat completion with usage (a tool call on every 3rd)."""
    rng = random.Random(1_000_000 + i)
    message: dict[str, Any] = {"role": "assistant", "refusal": None, "annotations": []}
    if i % 3 == 2:
        arguments = json.dumps({"order_id": f"A-{i + 1}"})
        message["content"] = None
        message["tool_calls"] = [
            {
                "id": f"call_r{i:06d}",
                "type": "function",
                "function": {"name": "search_orders", "arguments": arguments},
            }
        ]
        finish = "tool_calls"
    else:
        message["content"] = _text(rng, rng.randint(120, 400))
        finish = "stop"
    return {
        "id": f"chatcmpl-B{i:010d}",
        "object": "chat.completion",
        "created": 1_730_000_000 + i,
        "model": "gpt-4o-2024-08-06",
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish}],
        "usage": _usage(rng),
        "service_tier": "default",
        "system_fingerprint": "fp_50cad350e4",
    }


def sse_parts(i: int) -> list[bytes]:
    """A streamed chat completion as OpenAI sends it (`stream_options.include_usage`): a role
    chunk, STREAM_PIECES content chunks, a finish chunk, a usage chunk, then `[DONE]`."""
    rng = random.Random(2_000_000 + i)
    words = _text(rng, 260).split(" ")
    head = (
        f'data: {{"id":"chatcmpl-S{i:010d}","object":"chat.completion.chunk","created":{1_730_000_000 + i},'
        '"model":"gpt-4o-2024-08-06","service_tier":"default","system_fingerprint":"fp_50cad350e4",'
    )
    choice = '"choices":[{"index":0,"delta":%s,"logprobs":null,"finish_reason":%s}],"usage":null}\n\n'
    chunks = [head + choice % ('{"role":"assistant","content":"","refusal":null}', "null")]
    for k in range(STREAM_PIECES):
        delta = json.dumps({"content": " ".join(words[k::STREAM_PIECES]) + " "}, separators=(",", ":"))
        chunks.append(head + choice % (delta, "null"))
    chunks.append(head + choice % ("{}", '"stop"'))
    chunks.append(head + f'"choices":[],"usage":{json.dumps(_usage(rng), separators=(",", ":"))}}}\n\n')
    chunks.append("data: [DONE]\n\n")
    return [chunk.encode() for chunk in chunks]


ANTHROPIC_MESSAGE = json.dumps(
    {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-5",
        "content": [{"type": "text", "text": "Your order A-1234 shipped yesterday and arrives on Friday."}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 10, "output_tokens": 5},
    }
).encode()


def anthropic_request(i: int) -> Prompt:
    """Keyword arguments of `messages.create` for prompt #i (the same texts as the OpenAI rows)."""
    messages = openai_request(i)["messages"]
    return {
        "model": ANTHROPIC_MODEL,
        "max_tokens": 1024,
        "system": messages[0]["content"],
        "messages": [{"role": "user", "content": messages[1]["content"]}],
    }


# ====================================================================== clients


Handler = Callable[[httpx2.Request], httpx2.Response]


def openai_client(handler: Handler) -> openai.OpenAI:
    return openai.OpenAI(
        api_key="sk-x",
        base_url="http://bench.local/v1",
        http_client=httpx2.Client(transport=httpx2.MockTransport(handler)),
        max_retries=0,
    )


def anthropic_client(handler: Handler) -> anthropic.Anthropic:
    return anthropic.Anthropic(
        api_key="sk-x",
        base_url="http://bench.local",
        http_client=httpx2.Client(transport=httpx2.MockTransport(handler)),
        max_retries=0,
    )


def json_handler(body: bytes) -> Handler:
    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, content=body, headers={"content-type": "application/json"})

    return handler


def sse_handler(parts: list[bytes]) -> Handler:
    # An iterator body, delivered chunk by chunk as from a socket. (With `content=<bytes>`
    # httpx2 pre-reads the body and trace_ops records the stream as a plain text `response:`.)
    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, content=iter(parts), headers={"content-type": "text/event-stream"})

    return handler


# ====================================================================== results


@dataclass
class Row:
    section: str
    what: str
    unit: str  # "us/call" or "s"
    trace_ops: float  # in `unit`
    baseline: float | None  # in `unit`
    ratio: float | None  # median of per-round ratios
    target: str
    status: str  # PASS / MISS / info
    note: str = ""
    samples: dict[str, list[float]] = field(default_factory=dict)  # raw seconds


ROWS: list[Row] = []
WHAT = 58


def emit(row: Row) -> None:
    ROWS.append(row)
    unit = row.unit
    fmt = "{:,.1f}" if unit == "us/call" else "{:,.2f}"
    base = "-" if row.baseline is None else fmt.format(row.baseline)
    ratio = "-" if row.ratio is None else f"{row.ratio:.3f}"
    print(
        f"  {row.section:<4} {row.what:<{WHAT}} {fmt.format(row.trace_ops):>10} {base:>10} {unit:<7} "
        f"{ratio:>7}  {row.target:<14} {row.status}",
        flush=True,
    )
    if row.note:
        print(f"       {row.note}", flush=True)


def header(title: str) -> None:
    print(f"\n{title}", flush=True)
    print(
        f"  {'row':<4} {'what':<{WHAT}} {'trace_ops':>10} {'baseline':>10} {'unit':<7} {'ratio':>7}  "
        f"{'target':<14} result",
        flush=True,
    )


def verdict(value: float, limit: float) -> str:
    return "PASS" if value <= limit else "MISS"


def progress(message: str) -> None:
    print(f"  .. {message}", file=sys.stderr, flush=True)


# ====================================================================== timing


def run_all(call: Call, prompts: list[Prompt]) -> int:
    for kwargs in prompts:
        call(kwargs)
    return len(prompts)


def timed(calls: Callable[[], int]) -> float:
    """Seconds per call of `calls()`, which returns how many calls it made.

    No `gc.collect()` before a block: with the SDKs imported one costs ~0.1 s, and the
    collections that calls trigger are part of what they cost (ABBA spreads them evenly)."""
    start = time.perf_counter()
    n = calls()
    return (time.perf_counter() - start) / n


def alternate(blocks: list[Block], rounds: int) -> list[list[float]]:
    """Run every block once per round, rotating the order each round (AB BA for two blocks;
    all 6 orders for three) so drift and periodic noise hit every variant alike."""
    orders = list(itertools.permutations(range(len(blocks))))
    if len(blocks) == 2:
        orders = [(0, 1), (1, 0)]
    samples: list[list[float]] = [[] for _ in blocks]
    for r in range(rounds):
        for index in orders[r % len(orders)]:
            samples[index].append(blocks[index]())
    return samples


def per_call_row(
    section: str,
    what: str,
    base: list[float],
    trace: list[float],
    limit: float | None,
    note: str = "",
) -> Row:
    """A row from paired per-round samples (seconds per call)."""
    ratio = statistics.median(t / b for t, b in zip(trace, base, strict=True))
    row = Row(
        section=section,
        what=what,
        unit="us/call",
        trace_ops=statistics.median(trace) * 1e6,
        baseline=statistics.median(base) * 1e6,
        ratio=ratio,
        target="info" if limit is None else f"ratio <= {limit:.2f}",
        status="info" if limit is None else verdict(ratio, limit),
        note=note,
        samples={"baseline_s_per_call": base, "trace_ops_s_per_call": trace},
    )
    emit(row)
    return row


# ====================================================================== (a), (b), (d.a), (d.b)


def record_cassette(path: Path, call: Call, prompts: list[Prompt]) -> None:
    with Recorder(save_to=path) as rec:
        run_all(call, prompts)
    if rec.trace.total_llm_calls != len(prompts):
        raise RuntimeError(f"recorded {rec.trace.total_llm_calls} calls, expected {len(prompts)}")


def replay_and_record_rows(
    s: Settings,
    tmp: Path,
    *,
    label: str,
    sections: tuple[str, str],
    call: Call,
    prompts: list[Prompt],
    rounds: int,
    limits: tuple[float, float],
    check: Callable[[], None],
) -> None:
    """(a) replay vs the floor and (b) recording overhead, for one client and one kind of call."""
    path = tmp / f"{label.split(' (')[0].replace(' ', '_')}.yaml"
    record_cassette(path, call, prompts)  # N distinct prompts, consumed in order on replay

    def floor() -> float:
        return timed(lambda: run_all(call, prompts))

    def replay() -> float:
        with Replayer(path):  # the cassette is loaded before the clock starts
            return timed(lambda: run_all(call, prompts))

    def record() -> float:
        with Recorder():  # in memory, no save_to
            return timed(lambda: run_all(call, prompts))

    # warm-up (imports, SDK model compilation, patching), and a check that replay answers right
    floor(), replay(), record()
    with Replayer(path):
        check()
    base, replayed, recorded = alternate([floor, replay, record], rounds)  # one floor for both rows
    n = len(prompts) * rounds
    per_call_row(sections[0], f"{label}: replay vs floor, {n:,} calls", base, replayed, limits[0])
    per_call_row(sections[1], f"{label}: Recorder() vs floor, {n:,} calls", base, recorded, limits[1])


def section_openai(s: Settings, tmp: Path) -> None:
    client = openai_client(json_handler(json.dumps(chat_completion(0)).encode()))
    prompts = [openai_request(i) for i in range(s.block)]

    def call(kwargs: Prompt) -> None:
        client.chat.completions.create(**kwargs)

    def check() -> None:
        result = client.chat.completions.create(**prompts[0])
        assert isinstance(result, openai.types.chat.ChatCompletion), type(result)
        assert result.id == "chatcmpl-B0000000000", result.id

    replay_and_record_rows(
        s,
        tmp,
        label="openai chat",
        sections=("a", "b"),
        call=call,
        prompts=prompts,
        rounds=s.rounds,
        limits=(1.0, 1.05),
        check=check,
    )

    # per test: enter a Replayer over a 1-call cassette + 1 call + exit, vs 1 floor call
    one = tmp / "one_call.yaml"
    record_cassette(one, call, prompts[:1])
    reps = s.per_test_block

    def floor_one() -> float:
        return timed(lambda: run_all(call, prompts[:1] * reps))

    def test_one() -> float:
        def run() -> int:
            for _ in range(reps):
                with Replayer(one):
                    call(prompts[0])
            return reps

        return timed(run)

    floor_one(), test_one()
    base, trace = alternate([floor_one, test_one], s.per_test_rounds)
    per_call_row(
        "a",
        f"per test: Replayer(1-call cassette)+1 call+exit, {s.per_test_rounds * reps}x",
        base,
        trace,
        None,
        note="informational: one replayed unit test vs one un-recorded SDK call",
    )


def section_anthropic(s: Settings, tmp: Path) -> None:
    client = anthropic_client(json_handler(ANTHROPIC_MESSAGE))
    prompts = [anthropic_request(i) for i in range(s.block)]

    def call(kwargs: Prompt) -> None:
        client.messages.create(**kwargs)

    def check() -> None:
        result = client.messages.create(**prompts[0])
        assert isinstance(result, anthropic.types.Message), type(result)
        assert result.id == "msg_1", result.id

    replay_and_record_rows(
        s,
        tmp,
        label="anthropic messages",
        sections=("a", "b"),
        call=call,
        prompts=prompts,
        rounds=s.rounds,
        limits=(1.0, 1.10),
        check=check,
    )


def section_stream(s: Settings, tmp: Path) -> None:
    parts = sse_parts(0)
    client = openai_client(sse_handler(parts))
    prompts = [openai_request(i, stream=True) for i in range(s.stream_block)]

    def call(kwargs: Prompt) -> None:
        for _chunk in client.chat.completions.create(**kwargs):
            pass

    def check() -> None:
        chunks: list[Any] = list(client.chat.completions.create(**prompts[0]))
        assert len(chunks) == len(parts) - 1, len(chunks)
        assert chunks[-1].usage is not None

    replay_and_record_rows(
        s,
        tmp,
        label=f"openai chat stream ({len(parts) - 1} chunks)",
        sections=("d.a", "d.b"),
        call=call,
        prompts=prompts,
        rounds=s.stream_rounds,
        limits=(1.0, 1.05),
        check=check,
    )


# ====================================================================== (c), (d.c): large cassettes


def big_trace(calls: int, *, stream: bool) -> Trace:
    """A realistic recorded run of `calls` chat completions, built directly (no SDK round trips)."""
    events: list[Any] = []
    for i in range(calls):
        request = openai_request(i, stream=stream)
        call = LLMCall(
            provider="openai",
            endpoint="chat.completions",
            request=request,
            fingerprint=fingerprint("chat.completions", request),
            headers={"x-request-id": f"req_{i:024x}"},
            started_at="2025-06-01T12:00:00.000Z",
            duration_ms=812.5 + i % 100,
        )
        if stream:
            call.stream = b"".join(sse_parts(i)).decode()
            call.ttft_ms = 201.25
        else:
            call.response = chat_completion(i)
        events.append(call)
    return Trace(events=events, sdk_versions={"openai": openai.__version__})


class _NoScrub(Scrubber):
    """The synthetic traces hold no secrets: skip scrubbing when building the JSON baseline."""

    def text(self, value: str) -> str:
        return value

    def data(self, value: Any) -> Any:
        return value


@dataclass
class BigCassette:
    path: Path
    kind: str  # "plain" / "streamed"
    calls: int
    json_text: str  # json.dumps(trace_to_document(trace)): the baseline's input
    save_s: float


def make_big_cassette(s: Settings, tmp: Path, *, stream: bool) -> BigCassette:
    """Build a large realistic trace and save it (timed) with save_cassette."""
    kind = "streamed" if stream else "plain"
    n = s.cassette_calls
    progress(f"building a {n:,}-call {kind} trace")
    trace = big_trace(n, stream=stream)
    json_text = json.dumps(trace_to_document(trace, _NoScrub()))
    path = tmp / f"big_{kind}.yaml"
    progress(f"saving the {kind} cassette")
    gc.collect()
    start = time.perf_counter()
    save_cassette(trace, path)
    save_s = time.perf_counter() - start
    return BigCassette(path, kind, n, json_text, save_s)


def timed_load(path: Path) -> float:
    progress(f"loading {path.name}")
    gc.collect()
    start = time.perf_counter()
    loaded = load_cassette(path)
    elapsed = time.perf_counter() - start
    if not loaded.events:
        raise RuntimeError(f"{path}: loaded no events")
    return elapsed


_LOAD = "load_cassette"


@contextlib.contextmanager
def spy_load_cassette(times: list[float]) -> Iterator[None]:
    """Time the `load_cassette` calls a Replayer makes (a transparent wrapper; if trace_ops no
    longer calls it by that name, `times` stays empty and the caller loads separately)."""
    original = getattr(trace_ops_session, _LOAD, None)
    if original is None:
        yield
        return

    def load(path: Any) -> Any:
        start = time.perf_counter()
        try:
            return original(path)
        finally:
            times.append(time.perf_counter() - start)

    setattr(trace_ops_session, _LOAD, load)
    try:
        yield
    finally:
        setattr(trace_ops_session, _LOAD, original)


def load_rows(big: BigCassette, load_s: float) -> None:
    """(c)/(d.c): load_cassette vs json.loads of the same data, and the save time."""
    section = "d.c" if big.kind == "streamed" else "c"
    parses: list[float] = []
    for _ in range(3):
        gc.collect()
        start = time.perf_counter()
        json.loads(big.json_text)
        parses.append(time.perf_counter() - start)
    parse_s = statistics.median(parses)
    n = big.calls
    mib = os.path.getsize(big.path) / 2**20
    limit = LOAD_TARGET_S * n / BIG
    scaled = "" if n == BIG else f"; target 5 s/10k scaled to {n:,} calls"
    emit(
        Row(
            section=section,
            what=f"load_cassette: {n:,} {big.kind} calls, {mib:.1f} MiB YAML",
            unit="s",
            trace_ops=load_s,
            baseline=parse_s,
            ratio=load_s / parse_s,
            target=f"<= {limit:.1f} s",
            status=verdict(load_s, limit),
            note=f"baseline: json.loads of json.dumps(trace_to_document(trace)), "
            f"{len(big.json_text.encode()) / 2**20:.1f} MiB{scaled}",
            samples={"load_s": [load_s], "json_loads_s": parses},
        )
    )
    emit(
        Row(
            section=section,
            what=f"save_cassette: {n:,} {big.kind} calls",
            unit="s",
            trace_ops=big.save_s,
            baseline=None,
            ratio=None,
            target="info",
            status="info",
            samples={"save_s": [big.save_s]},
        )
    )


# ====================================================================== (e)


def section_flat(s: Settings, tmp: Path, big: Path) -> tuple[list[Row], float | None]:
    """Per-call replay cost from a 10-call vs a `cassette_calls`-call cassette.

    The big cassette is entered once; its first `flat_calls` calls are replayed in sub-blocks.
    The 10-call cassette is replayed in sessions of 10 calls, before and after the big one
    (ABA), `flat_calls` calls each time. Returns the rows (printed later) and the time of the
    load_cassette call inside the big Replayer's enter, which row (c) reports."""
    client = openai_client(json_handler(b"{}"))  # never reached: every call is replayed
    small_size = 10
    sub = small_size * 2
    prompts = [openai_request(i) for i in range(s.flat_calls + 1)]
    small = tmp / "small.yaml"
    save_cassette(big_trace(small_size, stream=False), small)  # = the big cassette's first 10 calls

    def call(kwargs: Prompt) -> None:
        client.chat.completions.create(**kwargs)

    small_samples: list[float] = []

    def small_round() -> None:
        for _ in range(s.flat_calls // small_size):
            with Replayer(small):
                small_samples.append(timed(lambda: run_all(call, prompts[:small_size])))

    small_round()
    small_samples.clear()  # that was the warm-up
    small_round()
    progress(f"(e) entering a Replayer over the {s.cassette_calls:,}-call cassette")
    loads: list[float] = []
    gc.collect()
    with spy_load_cassette(loads):
        start = time.perf_counter()
        with Replayer(big):
            enter_s = time.perf_counter() - start
            result = client.chat.completions.create(**prompts[0])
            assert result.id == "chatcmpl-B0000000000", result.id
            rest = prompts[1:]
            big_samples = [timed(partial(run_all, call, rest[k : k + sub])) for k in range(0, len(rest), sub)]
    small_round()
    ratio = statistics.median(big_samples) / statistics.median(small_samples)
    load_s = loads[0] if len(loads) == 1 else None
    rows = [
        Row(
            section="e",
            what=f"replay: {s.cassette_calls:,}-call vs {small_size}-call cassette, {len(rest)} calls",
            unit="us/call",
            trace_ops=statistics.median(big_samples) * 1e6,
            baseline=statistics.median(small_samples) * 1e6,
            ratio=ratio,
            target="ratio <= 1.50",
            status=verdict(ratio, 1.5),
            note=f"baseline: {len(small_samples)} sessions of the 10-call cassette, half before and half "
            "after the big one",
            samples={"big_s_per_call": big_samples, "small_s_per_call": small_samples},
        ),
        Row(
            section="e",
            what=f"Replayer enter: {s.cassette_calls:,}-call cassette (load + index)",
            unit="s",
            trace_ops=enter_s,
            baseline=load_s,
            ratio=None if load_s is None else enter_s / load_s,
            target="info",
            status="info",
            note="baseline: the load_cassette call inside that enter (= row c)",
            samples={"enter_s": [enter_s]},
        ),
    ]
    return rows, load_s


# ====================================================================== main


def environment() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "openai": openai.__version__,
        "anthropic": anthropic.__version__,
        "httpx2": getattr(httpx2, "__version__", "?"),
        "pyyaml": yaml.__version__,
        "yaml_c_loader": hasattr(yaml, "CSafeLoader"),
        "trace_ops": trace_ops.__version__,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="trace_ops benchmarks: ratios against same-run baselines.")
    parser.add_argument("--quick", action="store_true", help="CI smoke run: fewer calls, < 15 s")
    parser.add_argument("--json", metavar="PATH", type=Path, help="also write the results as JSON to PATH")
    args = parser.parse_args(argv)
    s = Settings.make(args.quick)
    env = environment()
    started = time.perf_counter()
    print(
        f"trace_ops benchmarks ({'quick' if s.quick else 'full'} run): python {env['python']}, "
        f"openai {env['openai']}, anthropic {env['anthropic']}, httpx2 {env['httpx2']}, {env['cpus']} CPUs"
    )
    print("per-call rows: medians over alternated rounds; ratio = median of per-round trace_ops/baseline")
    with tempfile.TemporaryDirectory(prefix="trace_ops_bench_") as tmp_name:
        tmp = Path(tmp_name)
        header("(a) replay vs the floor, (b) recording overhead  [floor: real SDK over httpx2.MockTransport]")
        section_openai(s, tmp)
        section_anthropic(s, tmp)
        header("(d.a)/(d.b) streaming: stream=True, every chunk consumed")
        section_stream(s, tmp)
        header("(c)/(d.c) large cassettes  [baseline: json.loads of the same data]")
        plain = make_big_cassette(s, tmp, stream=False)
        # (e) runs first: the Replayer it enters over the big cassette gives row (c)'s load time
        flat_rows, plain_load_s = section_flat(s, tmp, plain.path)
        load_rows(plain, plain_load_s if plain_load_s is not None else timed_load(plain.path))
        streamed = make_big_cassette(s, tmp, stream=True)
        load_rows(streamed, timed_load(streamed.path))
        del plain, streamed
        header("(e) replay cost is flat in cassette size")
        for row in flat_rows:
            emit(row)
    elapsed = time.perf_counter() - started
    misses = [row for row in ROWS if row.status == "MISS"]
    print(f"\n{len(ROWS)} rows, {len(misses)} MISS, {elapsed:.1f} s")
    for row in misses:
        value = f"{row.trace_ops:.2f} s" if row.unit == "s" else f"ratio {row.ratio:.3f}"
        print(f"MISS {row.section}: {row.what}: {value} (target {row.target})")
    if args.json is not None:
        document = {
            "mode": "quick" if s.quick else "full",
            "settings": asdict(s),
            "environment": env,
            "elapsed_s": elapsed,
            "rows": [asdict(row) for row in ROWS],
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        print(f"results written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
