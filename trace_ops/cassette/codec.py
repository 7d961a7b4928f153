"""What every event codec uses: the document Reader (validation with one-line errors), the
EventCodec protocol, and the timing fields all events share.

A codec maps one event kind to its cassette mapping and back; schema.CODECS holds one per
kind, so a new event kind is one codec class (events.py shows the small ones) and one line in
that table. Reading dispatches once per event; the codec then reads its fields directly.
"""

from __future__ import annotations

import json
from typing import Any, Protocol, TypeVar

from trace_ops.errors import CassetteError
from trace_ops.scrub import Scrubber
from trace_ops.trace import Event

E = TypeVar("E", bound=Event)

NUMBER = (int, float)


class Reader:
    """Validates a parsed document, raising CassetteError with the path and location.

    `trusted`: the document was validated before (a parse-cache hit), so checks that only
    catch hand edits may be skipped and JSON texts parsed only when read."""

    def __init__(self, source: str, *, trusted: bool = False) -> None:
        self.source = source
        self.trusted = trusted

    def fail(self, where: str, problem: str) -> CassetteError:
        return CassetteError(f"{self.source}: {where}: {problem}")

    def mapping(self, value: Any, where: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(where, f"expected a mapping, got {kind_of(value)}")
        return value

    def get(
        self,
        data: dict[str, Any],
        key: str,
        types: type | tuple[type, ...],
        where: str,
        *,
        required: bool = False,
    ) -> Any:
        value = data.get(key)
        if value is None:
            if required:
                raise self.fail(where, f"missing required field {key!r}")
            return None
        if type(value) is types:  # the usual case, and the cheapest test (this runs ~15x per call)
            return value
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in _as_tuple(types)):
            raise self.fail(f"{where}.{key}", f"expected {_type_names(types)}, got {kind_of(value)}")
        return value

    def json_text(self, text: str, where: str, field: str) -> Any:
        try:
            return json.loads(text)
        except ValueError as exc:
            raise self.fail(f"{where}.{field}", f"invalid JSON ({exc})") from None

    def timing(self, data: dict[str, Any], where: str) -> dict[str, Any]:
        """The `started_at` / `duration_ms` / `parent` every event may carry, as Event keyword arguments."""
        return {
            "started_at": self.get(data, "started_at", str, where),
            "duration_ms": self.get(data, "duration_ms", NUMBER, where),
            "parent": self.get(data, "parent", str, where),
        }


def _as_tuple(types: type | tuple[type, ...]) -> tuple[type, ...]:
    return types if isinstance(types, tuple) else (types,)


def _type_names(types: type | tuple[type, ...]) -> str:
    names = {"str": "text", "dict": "a mapping", "list": "a list", "int": "an integer", "float": "a number"}
    return " or ".join(names.get(t.__name__, t.__name__) for t in _as_tuple(types))


def kind_of(value: Any) -> str:
    """How an error message names a parsed value's type."""
    if value is None:
        return "nothing"
    return {
        dict: "a mapping",
        list: "a list",
        str: "text",
        bool: "a boolean",
        int: "an integer",
        float: "a number",
    }.get(type(value), type(value).__name__)


def write_timing(event: Event, out: dict[str, Any]) -> dict[str, Any]:
    """Add the event's `parent`, `started_at` / `duration_ms` (rounded to the microsecond) to `out`."""
    if event.parent is not None:
        out["parent"] = event.parent
    if event.started_at is not None:
        out["started_at"] = event.started_at
    if event.duration_ms is not None:
        out["duration_ms"] = round(event.duration_ms, 3)
    return out


class EventCodec(Protocol[E]):
    """One event kind <-> its cassette mapping. `to_dict` scrubs secrets and starts with
    `type: <kind>`; `from_dict` validates through the Reader (`where` is e.g. `events[3]`)."""

    @property
    def kind(self) -> str: ...

    def to_dict(self, event: E, scrub: Scrubber) -> dict[str, Any]: ...

    def from_dict(self, r: Reader, data: dict[str, Any], where: str) -> E: ...
