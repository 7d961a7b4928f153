"""trace_ops side by side with what users would pick instead: `./dev bench --compare`.

    ./dev bench --compare [--quick] [--json PATH] [--only W[,W...]]

Every tool gets its own lean venv under `.bench-envs/` (ignored by git; made on first use)
from a pinned file, benchmarks/requirements-{ours,reference,vcr}.txt: the same openai 2.x,
httpx, pydantic and pytest releases in each (openai 2.x over httpx: the SDK VCR.py can patch),
plus the tool: VCR.py + pytest-recording; the reference TraceOps 0.5.0, which is imported as
`trace_ops` too; our runtime dependencies, with trace_ops itself from this work tree
(PYTHONPATH). One worker process per tool (`compare_worker.py`) times one block per
request; every round runs each tool once, rotating the order, after a warm-up block. A
table prints medians per tool and ratios ours / theirs (the median of per-round ratios).
See benchmarks/README.md, "Side by side", for what each row means.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import compare_pytest  # noqa: E402
from benchmarks.harness import machine  # noqa: E402

ENVS = ROOT / ".bench-envs"
OURS_PLUGIN = "-ptrace_ops.pytest_plugin"  # the work tree is on PYTHONPATH, not installed: no entry point
TOOLS = ("floor", "trace_ops", "reference", "vcrpy")
VENV_OF = {"floor": "ours", "trace_ops": "ours", "reference": "reference", "vcrpy": "vcr"}


@dataclass(frozen=True)
class Workload:
    name: str
    what: str
    n: int  # units per block (calls, tests, cassette size)
    rounds: int
    unit: str  # "us" per unit, or "ms" / "s" per block
    prepare_n: int = 0  # what prepare records, when not n


@dataclass
class Result:
    workload: Workload
    samples: dict[str, list[float]] = field(default_factory=dict)
    extra: dict[str, dict[str, Any]] = field(default_factory=dict)
    unsupported: dict[str, str] = field(default_factory=dict)


def workloads(quick: bool) -> list[Workload]:
    big = 2_000 if quick else 10_000
    r, rb = (2, 1) if quick else (5, 3)
    n = 200 if quick else 1_000
    return [
        Workload(
            "per_test", "1 test = open 1-call cassette, replay 1 call, close", 50 if quick else 200, r, "us"
        ),
        Workload("replay_plain", f"replay {n:,} calls from one loaded cassette", n, r, "us"),
        Workload("replay_stream", f"replay {n:,} streamed calls (33 chunks) from one cassette", n, rb, "us"),
        Workload("record_plain", f"record {n:,} calls (in memory)", n, r, "us"),
        Workload("record_stream", f"record {n:,} streamed calls (in memory)", n, rb, "us"),
        Workload("load_1000", "load a 1,000-call cassette (first load of these bytes)", 1_000, r, "ms"),
        Workload("load_1000_cached", "load a 1,000-call cassette again (parse cache)", 1_000, r, "ms"),
        Workload("save_1000", "save a 1,000-call cassette", 1_000, r, "ms"),
        Workload(f"load_{big}", f"load a {big:,}-call cassette (first load)", big, rb, "s"),
        Workload(f"save_{big}", f"save a {big:,}-call cassette", big, rb, "s"),
        Workload("diff_same", f"diff two identical {n:,}-call traces", n, r, "ms"),
        Workload("diff_changed", f"diff two {n:,}-call traces, every answer changed", n, r, "ms"),
    ]


# -- environments ----------------------------------------------------------------------------
def ensure_env(name: str) -> Path:
    """`.bench-envs/NAME`, installed from benchmarks/requirements-NAME.txt (again when it changes)."""
    requirements = ROOT / "benchmarks" / f"requirements-{name}.txt"
    venv = ENVS / name
    python = venv / "bin" / "python"
    want = hashlib.sha256(requirements.read_bytes()).hexdigest()[:16]
    stamp = venv / ".installed"
    if python.exists() and stamp.exists() and stamp.read_text() == want:
        return python
    print(f"compare: installing {requirements.name} into {venv} (once)…", file=sys.stderr, flush=True)
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
    pip = [str(python), "-m", "pip", "--disable-pip-version-check", "-q", "install"]
    done = subprocess.run([*pip, "--no-deps", "-r", str(requirements)], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"compare: installing {requirements.name} failed: {done.stderr.strip()[-300:]}")
    stamp.write_text(want)
    return python


class WorkerProcess:
    def __init__(self, tool: str, python: Path, workdir: Path) -> None:
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "TRACE_OPS_CACHE_DIR": "off"}
        env.pop("PYTHONPATH", None)
        if tool == "trace_ops":
            env["PYTHONPATH"] = str(ROOT)  # the work tree's trace_ops, not an installed copy
        script = str(ROOT / "benchmarks" / "compare_worker.py")
        self.tool = tool
        self.proc = subprocess.Popen(
            [str(python), script, tool, str(workdir)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
            cwd=str(workdir),
        )
        self.version = str(self.read().get("version", "?"))

    def read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise SystemExit(f"compare: the {self.tool} worker exited (code {self.proc.wait()})")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def ask(self, op: str, workload: str, n: int) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps({"op": op, "workload": workload, "n": n}) + "\n")
        self.proc.stdin.flush()
        return self.read()

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait(timeout=60)


def order(round_index: int, tools: list[str]) -> list[str]:
    """Round r: the tools rotated by r, reversed every other round (A B C D, D C B A, B C D A, …)."""
    if not tools:
        return []
    k = (round_index // 2) % len(tools)
    rotated = tools[k:] + tools[:k]
    return rotated[::-1] if round_index % 2 else rotated


def measure(w: Workload, workers: dict[str, WorkerProcess]) -> Result:
    result = Result(w)
    live: list[str] = []
    for tool, worker in workers.items():
        prepared = worker.ask("prepare", w.name, w.prepare_n or w.n)
        if "unsupported" in prepared:
            result.unsupported[tool] = prepared["unsupported"]
            continue
        result.extra[tool] = {k: v for k, v in prepared.items() if k != "seconds"}
        warm = worker.ask("run", w.name, w.n)  # warm-up: imports, SDK models, patching
        if "unsupported" in warm:
            result.unsupported[tool] = warm["unsupported"]
            continue
        live.append(tool)
        result.samples[tool] = []
    for r in range(w.rounds):
        for tool in order(r, live):
            answer = workers[tool].ask("run", w.name, w.n)
            if "unsupported" in answer:
                raise SystemExit(
                    f"compare: {tool} {w.name}: worked in the warm-up, then: {answer['unsupported']}"
                )
            result.samples[tool].append(float(answer["seconds"]))
            if "first_chunk_s" in answer:
                result.extra[tool].setdefault("first_chunk_s", []).append(answer["first_chunk_s"])
            if "bytes" in answer:
                result.extra[tool]["bytes"] = answer["bytes"]
        print(f"  .. {w.name} round {r + 1}/{w.rounds}", file=sys.stderr, flush=True)
    return result


def paired_ratio(a: list[float], b: list[float]) -> float:
    return statistics.median(x / y for x, y in zip(a, b, strict=False))


def fmt_time(seconds: float, unit: str) -> str:
    if unit == "us":
        return f"{seconds * 1e6:,.0f} µs"
    if unit == "ms":
        return f"{seconds * 1e3:,.1f} ms"
    return f"{seconds:,.2f} s"


NAMES = {"floor": "SDK alone", "trace_ops": "trace_ops", "reference": "TraceOps 0.5.0", "vcrpy": "VCR.py"}


def cell(result: Result, tool: str, values: list[float] | None = None) -> str:
    if tool == "floor" and result.unsupported.get(tool) == "-":
        return "-"
    if tool in result.unsupported:
        why = result.unsupported[tool]
        return why if why.startswith("n/a") else "cannot: " + why
    values = values if values is not None else result.samples.get(tool)
    if not values:
        return "-"
    return fmt_time(statistics.median(values), result.workload.unit)


def ratio_cell(result: Result, tool: str, key: str | None = None) -> str:
    def series(name: str) -> list[float] | None:
        if key is None:
            return result.samples.get(name)
        raw = result.extra.get(name, {}).get(key)
        return raw if isinstance(raw, list) else None

    ours, theirs = series("trace_ops"), series(tool)
    if not ours or not theirs:
        return "-"
    return f"{paired_ratio(ours, theirs):.2f}x"


def table_rows(results: list[Result]) -> list[list[str]]:
    rows: list[list[str]] = []
    for result in results:
        w = result.workload
        rows.append(
            [w.what]
            + [cell(result, tool) for tool in TOOLS]
            + [ratio_cell(result, tool) for tool in ("floor", "reference", "vcrpy")]
        )
        if any("first_chunk_s" in result.extra.get(tool, {}) for tool in TOOLS):
            rows.append(
                ["  time to first chunk"]
                + [cell(result, tool, result.extra.get(tool, {}).get("first_chunk_s")) for tool in TOOLS]
                + [ratio_cell(result, tool, "first_chunk_s") for tool in ("floor", "reference", "vcrpy")]
            )
        if w.name.startswith("save_") and any("bytes" in result.extra.get(t, {}) for t in TOOLS):
            sizes = [result.extra.get(tool, {}).get("bytes") for tool in TOOLS]
            ours = sizes[1]
            rows.append(
                [f"  file size, {w.n:,} calls"]
                + [f"{b / 2**20:,.1f} MiB" if isinstance(b, int) else "-" for b in sizes]
                + [
                    f"{ours / b:.2f}x" if isinstance(ours, int) and isinstance(b, int) else "-"
                    for b in sizes[0:1] + sizes[2:]
                ]
            )
    return rows


def print_table(rows: list[list[str]], header: list[str]) -> str:
    """A GitHub-flavoured Markdown table (it is what the README shows)."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    text = "\n".join(lines)
    print(text, flush=True)
    return text


def pytest_workload(s_tests: int, rounds: int, pythons: dict[str, Path]) -> dict[str, Any]:
    tools = [
        compare_pytest.SuiteTool(
            "trace_ops",
            str(pythons["ours"]),
            "trace_ops",
            True,
            (OURS_PLUGIN, "--record"),
            (OURS_PLUGIN,),
            str(ROOT),
        ),
        compare_pytest.SuiteTool("reference", str(pythons["reference"]), "traceops", True, ("--record",), ()),
        compare_pytest.SuiteTool(
            "vcrpy", str(pythons["vcr"]), "recording", False, ("--record-mode=once",), ("--record-mode=none",)
        ),
    ]
    base = ENVS / "work" / "suites"
    prepared: dict[str, tuple[Path, Path]] = {}
    samples: dict[str, dict[str, list[float]]] = {}
    failed: dict[str, str] = {}
    for tool in tools:
        try:
            prepared[tool.name] = compare_pytest.prepare(tool, base, s_tests)
            compare_pytest.run_round(tool, *prepared[tool.name], s_tests, "floor")  # warm-up
            samples[tool.name] = {"floor": [], "replay": []}
        except RuntimeError as exc:
            failed[tool.name] = f"cannot: {str(exc)[-120:]}"
            print(f"compare: pytest suite, {tool.name}: {exc}", file=sys.stderr, flush=True)
    live = [t for t in tools if t.name in prepared and t.name not in failed]
    for r in range(rounds):
        for index in order(r, list(range(len(live)))):
            tool = live[index]
            try:
                got = compare_pytest.run_round(
                    tool, *prepared[tool.name], s_tests, "floor" if r % 2 else "replay"
                )
            except RuntimeError as exc:
                failed[tool.name] = f"cannot: {str(exc)[-120:]}"
                print(f"compare: pytest suite, {tool.name}: {exc}", file=sys.stderr, flush=True)
                continue
            for key, value in got.items():
                samples[tool.name][key].append(value)
        print(f"  .. pytest suite round {r + 1}/{rounds}", file=sys.stderr, flush=True)
    return {"tests": s_tests, "samples": samples, "failed": failed}


def pytest_rows(suite: dict[str, Any]) -> list[list[str]]:
    samples, failed = suite["samples"], suite["failed"]

    def med(tool: str, key: str) -> str:
        if tool in failed:
            return str(failed[tool])
        values = samples.get(tool, {}).get(key)
        return f"{statistics.median(values):.2f} s" if values else "-"

    ours = samples.get("trace_ops", {}).get("replay")

    def vs(tool: str) -> str:
        theirs = samples.get(tool, {}).get("replay")
        return f"{paired_ratio(ours, theirs):.2f}x" if ours and theirs else "-"

    own = [
        f"{paired_ratio(v['replay'], v['floor']):.2f}x" if v["replay"] else "-"
        for v in (samples.get(t, {"replay": [], "floor": []}) for t in ("trace_ops", "reference", "vcrpy"))
    ]
    n = suite["tests"]
    return [
        [
            f"pytest: {n} replayed tests, wall (plugin)",
            "-",
            med("trace_ops", "replay"),
            med("reference", "replay"),
            med("vcrpy", "replay"),
            "-",
            vs("reference"),
            vs("vcrpy"),
        ],
        [
            f"  the same {n} tests, no plugin, each venv",
            "-",
            med("trace_ops", "floor"),
            med("reference", "floor"),
            med("vcrpy", "floor"),
            "-",
            "-",
            "-",
        ],
        ["  replay / no plugin, same venv", "-", *own, "-", "-", "-"],
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="trace_ops vs VCR.py + pytest-recording vs TraceOps 0.5.0.")
    parser.add_argument("--quick", action="store_true", help="smaller blocks, fewer rounds (a smoke run)")
    parser.add_argument("--json", metavar="PATH", type=Path, default=ENVS / "compare.json")
    parser.add_argument("--only", metavar="W,W", help="only these workloads (names as in the JSON; 'pytest')")
    args = parser.parse_args(argv)
    pythons = {name: ensure_env(name) for name in ("ours", "reference", "vcr")}
    work = ENVS / "work"
    work.mkdir(parents=True, exist_ok=True)
    chosen = set(args.only.split(",")) if args.only else None
    started = time.perf_counter()
    workers = {tool: WorkerProcess(tool, pythons[VENV_OF[tool]], work) for tool in TOOLS}
    versions = {tool: w.version for tool, w in workers.items()}
    print(
        f"compare ({'quick' if args.quick else 'full'}): trace_ops {versions['trace_ops']}, TraceOps "
        f"{versions['reference']}, VCR.py {versions['vcrpy']}; openai 2.x over httpx.MockTransport; "
        f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    results: list[Result] = []
    try:
        for w in workloads(args.quick):
            if chosen is None or w.name in chosen:
                results.append(measure(w, workers))
    finally:
        for worker in workers.values():
            worker.close()
    suite = None
    if chosen is None or "pytest" in chosen:
        suite = pytest_workload(100 if args.quick else 500, 2 if args.quick else 3, pythons)
    header = ["workload", *(NAMES[t] for t in TOOLS), "ours / SDK", "ours / TraceOps", "ours / VCR.py"]
    rows = table_rows(results) + (pytest_rows(suite) if suite else [])
    print()
    text = print_table(rows, header)
    elapsed = time.perf_counter() - started
    print(
        f"\n{elapsed:.0f} s; medians over rounds; ratio = median of per-round ours/theirs (< 1: ours faster)"
    )
    document = {
        "mode": "quick" if args.quick else "full",
        "environment": {**machine(), "versions": versions},
        "elapsed_s": elapsed,
        "table_markdown": text,
        "workloads": [
            {
                "name": r.workload.name,
                "what": r.workload.what,
                "n": r.workload.n,
                "rounds": r.workload.rounds,
                "seconds": r.samples,
                "extra": r.extra,
                "unsupported": r.unsupported,
            }
            for r in results
        ],
        "pytest": suite,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    print(f"results written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
