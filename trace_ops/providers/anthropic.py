"""Anthropic's wire format: messages, plain and streamed (`message_start` … `message_delta` events)."""

from __future__ import annotations

from typing import Any

from trace_ops.providers import openai as compatible
from trace_ops.providers._base import Provider, count, json_or_text
from trace_ops.view import ResponseView, ToolCallRequest, Usage


def usage(u: Any) -> Usage | None:
    """Token counts; `input_tokens` excludes the cache reads and writes, counted apart."""
    if not isinstance(u, dict):
        return None
    return Usage(
        input_tokens=count(u.get("input_tokens")),
        output_tokens=count(u.get("output_tokens")),
        cached_tokens=count(u.get("cache_read_input_tokens")),
        cache_write_tokens=count(u.get("cache_creation_input_tokens")),
    )


def message_view(body: dict[str, Any]) -> ResponseView:
    text: list[str] = []
    calls: list[ToolCallRequest] = []
    for block in body.get("content") or []:
        if not isinstance(block, dict):
            continue
        if block.get("type") == "text":
            text.append(str(block.get("text", "")))
        elif block.get("type") == "tool_use":
            calls.append(ToolCallRequest(str(block.get("name", "")), block.get("input"), block.get("id")))
    return ResponseView(
        body.get("model"),
        "".join(text),
        tuple(calls),
        body.get("stop_reason"),
        usage(body.get("usage")),
    )


def stream_view(endpoint: str, chunks: list[Any]) -> ResponseView:
    """The message the events build, read as a plain one."""
    message: dict[str, Any] = {}
    blocks: dict[int, dict[str, Any]] = {}
    totals: dict[str, Any] = {}
    for chunk in chunks:
        if not isinstance(chunk, dict):
            continue
        kind = chunk.get("type")
        if kind == "message_start":
            message = dict(chunk.get("message") or {})
            totals.update(message.get("usage") or {})
        elif kind == "content_block_start":
            block = dict(chunk.get("content_block") or {})
            if block.get("type") == "tool_use":
                block["_json"] = ""
            blocks[chunk.get("index", 0)] = block
        elif kind == "content_block_delta":
            block = blocks.setdefault(chunk.get("index", 0), {"type": "text", "text": ""})
            delta = chunk.get("delta") or {}
            if delta.get("type") == "text_delta":
                block["text"] = block.get("text", "") + str(delta.get("text", ""))
            elif delta.get("type") == "input_json_delta":
                block["_json"] = block.get("_json", "") + str(delta.get("partial_json", ""))
        elif kind == "message_delta":
            message.update({k: v for k, v in (chunk.get("delta") or {}).items() if v is not None})
            totals.update({k: v for k, v in (chunk.get("usage") or {}).items() if v is not None})
    content = []
    for _, block in sorted(blocks.items()):
        if "_json" in block:
            raw = block.pop("_json")
            block["input"] = json_or_text(raw) if raw else block.get("input", {})
        content.append(block)
    message["content"] = content
    message["usage"] = totals
    return message_view(message)


def view(endpoint: str, body: dict[str, Any]) -> ResponseView:
    """A message; other endpoints (count_tokens, models) are read as OpenAI-compatible ones are."""
    return message_view(body) if endpoint == "messages" else compatible.view(endpoint, body)


def owns_body(body: dict[str, Any]) -> bool:
    return body.get("type") == "message"


PROVIDER = Provider(
    name="anthropic",
    view=view,
    stream_view=stream_view,
    body_view=message_view,
    owns_body=owns_body,
    finish_aliases={
        "end_turn": "stop",
        "stop_sequence": "stop",
        "tool_use": "tool_calls",
        "max_tokens": "length",
    },
    input_excludes_cache=True,
)
