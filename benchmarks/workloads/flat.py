"""Row (e): per-call replay cost is flat in cassette size (a 10-call vs the big cassette)."""

from __future__ import annotations

import gc
import statistics
import time
from functools import partial
from pathlib import Path

from benchmarks.harness import Prompt, Row, Settings, progress, run_all, timed, verdict
from benchmarks.workloads.big_cassette import big_trace, spy_load_cassette
from benchmarks.workloads.data import openai_request
from benchmarks.workloads.floor import json_handler, openai_client
from trace_ops import Replayer, save_cassette


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
