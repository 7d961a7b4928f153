"""Agent runs recorded for real against the fake server (OpenAI chat with a tool, a stream, the
Responses API, embeddings, Anthropic), shared by the OTLP tests."""

from __future__ import annotations

import json
from pathlib import Path

import anthropic
import openai

from trace_ops import Recorder, Trace, load_cassette
from trace_ops.testing import FakeLLMServer

SEARCH = {
    "type": "function",
    "function": {
        "name": "search",
        "description": "Search the web",
        "parameters": {"type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"]},
    },
}


def record_agent_run(server: FakeLLMServer, path: Path) -> Trace:
    """A tool-using agent run with every call shape, saved and loaded back as a cassette."""
    client = openai.OpenAI(base_url=server.openai_base_url, api_key="sk-test")
    claude = anthropic.Anthropic(base_url=server.anthropic_base_url, api_key="sk-ant-test")
    messages: list[dict[str, object]] = [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": "Find the capital of France"},
    ]
    with Recorder(save_to=path) as rec:
        first = client.chat.completions.create(
            model="gpt-4o-mini",
            messages=messages,
            tools=[SEARCH],
            temperature=0.2,
            max_tokens=64,  # type: ignore[arg-type,list-item]
        )
        call = first.choices[0].message.tool_calls[0]  # type: ignore[index]
        arguments = json.loads(call.function.arguments)  # type: ignore[union-attr]
        rec.record_tool_call("search", arguments, {"hits": ["Paris"]}, duration_ms=12, call_id=call.id)
        messages += [
            first.choices[0].message.model_dump(exclude_none=True),
            {"role": "tool", "tool_call_id": call.id, "content": '{"hits": ["Paris"]}'},
        ]
        client.chat.completions.create(model="gpt-4o-mini", messages=messages, stop=["\n\n"])  # type: ignore[arg-type]
        stream = client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": "Say hi"}],
            stream=True,
            stream_options={"include_usage": True},
        )
        for _ in stream:
            pass
        client.responses.create(model="gpt-4.1", input="Summarize: Paris", instructions="Be brief.")
        client.embeddings.create(model="text-embedding-3-small", input="Paris")
        claude.messages.create(
            model="claude-3-5-haiku-latest",
            max_tokens=50,
            system="Be kind.",
            messages=[{"role": "user", "content": "Hello"}],
        )
        rec.record_decision("route", to="summarizer")
        rec.record_judgment(
            "faithfulness", verdict="pass", score=0.9, reasoning="cites the tool", intent="grounded"
        )
    return load_cassette(path)
