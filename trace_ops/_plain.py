"""Turn arbitrary Python values into JSON-safe data: the one home of that conversion.

Two policies, because the two kinds of document need different answers for what JSON cannot
hold. `jsonable` / `plain_copy` (cassettes): SDK models dumped as the SDKs send them, classes as
their JSON schema, bytes as their size, and a value JSON cannot hold at all (NaN, a cycle) kept
whole as its repr, so the recording shows what was there. `json_data` (run reports, the diff's
`to_dict()`): documents for collectors and CI, so every part stays data: NaN/inf become null,
sets sorted, paths and times as text, bytes decoded, anything else as its `str`.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import math
import os
from collections.abc import Mapping
from typing import Any

from trace_ops._schema import type_schema

__all__ = ["json_data", "jsonable", "jsonable_text", "plain_copy"]


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


def json_data(value: Any) -> Any:
    """Plain JSON data for a report: NaN/inf become null (json.dumps would write invalid JSON),
    dataclasses their fields, unknown objects their text."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)  # IntEnum (pytest.ExitCode) -> plain int
    if isinstance(value, float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(key): json_data(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_data(item) for item in value]
    if isinstance(value, (set, frozenset)):
        return sorted((json_data(item) for item in value), key=repr)
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, (_dt.datetime, _dt.date)):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: json_data(getattr(value, f.name)) for f in dataclasses.fields(value)}
    return str(value)
