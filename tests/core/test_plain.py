"""plain_copy / jsonable: request bodies and tool I/O become independent JSON-safe data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from pydantic import BaseModel, TypeAdapter
from typing_extensions import TypedDict  # pydantic refuses typing.TypedDict before Python 3.12

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


class Answer(BaseModel):
    city: str
    population: int


class AnswerDict(TypedDict):
    city: str
    population: int


@dataclass
class AnswerRecord:
    city: str
    population: int


@pytest.mark.parametrize(
    "cls", [Answer, AnswerDict, AnswerRecord], ids=["pydantic", "typeddict", "dataclass"]
)
def test_classes_are_described_as_their_json_schema(cls: type) -> None:
    """A class in a request (`response_format=Answer`) is its schema, not a call of its unbound methods."""
    described = jsonable({"response_format": cls})["response_format"]
    assert described == TypeAdapter(cls).json_schema()
    assert described["type"] == "object" and described["title"] == cls.__name__
    assert jsonable({"response_format": cls}) == plain_copy({"response_format": cls})  # stable: same again


def test_a_class_without_a_schema_is_its_qualified_name() -> None:
    class Opaque:
        def __init__(self, handle: Any) -> None:
            self.handle = handle

    described = jsonable({"kind": Opaque})["kind"]
    assert described == f"<class {__name__}.{Opaque.__qualname__}>"
    assert jsonable({"kind": int}) == {"kind": {"type": "integer"}}


def test_response_format_class_becomes_the_sdks_json_schema_param() -> None:
    from trace_ops._schema import response_format

    for cls in (Answer, AnswerRecord, AnswerDict):
        param = response_format(cls)
        assert param["type"] == "json_schema"
        assert param["json_schema"]["name"] == cls.__name__
        assert param["json_schema"]["strict"] is True
        assert set(param["json_schema"]["schema"]["properties"]) == {"city", "population"}
