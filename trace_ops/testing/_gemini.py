"""The Gemini answers of the fake server: `models/{model}:generateContent`, plain and streamed
(`:streamGenerateContent?alt=sse`, one whole `GenerateContentResponse` per SSE event), and
`:countTokens`."""

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
    hash_request,
    pieces,
    sub_id,
)

_ERRORS = {
    "error-429": (429, "RESOURCE_EXHAUSTED", "Resource has been exhausted (injected by fakellm)."),
    "error-500": (500, "INTERNAL", "Internal error (injected by fakellm)."),
    "error-400": (400, "INVALID_ARGUMENT", "Invalid request (injected by fakellm)."),
}


def gemini_error(status: int, code: str, message: str) -> JsonReply:
    return JsonReply(status, {"error": {"code": status, "message": message, "status": code}})


def _texts(content: JSONDict) -> str:
    return " ".join(str(p["text"]) for p in as_dicts(content.get("parts")) if isinstance(p.get("text"), str))


def _function_names(tools: Any) -> list[str]:
    return [
        str(decl["name"])
        for tool in as_dicts(tools)
        for decl in as_dicts(tool.get("functionDeclarations") or tool.get("function_declarations"))
        if isinstance(decl.get("name"), str)
    ]


def _tool_result(content: JSONDict) -> str | None:
    for part in as_dicts(content.get("parts")):
        response = part.get("functionResponse") or part.get("function_response")
        if isinstance(response, dict):
            result = response.get("response")
            if isinstance(result, dict) and isinstance(result.get("result"), str):
                return str(result["result"])
            return json.dumps(result)
    return None


def answer_gemini(model: str, method: str, body: JSONDict) -> Reply:
    """`POST /v1beta/models/{model}:{method}`: echo, function call, or function-result answer."""
    if model in _ERRORS:
        return gemini_error(*_ERRORS[model])
    contents = as_dicts(body.get("contents"))
    prompt_tokens = count_words(*(_texts(c) for c in contents))
    if method == "countTokens":
        return JsonReply(200, {"totalTokens": prompt_tokens})
    if method not in ("generateContent", "streamGenerateContent"):
        return gemini_error(404, "NOT_FOUND", f"Method {method} is not found (fakellm).")
    last = contents[-1] if contents else {}
    user_text = next((_texts(c) for c in reversed(contents) if c.get("role", "user") == "user"), "")
    names = _function_names(body.get("tools"))
    result = _tool_result(last)
    h = hash_request({"model": model, **body})
    parts: list[JSONDict]
    if names and result is None:
        parts = [{"functionCall": {"name": names[0], "args": {"query": user_text}}}]
        out_text = json.dumps(parts[0]["functionCall"]["args"])
    else:
        text = f"Based on the tool result: {result}" if result is not None else f"Echo: {user_text}"
        parts, out_text = [{"text": text}], text
    output_tokens = count_words(out_text)
    usage = {
        "promptTokenCount": prompt_tokens,
        "candidatesTokenCount": output_tokens,
        "totalTokenCount": prompt_tokens + output_tokens,
    }
    response_id = sub_id("", h, "gemini-response", 20)

    def response(chunk_parts: list[JSONDict], finish: str | None, chunk_usage: JSONDict) -> JSONDict:
        candidate: JSONDict = {"content": {"parts": chunk_parts, "role": "model"}, "index": 0}
        if finish is not None:
            candidate["finishReason"] = finish
        return {
            "candidates": [candidate],
            "usageMetadata": chunk_usage,
            "modelVersion": model,
            "responseId": response_id,
        }

    if method == "generateContent":
        return JsonReply(200, response(parts, "STOP", usage))
    if "text" not in parts[0]:
        chunks = [response(parts, "STOP", usage)]
    else:
        words = pieces(str(parts[0]["text"]))
        partial = {"promptTokenCount": prompt_tokens}
        chunks = [response([{"text": w}], None, partial) for w in words[:-1]]
        chunks.append(response([{"text": words[-1] if words else ""}], "STOP", usage))
    return SseReply([f"data: {json.dumps(c)}\r\n\r\n".encode() for c in chunks])
