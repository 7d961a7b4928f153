"""OpenTelemetry interop: export a Trace as OTLP/JSON GenAI spans, import span files as a Trace,
and capture GenAI spans live into a Recorder.

`attributes` (the names, ours), `messages` (prompts in the conventions' shape), `export`,
`send` (OTLP/HTTP), `spans` (span files of every shape -> one span type), `importer`, `live`
(a span processor; needs opentelemetry-sdk, loaded only when asked for).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from trace_ops.otlp.export import dumps_otlp, trace_to_otlp, write_otlp
from trace_ops.otlp.importer import load_trace_file, spans_to_trace
from trace_ops.otlp.send import OTLPSendError, send_otlp, traces_url

if TYPE_CHECKING:
    from trace_ops.otlp.live import GenAISpanRecorder

__all__ = [
    "GenAISpanRecorder",
    "OTLPSendError",
    "dumps_otlp",
    "load_trace_file",
    "send_otlp",
    "spans_to_trace",
    "trace_to_otlp",
    "traces_url",
    "write_otlp",
]


def __getattr__(name: str) -> Any:
    if name == "GenAISpanRecorder":  # imports opentelemetry-sdk, so only when asked for
        from trace_ops.otlp.live import GenAISpanRecorder

        return GenAISpanRecorder
    raise AttributeError(f"module 'trace_ops.otlp' has no attribute {name!r}")
