"""Google's Gemini API wire format (`generateContent`, `streamGenerateContent?alt=sse`, …).

No SDK interceptor: google-genai is recorded by the HTTP-level fallback (`intercept_http=True`),
which asks `http_endpoint` whether a request is a Gemini call. Priced under genai-prices' `google`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from trace_ops.providers._base import Provider, count, model_only
from trace_ops.view import ResponseView, ToolCallRequest, Usage

#: `/v1beta/models/gemini-2.0-flash:generateContent` (also Vertex's `/v1/projects/…/models/…:…`)
_PATH = re.compile(r"^/(?:v1|v1beta|v1alpha)/(?:[^:]*/)?models/([^/:]+):([A-Za-z]+)$")


def http_endpoint(host: str, path: str, headers: Mapping[str, str]) -> tuple[str, str | None] | None:
    match = _PATH.match(path)
    return None if match is None else (f"models.{match.group(2)}", match.group(1))


def usage(u: Any) -> Usage | None:
    """`usageMetadata`: the prompt count includes cached content; thinking is billed as output."""
    if not isinstance(u, dict):
        return None
    thoughts = count(u.get("thoughtsTokenCount"))
    return Usage(
        input_tokens=count(u.get("promptTokenCount")),
        output_tokens=count(u.get("candidatesTokenCount")) + thoughts,
        cached_tokens=count(u.get("cachedContentTokenCount")),
        reasoning_tokens=thoughts,
    )


def _parts(body: dict[str, Any]) -> tuple[list[str], list[ToolCallRequest], str | None]:
    candidates = body.get("candidates") or [{}]
    first = candidates[0] if isinstance(candidates[0], dict) else {}
    text: list[str] = []
    calls: list[ToolCallRequest] = []
    for part in (first.get("content") or {}).get("parts") or []:
        if not isinstance(part, dict):
            continue
        if isinstance(part.get("text"), str) and not part.get("thought"):
            text.append(part["text"])
        call = part.get("functionCall")
        if isinstance(call, dict):
            calls.append(ToolCallRequest(str(call.get("name", "")), call.get("args"), call.get("id")))
    finish = first.get("finishReason")
    return text, calls, finish if isinstance(finish, str) else None


def _model(body: dict[str, Any]) -> str | None:
    model = body.get("modelVersion")
    return model if isinstance(model, str) else None


def content_view(body: dict[str, Any]) -> ResponseView:
    text, calls, finish = _parts(body)
    return ResponseView(
        model=_model(body),
        text="".join(text),
        tool_calls=tuple(calls),
        finish_reason="tool_calls" if calls else finish,
        usage=usage(body.get("usageMetadata")),
    )


def view(endpoint: str, body: dict[str, Any]) -> ResponseView:
    if "candidates" in body or endpoint.endswith("enerateContent"):
        return content_view(body)
    if endpoint == "models.countTokens":
        return ResponseView(usage=Usage(input_tokens=count(body.get("totalTokens"))))
    return model_only(body)


def stream_view(endpoint: str, chunks: list[Any]) -> ResponseView:
    """Each SSE event is a whole `GenerateContentResponse`: texts concatenate, the last usage counts."""
    text: list[str] = []
    calls: list[ToolCallRequest] = []
    finish = model = None
    totals = None
    for chunk in chunks:
        if not isinstance(chunk, dict):
            continue
        chunk_text, chunk_calls, chunk_finish = _parts(chunk)
        text += chunk_text
        calls += chunk_calls
        finish = chunk_finish or finish
        model = _model(chunk) or model
        totals = usage(chunk.get("usageMetadata")) or totals
    return ResponseView(model, "".join(text), tuple(calls), "tool_calls" if calls else finish, totals)


PROVIDER = Provider(
    name="gemini",
    view=view,
    stream_view=stream_view,
    body_view=content_view,
    finish_aliases={"STOP": "stop", "MAX_TOKENS": "length"},
    price_id="google",
    http_endpoint=http_endpoint,
)
