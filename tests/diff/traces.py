"""Hand-built traces for the diff, assertion and cost tests (wire dicts as providers send them)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from trace_ops.trace import LLMCall, ToolCall


def chat(
    model: str = "gpt-4o",
    text: str = "ok",
    *,
    prompt: str | list[dict[str, Any]] = "hi",
    input_tokens: int = 100,
    output_tokens: int = 20,
    cached: int = 0,
    reasoning: int = 0,
    usage: bool = True,
    tool_calls: Sequence[tuple[str, dict[str, Any]]] = (),
    finish: str | None = None,
    provider: str = "openai",
    response_id: str = "chatcmpl-1",
    started_at: str | None = "2026-11-01T10:00:00.000Z",
    duration_ms: float | None = None,
) -> LLMCall:
    """An OpenAI chat completion: request, wire response with usage, optional tool calls."""
    messages = [{"role": "user", "content": prompt}] if isinstance(prompt, str) else prompt
    message: dict[str, Any] = {"role": "assistant", "content": text}
    if tool_calls:
        message["tool_calls"] = [
            {
                "id": f"call_{response_id}_{n}",
                "type": "function",
                "function": {"name": name, "arguments": json.dumps(args)},
            }
            for n, (name, args) in enumerate(tool_calls)
        ]
    default_finish = "tool_calls" if tool_calls else "stop"
    body: dict[str, Any] = {
        "id": response_id,
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": model,
        "system_fingerprint": f"fp_{response_id}",
        "choices": [{"index": 0, "message": message, "finish_reason": finish or default_finish}],
    }
    if usage:
        body["usage"] = {
            "prompt_tokens": input_tokens,
            "completion_tokens": output_tokens,
            "total_tokens": input_tokens + output_tokens,
            "prompt_tokens_details": {"cached_tokens": cached},
            "completion_tokens_details": {"reasoning_tokens": reasoning},
        }
    return LLMCall(
        provider=provider,
        endpoint="chat.completions",
        request={"model": model, "messages": messages, "temperature": 0},
        response=body,
        fingerprint=f"fp-{response_id}",
        headers={"x-request-id": f"req_{response_id}"},
        started_at=started_at,
        duration_ms=duration_ms,
    )


def failed_chat(model: str = "gpt-4o", status: int = 429, prompt: str = "hi") -> LLMCall:
    """A chat completion the provider refused (HTTP error body, no usage)."""
    return LLMCall(
        provider="openai",
        endpoint="chat.completions",
        request={"model": model, "messages": [{"role": "user", "content": prompt}]},
        response={"error": {"message": "Rate limit reached", "type": "requests", "code": "rate_limit"}},
        status=status,
        duration_ms=5.0,
    )


def anthropic(
    model: str = "claude-3-5-sonnet-20241022",
    text: str = "ok",
    *,
    input_tokens: int = 100,
    output_tokens: int = 20,
    cache_read: int = 0,
    cache_write: int = 0,
    tool_uses: Sequence[tuple[str, dict[str, Any]]] = (),
    started_at: str | None = "2026-11-01T10:00:00.000Z",
) -> LLMCall:
    """An Anthropic message: `input_tokens` excludes cache reads/writes, as Anthropic reports it."""
    content: list[dict[str, Any]] = [{"type": "text", "text": text}]
    content += [
        {"type": "tool_use", "id": f"toolu_{n}", "name": name, "input": args}
        for n, (name, args) in enumerate(tool_uses)
    ]
    return LLMCall(
        provider="anthropic",
        endpoint="messages",
        request={"model": model, "max_tokens": 1024, "messages": [{"role": "user", "content": "hi"}]},
        response={
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": content,
            "stop_reason": "tool_use" if tool_uses else "end_turn",
            "usage": {
                "input_tokens": input_tokens,
                "output_tokens": output_tokens,
                "cache_read_input_tokens": cache_read,
                "cache_creation_input_tokens": cache_write,
            },
        },
        started_at=started_at,
    )


def tool(
    name: str,
    input: Any = None,
    output: Any = "result",
    *,
    error: str | None = None,
    duration_ms: float | None = None,
    call_id: str | None = None,
) -> ToolCall:
    return ToolCall(
        name=name, input=input, output=output, error=error, duration_ms=duration_ms, call_id=call_id
    )
