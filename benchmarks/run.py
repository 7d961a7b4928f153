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
import sys
import tempfile
import time
import warnings
from dataclasses import asdict
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
from benchmarks.harness import ROWS, Settings, emit, header, machine, write_json  # noqa: E402
from benchmarks.workloads.big_cassette import load_rows, make_big_cassette, timed_load  # noqa: E402
from benchmarks.workloads.catalog import section_catalog  # noqa: E402
from benchmarks.workloads.flat import section_flat  # noqa: E402
from benchmarks.workloads.per_call import section_anthropic, section_openai, section_stream  # noqa: E402

# anthropic 2.x warns that the request model of the Anthropic rows is deprecated.
warnings.simplefilter("ignore", DeprecationWarning)


def environment() -> dict[str, Any]:
    return {
        **machine(),
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
        header("(f) replay ls / stats over a library of cassettes  [baseline: yaml.load of the same files]")
        section_catalog(s, tmp)
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
        write_json(args.json, document)
    return 0


if __name__ == "__main__":
    sys.exit(main())
