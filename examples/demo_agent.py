"""A small tool-using agent on the real OpenAI SDK: two tools, several turns, one streamed answer.

Nothing here knows about trace_ops except `session.record_tool_call`, which logs the tools
the agent runs itself; every LLM call is captured by the SDK interceptor.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import openai

from trace_ops.session import Session

TOOL_SPECS: dict[str, dict[str, Any]] = {
    "search": {
        "type": "function",
        "function": {
            "name": "search",
            "description": "Search an encyclopedia.",
            "parameters": {
                "type": "object",
                "properties": {"query": {"type": "string"}},
                "required": ["query"],
            },
        },
    },
    "calculator": {
        "type": "function",
        "function": {
            "name": "calculator",
            "description": "Evaluate arithmetic.",
            "parameters": {
                "type": "object",
                "properties": {"query": {"type": "string"}},
                "required": ["query"],
            },
        },
    },
}


def search(query: str) -> str:
    facts = {"paris": "Paris has about 2.1 million inhabitants.", "france": "France has 68 million people."}
    return next((v for k, v in facts.items() if k in query.lower()), "No result.")


def calculator(query: str) -> str:
    digits = [int(tok) for tok in query.replace("?", " ").split() if tok.isdigit()]
    return str(sum(digits)) if digits else "0"


TOOLS: dict[str, Callable[[str], str]] = {"search": search, "calculator": calculator}

SYSTEM = "You are a research assistant.\nUse tools when they help, then answer briefly."


def ask(client: openai.OpenAI, session: Session | None, question: str, tool_order: list[str]) -> str:
    """One agent turn: the model may call a tool, the agent runs it, the model answers."""
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": question},
    ]
    tools = [TOOL_SPECS[name] for name in tool_order]
    for _ in range(4):
        reply = client.chat.completions.create(
            model="gpt-4o-mini", messages=messages, tools=tools, temperature=0
        )  # type: ignore[arg-type]
        message = reply.choices[0].message
        if not message.tool_calls:
            return message.content or ""
        messages.append(message.model_dump(exclude_none=True))
        for call in message.tool_calls:
            args = json.loads(call.function.arguments)  # type: ignore[union-attr]
            started = time.perf_counter()
            output = TOOLS[call.function.name](**args)  # type: ignore[union-attr]
            if session is not None:
                session.record_tool_call(
                    call.function.name,  # type: ignore[union-attr]
                    args,
                    output,
                    call_id=call.id,
                    duration_ms=(time.perf_counter() - started) * 1000,
                )
            messages.append({"role": "tool", "tool_call_id": call.id, "content": output})
    raise RuntimeError("agent did not finish in 4 steps")


def run_agent(
    client: openai.OpenAI, session: Session | None = None, *, topic: str = "Paris", extra_check: bool = False
) -> str:
    """Two tool-using turns (three with `extra_check`), then a streamed summary."""
    fact = ask(client, session, f"How many people live in {topic}?", ["search", "calculator"])
    if extra_check:
        ask(client, session, f"Double-check: population of {topic}?", ["search"])
    total = ask(client, session, "What is 2 plus 40?", ["calculator", "search"])
    stream = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": f"Summarise: {fact} / {total}"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    with stream:
        return "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
