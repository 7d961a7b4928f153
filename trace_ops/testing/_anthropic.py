"""The Anthropic answers of the fake server: messages (plain, streamed, tool use, thinking), count_tokens."""

from __future__ import annotations

import json
from typing import Any

from trace_ops.testing._wire import (
    JSONDict,
    JsonReply,
    Reply,
    SseReply,
    as_dicts,
    count_words,
    first_tool_name,
    has_cache_control,
    hash_request,
    pieces,
    split_n,
    sse_event,
    sub_id,
    text_of,
    tool_arguments,
)

# --------------------------------------------------------------------------- Anthropic


def _anthropic_prompt_texts(body: JSONDict) -> list[str]:
    texts = [text_of(body.get("system"))]
    for message in as_dicts(body.get("messages")):
        content = message.get("content")
        texts.append(text_of(content))
        for block in as_dicts(content):
            if block.get("type") == "tool_result":
                texts.append(text_of(block.get("content")))
    return texts


def answer_messages(body: JSONDict) -> Reply:
    """``POST /v1/messages``: echo, tool_use, or tool-result answer (+ optional thinking)."""
    model = str(body.get("model", ""))
    h = hash_request(body)
    messages = as_dicts(body.get("messages"))
    tools_sent = body.get("tools")
    tools: list[Any] = tools_sent if isinstance(tools_sent, list) else []
    last = messages[-1] if messages else {}
    user_text = next((text_of(m.get("content")) for m in reversed(messages) if m.get("role") == "user"), "")
    tool_results = [b for b in as_dicts(last.get("content")) if b.get("type") == "tool_result"]
    tool_name = first_tool_name(tools)

    blocks: list[JSONDict] = []
    if "thinking" in model:
        blocks.append(
            {
                "type": "thinking",
                "thinking": "Thinking about it.",
                "signature": sub_id("sig_", h, "anthropic-signature"),
            }
        )
    if last.get("role") == "user" and tool_results:
        text = "Based on the tool result: " + text_of(tool_results[-1].get("content"))
        blocks.append({"type": "text", "text": text})
        stop_reason = "end_turn"
    elif last.get("role") == "user" and tool_name is not None:
        blocks.append({"type": "text", "text": "Let me look that up."})
        blocks.append(
            {
                "type": "tool_use",
                "id": sub_id("toolu_", h, "anthropic-tool-use"),
                "name": tool_name,
                "input": tool_arguments(tools, user_text),
            }
        )
        stop_reason = "tool_use"
    else:
        blocks.append({"type": "text", "text": "Echo: " + user_text})
        stop_reason = "end_turn"

    out_texts = [
        b.get("text") or b.get("thinking") or (json.dumps(b["input"]) if "input" in b else "") for b in blocks
    ]
    input_tokens = count_words(*_anthropic_prompt_texts(body))
    output_tokens = count_words(*out_texts)
    cached = has_cache_control(body)
    message_id = sub_id("msg_", h, "anthropic-message")
    headers = {"request-id": sub_id("req_", h, "anthropic-request")}

    def message(content: list[JSONDict], stop: str | None, out_tokens: int) -> JSONDict:
        return {
            "id": message_id,
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": content,
            "stop_reason": stop,
            "stop_sequence": None,
            "usage": {
                "input_tokens": input_tokens,
                "cache_creation_input_tokens": 5 if cached else 0,
                "cache_read_input_tokens": 3 if cached else 0,
                "output_tokens": out_tokens,
                "service_tier": "standard",
            },
        }

    if not body.get("stream"):
        return JsonReply(200, message(blocks, stop_reason, output_tokens), headers)

    events = [
        sse_event("message_start", {"type": "message_start", "message": message([], None, 1)}),
        sse_event("ping", {"type": "ping"}),
    ]

    def block_event(type_: str, index: int, **fields: Any) -> None:
        events.append(sse_event(type_, {"type": type_, "index": index, **fields}))

    for index, block in enumerate(blocks):
        kind = block["type"]
        if kind == "thinking":
            block_event(
                "content_block_start", index, content_block={**block, "thinking": "", "signature": ""}
            )
            for piece in pieces(block["thinking"]):
                block_event("content_block_delta", index, delta={"type": "thinking_delta", "thinking": piece})
            block_event(
                "content_block_delta",
                index,
                delta={"type": "signature_delta", "signature": block["signature"]},
            )
        elif kind == "tool_use":
            block_event("content_block_start", index, content_block={**block, "input": {}})
            for piece in ["", *split_n(json.dumps(block["input"]), 3)]:
                block_event(
                    "content_block_delta", index, delta={"type": "input_json_delta", "partial_json": piece}
                )
        else:
            block_event("content_block_start", index, content_block={**block, "text": ""})
            for piece in pieces(block["text"]):
                block_event("content_block_delta", index, delta={"type": "text_delta", "text": piece})
        block_event("content_block_stop", index)
    events.append(
        sse_event(
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": stop_reason, "stop_sequence": None},
                "usage": {"output_tokens": output_tokens},
            },
        )
    )
    events.append(sse_event("message_stop", {"type": "message_stop"}))
    return SseReply(events, headers)


def answer_count_tokens(body: JSONDict) -> Reply:
    """``POST /v1/messages/count_tokens``: same word count as ``usage.input_tokens``."""
    return JsonReply(200, {"input_tokens": count_words(*_anthropic_prompt_texts(body))})
