"""The cassette document <-> Trace: the version checks, the `trace:` header, and the table of
event codecs (CODECS), one per event kind.

Layout (version 1): `version`, a `trace:` header and an `events:` list, each event a mapping
with `type: <kind>` written and read by that kind's codec. A document is plain data; turning
it into YAML text and back is yaml_dump's and safe_yaml's job.
"""

from __future__ import annotations

from typing import Any

from trace_ops.cassette.codec import EventCodec, Reader, kind_of
from trace_ops.cassette.events import (
    AgentDecisionCodec,
    ErrorEventCodec,
    JudgmentCodec,
    McpRequestCodec,
    McpToolCallCodec,
    ToolCallCodec,
)
from trace_ops.cassette.http_call import HTTPCallCodec
from trace_ops.cassette.llm_call import LLMCallCodec
from trace_ops.cassette.spans import GraphRunCodec, NodeRunCodec, SpanRunCodec
from trace_ops.errors import CassetteError
from trace_ops.scrub import DEFAULT_SCRUBBER, Scrubber
from trace_ops.trace import Event, Trace

CASSETTE_VERSION = 1
SUPPORTED_VERSIONS = frozenset({1})

# kind -> codec; the order is the one error messages list the known kinds in.
CODECS: dict[str, EventCodec[Any]] = {
    codec.kind: codec
    for codec in (
        LLMCallCodec(),
        HTTPCallCodec(),
        ToolCallCodec(),
        AgentDecisionCodec(),
        ErrorEventCodec(),
        JudgmentCodec(),
        McpToolCallCodec(),
        McpRequestCodec(),
        GraphRunCodec(),
        NodeRunCodec(),
        SpanRunCodec(),
    )
}


def event_to_dict(event: Event, scrub: Scrubber = DEFAULT_SCRUBBER) -> dict[str, Any]:
    """An event as the cassette stores it (secrets scrubbed)."""
    codec = CODECS.get(event.kind)
    if codec is None:  # an Event of no known kind: only its type, as before codecs existed
        return {"type": event.kind}
    return codec.to_dict(event, scrub)


def trace_to_document(trace: Trace, scrub: Scrubber = DEFAULT_SCRUBBER) -> dict[str, Any]:
    """The cassette document (plain data) of a trace, secrets scrubbed."""
    header: dict[str, Any] = {
        "id": trace.id,
        "created_at": trace.created_at,
        "trace_ops_version": trace.trace_ops_version,
        "sdk_versions": dict(trace.sdk_versions),
    }
    if trace.price_data:
        header["price_data"] = trace.price_data
    if trace.tags:
        header["tags"] = list(trace.tags)
    if trace.metadata:
        header["metadata"] = scrub.data(trace.metadata)
    return {
        "version": CASSETTE_VERSION,
        "trace": header,
        "events": [event_to_dict(e, scrub) for e in trace.events],
    }


def _read_event(r: Reader, raw: Any, index: int) -> Event:
    where = f"events[{index}]"
    data = r.mapping(raw, where)
    kind = r.get(data, "type", str, where, required=True)
    codec = CODECS.get(kind)
    if codec is None:
        raise r.fail(f"{where}.type", f"unknown event type {kind!r} (known: {', '.join(CODECS)})")
    event: Event = codec.from_dict(r, data, where)
    return event


def trace_from_document(document: Any, source: str = "<cassette>", *, trusted: bool = False) -> Trace:
    """Validate a parsed cassette document and build its Trace. `trusted`: this document was
    validated before (a parse-cache hit), so the wire answers' JSON is parsed only when read."""
    r = Reader(source, trusted=trusted)
    if not isinstance(document, dict):
        raise CassetteError(
            f"{source}: not a trace_ops cassette (top level is {kind_of(document)}, not a mapping)"
        )
    if "interactions" in document and "events" not in document:
        raise CassetteError(
            f"{source}: this is a VCR.py cassette (it has 'interactions'), not a trace_ops cassette; "
            "pytest-recording / VCR.py read it, trace_ops records its own (*.trace.yaml by default)"
        )
    if "version" not in document:
        raise CassetteError(f"{source}: not a trace_ops cassette (no 'version' key)")
    if "trace" not in document and "events" not in document:
        raise CassetteError(f"{source}: not a trace_ops cassette (neither 'trace' nor 'events' key)")
    version = document["version"]
    numeric = isinstance(version, (int, float)) and not isinstance(version, bool)
    if not numeric or version not in SUPPORTED_VERSIONS:  # (a list or mapping is unhashable)
        shown = repr(version) if isinstance(version, (int, float, str)) else kind_of(version)
        raise CassetteError(
            f"{source}: unsupported cassette version {shown[:80]} (this trace_ops {_supported()} reads "
            f"version {', '.join(map(str, sorted(SUPPORTED_VERSIONS)))}); upgrade trace_ops or re-record"
        )
    header = r.mapping(document.get("trace") or {}, "trace")
    events_raw = document.get("events")
    if events_raw is None:
        events_raw = []
    if not isinstance(events_raw, list):
        raise r.fail("events", f"expected a list, got {kind_of(events_raw)}")
    events = [_read_event(r, raw, i) for i, raw in enumerate(events_raw)]
    # Pass every field to Trace(): its defaults (a fresh uuid, the current time) cost more than
    # the rest of a one-call load.
    fields: dict[str, Any] = {"events": events}
    if header.get("id"):
        fields["id"] = str(header["id"])
    if header.get("created_at"):
        fields["created_at"] = str(header["created_at"])
    fields["trace_ops_version"] = str(header.get("trace_ops_version") or "unknown")
    sdk_versions = r.get(header, "sdk_versions", dict, "trace") or {}
    fields["sdk_versions"] = {str(k): str(v) for k, v in sdk_versions.items()}
    fields["price_data"] = r.get(header, "price_data", str, "trace")
    fields["tags"] = [str(t) for t in (r.get(header, "tags", list, "trace") or [])]
    fields["metadata"] = r.get(header, "metadata", dict, "trace") or {}
    return Trace(**fields)


def _supported() -> str:
    from trace_ops._version import __version__

    return __version__
