"""LangChain's format: chat-model answers recorded at the `BaseChatModel` layer.

A call's `response` is the model's `ChatResult` as plain data (`generations[].message` in
LangChain's own `message_to_dict` form), a stream one chunk per SSE event. Read here without
LangChain installed. Priced by model name: `langchain` is no provider of genai-prices, and
`usage_metadata.input_tokens` already includes cache reads, as genai-prices wants.
"""

from __future__ import annotations

from typing import Any

from trace_ops.providers._base import Provider, count, json_or_text
from trace_ops.view import ResponseView, ToolCallRequest, Usage

NAME = "langchain"


def _data(message: Any) -> dict[str, Any]:
    """The fields of a `message_to_dict` mapping (`{"type": "ai", "data": {...}}`)."""
    if not isinstance(message, dict):
        return {}
    data = message.get("data")
    return data if isinstance(data, dict) else {}


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content blocks (Anthropic, v1 output): their text parts
        return "".join(
            str(block.get("text", ""))
            for block in content
            if isinstance(block, dict) and block.get("type") in (None, "text")
        ) + "".join(block for block in content if isinstance(block, str))
    return ""


def _usage(raw: Any) -> Usage | None:
    if not isinstance(raw, dict):
        return None
    inputs = raw.get("input_token_details") or {}
    outputs = raw.get("output_token_details") or {}
    return Usage(
        input_tokens=count(raw.get("input_tokens")),
        output_tokens=count(raw.get("output_tokens")),
        cached_tokens=count(inputs.get("cache_read")),
        cache_write_tokens=count(inputs.get("cache_creation")),
        reasoning_tokens=count(outputs.get("reasoning")),
    )


def _model(metadata: dict[str, Any]) -> str | None:
    model = metadata.get("model_name") or metadata.get("model")
    return model if isinstance(model, str) else None


def _finish(metadata: dict[str, Any], calls: tuple[ToolCallRequest, ...]) -> str | None:
    reason = metadata.get("finish_reason") or metadata.get("stop_reason")
    if isinstance(reason, str):
        return reason
    return "tool_calls" if calls else None


def view(endpoint: str, body: dict[str, Any]) -> ResponseView:
    generations = body.get("generations") or [{}]
    first = generations[0] if isinstance(generations[0], dict) else {}
    data = _data(first.get("message"))
    metadata = data.get("response_metadata") or {}
    calls = tuple(
        ToolCallRequest(name=str(tc.get("name", "")), arguments=tc.get("args"), id=tc.get("id"))
        for tc in data.get("tool_calls") or []
        if isinstance(tc, dict)
    )
    return ResponseView(
        model=_model(metadata),
        text=_text(data.get("content")),
        tool_calls=calls,
        finish_reason=_finish(metadata, calls),
        usage=_usage(data.get("usage_metadata")),
    )


def stream_view(endpoint: str, chunks: list[Any]) -> ResponseView:
    """Chunks merged as LangChain adds `AIMessageChunk`s: text joined, tool-call chunks joined
    by index, usage summed, the last model name and finish reason kept."""
    text: list[str] = []
    calls: dict[Any, dict[str, Any]] = {}
    model = finish = None
    totals: dict[str, int] | None = None
    for chunk in chunks:
        if not isinstance(chunk, dict):
            continue
        data = _data(chunk.get("message"))
        text.append(_text(data.get("content")))
        for position, part in enumerate(data.get("tool_call_chunks") or []):
            if not isinstance(part, dict):
                continue
            key = part.get("index", position)
            slot = calls.setdefault(key, {"name": "", "args": "", "id": None})
            slot["name"] += part.get("name") or ""
            slot["args"] += part.get("args") or ""
            slot["id"] = slot["id"] or part.get("id")
        metadata = data.get("response_metadata") or {}
        model = _model(metadata) or model
        reason = metadata.get("finish_reason") or metadata.get("stop_reason")
        finish = reason if isinstance(reason, str) else finish
        usage = data.get("usage_metadata")
        if isinstance(usage, dict):
            totals = totals or {}
            for key in ("input_tokens", "output_tokens"):
                totals[key] = totals.get(key, 0) + count(usage.get(key))
    requests = tuple(
        ToolCallRequest(name=c["name"], arguments=json_or_text(c["args"] or "{}"), id=c["id"])
        for c in calls.values()
    )
    return ResponseView(
        model=model,
        text="".join(text),
        tool_calls=requests,
        finish_reason=finish or ("tool_calls" if requests else None),
        usage=_usage(totals),
    )


def owns_body(body: dict[str, Any]) -> bool:
    return "generations" in body and "choices" not in body


PROVIDER = Provider(
    name=NAME,
    view=view,
    stream_view=stream_view,
    body_view=lambda body: view("", body),
    owns_body=owns_body,
    finish_aliases={"end_turn": "stop", "tool_use": "tool_calls", "max_tokens": "length"},
)
