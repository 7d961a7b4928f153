"""Semantic diff of two agent runs: what the agent now does differently, not which bytes moved.

The runs are aligned step by step with a minimal edit script (Myers' O(ND) algorithm) over
step keys (`llm_call`, `tool:<name>`, `decision:<name>`, `error:<type>`), so one inserted
tool call shows as one insertion instead of shifting every later step. Aligned pairs are then
compared field by field. Keys leave the model out on purpose: a model swap is reported as a
model change on each aligned call, not as a different path.

Only semantic fields are compared (models, prompts, tool names and arguments, response text,
finish reasons, usage, cost, timing, errors); volatile ones (ids, timestamps, fingerprints,
`system_fingerprint`, request ids, `created`) are stripped from prompts and never compared.
"""

from __future__ import annotations

import difflib
import enum
import json
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any

from trace_ops.cost import trace_cost
from trace_ops.trace import ErrorEvent, Event, Judgment, LLMCall, ToolCall, Trace

__all__ = [
    "ASPECTS",
    "DEFAULT_IGNORE",
    "SCHEMA_VERSION",
    "Delta",
    "ErrorRef",
    "FinishReasonChange",
    "ModelChange",
    "PromptChange",
    "RequestedToolsChange",
    "ResponseChange",
    "StepEdit",
    "ToolArgsChange",
    "TraceDiff",
    "TrajectoryChange",
    "TrajectoryMode",
    "ValueChange",
    "align",
    "assert_trace_unchanged",
    "change_lines",
    "compare_trajectory",
    "describe_prompt_change",
    "diff_traces",
    "format_delta",
    "format_usd",
    "tool_counts",
    "unified_diff",
]

#: Version of the `TraceDiff.to_dict()` layout; bumped on any incompatible change.
SCHEMA_VERSION = 1

#: Aspects `TraceDiff.ignoring` / `assert_trace_unchanged(ignore=...)` accept.
ASPECTS = (
    "trajectory",
    "llm_calls",
    "tool_calls",
    "tools",
    "model",
    "tool_args",
    "requested_tools",
    "prompts",
    "response_text",
    "finish_reason",
    "tokens",
    "cost",
    "latency",
    "errors",
    "judgments",
)

#: Keys that change on every run; stripped from prompts before comparing.
VOLATILE_KEYS = frozenset(
    {
        "id",
        "tool_call_id",
        "call_id",
        "tool_use_id",
        "created",
        "created_at",
        "timestamp",
        "system_fingerprint",
        "fingerprint",
        "request_id",
        "signature",
        "encrypted_content",
    }
)
#: Values kept verbatim (tool arguments and schemas may legitimately contain an `id`).
_OPAQUE_KEYS = frozenset({"input", "arguments", "parameters", "properties", "schema", "json_schema"})
_LIST_LIMIT = 5


# --------------------------------------------------------------------------- trajectory modes


class TrajectoryMode(str, enum.Enum):
    """How strictly an actual step sequence must follow an expected one.

    EXACT: the same steps in the same order. IN_ORDER: the expected steps appear in this
    order, other steps may come in between. ANY_ORDER: every expected step appears (as often
    as expected), in any order, other steps allowed.
    """

    EXACT = "exact"
    IN_ORDER = "in_order"
    ANY_ORDER = "any_order"


def compare_trajectory(
    expected: Sequence[str], actual: Sequence[str], mode: TrajectoryMode | str = TrajectoryMode.EXACT
) -> bool:
    """Whether `actual` satisfies `expected` under `mode` (see `TrajectoryMode`)."""
    mode = TrajectoryMode(mode)
    if mode is TrajectoryMode.EXACT:
        return list(expected) == list(actual)
    if mode is TrajectoryMode.IN_ORDER:
        remaining = iter(actual)
        return all(step in remaining for step in expected)
    return not Counter(expected) - Counter(actual)


# --------------------------------------------------------------------------- alignment

Opcode = tuple[str, int, int, int, int]


def align(a: Sequence[Any], b: Sequence[Any], max_edits: int = 500) -> list[Opcode]:
    """difflib-style opcodes (`equal`/`insert`/`delete`/`replace`) for a minimal edit script.

    Myers' algorithm costs O((N+M)·D) for D edits, so similar runs align in near-linear time
    even when steps repeat a lot (where `difflib.SequenceMatcher` is quadratic or, with its
    junk heuristic, misaligns). The common head and tail are found with slice comparisons
    first. Past `max_edits` the runs have little in common and a coarse `SequenceMatcher`
    alignment is used instead.
    """
    n, m = len(a), len(b)
    lo = _common_prefix(a, b)
    tail = _common_suffix(a, b, lo)
    hi_a, hi_b = n - tail, m - tail
    codes: dict[Any, int] = {}
    x = [codes.setdefault(item, len(codes)) for item in a[lo:hi_a]]
    y = [codes.setdefault(item, len(codes)) for item in b[lo:hi_b]]
    middle = _myers(x, y, max_edits)
    if middle is None:
        coarse = difflib.SequenceMatcher(None, x, y).get_matching_blocks()
        middle = [(i + k, j + k) for i, j, size in coarse for k in range(size)]
    pairs = [(i, i) for i in range(lo)] + [(i + lo, j + lo) for i, j in middle]
    pairs += [(hi_a + k, hi_b + k) for k in range(tail)]
    return _opcodes(pairs, n, m)


def _common_prefix(a: Sequence[Any], b: Sequence[Any]) -> int:
    """Length of the common head, by bisection over slice comparisons (C-speed)."""
    lo, hi = 0, min(len(a), len(b))
    if a[:hi] == b[:hi]:
        return hi
    while lo < hi:  # a[:lo] == b[:lo] and a[:hi + 1] != b[:hi + 1]
        mid = (lo + hi + 1) // 2
        if a[lo:mid] == b[lo:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _common_suffix(a: Sequence[Any], b: Sequence[Any], skip: int) -> int:
    """Length of the common tail that does not overlap the first `skip` items."""
    n, m = len(a), len(b)
    lo, hi = 0, min(n, m) - skip
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[n - mid : n - lo] == b[m - mid : m - lo]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _myers(a: list[int], b: list[int], max_edits: int) -> list[tuple[int, int]] | None:
    """Matched index pairs of a shortest edit script, or None past `max_edits` edits."""
    n, m = len(a), len(b)
    if not n or not m:
        return []
    limit = min(n + m, max_edits)
    offset = limit + 1
    v = [0] * (2 * limit + 3)
    history: list[list[int]] = []
    for d in range(limit + 1):
        for k in range(-d, d + 1, 2):
            if k == -d or (k != d and v[offset + k - 1] < v[offset + k + 1]):
                xi = v[offset + k + 1]
            else:
                xi = v[offset + k - 1] + 1
            yi = xi - k
            while xi < n and yi < m and a[xi] == b[yi]:
                xi, yi = xi + 1, yi + 1
            v[offset + k] = xi
            if xi >= n and yi >= m:
                history.append(v[offset - d - 1 : offset + d + 2])
                return _backtrack(history, n, m)
        history.append(v[offset - d - 1 : offset + d + 2])
    return None


def _backtrack(history: list[list[int]], n: int, m: int) -> list[tuple[int, int]]:
    pairs: list[tuple[int, int]] = []
    x, y = n, m
    for d in range(len(history) - 1, 0, -1):
        prev = history[d - 1]  # covers k in [-(d-1)-1, (d-1)+1], stored from index 0

        def at(k: int, prev: list[int] = prev, d: int = d) -> int:
            return prev[k + d]

        k = x - y
        prev_k = k + 1 if k == -d or (k != d and at(k - 1) < at(k + 1)) else k - 1
        prev_x = at(prev_k)
        prev_y = prev_x - prev_k
        while x > prev_x and y > prev_y:
            x, y = x - 1, y - 1
            pairs.append((x, y))
        x, y = prev_x, prev_y
    while x > 0 and y > 0:
        x, y = x - 1, y - 1
        pairs.append((x, y))
    pairs.reverse()
    return pairs


def _opcodes(pairs: list[tuple[int, int]], n: int, m: int) -> list[Opcode]:
    out: list[Opcode] = []
    i = j = 0
    for pi, pj in [*pairs, (n, m)]:
        if i < pi or j < pj:
            tag = "replace" if i < pi and j < pj else ("delete" if i < pi else "insert")
            out.append((tag, i, pi, j, pj))
        if pi < n and pj < m:
            if out and out[-1][0] == "equal" and out[-1][2] == pi and out[-1][4] == pj:
                tag, i1, _, j1, _ = out.pop()
                out.append(("equal", i1, pi + 1, j1, pj + 1))
            else:
                out.append(("equal", pi, pi + 1, pj, pj + 1))
        i, j = pi + 1, pj + 1
    return out


# --------------------------------------------------------------------------- result types


@dataclass(frozen=True)
class StepEdit:
    """One step of the path: `inserted` (new only), `removed` (old only) or `changed` (replaced)."""

    op: str
    old_index: int | None
    new_index: int | None
    old_label: str | None
    new_label: str | None


@dataclass(frozen=True)
class TrajectoryChange:
    """The agent took a different path: both paths (step labels) and the edits between them."""

    old: tuple[str, ...]
    new: tuple[str, ...]
    edits: tuple[StepEdit, ...]


@dataclass(frozen=True)
class ModelChange:
    old_index: int
    new_index: int
    old: str | None
    new: str | None


@dataclass(frozen=True)
class ValueChange:
    """One argument that differs; `path` like `filters.date` or `items[2]` (`""`: the whole value)."""

    path: str
    op: str  # "changed" | "added" | "removed"
    old: Any = None
    new: Any = None


@dataclass(frozen=True)
class ToolArgsChange:
    """Arguments of an aligned tool call differ. `source`: `tool_call` (a ToolCall event) or
    `requested` (a call the model asked for in the LLM response at `old_index`/`new_index`,
    `position` within that response)."""

    name: str
    source: str
    old_index: int
    new_index: int
    changes: tuple[ValueChange, ...]
    position: int | None = None


@dataclass(frozen=True)
class RequestedToolsChange:
    """The model asked for a different set or order of tools in an aligned response."""

    old_index: int
    new_index: int
    old: tuple[str, ...]
    new: tuple[str, ...]


@dataclass(frozen=True)
class PromptChange:
    """A prompt message of an aligned LLM call: `changed`, `added` or `removed`, with a unified diff."""

    old_index: int
    new_index: int
    op: str
    old_message: int | None
    new_message: int | None
    role: str | None
    diff: str


@dataclass(frozen=True)
class ResponseChange:
    old_index: int
    new_index: int
    old_text: str
    new_text: str
    similarity: float


@dataclass(frozen=True)
class FinishReasonChange:
    old_index: int
    new_index: int
    old: str | None
    new: str | None


@dataclass(frozen=True)
class JudgmentChange:
    """A judge's verdict or score on an aligned step differs."""

    old_index: int
    new_index: int
    name: str
    old_verdict: str | None
    new_verdict: str | None
    old_score: float | None
    new_score: float | None


@dataclass(frozen=True)
class Delta:
    """A figure in both runs; None is unknown (not recorded or not priced), never zero."""

    old: float | None
    new: float | None
    within_tolerance: bool = False

    @property
    def abs(self) -> float | None:
        return None if self.old is None or self.new is None else self.new - self.old

    @property
    def pct(self) -> float | None:
        """Relative change in percent; None when unknown or when the old value is 0."""
        if self.old is None or self.new is None or self.old == 0:
            return None
        return (self.new - self.old) / abs(self.old) * 100.0

    @property
    def changed(self) -> bool:
        if self.within_tolerance or (self.old is None and self.new is None):
            return False
        if self.old is None or self.new is None:
            return True
        return abs(self.new - self.old) > 1e-12 * max(1.0, abs(self.old))

    def to_dict(self) -> dict[str, Any]:
        return {"old": self.old, "new": self.new, "abs": self.abs, "pct": self.pct, "changed": self.changed}


@dataclass(frozen=True)
class ErrorRef:
    """An error in one run (an ErrorEvent, a failed LLM call or a tool call with an error)."""

    index: int
    label: str
    kind: str
    message: str


@dataclass(frozen=True)
class TraceDiff:
    """Everything that differs between two runs. Indexes are 0-based positions in `trace.events`."""

    old_path: tuple[str, ...]
    new_path: tuple[str, ...]
    trajectory: TrajectoryChange | None = None
    llm_calls: Delta = Delta(0, 0)
    tool_calls: Delta = Delta(0, 0)
    tools_added: tuple[str, ...] = ()
    tools_removed: tuple[str, ...] = ()
    model_changes: tuple[ModelChange, ...] = ()
    tool_arg_changes: tuple[ToolArgsChange, ...] = ()
    requested_tool_changes: tuple[RequestedToolsChange, ...] = ()
    prompt_changes: tuple[PromptChange, ...] = ()
    response_changes: tuple[ResponseChange, ...] = ()
    finish_reason_changes: tuple[FinishReasonChange, ...] = ()
    tokens: Delta = Delta(None, None)
    input_tokens: Delta = Delta(None, None)
    output_tokens: Delta = Delta(None, None)
    cost_usd: Delta = Delta(None, None)
    latency_ms: Delta = Delta(None, None)
    errors_appeared: tuple[ErrorRef, ...] = ()
    errors_disappeared: tuple[ErrorRef, ...] = ()
    judgment_changes: tuple[JudgmentChange, ...] = ()
    ignored: frozenset[str] = field(default_factory=frozenset)

    @property
    def has_changes(self) -> bool:
        deltas = (self.llm_calls, self.tool_calls, self.tokens, self.cost_usd, self.latency_ms)
        listed = (
            self.tools_added,
            self.tools_removed,
            self.model_changes,
            self.tool_arg_changes,
            self.requested_tool_changes,
            self.prompt_changes,
            self.response_changes,
            self.finish_reason_changes,
            self.errors_appeared,
            self.errors_disappeared,
            self.judgment_changes,
        )
        return self.trajectory is not None or any(d.changed for d in deltas) or any(listed)

    def ignoring(
        self,
        aspects: Iterable[str] = (),
        *,
        tokens_tolerance_pct: float = 0.0,
        cost_tolerance_pct: float = 0.0,
        latency_tolerance_pct: float = 0.0,
        min_response_similarity: float = 1.0,
    ) -> TraceDiff:
        """A copy without the named aspects (see `ASPECTS`) and without changes within tolerance.

        `min_response_similarity`: response text changes at least this similar (0..1) are dropped.
        """
        names = frozenset(aspects)
        unknown = names - set(ASPECTS)
        if unknown:
            raise ValueError(f"unknown aspect(s) {sorted(unknown)}; choose from {', '.join(ASPECTS)}")
        cleared: dict[str, Any] = {}
        for name, attrs in _ASPECT_FIELDS.items():
            if name in names:
                for attr in attrs:
                    value = getattr(self, attr)
                    is_delta = isinstance(value, Delta)
                    cleared[attr] = replace(value, within_tolerance=True) if is_delta else None
        for attr, pct in (
            ("tokens", tokens_tolerance_pct),
            ("input_tokens", tokens_tolerance_pct),
            ("output_tokens", tokens_tolerance_pct),
            ("cost_usd", cost_tolerance_pct),
            ("latency_ms", latency_tolerance_pct),
        ):
            delta = cleared.get(attr, getattr(self, attr))
            if pct and _within(delta, pct):
                cleared[attr] = replace(delta, within_tolerance=True)
        if "response_text" not in names and min_response_similarity < 1.0:
            cleared["response_changes"] = tuple(
                c for c in self.response_changes if c.similarity < min_response_similarity
            )
        defaults: dict[str, Any] = {f.name: f.default for f in fields(self)}
        updates: dict[str, Any] = {k: (v if v is not None else defaults[k]) for k, v in cleared.items()}
        return replace(self, **updates, ignored=self.ignored | names)

    def summary(self) -> str:
        """Plain-text report, one line per kind of change (the shape of the reference docs)."""
        return "\n".join(summary_lines(self))

    def __str__(self) -> str:
        return self.summary()

    def to_dict(self) -> dict[str, Any]:
        """JSON-serializable form. Schema (version 1), indexes 0-based into `trace.events`:

        `schema_version`, `has_changes`, `ignored` [aspect], `old_path`/`new_path` [label],
        `trajectory`: null | {old, new, edits: [{op, old_index, new_index, old_label, new_label}]},
        `llm_calls`/`tool_calls`/`tokens`/`input_tokens`/`output_tokens`/`cost_usd`/`latency_ms`:
        {old, new, abs, pct, changed} (null figures are unknown), `tools`: {added, removed},
        `model_changes` [{old_index, new_index, old, new}], `tool_arg_changes` [{name, source,
        old_index, new_index, position, changes: [{path, op, old, new}]}],
        `requested_tool_changes` [{old_index, new_index, old, new}], `prompt_changes`
        [{old_index, new_index, op, old_message, new_message, role, diff}], `response_changes`
        [{old_index, new_index, old_text, new_text, similarity}], `finish_reason_changes`
        [{old_index, new_index, old, new}], `errors`: {appeared, disappeared: [{index, label,
        kind, message}]}, `judgment_changes` [{old_index, new_index, name, old_verdict,
        new_verdict, old_score, new_score}].
        """
        return {
            "schema_version": SCHEMA_VERSION,
            "has_changes": self.has_changes,
            "ignored": sorted(self.ignored),
            "old_path": list(self.old_path),
            "new_path": list(self.new_path),
            "trajectory": _jsonable(self.trajectory),
            "llm_calls": self.llm_calls.to_dict(),
            "tool_calls": self.tool_calls.to_dict(),
            "tools": {"added": list(self.tools_added), "removed": list(self.tools_removed)},
            "model_changes": _jsonable(self.model_changes),
            "tool_arg_changes": _jsonable(self.tool_arg_changes),
            "requested_tool_changes": _jsonable(self.requested_tool_changes),
            "prompt_changes": _jsonable(self.prompt_changes),
            "response_changes": _jsonable(self.response_changes),
            "finish_reason_changes": _jsonable(self.finish_reason_changes),
            "tokens": self.tokens.to_dict(),
            "input_tokens": self.input_tokens.to_dict(),
            "output_tokens": self.output_tokens.to_dict(),
            "cost_usd": self.cost_usd.to_dict(),
            "latency_ms": self.latency_ms.to_dict(),
            "errors": {
                "appeared": _jsonable(self.errors_appeared),
                "disappeared": _jsonable(self.errors_disappeared),
            },
            "judgment_changes": _jsonable(self.judgment_changes),
        }


_ASPECT_FIELDS: dict[str, tuple[str, ...]] = {
    "trajectory": ("trajectory",),
    "llm_calls": ("llm_calls",),
    "tool_calls": ("tool_calls",),
    "tools": ("tools_added", "tools_removed"),
    "model": ("model_changes",),
    "tool_args": ("tool_arg_changes",),
    "requested_tools": ("requested_tool_changes",),
    "prompts": ("prompt_changes",),
    "response_text": ("response_changes",),
    "finish_reason": ("finish_reason_changes",),
    "tokens": ("tokens", "input_tokens", "output_tokens"),
    "cost": ("cost_usd",),
    "latency": ("latency_ms",),
    "errors": ("errors_appeared", "errors_disappeared"),
    "judgments": ("judgment_changes",),
}


def _within(delta: Delta, pct: float) -> bool:
    if delta.old is None or delta.new is None:
        return False
    if delta.old == 0:
        return delta.new == 0
    return abs(delta.new - delta.old) <= abs(delta.old) * pct / 100.0


def _jsonable(value: Any) -> Any:
    """Dataclasses, tuples and recorded values as plain JSON data (unknown objects via repr)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if hasattr(value, "__dataclass_fields__"):
        return {f.name: _jsonable(getattr(value, f.name)) for f in fields(value)}
    return repr(value)


# --------------------------------------------------------------------------- the diff


def step_key(event: Event) -> str:
    """What alignment compares: the kind of step and the tool/decision/error name, not the model."""
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
    old: Trace, new: Trace, *, trajectory_mode: TrajectoryMode | str = TrajectoryMode.EXACT
) -> TraceDiff:
    """Compare two runs of an agent (see `TraceDiff` and its `summary()` / `to_dict()`).

    `trajectory_mode` decides when the path counts as changed: EXACT (any difference),
    IN_ORDER (the new run must still take the old run's steps in order, extra steps allowed)
    or ANY_ORDER (in any order).
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
    out = _PairFindings(old_prompts=_Prompts(old.llm_calls), new_prompts=_Prompts(new.llm_calls))
    judgments: list[JudgmentChange] = []
    for i, j in pairs:
        a, b = old_events[i], new_events[j]
        if isinstance(a, LLMCall) and isinstance(b, LLMCall):
            out.compare_llm(i, j, a, b)
        elif isinstance(a, ToolCall) and isinstance(b, ToolCall):
            changes = value_changes(_parsed(a.input), _parsed(b.input))
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
        tokens=Delta(_add(old_in, old_out), _add(new_in, new_out)),
        input_tokens=Delta(old_in, new_in),
        output_tokens=Delta(old_out, new_out),
        cost_usd=Delta(trace_cost(old), trace_cost(new)),
        latency_ms=Delta(_latency(old), _latency(new)),
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
    old_prompts: _Prompts = field(default_factory=lambda: _Prompts(()))
    new_prompts: _Prompts = field(default_factory=lambda: _Prompts(()))
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


# --------------------------------------------------------------------------- field helpers


Message = tuple[str | None, str]


def prompt_messages(request: dict[str, Any]) -> list[Message]:
    """The prompt as (role, text) pairs, volatile ids stripped; system/instructions come first."""
    return [normalize_message(m) for m in _raw_messages(request)]


def _raw_messages(request: dict[str, Any]) -> list[Any]:
    messages: list[Any] = []
    for key in ("system", "instructions"):
        if request.get(key):
            messages.append({"role": "system", "content": request[key]})
    for key in ("messages", "input", "prompt"):
        value = request.get(key)
        if isinstance(value, list):
            messages.extend(value)
        elif value is not None:
            messages.append({"role": "user", "content": value})
    return messages


def normalize_message(message: Any) -> Message:
    """(role, text): plain content as is, anything richer as canonical JSON without volatile keys."""
    clean = strip_volatile(message)
    if not isinstance(clean, dict):
        return (None, _canonical(clean))
    role = clean.pop("role", None) or clean.get("type")
    content = clean.get("content")
    text = content if isinstance(content, str) and len(clean) == 1 else _canonical(clean)
    return (str(role) if role is not None else None, text)


class _Prompts:
    """Normalized prompts of one run's LLM calls, computed once, in order.

    Each call usually resends the previous call's messages plus new ones, so the part it
    shares with the previous call (same run, hence same ids) is reused instead of normalized
    again: a long conversation costs O(messages), not O(messages²). For each call it keeps
    (messages, how many were the whole previous prompt resent unchanged, previous call id).
    """

    def __init__(self, calls: Iterable[LLMCall]) -> None:
        self._by_call: dict[int, tuple[list[Message], int, int | None]] = {}
        prev_raw: list[Any] = []
        prev: list[Message] = []
        prev_id: int | None = None
        for call in calls:
            raw = _raw_messages(call.request)
            keep = _common_prefix(raw, prev_raw)
            normalized = prev[:keep] + [normalize_message(m) for m in raw[keep:]]
            appended = keep if keep == len(prev_raw) else 0
            self._by_call[id(call)] = (normalized, appended, prev_id)
            prev_raw, prev, prev_id = raw, normalized, id(call)

    def of(self, call: LLMCall) -> tuple[list[Message], int, int | None]:
        return self._by_call[id(call)]


def _shifted(ops: list[Opcode], da: int, db: int) -> list[Opcode]:
    return [(tag, i1 + da, i2 + da, j1 + db, j2 + db) for tag, i1, i2, j1, j2 in ops]


def strip_volatile(value: Any) -> Any:
    """A copy of `value` without volatile keys (ids, timestamps, fingerprints) at any depth."""
    if isinstance(value, dict):
        return {
            k: (v if k in _OPAQUE_KEYS else strip_volatile(v))
            for k, v in value.items()
            if k not in VOLATILE_KEYS
        }
    if isinstance(value, list):
        return [strip_volatile(v) for v in value]
    return value


def _canonical(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str)


def unified_diff(old: str, new: str, old_name: str = "old", new_name: str = "new") -> str:
    lines = difflib.unified_diff(old.splitlines(), new.splitlines(), old_name, new_name, lineterm="")
    return "\n".join(lines)


_TOKEN = re.compile(r"\w+|\S")


def text_similarity(a: str, b: str) -> float:
    """0..1 similarity of two texts, over words and punctuation (fast on long answers)."""
    if a == b:
        return 1.0
    ta, tb = _TOKEN.findall(a), _TOKEN.findall(b)
    if not ta and not tb:
        return 1.0  # differ only in whitespace
    return round(difflib.SequenceMatcher(None, ta, tb, autojunk=False).ratio(), 4)


def _parsed(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def value_changes(old: Any, new: Any, path: str = "") -> list[ValueChange]:
    """Per-key differences between two argument values (dicts by key, equal-length lists by index)."""
    if isinstance(old, dict) and isinstance(new, dict):
        out: list[ValueChange] = []
        for key in [*old, *(k for k in new if k not in old)]:
            sub = f"{path}.{key}" if path else str(key)
            if key not in new:
                out.append(ValueChange(sub, "removed", old[key], None))
            elif key not in old:
                out.append(ValueChange(sub, "added", None, new[key]))
            else:
                out.extend(value_changes(old[key], new[key], sub))
        return out
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        pairs = enumerate(zip(old, new, strict=True))
        return [c for k, (x, y) in pairs for c in value_changes(x, y, f"{path}[{k}]")]
    if old != new or isinstance(old, bool) != isinstance(new, bool):
        return [ValueChange(path, "changed", old, new)]
    return []


def _token_totals(trace: Trace) -> tuple[int | None, int | None]:
    """Input and output tokens; None when a successful call did not report usage."""
    total_in = total_out = 0
    for call in trace.llm_calls:
        usage = call.usage
        if usage is None:
            if call.error is None and call.status < 400:
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
        elif isinstance(event, LLMCall) and event.status >= 400:
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


def format_usd(x: float, sign: bool = False) -> str:
    """Dollars with about 4 significant figures (agent calls cost fractions of a cent)."""
    digits = 2 if x == 0 else max(2, min(8, 3 - math.floor(math.log10(abs(x)))))
    body = f"{abs(x):,.{digits}f}"
    if "." in body:
        whole, frac = body.split(".")
        body = f"{whole}.{frac.rstrip('0').ljust(2, '0')}"
    prefix = ("+" if x >= 0 else "-") if sign else ("-" if x < 0 else "")
    return f"{prefix}${body}"


def format_delta(delta: Delta, unit: str) -> str:
    """`1,000 → 1,250 (+250, +25.0%)`; unknown figures print as `unknown`."""

    def fmt(x: float | None, sign: bool = False) -> str:
        if x is None:
            return "unknown"
        if unit == "$":
            return format_usd(x, sign)
        s = f"{x:+,.0f}" if sign else f"{x:,.0f}"
        return f"{s} {unit}".rstrip()

    text = f"{fmt(delta.old)} → {fmt(delta.new)}"
    if delta.abs is not None:
        pct = f", {delta.pct:+.1f}%" if delta.pct is not None else ""
        text += f" ({fmt(delta.abs, sign=True)}{pct})"
    return text


def summary_lines(d: TraceDiff) -> list[str]:
    """`summary()` as lines: a header, then one indented line per change."""
    lines = ["Trace comparison:", *(f"  {text}" for _, text in change_lines(d))]
    if len(lines) == 1:
        lines.append("  No changes")
    return lines


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
    for aspect, name, delta, unit in (
        ("tokens", "Tokens", d.tokens, ""),
        ("cost", "Cost", d.cost_usd, "$"),
        ("latency", "Latency", d.latency_ms, "ms"),
    ):
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

DEFAULT_IGNORE = ("latency",)


def assert_trace_unchanged(
    old: Trace,
    new: Trace,
    ignore: Iterable[str] = DEFAULT_IGNORE,
    *,
    tokens_tolerance_pct: float = 0.0,
    cost_tolerance_pct: float = 0.0,
    latency_tolerance_pct: float = 0.0,
    min_response_similarity: float = 1.0,
    trajectory_mode: TrajectoryMode | str = TrajectoryMode.EXACT,
) -> TraceDiff:
    """Fail (AssertionError with the diff summary) when `new` differs from `old`.

    `ignore` names aspects not to check: "trajectory", "llm_calls", "tool_calls", "tools"
    (tools added/removed), "model", "tool_args", "requested_tools" (which tools the model
    asked for), "prompts", "response_text", "finish_reason", "tokens", "cost", "latency",
    "errors". Latency is ignored by default because wall-clock time never repeats; pass
    `ignore=()` with `latency_tolerance_pct=` to check it. Tolerances are percentages of the
    old figure; `min_response_similarity` (0..1) accepts reworded answers. Returns the diff.
    """
    diff = diff_traces(old, new, trajectory_mode=trajectory_mode).ignoring(
        ignore,
        tokens_tolerance_pct=tokens_tolerance_pct,
        cost_tolerance_pct=cost_tolerance_pct,
        latency_tolerance_pct=latency_tolerance_pct,
        min_response_similarity=min_response_similarity,
    )
    if diff.has_changes:
        raise AssertionError(diff.summary())
    return diff
