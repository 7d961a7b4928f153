"""A Trace as OTLP/JSON spans following the OpenTelemetry GenAI conventions.

The document is an `ExportTraceServiceRequest` in OTLP's JSON encoding (the proto3 JSON
mapping with lowerCamelCase keys, integer enums and 64-bit integers as strings; trace and
span ids as hex, as OTLP/JSON requires): a root `invoke_agent {name}` span, one CLIENT
`{operation} {model}` span per LLM call and one `execute_tool {name}` span per tool call, at
the recorded times. Ids are derived from the trace's id, so exporting a cassette twice gives
the same file. Standard library only: exporting needs no OpenTelemetry package.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from trace_ops import providers
from trace_ops._files import atomic_write_text
from trace_ops._time import parse_iso
from trace_ops._version import __version__
from trace_ops.normalize import sse_json_chunks
from trace_ops.otlp import attributes as a
from trace_ops.otlp.messages import input_messages, output_messages, tool_definitions
from trace_ops.scrub import DEFAULT_SCRUBBER
from trace_ops.trace import AgentDecision, ErrorEvent, Event, Judgment, LLMCall, ToolCall, Trace

__all__ = ["dumps_otlp", "trace_to_otlp", "write_otlp"]

_PARAMS: tuple[tuple[str, str], ...] = (
    ("max_tokens", a.REQUEST_MAX_TOKENS),
    ("max_completion_tokens", a.REQUEST_MAX_TOKENS),
    ("max_output_tokens", a.REQUEST_MAX_TOKENS),
    ("temperature", a.REQUEST_TEMPERATURE),
    ("top_p", a.REQUEST_TOP_P),
    ("top_k", a.REQUEST_TOP_K),
    ("frequency_penalty", a.REQUEST_FREQUENCY_PENALTY),
    ("presence_penalty", a.REQUEST_PRESENCE_PENALTY),
    ("seed", a.REQUEST_SEED),
    ("n", a.REQUEST_CHOICE_COUNT),
    ("stream", a.REQUEST_STREAM),
)


# ---------------------------------------------------------------- OTLP/JSON values


def any_value(value: Any) -> dict[str, Any] | None:
    """One attribute value as OTLP/JSON's AnyValue (None: not representable, left out)."""
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int):
        return {"intValue": str(value)}  # int64 as a string (proto3 JSON mapping)
    if isinstance(value, float):
        return {"doubleValue": value} if math.isfinite(value) else None
    if isinstance(value, str):
        return {"stringValue": value}
    if isinstance(value, (list, tuple)):
        values = [v for v in (any_value(item) for item in value) if v is not None]
        return {"arrayValue": {"values": values}}
    return None


def key_values(attributes: Mapping[str, Any]) -> list[dict[str, Any]]:
    out = []
    for key, value in attributes.items():
        encoded = any_value(value)
        if value is not None and encoded is not None:
            out.append({"key": key, "value": encoded})
    return out


def _json(value: Any) -> str:
    """Content as the JSON text the conventions put in a span attribute, secrets scrubbed first."""
    return json.dumps(DEFAULT_SCRUBBER.data(value), ensure_ascii=False, default=str)


def _hex_id(seed: str, nbytes: int) -> str:
    digest = hashlib.sha256(seed.encode("utf-8")).hexdigest()[: nbytes * 2]
    return digest if digest.strip("0") else "1".rjust(nbytes * 2, "0")  # an all-zero id is invalid


# ---------------------------------------------------------------- timing


def _ns(iso: str | None) -> int | None:
    if not iso:
        return None
    try:
        moment = parse_iso(iso)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        return None
    return round(moment.timestamp() * 1_000_000) * 1000


def _timeline(trace: Trace) -> Iterator[tuple[Event, int, int]]:
    """(event, start ns, end ns) in order; an event without a time starts where the last ended."""
    cursor = _ns(trace.created_at) or 0
    for event in trace.events:
        start = _ns(event.started_at)
        if start is None:
            start = cursor
        duration = event.duration_ms
        length = int(duration * 1_000_000) if isinstance(duration, (int, float)) and duration > 0 else 0
        end = start + length
        cursor = max(cursor, end)
        yield event, start, end


# ---------------------------------------------------------------- one LLM call


def response_id(call: LLMCall) -> str | None:
    if call.stream is None:
        body = call.response
        value = body.get("id") if isinstance(body, dict) else None
        return value if isinstance(value, str) else None
    for chunk in sse_json_chunks(call.stream)[:3]:
        if not isinstance(chunk, dict):
            continue
        for holder in (chunk, chunk.get("response"), chunk.get("message")):
            if isinstance(holder, dict) and isinstance(holder.get("id"), str):
                return str(holder["id"])
    return None


def _request_attributes(call: LLMCall) -> dict[str, Any]:
    request = call.request
    out: dict[str, Any] = {}
    for key, name in _PARAMS:
        value = request.get(key)
        if value is not None and name not in out:
            out[name] = value
    stop = request.get("stop", request.get("stop_sequences"))
    if isinstance(stop, str):
        out[a.REQUEST_STOP] = [stop]
    elif isinstance(stop, list):
        out[a.REQUEST_STOP] = [str(s) for s in stop]
    if isinstance(request.get("encoding_format"), str):
        out[a.REQUEST_ENCODING_FORMATS] = [request["encoding_format"]]
    response_format = request.get("response_format") or (request.get("text") or {}).get("format")
    if isinstance(response_format, dict) and response_format.get("type"):
        out[a.OUTPUT_TYPE] = "text" if response_format["type"] == "text" else "json"
    return out


def _usage_attributes(call: LLMCall) -> dict[str, Any]:
    usage = call.usage
    if usage is None:
        return {}
    inputs = usage.input_tokens
    if providers.lookup(call.provider).input_excludes_cache:  # the conventions count cache in input
        inputs += usage.cached_tokens + usage.cache_write_tokens
    out: dict[str, Any] = {a.USAGE_INPUT: inputs, a.USAGE_OUTPUT: usage.output_tokens}
    if usage.cached_tokens:
        out[a.USAGE_CACHE_READ] = usage.cached_tokens
    if usage.cache_write_tokens:
        out[a.USAGE_CACHE_CREATION] = usage.cache_write_tokens
    if usage.reasoning_tokens:
        out[a.USAGE_REASONING] = usage.reasoning_tokens
    return out


def _content_attributes(call: LLMCall, operation: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if operation == "embeddings":
        return out
    messages, system = input_messages(call.endpoint, call.request)
    if messages:
        out[a.INPUT_MESSAGES] = _json(messages)
    if system:
        out[a.SYSTEM_INSTRUCTIONS] = _json(system)
    tools = tool_definitions(call.request)
    if tools:
        out[a.TOOL_DEFINITIONS] = _json(tools)
    if not call.failed:
        out[a.OUTPUT_MESSAGES] = _json(output_messages(call.view))
    return out


def _llm_span(call: LLMCall, content: bool) -> tuple[str, int, dict[str, Any], dict[str, Any] | None]:
    """(name, kind, attributes, status) of one call's span."""
    operation = a.OPERATIONS.get(call.endpoint, "chat")
    model = call.model or call.served_model or ""
    attrs: dict[str, Any] = {
        a.OPERATION: operation,
        a.PROVIDER: a.PROVIDER_NAMES.get(call.provider, call.provider),
        a.REQUEST_MODEL: model or None,
        **_request_attributes(call),
    }
    status: dict[str, Any] | None = None
    if call.failed:
        error = call.error or {}
        attrs[a.ERROR_TYPE] = error.get("type") or str(call.status)
        status = {"code": a.STATUS_ERROR, "message": error.get("message") or f"HTTP {call.status}"}
    else:
        view = call.view
        attrs[a.RESPONSE_ID] = response_id(call)
        attrs[a.RESPONSE_MODEL] = view.model
        if view.finish_reason:
            attrs[a.RESPONSE_FINISH_REASONS] = [view.finish_reason]
        attrs.update(_usage_attributes(call))
    if call.ttft_ms is not None:
        attrs[a.RESPONSE_TTFC] = float(call.ttft_ms) / 1000.0
    if content:
        attrs.update(_content_attributes(call, operation))
    attrs[a.TO_PROVIDER] = call.provider
    attrs[a.TO_ENDPOINT] = call.endpoint
    if call.status != 200:
        attrs[a.TO_STATUS] = call.status
    if call.incomplete:
        attrs[a.TO_INCOMPLETE] = True
    name = f"{operation} {model}".strip()
    return name, a.KIND_CLIENT, attrs, status


def _tool_span(tool: ToolCall, content: bool) -> tuple[str, int, dict[str, Any], dict[str, Any] | None]:
    attrs: dict[str, Any] = {
        a.OPERATION: "execute_tool",
        a.TOOL_NAME: tool.name,
        a.TOOL_TYPE: "function",
        a.TOOL_CALL_ID: tool.call_id,
    }
    if content:
        if tool.input is not None:
            attrs[a.TOOL_ARGUMENTS] = _json(tool.input)
        if tool.output is not None:
            attrs[a.TOOL_RESULT] = _json(tool.output)
    status = None
    if tool.error is not None:
        attrs[a.ERROR_TYPE] = tool.error.split(":", 1)[0].strip() or "error"
        attrs[a.TO_TOOL_ERROR] = tool.error
        status = {"code": a.STATUS_ERROR, "message": tool.error}
    return f"execute_tool {tool.name}", a.KIND_INTERNAL, attrs, status


def _root_event(event: Event, when: int, content: bool) -> dict[str, Any] | None:
    if isinstance(event, Judgment):
        attrs: dict[str, Any] = {
            a.EVALUATION_NAME: event.name,
            a.EVALUATION_SCORE: None if event.score is None else float(event.score),
            a.EVALUATION_LABEL: event.verdict,
            a.EVALUATION_EXPLANATION: event.reasoning if content else None,
            a.TO_INTENT: event.intent,
        }
        return {"timeUnixNano": str(when), "name": a.EVALUATION_EVENT, "attributes": key_values(attrs)}
    if isinstance(event, AgentDecision):
        attrs = {
            a.TO_DECISION: event.decision,
            a.TO_DECISION_DETAIL: _json(event.detail) if content else None,
        }
        return {"timeUnixNano": str(when), "name": a.TO_DECISION_EVENT, "attributes": key_values(attrs)}
    if isinstance(event, ErrorEvent):
        attrs = {a.EXCEPTION_TYPE: event.error_type, a.EXCEPTION_MESSAGE: event.message if content else None}
        return {"timeUnixNano": str(when), "name": a.EXCEPTION_EVENT, "attributes": key_values(attrs)}
    return None


def _span(
    trace_id: str,
    span_id: str,
    parent: str | None,
    name: str,
    kind: int,
    start: int,
    end: int,
    attrs: Mapping[str, Any],
    status: dict[str, Any] | None,
    events: Sequence[dict[str, Any]] = (),
) -> dict[str, Any]:
    span: dict[str, Any] = {"traceId": trace_id, "spanId": span_id}
    if parent:
        span["parentSpanId"] = parent
    span.update(
        name=name,
        kind=kind,
        startTimeUnixNano=str(start),
        endTimeUnixNano=str(max(start, end)),
        attributes=key_values(attrs),
    )
    if events:
        span["events"] = list(events)
    span["status"] = status or {}
    return span


def trace_to_otlp(
    trace: Trace, *, content: bool = True, agent_name: str | None = None, service_name: str = "trace_ops"
) -> dict[str, Any]:
    """The trace as one OTLP/JSON `ExportTraceServiceRequest` document.

    `content=False` leaves out prompts, answers, tool arguments/results and judge reasoning
    (the conventions' opt-in attributes); everything else stays.
    """
    name = agent_name or str(trace.metadata.get("agent") or trace.metadata.get("name") or "agent")
    trace_id = _hex_id(f"trace_ops:{trace.id}", 16)
    root_id = _hex_id(f"trace_ops:{trace.id}:root", 8)
    children: list[dict[str, Any]] = []
    root_events: list[dict[str, Any]] = []
    first = last = _ns(trace.created_at) or 0
    failed = False
    for index, (event, start, end) in enumerate(_timeline(trace)):
        first, last = (start, end) if index == 0 else (min(first, start), max(last, end))
        if isinstance(event, LLMCall):
            shape = _llm_span(event, content)
        elif isinstance(event, ToolCall):
            shape = _tool_span(event, content)
        else:
            root_event = _root_event(event, start, content)
            if root_event is not None:
                root_events.append(root_event)
            failed = failed or isinstance(event, ErrorEvent)
            continue
        span_name, kind, attrs, status = shape
        span_id = _hex_id(f"trace_ops:{trace.id}:{index}", 8)
        children.append(_span(trace_id, span_id, root_id, span_name, kind, start, end, attrs, status))
    root_attrs = {a.OPERATION: "invoke_agent", a.AGENT_NAME: name, a.TO_TRACE_ID: trace.id}
    root_status = {"code": a.STATUS_ERROR, "message": "the agent raised"} if failed else None
    root = _span(
        trace_id,
        root_id,
        None,
        f"invoke_agent {name}",
        a.KIND_INTERNAL,
        first,
        last,
        root_attrs,
        root_status,
        root_events,
    )
    resource = {"attributes": key_values({"service.name": service_name})}
    scope = {"name": "trace_ops", "version": __version__}
    document = {
        "resourceSpans": [
            {"resource": resource, "scopeSpans": [{"scope": scope, "spans": [root, *children]}]}
        ]
    }
    scrubbed: dict[str, Any] = DEFAULT_SCRUBBER.data(document)  # a live trace is not scrubbed until saved
    return scrubbed


def dumps_otlp(document: dict[str, Any], *, jsonl: bool = False) -> str:
    """The document as JSON text, or as JSON Lines the way the collector's file exporter writes
    them (one `ExportTraceServiceRequest` per line; here one line per span)."""
    if not jsonl:
        return json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    lines = []
    for resource_spans in document.get("resourceSpans", []):
        for scope_spans in resource_spans.get("scopeSpans", []):
            for span in scope_spans.get("spans", []):
                single = {
                    "resource": resource_spans.get("resource", {}),
                    "scopeSpans": [{"scope": scope_spans.get("scope", {}), "spans": [span]}],
                }
                lines.append(
                    json.dumps({"resourceSpans": [single]}, ensure_ascii=False, separators=(",", ":"))
                )
    return "".join(line + "\n" for line in lines)


def write_otlp(
    trace: Trace,
    path: str | os.PathLike[str],
    *,
    content: bool = True,
    jsonl: bool = False,
    agent_name: str | None = None,
) -> Path:
    """Export a trace to an OTLP/JSON file (atomically); `jsonl=True` for JSON Lines."""
    document = trace_to_otlp(trace, content=content, agent_name=agent_name)
    return atomic_write_text(Path(path), dumps_otlp(document, jsonl=jsonl))
