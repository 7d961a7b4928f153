"""Provider wire data -> one provider-neutral shape (text, tool calls, finish reason, usage).

Works on plain dicts (the wire JSON kept in cassettes), so reading a trace never needs the
provider SDK installed. Streams are split into their SSE events here; what each provider's
JSON means is read by its module in `trace_ops.providers`.
"""

from __future__ import annotations

import dataclasses
import json
from typing import TYPE_CHECKING, Any

from trace_ops import providers
from trace_ops.view import ResponseView as ResponseView
from trace_ops.view import ToolCallRequest as ToolCallRequest
from trace_ops.view import Usage as Usage

if TYPE_CHECKING:
    from trace_ops.trace import LLMCall

__all__ = [
    "ResponseView",
    "ToolCallRequest",
    "Usage",
    "normalize_for_comparison",
    "normalize_response",
    "parse_sse",
    "sse_json_chunks",
    "view_of",
]


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


#: What a provider parser may raise on valid JSON of a shape it does not expect (a hand-edited
#: or damaged cassette): the answer is then read as unknown (no text, no usage), never an error.
_ODD_SHAPE = (AttributeError, TypeError, ValueError, KeyError, IndexError, RecursionError)


def view_of(call: LLMCall) -> ResponseView:
    """The neutral view of a recorded call, whatever its provider and shape."""
    if call.failed:
        return ResponseView(model=call.model, finish_reason="error")
    provider = providers.lookup(call.provider)
    try:
        if call.stream is not None:
            view = provider.stream_view(call.endpoint, sse_json_chunks(call.stream))
        else:
            body = call.response
            view = provider.view(call.endpoint, body if isinstance(body, dict) else {})
    except _ODD_SHAPE:
        return ResponseView(model=call.model)
    if type(view.model) is not str and view.model is not None:  # e.g. `"model": -1`: priced by name
        view = dataclasses.replace(view, model=None)
    if type(view.finish_reason) is not str and view.finish_reason is not None:
        view = dataclasses.replace(view, finish_reason=None)
    return view


# ---------------------------------------------------------------- public: SDK objects -> neutral dicts


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


def normalize_response(resp: Any, provider: str) -> dict[str, Any]:
    """One provider-neutral shape for an LLM answer: role, text, tool calls, finish reason, usage, model.

    Accepts the SDK's response object (OpenAI ChatCompletion / Response, Anthropic Message,
    LiteLLM ModelResponse) or its wire dict.
    """
    body = _wire(resp)
    view = providers.for_body(body, provider).body_view(body)
    usage = view.usage
    finish = view.finish_reason
    return {
        "role": "assistant",
        "model": view.model,
        "text": view.text,
        "tool_calls": [{"id": c.id, "name": c.name, "arguments": c.arguments} for c in view.tool_calls],
        "finish_reason": providers.FINISH_ALIASES.get(finish or "", finish),
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
