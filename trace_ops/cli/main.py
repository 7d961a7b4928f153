"""Entry point of the `replay` (alias `traceops`) command: a thin shell over library functions.

Each command lives in its own module (`trace_ops.cli.<name>_cmd`) with `DESCRIPTION`,
`EXAMPLE`, `add_arguments(parser)` and `run(args) -> int`; only the chosen one is imported, so
`replay ls` never pays for the HTML report's imports. A command's errors become one line and an
exit status here, in one place (`trace_ops.cli._shell`).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import NamedTuple

from trace_ops._version import __version__
from trace_ops.cli._shell import run_command


class Command(NamedTuple):
    module: str | None  # None: planned, not built yet
    summary: str


#: Every command, in the order `replay --help` lists them.
COMMANDS: dict[str, Command] = {
    "inspect": Command(
        "trace_ops.cli.inspect_cmd", "show a cassette: header, totals, trajectory, one line per event"
    ),
    "diff": Command("trace_ops.cli.diff_cmd", "the semantic diff of two cassettes (exit 1 when they differ)"),
    "export": Command("trace_ops.cli.export_cmd", "write a cassette as JSON (or OTLP) for other tools"),
    "debug": Command("trace_ops.cli.debug_cmd", "step through a recorded run in the terminal"),
    "report": Command("trace_ops.cli.report_cmd", "write a self-contained HTML report of a run"),
    "ls": Command("trace_ops.cli.ls_cmd", "one line per cassette under a folder"),
    "stats": Command("trace_ops.cli.stats_cmd", "totals per model, per tool, and the most expensive tests"),
    "prune": Command("trace_ops.cli.prune_cmd", "delete old or unused cassettes inside a folder"),
    "import": Command("trace_ops.cli.import_cmd", "an OTLP/JSON or Jaeger span file as a cassette"),
    "validate": Command(
        "trace_ops.cli.validate_cmd",
        "check cassettes: schema, integrity, no secrets left (exit 1 on a problem)",
    ),
    "ci-diff": Command("trace_ops.cli.ci_diff_cmd", "what a git change does to recorded behaviour"),
    "ci-comment": Command("trace_ops.cli.ci_comment_cmd", "post the ci-diff report as one PR comment"),
}
PLANNED = tuple(COMMANDS)
_LISTED = ", ".join(PLANNED)


def build_parser() -> argparse.ArgumentParser:
    lines = "\n".join(f"  {name:<10} {command.summary}" for name, command in COMMANDS.items())
    parser = argparse.ArgumentParser(
        prog="replay",
        description="Inspect, diff, debug and report trace_ops cassettes (recorded LLM agent runs).",
        epilog=f"commands:\n{lines}\n\n`replay COMMAND --help` shows a command's options and an example.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"trace_ops {__version__}")
    parser.add_argument("command", nargs="?", help="the command to run (see below)")
    return parser


def command_parser(name: str, description: str, example: str) -> argparse.ArgumentParser:
    return argparse.ArgumentParser(
        prog=f"replay {name}",
        description=description,
        epilog=f"example:\n  {example}" if example else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if not args or args[0].startswith("-"):
        parser.parse_args(args)  # --help / --version exit here; anything else is a usage error
        parser.print_help()
        return 0
    name, rest = args[0], args[1:]
    command = COMMANDS.get(name)
    if command is None:  # a typo is a usage error, not a missing feature
        parser.error(f"unknown command {name!r} (commands: {_LISTED})")
    if command.module is None:
        print(f"replay: '{name}' is not implemented yet in trace_ops {__version__}", file=sys.stderr)
        return 2
    module = importlib.import_module(command.module)
    sub = command_parser(name, module.DESCRIPTION, module.EXAMPLE)
    module.add_arguments(sub)
    return run_command(name, module.run, sub.parse_args(rest))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
