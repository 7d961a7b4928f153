"""trace_ops: record and replay LLM agent runs at the SDK level, for deterministic regression tests."""

from trace_ops._version import __version__
from trace_ops.cassette import load_cassette, save_cassette
from trace_ops.cost import PriceWarning, price_data_version, register_price
from trace_ops.diff import TraceDiff, TrajectoryMode, assert_trace_unchanged, compare_trajectory, diff_traces
from trace_ops.errors import (
    CassetteError,
    CassetteMismatchError,
    CassetteNotFoundError,
    RecordModeError,
    TraceOpsError,
)
from trace_ops.modes import RecordMode
from trace_ops.recorder import Recorder
from trace_ops.replayer import Replayer
from trace_ops.tools import RecordedToolError, tool
from trace_ops.trace import AgentDecision, ErrorEvent, Event, Judgment, LLMCall, ToolCall, Trace

__all__ = [
    "AgentDecision",
    "CassetteError",
    "CassetteMismatchError",
    "CassetteNotFoundError",
    "ErrorEvent",
    "Event",
    "Judgment",
    "LLMCall",
    "PriceWarning",
    "RecordMode",
    "RecordModeError",
    "RecordedToolError",
    "Recorder",
    "Replayer",
    "ToolCall",
    "Trace",
    "TraceDiff",
    "TraceOpsError",
    "TrajectoryMode",
    "__version__",
    "assert_trace_unchanged",
    "compare_trajectory",
    "diff_traces",
    "load_cassette",
    "price_data_version",
    "register_price",
    "save_cassette",
    "tool",
]
