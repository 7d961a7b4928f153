"""`replay diff OLD NEW [--format text|markdown|json] [--exit-zero]`: the semantic diff."""

from __future__ import annotations

import argparse

from trace_ops.cli._shell import EXIT_FINDING, EXIT_OK, make_console, print_json, read_trace

DESCRIPTION = (
    "The semantic diff of two cassettes: trajectory, prompts, answers, tools, figures. "
    "Exit 1 when they differ."
)
EXAMPLE = "replay diff old.trace.yaml new.trace.yaml --format markdown > comment.md"
FORMATS = ("text", "markdown", "json")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("old", help="the cassette before")
    parser.add_argument("new", help="the cassette after")
    parser.add_argument("--format", choices=FORMATS, default="text", help="text (default), markdown or json")
    parser.add_argument("--exit-zero", action="store_true", help="exit 0 even when the runs differ")


def run(args: argparse.Namespace) -> int:
    from trace_ops.diff import diff_traces

    old, new = read_trace(args.old), read_trace(args.new)
    diff = diff_traces(old, new)
    if args.format == "json":
        print_json(diff.to_dict())
    elif args.format == "markdown":
        from trace_ops.reporters.markdown import diff_to_markdown

        print(diff_to_markdown(diff))
    else:
        from trace_ops.reporters.terminal import render_diff_rich

        make_console().print(render_diff_rich(diff))
    return EXIT_FINDING if diff.has_changes and not args.exit_zero else EXIT_OK
