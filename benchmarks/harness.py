"""The benchmark harness: how much work a run does (`--quick`), how a block is timed, how rows print.

Per-call rows alternate the variants in short rounds (AB/BA; all 6 orders for three), so
that load from other processes hits every variant alike; times are medians over rounds and
the ratio is the median of the per-round ratios trace_ops/baseline. Targets print as
PASS/MISS and never change the exit code. What is measured lives in `workloads/`.
"""

from __future__ import annotations

import itertools
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BIG = 10_000  # calls in the large cassettes of (c), (d.c), (e)

Prompt = dict[str, Any]
Call = Callable[[Prompt], None]
Block = Callable[[], float]  # runs one timed block, returns seconds per call


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


def machine() -> dict[str, Any]:
    """Where the numbers were taken (the JSON results' environment, before package versions)."""
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }


def write_json(path: Path, document: dict[str, Any]) -> None:
    """`--json PATH`: every row, its raw samples and the environment."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    print(f"results written to {path}")
