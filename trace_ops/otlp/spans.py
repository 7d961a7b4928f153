"""Span files -> one neutral span shape, whatever wrote them.

Read from the content, not the file name: an OTLP/JSON document (`resourceSpans`), JSON Lines
of such documents (the collector's file exporter), a bare list of OTLP spans, the
opentelemetry-sdk's own span JSON (`ConsoleSpanExporter`, `span.to_json()`, one after the
other or in a list), and Jaeger's JSON (`{"data": [{"traceID", "spans", ...}]}`, as its UI
downloads and its query API answers). Ids may be hex or base64 (protobuf's JSON printer);
enums integers or names.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass, field
from typing import Any

from trace_ops._time import parse_iso

__all__ = ["FormatError", "Span", "SpanEvent", "parse_spans"]


class FormatError(ValueError):
    """The text is not a span file we read (the message says what was found)."""


@dataclass
class SpanEvent:
    name: str
    time_ns: int
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass
class Span:
    trace_id: str
    span_id: str
    parent_id: str | None
    name: str
    kind: str  # internal, server, client, producer, consumer
    start_ns: int
    end_ns: int
    attributes: dict[str, Any] = field(default_factory=dict)
    events: list[SpanEvent] = field(default_factory=list)
    error: str | None = None  # the status message when the status is ERROR ("" without one)
    resource: dict[str, Any] = field(default_factory=dict)


_KINDS = {0: "internal", 1: "internal", 2: "server", 3: "client", 4: "producer", 5: "consumer"}
_HEX = re.compile(r"(?:0x)?([0-9a-fA-F]+)")


def _kind(value: Any) -> str:
    if isinstance(value, int):
        return _KINDS.get(value, "internal")
    text = str(value or "internal").lower()
    for name in ("server", "client", "producer", "consumer"):
        if text.endswith(name):
            return name
    return "internal"


def _id(value: Any, nbytes: int) -> str | None:
    """A trace/span id as lowercase hex: hex (OTLP/JSON, `0x…` from the SDK) or base64 (protobuf JSON)."""
    if not isinstance(value, str) or not value:
        return None
    match = _HEX.fullmatch(value)
    if match and len(match.group(1)) in (nbytes * 2, 16, 32):
        return match.group(1).lower().rjust(nbytes * 2, "0")
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise FormatError(f"span id {value!r} is neither hex nor base64") from None
    return raw.hex() or None


def _int(value: Any, what: str) -> int:
    if isinstance(value, bool):
        raise FormatError(f"{what} is not an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    if isinstance(value, float):
        return int(value)
    raise FormatError(f"{what} is not an integer: {value!r}")


def any_value(value: Any) -> Any:
    """OTLP/JSON AnyValue -> a Python value."""
    if not isinstance(value, dict):
        return value
    for key in ("stringValue", "boolValue", "doubleValue"):
        if key in value:
            return value[key]
    if "intValue" in value:
        return _int(value["intValue"], "intValue")
    if "arrayValue" in value:
        return [any_value(v) for v in (value["arrayValue"] or {}).get("values") or []]
    if "kvlistValue" in value:
        return {
            kv.get("key"): any_value(kv.get("value"))
            for kv in (value["kvlistValue"] or {}).get("values") or []
        }
    if "bytesValue" in value:
        return value["bytesValue"]
    return None


def _otlp_attributes(items: Any) -> dict[str, Any]:
    if items is None:
        return {}
    if not isinstance(items, list):
        raise FormatError("attributes is not a list")
    return {str(kv.get("key")): any_value(kv.get("value")) for kv in items if isinstance(kv, dict)}


def _otlp_span(raw: dict[str, Any], resource: dict[str, Any]) -> Span:
    trace_id = _id(raw.get("traceId"), 16)
    span_id = _id(raw.get("spanId"), 8)
    if trace_id is None or span_id is None:
        raise FormatError("a span without traceId or spanId")
    status = raw.get("status") or {}
    code = status.get("code")
    failed = code in (2, "STATUS_CODE_ERROR", "ERROR")
    events = [
        SpanEvent(
            str(e.get("name", "")),
            _int(e.get("timeUnixNano", 0), "timeUnixNano"),
            _otlp_attributes(e.get("attributes")),
        )
        for e in raw.get("events") or []
        if isinstance(e, dict)
    ]
    return Span(
        trace_id=trace_id,
        span_id=span_id,
        parent_id=_id(raw.get("parentSpanId"), 8),
        name=str(raw.get("name", "")),
        kind=_kind(raw.get("kind")),
        start_ns=_int(raw.get("startTimeUnixNano", 0), "startTimeUnixNano"),
        end_ns=_int(raw.get("endTimeUnixNano", 0), "endTimeUnixNano"),
        attributes=_otlp_attributes(raw.get("attributes")),
        events=events,
        error=str(status.get("message") or "") if failed else None,
        resource=resource,
    )


def _otlp_document(document: dict[str, Any]) -> list[Span]:
    spans: list[Span] = []
    for resource_spans in document.get("resourceSpans") or []:
        if not isinstance(resource_spans, dict):
            raise FormatError("resourceSpans holds a non-object")
        resource = _otlp_attributes((resource_spans.get("resource") or {}).get("attributes"))
        scopes = resource_spans.get("scopeSpans") or resource_spans.get("instrumentationLibrarySpans") or []
        for scope_spans in scopes:
            for raw in (scope_spans or {}).get("spans") or []:
                if isinstance(raw, dict):
                    spans.append(_otlp_span(raw, resource))
    return spans


def _sdk_ns(value: Any, what: str) -> int:
    if isinstance(value, str):
        try:
            moment = parse_iso(value)
        except ValueError:
            raise FormatError(f"{what} is not a timestamp: {value!r}") from None
        return round(moment.timestamp() * 1_000_000) * 1000
    return _int(value, what)


def _sdk_span(raw: dict[str, Any]) -> Span:
    """opentelemetry-sdk's `ReadableSpan.to_json()` shape."""
    context = raw.get("context") or {}
    trace_id, span_id = _id(context.get("trace_id"), 16), _id(context.get("span_id"), 8)
    if trace_id is None or span_id is None:
        raise FormatError("a span without context.trace_id or context.span_id")
    status = raw.get("status") or {}
    attributes = raw.get("attributes") or {}
    events = [
        SpanEvent(
            str(e.get("name", "")),
            _sdk_ns(e.get("timestamp", 0), "event timestamp"),
            dict(e.get("attributes") or {}),
        )
        for e in raw.get("events") or []
        if isinstance(e, dict)
    ]
    return Span(
        trace_id=trace_id,
        span_id=span_id,
        parent_id=_id(raw.get("parent_id"), 8),
        name=str(raw.get("name", "")),
        kind=_kind(raw.get("kind")),
        start_ns=_sdk_ns(raw.get("start_time", 0), "start_time"),
        end_ns=_sdk_ns(raw.get("end_time", 0), "end_time"),
        attributes=dict(attributes) if isinstance(attributes, dict) else {},
        events=events,
        error=str(status.get("description") or "") if status.get("status_code") == "ERROR" else None,
        resource=dict((raw.get("resource") or {}).get("attributes") or {}),
    )


def _jaeger_fields(items: Any) -> dict[str, Any]:
    return {str(t.get("key")): t.get("value") for t in items or [] if isinstance(t, dict)}


def _jaeger_trace(trace: dict[str, Any]) -> list[Span]:
    processes = trace.get("processes") or {}
    spans = []
    for raw in trace.get("spans") or []:
        if not isinstance(raw, dict):
            continue
        trace_id, span_id = _id(raw.get("traceID"), 16), _id(raw.get("spanID"), 8)
        if trace_id is None or span_id is None:
            raise FormatError("a Jaeger span without traceID or spanID")
        tags = _jaeger_fields(raw.get("tags"))
        parent = next(
            (
                r.get("spanID")
                for r in raw.get("references") or []
                if isinstance(r, dict) and r.get("refType") == "CHILD_OF"
            ),
            raw.get("parentSpanID"),
        )
        start = _int(raw.get("startTime", 0), "startTime") * 1000  # microseconds
        events = []
        for log in raw.get("logs") or []:
            fields = _jaeger_fields(log.get("fields"))
            name = str(fields.pop("event", ""))
            events.append(SpanEvent(name, _int(log.get("timestamp", 0), "log timestamp") * 1000, fields))
        failed = tags.get("otel.status_code") == "ERROR" or tags.get("error") in (True, "true")
        process = processes.get(raw.get("processID")) or {}
        spans.append(
            Span(
                trace_id=trace_id,
                span_id=span_id,
                parent_id=_id(parent, 8),
                name=str(raw.get("operationName", "")),
                kind=_kind(tags.get("span.kind")),
                start_ns=start,
                end_ns=start + _int(raw.get("duration", 0), "duration") * 1000,
                attributes=tags,
                events=events,
                error=str(tags.get("otel.status_description") or "") if failed else None,
                resource={"service.name": process.get("serviceName"), **_jaeger_fields(process.get("tags"))},
            )
        )
    return spans


def _from_value(value: Any) -> tuple[str, list[Span]]:
    if isinstance(value, list):
        spans: list[Span] = []
        kind = "spans"
        for item in value:
            if isinstance(item, dict) and "resourceSpans" in item:
                spans.extend(_otlp_document(item))
            elif isinstance(item, dict) and "traceId" in item:
                spans.append(_otlp_span(item, {}))
            elif isinstance(item, dict) and "context" in item:
                kind = "sdk"
                spans.append(_sdk_span(item))
            else:
                raise FormatError("a list that holds something other than spans")
        return kind, spans
    if not isinstance(value, dict):
        raise FormatError(f"a JSON {type(value).__name__}, not spans")
    if "resourceSpans" in value:
        return "otlp", _otlp_document(value)
    if isinstance(value.get("data"), list) and all(
        isinstance(t, dict) and "spans" in t for t in value["data"]
    ):
        return "jaeger", [span for trace in value["data"] for span in _jaeger_trace(trace)]
    if "traceID" in value and "spans" in value:
        return "jaeger", _jaeger_trace(value)
    if "traceId" in value and "spanId" in value:
        return "spans", [_otlp_span(value, {})]
    if "context" in value and "name" in value:
        return "sdk", [_sdk_span(value)]
    keys = ", ".join(sorted(str(k) for k in value)[:5])
    raise FormatError(f"a JSON object with keys {keys or '(none)'}: not OTLP/JSON, Jaeger JSON or spans")


def parse_spans(text: str) -> tuple[str, list[Span]]:
    """(format, spans) of a span file's text: one JSON value, or several one after another (JSON Lines)."""
    decoder = json.JSONDecoder()
    position, size = 0, len(text)
    formats: list[str] = []
    spans: list[Span] = []
    while True:
        while position < size and text[position].isspace():
            position += 1
        if position >= size:
            break
        try:
            value, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError as exc:
            line = text.count("\n", 0, exc.pos) + 1
            raise FormatError(f"not JSON at line {line}: {exc.msg}") from None
        kind, found = _from_value(value)
        formats.append(kind)
        spans.extend(found)
    if not formats:
        raise FormatError("empty file")
    kind = formats[0] if len(set(formats)) == 1 else "mixed"
    if len(formats) > 1 and kind in ("otlp", "spans"):
        kind = f"{kind}-jsonl"
    return kind, spans
