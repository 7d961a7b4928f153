"""The result types of a trace diff and their JSON form.

Kept apart so that the engine that builds a `TraceDiff`, the summary that words it and the
reporters that render it all share one definition without depending on each other. Holds the
frozen dataclasses, the aspects a diff can be filtered by (`ASPECTS`, used by
`TraceDiff.ignoring`) and the `to_dict()` layout with its `SCHEMA_VERSION`.

The model holds data and no wording: `summary()` and the `info` texts of `to_dict()` come from
the functions `trace_ops.diff.summary` hands in with `use_wording` when it is imported. Python
runs `trace_ops/diff/__init__.py`, which imports the summary, before any module of this
package, so every `TraceDiff` finds them; and the summary can import the model, not the reverse.

Somewhat over 400 lines because it is one dataclass per kind of change (short, and read
together) plus `TraceDiff` and its documented JSON layout; split, every reader would open both.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields, replace
from typing import Any

from trace_ops._plain import json_data

__all__ = [
    "ASPECTS",
    "SCHEMA_VERSION",
    "Delta",
    "ErrorRef",
    "FinishReasonChange",
    "JudgmentChange",
    "ModelChange",
    "PromptChange",
    "RequestedToolsChange",
    "ResponseChange",
    "StepEdit",
    "ToolArgsChange",
    "TraceDiff",
    "TrajectoryChange",
    "ValueChange",
    "use_wording",
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
    """A figure in both runs; None is unknown (not recorded or not priced), never zero.

    `within_tolerance`: the figure moved but does not count as a change (noise such as latency,
    or within `tolerance_pct` percent of the old figure); the summary reports it as information.
    """

    old: float | None
    new: float | None
    within_tolerance: bool = False
    tolerance_pct: float | None = None

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
    def moved(self) -> bool:
        """The figures differ at all, tolerance or not."""
        if self.old is None and self.new is None:
            return False
        if self.old is None or self.new is None:
            return True
        return abs(self.new - self.old) > 1e-12 * max(1.0, abs(self.old))

    @property
    def changed(self) -> bool:
        """The figures differ by more than the tolerance: a change of behaviour."""
        return self.moved and not self.within_tolerance

    def tolerating(self, pct: float | None) -> Delta:
        """This delta under a tolerance: None never counts a move, a number counts moves beyond
        `pct` percent of the old figure (0: any move; an unknown side always counts)."""
        if pct is None:
            return replace(self, within_tolerance=True, tolerance_pct=None)
        return replace(self, within_tolerance=self.within_tolerance or _within(self, pct), tolerance_pct=pct)

    def to_dict(self) -> dict[str, Any]:
        return {
            "old": self.old,
            "new": self.new,
            "abs": self.abs,
            "pct": self.pct,
            "changed": self.changed,
            "within_tolerance": self.moved and self.within_tolerance,
        }


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
                cleared[attr] = replace(delta, within_tolerance=True, tolerance_pct=pct)
        if "response_text" not in names and min_response_similarity < 1.0:
            cleared["response_changes"] = tuple(
                c for c in self.response_changes if c.similarity < min_response_similarity
            )
        defaults: dict[str, Any] = {f.name: f.default for f in fields(self)}
        updates: dict[str, Any] = {k: (v if v is not None else defaults[k]) for k, v in cleared.items()}
        return replace(self, **updates, ignored=self.ignored | names)

    def summary(self) -> str:
        """Plain-text report, one line per kind of change (the shape of the reference docs)."""
        return _wording.summary(self)

    def __str__(self) -> str:
        return self.summary()

    def to_dict(self) -> dict[str, Any]:
        """JSON-serializable form. Schema (version 1), indexes 0-based into `trace.events`:

        `schema_version`, `has_changes`, `ignored` [aspect], `old_path`/`new_path` [label],
        `trajectory`: null | {old, new, edits: [{op, old_index, new_index, old_label, new_label}]},
        `llm_calls`/`tool_calls`/`tokens`/`input_tokens`/`output_tokens`/`cost_usd`/`latency_ms`:
        {old, new, abs, pct, changed, within_tolerance} (null figures are unknown;
        `within_tolerance`: moved, but not counted as a change), `info` [text] (those moves as
        the summary words them), `tools`: {added, removed},
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
            "info": _wording.info(self),
            "ignored": sorted(self.ignored),
            "old_path": list(self.old_path),
            "new_path": list(self.new_path),
            "trajectory": json_data(self.trajectory),
            "llm_calls": self.llm_calls.to_dict(),
            "tool_calls": self.tool_calls.to_dict(),
            "tools": {"added": list(self.tools_added), "removed": list(self.tools_removed)},
            "model_changes": json_data(self.model_changes),
            "tool_arg_changes": json_data(self.tool_arg_changes),
            "requested_tool_changes": json_data(self.requested_tool_changes),
            "prompt_changes": json_data(self.prompt_changes),
            "response_changes": json_data(self.response_changes),
            "finish_reason_changes": json_data(self.finish_reason_changes),
            "tokens": self.tokens.to_dict(),
            "input_tokens": self.input_tokens.to_dict(),
            "output_tokens": self.output_tokens.to_dict(),
            "cost_usd": self.cost_usd.to_dict(),
            "latency_ms": self.latency_ms.to_dict(),
            "errors": {
                "appeared": json_data(self.errors_appeared),
                "disappeared": json_data(self.errors_disappeared),
            },
            "judgment_changes": json_data(self.judgment_changes),
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


# --------------------------------------------------------------------------- wording


@dataclass
class _Wording:
    summary: Callable[[TraceDiff], str]
    info: Callable[[TraceDiff], list[str]]


def _not_installed(diff: TraceDiff) -> Any:
    raise RuntimeError("trace_ops.diff.summary was not imported: import TraceDiff from trace_ops.diff")


_wording = _Wording(_not_installed, _not_installed)


def use_wording(summary: Callable[[TraceDiff], str], info: Callable[[TraceDiff], list[str]]) -> None:
    """Install how a diff is worded: `summary` for `TraceDiff.summary()`, `info` for the texts of
    `to_dict()["info"]`. Called once, by `trace_ops.diff.summary` on import."""
    _wording.summary = summary
    _wording.info = info
