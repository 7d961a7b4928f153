"""`replay import FILE -o CASSETTE`: a span file from any OpenTelemetry-instrumented agent as a cassette.

So a production trace can become a regression cassette, and diff, inspect and the assertions
work on it. The format (OTLP/JSON, JSON Lines, bare spans, Jaeger JSON) is read from the content.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from trace_ops.cli._shell import EXIT_OK, UsageError

DESCRIPTION = (
    "Import an OTLP/JSON (document, JSON Lines, bare spans) or Jaeger JSON span file as a cassette: "
    "GenAI client spans become LLM calls, execute_tool spans tool calls, evaluation events judgments."
)
EXAMPLE = "replay import spans.json -o cassettes/from_prod.trace.yaml"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="the span file to read")
    parser.add_argument("-o", "--output", required=True, metavar="CASSETTE", help="the cassette to write")
    parser.add_argument("--force", action="store_true", help="replace CASSETTE when it exists")


def run(args: argparse.Namespace) -> int:
    from trace_ops.cassette import save_cassette
    from trace_ops.errors import CassetteError
    from trace_ops.otlp import load_trace_file

    target = Path(args.output)
    if target.exists() and not args.force:
        raise UsageError(f"{target}: exists (--force replaces it)")
    try:
        trace = load_trace_file(args.file)
    except CassetteError as error:
        raise UsageError(str(error)) from None
    if not trace.events:
        raise UsageError(f"{args.file}: no GenAI spans (LLM calls, tool calls or evaluations) in it")
    save_cassette(trace, target)
    source = trace.metadata.get("imported_from", "spans")
    print(
        f"imported {trace.total_llm_calls} LLM calls, {trace.total_tool_calls} tool calls "
        f"from {args.file} ({source}) -> {target}"
    )
    return EXIT_OK
