"""The run report: one JSON document per pytest run (what ran, how each case went against its
cassette, CI context), its case type, and writing it to a file.

The pytest plugin fills `CaseResult`s, builds the document with `build_run_report` and saves it
with `write_report`; `trace_ops.runreport.upload` sends it. Apart from the uploader so the schema
(which the coming CLI and HTML report read) carries no HTTP client.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trace_ops._files import atomic_write_text
from trace_ops._plain import json_data
from trace_ops._time import parse_iso

__all__ = [
    "CASE_OUTCOMES",
    "CASE_STATUSES",
    "MAX_FAILURE_CHARS",
    "REPORT_SCHEMA_VERSION",
    "CaseResult",
    "build_run_report",
    "dumps",
    "write_report",
]

REPORT_SCHEMA_VERSION = 1
MAX_FAILURE_CHARS = 10_000
CASE_STATUSES: tuple[str, ...] = ("passed", "failed", "errored", "skipped")
# "unused": the test had a cassette session but made no LLM call and no cassette exists.
CASE_OUTCOMES: tuple[str, ...] = ("replayed", "recorded", "missing", "mismatched", "unused")

_FAILURE_HEAD_CHARS = 3_000  # the test's source; the tail keeps the assertion and the file:line


def _truncate_failure(text: str | None) -> str | None:
    """Keep the head and the tail of a long repr: pytest puts the actual error at the bottom."""
    if text is None or len(text) <= MAX_FAILURE_CHARS:
        return text
    width = len(str(len(text)))  # the marker can only be this wide, so the result stays <= the limit
    marker_len = len(f"\n\n... [{'9' * width} characters truncated] ...\n\n")
    tail = MAX_FAILURE_CHARS - _FAILURE_HEAD_CHARS - marker_len
    dropped = len(text) - _FAILURE_HEAD_CHARS - tail
    marker = f"\n\n... [{dropped} characters truncated] ...\n\n"
    return text[:_FAILURE_HEAD_CHARS] + marker + text[-tail:]


@dataclass
class CaseResult:
    """One test item as the report shows it; the plugin fills it from pytest's reports and the cassette."""

    nodeid: str
    status: str  # one of CASE_STATUSES
    duration_s: float
    cassette: str | None = None  # relative to rootdir, so reports compare across machines
    record_mode: str | None = None
    outcome: str | None = None  # CASE_OUTCOMES, None when the test used no cassette; not validated
    events: list[dict[str, Any]] = field(default_factory=list)
    failure: str | None = None
    tokens: int | None = None
    cost_usd: float | None = None

    def __post_init__(self) -> None:
        # The totals are keyed by status, so a typo fails loudly while the plugin is written. The
        # outcome is only displayed: a new one must not crash a run's report.
        if self.status not in CASE_STATUSES:
            raise ValueError(f"CaseResult.status must be one of {CASE_STATUSES}, got {self.status!r}")
        self.failure = _truncate_failure(self.failure)


def _round(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(value, 6)


def _duration(started_at: str, finished_at: str) -> float | None:
    try:
        return _round((parse_iso(finished_at) - parse_iso(started_at)).total_seconds())
    except (TypeError, ValueError):  # unparsable, or one aware and one naive
        return None


def _case_document(case: CaseResult) -> dict[str, Any]:
    """Scalars first and events last, so the file reads well when opened by hand."""
    return {
        "nodeid": case.nodeid,
        "status": case.status,
        "duration_s": _round(float(case.duration_s)),
        "cassette": None if case.cassette is None else os.fspath(case.cassette),
        "record_mode": case.record_mode,
        "outcome": case.outcome,
        "tokens": None if case.tokens is None else int(case.tokens),
        "cost_usd": json_data(None if case.cost_usd is None else float(case.cost_usd)),
        "failure": _truncate_failure(case.failure),
        "events": json_data(case.events),
    }


def _totals(cases: Sequence[CaseResult]) -> dict[str, Any]:
    counts = dict.fromkeys(CASE_STATUSES, 0)
    for case in cases:
        counts[case.status] += 1
    costs = [case.cost_usd for case in cases if case.cost_usd is not None and math.isfinite(case.cost_usd)]
    # A case that talked to a model but has no price makes the sum a lower bound, not the cost.
    cost_complete = all(
        case.cost_usd is not None and math.isfinite(case.cost_usd)
        for case in cases
        if case.events or case.tokens
    )
    return {
        "cases": len(cases),
        **counts,
        "tokens": sum(int(case.tokens) for case in cases if case.tokens is not None),
        "cost_usd": round(math.fsum(costs), 10),
        "cost_complete": cost_complete,
    }


def build_run_report(
    cases: Sequence[CaseResult],
    *,
    started_at: str,
    finished_at: str,
    exit_status: int,
    ci: dict[str, Any] | None,
    trace_ops_version: str,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The run report (schema REPORT_SCHEMA_VERSION): plain JSON data with a fixed key order.

    `extra` (free-form, e.g. an agent id) lands under run.extra; it is {} when not given so the
    shape never depends on the caller. Totals sum the tokens and costs that are known;
    totals.cost_complete says whether every case that used a model had a cost.
    """
    run: dict[str, Any] = {
        "started_at": started_at,
        "finished_at": finished_at,
        "duration_s": _duration(started_at, finished_at),
        "exit_status": int(exit_status),
        "ci": None if ci is None else json_data(ci),
        "totals": _totals(cases),
        "extra": json_data(extra or {}),
    }
    return {
        "schema_version": REPORT_SCHEMA_VERSION,
        "tool": "trace_ops",
        "trace_ops_version": trace_ops_version,
        "run": run,
        "cases": [_case_document(case) for case in cases],
    }


def dumps(document: Mapping[str, Any], *, indent: int | None) -> str:
    """The document as JSON text: indented for a file, compact (`indent=None`) for the wire."""
    separators = (",", ": ") if indent is not None else (",", ":")
    return json.dumps(json_data(document), indent=indent, separators=separators, ensure_ascii=False)


def write_report(document: dict[str, Any], path: str | os.PathLike[str]) -> Path:
    """Save the document as UTF-8 JSON (indent 2) atomically, creating parent directories."""
    target = Path(path)
    atomic_write_text(target, dumps(document, indent=2) + "\n")
    return target
