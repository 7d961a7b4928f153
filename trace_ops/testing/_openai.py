"""The OpenAI answers of the fake server: chat completions, responses and embeddings."""

from __future__ import annotations

import base64
import hashlib
import json
import struct
from typing import Any, cast

from trace_ops.testing._wire import (
    CREATED,
    JSONDict,
    JsonReply,
    Reply,
    SseReply,
    as_dicts,
    count_words,
    first_tool_name,
    hash_request,
    pieces,
    split_n,
    sse_data,
    sse_event,
    sub_id,
    text_of,
    tool_arguments,
)

EMBEDDING_DIMS = 8


# --------------------------------------------------------------------------- OpenAI chat


def _structured(response_format: Any, text: str) -> str:
    """With a `json_schema` response format, a JSON object filling each string property with `text`."""
    if not isinstance(response_format, dict) or response_format.get("type") != "json_schema":
        return text
    schema = (response_format.get("json_schema") or {}).get("schema") or {}
    properties = schema.get("properties") if isinstance(schema, dict) else None
    if not isinstance(properties, dict):
        return json.dumps({"answer": text})
    filled = {
        name: text if (spec or {}).get("type") == "string" else len(text)
        for name, spec in properties.items()
        if isinstance(spec, dict)
    }
    return json.dumps(filled)


def answer_chat_completions(body: JSONDict) -> Reply:
    """``POST /v1/chat/completions``: echo, tool call, or tool-result answer."""
    model = str(body.get("model", ""))
    h = hash_request(body)
    messages = as_dicts(body.get("messages"))
    tools = body.get("tools") if isinstance(body.get("tools"), list) else []
    last = messages[-1] if messages else {}
    user_text = next((text_of(m.get("content")) for m in reversed(messages) if m.get("role") == "user"), "")
    tool_name = first_tool_name(cast(list[Any], tools))

    content: str | None
    tool_calls: list[JSONDict] | None = None
    if tool_name is not None and last.get("role") == "user":
        arguments = json.dumps(tool_arguments(cast(list[Any], tools), user_text))
        tool_calls = [
            {
                "id": sub_id("call_", h, "chat-tool-call", 8),
                "type": "function",
                "function": {"name": tool_name, "arguments": arguments},
            }
        ]
        content, finish_reason, out_text = None, "tool_calls", arguments
    else:
        if last.get("role") == "tool":
            content = "Based on the tool result: " + text_of(last.get("content"))
        else:
            content = _structured(body.get("response_format"), "Echo: " + user_text)
        finish_reason, out_text = "stop", content

    prompt_tokens = count_words(*(text_of(m.get("content")) for m in messages))
    completion_tokens = count_words(out_text)
    usage = {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }
    completion_id = "chatcmpl-" + h[:12]
    headers = {"x-request-id": sub_id("req_", h, "chat-request")}

    if not body.get("stream"):
        message: JSONDict = {"role": "assistant", "content": content, "refusal": None, "annotations": []}
        if tool_calls is not None:
            message["tool_calls"] = tool_calls
        return JsonReply(
            200,
            {
                "id": completion_id,
                "object": "chat.completion",
                "created": CREATED,
                "model": model,
                "choices": [
                    {"index": 0, "message": message, "logprobs": None, "finish_reason": finish_reason}
                ],
                "usage": usage,
                "service_tier": "default",
                "system_fingerprint": "fp_fake",
            },
            headers,
        )

    stream_options = body.get("stream_options")
    include_usage = isinstance(stream_options, dict) and bool(stream_options.get("include_usage"))

    def frame(choices: list[JSONDict], chunk_usage: JSONDict | None) -> bytes:
        payload: JSONDict = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": CREATED,
            "model": model,
            "service_tier": "default",
            "system_fingerprint": "fp_fake",
            "choices": choices,
        }
        if include_usage:
            payload["usage"] = chunk_usage
        return sse_data(payload)

    def chunk(delta: JSONDict, finish: str | None = None) -> bytes:
        return frame([{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}], None)

    # Tool-call streams start with content null (as the real API does) so the
    # reassembled message matches the plain answer.
    events = [chunk({"role": "assistant", "content": "" if tool_calls is None else None, "refusal": None})]
    if tool_calls is not None:
        call = tool_calls[0]
        fn = call["function"]
        first = {
            "index": 0,
            "id": call["id"],
            "type": "function",
            "function": {"name": fn["name"], "arguments": ""},
        }
        events.append(chunk({"tool_calls": [first]}))
        for piece in split_n(fn["arguments"], 3):
            events.append(chunk({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]}))
    else:
        for piece in pieces(content or ""):
            events.append(chunk({"content": piece}))
    events.append(chunk({}, finish_reason))
    if include_usage:
        events.append(frame([], usage))  # the usage chunk: no choices
    events.append(sse_data("[DONE]"))
    return SseReply(events, headers)


# --------------------------------------------------------------------------- OpenAI responses


def answer_responses(body: JSONDict) -> Reply:
    """``POST /v1/responses``: same decision logic as chat, Responses API shapes."""
    model = str(body.get("model", ""))
    h = hash_request(body)
    raw_input = body.get("input")
    items: list[JSONDict] = (
        [{"role": "user", "content": raw_input}] if isinstance(raw_input, str) else as_dicts(raw_input)
    )
    tools_sent = body.get("tools")
    tools: list[Any] = tools_sent if isinstance(tools_sent, list) else []
    instructions = body.get("instructions")
    last = items[-1] if items else {}
    user_text = next((text_of(i.get("content")) for i in reversed(items) if i.get("role") == "user"), "")
    tool_name = first_tool_name(tools)

    prompt_texts: list[str] = [instructions] if isinstance(instructions, str) else []
    for item in items:
        prompt_texts.append(text_of(item.get("content")))
        if item.get("type") == "function_call_output":
            prompt_texts.append(text_of(item.get("output")))

    response_id = sub_id("resp_", h, "responses-response")
    out_item: JSONDict
    if tool_name is not None and last.get("role") == "user":
        arguments = json.dumps(tool_arguments(tools, user_text))
        out_item = {
            "type": "function_call",
            "id": sub_id("fc_", h, "responses-function-call"),
            "call_id": sub_id("call_", h, "responses-call-id"),
            "name": tool_name,
            "arguments": arguments,
            "status": "completed",
        }
        out_text = arguments
    else:
        if last.get("type") == "function_call_output":
            text = "Based on the tool result: " + text_of(last.get("output"))
        else:
            text = "Echo: " + user_text
        out_item = {
            "type": "message",
            "id": sub_id("msg_", h, "responses-message"),
            "status": "completed",
            "role": "assistant",
            "content": [{"type": "output_text", "text": text, "annotations": [], "logprobs": []}],
        }
        out_text = text

    input_tokens = count_words(*prompt_texts)
    output_tokens = count_words(out_text)

    def response(status: str, output: list[JSONDict], with_usage: bool) -> JSONDict:
        return {
            "id": response_id,
            "object": "response",
            "created_at": CREATED,
            "status": status,
            "model": model,
            "output": output,
            "parallel_tool_calls": True,
            "tool_choice": body.get("tool_choice", "auto"),
            "tools": tools,
            "usage": {
                "input_tokens": input_tokens,
                "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
                "output_tokens": output_tokens,
                "output_tokens_details": {"reasoning_tokens": 0},
                "total_tokens": input_tokens + output_tokens,
            }
            if with_usage
            else None,
            "error": None,
            "incomplete_details": None,
            "instructions": instructions if isinstance(instructions, str) else None,
            "metadata": {},
            "temperature": 1.0,
            "top_p": 1.0,
            "text": {"format": {"type": "text"}},
            "truncation": "disabled",
        }

    headers = {"x-request-id": sub_id("req_", h, "responses-request")}
    if not body.get("stream"):
        return JsonReply(200, response("completed", [out_item], True), headers)

    events: list[bytes] = []

    def emit(type_: str, **fields: Any) -> None:
        events.append(sse_event(type_, {"type": type_, "sequence_number": len(events), **fields}))

    emit("response.created", response=response("in_progress", [], False))
    emit("response.in_progress", response=response("in_progress", [], False))
    item_id = out_item["id"]
    if out_item["type"] == "function_call":
        emit(
            "response.output_item.added",
            output_index=0,
            item={**out_item, "arguments": "", "status": "in_progress"},
        )
        for piece in split_n(out_item["arguments"], 3):
            emit("response.function_call_arguments.delta", item_id=item_id, output_index=0, delta=piece)
        emit(
            "response.function_call_arguments.done",
            item_id=item_id,
            output_index=0,
            arguments=out_item["arguments"],
        )
    else:
        text = out_item["content"][0]["text"]
        part = {"type": "output_text", "text": "", "annotations": [], "logprobs": []}
        loc = {"item_id": item_id, "output_index": 0, "content_index": 0}
        emit(
            "response.output_item.added",
            output_index=0,
            item={**out_item, "status": "in_progress", "content": []},
        )
        emit("response.content_part.added", **loc, part=part)
        for piece in pieces(text):
            emit("response.output_text.delta", **loc, delta=piece, logprobs=[])
        emit("response.output_text.done", **loc, text=text, logprobs=[])
        emit("response.content_part.done", **loc, part={**part, "text": text})
    emit("response.output_item.done", output_index=0, item=out_item)
    emit("response.completed", response=response("completed", [out_item], True))
    return SseReply(events, headers)


# --------------------------------------------------------------------------- OpenAI embeddings


def _embedding(text: str) -> list[float]:
    """8 values in [-1, 1) from sha256(text).

    Why multiples of 1/64: they are exact in float32 and have <= 6 decimals, so the
    base64 (float32) and float encodings decode to identical numbers.
    """
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return [round((digest[i] % 128 - 64) / 64, 6) for i in range(EMBEDDING_DIMS)]


def answer_embeddings(body: JSONDict) -> Reply:
    """``POST /v1/embeddings``: hash-derived vectors, base64 float32 when asked."""
    raw = body.get("input")
    inputs: list[Any] = raw if isinstance(raw, list) else [raw]
    # A list of ints is a single tokenised input, not a batch.
    if inputs and all(isinstance(x, int) for x in inputs):
        inputs = [inputs]
    texts = [x if isinstance(x, str) else json.dumps(x) for x in inputs]
    as_base64 = body.get("encoding_format") == "base64"
    data: list[JSONDict] = []
    for index, text in enumerate(texts):
        vector = _embedding(text)
        encoded: list[float] | str = (
            base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode("ascii")
            if as_base64
            else vector
        )
        data.append({"object": "embedding", "index": index, "embedding": encoded})
    tokens = count_words(*texts)
    h = hash_request(body)
    return JsonReply(
        200,
        {
            "object": "list",
            "data": data,
            "model": str(body.get("model", "")),
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        },
        {"x-request-id": sub_id("req_", h, "embeddings-request")},
    )
