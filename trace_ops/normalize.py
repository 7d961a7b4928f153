"""Provider wire data -> one provider-neutral shape (text, tool calls, finish reason, usage).

Works on plain dicts (the wire JSON kept in cassettes), so reading a trace never needs the
provider SDK installed. Streams are reassembled from their SSE chunks.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from trace_ops.trace import LLMCall


@dataclass(frozen=True)
class Usage:
    """Token counts. `cached_tokens`: input read from a prompt cache; `cache_write_tokens`: written to one."""

    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens


@dataclass(frozen=True)
class ToolCallRequest:
    """A tool call the model asked for, with arguments parsed when they are JSON."""

    name: str
    arguments: Any
    id: str | None = None


@dataclass(frozen=True)
class ResponseView:
    """What an LLM call answered, independent of the provider."""

    model: str | None = None
    text: str = ""
    tool_calls: tuple[ToolCallRequest, ...] = ()
    finish_reason: str | None = None
    usage: Usage | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def parse_sse(body: str) -> list[tuple[str | None, str]]:
    """Split an SSE body into (event name, data) pairs, in order."""
    events: list[tuple[str | None, str]] = []
    name: str | None = None
    data: list[str] = []
    for line in body.splitlines():
        if not line:
            if data:
                events.append((name, "\n".join(data)))
            name, data = None, []
        elif line.startswith("data:"):
            data.append(line[5:].lstrip(" ") if line[5:6] == " " else line[5:])
        elif line.startswith("event:"):
            name = line[6:].strip()
    if data:
        events.append((name, "\n".join(data)))
    return events


def sse_json_chunks(body: str) -> list[Any]:
    """The JSON payloads of an SSE body (skipping `[DONE]` and non-JSON data)."""
    chunks: list[Any] = []
    for _name, data in parse_sse(body):
        if data == "[DONE]":
            continue
        try:
            chunks.append(json.loads(data))
        except ValueError:
            continue
    return chunks


def _parse_args(raw: Any) -> Any:
    if isinstance(raw, str):
        try:
            return json.loads(raw)
        except ValueError:
            return raw
    return raw


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _openai_usage(u: Any) -> Usage | None:
    if not isinstance(u, dict):
        return None
    if "input_tokens" in u:  # responses API
        in_details = u.get("input_tokens_details") or {}
        out_details = u.get("output_tokens_details") or {}
        return Usage(
            input_tokens=_int(u.get("input_tokens")),
            output_tokens=_int(u.get("output_tokens")),
            cached_tokens=_int(in_details.get("cached_tokens")),
            reasoning_tokens=_int(out_details.get("reasoning_tokens")),
        )
    in_details = u.get("prompt_tokens_details") or {}
    out_details = u.get("completion_tokens_details") or {}
    return Usage(
        input_tokens=_int(u.get("prompt_tokens")),
        output_tokens=_int(u.get("completion_tokens")),
        cached_tokens=_int(in_details.get("cached_tokens")),
        reasoning_tokens=_int(out_details.get("reasoning_tokens")),
    )


def _chat_view(body: dict[str, Any]) -> ResponseView:
    choices = body.get("choices") or [{}]
    first = choices[0] if isinstance(choices[0], dict) else {}
    message = first.get("message") or {}
    calls = tuple(
        ToolCallRequest(
            name=str((tc.get("function") or {}).get("name", "")),
            arguments=_parse_args((tc.get("function") or {}).get("arguments")),
            id=tc.get("id"),
        )
        for tc in message.get("tool_calls") or []
        if isinstance(tc, dict)
    )
    content = message.get("content")
    return ResponseView(
        model=body.get("model"),
        text=content if isinstance(content, str) else "",
        tool_calls=calls,
        finish_reason=first.get("finish_reason"),
        usage=_openai_usage(body.get("usage")),
    )


def _chat_stream_view(chunks: list[Any]) -> ResponseView:
    text: list[str] = []
    calls: dict[int, dict[str, Any]] = {}
    model = finish = None
    usage = None
    for chunk in chunks:
        if not isinstance(chunk, dict):
            continue
        model = chunk.get("model") or model
        if chunk.get("usage"):
            usage = _openai_usage(chunk["usage"])
        for choice in chunk.get("choices") or []:
            delta = choice.get("delta") or {}
            if isinstance(delta.get("content"), str):
                text.append(delta["content"])
            for tc in delta.get("tool_calls") or []:
                slot = calls.setdefault(tc.get("index", 0), {"id": None, "name": "", "arguments": ""})
                slot["id"] = tc.get("id") or slot["id"]
                fn = tc.get("function") or {}
                slot["name"] += fn.get("name") or ""
                slot["arguments"] += fn.get("arguments") or ""
            finish = choice.get("finish_reason") or finish
    tool_calls = tuple(
        ToolCallRequest(name=c["name"], arguments=_parse_args(c["arguments"]), id=c["id"])
        for _, c in sorted(calls.items())
    )
    return ResponseView(model, "".join(text), tool_calls, finish, usage)


def _responses_view(body: dict[str, Any]) -> ResponseView:
    text: list[str] = []
    calls: list[ToolCallRequest] = []
    for item in body.get("output") or []:
        if not isinstance(item, dict):
            continue
        if item.get("type") == "message":
            for part in item.get("content") or []:
                if isinstance(part, dict) and part.get("type") == "output_text":
                    text.append(str(part.get("text", "")))
        elif item.get("type") == "function_call":
            calls.append(
                ToolCallRequest(
                    str(item.get("name", "")), _parse_args(item.get("arguments")), item.get("call_id")
                )
            )
    status = body.get("status")
    finish = "tool_calls" if calls else ("stop" if status == "completed" else status)
    return ResponseView(
        body.get("model"), "".join(text), tuple(calls), finish, _openai_usage(body.get("usage"))
    )


def _responses_stream_view(chunks: list[Any]) -> ResponseView:
    for chunk in reversed(chunks):
        if isinstance(chunk, dict) and chunk.get("type") in ("response.completed", "response.incomplete"):
            return _responses_view(chunk.get("response") or {})
    text = "".join(
        str(c.get("delta", ""))
        for c in chunks
        if isinstance(c, dict) and c.get("type") == "response.output_text.delta"
    )
    return ResponseView(text=text)


def _embeddings_view(body: dict[str, Any]) -> ResponseView:
    usage = body.get("usage") or {}
    data = body.get("data") or []
    return ResponseView(
        model=body.get("model"),
        usage=Usage(input_tokens=_int(usage.get("prompt_tokens"))),
        extra={"vectors": len(data)},
    )


def _anthropic_usage(u: Any) -> Usage | None:
    if not isinstance(u, dict):
        return None
    return Usage(
        input_tokens=_int(u.get("input_tokens")),
        output_tokens=_int(u.get("output_tokens")),
        cached_tokens=_int(u.get("cache_read_input_tokens")),
        cache_write_tokens=_int(u.get("cache_creation_input_tokens")),
    )


def _anthropic_view(body: dict[str, Any]) -> ResponseView:
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
        _anthropic_usage(body.get("usage")),
    )


def _anthropic_stream_view(chunks: list[Any]) -> ResponseView:
    message: dict[str, Any] = {}
    blocks: dict[int, dict[str, Any]] = {}
    usage: dict[str, Any] = {}
    for chunk in chunks:
        if not isinstance(chunk, dict):
            continue
        kind = chunk.get("type")
        if kind == "message_start":
            message = dict(chunk.get("message") or {})
            usage.update(message.get("usage") or {})
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
            usage.update({k: v for k, v in (chunk.get("usage") or {}).items() if v is not None})
    content = []
    for _, block in sorted(blocks.items()):
        if "_json" in block:
            raw = block.pop("_json")
            block["input"] = _parse_args(raw) if raw else block.get("input", {})
        content.append(block)
    message["content"] = content
    message["usage"] = usage
    return _anthropic_view(message)


def view_of(call: LLMCall) -> ResponseView:
    """The neutral view of a recorded call, whatever its provider and shape."""
    if call.error is not None or call.status >= 400:
        return ResponseView(model=call.model, finish_reason="error")
    kind = f"{call.provider}:{call.endpoint}"
    if call.stream is not None:
        chunks = sse_json_chunks(call.stream)
        if call.provider == "anthropic":
            return _anthropic_stream_view(chunks)
        if call.endpoint == "responses":
            return _responses_stream_view(chunks)
        return _chat_stream_view(chunks)
    body = call.response if isinstance(call.response, dict) else {}
    if call.provider == "anthropic" and call.endpoint == "messages":
        return _anthropic_view(body)
    if call.endpoint == "responses":
        return _responses_view(body)
    if call.endpoint == "embeddings":
        return _embeddings_view(body)
    if "choices" in body or kind.endswith("chat.completions"):
        return _chat_view(body)
    return ResponseView(model=body.get("model") if isinstance(body.get("model"), str) else None)


# ---------------------------------------------------------------- public: SDK objects -> neutral dicts

_FINISH_ALIASES = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "completed": "stop",
    "tool_use": "tool_calls",
    "function_call": "tool_calls",
    "max_tokens": "length",
    "max_output_tokens": "length",
}


def _wire(resp: Any) -> dict[str, Any]:
    if isinstance(resp, dict):
        return resp
    dump = getattr(resp, "model_dump", None)
    if callable(dump):
        result = dump(mode="json")
        if isinstance(result, dict):
            return result
    to_dict = getattr(resp, "to_dict", None)
    if callable(to_dict):
        result = to_dict()
        if isinstance(result, dict):
            return result
    raise TypeError(f"cannot normalize a {type(resp).__name__}: expected an SDK response object or its dict")


def _view_for(body: dict[str, Any], provider: str) -> ResponseView:
    if provider == "anthropic" or body.get("type") == "message":
        return _anthropic_view(body)
    if body.get("object") == "response" or "output" in body:
        return _responses_view(body)
    if body.get("object") == "list" and "data" in body:
        return _embeddings_view(body)
    return _chat_view(body)


def normalize_response(resp: Any, provider: str) -> dict[str, Any]:
    """One provider-neutral shape for an LLM answer: role, text, tool calls, finish reason, usage, model.

    Accepts the SDK's response object (OpenAI ChatCompletion / Response, Anthropic Message,
    LiteLLM ModelResponse) or its wire dict.
    """
    view = _view_for(_wire(resp), provider)
    usage = view.usage
    return {
        "role": "assistant",
        "model": view.model,
        "text": view.text,
        "tool_calls": [{"id": c.id, "name": c.name, "arguments": c.arguments} for c in view.tool_calls],
        "finish_reason": _FINISH_ALIASES.get(view.finish_reason or "", view.finish_reason),
        "usage": None
        if usage is None
        else {
            "input_tokens": usage.input_tokens,
            "output_tokens": usage.output_tokens,
            "cached_tokens": usage.cached_tokens,
            "cache_write_tokens": usage.cache_write_tokens,
            "reasoning_tokens": usage.reasoning_tokens,
        },
    }


def normalize_for_comparison(resp: Any, provider: str) -> dict[str, Any]:
    """`normalize_response` minus what varies between runs or providers (ids, model versions, usage)."""
    normalized = normalize_response(resp, provider)
    return {
        "role": normalized["role"],
        "text": normalized["text"].strip(),
        "tool_calls": [{"name": c["name"], "arguments": c["arguments"]} for c in normalized["tool_calls"]],
        "finish_reason": normalized["finish_reason"],
    }
