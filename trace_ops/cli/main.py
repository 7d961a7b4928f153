"""Entry point of the `replay` (alias `traceops`) command."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from trace_ops._version import __version__

PLANNED = ("inspect", "diff", "export", "debug", "report", "ls", "stats", "prune", "validate")
_LISTED = ", ".join(PLANNED)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="replay",
        description="Inspect, diff and report trace_ops cassettes (recorded LLM agent runs).",
        epilog=f"Subcommands ({_LISTED}) are not implemented yet in this version.",
    )
    parser.add_argument("--version", action="version", version=f"trace_ops {__version__}")
    parser.add_argument("command", nargs="?", help=f"one of: {_LISTED} (not implemented yet)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, _rest = parser.parse_known_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    if args.command not in PLANNED:  # a typo is a usage error, not a missing feature
        parser.error(f"unknown command {args.command!r} (commands: {_LISTED})")
    print(f"replay: '{args.command}' is not implemented yet in trace_ops {__version__}", file=sys.stderr)
    return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
