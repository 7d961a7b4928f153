"""Agent runs the CLI tests record with real SDKs over real HTTP against the fake server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anthropic
import openai

from trace_ops import Recorder
from trace_ops.testing import FakeLLMServer

TOOLS: list[Any] = [
    {
        "type": "function",
        "function": {
            "name": "search",
            "description": "Search the web",
            "parameters": {
                "type": "object",
                "properties": {"query": {"type": "string"}},
                "required": ["query"],
            },
        },
    }
]
SYSTEM = "You are a terse assistant."


def search(query: str) -> dict[str, Any]:
    return {"hits": [f"{query} is Paris"], "count": 1}


def record_agent(server: FakeLLMServer, path: Path, question: str = "capital of France", **tags: Any) -> Path:
    """OpenAI chat asks for `search`, the tool runs, a second chat answers, Anthropic sums up."""
    client = openai.OpenAI(base_url=server.openai_base_url, api_key="sk-test", max_retries=0)
    claude = anthropic.Anthropic(base_url=server.anthropic_base_url, api_key="sk-ant-test", max_retries=0)
    messages: list[Any] = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": question}]
    with Recorder(save_to=path, tags=list(tags)) as rec:
        first = client.chat.completions.create(model="gpt-4o-mini", messages=messages, tools=TOOLS)
        call = first.choices[0].message.tool_calls[0]  # type: ignore[index]
        arguments = json.loads(call.function.arguments)  # type: ignore[union-attr]
        result = search(**arguments)
        rec.record_tool_call("search", arguments, result, call_id=call.id, duration_ms=12.5)
        messages += [
            first.choices[0].message.model_dump(exclude_none=True),
            {"role": "tool", "tool_call_id": call.id, "content": json.dumps(result)},
        ]
        client.chat.completions.create(model="gpt-4o-mini", messages=messages)
        claude.messages.create(
            model="claude-3-5-haiku-latest",
            max_tokens=64,
            system=SYSTEM,
            messages=[{"role": "user", "content": [{"type": "text", "text": f"sum up: {question}"}]}],
        )
    return path


def record_failing_call(server: FakeLLMServer, path: Path) -> Path:
    """A rate-limited call (the fake server's `error-429` model) and the error the agent raised."""
    client = openai.OpenAI(base_url=server.openai_base_url, api_key="sk-test", max_retries=0)
    with Recorder(save_to=path) as rec:
        try:
            client.chat.completions.create(model="error-429", messages=[{"role": "user", "content": "hi"}])
        except openai.RateLimitError as error:
            rec.record_error(error)
    return path
