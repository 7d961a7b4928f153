"""Rows (c), (d.c): saving and loading a 10,000-call cassette, against `json.loads` of the same data."""

from __future__ import annotations

import contextlib
import gc
import json
import os
import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openai

import trace_ops.session as trace_ops_session
from benchmarks.harness import BIG, Row, Settings, emit, progress, verdict
from benchmarks.workloads.data import chat_completion, openai_request, sse_parts
from trace_ops import LLMCall, Trace, load_cassette, save_cassette
from trace_ops.cassette import trace_to_document
from trace_ops.matching import fingerprint
from trace_ops.scrub import Scrubber

LOAD_TARGET_S = 5.0  # the one absolute target: a 10,000-call cassette loads in <= 5 s


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
