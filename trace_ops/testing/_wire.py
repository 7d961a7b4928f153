"""What every fake answer is built from: reply types, stable ids, word counts, SSE, errors.

Every answer is a pure function of the request body: ids are hashes of the canonical
request, token counts are word counts, timestamps are fixed.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any, cast

JSONDict = dict[str, Any]


CREATED = 1700000000
"""Fixed timestamp used for every ``created`` / ``created_at`` field (determinism)."""

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


@dataclass
class JsonReply:
    """A plain JSON answer (sent with Content-Length)."""

    status: int
    body: JSONDict
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class SseReply:
    """A streamed answer: each pre-encoded SSE event becomes one HTTP chunk."""

    events: list[bytes]
    headers: dict[str, str] = field(default_factory=dict)


Reply = JsonReply | SseReply


def hash_request(body: JSONDict) -> str:
    """Hash the canonical request JSON, ignoring streaming flags.

    Why ignore them: a streamed and a plain call with the same prompt should get
    the same ids, so tests can compare the reassembled stream to the plain answer.
    """
    canon = {k: v for k, v in body.items() if k not in ("stream", "stream_options")}
    raw = json.dumps(canon, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def sub_id(prefix: str, request_hash: str, label: str, n: int = 24) -> str:
    """Derive a distinct, stable id for one object in a response.

    Labels are endpoint-specific so identical bodies sent to different endpoints
    (e.g. ``{"model","input"}`` to /responses and /embeddings) never share ids.
    """
    return prefix + hashlib.sha256(f"{label}:{request_hash}".encode()).hexdigest()[:n]


def _words(text: str) -> int:
    return len(text.split())


def count_words(*texts: str) -> int:
    """Whitespace word count of all texts, at least 1 (a real API never reports 0)."""
    return max(1, sum(_words(t) for t in texts))


def pieces(text: str) -> list[str]:
    """Split into word-sized pieces that keep whitespace: ``"".join(pieces) == text``."""
    return re.findall(r"^\s+|\S+\s*", text)


def split_n(text: str, n: int) -> list[str]:
    """Split a string into up to ``n`` roughly equal non-empty slices."""
    if not text:
        return []
    size = max(1, -(-len(text) // n))
    return [text[i : i + size] for i in range(0, len(text), size)]


def text_of(content: Any) -> str:
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


def first_tool_name(tools: list[Any]) -> str | None:
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


_SAMPLE = {"boolean": True, "integer": 1, "number": 1, "array": [], "object": {}}


def tool_arguments(tools: list[Any], user_text: str) -> JSONDict:
    """Arguments for the first tool: `{"query": <user text>}`, or, when its schema names other
    parameters (and no `query`), each required one filled by type (strings get the user text)."""
    for tool in tools:
        if not isinstance(tool, dict):
            continue
        fn = tool.get("function") if isinstance(tool.get("function"), dict) else tool
        schema = fn.get("parameters", fn.get("input_schema")) if isinstance(fn, dict) else None
        properties = schema.get("properties") if isinstance(schema, dict) else None
        if not isinstance(properties, dict) or not properties or "query" in properties:
            break
        required = schema.get("required") if isinstance(schema, dict) else None
        names = (
            [n for n in required if n in properties]
            if isinstance(required, list) and required
            else list(properties)
        )
        out: JSONDict = {}
        for name in names:
            spec = properties[name] if isinstance(properties[name], dict) else {}
            out[name] = _SAMPLE.get(str(spec.get("type")), user_text)
        return out
    return {"query": user_text}


def as_dicts(value: Any) -> list[JSONDict]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def has_cache_control(value: Any) -> bool:
    if isinstance(value, dict):
        if value.get("cache_control") is not None:
            return True
        return any(has_cache_control(v) for v in value.values())
    if isinstance(value, list):
        return any(has_cache_control(v) for v in value)
    return False


def sse_data(payload: JSONDict | str) -> bytes:
    """An SSE event with only a ``data:`` line (chat completions style)."""
    data = payload if isinstance(payload, str) else json.dumps(payload)
    return f"data: {data}\n\n".encode()


def sse_event(event: str, payload: JSONDict) -> bytes:
    """An SSE event with ``event:`` and ``data:`` lines (responses / anthropic style)."""
    return f"event: {event}\ndata: {json.dumps(payload)}\n\n".encode()


def openai_error(status: int, message: str, type_: str, code: str | None) -> JsonReply:
    body = {"error": {"message": message, "type": type_, "param": None, "code": code}}
    return JsonReply(status, body, _retry_headers(status))


def anthropic_error(status: int, type_: str, message: str) -> JsonReply:
    body = {"type": "error", "error": {"type": type_, "message": message}}
    return JsonReply(status, body, _retry_headers(status))


def _retry_headers(status: int) -> dict[str, str]:
    """Make SDK retries (if a test leaves them on) near-instant instead of ~1 s backoff."""
    return {"retry-after-ms": "1"} if status in (429, 500) else {}


def injected_error(body: JSONDict, anthropic: bool) -> JsonReply | None:
    status = _ERROR_MODELS.get(str(body.get("model", "")))
    if status is None:
        return None
    if anthropic:
        return anthropic_error(status, *_ANTHROPIC_ERRORS[status])
    return openai_error(status, *_OPENAI_ERRORS[status])
