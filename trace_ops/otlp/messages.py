"""Prompts and answers in the GenAI conventions' message shape, both ways.

The conventions carry messages as `{"role", "parts": [...]}` with parts `text`,
`tool_call` (`id`, `name`, `arguments`) and `tool_call_response` (`id`, `response`), system
instructions apart, and output messages with a `finish_reason`. Exporting reads the three
request shapes trace_ops records (chat completions, the Responses API, Anthropic messages);
importing writes the chat-completions shape, or Anthropic's for Anthropic calls.
"""

from __future__ import annotations

import json
from typing import Any

from trace_ops.view import ResponseView

Part = dict[str, Any]
Message = dict[str, Any]


def _text(content: str) -> Part:
    return {"type": "text", "content": content}


def _arguments(raw: Any) -> Any:
    if isinstance(raw, str):
        try:
            return json.loads(raw)
        except ValueError:
            return raw
    return raw


def _content_parts(content: Any) -> list[Part]:
    """Chat/Responses/Anthropic content (a string or a list of blocks) as text and other parts."""
    if isinstance(content, str):
        return [_text(content)]
    parts: list[Part] = []
    for block in content if isinstance(content, list) else []:
        if isinstance(block, str):
            parts.append(_text(block))
        elif isinstance(block, dict):
            kind = block.get("type")
            if kind in ("text", "input_text", "output_text") and isinstance(block.get("text"), str):
                parts.append(_text(block["text"]))
            elif kind == "tool_use":
                parts.append(
                    {
                        "type": "tool_call",
                        "id": block.get("id"),
                        "name": block.get("name"),
                        "arguments": block.get("input"),
                    }
                )
            elif kind == "tool_result":
                parts.append(
                    {
                        "type": "tool_call_response",
                        "id": block.get("tool_use_id"),
                        "response": _result_text(block.get("content")),
                    }
                )
            elif kind == "thinking" and isinstance(block.get("thinking"), str):
                parts.append({"type": "reasoning", "content": block["thinking"]})
            else:
                parts.append(
                    {"type": str(kind or "unknown"), **{k: v for k, v in block.items() if k != "type"}}
                )
    return parts


def _result_text(content: Any) -> Any:
    if isinstance(content, list):
        texts = [b.get("text") for b in content if isinstance(b, dict) and isinstance(b.get("text"), str)]
        if len(texts) == len(content):
            return "".join(t for t in texts if t is not None)
    return content


def _system(value: Any) -> list[Part]:
    return [p for p in _content_parts(value) if p.get("type") == "text"]


def input_messages(endpoint: str, request: dict[str, Any]) -> tuple[list[Message], list[Part]]:
    """(input messages, system instructions) of a recorded request, in the conventions' shape."""
    system: list[Part] = []
    messages: list[Message] = []
    if endpoint == "responses":
        if request.get("instructions"):
            system.extend(_system(request["instructions"]))
        items = request.get("input")
        for item in [{"role": "user", "content": items}] if isinstance(items, str) else items or []:
            if not isinstance(item, dict):
                continue
            kind = item.get("type")
            if kind == "function_call":
                part = {
                    "type": "tool_call",
                    "id": item.get("call_id"),
                    "name": item.get("name"),
                    "arguments": _arguments(item.get("arguments")),
                }
                messages.append({"role": "assistant", "parts": [part]})
            elif kind == "function_call_output":
                part = {
                    "type": "tool_call_response",
                    "id": item.get("call_id"),
                    "response": item.get("output"),
                }
                messages.append({"role": "tool", "parts": [part]})
            elif "role" in item:
                role = str(item["role"])
                if role in ("system", "developer"):
                    system.extend(_system(item.get("content")))
                else:
                    messages.append({"role": role, "parts": _content_parts(item.get("content"))})
        return messages, system
    if request.get("system") is not None:  # Anthropic
        system.extend(_system(request["system"]))
    for message in request.get("messages") or []:
        if not isinstance(message, dict):
            continue
        role = str(message.get("role", "user"))
        if role in ("system", "developer"):
            system.extend(_system(message.get("content")))
            continue
        parts = _content_parts(message.get("content")) if message.get("content") is not None else []
        for call in message.get("tool_calls") or []:
            if isinstance(call, dict):
                function = call.get("function") or {}
                parts.append(
                    {
                        "type": "tool_call",
                        "id": call.get("id"),
                        "name": function.get("name"),
                        "arguments": _arguments(function.get("arguments")),
                    }
                )
        if role == "tool":
            parts = [
                {
                    "type": "tool_call_response",
                    "id": message.get("tool_call_id"),
                    "response": _result_text(message.get("content")),
                }
            ]
        messages.append({"role": role, "parts": parts})
    return messages, system


def output_messages(view: ResponseView) -> list[Message]:
    """The answer as one assistant output message."""
    parts: list[Part] = [_text(view.text)] if view.text else []
    parts.extend(
        {"type": "tool_call", "id": call.id, "name": call.name, "arguments": call.arguments}
        for call in view.tool_calls
    )
    message: Message = {"role": "assistant", "parts": parts}
    if view.finish_reason:
        message["finish_reason"] = view.finish_reason
    return [message]


def tool_definitions(request: dict[str, Any]) -> list[dict[str, Any]]:
    """Tools offered to the model (chat, Responses or Anthropic shape) as the conventions list them."""
    out: list[dict[str, Any]] = []
    for tool in request.get("tools") or []:
        if not isinstance(tool, dict):
            continue
        function = tool.get("function")
        spec: dict[str, Any] = function if isinstance(function, dict) else tool
        definition: dict[str, Any] = {"type": str(tool.get("type") or "function"), "name": spec.get("name")}
        if spec.get("description") is not None:
            definition["description"] = spec["description"]
        parameters = spec.get("parameters", spec.get("input_schema"))
        if parameters is not None:
            definition["parameters"] = parameters
        out.append(definition)
    return out


# ---------------------------------------------------------------- back: conventions -> a request


def response_of(part: Part) -> Any:
    """A tool result part's value: `response` in the conventions, `result` in pydantic-ai's output."""
    return part["response"] if "response" in part else part.get("result")


def _texts(parts: list[Part]) -> str:
    return "".join(str(p.get("content", "")) for p in parts if p.get("type") == "text")


def _json_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def chat_messages(messages: list[Message], system: list[Part]) -> list[dict[str, Any]]:
    """Chat-completions messages for imported conventions messages."""
    out: list[dict[str, Any]] = [{"role": "system", "content": _texts(system)}] if system else []
    for message in messages:
        parts = [p for p in message.get("parts") or [] if isinstance(p, dict)]
        role = str(message.get("role", "user"))
        responses = [p for p in parts if p.get("type") == "tool_call_response"]
        if responses:
            out.extend(
                {"role": "tool", "tool_call_id": p.get("id"), "content": _json_text(response_of(p))}
                for p in responses
            )
            continue
        entry: dict[str, Any] = {"role": role, "content": _texts(parts)}
        calls = [p for p in parts if p.get("type") == "tool_call"]
        if calls:
            entry["tool_calls"] = [
                {
                    "id": p.get("id"),
                    "type": "function",
                    "function": {"name": p.get("name"), "arguments": _json_text(p.get("arguments"))},
                }
                for p in calls
            ]
            if not entry["content"]:
                entry["content"] = None
        out.append(entry)
    return out


def anthropic_messages(messages: list[Message]) -> list[dict[str, Any]]:
    """Anthropic messages (text, tool_use and tool_result blocks) for imported conventions messages."""
    out: list[dict[str, Any]] = []
    for message in messages:
        blocks: list[dict[str, Any]] = []
        for part in message.get("parts") or []:
            kind = part.get("type") if isinstance(part, dict) else None
            if kind == "text":
                blocks.append({"type": "text", "text": str(part.get("content", ""))})
            elif kind == "tool_call":
                blocks.append(
                    {
                        "type": "tool_use",
                        "id": part.get("id"),
                        "name": part.get("name"),
                        "input": part.get("arguments"),
                    }
                )
            elif kind == "tool_call_response":
                blocks.append(
                    {
                        "type": "tool_result",
                        "tool_use_id": part.get("id"),
                        "content": _json_text(response_of(part)),
                    }
                )
        role = "user" if message.get("role") == "tool" else str(message.get("role", "user"))
        if len(blocks) == 1 and blocks[0]["type"] == "text":
            out.append({"role": role, "content": blocks[0]["text"]})
        else:
            out.append({"role": role, "content": blocks})
    return out


def chat_tools(definitions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for d in definitions:
        function = {k: d[k] for k in ("name", "description", "parameters") if k in d}
        out.append({"type": "function", "function": function})
    return out


def anthropic_tools(definitions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for d in definitions:
        tool: dict[str, Any] = {k: d[k] for k in ("name", "description") if k in d}
        tool["input_schema"] = d.get("parameters") or {"type": "object"}
        out.append(tool)
    return out
