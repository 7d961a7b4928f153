"""Plain-text rendering of a `TraceDiff`, and the assertion that fails with it.

Kept apart from the engine so that what a diff *says* is defined once: `change_lines` yields
(aspect, text) lines that `TraceDiff.summary()`, the terminal and the markdown reporters all
share (each escapes recorded text for its medium), together with the `describe_*` and
`format_*` helpers they reuse. `assert_trace_unchanged` lives here because its failure message
is this summary.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from trace_ops.diff.align import TrajectoryMode
from trace_ops.diff.engine import diff_traces
from trace_ops.diff.model import (
    Delta,
    ErrorRef,
    FinishReasonChange,
    JudgmentChange,
    PromptChange,
    RequestedToolsChange,
    ResponseChange,
    StepEdit,
    ToolArgsChange,
    TraceDiff,
    ValueChange,
)
from trace_ops.formatting import format_figure, format_usd
from trace_ops.trace import Trace

__all__ = [
    "DEFAULT_IGNORE",
    "assert_trace_unchanged",
    "change_lines",
    "describe_prompt_change",
    "describe_value_change",
    "format_delta",
    "format_usd",
    "info_lines",
    "summary_lines",
]

_LIST_LIMIT = 5


# --------------------------------------------------------------------------- plain text


def _step(i: int, j: int) -> str:
    return f"step {j + 1}" if i == j else f"step {i + 1}→{j + 1}"


def _clip(text: str, limit: int) -> str:
    text = text.replace("\n", "\\n")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _short(value: Any, limit: int = 60) -> str:
    """A recorded value on one line: strings quoted, other values as JSON."""
    text = repr(value) if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return _clip(text, limit)


def describe_value_change(c: ValueChange) -> str:
    name = c.path or "(value)"
    if c.op == "added":
        return f"{name}: added {_short(c.new)}"
    if c.op == "removed":
        return f"{name}: removed (was {_short(c.old)})"
    return f"{name}: {_short(c.old)} → {_short(c.new)}"


def format_delta(delta: Delta, unit: str) -> str:
    """`1,000 → 1,250 (+250, +25.0%)`; unknown figures print as `unknown`."""
    text = f"{format_figure(delta.old, unit)} → {format_figure(delta.new, unit)}"
    if delta.abs is not None:
        pct = f", {delta.pct:+.1f}%" if delta.pct is not None else ""
        text += f" ({format_figure(delta.abs, unit, sign=True)}{pct})"
    return text


def summary_lines(d: TraceDiff) -> list[str]:
    """`summary()` as lines: a header, then one indented line per change."""
    lines = ["Trace comparison:", *(f"  {text}" for _, text in change_lines(d))]
    if len(lines) == 1:
        lines.append("  No changes")
    return lines + [f"  {text}" for _, text in info_lines(d)]


_FIGURES = (
    ("tokens", "Tokens", "tokens", ""),
    ("cost", "Cost", "cost_usd", "$"),
    ("latency", "Latency", "latency_ms", "ms"),
)


def info_lines(d: TraceDiff) -> list[tuple[str, str]]:
    """(aspect, text) per figure that moved without counting as a change (latency and cost
    noise, or a move within the tolerance the caller set); ignored aspects say nothing."""
    out: list[tuple[str, str]] = []
    for aspect, name, attr, unit in _FIGURES:
        delta: Delta = getattr(d, attr)
        if aspect in d.ignored or not delta.moved or delta.changed:
            continue
        if delta.tolerance_pct is None:
            why = f"set {attr.split('_')[0]}_tolerance_pct to count it"
        else:
            why = f"within the {delta.tolerance_pct:g}% tolerance"
        out.append((aspect, f"{name}: {format_delta(delta, unit)} (info only: {why})"))
    return out


def change_lines(d: TraceDiff) -> list[tuple[str, str]]:
    """(aspect, text) per line of the summary; continuation lines start with two spaces.

    Renderers share this so every output says the same thing; recorded text in it is raw
    (each renderer escapes it for its medium).
    """
    out: list[tuple[str, str]] = []

    def add(aspect: str, items: Sequence[Any], render: Callable[[Any], str], what: str) -> None:
        out.extend((aspect, render(x)) for x in items[:_LIST_LIMIT])
        if len(items) > _LIST_LIMIT:
            out.append((aspect, f"… and {len(items) - _LIST_LIMIT} more {what}"))

    if d.trajectory is not None:
        t = d.trajectory
        out.append(("trajectory", "⚠ TRAJECTORY CHANGED (agent took a different path)"))
        if len(t.old) + len(t.new) <= 40:
            out.append(("trajectory", f"  Old: {' → '.join(t.old)}"))
            out.append(("trajectory", f"  New: {' → '.join(t.new)}"))
        else:
            out.append(("trajectory", f"  Old: {len(t.old)} steps, New: {len(t.new)} steps"))
            add("trajectory", t.edits, lambda e: "  " + _describe_edit(e), "steps")
    counts = (("llm_calls", "LLM calls", d.llm_calls), ("tool_calls", "Tool calls", d.tool_calls))
    for aspect, name, delta in counts:
        if delta.changed and delta.abs is not None:
            n = int(delta.abs)
            out.append((aspect, f"{name}: {abs(n)} {'more' if n > 0 else 'fewer'}"))
    if d.tools_added:
        out.append(("tools", f"New tools used: {', '.join(d.tools_added)}"))
    if d.tools_removed:
        out.append(("tools", f"Tools no longer used: {', '.join(d.tools_removed)}"))
    by_pair: dict[tuple[str | None, str | None], list[str]] = {}
    for m in d.model_changes:
        by_pair.setdefault((m.old, m.new), []).append(str(m.new_index + 1))
    for (old_model, new_model), steps in by_pair.items():
        where = ", ".join(steps[:_LIST_LIMIT]) + (", …" if len(steps) > _LIST_LIMIT else "")
        plural = "s" if len(steps) > 1 else ""
        out.append(("model", f"Model changed: {old_model} → {new_model} (step{plural} {where})"))
    add("requested_tools", d.requested_tool_changes, _describe_requested, "requested tool changes")
    add("tool_args", d.tool_arg_changes, _describe_args, "tool argument changes")
    add("prompts", d.prompt_changes, describe_prompt_change, "prompt changes")
    add("response_text", d.response_changes, _describe_response, "response changes")
    add("finish_reason", d.finish_reason_changes, _describe_finish, "finish reason changes")
    for aspect, name, attr, unit in _FIGURES:
        delta = getattr(d, attr)
        if delta.changed:
            detail = ""
            if delta is d.tokens and d.input_tokens.abs is not None and d.output_tokens.abs is not None:
                detail = f" [input {d.input_tokens.abs:+,.0f}, output {d.output_tokens.abs:+,.0f}]"
            out.append((aspect, f"{name}: {format_delta(delta, unit)}{detail}"))
    error_groups = (("Errors appeared", d.errors_appeared), ("Errors disappeared", d.errors_disappeared))
    for title, errors in error_groups:
        if errors:
            out.append(("errors", f"{title}:"))
            add("errors", errors, lambda e: "  " + _describe_error(e), "errors")
    add("judgments", d.judgment_changes, _describe_judgment, "judgment changes")
    return out


def _describe_judgment(c: JudgmentChange) -> str:
    parts = []
    if c.old_verdict != c.new_verdict:
        parts.append(f"verdict {c.old_verdict} → {c.new_verdict}")
    if c.old_score != c.new_score:
        parts.append(f"score {c.old_score} → {c.new_score}")
    return f"Judge {c.name} changed (step {c.new_index + 1}): {', '.join(parts)}"


def _describe_requested(c: RequestedToolsChange) -> str:
    old, new = ", ".join(c.old) or "none", ", ".join(c.new) or "none"
    return f"Requested tool calls changed ({_step(c.old_index, c.new_index)}): {old} → {new}"


def _describe_args(a: ToolArgsChange) -> str:
    label = "Tool args changed" if a.source == "tool_call" else "Requested tool args changed"
    changes = "; ".join(map(describe_value_change, a.changes))
    return f"{label}: {a.name} ({_step(a.old_index, a.new_index)}): {changes}"


def describe_prompt_change(p: PromptChange) -> str:
    message = p.new_message if p.new_message is not None else p.old_message
    role = f" ({p.role})" if p.role else ""
    return f"Prompt {p.op}: {_step(p.old_index, p.new_index)}, message {(message or 0) + 1}{role}"


def _describe_response(r: ResponseChange) -> str:
    return f"Response text changed: {_step(r.old_index, r.new_index)} (similarity {r.similarity:.2f})"


def _describe_finish(f: FinishReasonChange) -> str:
    return f"Finish reason changed: {_step(f.old_index, f.new_index)}: {f.old} → {f.new}"


def _describe_edit(e: StepEdit) -> str:
    if e.op == "inserted":
        return f"+ step {(e.new_index or 0) + 1}: {e.new_label}"
    if e.op == "removed":
        return f"- step {(e.old_index or 0) + 1}: {e.old_label}"
    return f"~ {_step(e.old_index or 0, e.new_index or 0)}: {e.old_label} → {e.new_label}"


def _describe_error(e: ErrorRef) -> str:
    message = f": {_clip(e.message, 80)}" if e.message else ""
    return f"step {e.index + 1} {e.label} ({e.kind}){message}"


# --------------------------------------------------------------------------- assertion

#: Nothing is ignored by default: latency and cost noise already count only past a tolerance.
DEFAULT_IGNORE: tuple[str, ...] = ()


def assert_trace_unchanged(
    old: Trace,
    new: Trace,
    ignore: Iterable[str] = DEFAULT_IGNORE,
    *,
    tokens_tolerance_pct: float = 0.0,
    cost_tolerance_pct: float | None = None,
    latency_tolerance_pct: float | None = None,
    min_response_similarity: float = 1.0,
    trajectory_mode: TrajectoryMode | str = TrajectoryMode.EXACT,
) -> TraceDiff:
    """Fail (AssertionError with the diff summary) when `new` differs from `old`.

    `ignore` names aspects not to check: "trajectory", "llm_calls", "tool_calls", "tools"
    (tools added/removed), "model", "tool_args", "requested_tools" (which tools the model
    asked for), "prompts", "response_text", "finish_reason", "tokens", "cost", "latency",
    "errors". Tolerances are percentages of the old figure, as in `diff_traces`: latency and
    cost count only when given one (wall-clock time never repeats), tokens by default exactly.
    `min_response_similarity` (0..1) accepts reworded answers. Returns the diff.
    """
    diff = diff_traces(
        old,
        new,
        trajectory_mode=trajectory_mode,
        tokens_tolerance_pct=tokens_tolerance_pct,
        cost_tolerance_pct=cost_tolerance_pct,
        latency_tolerance_pct=latency_tolerance_pct,
    ).ignoring(ignore, min_response_similarity=min_response_similarity)
    if diff.has_changes:
        raise AssertionError(diff.summary())
    return diff
