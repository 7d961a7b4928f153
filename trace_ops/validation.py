"""Is a cassette sound? Schema (version, required fields, types, each recorded stream readable),
integrity (each call's fingerprint is the one its recorded request gives) and no secret left.

A cassette that loads can still be wrong: a hand edit of a prompt keeps the old fingerprint,
and the answer beside it was recorded for another request (loading matches on the edited
one); a secret pasted into a prompt after recording was never scrubbed. `replay validate`
reports these, one line per problem.
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


def validate_trace(trace: Trace, file: str, stored: list[Any] | None = None) -> list[Problem]:
    """The integrity and secret problems of a loaded trace (its schema was checked by loading).

    `stored`: the fingerprints as the file has them, by event (loading replaces them with the
    true ones, so `validate_cassette` reads them from the document); default the events' own."""
    from trace_ops._stream_check import stream_problem
    from trace_ops.matching import fingerprint
    from trace_ops.scrub import DEFAULT_SCRUBBER

    problems: list[Problem] = []
    for finding in DEFAULT_SCRUBBER.find(trace.metadata, "trace.metadata"):
        problems.append(Problem(file, finding.where, f"secret left: {finding.reason}", "secret"))
    for index, event in enumerate(trace.events):
        where = f"events[{index}]"
        recorded: Any = None
        if isinstance(event, LLMCall):
            recorded = event.fingerprint if stored is None else stored[index] if index < len(stored) else None
        if isinstance(event, LLMCall) and event.stream is not None:
            damage = stream_problem(event.stream)
            if damage is not None:  # replay would stop at this call
                problems.append(Problem(file, f"{where}.stream", f"damaged stream: {damage}", "schema"))
        if isinstance(event, LLMCall) and recorded:
            expected = fingerprint(event.endpoint, event.request)
            if expected != recorded:
                message = (
                    f"fingerprint {recorded} is not the request's ({expected}): the request was edited "
                    "after recording, so its answer was recorded for another request; re-record it"
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
    from trace_ops._files import read_bytes
    from trace_ops.cassette import load_cassette
    from trace_ops.cassette.safe_yaml import parse

    file = os.fspath(path)
    try:
        trace = load_cassette(file)
        document, _ = parse(read_bytes(file), file)
    except CassetteError as error:
        return [_schema_problem(file, error)]
    events = document.get("events") if isinstance(document, dict) else None
    stored = [e.get("fingerprint") if isinstance(e, dict) else None for e in events or []]
    return validate_trace(trace, file, stored)
