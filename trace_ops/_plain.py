"""Turn arbitrary Python values (SDK models, tuples, dataclasses) into JSON-safe data for cassettes."""

from __future__ import annotations

import dataclasses
import json
import math
from typing import Any

from trace_ops._schema import type_schema


def jsonable(value: Any) -> Any:
    """A JSON-safe deep copy (SDK bodies and tool I/O may hold models, dataclasses, tuples, bytes)."""
    return jsonable_text(value)[0]


def jsonable_text(value: Any) -> tuple[Any, str]:
    """`jsonable(value)` and its JSON text, for callers that also need the text."""

    def default(obj: Any) -> Any:
        if isinstance(obj, type):  # a class (`response_format=Model`): not its unbound `model_dump`
            return type_schema(obj)
        if type(obj).__name__ in _OMITTED:
            return None
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
        text = json.dumps(_strip_omitted(value), default=default, allow_nan=False, ensure_ascii=False)
        return json.loads(text), text
    except (ValueError, RecursionError):  # circular, NaN/inf: keep a readable trace of it, never crash
        return repr(value), json.dumps(repr(value))


_OMITTED = frozenset({"NotGiven", "Omit", "NotGivenOr"})


def _strip_omitted(value: Any) -> Any:
    """Drop the SDKs' `NOT_GIVEN` / `omit` sentinels (top-level arguments; the SDK never sends them)."""
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if type(v).__name__ not in _OMITTED}
    return value


class _NotPlain(Exception):
    pass


_SCALARS = (str, int, bool, type(None))


def _copy(value: Any) -> Any:
    kind = type(value)
    if kind is dict:
        out = {}
        for key, item in value.items():
            if type(key) is not str:
                raise _NotPlain
            if type(item).__name__ in _OMITTED:
                continue
            out[key] = _copy(item)
        return out
    if kind is list:
        return [_copy(item) for item in value]
    if kind in _SCALARS:
        return value
    if kind is float and math.isfinite(value):
        return value
    raise _NotPlain


def plain_copy(value: Any) -> Any:
    """`jsonable(value)`, fast when the value is already plain JSON data (the common request body).

    A walk that copies dicts/lists of JSON scalars costs a third of encoding and decoding JSON;
    anything else (models, tuples, NaN, non-string keys) takes the `jsonable` path.
    """
    try:
        return _copy(value)
    except (_NotPlain, RecursionError):
        return jsonable(value)
