"""The stops of the debugger: one run's events, or two runs aligned step by step.

A compare stop pairs an old and a new step the way `diff_traces` aligns them (over
`step_key`, so a model swap stays one changed step instead of a different path) and carries
what the diff found on that pair, worded short (`response text`, `tool arguments`), so a
renderer marks a differing step without comparing anything itself.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from trace_ops.diff import align, diff_traces, step_key
from trace_ops.reporters.outline import event_details
from trace_ops.trace import Event, LLMCall, ToolCall, Trace

__all__ = ["PairedStep", "Step", "paired_steps", "search_text", "steps_of"]

SAME, CHANGED, ADDED, REMOVED = "same", "changed", "added", "removed"


@dataclass(frozen=True)
class Step:
    """One event of a run; `index` is its 0-based place in `trace.events`."""

    index: int
    event: Event

    @property
    def is_tool(self) -> bool:
        return isinstance(self.event, ToolCall)


@dataclass(frozen=True)
class PairedStep:
    """A stop of compare mode: an old step and/or a new one, and how they differ.

    `status`: `same`, `changed` (aligned, but the diff found differences, listed in `changes`),
    `added` (the new run only) or `removed` (the old run only).
    """

    old: Step | None
    new: Step | None
    status: str
    changes: tuple[str, ...] = ()

    @property
    def is_tool(self) -> bool:
        return any(side is not None and side.is_tool for side in (self.old, self.new))

    @property
    def differs(self) -> bool:
        return self.status != SAME


def steps_of(trace: Trace, *, tools_only: bool = False) -> list[Step]:
    """Every event of the run in order (only the tool calls with `tools_only`)."""
    steps = [Step(i, event) for i, event in enumerate(trace.events)]
    return [s for s in steps if s.is_tool] if tools_only else steps


def paired_steps(old: Trace, new: Trace, *, tools_only: bool = False) -> list[PairedStep]:
    """Both runs aligned as the diff aligns them, each pair marked with what the diff found on it."""
    ops = align([step_key(e) for e in old.events], [step_key(e) for e in new.events])
    aligned = [(i1 + k, j1 + k) for tag, i1, i2, j1, _ in ops if tag == "equal" for k in range(i2 - i1)]
    found = _findings(old, new, aligned)
    pairs: list[PairedStep] = []
    for tag, i1, i2, j1, j2 in ops:
        if tag == "equal":
            for k in range(i2 - i1):
                i, j = i1 + k, j1 + k
                changes = tuple(dict.fromkeys(found.get((i, j), [])))
                a, b = Step(i, old.events[i]), Step(j, new.events[j])
                pairs.append(PairedStep(a, b, CHANGED if changes else SAME, changes))
            continue
        # a replaced run of steps is shown as removals then additions: the steps do not correspond
        pairs.extend(PairedStep(Step(i, old.events[i]), None, REMOVED) for i in range(i1, i2))
        pairs.extend(PairedStep(None, Step(j, new.events[j]), ADDED) for j in range(j1, j2))
    return [p for p in pairs if p.is_tool] if tools_only else pairs


def _findings(old: Trace, new: Trace, aligned: list[tuple[int, int]]) -> dict[tuple[int, int], list[str]]:
    """What differs on each aligned pair (old index, new index), from the diff and tool outputs."""
    diff = diff_traces(old, new)
    found: defaultdict[tuple[int, int], list[str]] = defaultdict(list)
    groups: Iterable[tuple[str, Sequence[Any]]] = (
        ("model", diff.model_changes),
        ("prompt", diff.prompt_changes),
        ("response text", diff.response_changes),
        ("tools requested", diff.requested_tool_changes),
        ("finish reason", diff.finish_reason_changes),
        ("judgment", diff.judgment_changes),
    )
    for words, changes in groups:
        for change in changes:
            found[(change.old_index, change.new_index)].append(words)
    for args in diff.tool_arg_changes:
        words = "tool arguments" if args.source == "tool_call" else "requested tool arguments"
        found[(args.old_index, args.new_index)].append(words)
    # The diff compares what a tool was given, not what it gave back; a debugger shows both.
    for i, j in aligned:
        a, b = old.events[i], new.events[j]
        if isinstance(a, LLMCall) and isinstance(b, LLMCall) and a.failed != b.failed:
            found[(i, j)].append("call failed" if b.failed else "call no longer fails")
        if isinstance(a, ToolCall) and isinstance(b, ToolCall):
            if a.output != b.output:
                found[(i, j)].append("tool output")
            if a.error != b.error:
                found[(i, j)].append("tool error")
    return found


def search_text(event: Event) -> str:
    """Everything a `/text` search looks in: the label and every detail the outline shows."""
    return "\n".join([event.label, *(f"{s.title}\n{s.text}" for s in event_details(event))])


def as_text(value: Any) -> str:
    """A recorded value as people read it: strings as they are, anything else as JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, ensure_ascii=False, sort_keys=False, default=str)
    except (TypeError, ValueError):
        return repr(value)
