"""What a diff says, as structured lines that every renderer shares.

`diff_lines` turns a `TraceDiff` into `Line`s (aspect, words, kind, depth, tone, the change they
are about); the plain text of `TraceDiff.summary()`, the rich and markdown reporters (and later
HTML) render those lines, each escaping recorded text for its medium, so every output says the
same thing and no renderer parses another's text. The `describe_*` helpers word one change.
Numbers are worded by `trace_ops.formatting`. The model receives the plain-text wording through
`use_wording` (below), so it depends on no renderer.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

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
    use_wording,
)
from trace_ops.formatting import format_delta, format_figure, format_similarity

__all__ = [
    "Line",
    "change_lines",
    "describe_prompt_change",
    "describe_value_change",
    "diff_lines",
    "info_lines",
    "summary_lines",
]

_LIST_LIMIT = 5


@dataclass(frozen=True)
class Line:
    """One line of what a diff says.

    `aspect`: the `ASPECTS` name it is about (renderers that show figures in a table skip
    `llm_calls`, `tool_calls`, `tokens`, `cost`, `latency`). `text`: the words, recorded text
    raw. `kind`: `heading` (opens a group: the trajectory, errors that appeared), `change`, or
    `info` (a figure that moved without counting as a change). `depth`: 1 for a detail under the
    heading above. `tone`: `worse` / `better` for errors that appeared / disappeared. `about`:
    the change the line words (a `Delta`, `PromptChange`, ...), for renderers that show more.
    """

    aspect: str
    text: str
    kind: str = "change"
    depth: int = 0
    tone: str = ""
    about: object = None

    @property
    def indented(self) -> str:
        """The text with its depth as leading spaces, as the plain-text summary prints it."""
        return "  " * self.depth + self.text


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


def summary_lines(d: TraceDiff) -> list[str]:
    """`summary()` as lines: a header, then one indented line per change, then the info lines."""
    lines = diff_lines(d)
    changes = [f"  {line.indented}" for line in lines if line.kind != "info"]
    info = [f"  {line.indented}" for line in lines if line.kind == "info"]
    return ["Trace comparison:", *(changes or ["  No changes"]), *info]


def _summary_text(d: TraceDiff) -> str:
    return "\n".join(summary_lines(d))


def _info_texts(d: TraceDiff) -> list[str]:
    return [line.text for line in _info(d)]


use_wording(_summary_text, _info_texts)


def change_lines(d: TraceDiff) -> list[tuple[str, str]]:
    """(aspect, text) per change line of the summary; detail lines start with two spaces.

    The flat form of `diff_lines` (kept for callers of the earlier API); renderers use `Line`s.
    """
    return [(line.aspect, line.indented) for line in _changes(d)]


def info_lines(d: TraceDiff) -> list[tuple[str, str]]:
    """(aspect, text) per figure that moved without counting as a change (latency and cost
    noise, or a move within the tolerance the caller set); ignored aspects say nothing."""
    return [(line.aspect, line.text) for line in _info(d)]


def diff_lines(d: TraceDiff) -> list[Line]:
    """Everything the diff says: the change lines in summary order, then the info lines."""
    return _changes(d) + _info(d)


_FIGURES = (
    ("tokens", "Tokens", "tokens", ""),
    ("cost", "Cost", "cost_usd", "$"),
    ("latency", "Latency", "latency_ms", "ms"),
)


def _info(d: TraceDiff) -> list[Line]:
    out: list[Line] = []
    for aspect, name, attr, unit in _FIGURES:
        delta: Delta = getattr(d, attr)
        if aspect in d.ignored or not delta.moved or delta.changed:
            continue
        if delta.tolerance_pct is None:
            why = f"set {attr.split('_')[0]}_tolerance_pct to count it"
        else:
            why = f"within the {delta.tolerance_pct:g}% tolerance"
        text = f"{name}: {format_delta(delta, unit)} (info only: {why})"
        out.append(Line(aspect, text, kind="info", about=delta))
    return out


def _changes(d: TraceDiff) -> list[Line]:
    out: list[Line] = []

    def add(
        aspect: str,
        items: Sequence[Any],
        render: Callable[[Any], str],
        what: str,
        depth: int = 0,
        tone: str = "",
    ) -> None:
        out.extend(Line(aspect, render(x), depth=depth, tone=tone, about=x) for x in items[:_LIST_LIMIT])
        if len(items) > _LIST_LIMIT:
            out.append(Line(aspect, f"… and {len(items) - _LIST_LIMIT} more {what}", tone=tone))

    if d.trajectory is not None:
        t = d.trajectory
        heading = "⚠ TRAJECTORY CHANGED (agent took a different path)"
        out.append(Line("trajectory", heading, kind="heading", about=t))
        if len(t.old) + len(t.new) <= 40:
            out.append(Line("trajectory", f"Old: {' → '.join(t.old)}", depth=1, about=t.old))
            out.append(Line("trajectory", f"New: {' → '.join(t.new)}", depth=1, about=t.new))
        else:
            shape = f"Old: {len(t.old)} steps, New: {len(t.new)} steps"
            out.append(Line("trajectory", shape, depth=1, about=t))
            add("trajectory", t.edits, _describe_edit, "steps", depth=1)
    counts = (("llm_calls", "LLM calls", d.llm_calls), ("tool_calls", "Tool calls", d.tool_calls))
    for aspect, name, delta in counts:
        if delta.changed and delta.abs is not None:
            n = int(delta.abs)
            out.append(Line(aspect, f"{name}: {abs(n)} {'more' if n > 0 else 'fewer'}", about=delta))
    if d.tools_added:
        out.append(Line("tools", f"New tools used: {', '.join(d.tools_added)}", about=d.tools_added))
    if d.tools_removed:
        gone = f"Tools no longer used: {', '.join(d.tools_removed)}"
        out.append(Line("tools", gone, about=d.tools_removed))
    by_pair: dict[tuple[str | None, str | None], list[str]] = {}
    for m in d.model_changes:
        by_pair.setdefault((m.old, m.new), []).append(str(m.new_index + 1))
    for (old_model, new_model), steps in by_pair.items():
        where = ", ".join(steps[:_LIST_LIMIT]) + (", …" if len(steps) > _LIST_LIMIT else "")
        plural = "s" if len(steps) > 1 else ""
        text = f"Model changed: {old_model} → {new_model} (step{plural} {where})"
        out.append(Line("model", text, about=(old_model, new_model)))
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
                sent, got = (format_figure(x.abs, sign=True) for x in (d.input_tokens, d.output_tokens))
                detail = f" [input {sent}, output {got}]"
            out.append(Line(aspect, f"{name}: {format_delta(delta, unit)}{detail}", about=delta))
    error_groups = (
        ("Errors appeared", d.errors_appeared, "worse"),
        ("Errors disappeared", d.errors_disappeared, "better"),
    )
    for title, errors, tone in error_groups:
        if errors:
            out.append(Line("errors", f"{title}:", kind="heading", tone=tone, about=errors))
            add("errors", errors, _describe_error, "errors", depth=1, tone=tone)
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
    similarity = format_similarity(r.similarity)
    return f"Response text changed: {_step(r.old_index, r.new_index)} (similarity {similarity})"


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
