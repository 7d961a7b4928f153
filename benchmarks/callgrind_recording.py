"""Recording overhead in CPU instructions: a cross-check of row (b) that noise cannot move.

    .venv/bin/python benchmarks/callgrind_recording.py [--calls 100] [--provider openai|anthropic]

Wall-clock ratios on a shared 2-core VM move by several percent between runs. valgrind's
callgrind counts executed instructions, which are the same for the same inputs whatever the
machine is doing. Each variant runs in its own process twice, with N and 3N calls after the
same warm-up; the difference divided by 2N is the per-call instruction count, free of start-up
and import costs. Variants: the floor (SDK over httpx MockTransport, no trace_ops session) and
`with Recorder():` (in memory). Needs valgrind (Debian: `apt-get install valgrind`); takes a few
minutes (two processes at a time). Instructions are not time (cache misses, page faults and
memory growth are not counted), so this complements row (b), it does not replace it.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, sys, warnings
sys.path.insert(0, {root!r})
import httpx2
from benchmarks.workloads.data import ANTHROPIC_MESSAGE, anthropic_request, chat_completion, openai_request
from benchmarks.workloads.floor import anthropic_client, json_handler, openai_client
from trace_ops import Recorder

warnings.simplefilter("ignore", DeprecationWarning)  # as benchmarks/run.py: anthropic 2.x's model warning

provider, mode, n = {provider!r}, {mode!r}, {n}
if provider == "openai":
    prompts = [openai_request(i) for i in range(50)]
    bodies = [json.dumps(chat_completion(i)).encode() for i in range(50)]
    served = [0]

    def handler(request):
        body = bodies[served[0] % 50]
        served[0] += 1
        return httpx2.Response(200, content=body, headers={{"content-type": "application/json"}})

    client = openai_client(handler)
    call = lambda p: client.chat.completions.create(**p)
else:
    prompts = [anthropic_request(i) for i in range(50)]
    client = anthropic_client(json_handler(ANTHROPIC_MESSAGE))
    call = lambda p: client.messages.create(**p)

for p in prompts[:5]:  # the same warm-up in every child: imports, SDK model compilation, patching
    call(p)
with Recorder():
    for p in prompts[:5]:
        call(p)


def calls():
    for i in range(n):
        call(prompts[i % 50])


if mode == "record":
    with Recorder():
        calls()
else:
    calls()
"""


def instructions(provider: str, mode: str, n: int, workdir: Path) -> int:
    script = workdir / f"{provider}-{mode}-{n}.py"
    script.write_text(CHILD.format(root=str(ROOT), provider=provider, mode=mode, n=n), encoding="utf-8")
    out = workdir / f"{provider}-{mode}-{n}.callgrind"
    proc = subprocess.run(
        ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable, str(script)],
        capture_output=True,
        text=True,
    )
    match = re.search(r"Collected : (\d+)", proc.stderr)
    if proc.returncode != 0 or match is None:
        raise SystemExit(f"callgrind run failed ({provider} {mode} {n}):\n{proc.stderr[-2000:]}")
    return int(match.group(1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100, help="N: runs make N and 3N calls (default 100)")
    parser.add_argument("--provider", choices=["openai", "anthropic"], default="openai")
    parser.add_argument("--json", metavar="PATH", type=Path, help="also write the counts as JSON")
    args = parser.parse_args(argv)
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (Debian: apt-get install valgrind)")
    n = args.calls
    jobs = [(mode, count) for mode in ("floor", "record") for count in (n, 3 * n)]
    with tempfile.TemporaryDirectory(prefix="trace_ops_callgrind_") as tmp, ThreadPoolExecutor(2) as pool:
        measured = pool.map(lambda job: instructions(args.provider, *job, Path(tmp)), jobs)
        counts = dict(zip(jobs, measured, strict=True))
    per_call = {mode: (counts[(mode, 3 * n)] - counts[(mode, n)]) / (2 * n) for mode in ("floor", "record")}
    ratio = per_call["record"] / per_call["floor"]
    print(f"{args.provider} call, instructions per call ({2 * n} calls measured per variant):")
    print(f"  floor (no trace_ops)   {per_call['floor']:>14,.0f}")
    print(f"  Recorder() in memory   {per_call['record']:>14,.0f}")
    print(
        f"  ratio                  {ratio:>14.4f}   (+{per_call['record'] - per_call['floor']:,.0f} per call)"
    )
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "provider": args.provider,
                    "calls": n,
                    "counts": {f"{m}-{c}": v for (m, c), v in counts.items()},
                    "per_call": per_call,
                    "ratio": ratio,
                },
                indent=2,
            ),
            encoding="utf-8",
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
