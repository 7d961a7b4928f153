"""Checking a recorded SSE body before the SDK reads it (no provider parsing: `import trace_ops`
stays light).

A loaded stream carries UNCHECKED_STREAM (in the LLMCall's __dict__, "<file>: events[i].stream");
the replay checks it on first use, so a damaged one is a CassetteError naming the file and the
call, never a JSONDecodeError inside the SDK, at no cost to loading.
"""

from __future__ import annotations

import json

UNCHECKED_STREAM = "_unchecked_stream"


def stream_problem(body: str) -> str | None:
    """What is wrong with a recorded SSE body as the SDK will read it, or None: each `data:`
    (bar `[DONE]`) must be a JSON object. One line per event is the rule and the fast path."""
    loads = json.loads
    try:
        for line in body.split("\n"):
            if line[:5] != "data:":
                continue
            payload = line[6:] if line[5:6] == " " else line[5:]
            if payload == "[DONE]":
                continue
            try:
                if type(loads(payload)) is dict:
                    continue
            except ValueError:
                pass
            return _event_problem(body)  # maybe an event whose JSON spans several data: lines
    except RecursionError:
        return "an event's JSON is nested too deep"
    return None


def _events(body: str) -> list[str]:
    """The data of each SSE event (its `data:` lines joined by newlines)."""
    events: list[str] = []
    data: list[str] = []
    for line in body.splitlines():
        if not line:
            if data:
                events.append("\n".join(data))
            data = []
        elif line.startswith("data:"):
            data.append(line[6:] if line[5:6] == " " else line[5:])
    if data:
        events.append("\n".join(data))
    return events


def _event_problem(body: str) -> str | None:
    for index, payload in enumerate(_events(body)):
        if payload == "[DONE]":
            continue
        try:
            value = json.loads(payload)
        except ValueError as exc:
            return f"event {index}: invalid JSON ({exc})"
        if type(value) is not dict:
            return f"event {index}: expected a JSON object, got {type(value).__name__}"
    return None
