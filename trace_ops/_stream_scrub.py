"""Secrets split across stream deltas: find them in the joined text, cut them from the chunks.

A model that streams a key in short deltas puts no whole key in any SSE chunk, so scrubbing
chunk by chunk misses it, and joining the cassette's deltas gives it back. Per stream of text
(one choice's content, one tool call's arguments, one content block …) this joins the deltas,
finds the secrets in the joined text, and rewrites the deltas the secret spans: the first one
carries the replacement, the rest lose their part. Only rewritten chunks are re-encoded, so the
replayed stream still parses and its joined text reads `[REDACTED]` where the key was.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

#: The spans [start, end) of the secrets in a text, sorted and not overlapping.
Spans = Callable[[str], list[tuple[int, int]]]

#: One delta: the mapping holding it and its key there, and the chunk (line) it belongs to.
_Slot = tuple[dict[str, Any], str, int]


def scrub_stream(body: str, spans: Spans, replacement: str) -> str:
    """`body` (an SSE text) with the secrets its joined deltas spell out replaced."""
    lines = body.splitlines(keepends=True)
    chunks: dict[int, Any] = {}
    groups: dict[str, list[_Slot]] = {}
    for number, line in enumerate(lines):
        if not line.startswith("data:") or '"' not in line:
            continue
        try:
            chunk = json.loads(line[5:])
        except ValueError:
            continue
        if isinstance(chunk, dict):
            chunks[number] = chunk
            for group, holder, key in _deltas(chunk):
                # ids come from the recorded JSON and may be of any shape (a hand-edited list)
                name = json.dumps(group, sort_keys=True, default=str)
                groups.setdefault(name, []).append((holder, key, number))
    changed: set[int] = set()
    for slots in groups.values():
        changed |= _rewrite(slots, spans, replacement)
    for number in sorted(changed):
        ending = lines[number][len(lines[number].rstrip("\r\n")) :]
        lines[number] = "data: " + json.dumps(chunks[number], ensure_ascii=False) + ending
    return "".join(lines)


def _rewrite(slots: list[_Slot], spans: Spans, replacement: str) -> set[int]:
    """Cut the secrets of the joined text out of its deltas; the chunks that changed."""
    pieces = [holder[key] for holder, key, _ in slots]
    found = spans("".join(pieces))
    if not found:
        return set()
    changed: set[int] = set()
    offset = 0
    for (holder, key, number), piece in zip(slots, pieces, strict=True):
        start, end = offset, offset + len(piece)
        offset = end
        out: list[str] = []
        at = start
        for s, e in found:
            if e <= at or s >= end:
                continue
            out.append(piece[at - start : max(s, at) - start])
            if s >= start:  # the secret begins in this delta: it carries the replacement
                out.append(replacement)
            at = min(e, end)
        out.append(piece[at - start :])
        new = "".join(out)
        if new != piece:
            holder[key] = new
            changed.add(number)
    return changed


def _deltas(chunk: dict[str, Any]) -> list[tuple[tuple[Any, ...], dict[str, Any], str]]:
    """The text deltas of one chunk: (which stream of text, the mapping holding it, its key).

    OpenAI chat (and LiteLLM's chunks): `choices[].delta` content / refusal / reasoning and
    tool-call arguments; Responses: any `*.delta` event; Anthropic: `content_block_delta`."""
    found: list[tuple[tuple[Any, ...], dict[str, Any], str]] = []
    kind = chunk.get("type")
    if kind == "content_block_delta":
        delta = chunk.get("delta")
        if isinstance(delta, dict):
            for key in ("text", "partial_json", "thinking"):
                if isinstance(delta.get(key), str):
                    found.append((("anthropic", chunk.get("index"), key), delta, key))
        return found
    if isinstance(kind, str) and kind.startswith("response.") and kind.endswith(".delta"):
        if isinstance(chunk.get("delta"), str):
            where = (chunk.get("item_id"), chunk.get("output_index"), chunk.get("content_index"))
            found.append((("responses", kind, *where, chunk.get("summary_index")), chunk, "delta"))
        return found
    choices = chunk.get("choices")
    if not isinstance(choices, list):
        return found
    for position, choice in enumerate(choices):
        delta = choice.get("delta") if isinstance(choice, dict) else None
        if not isinstance(delta, dict):
            continue
        index = choice.get("index", position)
        for key in ("content", "refusal", "reasoning_content", "reasoning"):
            if isinstance(delta.get(key), str):
                found.append((("chat", index, key), delta, key))
        calls = delta.get("tool_calls")
        for at, call in enumerate(calls if isinstance(calls, list) else ()):
            function = call.get("function") if isinstance(call, dict) else None
            if isinstance(function, dict) and isinstance(function.get("arguments"), str):
                found.append((("chat", index, "tool", call.get("index", at)), function, "arguments"))
    return found
