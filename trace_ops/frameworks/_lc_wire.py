"""LangChain objects <-> the plain data a cassette keeps: requests, `ChatResult`s, stream chunks.

The request is described the way matching and the diff read every provider's (`model`,
`messages` with roles, `tools`, other parameters), without LangChain's per-run ids, so a
replayed run asks the same question. Answers keep LangChain's own `message_to_dict` form, so
the replayed `AIMessage` / `AIMessageChunk` is equal to the live one, field for field.
"""

from __future__ import annotations

import json
from typing import Any

from trace_ops._plain import jsonable
from trace_ops.normalize import sse_json_chunks
from trace_ops.trace import LLMCall

_ROLES = {"human": "user", "ai": "assistant", "system": "system", "tool": "tool", "function": "function"}
#: Call keywords that are LangChain plumbing, not part of the question.
_PLUMBING = frozenset({"run_manager", "callbacks", "stream"})


class RecordedCallError(Exception):
    """Replay of a chat-model call that had failed when it was recorded (its type and message)."""


def message(m: Any) -> dict[str, Any]:
    """One prompt message as matching reads it: role, content, tool calls and ids, no run id."""
    kind = getattr(m, "type", "")
    out: dict[str, Any] = {"role": getattr(m, "role", None) or _ROLES.get(kind, kind)}
    out["content"] = jsonable(m.content)
    if getattr(m, "name", None):
        out["name"] = m.name
    calls = getattr(m, "tool_calls", None)
    if calls:
        out["tool_calls"] = [
            {"id": c.get("id"), "name": c.get("name"), "args": jsonable(c.get("args"))} for c in calls
        ]
    call_id = getattr(m, "tool_call_id", None)
    if call_id:
        out["tool_call_id"] = call_id
    return out


def _tool(value: Any) -> Any:
    """A tool handed to a model unformatted (a fake model's `bind_tools`): its OpenAI schema."""
    try:
        from langchain_core.utils.function_calling import convert_to_openai_tool

        return jsonable(convert_to_openai_tool(value))
    except Exception:
        return jsonable(value)


def describe(
    model: Any, messages: list[Any], stop: list[str] | None, kwargs: dict[str, Any], stream: bool
) -> dict[str, Any]:
    """The request of one chat-model call: what decides its answer."""
    request: dict[str, Any] = {}
    try:
        params = model._get_ls_params(stop=stop, **kwargs)
    except Exception:
        params = {}
    name = params.get("ls_model_name") or getattr(model, "model_name", None) or getattr(model, "model", None)
    if isinstance(name, str) and name:
        request["model"] = name
    request["messages"] = [message(m) for m in messages]
    for key in ("temperature", "max_tokens"):
        value = params.get(f"ls_{key}")
        if value is not None:
            request[key] = value
    if stop:
        request["stop"] = list(stop)
    for key, value in kwargs.items():
        if key in _PLUMBING:
            continue
        if key == "tools" and isinstance(value, (list, tuple)):
            request[key] = [_tool(t) for t in value]
        else:
            request[key] = jsonable(value)
    request["stream"] = stream
    return request


def endpoint(model: Any) -> str:
    return f"chat/{type(model).__name__}"


def _generation(g: Any) -> dict[str, Any]:
    from langchain_core.messages import message_to_dict

    out: dict[str, Any] = {"message": message_to_dict(g.message)}
    if g.generation_info:
        out["generation_info"] = g.generation_info
    return out


def result_body(result: Any) -> dict[str, Any]:
    """A `ChatResult` as JSON-safe data."""
    body: dict[str, Any] = {"generations": [_generation(g) for g in result.generations]}
    if result.llm_output:
        body["llm_output"] = result.llm_output
    return jsonable(body)  # type: ignore[no-any-return]


def chunk_sse(chunk: Any) -> bytes:
    """One `ChatGenerationChunk` as one SSE event of the recorded stream."""
    text = json.dumps(jsonable(_generation(chunk)), ensure_ascii=False)
    return f"data: {text}\n\n".encode()


def _message_of(data: Any) -> Any:
    from langchain_core.messages import messages_from_dict

    return messages_from_dict([data])[0]


def raise_if_failed(call: LLMCall) -> None:
    if call.error is not None:
        raise RecordedCallError(f"{call.error.get('type', 'error')}: {call.error.get('message', '')}")


def replayed_result(call: LLMCall) -> Any:
    """The recorded `ChatResult` (an error recorded instead raises `RecordedCallError`)."""
    from langchain_core.outputs import ChatGeneration, ChatResult

    raise_if_failed(call)
    body = call.response if isinstance(call.response, dict) else {}
    generations = [
        ChatGeneration(message=_message_of(g["message"]), generation_info=g.get("generation_info"))
        for g in body.get("generations") or []
    ]
    return ChatResult(generations=generations, llm_output=body.get("llm_output"))


def replayed_chunks(call: LLMCall) -> list[Any]:
    """The recorded stream's `ChatGenerationChunk`s, in order."""
    from langchain_core.outputs import ChatGenerationChunk

    raise_if_failed(call)
    return [
        ChatGenerationChunk(message=_message_of(c["message"]), generation_info=c.get("generation_info"))
        for c in sse_json_chunks(call.stream or "")
        if isinstance(c, dict) and "message" in c
    ]
