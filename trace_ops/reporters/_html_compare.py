"""The compare view of the HTML report: what the semantic diff says, then both runs aligned.

The lines are the diff's own (`diff.summary.diff_lines`, the words of `TraceDiff.summary()`),
and the steps are paired by the alignment `diff_traces` uses (`diff.align` over `step_key`),
so a step marked changed here is a step the diff reports.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from trace_ops.diff import TraceDiff, align, describe_prompt_change, diff_traces, step_key, unified_diff
from trace_ops.diff.summary import diff_lines
from trace_ops.formatting import figure_cells, format_figure, format_pct, format_similarity, format_usd
from trace_ops.reporters._html_parts import EventWriter, card, esc, trajectory
from trace_ops.reporters.outline import EventRow, TraceHeader, event_rows, trace_header
from trace_ops.trace import Event, Trace

__all__ = ["compare_view"]

_SHOWN_DIFFS = 20
_MARKS = {"same": "=", "changed": "~", "inserted": "+", "removed": "\u2212"}  # minus sign

Pair = tuple[int, int]


def compare_view(old: Trace, new: Trace) -> str:
    diff = diff_traces(old, new)
    old_rows, new_rows = event_rows(old), event_rows(new)
    old_header, new_header = trace_header(old, old_rows), trace_header(new, new_rows)
    edits = diff.trajectory.edits if diff.trajectory is not None else ()
    old_edits = {e.old_index: e.op for e in edits if e.old_index is not None}
    new_edits = {e.new_index: e.op for e in edits if e.new_index is not None}
    return "\n".join(
        [
            _runs(old_header, new_header),
            _stats(old_header, new_header, diff),
            '<section id="changes"><h2>What changed</h2>',
            _lines(diff),
            _figures(diff),
            _text_diffs(diff),
            "</section>",
            '<section id="trajectories"><h2>Trajectories</h2><h3>Old</h3>',
            trajectory(old_rows, "o", old_edits) if old_rows else '<p class="empty">no steps</p>',
            "<h3>New</h3>",
            trajectory(new_rows, "n", new_edits) if new_rows else '<p class="empty">no steps</p>',
            "</section>",
            _aligned(old, new, old_rows, new_rows, diff),
        ]
    )


def _runs(old: TraceHeader, new: TraceHeader) -> str:
    items = "".join(
        f"<div><dt>{name}</dt><dd>{esc(h.id)} · {esc(h.created_at)}</dd></div>"
        for name, h in (("Old", old), ("New", new))
    )
    return f'<dl class="meta">{items}</dl>'


def _change(old: float | None, new: float | None, unit: str = "") -> str:
    """`was 1,000 (+250, +25.0%)`, or `unchanged`."""
    if old == new:
        return "unchanged"
    text = f"was {format_figure(old, unit)}"
    if old is not None and new is not None:
        pct = format_pct((new - old) / abs(old) * 100.0) if old else ""
        text += f" ({format_figure(new - old, unit, sign=True)}{', ' + pct if pct else ''})"
    return text


def _stats(old: TraceHeader, new: TraceHeader, diff: TraceDiff) -> str:
    models_old, models_new = ", ".join(old.models) or "none", ", ".join(new.models) or "none"
    cards = [
        card("LLM calls", f"{new.llm_calls:,}", _change(old.llm_calls, new.llm_calls)),
        card("Tool calls", f"{new.tool_calls:,}", _change(old.tool_calls, new.tool_calls)),
        card("Tokens", f"{new.tokens:,}", _change(old.tokens, new.tokens)),
        card("Cost", format_usd(new.cost_usd), _change(old.cost_usd, new.cost_usd, "$")),
        card(
            "Duration", format_figure(new.duration_ms, "ms"), _change(old.duration_ms, new.duration_ms, "ms")
        ),
        card(
            "Models", models_new, "unchanged" if models_old == models_new else f"was {models_old}", small=True
        ),
    ]
    if old.errors or new.errors:
        cards.append(card("Errors", f"{new.errors:,}", _change(old.errors, new.errors), bad=new.errors > 0))
    verdict = "changed" if diff.has_changes else "same"
    words = "⚠ The agent's behaviour changed" if diff.has_changes else "✓ No changes in behaviour"
    return f'<section class="stats">{"".join(cards)}</section>\n<p class="verdict {verdict}">{esc(words)}</p>'


def _lines(diff: TraceDiff) -> str:
    lines = diff_lines(diff)  # every line of `summary()`, the figures too (the table has the detail)
    if not lines:
        return '<p class="empty">No changes.</p>'
    items = []
    for line in lines:
        classes = " ".join(c for c in (line.kind, f"d{line.depth}" if line.depth else "", line.tone) if c)
        items.append(f'<li class="{classes}" data-aspect="{esc(line.aspect)}">{esc(line.text)}</li>')
    return f'<ul class="lines">{"".join(items)}</ul>'


def _figures(diff: TraceDiff) -> str:
    rows = (
        ("LLM calls", diff.llm_calls, ""),
        ("Tool calls", diff.tool_calls, ""),
        ("Tokens", diff.tokens, ""),
        ("Input tokens", diff.input_tokens, ""),
        ("Output tokens", diff.output_tokens, ""),
        ("Cost (USD)", diff.cost_usd, "$"),
        ("Latency", diff.latency_ms, "ms"),
    )
    body = "".join(
        f"<tr><td>{esc(name)}</td>"
        + "".join(f'<td class="num">{esc(c)}</td>' for c in figure_cells(delta, unit))
        + "</tr>"
        for name, delta, unit in rows
    )
    head = "<tr><th></th><th>Old</th><th>New</th><th>Δ</th><th>Δ%</th></tr>"
    return f'<h3>Figures</h3><table class="figures"><thead>{head}</thead><tbody>{body}</tbody></table>'


def _udiff(text: str) -> str:
    out = []
    for line in text.splitlines():
        css = (
            "hunk"
            if line.startswith("@@")
            else "add"
            if line[:1] == "+"
            else "del"
            if line[:1] == "-"
            else ""
        )
        out.append(f'<span class="{css}">{esc(line)}</span>' if css else esc(line))
    return '<pre class="udiff">' + "\n".join(out) + "</pre>"


def _diff_boxes(title: str, boxes: Sequence[tuple[str, str]]) -> str:
    if not boxes:
        return ""
    shown = "".join(
        f'<details class="diffbox"><summary>{esc(summary)}</summary>{_udiff(body)}</details>'
        for summary, body in boxes[:_SHOWN_DIFFS]
    )
    more = (
        f'<p class="more">… and {len(boxes) - _SHOWN_DIFFS:,} more</p>' if len(boxes) > _SHOWN_DIFFS else ""
    )
    return f"<h3>{esc(title)}</h3>{shown}{more}"


def _text_diffs(diff: TraceDiff) -> str:
    prompts = [(describe_prompt_change(p), p.diff) for p in diff.prompt_changes]
    responses = [
        (
            f"step {r.new_index + 1}: similarity {format_similarity(r.similarity)}",
            unified_diff(r.old_text, r.new_text, "old response", "new response"),
        )
        for r in diff.response_changes
    ]
    return _diff_boxes("Prompt diffs", prompts) + _diff_boxes("Response diffs", responses)


# --------------------------------------------------------------------------- the aligned steps


def _pair_notes(diff: TraceDiff) -> dict[Pair, list[str]]:
    """What the diff says about each aligned pair of steps, worded as in the summary."""
    words = {id(line.about): line.text for line in diff_lines(diff) if line.about is not None}
    notes: dict[Pair, list[str]] = defaultdict(list)
    groups: Iterable[tuple[Sequence[object], str]] = (
        (diff.requested_tool_changes, "Requested tool calls changed"),
        (diff.tool_arg_changes, "Tool arguments changed"),
        (diff.prompt_changes, "Prompt changed"),
        (diff.response_changes, "Response text changed"),
        (diff.finish_reason_changes, "Finish reason changed"),
        (diff.judgment_changes, "Judgment changed"),
    )
    for model in diff.model_changes:
        notes[(model.old_index, model.new_index)].append(f"Model changed: {model.old} → {model.new}")
    for items, fallback in groups:
        for change in items:
            pair = (getattr(change, "old_index", -1), getattr(change, "new_index", -1))
            notes[pair].append(words.get(id(change), fallback))
    return notes


def _steps(ops: list[tuple[str, int, int, int, int]]) -> list[tuple[str, int | None, int | None]]:
    """(op, old index, new index) per row: `equal` pairs, `replace` blocks paired in order."""
    rows: list[tuple[str, int | None, int | None]] = []
    for tag, i1, i2, j1, j2 in ops:
        if tag == "equal":
            rows += [("same", i1 + k, j1 + k) for k in range(i2 - i1)]
            continue
        width = max(i2 - i1, j2 - j1)
        for k in range(width):
            i = i1 + k if i1 + k < i2 else None
            j = j1 + k if j1 + k < j2 else None
            rows.append(
                (
                    "changed" if i is not None and j is not None else "removed" if j is None else "inserted",
                    i,
                    j,
                )
            )
    return rows


def _aligned(
    old: Trace, new: Trace, old_rows: list[EventRow], new_rows: list[EventRow], diff: TraceDiff
) -> str:
    ops = align([step_key(e) for e in old.events], [step_key(e) for e in new.events])
    notes = _pair_notes(diff)
    appeared = {e.index for e in diff.errors_appeared}
    disappeared = {e.index for e in diff.errors_disappeared}
    old_writer, new_writer = EventWriter("o"), EventWriter("n")
    body = []
    for number, (op, i, j) in enumerate(_steps(ops), 1):
        said = notes.get((i, j), []) if i is not None and j is not None else []
        if op == "same" and (said or j in appeared or i in disappeared):
            op = "changed"
        if j in appeared:
            said = [*said, "An error appeared here"]
        if i in disappeared:
            said = [*said, "An error went away here"]
        cells = [_cell(old_writer, old_rows, old.events, i), _cell(new_writer, new_rows, new.events, j)]
        note_list = "".join(f"<li>{esc(text)}</li>" for text in said)
        if note_list:
            cells[1 if j is not None else 0] += f'<ul class="notes">{note_list}</ul>'
        body.append(
            f'<div class="arow op-{op}" id="s{number}"><div class="mark" title="{op}">{_MARKS[op]}</div>'
            f'<div class="side">{cells[0]}</div><div class="side">{cells[1]}</div></div>'
        )
    # rows of a grid, not of a table: each is laid out only when scrolled to (content-visibility)
    head = '<div class="arow head"><div></div><div>Old run</div><div>New run</div></div>'
    legend = (
        '<span class="count">= same · ~ changed · + only in the new run · \u2212 only in the old run</span>'
    )
    toolbar = (
        '<div class="toolbar"><button type="button" data-do="expand">Expand all</button>'
        '<button type="button" data-do="collapse">Collapse all</button>'
        f'<label><input type="checkbox" id="changed-only"> changed steps only</label>{legend}</div>'
    )
    return (
        f'<section id="aligned"><h2>Steps, aligned</h2>{toolbar}'
        f'<div class="align">{head}{"".join(body)}</div></section>'
    )


def _cell(writer: EventWriter, rows: list[EventRow], events: list[Event], index: int | None) -> str:
    if index is None:
        return ""
    return writer.event(rows[index], events[index], compact=True)
