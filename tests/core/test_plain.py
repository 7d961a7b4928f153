"""plain_copy / jsonable: request bodies and tool I/O become independent JSON-safe data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from pydantic import BaseModel

from trace_ops._plain import jsonable, plain_copy


class Part(BaseModel):
    type: str
    text: str | None = None


@dataclass
class Point:
    x: int


class Omit:  # the SDKs' sentinel for arguments not given: never part of the body
    pass


@pytest.mark.parametrize(
    "value",
    [
        {
            "model": "m",
            "messages": [{"role": "user", "content": "hi"}],
            "temperature": 0.5,
            "n": 1,
            "x": None,
        },
        {"messages": [{"role": "user", "content": [Part(type="text", text="hi")]}]},
        {"point": Point(1), "tags": ("a", "b"), "ids": {3}},
        {1: "int key"},
        {"bad": float("nan")},
    ],
)
def test_plain_copy_matches_jsonable_and_is_independent(value: dict[str, Any]) -> None:
    copied = plain_copy(value)
    assert copied == jsonable(value)
    if isinstance(value.get("messages"), list) and isinstance(copied, dict):
        copied["messages"].append("more")
        assert value["messages"][-1] != "more"  # a deep copy: later edits by the agent don't leak in


def test_sentinels_are_dropped_and_models_dumped_as_the_sdk_sends_them() -> None:
    body = {
        "model": "m",
        "stream": Omit(),
        "messages": [{"role": "user", "content": [Part(type="text", text="x")]}],
    }
    assert plain_copy(body) == {
        "model": "m",
        "messages": [{"role": "user", "content": [{"type": "text", "text": "x"}]}],
    }
    assert jsonable({"a": float("inf")}) == repr({"a": float("inf")})
