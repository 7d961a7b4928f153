"""The fake server's tool arguments follow the first tool's schema when it has no `query`."""

from __future__ import annotations

import json

import openai

from trace_ops.testing import FakeLLMServer
from trace_ops.testing._wire import tool_arguments


def _tool(properties: dict[str, object], required: list[str] | None = None) -> dict[str, object]:
    parameters: dict[str, object] = {"type": "object", "properties": properties}
    if required is not None:
        parameters["required"] = required
    return {"type": "function", "function": {"name": "f", "parameters": parameters}}


def test_schema_driven_arguments() -> None:
    assert tool_arguments([_tool({"query": {"type": "string"}})], "hi") == {"query": "hi"}
    assert tool_arguments([_tool({})], "hi") == {"query": "hi"}
    assert tool_arguments([], "hi") == {"query": "hi"}
    verdict = _tool(
        {"success": {"type": "boolean"}, "reason": {"type": "string"}, "n": {"type": "integer"}},
        ["success", "reason"],
    )
    assert tool_arguments([verdict], "hi") == {"success": True, "reason": "hi"}
    anthropic = {"name": "g", "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}}}
    assert tool_arguments([anthropic], "Paris") == {"city": "Paris"}


def test_the_server_answers_with_them() -> None:
    with FakeLLMServer() as server:
        client = openai.OpenAI(base_url=server.openai_base_url, api_key="x")
        reply = client.chat.completions.create(
            model="gpt-4o",
            messages=[{"role": "user", "content": "Paris"}],
            tools=[_tool({"city": {"type": "string"}}, ["city"])],  # type: ignore[list-item]
        )
    call = reply.choices[0].message.tool_calls[0]  # type: ignore[index]
    assert json.loads(call.function.arguments) == {"city": "Paris"}  # type: ignore[union-attr]
