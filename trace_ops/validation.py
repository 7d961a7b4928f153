"""Is a cassette sound? Schema (version, required fields, types), integrity (each call's
fingerprint is the one its recorded request gives) and no secret left in it.

A cassette that loads can still be wrong: a hand edit of a prompt keeps the old fingerprint,
so replay would match requests the file no longer shows; a secret pasted into a prompt after
recording was never scrubbed. `replay validate` reports these, one line per problem.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from typing import Any

from trace_ops.errors import CassetteError
from trace_ops.trace import AgentDecision, ErrorEvent, Event, Judgment, LLMCall, ToolCall, Trace

__all__ = ["Problem", "validate_cassette", "validate_trace"]


@dataclass(frozen=True)
class Problem:
    """One problem: the file, where in it (`events[2].fingerprint`, empty for the whole file), what."""

    file: str
    location: str
    message: str
    kind: str  # "schema", "fingerprint" or "secret"

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        return f"{self.file}: {where}{self.message}"

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def _recorded_values(event: Event) -> dict[str, Any]:
    """The recorded data of an event that could hold a secret, under the cassette's field names."""
    if isinstance(event, LLMCall):
        values: dict[str, Any] = {"request": event.request, "headers": event.headers}
        if event.response is not None:
            values["response"] = event.response
        if event.stream is not None:
            values["stream"] = event.stream
        if event.error is not None:
            values["error"] = event.error
        return values
    if isinstance(event, ToolCall):
        return {"input": event.input, "output": event.output, "error": event.error}
    if isinstance(event, AgentDecision):
        return {"detail": event.detail}
    if isinstance(event, ErrorEvent):
        return {"message": event.message}
    if isinstance(event, Judgment):
        return {"reasoning": event.reasoning}
    return {}


def validate_trace(trace: Trace, file: str) -> list[Problem]:
    """The integrity and secret problems of a loaded trace (its schema was checked by loading)."""
    from trace_ops.matching import fingerprint
    from trace_ops.scrub import DEFAULT_SCRUBBER

    problems: list[Problem] = []
    for finding in DEFAULT_SCRUBBER.find(trace.metadata, "trace.metadata"):
        problems.append(Problem(file, finding.where, f"secret left: {finding.reason}", "secret"))
    for index, event in enumerate(trace.events):
        where = f"events[{index}]"
        if isinstance(event, LLMCall) and event.fingerprint:
            expected = fingerprint(event.endpoint, event.request)
            if expected != event.fingerprint:
                message = (
                    f"fingerprint {event.fingerprint} does not match the recorded request ({expected}): "
                    "the request was edited after recording; re-record it or fix the fingerprint"
                )
                problems.append(Problem(file, f"{where}.fingerprint", message, "fingerprint"))
        for finding in DEFAULT_SCRUBBER.find(_recorded_values(event), where):
            problems.append(Problem(file, finding.where, f"secret left: {finding.reason}", "secret"))
    return problems


def _schema_problem(file: str, error: CassetteError) -> Problem:
    """A load error as a Problem: `<file>: <location>: <message>` split where the message has one."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else "cannot load"
    text = text.removeprefix(f"{file}: ")
    head, sep, rest = text.partition(": ")
    if sep and (head.startswith(("events[", "trace", "version")) or head.startswith("line ")):
        return Problem(file, head, rest, "schema")
    return Problem(file, "", text, "schema")


def validate_cassette(path: str | os.PathLike[str]) -> list[Problem]:
    """Every problem of the cassette at `path`; an empty list means it is sound."""
    from trace_ops.cassette import load_cassette

    file = os.fspath(path)
    try:
        trace = load_cassette(file)
    except CassetteError as error:
        return [_schema_problem(file, error)]
    return validate_trace(trace, file)
