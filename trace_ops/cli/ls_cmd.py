"""`replay ls DIR [--sort calls|tokens|cost|age|size] [--json]`: one line per cassette."""

from __future__ import annotations

import argparse
import sys

from rich.text import Text

from trace_ops.catalog import SORT_KEYS, CassetteSummary
from trace_ops.cli._shell import (
    EXIT_OK,
    EXIT_USAGE,
    format_age,
    format_size,
    make_console,
    one_path,
    print_json,
)
from trace_ops.formatting import format_usd

DESCRIPTION = (
    "One line per cassette under a folder (recursive): LLM calls, tool calls, tokens, cost, age, size. "
    "A cassette that cannot be read is listed on stderr and skipped."
)
EXAMPLE = "replay ls tests/cassettes --sort cost"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dir", help="a folder of cassettes (or one cassette)")
    parser.add_argument("--sort", choices=tuple(SORT_KEYS), default="name", help="order (biggest first)")
    parser.add_argument("--json", action="store_true", help="the same as data (JSON)")


def _line(s: CassetteSummary, width: int) -> Text:
    line = Text(f"{s.name:<{width}}", style="bold")
    line.append(
        f"  {s.llm_calls:>5} {s.tool_calls:>5} {s.tokens:>9,} {format_usd(s.cost_usd):>11}"
        f" {format_age(s.age_s):>7} {format_size(s.size):>9}"
    )
    if s.errors:
        line.append(f"  {s.errors} error{'s' if s.errors != 1 else ''}", style="red")
    return line


def run(args: argparse.Namespace) -> int:
    from trace_ops.catalog import catalog

    root = one_path(args.dir)
    summaries = catalog(root, args.sort)
    good = [s for s in summaries if s.error is None]
    for s in summaries:
        if s.error is not None:
            print(f"replay ls: skipped {s.path}: {s.error}", file=sys.stderr)
    if summaries and not good:  # nothing could be read: unreadable input, not an empty library
        return EXIT_USAGE
    if args.json:
        print_json([s.as_dict() for s in summaries])
        return EXIT_OK
    console = make_console()
    if not good:
        console.print(f"no readable cassettes under {args.dir}")
        return EXIT_OK
    width = max(len("cassette"), *(len(s.name) for s in good))
    header = (
        f"{'cassette':<{width}}  {'calls':>5} {'tools':>5} {'tokens':>9} {'cost':>11} {'age':>7} {'size':>9}"
    )
    console.print(Text(header, style="dim"))
    for s in good:
        console.print(_line(s, width))
    return EXIT_OK
