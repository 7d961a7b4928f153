"""The debugger's screens as rich renderables: the run's header, one step, one compared pair.

Recorded text always goes into `Text` objects, never parsed as rich markup, so a prompt holding
`[bold]` prints as written. Colour is only emphasis: every mark is also a word (`CHANGED`,
`ADDED`), so the plain text of a pipe or `NO_COLOR` says the same.
"""

from __future__ import annotations

import json
from typing import Any

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from trace_ops.debugger.session import SHORT_HELP
from trace_ops.debugger.steps import ADDED, CHANGED, REMOVED, PairedStep, Step, as_text
from trace_ops.diff import prompt_messages
from trace_ops.formatting import format_usd
from trace_ops.trace import AgentDecision, ErrorEvent, Event, Judgment, LLMCall, ToolCall, Trace

__all__ = ["render_header", "render_pair", "render_step"]

LAST_MESSAGES = 3  # how much of the prompt a step shows: the newest messages say what was asked
_CLIP = 1200  # characters of one recorded text shown; the rest is counted, not printed
_KIND_NAMES = {
    "llm_call": "LLM call",
    "tool_call": "Tool call",
    "agent_decision": "Decision",
    "error": "Error",
    "judgment": "Judgment",
}
_STATUS = {
    CHANGED: ("CHANGED", "bold yellow"),
    ADDED: ("ADDED (new run only)", "bold green"),
    REMOVED: ("REMOVED (old run only)", "bold red"),
}


def _ms(value: float | None) -> str:
    if value is None:
        return "? ms"
    return f"{value:,.1f} ms" if value < 10 else f"{value:,.0f} ms"


def _clip(text: str, limit: int = _CLIP) -> str:
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text) - limit:,} more characters)"


def _box(title: str, body: str, style: str = "") -> Panel:
    return Panel(Text(_clip(body)), title=title, title_align="left", border_style=style or "none")


# --------------------------------------------------------------------------- the header


def render_header(trace: Trace, title: str = "trace_ops debugger", *, keys: bool = True) -> RenderableType:
    """Who the run is and what it cost, then the keys (the reference's first screen)."""
    cost = trace.total_cost_usd
    lines = [
        f"Trace ID: {trace.id}",
        f"Created: {trace.created_at}",
        f"Events: {len(trace.events)}  (LLM: {trace.total_llm_calls}, Tools: {trace.total_tool_calls})",
        f"Tokens: {trace.total_tokens:,}  Cost: {format_usd(cost)}  Duration: {_ms(trace.total_duration_ms)}",
    ]
    panel = Panel(Text("\n".join(lines)), title=title, title_align="left", expand=False)
    return Group(panel, Text(f"  {SHORT_HELP}", style="dim")) if keys else panel


# --------------------------------------------------------------------------- one step


def _title(event: Event, where: str, *, compact: bool = False) -> Text:
    text = Text(f"{_KIND_NAMES.get(event.kind, event.kind)}  {where}", style="bold")
    if isinstance(event, LLMCall):
        model = event.served_model or event.model or "?"
        text.append(f"  {model}" if compact else f"  provider={event.provider}  model={model}")
    elif isinstance(event, ToolCall):
        text.append(f"  {event.name}")
    if event.duration_ms is not None:
        text.append(f"  {_ms(event.duration_ms)}")
    return text


def _message_text(text: str) -> str:
    """A prompt message as people read it: its text, and the tools it called as `name(arguments)`.

    `prompt_messages` gives anything richer than plain text as canonical JSON; an assistant turn
    that called a tool would print as a screenful of it.
    """
    if not text.startswith("{"):
        return text
    try:
        message = json.loads(text)
    except ValueError:
        return text
    if not isinstance(message, dict):
        return text
    parts: list[str] = []
    content = message.get("content")
    if isinstance(content, str):
        parts.append(content)
    elif isinstance(content, list):
        parts.extend(str(p.get("text")) for p in content if isinstance(p, dict) and p.get("text"))
        parts.extend(_call_text(p) for p in content if isinstance(p, dict) and p.get("type") == "tool_use")
    calls = message.get("tool_calls")
    if isinstance(calls, list):
        parts.extend(_call_text(c.get("function", c)) for c in calls if isinstance(c, dict))
    return "\n".join(parts) if parts else text


def _call_text(call: dict[str, Any]) -> str:
    arguments = call.get("arguments", call.get("input"))
    return f"calls {call.get('name', '?')}({arguments if isinstance(arguments, str) else as_text(arguments)})"


def _llm_body(call: LLMCall) -> list[RenderableType]:
    out: list[RenderableType] = []
    messages = prompt_messages(call.request)
    shown = messages[-LAST_MESSAGES:]
    if shown:
        cut = len(messages) > len(shown)
        heading = f"Prompt (last {len(shown)} of {len(messages)} messages)" if cut else "Prompt"
        out.append(_box(heading, "\n".join(f"{role or '?'}: {_message_text(text)}" for role, text in shown)))
    if call.not_recorded is not None:
        out.append(_box("Not recorded", call.not_recorded or "trace_ops could not record this call", "red"))
        return out
    if call.error is not None:
        out.append(_box("Failed", " ".join(f"{k}={v}" for k, v in call.error.items()), "red"))
        return out
    view = call.view
    if call.status >= 400:
        out.append(_box(f"HTTP {call.status}", view.text or as_text(call.response), "red"))
    elif view.tool_calls:
        calls = "\n".join(f"{c.name}({as_text(c.arguments)})" for c in view.tool_calls)
        out.append(_box("Tool calls", calls))
    if view.text and call.status < 400:
        out.append(_box("Response", view.text))
    figures = Text("  ")
    usage = call.usage
    if usage is not None:
        figures.append(f"Tokens: in={usage.input_tokens:,}, out={usage.output_tokens:,}")
        if usage.cached_tokens:
            figures.append(f", cached={usage.cached_tokens:,}")
    else:
        figures.append("Tokens: not reported")
    figures.append(f"  Cost: {format_usd(call.cost_usd)}  Latency: {_ms(call.duration_ms)}")
    if call.ttft_ms is not None:
        figures.append(f"  First token: {_ms(call.ttft_ms)}")
    if call.is_stream:
        figures.append("  (streamed)")
    if view.finish_reason:
        figures.append(f"  Finish: {view.finish_reason}")
    out.append(figures)
    return out


def _body(event: Event) -> list[RenderableType]:
    if isinstance(event, LLMCall):
        return _llm_body(event)
    if isinstance(event, ToolCall):
        out: list[RenderableType] = [_box("Input", as_text(event.input))]
        if event.error:
            out.append(_box("Error", event.error, "red"))
        else:
            out.append(_box("Output", as_text(event.output)))
        return out
    if isinstance(event, AgentDecision):
        return [_box(f"Decision: {event.decision}", as_text(event.detail))]
    if isinstance(event, ErrorEvent):
        return [_box(event.error_type, event.message, "red")]
    if isinstance(event, Judgment):
        facts = (("verdict", event.verdict), ("score", event.score), ("reasoning", event.reasoning))
        return [_box(f"Judgment: {event.name}", "\n".join(f"{k}: {v}" for k, v in facts if v is not None))]
    return [Text(f"  {event.label}")]


def render_step(step: Step, where: str) -> RenderableType:
    """One step: kind and position (`#3/7`), then what it asked, answered or ran."""
    return Group(_title(step.event, where), *_body(step.event))


# --------------------------------------------------------------------------- compare mode


def _side(step: Step | None, run: str) -> RenderableType:
    if step is None:
        return Text(f"({run} run: no such step)", style="dim")
    return Group(_title(step.event, f"{run} #{step.index + 1}", compact=True), *_body(step.event))


def render_pair(pair: PairedStep, where: str) -> RenderableType:
    """A compared stop: the mark (`CHANGED: response text`), then the old and new step side by side."""
    word, style = _STATUS.get(pair.status, ("same", "dim"))
    mark = Text(f"Step {where}  ", style="bold")
    mark.append(word, style=style)
    if pair.changes:
        mark.append(": " + ", ".join(pair.changes), style=style)
    sides = Table.grid(expand=True, padding=(0, 1))
    sides.add_column(ratio=1)
    sides.add_column(ratio=1)
    sides.add_row(_side(pair.old, "old"), _side(pair.new, "new"))
    return Group(mark, sides)
