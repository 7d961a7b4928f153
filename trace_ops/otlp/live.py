"""Live capture: a span processor that records GenAI spans into the active Recorder.

For agents whose framework or HTTP client trace_ops does not patch but which emit
OpenTelemetry GenAI spans (pydantic-ai's instrumentation, OpenLLMetry, ...): add
`GenAISpanRecorder()` to the TracerProvider and each finished `chat`/`embeddings`/
`execute_tool` span becomes an event of the recording session active at that moment.

No call is counted twice. The rule: a span is skipped when the interceptor already recorded
its call, i.e. an LLM call (for a tool span: a tool call of the same name) was added to the
session while the span was open, or a recorded call has the span's `gen_ai.response.id`.
An OpenAI call made by an instrumented framework is therefore recorded once, by the SDK
interceptor (which also replays it); the span adds only what the interceptor cannot see.
Only sessions that record take events; a replay adds none (what the spans saw went live).
Needs opentelemetry-sdk (`pip install trace-ops[otel]`).
"""

from __future__ import annotations

import threading
from typing import Any

from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor
from opentelemetry.sdk.trace import Span as SdkSpan

from trace_ops import _seam
from trace_ops.otlp import attributes as a
from trace_ops.otlp.export import response_id
from trace_ops.otlp.importer import event_of_span
from trace_ops.otlp.spans import Span, SpanEvent
from trace_ops.trace import LLMCall, ToolCall

__all__ = ["GenAISpanRecorder"]

_MAX_OPEN = 10_000  # spans that never end must not grow the bookkeeping without bound


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def neutral_span(span: ReadableSpan) -> Span:
    """An SDK span in the importer's span shape."""
    context = span.context
    trace_id = f"{context.trace_id:032x}" if context is not None else "0" * 32
    span_id = f"{context.span_id:016x}" if context is not None else "0" * 16
    error = None
    if span.status is not None and span.status.status_code.name == "ERROR":
        error = span.status.description or ""
    return Span(
        trace_id=trace_id,
        span_id=span_id,
        parent_id=f"{span.parent.span_id:016x}" if span.parent is not None else None,
        name=span.name,
        kind=span.kind.name.lower(),
        start_ns=span.start_time or 0,
        end_ns=span.end_time or span.start_time or 0,
        attributes={k: _plain(v) for k, v in (span.attributes or {}).items()},
        events=[
            SpanEvent(e.name, e.timestamp, {k: _plain(v) for k, v in (e.attributes or {}).items()})
            for e in span.events
        ],
        error=error,
    )


class GenAISpanRecorder(SpanProcessor):
    """Records finished GenAI spans into the active recording session (see the module doc for
    the no-double-counting rule). `llm_calls=False` / `tool_calls=False` turn either kind off."""

    def __init__(self, *, llm_calls: bool = True, tool_calls: bool = True) -> None:
        self.llm_calls = llm_calls
        self.tool_calls = tool_calls
        self._open: dict[int, int] = {}  # span id -> how many events the session had at its start
        self._lock = threading.Lock()
        self.skipped = 0  # spans whose call the interceptor had recorded already

    def on_start(self, span: SdkSpan, parent_context: Context | None = None) -> None:
        session = _seam.current_session()
        trace = getattr(session, "trace", None)
        if trace is None or span.context is None:
            return
        with self._lock:
            if len(self._open) < _MAX_OPEN:
                self._open[span.context.span_id] = len(trace.events)

    def on_end(self, span: ReadableSpan) -> None:
        started_with = self._open.pop(span.context.span_id, None) if span.context is not None else None
        session = _seam.current_session()
        trace = getattr(session, "trace", None)
        policy = getattr(session, "policy", None)
        if session is None or trace is None or not getattr(policy, "record_misses", False):
            return
        try:
            event = event_of_span(neutral_span(span))
        except (TypeError, ValueError, AttributeError, KeyError):
            return  # a span we cannot read is not worth breaking the agent for
        if event is None or (isinstance(event, LLMCall) and not self.llm_calls):
            return
        if isinstance(event, ToolCall) and not self.tool_calls:
            return
        during = trace.events[started_with:] if started_with is not None else []
        if isinstance(event, LLMCall):
            seen = str(span.attributes.get(a.RESPONSE_ID, "")) if span.attributes else ""
            if any(isinstance(e, LLMCall) for e in during) or (
                seen and any(isinstance(e, LLMCall) and response_id(e) == seen for e in trace.events)
            ):
                self.skipped += 1
                return
        elif isinstance(event, ToolCall) and any(
            isinstance(e, ToolCall) and e.name == event.name for e in during
        ):
            self.skipped += 1
            return
        session.add(event, recorded=True)

    def shutdown(self) -> None:
        with self._lock:
            self._open.clear()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True
