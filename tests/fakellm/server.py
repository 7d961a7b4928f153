"""A deterministic fake LLM HTTP server speaking the OpenAI and Anthropic wire formats.

Why: record/replay tests and the demo need real SDK clients talking real HTTP
(headers, status codes, chunked SSE) without network access, API keys, cost or
flakiness.  Every answer is a pure function of the request body, so two
identical requests always produce byte-identical response bodies.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import re
import socket
import struct
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, cast

__all__ = ["FakeLLMServer"]

JSONDict = dict[str, Any]

CREATED = 1700000000
"""Fixed timestamp used for every ``created`` / ``created_at`` field (determinism)."""

FIXED_HTTP_DATE = "Tue, 14 Nov 2023 22:13:20 GMT"
"""The ``Date`` header, pinned to ``CREATED`` so recorded headers are reproducible too."""

EMBEDDING_DIMS = 8

_ERROR_MODELS: dict[str, int] = {"error-429": 429, "error-500": 500, "error-400": 400}

_OPENAI_ERRORS: dict[int, tuple[str, str, str | None]] = {
    429: ("Rate limit reached (injected by fakellm).", "requests", "rate_limit_exceeded"),
    500: ("The server had an error (injected by fakellm).", "server_error", None),
    400: ("Invalid request (injected by fakellm).", "invalid_request_error", "invalid_value"),
}

_ANTHROPIC_ERRORS: dict[int, tuple[str, str]] = {
    429: ("rate_limit_error", "Rate limit reached (injected by fakellm)."),
    500: ("api_error", "Internal server error (injected by fakellm)."),
    400: ("invalid_request_error", "Invalid request (injected by fakellm)."),
}


# --------------------------------------------------------------------------- helpers


@dataclass
class _JsonReply:
    """A plain JSON answer (sent with Content-Length)."""

    status: int
    body: JSONDict
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class _SseReply:
    """A streamed answer: each pre-encoded SSE event becomes one HTTP chunk."""

    events: list[bytes]
    headers: dict[str, str] = field(default_factory=dict)


_Reply = _JsonReply | _SseReply


def _request_hash(body: JSONDict) -> str:
    """Hash the canonical request JSON, ignoring streaming flags.

    Why ignore them: a streamed and a plain call with the same prompt should get
    the same ids, so tests can compare the reassembled stream to the plain answer.
    """
    canon = {k: v for k, v in body.items() if k not in ("stream", "stream_options")}
    raw = json.dumps(canon, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def _sub_id(prefix: str, request_hash: str, label: str, n: int = 24) -> str:
    """Derive a distinct, stable id for one object in a response.

    Labels are endpoint-specific so identical bodies sent to different endpoints
    (e.g. ``{"model","input"}`` to /responses and /embeddings) never share ids.
    """
    return prefix + hashlib.sha256(f"{label}:{request_hash}".encode()).hexdigest()[:n]


def _words(text: str) -> int:
    return len(text.split())


def _count(*texts: str) -> int:
    """Whitespace word count of all texts, at least 1 (a real API never reports 0)."""
    return max(1, sum(_words(t) for t in texts))


def _pieces(text: str) -> list[str]:
    """Split into word-sized pieces that keep whitespace: ``"".join(pieces) == text``."""
    return re.findall(r"^\s+|\S+\s*", text)


def _split_n(text: str, n: int) -> list[str]:
    """Split a string into up to ``n`` roughly equal non-empty slices."""
    if not text:
        return []
    size = max(1, -(-len(text) // n))
    return [text[i : i + size] for i in range(0, len(text), size)]


def _text_of(content: Any) -> str:
    """Text of a message ``content``: a string, or a list of parts with ``text`` keys."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts: list[str] = []
        for part in content:
            if isinstance(part, str):
                parts.append(part)
            elif isinstance(part, dict) and isinstance(part.get("text"), str):
                parts.append(part["text"])
        return " ".join(parts)
    return ""


def _tool_name(tools: list[Any]) -> str | None:
    """Name of the first named tool (chat shape ``function.name`` or flat ``name``)."""
    for tool in tools:
        if not isinstance(tool, dict):
            continue
        fn = tool.get("function")
        if isinstance(fn, dict) and isinstance(fn.get("name"), str):
            return cast(str, fn["name"])
        if isinstance(tool.get("name"), str):
            return cast(str, tool["name"])
    return None


def _as_dicts(value: Any) -> list[JSONDict]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _has_cache_control(value: Any) -> bool:
    if isinstance(value, dict):
        if value.get("cache_control") is not None:
            return True
        return any(_has_cache_control(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_cache_control(v) for v in value)
    return False


def _sse_data(payload: JSONDict | str) -> bytes:
    """An SSE event with only a ``data:`` line (chat completions style)."""
    data = payload if isinstance(payload, str) else json.dumps(payload)
    return f"data: {data}\n\n".encode()


def _sse_event(event: str, payload: JSONDict) -> bytes:
    """An SSE event with ``event:`` and ``data:`` lines (responses / anthropic style)."""
    return f"event: {event}\ndata: {json.dumps(payload)}\n\n".encode()


def _openai_error(status: int, message: str, type_: str, code: str | None) -> _JsonReply:
    body = {"error": {"message": message, "type": type_, "param": None, "code": code}}
    return _JsonReply(status, body, _retry_headers(status))


def _anthropic_error(status: int, type_: str, message: str) -> _JsonReply:
    body = {"type": "error", "error": {"type": type_, "message": message}}
    return _JsonReply(status, body, _retry_headers(status))


def _retry_headers(status: int) -> dict[str, str]:
    """Make SDK retries (if a test leaves them on) near-instant instead of ~1 s backoff."""
    return {"retry-after-ms": "1"} if status in (429, 500) else {}


def _injected_error(body: JSONDict, anthropic: bool) -> _JsonReply | None:
    status = _ERROR_MODELS.get(str(body.get("model", "")))
    if status is None:
        return None
    if anthropic:
        return _anthropic_error(status, *_ANTHROPIC_ERRORS[status])
    return _openai_error(status, *_OPENAI_ERRORS[status])


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


def _chat_completions(body: JSONDict) -> _Reply:
    """``POST /v1/chat/completions``: echo, tool call, or tool-result answer."""
    model = str(body.get("model", ""))
    h = _request_hash(body)
    messages = _as_dicts(body.get("messages"))
    tools = body.get("tools") if isinstance(body.get("tools"), list) else []
    last = messages[-1] if messages else {}
    user_text = next((_text_of(m.get("content")) for m in reversed(messages) if m.get("role") == "user"), "")
    tool_name = _tool_name(cast(list[Any], tools))

    content: str | None
    tool_calls: list[JSONDict] | None = None
    if tool_name is not None and last.get("role") == "user":
        arguments = json.dumps({"query": user_text})
        tool_calls = [
            {
                "id": _sub_id("call_", h, "chat-tool-call", 8),
                "type": "function",
                "function": {"name": tool_name, "arguments": arguments},
            }
        ]
        content, finish_reason, out_text = None, "tool_calls", arguments
    else:
        if last.get("role") == "tool":
            content = "Based on the tool result: " + _text_of(last.get("content"))
        else:
            content = _structured(body.get("response_format"), "Echo: " + user_text)
        finish_reason, out_text = "stop", content

    prompt_tokens = _count(*(_text_of(m.get("content")) for m in messages))
    completion_tokens = _count(out_text)
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
    headers = {"x-request-id": _sub_id("req_", h, "chat-request")}

    if not body.get("stream"):
        message: JSONDict = {"role": "assistant", "content": content, "refusal": None, "annotations": []}
        if tool_calls is not None:
            message["tool_calls"] = tool_calls
        return _JsonReply(
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

    def chunk(delta: JSONDict, finish: str | None = None) -> bytes:
        payload: JSONDict = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": CREATED,
            "model": model,
            "service_tier": "default",
            "system_fingerprint": "fp_fake",
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
        }
        if include_usage:
            payload["usage"] = None
        return _sse_data(payload)

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
        for piece in _split_n(fn["arguments"], 3):
            events.append(chunk({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]}))
    else:
        for piece in _pieces(content or ""):
            events.append(chunk({"content": piece}))
    events.append(chunk({}, finish_reason))
    if include_usage:
        events.append(
            _sse_data(
                {
                    "id": completion_id,
                    "object": "chat.completion.chunk",
                    "created": CREATED,
                    "model": model,
                    "service_tier": "default",
                    "system_fingerprint": "fp_fake",
                    "choices": [],
                    "usage": usage,
                }
            )
        )
    events.append(_sse_data("[DONE]"))
    return _SseReply(events, headers)


# --------------------------------------------------------------------------- OpenAI responses


def _responses(body: JSONDict) -> _Reply:
    """``POST /v1/responses``: same decision logic as chat, Responses API shapes."""
    model = str(body.get("model", ""))
    h = _request_hash(body)
    raw_input = body.get("input")
    items: list[JSONDict] = (
        [{"role": "user", "content": raw_input}] if isinstance(raw_input, str) else _as_dicts(raw_input)
    )
    tools_sent = body.get("tools")
    tools: list[Any] = tools_sent if isinstance(tools_sent, list) else []
    instructions = body.get("instructions")
    last = items[-1] if items else {}
    user_text = next((_text_of(i.get("content")) for i in reversed(items) if i.get("role") == "user"), "")
    tool_name = _tool_name(tools)

    prompt_texts: list[str] = [instructions] if isinstance(instructions, str) else []
    for item in items:
        prompt_texts.append(_text_of(item.get("content")))
        if item.get("type") == "function_call_output":
            prompt_texts.append(_text_of(item.get("output")))

    response_id = _sub_id("resp_", h, "responses-response")
    out_item: JSONDict
    if tool_name is not None and last.get("role") == "user":
        arguments = json.dumps({"query": user_text})
        out_item = {
            "type": "function_call",
            "id": _sub_id("fc_", h, "responses-function-call"),
            "call_id": _sub_id("call_", h, "responses-call-id"),
            "name": tool_name,
            "arguments": arguments,
            "status": "completed",
        }
        out_text = arguments
    else:
        if last.get("type") == "function_call_output":
            text = "Based on the tool result: " + _text_of(last.get("output"))
        else:
            text = "Echo: " + user_text
        out_item = {
            "type": "message",
            "id": _sub_id("msg_", h, "responses-message"),
            "status": "completed",
            "role": "assistant",
            "content": [{"type": "output_text", "text": text, "annotations": [], "logprobs": []}],
        }
        out_text = text

    input_tokens = _count(*prompt_texts)
    output_tokens = _count(out_text)

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

    headers = {"x-request-id": _sub_id("req_", h, "responses-request")}
    if not body.get("stream"):
        return _JsonReply(200, response("completed", [out_item], True), headers)

    events: list[bytes] = []

    def emit(type_: str, **fields: Any) -> None:
        events.append(_sse_event(type_, {"type": type_, "sequence_number": len(events), **fields}))

    emit("response.created", response=response("in_progress", [], False))
    emit("response.in_progress", response=response("in_progress", [], False))
    item_id = out_item["id"]
    if out_item["type"] == "function_call":
        emit(
            "response.output_item.added",
            output_index=0,
            item={**out_item, "arguments": "", "status": "in_progress"},
        )
        for piece in _split_n(out_item["arguments"], 3):
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
        for piece in _pieces(text):
            emit("response.output_text.delta", **loc, delta=piece, logprobs=[])
        emit("response.output_text.done", **loc, text=text, logprobs=[])
        emit("response.content_part.done", **loc, part={**part, "text": text})
    emit("response.output_item.done", output_index=0, item=out_item)
    emit("response.completed", response=response("completed", [out_item], True))
    return _SseReply(events, headers)


# --------------------------------------------------------------------------- OpenAI embeddings


def _embedding(text: str) -> list[float]:
    """8 values in [-1, 1) from sha256(text).

    Why multiples of 1/64: they are exact in float32 and have <= 6 decimals, so the
    base64 (float32) and float encodings decode to identical numbers.
    """
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return [round((digest[i] % 128 - 64) / 64, 6) for i in range(EMBEDDING_DIMS)]


def _embeddings(body: JSONDict) -> _Reply:
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
    tokens = _count(*texts)
    h = _request_hash(body)
    return _JsonReply(
        200,
        {
            "object": "list",
            "data": data,
            "model": str(body.get("model", "")),
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        },
        {"x-request-id": _sub_id("req_", h, "embeddings-request")},
    )


# --------------------------------------------------------------------------- Anthropic


def _anthropic_prompt_texts(body: JSONDict) -> list[str]:
    texts = [_text_of(body.get("system"))]
    for message in _as_dicts(body.get("messages")):
        content = message.get("content")
        texts.append(_text_of(content))
        for block in _as_dicts(content):
            if block.get("type") == "tool_result":
                texts.append(_text_of(block.get("content")))
    return texts


def _messages(body: JSONDict) -> _Reply:
    """``POST /v1/messages``: echo, tool_use, or tool-result answer (+ optional thinking)."""
    model = str(body.get("model", ""))
    h = _request_hash(body)
    messages = _as_dicts(body.get("messages"))
    tools_sent = body.get("tools")
    tools: list[Any] = tools_sent if isinstance(tools_sent, list) else []
    last = messages[-1] if messages else {}
    user_text = next((_text_of(m.get("content")) for m in reversed(messages) if m.get("role") == "user"), "")
    tool_results = [b for b in _as_dicts(last.get("content")) if b.get("type") == "tool_result"]
    tool_name = _tool_name(tools)

    blocks: list[JSONDict] = []
    if "thinking" in model:
        blocks.append(
            {
                "type": "thinking",
                "thinking": "Thinking about it.",
                "signature": _sub_id("sig_", h, "anthropic-signature"),
            }
        )
    if last.get("role") == "user" and tool_results:
        text = "Based on the tool result: " + _text_of(tool_results[-1].get("content"))
        blocks.append({"type": "text", "text": text})
        stop_reason = "end_turn"
    elif last.get("role") == "user" and tool_name is not None:
        blocks.append({"type": "text", "text": "Let me look that up."})
        blocks.append(
            {
                "type": "tool_use",
                "id": _sub_id("toolu_", h, "anthropic-tool-use"),
                "name": tool_name,
                "input": {"query": user_text},
            }
        )
        stop_reason = "tool_use"
    else:
        blocks.append({"type": "text", "text": "Echo: " + user_text})
        stop_reason = "end_turn"

    out_texts = [
        b.get("text") or b.get("thinking") or (json.dumps(b["input"]) if "input" in b else "") for b in blocks
    ]
    input_tokens = _count(*_anthropic_prompt_texts(body))
    output_tokens = _count(*out_texts)
    cached = _has_cache_control(body)
    message_id = _sub_id("msg_", h, "anthropic-message")
    headers = {"request-id": _sub_id("req_", h, "anthropic-request")}

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
        return _JsonReply(200, message(blocks, stop_reason, output_tokens), headers)

    events = [
        _sse_event("message_start", {"type": "message_start", "message": message([], None, 1)}),
        _sse_event("ping", {"type": "ping"}),
    ]

    def block_event(type_: str, index: int, **fields: Any) -> None:
        events.append(_sse_event(type_, {"type": type_, "index": index, **fields}))

    for index, block in enumerate(blocks):
        kind = block["type"]
        if kind == "thinking":
            block_event(
                "content_block_start", index, content_block={**block, "thinking": "", "signature": ""}
            )
            for piece in _pieces(block["thinking"]):
                block_event("content_block_delta", index, delta={"type": "thinking_delta", "thinking": piece})
            block_event(
                "content_block_delta",
                index,
                delta={"type": "signature_delta", "signature": block["signature"]},
            )
        elif kind == "tool_use":
            block_event("content_block_start", index, content_block={**block, "input": {}})
            for piece in ["", *_split_n(json.dumps(block["input"]), 3)]:
                block_event(
                    "content_block_delta", index, delta={"type": "input_json_delta", "partial_json": piece}
                )
        else:
            block_event("content_block_start", index, content_block={**block, "text": ""})
            for piece in _pieces(block["text"]):
                block_event("content_block_delta", index, delta={"type": "text_delta", "text": piece})
        block_event("content_block_stop", index)
    events.append(
        _sse_event(
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": stop_reason, "stop_sequence": None},
                "usage": {"output_tokens": output_tokens},
            },
        )
    )
    events.append(_sse_event("message_stop", {"type": "message_stop"}))
    return _SseReply(events, headers)


def _count_tokens(body: JSONDict) -> _Reply:
    """``POST /v1/messages/count_tokens``: same word count as ``usage.input_tokens``."""
    return _JsonReply(200, {"input_tokens": _count(*_anthropic_prompt_texts(body))})


_ROUTES = {
    "/v1/chat/completions": (_chat_completions, False),
    "/v1/responses": (_responses, False),
    "/v1/embeddings": (_embeddings, False),
    "/v1/messages": (_messages, True),
    "/v1/messages/count_tokens": (_count_tokens, True),
}


def dispatch(method: str, path: str, body: Any) -> _Reply:
    """Route one request to its pure answer function (no I/O, no state)."""
    route = _ROUTES.get(path) if method == "POST" else None
    if route is None:
        return _openai_error(404, f"Invalid URL ({method} {path})", "invalid_request_error", None)
    handler, anthropic = route
    if not isinstance(body, dict):
        if anthropic:
            return _anthropic_error(400, "invalid_request_error", "Request body must be a JSON object.")
        return _openai_error(400, "Request body must be a JSON object.", "invalid_request_error", None)
    return _injected_error(body, anthropic) or handler(body)


# --------------------------------------------------------------------------- HTTP plumbing


class _HTTPServer(ThreadingHTTPServer):
    """ThreadingHTTPServer that knows its owner and tracks open connections.

    Why track: keep-alive connections from SDK connection pools would otherwise
    keep handler threads blocked forever after ``stop()``.
    """

    daemon_threads = True
    request_queue_size = 256  # tests fire dozens of concurrent connections (asyncio.gather)
    block_on_close = False

    def __init__(self, address: tuple[str, int], owner: FakeLLMServer) -> None:
        self.owner = owner
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Ignore clients dropping connections (pool shutdown, abandoned streams); report the rest."""
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    """Reads one JSON request, records it, and writes the plain or SSE answer."""

    protocol_version = "HTTP/1.1"
    # Why: headers and body/chunks are separate small writes; with Nagle on, the
    # client's delayed ACK adds ~40 ms to every keep-alive request.
    disable_nagle_algorithm = True
    server_version = "fakellm/1.0"
    sys_version = ""

    def setup(self) -> None:
        super().setup()
        srv = cast(_HTTPServer, self.server)
        with srv.connections_lock:
            srv.connections.add(self.connection)

    def finish(self) -> None:
        srv = cast(_HTTPServer, self.server)
        with srv.connections_lock:
            srv.connections.discard(self.connection)
        super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        """Silence per-request logging (it would spam test output)."""

    def version_string(self) -> str:
        return self.server_version

    def date_time_string(self, timestamp: float | None = None) -> str:
        """Pin the Date header so recorded headers are reproducible."""
        return FIXED_HTTP_DATE

    def do_POST(self) -> None:
        self._handle()

    def do_GET(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            data = bytearray()
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return bytes(data)
                data += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _handle(self) -> None:
        owner = cast(_HTTPServer, self.server).owner
        raw = self._read_body()
        body: Any
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        path = self.path.split("?", 1)[0]
        owner._record(
            {
                "method": self.command,
                "path": path,
                "body": body,
                "headers": {k.lower(): v for k, v in self.headers.items()},
            }
        )
        reply = dispatch(self.command, path, body)
        if owner.delay_s > 0:
            time.sleep(owner.delay_s)
        try:
            if isinstance(reply, _JsonReply):
                self._send_json(reply)
            else:
                self._send_sse(reply, owner.delay_s)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _send_json(self, reply: _JsonReply) -> None:
        data = json.dumps(reply.body).encode("utf-8")
        self.send_response(reply.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def _send_sse(self, reply: _SseReply, delay_s: float) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        last = len(reply.events) - 1
        for i, event in enumerate(reply.events):
            if i and delay_s > 0:
                time.sleep(delay_s)
            # One HTTP chunk per SSE event, flushed, so clients see real incremental delivery.
            data = b"%x\r\n%s\r\n" % (len(event), event)
            if i == last:
                # The terminating zero chunk rides in the same write as the final event:
                # SDKs stop reading at [DONE]/message_stop, and a terminator left unread
                # in the kernel buffer turns their close() into a TCP reset.
                data += b"0\r\n\r\n"
            self.wfile.write(data)
            self.wfile.flush()
        if last < 0:
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()


# --------------------------------------------------------------------------- public API


class FakeLLMServer:
    """Deterministic fake OpenAI + Anthropic server on a background thread.

    Why: lets tests and the demo drive the real SDKs over real HTTP, offline.
    The socket is bound in ``__init__`` (so ``url`` is known immediately);
    ``delay_s`` sleeps before each response and between SSE events, to make
    latency and incremental streaming observable.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, delay_s: float = 0.0) -> None:
        self.delay_s = delay_s
        self._lock = threading.Lock()
        self._requests: list[JSONDict] = []
        self._count = 0
        self._httpd = _HTTPServer((host, port), self)
        self._thread: threading.Thread | None = None
        self._stopped = False
        bound_host, bound_port = self._httpd.server_address[:2]
        self.host = str(bound_host)
        self.port = int(bound_port)
        self.url = f"http://{self.host}:{self.port}"
        self.openai_base_url = self.url + "/v1"
        self.anthropic_base_url = self.url

    def start(self) -> FakeLLMServer:
        """Serve on a daemon thread (idempotent); returns self for chaining."""
        if self._stopped:
            raise RuntimeError("FakeLLMServer cannot be restarted after stop(); create a new one")
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="fakellm", daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, drop open keep-alive connections, close the socket; idempotent."""
        if self._stopped:
            return
        self._stopped = True
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
        with self._httpd.connections_lock:
            connections = list(self._httpd.connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        self._httpd.server_close()

    def __enter__(self) -> FakeLLMServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _record(self, request: JSONDict) -> None:
        with self._lock:
            self._count += 1
            self._requests.append(request)

    @property
    def request_count(self) -> int:
        """Number of requests received (recorded before the answer is sent)."""
        with self._lock:
            return self._count

    @property
    def requests(self) -> list[JSONDict]:
        """Snapshot copy of recorded requests: method, path, body, headers (lower-case)."""
        with self._lock:
            return list(self._requests)

    def reset(self) -> None:
        """Forget recorded requests and zero the counter."""
        with self._lock:
            self._count = 0
            self._requests.clear()
