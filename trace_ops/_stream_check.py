"""Checking a recorded SSE body before the SDK reads it (no provider parsing: `import trace_ops`
stays light).

A loaded stream carries UNCHECKED_STREAM (in the LLMCall's __dict__, "<file>: events[i].stream");
the replay checks it on first use, so a damaged one is a CassetteError naming the file and the
call, never a JSONDecodeError inside the SDK, at no cost to loading.

The check reads the body as the SDKs' SSE decoder does (the WHATWG event-stream rules): lines
end at CR, LF or CRLF; an event is dispatched at a blank line once it has a field (the last
event id is kept across events, as the decoder does); its `data:` lines are joined by `\\n`;
an undispatched tail is dropped. Every dispatched event but `[DONE]` must be one JSON object:
two objects on two `data:` lines of one event, or an `id:`-only event, would fail in the SDK.
"""

from __future__ import annotations

import json
import re

UNCHECKED_STREAM = "_unchecked_stream"
_LINE_END = re.compile(r"\r\n|\r|\n")


def stream_problem(body: str) -> str | None:
    """What is wrong with a recorded SSE body as the SDK will read it, or None."""
    lines = body.split("\n") if "\r" not in body else _LINE_END.split(body)
    loads = json.loads
    data: list[str] = []
    fields = False  # this event has a field (data, event, retry) besides a kept id
    last_id = False  # the decoder keeps the last event id across events
    index = 0
    try:
        for line in lines:
            if line:
                if line[0] == ":":
                    continue
                name, _, value = line.partition(":")
                if name == "data":
                    data.append(value[1:] if value[:1] == " " else value)
                    fields = True
                elif name == "event":
                    fields = True
                elif name == "id":
                    last_id = last_id or "\0" not in value
                elif name == "retry":
                    try:
                        int(value)
                        fields = True
                    except ValueError:
                        pass
                continue
            if not (fields or data or last_id):
                continue
            payload = "\n".join(data) if len(data) != 1 else data[0]
            data, fields = [], False
            if payload.startswith("[DONE]"):
                index += 1
                continue
            try:
                value = loads(payload)
            except ValueError as exc:
                return f"event {index}: invalid JSON ({exc})"
            if type(value) is not dict:
                return f"event {index}: expected a JSON object, got {type(value).__name__}"
            index += 1
    except RecursionError:
        return f"event {index}: its JSON is nested too deep"
    return None
