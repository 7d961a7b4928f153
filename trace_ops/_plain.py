"""Turn arbitrary Python values (SDK models, tuples, dataclasses) into JSON-safe data for cassettes."""

from __future__ import annotations

import dataclasses
import json
from typing import Any


def jsonable(value: Any) -> Any:
    """A JSON-safe deep copy (SDK bodies and tool I/O may hold models, dataclasses, tuples, bytes)."""

    def default(obj: Any) -> Any:
        dump = getattr(obj, "model_dump", None)
        if callable(dump):  # as the SDKs serialize models in request bodies
            try:
                return dump(mode="json", exclude_unset=True, by_alias=True)
            except TypeError:
                return dump()
        if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            return dataclasses.asdict(obj)
        if isinstance(obj, (set, frozenset, tuple)):
            return list(obj)
        if isinstance(obj, bytes):
            return f"<{len(obj)} bytes>"
        iso = getattr(obj, "isoformat", None)
        if callable(iso):
            return iso()
        return str(obj)

    try:
        return json.loads(json.dumps(_strip_omitted(value), default=default, allow_nan=False))
    except (ValueError, RecursionError):  # circular, NaN/inf: keep a readable trace of it, never crash
        return repr(value)


_OMITTED = frozenset({"NotGiven", "Omit", "NotGivenOr"})


def _strip_omitted(value: Any) -> Any:
    """Drop the SDKs' `NOT_GIVEN` / `omit` sentinels: the SDK leaves them out of the wire body too."""
    if isinstance(value, dict):
        return {k: _strip_omitted(v) for k, v in value.items() if type(v).__name__ not in _OMITTED}
    if isinstance(value, (list, tuple)):
        return [_strip_omitted(v) for v in value if type(v).__name__ not in _OMITTED]
    return value
