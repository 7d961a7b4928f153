"""The diff engine: `diff_traces` turns two runs into a `TraceDiff`.

Runs are aligned step by step over step keys (`llm_call`, `tool:<name>`, `decision:<name>`,
`error:<type>`), so one inserted tool call shows as one insertion instead of shifting every
later step. Aligned pairs are then compared field by field. Keys leave the model out on
purpose: a model swap is reported as a model change on each aligned call, not as a different
path.

Only semantic fields are compared (models, prompts, tool names and arguments, response text,
finish reasons, usage, cost, timing, errors); volatile ones (ids, timestamps, fingerprints,
`system_fingerprint`, request ids, `created`) are stripped from prompts and never compared.
How two values compare (prompts, arguments, texts) lives in `compare`; this module decides what
to compare, and only computes: the wording lives in `summary`, the rendering in the reporters.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from trace_ops.cost import trace_cost
from trace_ops.diff.align import Opcode, TrajectoryMode, align, compare_trajectory
from trace_ops.diff.compare import RunPrompts, parsed_json, text_similarity, unified_diff, value_changes
from trace_ops.diff.model import (
    Delta,
    ErrorRef,
    FinishReasonChange,
    JudgmentChange,
    ModelChange,
    PromptChange,
    RequestedToolsChange,
    ResponseChange,
    StepEdit,
    ToolArgsChange,
    TraceDiff,
    TrajectoryChange,
)
from trace_ops.trace import ErrorEvent, Event, HTTPCall, Judgment, LLMCall, ToolCall, Trace

__all__ = ["diff_traces", "step_key", "tool_counts"]

# --------------------------------------------------------------------------- the diff


def step_key(event: Event) -> str:
    """What alignment compares: the kind of step and the tool/decision/error name, not the model."""
    if isinstance(event, HTTPCall):  # a plain HTTP exchange: a step of its own, never compared as a prompt
        return event.label
    if isinstance(event, LLMCall):
        return "llm_call:embeddings" if event.endpoint == "embeddings" else "llm_call"
    return event.label


def tool_counts(trace: Trace) -> Counter[str]:
    """Calls per tool name: the larger of executed ToolCall events and calls the model requested.

    Taking the larger avoids counting a requested-then-executed call twice while still
    seeing tools of agents that record only LLM calls.
    """
    executed = Counter(e.name for e in trace.tool_calls)
    requested = Counter(tc.name for c in trace.llm_calls for tc in c.view.tool_calls)
    return executed | requested


def diff_traces(
    old: Trace,
    new: Trace,
    *,
    trajectory_mode: TrajectoryMode | str = TrajectoryMode.EXACT,
    tokens_tolerance_pct: float = 0.0,
    cost_tolerance_pct: float | None = None,
    latency_tolerance_pct: float | None = None,
) -> TraceDiff:
    """Compare two runs of an agent (see `TraceDiff` and its `summary()` / `to_dict()`).

    `trajectory_mode` decides when the path counts as changed: EXACT (any difference),
    IN_ORDER (the new run must still take the old run's steps in order, extra steps allowed)
    or ANY_ORDER (in any order).

    Tolerances are percentages of the old figure; a figure that moves within its tolerance is
    reported as information, not as a change. Latency and cost default to None, never a change:
    wall-clock time never repeats, and a cost that moved with the tokens, the model or the
    price data is reported as that. Set a number to count moves beyond it (0: any move).
    """
    old_events, new_events = old.events, new.events
    old_keys = [step_key(e) for e in old_events]
    new_keys = [step_key(e) for e in new_events]
    ops = align(old_keys, new_keys)
    old_path, new_path = tuple(old.trajectory), tuple(new.trajectory)

    trajectory = None
    if not compare_trajectory(old_keys, new_keys, trajectory_mode):
        trajectory = TrajectoryChange(old_path, new_path, tuple(_step_edits(ops, old_path, new_path)))

    pairs = [(i1 + k, j1 + k) for tag, i1, i2, j1, _ in ops if tag == "equal" for k in range(i2 - i1)]
    out = _PairFindings(old_prompts=RunPrompts(old.llm_calls), new_prompts=RunPrompts(new.llm_calls))
    judgments: list[JudgmentChange] = []
    for i, j in pairs:
        a, b = old_events[i], new_events[j]
        if isinstance(a, HTTPCall) or isinstance(b, HTTPCall):
            continue
        if isinstance(a, LLMCall) and isinstance(b, LLMCall):
            out.compare_llm(i, j, a, b)
        elif isinstance(a, ToolCall) and isinstance(b, ToolCall):
            changes = value_changes(parsed_json(a.input), parsed_json(b.input))
            if changes:
                out.tool_args.append(ToolArgsChange(a.name, "tool_call", i, j, tuple(changes)))
        elif (
            isinstance(a, Judgment)
            and isinstance(b, Judgment)
            and (a.verdict, a.score) != (b.verdict, b.score)
        ):
            judgments.append(JudgmentChange(i, j, a.name, a.verdict, b.verdict, a.score, b.score))

    old_tools, new_tools = tool_counts(old), tool_counts(new)
    appeared, disappeared = _error_changes(_errors(old), _errors(new))
    old_in, old_out = _token_totals(old)
    new_in, new_out = _token_totals(new)
    return TraceDiff(
        old_path=old_path,
        new_path=new_path,
        trajectory=trajectory,
        llm_calls=Delta(old.total_llm_calls, new.total_llm_calls),
        tool_calls=Delta(sum(old_tools.values()), sum(new_tools.values())),
        tools_added=tuple(sorted(set(new_tools) - set(old_tools))),
        tools_removed=tuple(sorted(set(old_tools) - set(new_tools))),
        model_changes=tuple(out.models),
        tool_arg_changes=tuple(out.tool_args),
        requested_tool_changes=tuple(out.requested),
        prompt_changes=tuple(out.prompts),
        response_changes=tuple(out.responses),
        finish_reason_changes=tuple(out.finish),
        tokens=Delta(_add(old_in, old_out), _add(new_in, new_out)).tolerating(tokens_tolerance_pct),
        input_tokens=Delta(old_in, new_in).tolerating(tokens_tolerance_pct),
        output_tokens=Delta(old_out, new_out).tolerating(tokens_tolerance_pct),
        cost_usd=Delta(trace_cost(old), trace_cost(new)).tolerating(cost_tolerance_pct),
        latency_ms=Delta(_latency(old), _latency(new)).tolerating(latency_tolerance_pct),
        errors_appeared=appeared,
        errors_disappeared=disappeared,
        judgment_changes=tuple(judgments),
    )


def _step_edits(ops: list[Opcode], old_path: Sequence[str], new_path: Sequence[str]) -> list[StepEdit]:
    edits: list[StepEdit] = []
    for tag, i1, i2, j1, j2 in ops:
        if tag == "equal":
            continue
        for k in range(max(i2 - i1, j2 - j1)):
            i = i1 + k if i1 + k < i2 else None
            j = j1 + k if j1 + k < j2 else None
            op = "changed" if i is not None and j is not None else ("removed" if j is None else "inserted")
            old_label = old_path[i] if i is not None else None
            edits.append(StepEdit(op, i, j, old_label, new_path[j] if j is not None else None))
    return edits


@dataclass
class _PairFindings:
    """Accumulates what differs between aligned LLM calls."""

    models: list[ModelChange] = field(default_factory=list)
    tool_args: list[ToolArgsChange] = field(default_factory=list)
    requested: list[RequestedToolsChange] = field(default_factory=list)
    prompts: list[PromptChange] = field(default_factory=list)
    responses: list[ResponseChange] = field(default_factory=list)
    finish: list[FinishReasonChange] = field(default_factory=list)
    seen_prompt_changes: set[tuple[str, str, str]] = field(default_factory=set)
    old_prompts: RunPrompts = field(default_factory=lambda: RunPrompts(()))
    new_prompts: RunPrompts = field(default_factory=lambda: RunPrompts(()))
    last_pair: tuple[int, int] | None = None

    def compare_llm(self, i: int, j: int, a: LLMCall, b: LLMCall) -> None:
        if a.served_model != b.served_model:
            self.models.append(ModelChange(i, j, a.served_model, b.served_model))
        self._compare_prompts(i, j, a, b)
        self.last_pair = (id(a), id(b))
        va, vb = a.view, b.view
        if va.text != vb.text:
            self.responses.append(ResponseChange(i, j, va.text, vb.text, text_similarity(va.text, vb.text)))
        if va.finish_reason != vb.finish_reason:
            self.finish.append(FinishReasonChange(i, j, va.finish_reason, vb.finish_reason))
        if va.tool_calls or vb.tool_calls:
            self._compare_requested(i, j, va.tool_calls, vb.tool_calls)

    def _compare_requested(self, i: int, j: int, old: Sequence[Any], new: Sequence[Any]) -> None:
        old_names, new_names = [c.name for c in old], [c.name for c in new]
        if old_names != new_names:
            self.requested.append(RequestedToolsChange(i, j, tuple(old_names), tuple(new_names)))
        for tag, i1, i2, j1, _ in align(old_names, new_names):
            if tag != "equal":
                continue
            for k in range(i2 - i1):
                changes = value_changes(old[i1 + k].arguments, new[j1 + k].arguments)
                if changes:
                    self.tool_args.append(
                        ToolArgsChange(old[i1 + k].name, "requested", i, j, tuple(changes), position=j1 + k)
                    )

    def _compare_prompts(self, i: int, j: int, a: LLMCall, b: LLMCall) -> None:
        old_msgs, old_kept, old_prev = self.old_prompts.of(a)
        new_msgs, new_kept, new_prev = self.new_prompts.of(b)
        if old_msgs == new_msgs:
            return
        start_a = start_b = 0
        if self.last_pair is not None and self.last_pair == (old_prev, new_prev):
            # Both runs only appended to the conversations already compared at the previous
            # aligned calls: compare what each call adds, not the whole history again.
            start_a, start_b = old_kept, new_kept
        for tag, i1, i2, j1, j2 in _shifted(align(old_msgs[start_a:], new_msgs[start_b:]), start_a, start_b):
            if tag == "equal":
                continue
            for k in range(max(i2 - i1, j2 - j1)):
                mi = i1 + k if i1 + k < i2 else None
                mj = j1 + k if j1 + k < j2 else None
                old_role, old_text = old_msgs[mi] if mi is not None else (None, "")
                new_role, new_text = new_msgs[mj] if mj is not None else (None, "")
                op = "removed" if mj is None else ("added" if mi is None else "changed")
                seen = (op, old_text, new_text)
                if seen in self.seen_prompt_changes:  # later calls repeat the history: report once
                    continue
                self.seen_prompt_changes.add(seen)
                old_name = f"old message {mi + 1}" if mi is not None else "(none)"
                new_name = f"new message {mj + 1}" if mj is not None else "(none)"
                diff = unified_diff(old_text, new_text, old_name, new_name)
                self.prompts.append(PromptChange(i, j, op, mi, mj, new_role or old_role, diff))


def _shifted(ops: list[Opcode], da: int, db: int) -> list[Opcode]:
    return [(tag, i1 + da, i2 + da, j1 + db, j2 + db) for tag, i1, i2, j1, j2 in ops]


# --------------------------------------------------------------------------- figures and errors


def _token_totals(trace: Trace) -> tuple[int | None, int | None]:
    """Input and output tokens; None when a successful call did not report usage."""
    total_in = total_out = 0
    for call in trace.llm_calls:
        usage = call.usage
        if usage is None:
            if not call.failed:
                return None, None
            continue
        total_in += usage.input_tokens
        total_out += usage.output_tokens
    return total_in, total_out


def _add(a: int | None, b: int | None) -> int | None:
    return None if a is None or b is None else a + b


def _latency(trace: Trace) -> float | None:
    """Summed step durations; None when an LLM call was not timed."""
    if any(c.duration_ms is None for c in trace.llm_calls):
        return None
    return trace.total_duration_ms


def _errors(trace: Trace) -> list[ErrorRef]:
    out: list[ErrorRef] = []
    for index, event in enumerate(trace.events):
        if isinstance(event, ErrorEvent):
            out.append(ErrorRef(index, event.label, event.error_type, event.message))
        elif isinstance(event, ToolCall) and event.error:
            out.append(ErrorRef(index, event.label, "tool error", event.error))
        elif isinstance(event, LLMCall) and event.error is not None:
            kind = event.error.get("type", "error")
            out.append(ErrorRef(index, event.label, kind, event.error.get("message", "")))
        elif isinstance(event, LLMCall) and event.failed:  # an HTTP error answer (no transport error)
            body = event.response if isinstance(event.response, dict) else {}
            err = body.get("error")
            message = str(err.get("message", "")) if isinstance(err, dict) else str(err or "")
            out.append(ErrorRef(index, event.label, f"HTTP {event.status}", message))
    return out


def _error_changes(
    old: list[ErrorRef], new: list[ErrorRef]
) -> tuple[tuple[ErrorRef, ...], tuple[ErrorRef, ...]]:
    """Errors matched by (label, kind) as multisets: what only the new / only the old run has."""

    def unmatched(mine: list[ErrorRef], theirs: list[ErrorRef]) -> tuple[ErrorRef, ...]:
        budget = Counter((e.label, e.kind) for e in theirs)
        out = []
        for e in mine:
            if budget[(e.label, e.kind)]:
                budget[(e.label, e.kind)] -= 1
            else:
                out.append(e)
        return tuple(out)

    return unmatched(new, old), unmatched(old, new)
