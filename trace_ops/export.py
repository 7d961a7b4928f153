"""A trace in formats other tools read: a table of exporters, one per format.

`json` is the cassette's content as one JSON document, with the request and the provider's
answer as nested JSON (the YAML keeps them as JSON text blocks for review). Secrets are
scrubbed as on save. `otlp` is OpenTelemetry GenAI spans as OTLP/JSON (`trace_ops.otlp`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

from trace_ops.trace import LLMCall, Trace

__all__ = ["EXPORT_FORMATS", "ExportFormat", "export_trace", "trace_to_json"]


def trace_to_json_data(trace: Trace) -> dict[str, Any]:
    """The cassette document with each call's request and answer as data, not JSON text."""
    from trace_ops.cassette import trace_to_document
    from trace_ops.scrub import DEFAULT_SCRUBBER

    document = trace_to_document(trace)
    for event, data in zip(trace.events, document["events"], strict=True):
        if isinstance(event, LLMCall):
            data["request"] = DEFAULT_SCRUBBER.data(event.request)
            if "response" in data:
                data["response"] = DEFAULT_SCRUBBER.data(event.response)
            if "assembled" in data:
                data["assembled"] = {
                    k: str(v) if isinstance(v, str) else v for k, v in data["assembled"].items()
                }
    return {"format": "trace_ops.trace", **document}


def trace_to_json(trace: Trace) -> str:
    return json.dumps(trace_to_json_data(trace), indent=2, ensure_ascii=False, default=str) + "\n"


def _otlp(trace: Trace) -> str:
    from trace_ops.otlp import dumps_otlp, trace_to_otlp

    return dumps_otlp(trace_to_otlp(trace))


class ExportFormat(NamedTuple):
    render: Callable[[Trace], str]
    summary: str


#: Every export format: name -> how a trace becomes that file's text.
EXPORT_FORMATS: dict[str, ExportFormat] = {
    "json": ExportFormat(trace_to_json, "the cassette as one JSON document"),
    "otlp": ExportFormat(
        _otlp, "OpenTelemetry GenAI spans as OTLP/JSON (--no-content, --jsonl, --otlp-endpoint)"
    ),
}


def export_trace(trace: Trace, format: str, path: str | os.PathLike[str]) -> Path:
    """Write `trace` as `format` to `path`, atomically."""
    from trace_ops._files import atomic_write_text

    exporter = EXPORT_FORMATS.get(format)
    if exporter is None:
        raise ValueError(f"unknown export format {format!r} (choose from {', '.join(EXPORT_FORMATS)})")
    return atomic_write_text(Path(path), exporter.render(trace))
