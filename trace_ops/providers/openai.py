"""OpenAI's wire format: chat completions, the Responses API and embeddings, plain and streamed.

Also the OpenAI-compatible default: a provider without an entry of its own is read this way.
"""

from __future__ import annotations

from typing import Any

from trace_ops.providers._base import Provider, count, json_or_text, model_only
from trace_ops.view import ResponseView, ToolCallRequest, Usage

#: The usage keys of the Responses API and of chat completions: (input, output, their details).
_RESPONSES_USAGE = ("input_tokens", "output_tokens", "input_tokens_details", "output_tokens_details")
_CHAT_USAGE = ("prompt_tokens", "completion_tokens", "prompt_tokens_details", "completion_tokens_details")


def usage(u: Any) -> Usage | None:
    """Token counts of chat completions (`prompt_tokens`, …) and Responses API answers (`input_tokens`, …)."""
    if not isinstance(u, dict):
        return None
    inputs, outputs, input_details, output_details = _RESPONSES_USAGE if "input_tokens" in u else _CHAT_USAGE
    in_details = u.get(input_details) or {}
    out_details = u.get(output_details) or {}
    return Usage(
        input_tokens=count(u.get(inputs)),
        output_tokens=count(u.get(outputs)),
        cached_tokens=count(in_details.get("cached_tokens")),
        reasoning_tokens=count(out_details.get("reasoning_tokens")),
    )


def chat_view(body: dict[str, Any]) -> ResponseView:
    choices = body.get("choices") or [{}]
    first = choices[0] if isinstance(choices[0], dict) else {}
    message = first.get("message") or {}
    calls = tuple(
        ToolCallRequest(
            name=str((tc.get("function") or {}).get("name", "")),
            arguments=json_or_text((tc.get("function") or {}).get("arguments")),
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
        usage=usage(body.get("usage")),
    )


def chat_stream_view(chunks: list[Any]) -> ResponseView:
    text: list[str] = []
    calls: dict[int, dict[str, Any]] = {}
    model = finish = None
    totals = None
    for chunk in chunks:
        if not isinstance(chunk, dict):
            continue
        model = chunk.get("model") or model
        if chunk.get("usage"):
            totals = usage(chunk["usage"])
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
        ToolCallRequest(name=c["name"], arguments=json_or_text(c["arguments"]), id=c["id"])
        for _, c in sorted(calls.items())
    )
    return ResponseView(model, "".join(text), tool_calls, finish, totals)


def responses_view(body: dict[str, Any]) -> ResponseView:
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
                    str(item.get("name", "")), json_or_text(item.get("arguments")), item.get("call_id")
                )
            )
    status = body.get("status")
    finish = "tool_calls" if calls else ("stop" if status == "completed" else status)
    return ResponseView(body.get("model"), "".join(text), tuple(calls), finish, usage(body.get("usage")))


def responses_stream_view(chunks: list[Any]) -> ResponseView:
    for chunk in reversed(chunks):
        if isinstance(chunk, dict) and chunk.get("type") in ("response.completed", "response.incomplete"):
            return responses_view(chunk.get("response") or {})
    text = "".join(
        str(c.get("delta", ""))
        for c in chunks
        if isinstance(c, dict) and c.get("type") == "response.output_text.delta"
    )
    return ResponseView(text=text)


def embeddings_view(body: dict[str, Any]) -> ResponseView:
    totals = body.get("usage") or {}
    data = body.get("data") or []
    return ResponseView(
        model=body.get("model"),
        usage=Usage(input_tokens=count(totals.get("prompt_tokens"))),
        extra={"vectors": len(data)},
    )


def view(endpoint: str, body: dict[str, Any]) -> ResponseView:
    if endpoint == "responses":
        return responses_view(body)
    if endpoint == "embeddings":
        return embeddings_view(body)
    if "choices" in body or endpoint.endswith("chat.completions"):
        return chat_view(body)
    return model_only(body)


def stream_view(endpoint: str, chunks: list[Any]) -> ResponseView:
    return responses_stream_view(chunks) if endpoint == "responses" else chat_stream_view(chunks)


def body_view(body: dict[str, Any]) -> ResponseView:
    """Which API answered, told from the body's shape."""
    if body.get("object") == "response" or "output" in body:
        return responses_view(body)
    if body.get("object") == "list" and "data" in body:
        return embeddings_view(body)
    return chat_view(body)


PROVIDER = Provider(
    name="openai",
    view=view,
    stream_view=stream_view,
    body_view=body_view,
    finish_aliases={"completed": "stop", "function_call": "tool_calls", "max_output_tokens": "length"},
)
