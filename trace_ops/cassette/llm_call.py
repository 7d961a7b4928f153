"""The llm_call codec: prompt as YAML, params and wire answer as JSON blocks, stream as SSE text.

An llm_call keeps the prompt (`request.messages` / `input` / `system` …) as YAML with
multi-line text as block scalars, the other request parameters (tools, sampling params …) as
one indented JSON block with one line per field (`request.params`; older cassettes have it on
one line, which loads the same), and the provider's wire answer as a JSON block (`response:`)
or, for streams, the raw SSE body (`stream:`) preceded by `assembled:`.

`assembled:` is the stream's answer as a reviewer reads it. A raw SSE body is dozens of
one-line JSON events per answer; nobody can review the text in it. So the cassette also shows
the text, tool calls and finish reason assembled from the stream (by the same normalize view
the rest of trace_ops uses). The field is derived: replay uses only `stream:`, and saving
recomputes it, so a hand edit of it never replays.
"""

from __future__ import annotations

import json
from typing import Any

from trace_ops._stream_check import UNCHECKED_STREAM
from trace_ops.cassette.codec import NUMBER, Reader, kind_of, write_timing
from trace_ops.cassette.yaml_dump import BlockText, json_block
from trace_ops.matching import PROMPT_KEYS, fingerprint
from trace_ops.scrub import Scrubber
from trace_ops.trace import JSONText, LLMCall

ASSEMBLED = "assembled"


class LLMCallCodec:
    """One provider call: prompt, params, status, headers, error, and the answer or stream."""

    kind = LLMCall.kind

    def to_dict(self, call: LLMCall, scrub: Scrubber) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.kind, "provider": call.provider, "endpoint": call.endpoint}
        request = scrub.data(call.request)
        if "model" in request:
            out["model"] = request["model"]
        out["fingerprint"] = call.fingerprint or fingerprint(call.endpoint, request)
        write_timing(call, out)
        if call.ttft_ms is not None:
            out["ttft_ms"] = round(call.ttft_ms, 3)
        prompt = {k: request[k] for k in PROMPT_KEYS if k in request}
        params = {k: v for k, v in request.items() if k not in prompt and k != "model"}
        if params:
            prompt["params"] = json_block(params)  # one field per line: a changed tool is a one-line diff
        out["request"] = prompt
        if call.status != 200:
            out["status"] = call.status
        if call.headers:
            out["headers"] = scrub.data(dict(call.headers))
        if call.error is not None:
            out["error"] = scrub.data(call.error)
        if call.stream is not None:
            answer = assembled(call, scrub)
            if answer is not None:
                out[ASSEMBLED] = answer
            out["stream"] = scrub.stream(call.stream)
        elif call.response is not None:
            out["response"] = json_block(scrub.data(call.response))
        if call.incomplete:
            out["incomplete"] = True
        return out

    def from_dict(self, r: Reader, data: dict[str, Any], where: str) -> LLMCall:
        provider = r.get(data, "provider", str, where, required=True)
        endpoint = r.get(data, "endpoint", str, where, required=True)
        raw_request = data.get("request", {})
        if type(raw_request) is not dict:
            raw_request = r.mapping(raw_request, f"{where}.request")
        request: dict[str, Any] = {}
        model = r.get(data, "model", str, where)
        if model is not None:
            request["model"] = model
        for key, value in raw_request.items():
            if type(key) is not str:  # `1: x` or `[a]: x` under request: (a hand edit)
                raise r.fail(f"{where}.request", f"a key is {kind_of(key)} ({str(key)[:40]!r}), not text")
            if key == "params":
                if not isinstance(value, str):
                    raise r.fail(f"{where}.request.params", f"expected JSON text, got {kind_of(value)}")
                params = r.json_text(value, where, "request.params")
                if type(params) is not dict:
                    params = r.mapping(params, f"{where}.request.params")
                request.update(params)
            else:
                request[key] = value
        response: Any = None
        response_text = r.get(data, "response", str, where)
        if response_text is not None:  # validated JSON (from the parse cache) is parsed only when read
            response = JSONText(response_text) if r.trusted else r.json_text(response_text, where, "response")
        stream = r.get(data, "stream", str, where)
        if ASSEMBLED in data and not r.trusted:
            _check_assembled(r, data, where, stream)
        error = r.get(data, "error", dict, where)
        if response is None and stream is None and error is None:
            raise r.fail(where, "an llm_call needs one of 'response', 'stream' or 'error'")
        status = r.get(data, "status", int, where)
        headers = r.get(data, "headers", dict, where) or {}
        call = LLMCall(
            provider=provider,
            endpoint=endpoint,
            request=request,
            fingerprint=r.get(data, "fingerprint", str, where) or "",
            response=response,
            stream=stream,
            status=200 if status is None else status,
            headers={str(k): str(v) for k, v in headers.items()},
            error={str(k): str(v) for k, v in error.items()} if error is not None else None,
            ttft_ms=r.get(data, "ttft_ms", NUMBER, where),
            incomplete=bool(data.get("incomplete", False)),
            started_at=r.get(data, "started_at", str, where),
            duration_ms=r.get(data, "duration_ms", NUMBER, where),
            parent=r.get(data, "parent", str, where),
        )
        if stream is not None:  # its SSE JSON is checked when first replayed (see UNCHECKED_STREAM)
            call.__dict__[UNCHECKED_STREAM] = f"{r.source}: {where}.stream"
        return call


def _check_assembled(r: Reader, data: dict[str, Any], where: str, stream: str | None) -> None:
    """`assembled:` is derived from the stream and never replayed, but a broken hand edit of it
    is still a one-line error rather than something ignored or a crash later."""
    answer = r.get(data, ASSEMBLED, dict, where)
    if answer is None:
        return
    where = f"{where}.{ASSEMBLED}"
    if stream is None:
        raise r.fail(where, "is derived from 'stream', and this call has none")
    r.get(answer, "text", str, where)
    r.get(answer, "finish_reason", str, where)
    for index, raw in enumerate(r.get(answer, "tool_calls", list, where) or ()):
        slot = f"{where}.tool_calls[{index}]"
        call = r.mapping(raw, slot)
        r.get(call, "name", str, slot, required=True)
        r.get(call, "arguments", str, slot)


def assembled(call: LLMCall, scrub: Scrubber) -> dict[str, Any] | None:
    """The scrubbed text / tool calls / finish reason of a streamed call, or None.

    Scrubbing the assembled text also catches a secret split across SSE deltas."""
    if call.stream is None or call.failed:
        return None
    try:
        view = call.view
    except (AttributeError, TypeError, ValueError):  # odd chunks (a proxy's?): never lose the save
        return None
    out: dict[str, Any] = {}
    if view.text:
        out["text"] = BlockText(scrub.text(view.text))
    if view.tool_calls:
        out["tool_calls"] = [
            {"name": scrub.text(str(c.name)), "arguments": _arguments(c.arguments, scrub)}
            for c in view.tool_calls
        ]
    if view.finish_reason is not None:
        out["finish_reason"] = scrub.text(str(view.finish_reason))
    return out or None


def _arguments(arguments: Any, scrub: Scrubber) -> str:
    """One line of JSON (as the SDK hands arguments over); text that is not JSON stays as is."""
    if isinstance(arguments, str):
        return scrub.text(arguments)
    return json.dumps(scrub.data(arguments), ensure_ascii=False, default=str)
