"""Budget and behaviour assertions on a recorded run; each raises a readable `AssertionError`.

A failure message states the figure, the limit and the offending steps (`step N label`, N
1-based in `trace.events`; `call #K` is the K-th LLM call). A figure the run did not record
(no usage, no duration, no price) is *unknown*: the budget assertion fails and says so rather
than counting it as zero.

Tool calls are seen both ways an agent can leave them: ToolCall events (tools that ran) and
the calls the model requested in its responses. Counts take, per tool, the larger of the two,
so a requested-then-executed call is not counted twice.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from trace_ops.cost import price_call
from trace_ops.diff import TrajectoryMode, compare_trajectory, tool_counts
from trace_ops.formatting import format_usd
from trace_ops.matching import fingerprint
from trace_ops.trace import Event, HTTPCall, LLMCall, ToolCall, Trace

__all__ = [
    "assert_cost_under",
    "assert_latency_under",
    "assert_max_llm_calls",
    "assert_no_loops",
    "assert_response_contains",
    "assert_tokens_under",
    "assert_tool_args_match",
    "assert_tool_called",
    "assert_tool_not_called",
    "assert_trajectory",
    "partial_mismatches",
]

_SHOW = 5


# --------------------------------------------------------------------------- helpers


def _step(index: int, event: Event) -> str:
    return f"step {index + 1} {event.label}"


def _calls(trace: Trace) -> list[tuple[str, int, LLMCall]]:
    """(`call #K, step N label`, event index, call) for every LLM call, in order."""
    out: list[tuple[str, int, LLMCall]] = []
    for index, event in enumerate(trace.events):
        if isinstance(event, LLMCall) and not isinstance(event, HTTPCall):
            out.append((f"call #{len(out) + 1}, {_step(index, event)}", index, event))
    return out


def _listing(items: Sequence[str]) -> str:
    shown = ", ".join(items[:_SHOW])
    return shown + (f", … and {len(items) - _SHOW} more" if len(items) > _SHOW else "")


def _unknown(figure: str, reasons: Sequence[str], limit: str) -> AssertionError:
    more = f" (and {len(reasons) - 1} more unknown)" if len(reasons) > 1 else ""
    return AssertionError(f"{figure} unknown: {reasons[0]}{more}; limit {limit}")


# --------------------------------------------------------------------------- budgets


def assert_cost_under(trace: Trace, max_usd: float) -> None:
    """The run cost at most `max_usd` (genai-prices or `register_price`); unknown prices fail."""
    total, unknown, priced = 0.0, [], []
    for ref, _, call in _calls(trace):
        cost = price_call(call)
        if cost.usd is None:
            unknown.append(f"{cost.reason} ({ref})")
        else:
            total += cost.usd
            priced.append((cost.usd, ref))
    if unknown:
        raise _unknown("cost", unknown, format_usd(max_usd))
    if total > max_usd:
        top = [f"{ref} {format_usd(usd)}" for usd, ref in sorted(priced, key=lambda p: -p[0])]
        raise AssertionError(
            f"cost {format_usd(total)} exceeds limit {format_usd(max_usd)} over {len(priced)} LLM calls; "
            f"most expensive: {_listing(top)}"
        )


def assert_tokens_under(
    trace: Trace,
    max_tokens: int | None = None,
    *,
    max_input_tokens: int | None = None,
    max_output_tokens: int | None = None,
) -> None:
    """Total (input + output), input and/or output tokens stay within the given limits.

    Failed calls (transport error, HTTP >= 400) count as 0; a successful call without usage
    makes the figure unknown.
    """
    if max_tokens is None and max_input_tokens is None and max_output_tokens is None:
        raise ValueError("assert_tokens_under needs max_tokens, max_input_tokens or max_output_tokens")
    per_call: list[tuple[int, int, str]] = []
    unknown: list[str] = []
    for ref, _, call in _calls(trace):
        usage = call.usage
        if usage is None:
            if not call.failed:
                unknown.append(f"no usage recorded ({ref})")
            continue
        per_call.append((usage.input_tokens, usage.output_tokens, ref))
    limits: list[tuple[str, int | None, Callable[[int, int], int]]] = [
        ("tokens", max_tokens, lambda i, o: i + o),
        ("input tokens", max_input_tokens, lambda i, o: i),
        ("output tokens", max_output_tokens, lambda i, o: o),
    ]
    problems: list[str] = []
    for name, limit, figure in limits:
        if limit is None:
            continue
        if unknown:
            raise _unknown(name, unknown, f"{limit:,}")
        total = sum(figure(i, o) for i, o, _ in per_call)
        if total > limit:
            ranked = sorted(per_call, key=lambda p: -figure(p[0], p[1]))
            top = [f"{ref} {figure(i, o):,}" for i, o, ref in ranked]
            problems.append(f"{name} {total:,} exceed limit {limit:,}; largest calls: {_listing(top)}")
    if problems:
        raise AssertionError("\n".join(problems))


def assert_max_llm_calls(trace: Trace, max_calls: int) -> None:
    """The run made at most `max_calls` LLM calls; the message lists the calls beyond the limit."""
    calls = _calls(trace)
    if len(calls) > max_calls:
        extra = [ref for ref, _, _ in calls[max_calls:]]
        raise AssertionError(
            f"{len(calls)} LLM calls exceed limit {max_calls}; beyond the limit: {_listing(extra)}"
        )


def assert_latency_under(trace: Trace, max_ms: float, *, per_call: bool = False) -> None:
    """The run's time (LLM calls plus timed tool calls) is at most `max_ms`, or each of them is.

    An LLM call without a recorded duration makes latency unknown; tool calls recorded
    without a duration (manual `record_tool_call`) are not counted.
    """
    timed: list[tuple[float, str]] = []
    unknown: list[str] = []
    for index, event in enumerate(trace.events):
        if not isinstance(event, (LLMCall, ToolCall)):
            continue
        if event.duration_ms is None:
            if isinstance(event, LLMCall):
                unknown.append(f"no duration recorded ({_step(index, event)})")
            continue
        timed.append((event.duration_ms, _step(index, event)))
    if unknown:
        raise _unknown("latency", unknown, f"{max_ms:,.0f} ms")
    slowest = sorted(timed, key=lambda t: -t[0])
    if per_call:
        over = [f"{ref} {ms:,.0f} ms" for ms, ref in slowest if ms > max_ms]
        if over:
            raise AssertionError(f"{len(over)} step(s) slower than {max_ms:,.0f} ms: {_listing(over)}")
        return
    total = sum(ms for ms, _ in timed)
    if total > max_ms:
        top = [f"{ref} {ms:,.0f} ms" for ms, ref in slowest]
        raise AssertionError(
            f"latency {total:,.0f} ms exceeds limit {max_ms:,.0f} ms; slowest: {_listing(top)}"
        )


def assert_no_loops(
    trace: Trace,
    max_consecutive_same_tool: int | None = 3,
    max_identical_llm_requests: int | None = 3,
) -> None:
    """No tool is called more than `max_consecutive_same_tool` times in a row, and no LLM
    request body is sent more than `max_identical_llm_requests` times (None disables a check).

    "In a row" counts tool calls only (the LLM calls between them do not break a run). Failed
    calls are not counted as repeats: retrying after a rate limit is not a loop.
    """
    problems: list[str] = []
    if max_consecutive_same_tool is not None:
        run: list[str] = []
        name: str | None = None
        for tool, ref in [*_tool_sequence(trace), (None, "")]:
            if tool == name and tool is not None:
                run.append(ref)
                continue
            if name is not None and len(run) > max_consecutive_same_tool:
                problems.append(
                    f"loop: tool {name!r} called {len(run)} times in a row "
                    f"(limit {max_consecutive_same_tool}): {_listing(run)}"
                )
            name, run = tool, [ref]
    if max_identical_llm_requests is not None:
        groups: dict[str, list[str]] = {}
        for ref, _, call in _calls(trace):
            if not call.failed:
                groups.setdefault(fingerprint(call.endpoint, call.request), []).append(ref)
        for refs in groups.values():
            if len(refs) > max_identical_llm_requests:
                problems.append(
                    f"loop: the same LLM request was sent {len(refs)} times "
                    f"(limit {max_identical_llm_requests}): {_listing(refs)}"
                )
    if problems:
        raise AssertionError("\n".join(problems))


# --------------------------------------------------------------------------- behaviour


def _tool_sequence(trace: Trace) -> list[tuple[str, str]]:
    """(tool name, where) in order: ToolCall events, or the requested calls if none were recorded."""
    events = [(e.name, _step(i, e)) for i, e in enumerate(trace.events) if isinstance(e, ToolCall)]
    if events:
        return events
    return [
        (tc.name, f"{_step(i, e)} requested {tc.name}")
        for i, e in enumerate(trace.events)
        if isinstance(e, LLMCall)
        for tc in e.view.tool_calls
    ]


def _tool_uses(trace: Trace, name: str) -> list[tuple[str, Any]]:
    """(where, arguments) of every use of `name`: ToolCall events, then requested calls."""
    uses: list[tuple[str, Any]] = []
    for index, event in enumerate(trace.events):
        if isinstance(event, ToolCall) and event.name == name:
            uses.append((_step(index, event), event.input))
        elif isinstance(event, LLMCall):
            for tc in event.view.tool_calls:
                if tc.name == name:
                    uses.append((f"{_step(index, event)} requested {name}", tc.arguments))
    return uses


def _called_summary(trace: Trace) -> str:
    counts = tool_counts(trace)
    return ", ".join(f"{n} x{c}" for n, c in sorted(counts.items())) or "none"


def assert_tool_called(
    trace: Trace, name: str, times: int | None = None, min_times: int | None = None
) -> None:
    """`name` was called exactly `times`, at least `min_times`, or (neither given) at least once."""
    count = tool_counts(trace)[name]
    if times is not None:
        ok, wanted = count == times, f"exactly {times}"
    else:
        floor = 1 if min_times is None else min_times
        ok, wanted = count >= floor, f"at least {floor}"
    if not ok:
        where = [w for w, _ in _tool_uses(trace, name)]
        at = f" ({_listing(where)})" if where else ""
        raise AssertionError(
            f"tool {name!r} was called {count} time(s){at}, expected {wanted}; "
            f"tools called: {_called_summary(trace)}"
        )


def assert_tool_not_called(trace: Trace, name: str) -> None:
    """`name` was neither run nor requested by the model."""
    uses = _tool_uses(trace, name)
    if uses:
        count = tool_counts(trace)[name]
        raise AssertionError(
            f"tool {name!r} was called {count} time(s), expected never: {_listing([w for w, _ in uses])}"
        )


def partial_mismatches(expected: Any, actual: Any, path: str = "") -> list[str]:
    """Why `actual` does not match `expected` (empty: it matches).

    Deep partial match: dicts need the expected keys only (recursively), lists match element
    by element and must have the same length, other values must be equal. A JSON string is
    parsed before matching against a dict or list.
    """
    where = path or "(value)"
    if isinstance(expected, (dict, list)) and isinstance(actual, str):
        with contextlib.suppress(ValueError):
            actual = json.loads(actual)
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{where}: expected an object, got {actual!r}"]
        out: list[str] = []
        for key, value in expected.items():
            sub = f"{path}.{key}" if path else str(key)
            if key not in actual:
                out.append(f"{sub}: missing (expected {value!r})")
            else:
                out.extend(partial_mismatches(value, actual[key], sub))
        return out
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return [f"{where}: expected {expected!r}, got {actual!r}"]
        pairs = enumerate(zip(expected, actual, strict=True))
        return [m for k, (e, a) in pairs for m in partial_mismatches(e, a, f"{path}[{k}]")]
    if expected != actual or isinstance(expected, bool) != isinstance(actual, bool):
        return [f"{where}: {actual!r} != expected {expected!r}"]
    return []


def assert_tool_args_match(trace: Trace, name: str, expected: dict[str, Any]) -> None:
    """Some call of `name` (run or requested) has arguments deep-partially matching `expected`."""
    uses = _tool_uses(trace, name)
    if not uses:
        raise AssertionError(
            f"tool {name!r} was never called, so no arguments match {expected!r}; "
            f"tools called: {_called_summary(trace)}"
        )
    reports = []
    for where, args in uses:
        mismatches = partial_mismatches(expected, args)
        if not mismatches:
            return
        reports.append(f"  {where}: {'; '.join(mismatches)}")
    more = [f"  … and {len(reports) - _SHOW} more calls"] if len(reports) > _SHOW else []
    header = f"no call of tool {name!r} matches {expected!r}:"
    raise AssertionError("\n".join([header, *reports[:_SHOW], *more]))


def assert_response_contains(
    trace: Trace, text_or_regex: str, *, regex: bool = False, which: str = "final"
) -> None:
    """The final LLM response (`which="final"`) or any of them (`"any"`) contains the text.

    `regex=True` uses `re.search`. Embedding calls and failed calls are not responses.
    """
    if which not in ("final", "any"):
        raise ValueError(f"which must be 'final' or 'any', not {which!r}")
    responses = [
        (ref, c.view.text) for ref, _, c in _calls(trace) if c.endpoint != "embeddings" and not c.failed
    ]
    if not responses:
        raise AssertionError(f"no LLM response in the trace to search for {text_or_regex!r}")
    candidates = responses[-1:] if which == "final" else responses
    pattern = re.compile(text_or_regex) if regex else None

    def found(text: str) -> bool:
        return bool(pattern.search(text)) if pattern else text_or_regex in text

    if any(found(text) for _, text in candidates):
        return
    what = f"regex {text_or_regex!r}" if regex else repr(text_or_regex)
    shown = [f"  {ref}: {_snippet(text)}" for ref, text in candidates[-_SHOW:]]
    scope = "the final response" if which == "final" else f"none of {len(candidates)} responses"
    raise AssertionError("\n".join([f"{scope} contains {what}:", *shown]))


def _snippet(text: str, limit: int = 200) -> str:
    text = text.replace("\n", "\\n")
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


def assert_trajectory(
    trace: Trace, expected_steps: Iterable[str], mode: TrajectoryMode | str = TrajectoryMode.EXACT
) -> None:
    """The run's steps follow `expected_steps` under `mode` (EXACT / IN_ORDER / ANY_ORDER).

    Bare names (`"search"`) are tools: when every expected step is bare, only the tool
    sequence is compared. When every expected step is a graph node (`"node:agent"`), only the
    node steps are (the path through the graph). Other full labels (`"tool:search"`,
    `"llm_call:gpt-4o"`) compare against the whole trajectory, bare names read as `tool:<name>`.
    """
    expected = list(expected_steps)
    mode = TrajectoryMode(mode)
    if all(":" not in step for step in expected):
        actual = [tool for tool, _ in _tool_sequence(trace)]
    elif all(step.startswith("node:") for step in expected):
        actual = [step for step in trace.trajectory if step.startswith("node:")]
    else:
        actual = list(trace.trajectory)
        expected = [step if ":" in step else f"tool:{step}" for step in expected]
    if not compare_trajectory(expected, actual, mode):
        missing = list((Counter(expected) - Counter(actual)).elements())
        hint = f"\n  missing: {', '.join(missing)}" if missing else ""
        raise AssertionError(
            f"trajectory does not match ({mode.value}):\n"
            f"  expected: {_path(expected)}\n  actual:   {_path(actual)}{hint}"
        )


def _path(steps: Sequence[str], limit: int = 30) -> str:
    if not steps:
        return "(no steps)"
    shown = " → ".join(steps[:limit])
    return shown + (f" → … ({len(steps) - limit} more)" if len(steps) > limit else "")
