"""`replay export CASSETTE --format json|otlp -o FILE`: a cassette in a format other tools read."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from trace_ops.cli._shell import EXIT_OK, UsageError, read_trace
from trace_ops.export import EXPORT_FORMATS

DESCRIPTION = "Write a cassette in another format: " + "; ".join(
    f"{name}: {fmt.summary}" for name, fmt in EXPORT_FORMATS.items()
)
EXAMPLE = (
    "replay export tests/cassettes/test_agent/test_search.trace.yaml --format json -o run.json\n"
    "  replay export run.trace.yaml --format otlp --otlp-endpoint http://localhost:4318"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("cassette", help="the cassette file")
    parser.add_argument("--format", choices=tuple(EXPORT_FORMATS), required=True, help="the output format")
    parser.add_argument("-o", "--output", help="the file to write (`-` for stdout)")
    otlp = parser.add_argument_group("otlp")
    otlp.add_argument(
        "--no-content", action="store_true", help="leave prompts, answers and tool arguments out"
    )
    otlp.add_argument(
        "--jsonl", action="store_true", help="JSON Lines, as the collector's file exporter writes"
    )
    otlp.add_argument(
        "--otlp-endpoint", metavar="URL", help="POST the spans to an OTLP/HTTP receiver (/v1/traces)"
    )


def _otlp(args: argparse.Namespace) -> int:
    from trace_ops._files import atomic_write_text
    from trace_ops.otlp import dumps_otlp, send_otlp, trace_to_otlp

    trace = read_trace(args.cassette)
    document = trace_to_otlp(trace, content=not args.no_content)
    if args.otlp_endpoint:
        send_otlp(document, args.otlp_endpoint)
        spans = len(document["resourceSpans"][0]["scopeSpans"][0]["spans"])
        print(f"sent {spans} spans to {args.otlp_endpoint}", file=sys.stderr)
    if args.output == "-":
        sys.stdout.write(dumps_otlp(document, jsonl=args.jsonl))
    elif args.output:
        path = atomic_write_text(Path(args.output), dumps_otlp(document, jsonl=args.jsonl))
        print(f"wrote {path} (otlp{', jsonl' if args.jsonl else ''})", file=sys.stderr)
    return EXIT_OK


def run(args: argparse.Namespace) -> int:
    from trace_ops.export import export_trace

    if args.format == "otlp":
        if not args.output and not args.otlp_endpoint:
            raise UsageError("--format otlp needs -o FILE or --otlp-endpoint URL")
        return _otlp(args)
    if args.no_content or args.jsonl or args.otlp_endpoint:
        raise UsageError("--no-content, --jsonl and --otlp-endpoint go with --format otlp")
    if not args.output:
        raise UsageError("-o FILE is required (`-` for stdout)")
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
