"""Row f: `replay ls` and `replay stats` over a library of 1,000 cassettes, as a user runs them.

Each cassette is a short agent run (3 chat completions and 2 tool calls, the realistic
prompts and answers of `data.py`), saved with `save_cassette`. The commands run as child
processes (`replay ls DIR`), so the time includes starting Python and the imports: what a user
waits for. Cold: a fresh parse cache (first run after a checkout); warm: the cache that run
filled. Baseline: `yaml.load` (libyaml's CSafeLoader) of the same 1,000 files in this process,
what any tool reading them pays. Target: a few seconds; the ratio is informational.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import openai
import yaml

from benchmarks.harness import Row, Settings, emit, progress, verdict
from benchmarks.workloads.data import chat_completion, openai_request
from trace_ops import LLMCall, ToolCall, Trace, save_cassette
from trace_ops.matching import fingerprint

CASSETTES = 1_000
RECORDED_AT = "2025-06-01T12:00:00.000Z"
CATALOG_TARGET_S = 5.0  # "ls and stats over 1,000 cassettes finish in a few seconds"


def _run(n: int) -> Trace:
    events: list[Any] = []
    for step in range(3):
        i = n * 3 + step
        request = openai_request(i)
        events.append(
            LLMCall(
                provider="openai",
                endpoint="chat.completions",
                request=request,
                fingerprint=fingerprint("chat.completions", request),
                response=chat_completion(i),
                started_at=RECORDED_AT,
                duration_ms=700.0 + i % 90,
            )
        )
        if step < 2:
            events.append(
                ToolCall(name=("search_orders", "get_weather")[step], input={"q": i}, output={"n": i})
            )
    return Trace(
        events=events, sdk_versions={"openai": openai.__version__}, created_at="2025-06-01T12:00:00.000Z"
    )


def make_library(root: Path, count: int) -> list[Path]:
    paths = []
    for n in range(count):
        path = root / "cassettes" / f"test_mod{n // 50:02d}" / f"test_case_{n:04d}.trace.yaml"
        save_cassette(_run(n), path)
        paths.append(path)
    return paths


def _command(args: list[str], env: dict[str, str]) -> float:
    script = Path(sys.executable).parent / "replay"
    start = time.perf_counter()
    result = subprocess.run([str(script), *args], capture_output=True, text=True, env=env, timeout=600)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(f"replay {' '.join(args)} failed: {result.stderr.strip()}")
    return elapsed


def section_catalog(s: Settings, tmp: Path) -> None:
    count = 50 if s.quick else CASSETTES  # --quick stays a smoke run: 50 cassettes, cold only
    progress(f"writing {count:,} cassettes for row f")
    paths = make_library(tmp / "catalog", count)
    start = time.perf_counter()
    for path in paths:
        yaml.load(path.read_bytes(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    parse_s = time.perf_counter() - start
    mib = sum(p.stat().st_size for p in paths) / 2**20
    with tempfile.TemporaryDirectory(prefix="trace_ops_bench_cache_") as cache:
        env = {**os.environ, "TRACE_OPS_CACHE_DIR": cache}
        for command in ("ls", "stats"):
            for state in ("cold",) if s.quick else ("cold", "warm"):
                if state == "cold":
                    shutil.rmtree(cache)  # a fresh cache for each cold run
                    os.mkdir(cache)
                elapsed = _command([command, str(tmp / "catalog")], env)
                emit(
                    Row(
                        section="f",
                        what=f"replay {command}: {count:,} cassettes, {mib:.1f} MiB ({state} parse cache)",
                        unit="s",
                        trace_ops=elapsed,
                        baseline=parse_s,
                        ratio=elapsed / parse_s,
                        target="info" if s.quick else f"<= {CATALOG_TARGET_S:.1f} s",
                        status="info" if s.quick else verdict(elapsed, CATALOG_TARGET_S),
                        note="baseline: yaml CSafeLoader load of the same files, in-process"
                        if (command, state) == ("ls", "cold")
                        else "",
                        samples={"command_s": [elapsed], "yaml_load_s": [parse_s]},
                    )
                )
