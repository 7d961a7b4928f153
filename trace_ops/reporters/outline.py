"""A trace described for humans, with no rendering in it: a header, one row per event, and
each event's details as titled sections of plain text.

`replay inspect`, the step debugger and the HTML report all show the same facts; building
them here once keeps the three in agreement (the same summary line, the same cost, the same
"unknown" for a price that is not known) while each medium renders them its own way.
Recorded text is returned as is: escaping it is the renderer's job (rich `Text`, HTML).
"""

from __future__ import annotations

import json
import warnings
from dataclasses import asdict, dataclass
from typing import Any

from trace_ops.formatting import format_figure, format_usd
from trace_ops.trace import AgentDecision, ErrorEvent, Event, Judgment, LLMCall, ToolCall, Trace

__all__ = [
    "EventRow",
    "Section",
    "TraceHeader",
    "event_details",
    "event_rows",
    "header_fields",
    "one_line",
    "plain_value",
    "row_cells",
    "trace_header",
]

#: How long a one-line summary may get before it is cut with `…`.
SUMMARY_WIDTH = 100


@dataclass(frozen=True)
class TraceHeader:
    """Who recorded the run, with what, and what it added up to. None is unknown, never zero."""

    id: str
    created_at: str
    trace_ops_version: str
    sdk_versions: dict[str, str]
    price_data: str | None
    events: int
    llm_calls: int
    tool_calls: int
    errors: int
    input_tokens: int
    output_tokens: int
    tokens: int
    cost_usd: float | None
    duration_ms: float
    models: tuple[str, ...]
    tools: tuple[str, ...]
    tags: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class EventRow:
    """One event as a line: `index` counts from 0, `number` (for people) from 1."""

    index: int
    kind: str
    label: str
    summary: str
    input_tokens: int | None
    output_tokens: int | None
    tokens: int | None
    cost_usd: float | None
    latency_ms: float | None
    error: str | None
    started_at: str | None

    @property
    def number(self) -> int:
        return self.index + 1

    def as_dict(self) -> dict[str, Any]:
        return {"number": self.number, **asdict(self)}


@dataclass(frozen=True)
class Section:
    """A titled block of plain text (a prompt message, the answer, a tool's input or output)."""

    title: str
    text: str


# ---------------------------------------------------------------- plain text of recorded values


def plain_value(value: Any) -> str:
    """A recorded value as readable text: strings as they are, anything else as indented JSON."""
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, indent=2, ensure_ascii=False, default=str)
    except (TypeError, ValueError):  # a circular structure: repr still tells what it was
        return repr(value)


def one_line(text: str, width: int = SUMMARY_WIDTH) -> str:
    """Whitespace runs (newlines too) collapsed to one space, cut with `…` past `width`."""
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1].rstrip() + "…"


def _compact(value: Any) -> str:
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    except (TypeError, ValueError):
        return repr(value)


# ---------------------------------------------------------------- per-call figures


def _call_cost(call: LLMCall) -> tuple[float | None, str | None]:
    """(USD, why unknown); the pricer's warning is left out, the reason is kept instead."""
    from trace_ops.cost import price_call

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        priced = price_call(call)
    return priced.usd, priced.reason


def _call_error(call: LLMCall) -> str | None:
    if call.not_recorded is not None:
        return f"not recorded: {call.not_recorded}" if call.not_recorded else "not recorded"
    if call.error is not None:
        kind, message = call.error.get("type", "error"), call.error.get("message", "")
        return f"{kind}: {message}" if message else kind
    if call.status >= 400:
        return f"HTTP {call.status}"
    if call.incomplete:
        return "stream ended early"
    return None


def _tool_requests(call: LLMCall) -> str:
    return ", ".join(f"{t.name}({_compact(t.arguments)})" for t in call.view.tool_calls)


def _summary(event: Event) -> str:
    if isinstance(event, LLMCall):
        error = _call_error(event)
        if error is not None and event.failed:
            return one_line(error)
        view = event.view
        if view.tool_calls:
            return one_line(f"→ {_tool_requests(event)}")
        return one_line(repr(view.text) if view.text else "(no text)")
    if isinstance(event, ToolCall):
        result = f"error: {event.error}" if event.error is not None else _compact(event.output)
        return one_line(f"{_compact(event.input)} → {result}")
    if isinstance(event, AgentDecision):
        return one_line(f"{event.decision} {_compact(event.detail)}" if event.detail else event.decision)
    if isinstance(event, ErrorEvent):
        return one_line(f"{event.error_type}: {event.message}" if event.message else event.error_type)
    if isinstance(event, Judgment):
        parts = [p for p in (event.verdict, None if event.score is None else f"score {event.score:g}") if p]
        return one_line(" · ".join(parts) or event.name)
    return event.kind


def _row(index: int, event: Event) -> EventRow:
    input_tokens = output_tokens = tokens = None
    cost: float | None = None
    error: str | None = None
    if isinstance(event, LLMCall):
        usage = event.usage
        if usage is not None:
            input_tokens, output_tokens, tokens = usage.input_tokens, usage.output_tokens, usage.total_tokens
        cost = _call_cost(event)[0]
        error = _call_error(event)
    elif isinstance(event, ToolCall):
        error = event.error
    elif isinstance(event, ErrorEvent):
        error = f"{event.error_type}: {event.message}" if event.message else event.error_type
    return EventRow(
        index=index,
        kind=event.kind,
        label=event.label,
        summary=_summary(event),
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        tokens=tokens,
        cost_usd=cost,
        latency_ms=event.duration_ms,
        error=error,
        started_at=event.started_at,
    )


# ---------------------------------------------------------------- the three entry points


def event_rows(trace: Trace) -> list[EventRow]:
    """One row per event, in recorded order."""
    return [_row(index, event) for index, event in enumerate(trace.events)]


def trace_header(trace: Trace, rows: list[EventRow] | None = None) -> TraceHeader:
    """The run's identity and totals (pass `rows` from `event_rows` to price each call once)."""
    rows = event_rows(trace) if rows is None else rows
    llm_rows = [row for row in rows if row.kind == LLMCall.kind]
    costs = [row.cost_usd for row in llm_rows]
    models = dict.fromkeys(m for call in trace.llm_calls if (m := call.served_model or call.model))
    return TraceHeader(
        id=trace.id,
        created_at=trace.created_at,
        trace_ops_version=trace.trace_ops_version,
        sdk_versions=dict(trace.sdk_versions),
        price_data=trace.price_data,
        events=len(rows),
        llm_calls=len(llm_rows),
        tool_calls=sum(1 for row in rows if row.kind == ToolCall.kind),
        errors=sum(1 for row in rows if row.error is not None),
        input_tokens=sum(row.input_tokens or 0 for row in llm_rows),
        output_tokens=sum(row.output_tokens or 0 for row in llm_rows),
        tokens=sum(row.tokens or 0 for row in llm_rows),
        cost_usd=None if any(c is None for c in costs) else sum(c for c in costs if c is not None),
        duration_ms=sum(row.latency_ms or 0.0 for row in rows),
        models=tuple(models),
        tools=tuple(dict.fromkeys(t.name for t in trace.tool_calls)),
        tags=tuple(trace.tags),
    )


def _message_text(message: Any) -> tuple[str, str]:
    """(role, text) of one prompt message; text blocks joined, other blocks as JSON."""
    if not isinstance(message, dict):
        return "message", plain_value(message)
    role = str(message.get("role") or message.get("type") or "message")
    content = message.get("content")
    parts: list[str] = []
    if isinstance(content, str):
        parts.append(content)
    elif isinstance(content, list):
        for block in content:
            text = block.get("text") if isinstance(block, dict) else None
            parts.append(text if isinstance(text, str) else plain_value(block))
    elif content is not None:
        parts.append(plain_value(content))
    rest = {k: v for k, v in message.items() if k not in ("role", "content")}
    if rest and (content is None or "tool_calls" in rest or "tool_call_id" in rest):
        parts.append(plain_value(rest))
    return role, "\n".join(parts)


def _prompt_sections(request: dict[str, Any]) -> list[Section]:
    from trace_ops.matching import CONVERSATION_KEYS, SYSTEM_KEYS

    messages: list[Any] = [{"role": "system", "content": request[k]} for k in SYSTEM_KEYS if request.get(k)]
    for key in CONVERSATION_KEYS:
        value = request.get(key)
        if isinstance(value, list):
            messages.extend(value)
        elif value is not None:
            messages.append({"role": "user", "content": value})
    sections = []
    for number, message in enumerate(messages, 1):
        role, text = _message_text(message)
        sections.append(Section(f"Prompt message {number} ({role})", text))
    return sections


def event_details(event: Event) -> list[Section]:
    """Everything recorded about one event, as titled plain-text sections, in reading order."""
    if isinstance(event, LLMCall):
        request = event.request if isinstance(event.request, dict) else {}
        sections = [
            Section("Request", f"{event.provider} {event.endpoint}, model {event.model or 'unknown'}")
        ]
        sections += _prompt_sections(request)
        error = _call_error(event)
        if error is not None:
            sections.append(Section("Error", error))
        view = event.view
        if view.text:
            sections.append(Section("Answer", view.text))
        for call in view.tool_calls:
            sections.append(Section(f"Tool call requested: {call.name}", plain_value(call.arguments)))
        usage, (cost, why) = event.usage, _call_cost(event)
        figures = [f"model {view.model or event.model or 'unknown'}"]
        if view.finish_reason:
            figures.append(f"finish {view.finish_reason}")
        if usage is not None:
            figures.append(f"tokens {usage.input_tokens:,} in / {usage.output_tokens:,} out")
        figures.append(f"cost {format_usd(cost)}" + (f" ({why})" if cost is None and why else ""))
        if event.duration_ms is not None:
            figures.append(f"latency {format_figure(event.duration_ms, 'ms')}")
        sections.append(Section("Figures", ", ".join(figures)))
        return sections
    if isinstance(event, ToolCall):
        sections = [Section("Tool input", plain_value(event.input))]
        if event.error is not None:
            sections.append(Section("Tool error", event.error))
        else:
            sections.append(Section("Tool output", plain_value(event.output)))
        return sections
    if isinstance(event, AgentDecision):
        return [Section("Decision", event.decision), Section("Detail", plain_value(event.detail))]
    if isinstance(event, ErrorEvent):
        return [
            Section("Error", f"{event.error_type}: {event.message}" if event.message else event.error_type)
        ]
    if isinstance(event, Judgment):
        fields = [("Verdict", event.verdict), ("Score", None if event.score is None else f"{event.score:g}")]
        fields += [("Reasoning", event.reasoning), ("Intent", event.intent)]
        return [Section(title, text) for title, text in fields if text is not None] or [
            Section("Judgment", event.name)
        ]
    return [Section(event.kind, "")]


# ---------------------------------------------------------------- formatted text for renderers


def header_fields(header: TraceHeader) -> list[tuple[str, str]]:
    """The header as (label, text) pairs, formatted the way every report formats figures."""
    sdks = ", ".join(f"{name} {version}" for name, version in header.sdk_versions.items()) or "none recorded"
    fields = [
        ("Trace", header.id),
        ("Created", header.created_at),
        ("Recorded with", f"trace_ops {header.trace_ops_version}; {sdks}"),
        ("Price data", header.price_data or "not recorded"),
        ("Events", f"{header.events:,} ({header.llm_calls:,} LLM calls, {header.tool_calls:,} tool calls)"),
        (
            "Tokens",
            f"{header.tokens:,} ({header.input_tokens:,} in / {header.output_tokens:,} out)",
        ),
        ("Cost", format_usd(header.cost_usd)),
        ("Duration", format_figure(header.duration_ms, "ms")),
    ]
    if header.models:
        fields.append(("Models", ", ".join(header.models)))
    if header.tools:
        fields.append(("Tools", ", ".join(header.tools)))
    if header.errors:
        fields.append(("Errors", f"{header.errors:,}"))
    if header.tags:
        fields.append(("Tags", ", ".join(header.tags)))
    return fields


def row_cells(row: EventRow) -> dict[str, str]:
    """A row's figures as text cells (`-` where a figure does not apply to the event)."""
    return {
        "number": f"#{row.number}",
        "label": row.label,
        "summary": row.summary,
        "tokens": "-" if row.tokens is None else f"{row.tokens:,}",
        "cost": format_usd(row.cost_usd) if row.kind == LLMCall.kind else "-",
        "latency": "-" if row.latency_ms is None else format_figure(row.latency_ms, "ms"),
        "error": row.error or "",
    }
