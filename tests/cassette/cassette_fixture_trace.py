"""The trace behind fixtures/pre_refactor.trace.yaml: every event kind and the format's corners."""

from __future__ import annotations

import json
from typing import Any

from trace_ops.trace import AgentDecision, ErrorEvent, Judgment, LLMCall, ToolCall, Trace


def _sse(*chunks: dict[str, Any]) -> str:
    return "".join(f"data: {json.dumps(c)}\n\n" for c in chunks) + "data: [DONE]\n\n"


def fixture_trace() -> Trace:
    """Fixed ids and times, so the cassette it saves is the same bytes every time."""
    chat = LLMCall(
        provider="openai",
        endpoint="chat.completions",
        request={
            "model": "gpt-4o",
            "messages": [
                {"role": "system", "content": "You are helpful.\nBe brief."},
                {"role": "user", "content": "Weather in Zürich? 🌦 \u2028 ok"},
            ],
            "temperature": 0.2,
            "tools": [
                {"type": "function", "function": {"name": "weather", "parameters": {"type": "object"}}}
            ],
        },
        response={
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": 1700000000,
            "model": "gpt-4o-2024-08-06",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": "Sunny ☀️ and 🌦\nLine two.", "refusal": None},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 12, "completion_tokens": 5, "total_tokens": 17},
        },
        headers={"x-request-id": "req_1"},
        started_at="2026-01-02T03:04:05.000006Z",
        duration_ms=12.346,
    )
    stream = LLMCall(
        provider="openai",
        endpoint="chat.completions",
        request={
            "model": "gpt-4o",
            "messages": [{"role": "user", "content": "Use the tool"}],
            "stream": True,
        },
        stream=_sse(
            {"choices": [{"index": 0, "delta": {"role": "assistant", "content": "Checking"}}]},
            {
                "choices": [
                    {
                        "index": 0,
                        "delta": {
                            "tool_calls": [
                                {
                                    "index": 0,
                                    "id": "call_1",
                                    "type": "function",
                                    "function": {"name": "weather", "arguments": '{"city": '},
                                }
                            ]
                        },
                    }
                ]
            },
            {
                "choices": [
                    {
                        "index": 0,
                        "delta": {"tool_calls": [{"index": 0, "function": {"arguments": '"Bern"}'}}]},
                    }
                ]
            },
            {"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]},
        ),
        ttft_ms=1.5,
        duration_ms=4.0,
    )
    failed = LLMCall(
        provider="anthropic",
        endpoint="messages",
        request={
            "model": "claude-x",
            "system": "Be terse.",
            "messages": [{"role": "user", "content": "Hi"}],
            "max_tokens": 64,
        },
        status=429,
        error={"type": "RateLimitError", "message": "slow down"},
        incomplete=True,
    )
    return Trace(
        events=[
            chat,
            ToolCall(
                name="weather",
                input={"city": "Bern"},
                output=["sunny", 21.5],
                call_id="call_1",
                duration_ms=3.0,
            ),
            AgentDecision(decision="route", detail={"to": "billing", "why": "two\nlines"}),
            stream,
            failed,
            ErrorEvent(
                error_type="ValueError", message="boom: multi\nline", started_at="2026-01-02T03:04:06Z"
            ),
            Judgment(
                name="helpful", verdict="pass", score=0.75, reasoning="Answered.\nBriefly.", intent="answer"
            ),
        ],
        id="trace-fixture-1",
        created_at="2026-01-02T03:04:05Z",
        trace_ops_version="0.0.0-fixture",
        sdk_versions={"openai": "3.54.0", "anthropic": "0.40.0"},
        price_data="2026-01-01",
        tags=["smoke", "fixture"],
        metadata={"suite": "cassette", "nested": {"n": 1, "flag": True, "none": None}},
    )
