"""`replay report CASSETTE [--compare OTHER] -o report.html`: a run as one self-contained HTML file.

A thin shell over `trace_ops.reporters.html.generate_html_report`: read the cassette(s), write
the page atomically, say where it went. A bad cassette or an output that cannot be written is
one line and exit 2; writing a comparison is not a finding (exit 0: the page is the product).
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

from trace_ops.cli._shell import EXIT_OK, UsageError, read_trace

DESCRIPTION = (
    "Write a run as ONE self-contained HTML file (inline CSS and script, loads nothing, works "
    "offline): stats, the trajectory, every event expandable with its prompt, answer, tool calls "
    "and tool I/O. With --compare, the semantic diff of CASSETTE (old) and OTHER (new) and both "
    "runs aligned step by step, the changed steps marked."
)
EXAMPLE = "replay report cassettes/v1.yaml --compare cassettes/v2.yaml -o report.html"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("cassette", help="the cassette to report on (the old run with --compare)")
    parser.add_argument("--compare", metavar="OTHER", help="a second cassette, the new run: show the diff")
    parser.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        default="report.html",
        help="where to write the page (default: report.html)",
    )
    parser.add_argument("--title", help="the page title (default: the cassette names)")


def run(args: argparse.Namespace) -> int:
    from trace_ops.cost import PriceWarning
    from trace_ops.reporters.html import generate_html_report

    warnings.simplefilter("ignore", PriceWarning)  # an unknown price reads `unknown` on the page
    output = Path(args.output)
    if output.is_dir():
        raise UsageError(
            f"{args.output}: is a folder (give the file to write, e.g. {output / 'report.html'})"
        )
    trace = read_trace(args.cassette)
    other = read_trace(args.compare) if args.compare is not None else None
    title = args.title
    if title is None:
        title = (
            Path(args.cassette).name
            if other is None
            else f"{Path(args.cassette).name} vs {Path(args.compare).name}"
        )
    try:
        written = generate_html_report(trace, output, compare=other, title=title)
    except OSError as error:  # named for the file asked for, not the temp file beside it
        raise UsageError(f"{args.output}: cannot write it ({error.strerror or error})") from None
    events = len(trace.events) if other is None else f"{len(trace.events)} + {len(other.events)}"
    print(f"wrote {written} ({written.stat().st_size:,} bytes, {events} events)")
    return EXIT_OK
