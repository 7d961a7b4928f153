"""`replay stats DIR [--json]`: totals, per model, per tool, and the most expensive tests."""

from __future__ import annotations

import argparse
import sys

from rich.text import Text

from trace_ops.catalog import CatalogStats
from trace_ops.cli._shell import EXIT_OK, EXIT_USAGE, make_console, one_path, print_json
from trace_ops.formatting import format_figure, format_usd

DESCRIPTION = (
    "Totals over the cassettes under a folder: calls, tokens and cost per model, "
    "calls per tool, the most expensive tests."
)
EXAMPLE = "replay stats tests/cassettes --top 5"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dir", help="a folder of cassettes (or one cassette)")
    parser.add_argument("--top", type=int, default=10, help="how many of the most expensive tests to list")
    parser.add_argument("--json", action="store_true", help="the same as data (JSON)")


def _lines(stats: CatalogStats) -> list[Text]:
    unpriced = f" ({stats.unpriced} cassettes not priced)" if stats.unpriced else ""
    out = [
        Text(
            f"Cassettes:  {stats.cassettes:,}"
            + (f" ({stats.unreadable} unreadable)" if stats.unreadable else "")
        ),
        Text(
            f"LLM calls:  {stats.llm_calls:,}   Tool calls: {stats.tool_calls:,}   Errors: {stats.errors:,}"
        ),
        Text(f"Tokens:     {stats.tokens:,}"),
        Text(f"Cost:       {format_usd(stats.cost_usd)}{unpriced}"),
        Text(f"Duration:   {format_figure(stats.duration_ms, 'ms')} recorded"),
    ]
    if stats.models:
        width = max(len(m.model) for m in stats.models)
        out += [
            Text(""),
            Text(f"{'Per model':<{width}}  {'calls':>6} {'tokens':>10} {'cost':>11}", style="bold"),
        ]
        out += [
            Text(f"{m.model:<{width}}  {m.calls:>6,} {m.tokens:>10,} {format_usd(m.cost_usd):>11}")
            for m in stats.models
        ]
    if stats.tools:
        width = max(len(t.name) for t in stats.tools)
        out += [Text(""), Text(f"{'Per tool':<{width}}  {'calls':>6} {'errors':>6}", style="bold")]
        out += [Text(f"{t.name:<{width}}  {t.calls:>6,} {t.errors:>6,}") for t in stats.tools]
    if stats.most_expensive:
        out += [Text(""), Text("Most expensive tests", style="bold")]
        out += [Text(f"{format_usd(usd):>11}  {name}") for name, usd in stats.most_expensive]
    return out


def run(args: argparse.Namespace) -> int:
    from trace_ops.catalog import catalog, catalog_stats

    root = one_path(args.dir)
    summaries = catalog(root)
    for s in summaries:
        if s.error is not None:
            print(f"replay stats: skipped {s.path}: {s.error}", file=sys.stderr)
    if summaries and all(s.error is not None for s in summaries):  # unreadable input
        return EXIT_USAGE
    stats = catalog_stats(summaries, top=max(args.top, 0))
    if args.json:
        print_json(stats.as_dict())
        return EXIT_OK
    console = make_console()
    for line in _lines(stats):
        console.print(line)
    return EXIT_OK
