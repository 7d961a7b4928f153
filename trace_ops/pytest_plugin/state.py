"""What the plugin keeps during a run: each test's session, and what each case reported.

`case_info` is what travels from a test (also from an xdist worker, as a report's user
property) to the summary and the run report: JSON-safe, and computed once per test.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from trace_ops.errors import CassetteMismatchError, CassetteNotFoundError
from trace_ops.modes import RecordMode
from trace_ops.session import Session
from trace_ops.trace import Judgment, LLMCall, ToolCall, Trace

#: the user property of a teardown report that carries `case_info`
USER_PROPERTY = "trace_ops"


@dataclass
class Case:
    nodeid: str
    status: str = "passed"
    duration_s: float = 0.0
    failure: str | None = None
    info: dict[str, Any] | None = None


@dataclass
class RunState:
    mode: RecordMode
    started: float
    #: a run report is wanted: every case carries its events, tokens and cost
    detailed: bool = False
    cases: dict[str, Case] = field(default_factory=dict)

    def case(self, nodeid: str) -> Case:
        if nodeid not in self.cases:
            self.cases[nodeid] = Case(nodeid)
        return self.cases[nodeid]


SESSION_KEY = pytest.StashKey[Session]()
STATE_KEY = pytest.StashKey[RunState]()


def _event_summary(event: Any) -> dict[str, Any]:
    summary: dict[str, Any] = {"type": event.kind, "label": event.label}
    if event.duration_ms is not None:
        summary["duration_ms"] = round(event.duration_ms, 3)
    if isinstance(event, LLMCall):
        summary["provider"] = event.provider
        summary["model"] = event.served_model
        usage = event.usage
        if usage is not None:
            summary["input_tokens"] = usage.input_tokens
            summary["output_tokens"] = usage.output_tokens
        summary["text"] = event.view.text[:10_000]
    elif isinstance(event, ToolCall):
        summary["name"] = event.name
        summary.update(call_id=event.call_id, input=event.input, output=event.output)
        if event.error:
            summary["error"] = event.error
    elif isinstance(event, Judgment):
        summary.update(
            name=event.name,
            verdict=event.verdict,
            score=event.score,
            intent=event.intent,
            reasoning=event.reasoning,
        )
    return summary


def _outcome(session: Session) -> str:
    if any(isinstance(f, CassetteNotFoundError) for f in session.failures):
        return "missing"
    if any(isinstance(f, CassetteMismatchError) for f in session.failures):
        return "mismatched"
    if session.recorded_count:
        return "recorded"
    if session.missing:
        return "unused"  # no cassette and no LLM call: nothing to record
    return "replayed"


def _cost(trace: Trace) -> float | None:
    try:
        return trace.total_cost_usd
    except Exception:
        return None


def case_info(session: Session, *, detailed: bool) -> dict[str, Any]:
    """What the summary and the run report need about one test's session (JSON-safe, xdist-safe).

    Per-event detail, tokens and pricing are computed only when something shows them (a run
    report, or a recording in the summary): a replay suite pays for nothing it does not print.
    """
    path = session.path
    source = session.cassette
    info: dict[str, Any] = {
        "cassette": str(path) if path is not None else None,
        "record_mode": session.mode.value,
        "outcome": _outcome(session),
        "recorded_calls": session.recorded_count,
        "replayed_calls": session.replayed_count,
        "cassette_sdk_versions": source.sdk_versions if source is not None else {},
        "cassette_created_at": source.created_at if source is not None else None,
    }
    if session.unrecorded:
        info["unrecorded"] = list(session.unrecorded)
    if detailed or session.recorded_count:
        trace = session.trace
        info["tokens"] = trace.total_tokens
        info["cost_usd"] = _cost(trace)
        info["events"] = [_event_summary(e) for e in trace.events]
    return info


__all__ = ["SESSION_KEY", "STATE_KEY", "USER_PROPERTY", "Case", "RunState", "case_info"]
