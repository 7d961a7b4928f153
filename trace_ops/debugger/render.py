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
from trace_ops.formatting import format_figure
from trace_ops.reporters.outline import Section, event_details, header_fields, trace_header
from trace_ops.trace import Event, LLMCall, ToolCall, Trace

__all__ = ["keys_line", "render_header", "render_pair", "render_step"]

LAST_MESSAGES = 3  # how much of the prompt a step shows: the newest messages say what was asked
_CLIP = 1200  # characters of one recorded text shown; the rest is counted, not printed
_KIND_NAMES = {
    "llm_call": "LLM call",
    "tool_call": "Tool call",
    "agent_decision": "Decision",
    "error": "Error",
    "judgment": "Judgment",
}
_HEADER_FIELDS = ("Trace", "Created", "Events", "Tokens", "Cost", "Duration", "Models", "Tools", "Errors")
_TITLES = {"Answer": "Response"}  # the reference's word on this screen
_STATUS = {
    CHANGED: ("CHANGED", "bold yellow"),
    ADDED: ("ADDED (new run only)", "bold green"),
    REMOVED: ("REMOVED (old run only)", "bold red"),
}


def _clip(text: str, limit: int = _CLIP) -> str:
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text) - limit:,} more characters)"


def _box(title: str, body: str, style: str = "") -> Panel:
    # a str title would be read as markup: a tool named `[x]` must print as written
    return Panel(Text(_clip(body)), title=Text(title), title_align="left", border_style=style or "none")


# --------------------------------------------------------------------------- the header


def render_header(trace: Trace, title: str = "trace_ops debugger", *, keys: bool = True) -> RenderableType:
    """Who the run is and what it added up to (the outline's header), then the keys."""
    fields = dict(header_fields(trace_header(trace)))
    lines = [f"{label}: {fields[label]}" for label in _HEADER_FIELDS if label in fields]
    panel = Panel(Text("\n".join(lines)), title=Text(title), title_align="left", expand=False)
    return Group(panel, keys_line()) if keys else panel


def keys_line() -> Text:
    """The keys in one line, under the header of an interactive session."""
    return Text(f"  {SHORT_HELP}", style="dim")


# --------------------------------------------------------------------------- one step


def _title(event: Event, where: str, *, compact: bool = False) -> Text:
    text = Text(f"{_KIND_NAMES.get(event.kind, event.kind)}  {where}", style="bold")
    if isinstance(event, LLMCall):
        model = event.served_model or event.model or "?"
        text.append(f"  {model}" if compact else f"  provider={event.provider}  model={model}")
    elif isinstance(event, ToolCall):
        text.append(f"  {event.name}")
    if event.duration_ms is not None:
        text.append(f"  {format_figure(event.duration_ms, 'ms')}")
    return text


_DECODER = json.JSONDecoder()
_QUIET_KEYS = frozenset({"tool_call_id", "tool_use_id", "id", "annotations", "refusal", "type"})


def _message_text(text: str) -> str:
    """A prompt message as people read it: its text, and the tools it called as `name(arguments)`.

    The outline gives the parts of a message that are not text (an assistant turn's tool calls,
    a tool result's call id) as indented JSON; a debugger's screen holds more of the run when a
    tool call reads as one line and ids are left out.
    """
    out: list[str] = []
    at = 0
    while at < len(text):
        start = text.find("{", at)
        if start < 0 or (start and text[start - 1] != "\n"):
            end = text.find("\n", start if start >= 0 else at)
            end = len(text) if end < 0 else end + 1
            out.append(text[at:end])
            at = end
            continue
        out.append(text[at:start])
        try:
            value, end = _DECODER.raw_decode(text, start)
        except ValueError:
            value, end = None, start
        if not isinstance(value, dict):
            stop = text.find("\n", start)
            stop = len(text) if stop < 0 else stop + 1
            out.append(text[start:stop])
            at = stop
            continue
        out.append(_object_text(value))
        at = end
    return "".join(out).strip("\n")


def _object_text(value: dict[str, Any]) -> str:
    """One JSON part of a message: tool calls as `calls name(arguments)`, ids dropped, the rest compact."""
    parts: list[str] = []
    if value.get("type") == "tool_use" or ("function" in value and "name" not in value):
        return _call_text(value.get("function", value))
    calls = value.get("tool_calls")
    if isinstance(calls, list):
        parts.extend(_call_text(c.get("function", c)) for c in calls if isinstance(c, dict))
    rest = {
        k: v for k, v in value.items() if k not in _QUIET_KEYS and k != "tool_calls" and v not in ([], None)
    }
    if "content" in rest and len(rest) == 1:
        rest_text = as_text(rest["content"])
    else:
        rest_text = as_text(rest) if rest else ""
    if rest_text:
        parts.append(rest_text)
    return "\n".join(parts)


def _call_text(call: dict[str, Any]) -> str:
    arguments = call.get("arguments", call.get("input"))
    return f"calls {call.get('name', '?')}({arguments if isinstance(arguments, str) else as_text(arguments)})"


def _prompt_box(prompt: list[Section]) -> Panel:
    shown = prompt[-LAST_MESSAGES:]
    heading = (
        f"Prompt (last {len(shown)} of {len(prompt)} messages)" if len(prompt) > len(shown) else "Prompt"
    )
    lines = []
    for section in shown:
        role = section.title.rpartition("(")[2].rstrip(")") or "?"
        lines.append(f"{role}: {_message_text(section.text)}")
    return _box(heading, "\n".join(lines))


def _body(event: Event) -> list[RenderableType]:
    """The event's outline sections (`event_details`) as boxes; an LLM call's prompt cut to its end."""
    sections = event_details(event)
    out: list[RenderableType] = []
    prompt = [s for s in sections if s.title.startswith("Prompt message")]
    if prompt:
        out.append(_prompt_box(prompt))
    for section in sections:
        title = section.title
        if title.startswith("Prompt message") or (isinstance(event, LLMCall) and title == "Request"):
            continue
        if title == "Figures":
            out.append(Text(f"  {section.text}", style="dim"))
            continue
        red = "red" if "error" in title.lower() else ""
        out.append(_box(_TITLES.get(title, title), section.text, red))
    return out


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
