"""`replay validate PATH... [--json]`: schema, integrity and no secrets left; exit 1 on a problem."""

from __future__ import annotations

import argparse

from rich.text import Text

from trace_ops.cli._shell import EXIT_FINDING, EXIT_OK, UsageError, expand_paths, make_console, print_json

DESCRIPTION = (
    "Check cassettes: the schema (version, required fields, types), that each call's fingerprint "
    "is the one its recorded request gives, and that no secret is left. One line per problem "
    "(file: location: message); exit 1 if there is any."
)
EXAMPLE = "replay validate tests/cassettes"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="PATH", help="cassette files or folders (recursive)")
    parser.add_argument("--json", action="store_true", help="the problems as data (JSON)")


def run(args: argparse.Namespace) -> int:
    from trace_ops.validation import validate_cassette

    files = expand_paths(args.paths)
    if not files:
        raise UsageError(f"no cassettes found under {', '.join(args.paths)}")
    problems = [p for file in files for p in validate_cassette(file)]
    bad = len({p.file for p in problems})
    if args.json:
        print_json({"cassettes": len(files), "invalid": bad, "problems": [p.as_dict() for p in problems]})
    else:
        console = make_console()
        for problem in problems:
            console.print(Text(str(problem), style="red"))
        summary = f"{len(files)} cassette{'s' if len(files) != 1 else ''} checked: "
        summary += (
            f"{len(problems)} problem{'s' if len(problems) != 1 else ''} in {bad}"
            if problems
            else "all valid"
        )
        console.print(Text(summary, style="bold red" if problems else "green"))
    return EXIT_FINDING if problems else EXIT_OK
