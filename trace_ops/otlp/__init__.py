"""OpenTelemetry interop: export a Trace as OTLP/JSON GenAI spans, import span files as a Trace,
and capture GenAI spans live into a Recorder.

`attributes` (the names, ours), `messages` (prompts in the conventions' shape), `export`,
`send` (OTLP/HTTP), `spans` (span files of every shape -> one span type), `importer`, `live`
(a span processor; needs opentelemetry-sdk, loaded only when asked for).
"""

from __future__ import annotations

from trace_ops.otlp.export import dumps_otlp, trace_to_otlp, write_otlp
from trace_ops.otlp.importer import load_trace_file, spans_to_trace
from trace_ops.otlp.send import OTLPSendError, send_otlp, traces_url

__all__ = [
    "OTLPSendError",
    "dumps_otlp",
    "load_trace_file",
    "send_otlp",
    "spans_to_trace",
    "trace_to_otlp",
    "traces_url",
    "write_otlp",
]
