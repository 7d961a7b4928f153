"""A recorded run (or two, compared) as ONE self-contained HTML file, for people.

    from trace_ops.reporters.html import generate_html_report
    generate_html_report(load_cassette("cassettes/test.yaml"), "report.html")
    generate_html_report(old, "diff.html", compare=new)      # the semantic diff, runs aligned

The page carries its CSS and script inline (the files in `html_assets/`) and loads nothing
else, so it works offline, from a CI artefact or an e-mail attachment. Its Content-Security-
Policy admits only that one script and style by hash: even if a recorded text slipped past
the escaping (`_html_parts.esc`), the browser would not run it. The page says the same things as
`replay inspect` and the diff summary, since it is rendered from the same outline
(`reporters.outline`) and the same diff lines (`diff.summary`). The same trace gives the same
bytes (no timestamp of its own), so a report can be checked in or compared.
"""

from __future__ import annotations

import base64
import hashlib
import os
from functools import cache
from importlib import resources
from pathlib import Path

from trace_ops._files import atomic_write_text
from trace_ops._version import __version__
from trace_ops.formatting import format_figure, format_usd
from trace_ops.reporters._html_compare import compare_view
from trace_ops.reporters._html_parts import EventWriter, card, esc, trajectory
from trace_ops.reporters.outline import TraceHeader, event_rows, header_fields, trace_header
from trace_ops.trace import Trace

__all__ = ["generate_html_report", "render_html_report"]

_META_FIELDS = ("Trace", "Created", "Recorded with", "Price data", "Tags")


@cache
def _asset(name: str) -> str:
    return (resources.files("trace_ops.reporters") / "html_assets" / name).read_text(encoding="utf-8")


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"


def generate_html_report(
    trace: Trace,
    path: str | os.PathLike[str],
    *,
    compare: Trace | None = None,
    title: str | None = None,
) -> Path:
    """Write the report of `trace` to `path` atomically; with `compare`, the diff of `trace`
    (the old run) against `compare` (the new run). Returns the path written."""
    return atomic_write_text(Path(path), render_html_report(trace, compare=compare, title=title))


def render_html_report(trace: Trace, *, compare: Trace | None = None, title: str | None = None) -> str:
    """The report as an HTML string (see `generate_html_report`)."""
    if compare is None:
        heading = title or f"Trace {trace.id}"
        body = _single_view(trace)
    else:
        heading = title or f"Trace {trace.id} vs {compare.id}"
        body = compare_view(trace, compare)
    return _page(heading, body)


def _page(title: str, body: str) -> str:
    style, script = _asset("report.css"), _asset("report.js")
    policy = (
        f"default-src 'none'; style-src {_csp_hash(style)}; script-src {_csp_hash(script)}; "
        "img-src data:; base-uri 'none'; form-action 'none'"
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{policy}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="generator" content="trace_ops">'
        f"<title>{esc(title)}</title><style>{style}</style></head>\n"
        f"<body><main><h1>{esc(title)}</h1>\n{body}\n"
        f"<footer>Made by trace_ops {esc(__version__)}: a self-contained page, it loads nothing.</footer>"
        f"</main><script>{script}</script></body></html>\n"
    )


def _meta(header: TraceHeader) -> str:
    fields = [(k, v) for k, v in header_fields(header) if k in _META_FIELDS]
    items = "".join(f"<div><dt>{esc(k)}</dt><dd>{esc(v)}</dd></div>" for k, v in fields)
    return f'<dl class="meta">{items}</dl>'


def stats_grid(header: TraceHeader) -> str:
    """Calls, tools, tokens, cost, duration, models (and errors, when there are any)."""
    cards = [
        card("LLM calls", f"{header.llm_calls:,}", f"{header.events:,} events"),
        card("Tool calls", f"{header.tool_calls:,}", ", ".join(header.tools)),
        card("Tokens", f"{header.tokens:,}", f"{header.input_tokens:,} in / {header.output_tokens:,} out"),
        card("Cost", format_usd(header.cost_usd), "a price is unknown" if header.cost_usd is None else ""),
        card("Duration", format_figure(header.duration_ms, "ms"), "sum of the events' durations"),
        card("Models", ", ".join(header.models) or "none", small=True),
    ]
    if header.errors:
        cards.append(card("Errors", f"{header.errors:,}", "failed calls and raised errors", bad=True))
    return f'<section class="stats">{"".join(cards)}</section>'


def _single_view(trace: Trace) -> str:
    rows = event_rows(trace)
    header = trace_header(trace, rows)
    writer = EventWriter("e")
    events = "\n".join(writer.event(row, event) for row, event in zip(rows, trace.events, strict=True))
    toolbar = (
        '<div class="toolbar"><button type="button" data-do="expand">Expand all</button>'
        '<button type="button" data-do="collapse">Collapse all</button>'
        '<input type="search" id="filter" placeholder="Filter events (any text)" aria-label="Filter events">'
        '<label><input type="checkbox" id="errors-only"> errors only</label>'
        f'<span class="count" id="shown">{len(rows):,} events</span></div>'
    )
    empty = '<p class="empty">No events were recorded.</p>' if not rows else ""
    return (
        f"{_meta(header)}\n{stats_grid(header)}\n"
        f'<section id="trajectory"><h2>Trajectory</h2>{trajectory(rows, "e") if rows else empty}</section>\n'
        f'<section id="events"><h2>Events</h2>{toolbar}{empty}\n{events}\n</section>'
    )
