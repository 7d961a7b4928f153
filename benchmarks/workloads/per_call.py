"""Rows (a), (b), (d.a), (d.b): one replayed or recorded SDK call against the floor."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anthropic
import openai

from benchmarks.harness import Call, Prompt, Settings, alternate, per_call_row, run_all, timed
from benchmarks.workloads.data import (
    ANTHROPIC_MESSAGE,
    anthropic_request,
    chat_completion,
    openai_request,
    sse_parts,
)
from benchmarks.workloads.floor import anthropic_client, json_handler, openai_client, sse_handler
from trace_ops import Recorder, Replayer


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
