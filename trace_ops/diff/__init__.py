"""Semantic diff of two agent runs: what the agent now does differently, not which bytes moved.

A package of small modules, one job each: `align` (trajectory modes and the step alignment),
`model` (the `TraceDiff` result types and their JSON form), `compare` (how two prompts,
argument values or texts compare), `engine` (`diff_traces`: what to compare),
`summary` (what a diff says, as structured `Line`s every renderer shares) and `assertion`
(`assert_trace_unchanged`). Import from here: every name below stays available as
`trace_ops.diff.<name>`. Importing this package installs the summary's wording in the model.
"""

from __future__ import annotations

# `X as X`: public before the split but never in `__all__`; still importable from here.
from trace_ops.diff.align import Opcode as Opcode
from trace_ops.diff.align import TrajectoryMode, align, compare_trajectory
from trace_ops.diff.assertion import DEFAULT_IGNORE, assert_trace_unchanged
from trace_ops.diff.compare import VOLATILE_KEYS as VOLATILE_KEYS
from trace_ops.diff.compare import Message as Message
from trace_ops.diff.compare import normalize_message as normalize_message
from trace_ops.diff.compare import prompt_messages as prompt_messages
from trace_ops.diff.compare import strip_volatile as strip_volatile
from trace_ops.diff.compare import text_similarity as text_similarity
from trace_ops.diff.compare import unified_diff
from trace_ops.diff.compare import value_changes as value_changes
from trace_ops.diff.engine import diff_traces, tool_counts
from trace_ops.diff.engine import step_key as step_key
from trace_ops.diff.model import (
    ASPECTS,
    SCHEMA_VERSION,
    Delta,
    ErrorRef,
    FinishReasonChange,
    ModelChange,
    PromptChange,
    RequestedToolsChange,
    ResponseChange,
    StepEdit,
    ToolArgsChange,
    TraceDiff,
    TrajectoryChange,
    ValueChange,
)
from trace_ops.diff.model import JudgmentChange as JudgmentChange
from trace_ops.diff.summary import change_lines, describe_prompt_change, info_lines
from trace_ops.diff.summary import describe_value_change as describe_value_change
from trace_ops.diff.summary import summary_lines as summary_lines
from trace_ops.formatting import format_delta, format_usd

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
    "info_lines",
    "tool_counts",
    "unified_diff",
]
