"""A trace diff as a rich renderable: coloured in a terminal, plain text when piped (rich decides).

Recorded text is always put in `Text` objects, never parsed as rich markup, so a prompt
containing `[bold red]` prints as written.
"""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from trace_ops.diff import Delta, StepEdit, TraceDiff, TrajectoryChange, describe_prompt_change
from trace_ops.diff.summary import Line, diff_lines
from trace_ops.formatting import figure_cells

__all__ = ["render_diff_rich"]

_FIGURE_ASPECTS = ("llm_calls", "tool_calls", "tokens", "cost", "latency")
_MAX_DIFF_LINES = 40
_SHOWN_DIFFS = 5
_TONE_STYLE = {"worse": "red", "better": "green"}  # errors that appeared / disappeared


def _path(labels: tuple[str, ...], edits: dict[int, str], style: str) -> Text:
    """A path with the steps that changed highlighted (`style` for inserted/removed steps)."""
    text = Text()
    for index, label in enumerate(labels):
        if index:
            text.append(" → ", style="dim")
        op = edits.get(index)
        text.append(label, style=style if op in ("inserted", "removed") else ("yellow" if op else ""))
    return text


def _trajectory(heading: Line) -> list[RenderableType]:
    """The summary's trajectory heading, then both paths with the changed steps highlighted."""
    t = heading.about
    assert isinstance(t, TrajectoryChange)
    old_marks = {e.old_index: e.op for e in t.edits if e.old_index is not None}
    new_marks = {e.new_index: e.op for e in t.edits if e.new_index is not None}
    out: list[RenderableType] = [Text(heading.text, style="bold yellow")]
    if len(t.old) + len(t.new) <= 40:
        out.append(Text("  Old: ") + _path(t.old, old_marks, "bold red"))
        out.append(Text("  New: ") + _path(t.new, new_marks, "bold green"))
    else:
        out.append(Text(f"  Old: {len(t.old)} steps, New: {len(t.new)} steps"))
        out.extend(_edit_line(e) for e in t.edits[:10])
    return out


def _edit_line(e: StepEdit) -> Text:
    if e.op == "inserted":
        return Text(f"  + step {(e.new_index or 0) + 1}: {e.new_label}", style="green")
    if e.op == "removed":
        return Text(f"  - step {(e.old_index or 0) + 1}: {e.old_label}", style="red")
    return Text(f"  ~ step {(e.new_index or 0) + 1}: {e.old_label} → {e.new_label}", style="yellow")


def _figures(diff: TraceDiff) -> Table:
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    for column in ("", "old", "new", "Δ", "Δ%"):
        table.add_column(column, justify="left" if not column else "right")
    for name, delta, unit in (
        ("LLM calls", diff.llm_calls, ""),
        ("Tool calls", diff.tool_calls, ""),
        ("Tokens", diff.tokens, ""),
        ("Cost (USD)", diff.cost_usd, "$"),
        ("Latency (ms)", diff.latency_ms, ""),
    ):
        table.add_row(name, *_cells(delta, unit))
    return table


def _cells(delta: Delta, unit: str) -> list[Text]:
    grew = delta.abs is not None and delta.abs > 0
    style = "" if not delta.changed else ("red" if grew else "green")
    old, new, change, pct = figure_cells(delta, unit)
    return [Text(old), Text(new), Text(change, style=style), Text(pct, style=style)]


def _diff_text(diff_text: str) -> Text:
    lines = diff_text.splitlines()
    text = Text()
    for line in lines[:_MAX_DIFF_LINES]:
        style = "green" if line.startswith("+") else "red" if line.startswith("-") else "dim"
        text.append("    " + line + "\n", style="bold" if line.startswith(("+++", "---")) else style)
    if len(lines) > _MAX_DIFF_LINES:
        text.append(f"    … {len(lines) - _MAX_DIFF_LINES} more lines\n", style="dim")
    return text


def render_diff_rich(diff: TraceDiff) -> RenderableType:
    """Header, trajectory with changed steps highlighted, a table of figures, changes, prompt diffs."""
    parts: list[RenderableType] = [Text("Trace comparison", style="bold")]
    lines = diff_lines(diff)
    notes = [Text(f"  ℹ {line.text}", style="dim") for line in lines if line.kind == "info"]  # noqa: RUF001
    if not diff.has_changes:
        parts.append(Text("  ✓ No changes", style="green"))
        return Group(*parts, *notes)
    for line in lines:
        if line.aspect == "trajectory" and line.kind == "heading":
            parts.extend(_trajectory(line))
        if line.kind == "info" or line.aspect in _FIGURE_ASPECTS or line.aspect == "trajectory":
            continue
        parts.append(Text(line.indented, style=_TONE_STYLE.get(line.tone, "yellow")))
    parts.extend(notes)
    parts.append(Text(""))
    parts.append(_figures(diff))
    for p in diff.prompt_changes[:_SHOWN_DIFFS]:
        parts.append(Text(describe_prompt_change(p), style="bold"))
        parts.append(_diff_text(p.diff))
    return Group(*parts)
