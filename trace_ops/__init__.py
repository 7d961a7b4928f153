"""trace_ops: record and replay LLM agent runs at the SDK level, for deterministic regression tests.

The diff engine, pricing, wire parsing and `@tool` load on first use (PEP 562 and the two
functions below): `import trace_ops` and the pytest plugin stay cheap for a suite that only
replays.

Here the model is given its view parser and its pricer (`trace.derive_with`): the model
imports neither, so parsing and pricing depend on the model, never the reverse.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from trace_ops import trace as _trace
from trace_ops._version import __version__
from trace_ops.cassette import load_cassette, save_cassette
from trace_ops.errors import (
    BudgetExceededError,
    CassetteError,
    CassetteMismatchError,
    CassetteNotFoundError,
    CassetteWriteError,
    RecordModeError,
    RedactionCollisionError,
    TraceOpsError,
)
from trace_ops.modes import RecordMode
from trace_ops.recorder import Recorder
from trace_ops.replayer import Replayer
from trace_ops.trace import (
    AgentDecision,
    ErrorEvent,
    Event,
    GraphRun,
    Judgment,
    LLMCall,
    McpRequest,
    McpToolCall,
    NodeRun,
    SpanRun,
    ToolCall,
    Trace,
)

if TYPE_CHECKING:
    from trace_ops.cost import PriceWarning, price_data_version, register_price
    from trace_ops.diff import (
        TraceDiff,
        TrajectoryMode,
        assert_trace_unchanged,
        compare_trajectory,
        diff_traces,
    )
    from trace_ops.otlp import load_trace_file
    from trace_ops.tools import RecordedToolError, tool
    from trace_ops.view import ResponseView

_LAZY = {
    "PriceWarning": "trace_ops.cost",
    "price_data_version": "trace_ops.cost",
    "register_price": "trace_ops.cost",
    "TraceDiff": "trace_ops.diff",
    "TrajectoryMode": "trace_ops.diff",
    "assert_trace_unchanged": "trace_ops.diff",
    "compare_trajectory": "trace_ops.diff",
    "diff_traces": "trace_ops.diff",
    "load_trace_file": "trace_ops.otlp",
    "RecordedToolError": "trace_ops.tools",
    "tool": "trace_ops.tools",
}


def _view_of(call: LLMCall) -> ResponseView:
    from trace_ops.normalize import view_of  # parsing loads with the first view asked for

    return view_of(call)


def _cost_of(call: LLMCall) -> float | None:
    from trace_ops.cost import call_cost  # pricing loads with the first cost asked for

    return call_cost(call)


_trace.derive_with(view=_view_of, cost=_cost_of)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'trace_ops' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "AgentDecision",
    "BudgetExceededError",
    "CassetteError",
    "CassetteMismatchError",
    "CassetteNotFoundError",
    "CassetteWriteError",
    "ErrorEvent",
    "Event",
    "GraphRun",
    "Judgment",
    "LLMCall",
    "McpRequest",
    "McpToolCall",
    "NodeRun",
    "PriceWarning",
    "RecordMode",
    "RecordModeError",
    "RecordedToolError",
    "Recorder",
    "RedactionCollisionError",
    "Replayer",
    "SpanRun",
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
    "load_trace_file",
    "price_data_version",
    "register_price",
    "save_cassette",
    "tool",
]
