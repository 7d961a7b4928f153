"""`replay export CASSETTE --format json|otlp -o FILE`: a cassette in a format other tools read."""

from __future__ import annotations

import argparse
import sys

from trace_ops.cli._shell import EXIT_OK, UsageError, read_trace
from trace_ops.export import EXPORT_FORMATS

DESCRIPTION = "Write a cassette in another format: " + "; ".join(
    f"{name}: {fmt.summary}" for name, fmt in EXPORT_FORMATS.items()
)
EXAMPLE = "replay export tests/cassettes/test_agent/test_search.trace.yaml --format json -o run.json"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("cassette", help="the cassette file")
    parser.add_argument("--format", choices=tuple(EXPORT_FORMATS), required=True, help="the output format")
    parser.add_argument("-o", "--output", required=True, help="the file to write (`-` for stdout)")


def run(args: argparse.Namespace) -> int:
    from trace_ops.export import export_trace

    trace = read_trace(args.cassette)
    try:
        if args.output == "-":
            sys.stdout.write(EXPORT_FORMATS[args.format].render(trace))
        else:
            path = export_trace(trace, args.format, args.output)
            print(f"wrote {path} ({args.format})", file=sys.stderr)
    except NotImplementedError as error:
        raise UsageError(str(error)) from None
    return EXIT_OK
