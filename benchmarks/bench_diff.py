"""Diff benchmark: `diff_traces` on two 1,000-LLM-call runs that differ in a few places.

    .venv/bin/python benchmarks/bench_diff.py [--calls 1000] [--rounds 7] [--history window|full]

Prints the median time of `diff_traces` (fresh traces each round, so response views and prices
are computed inside the timing) and, as the baseline measured in the same run, a plain
`difflib.SequenceMatcher(None, old_trajectory, new_trajectory).get_opcodes()`; the ratio is
diff_traces / baseline. Target: well under one second for 1,000 vs 1,000 calls.

The runs: each LLM call is followed by a tool call; the new run changes ~2% of the models,
~2% of tool arguments, ~3% of answers and prompts, and inserts 5 extra tool calls. Prompts
carry a sliding window of the conversation (`--history window`, the default: system prompt +
last 6 messages) or the whole conversation so far (`--history full`, quadratic in size: the
worst case for prompt diffing).
"""

from __future__ import annotations

import argparse
import difflib
import random
import statistics
import sys
import time
import warnings
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from trace_ops.diff import diff_traces  # noqa: E402
from trace_ops.trace import Event, LLMCall, ToolCall, Trace  # noqa: E402

TARGET_S = 1.0


def _call(
    n: int, model: str, text: str, messages: list[dict[str, Any]], tool_args: dict[str, Any]
) -> LLMCall:
    body = {
        "id": f"chatcmpl-{n}-{random.random()}",
        "object": "chat.completion",
        "created": 1_700_000_000 + n,
        "model": model,
        "system_fingerprint": "fp_1",
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": text,
                    "tool_calls": [
                        {
                            "id": f"call_{n}",
                            "type": "function",
                            "function": {"name": "search", "arguments": repr(tool_args).replace("'", '"')},
                        }
                    ],
                },
                "finish_reason": "tool_calls",
            }
        ],
        "usage": {
            "prompt_tokens": 500 + 7 * len(messages),
            "completion_tokens": 40 + len(text) // 4,
            "total_tokens": 540 + 7 * len(messages) + len(text) // 4,
        },
    }
    return LLMCall(
        provider="openai",
        endpoint="chat.completions",
        request={
            "model": model,
            "messages": messages,
            "tools": [{"type": "function", "function": {"name": "search"}}],
        },
        response=body,
        started_at="2026-11-01T10:00:00.000Z",
        duration_ms=800.0 + n % 50,
    )


def build(calls: int, seed: int, changed: bool, history: str) -> Trace:
    rng = random.Random(seed)
    change = random.Random(seed + 1)
    conversation: list[dict[str, Any]] = [
        {"role": "user", "content": "Research the history of Lyon in detail."}
    ]
    system = {"role": "system", "content": "You are a careful research agent. Use the search tool."}
    events: list[Event] = []
    for n in range(calls):
        topic = f"topic {rng.randint(0, 10_000)}"
        text = f"Looking into {topic}: step {n} of the plan, checking sources and dates."
        args: dict[str, Any] = {"q": f"lyon {topic}", "page": n % 3}
        model = "gpt-4o"
        if changed:
            if change.random() < 0.02:
                model = "gpt-4o-mini"
            if change.random() < 0.03:
                text += " Also comparing with Paris."
            if change.random() < 0.02:
                args["page"] = 9
            if change.random() < 0.03:
                conversation[-1] = {
                    **conversation[-1],
                    "content": str(conversation[-1]["content"]) + " (edited)",
                }
        window = conversation if history == "full" else conversation[-6:]
        events.append(_call(n, model, text, [system, *window], args))
        events.append(ToolCall(name="search", input=args, output=f"results for {topic}", duration_ms=120.0))
        if changed and n % 200 == 100:
            events.append(
                ToolCall(name="browse", input={"url": f"https://example.com/{n}"}, duration_ms=300.0)
            )
        conversation += [
            {"role": "assistant", "content": text},
            {"role": "tool", "content": f"results for {topic}"},
        ]
    return Trace(events=events)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--history", choices=("window", "full"), default="window")
    args = parser.parse_args()
    warnings.simplefilter("ignore")

    ours: list[float] = []
    base: list[float] = []
    summary = ""
    for _ in range(args.rounds):
        old = build(args.calls, 1, False, args.history)
        new = build(args.calls, 1, True, args.history)
        start = time.perf_counter()
        diff = diff_traces(old, new)
        ours.append(time.perf_counter() - start)
        old_path, new_path = old.trajectory, new.trajectory
        start = time.perf_counter()
        difflib.SequenceMatcher(None, old_path, new_path).get_opcodes()
        base.append(time.perf_counter() - start)
        summary = diff.summary()

    t_ours, t_base = statistics.median(ours), statistics.median(base)
    print(
        f"diff_traces, {args.calls} vs {args.calls} LLM calls ({len(old.events)} vs {len(new.events)} steps, "
        f"history={args.history}): {t_ours * 1000:.1f} ms median of {args.rounds}"
    )
    print(f"baseline difflib.SequenceMatcher over the trajectories: {t_base * 1000:.1f} ms")
    print(f"ratio diff_traces / baseline: {t_ours / t_base:.1f}x")
    print(f"target < {TARGET_S:.0f} s: {'PASS' if t_ours < TARGET_S else 'MISS'}")
    print("\n" + summary)


if __name__ == "__main__":
    main()
