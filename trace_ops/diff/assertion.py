"""`assert_trace_unchanged`: diff two runs and fail with the summary when they differ.

Its own module because it sits above the engine: it builds a diff and words the failure with
`TraceDiff.summary()`. Kept in the summary module, it made that module import the engine and
closed an import circle (engine -> model -> summary -> engine).
"""

from __future__ import annotations

from collections.abc import Iterable

from trace_ops.diff.align import TrajectoryMode
from trace_ops.diff.engine import diff_traces
from trace_ops.diff.model import TraceDiff
from trace_ops.trace import Trace

__all__ = ["DEFAULT_IGNORE", "assert_trace_unchanged"]

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
