"""Classes in a request, described as the JSON schema the SDK sends for them.

Structured output passes a class (`response_format=Answer`: a pydantic model, a TypedDict, a
dataclass); the SDK turns it into a JSON schema before anything is sent, so the cassette holds
that schema too. The SDK's own converter is used when it is importable (a class may override
its schema, as DSPy's output models do), else pydantic's; the result is a pure function of
the class, so record and replay fingerprint it alike.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

Converter = Callable[[type], Any]


def type_schema(cls: type) -> Any:
    """The JSON schema of `cls`, or its qualified name when it has none (a plain class)."""
    try:
        model_schema = getattr(cls, "model_json_schema", None)
        if callable(model_schema):  # a pydantic model: its own (possibly overridden) schema
            return model_schema()
        from pydantic import TypeAdapter

        return TypeAdapter(cls).json_schema()
    except Exception:
        return f"<class {cls.__module__}.{cls.__qualname__}>"


def response_format(cls: type) -> Any:
    """`response_format=cls` as the SDK sends it: `{"type": "json_schema", "json_schema": {...}}`."""
    for convert in _converters():
        try:
            converted = convert(cls)
        except Exception:
            continue
        if isinstance(converted, dict):
            return converted
    return {
        "type": "json_schema",
        "json_schema": {"name": cls.__name__, "schema": type_schema(cls), "strict": True},
    }


def _converters() -> list[Converter]:
    """LiteLLM's converter (pydantic models) when LiteLLM is in use, then OpenAI's (also dataclasses)."""
    found: list[Converter] = []
    if "litellm" in sys.modules:
        try:
            from litellm.llms.base_llm.base_utils import type_to_response_format_param

            found.append(type_to_response_format_param)
        except Exception:
            pass
    try:
        from openai.lib._parsing._completions import type_to_response_format_param as openai_converter

        found.append(openai_converter)
    except Exception:
        pass
    return found
