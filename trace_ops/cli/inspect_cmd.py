"""`replay inspect CASSETTE [-v] [--json]`: the header, the trajectory, one line per event."""

from __future__ import annotations

import argparse

from rich.console import Console
from rich.text import Text

from trace_ops.cli._shell import EXIT_OK, make_console, print_json, read_trace
from trace_ops.reporters.outline import (
    EventRow,
    event_details,
    event_rows,
    header_fields,
    row_cells,
    trace_header,
)

DESCRIPTION = "Show a cassette: who recorded it, its totals, the trajectory and one line per event."
EXAMPLE = "replay inspect tests/cassettes/test_agent/test_search.trace.yaml -v"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("cassette", help="the cassette file")
    parser.add_argument("-v", "--verbose", action="store_true", help="full prompts, answers and tool I/O")
    parser.add_argument("--json", action="store_true", help="the same as data (JSON)")


def _row_line(row: EventRow) -> Text:
    cells = row_cells(row)
    line = Text(f"{cells['number']:>4}  ")
    line.append(f"{cells['label']:<32}", style="bold red" if row.error else "bold")
    line.append(f" {cells['tokens']:>7} {cells['cost']:>11} {cells['latency']:>9}  ", style="dim")
    line.append(cells["summary"], style="red" if row.error else "")
    return line


def _print_text(console: Console, args: argparse.Namespace) -> None:
    trace = read_trace(args.cassette)
    rows = event_rows(trace)
    for label, value in header_fields(trace_header(trace, rows)):
        console.print(Text(f"{label + ':':<15}", style="bold") + Text(value))
    console.print(Text("Trajectory:    ", style="bold") + Text(" → ".join(trace.trajectory) or "(no events)"))
    console.print()
    console.print(
        Text(f"{'#':>4}  {'step':<32} {'tokens':>7} {'cost':>11} {'latency':>9}  summary", style="dim")
    )
    for row, event in zip(rows, trace.events, strict=True):
        console.print(_row_line(row))
        if args.verbose:
            for section in event_details(event):
                console.print(Text(f"      {section.title}", style="cyan"))
                for text_line in (section.text or "(empty)").splitlines() or [""]:
                    console.print(Text(f"        {text_line}"))
            console.print()


def run(args: argparse.Namespace) -> int:
    if args.json:
        trace = read_trace(args.cassette)
        rows = event_rows(trace)
        events = [row.as_dict() for row in rows]
        if args.verbose:
            for data, event in zip(events, trace.events, strict=True):
                data["details"] = [{"title": s.title, "text": s.text} for s in event_details(event)]
        print_json(
            {"header": trace_header(trace, rows).as_dict(), "trajectory": trace.trajectory, "events": events}
        )
        return EXIT_OK
    _print_text(make_console(), args)
    return EXIT_OK
