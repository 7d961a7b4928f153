"""`replay prune DIR --older-than 30d [--unused] [--dry-run]`: delete old or unused cassettes."""

from __future__ import annotations

import argparse
import os
import sys

from trace_ops.cli._shell import EXIT_OK, UsageError, make_console, one_path

DESCRIPTION = (
    "Delete cassettes inside a folder that are older than an age (by the recording time in their "
    "header), unused, or both (with both, a cassette must be old AND unused). Only regular files "
    "of ours inside the folder; links are never followed nor deleted. Unused, without a pytest run: "
    "its test module is gone, or defines no test of that name and does not mention the file."
)
EXAMPLE = "replay prune tests/cassettes --older-than 30d --unused --dry-run"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dir", help="the folder to prune (recursive)")
    parser.add_argument("--older-than", metavar="AGE", help="recorded longer ago than AGE (30d, 12h, 2w)")
    parser.add_argument("--unused", action="store_true", help="no test records it any more")
    parser.add_argument("--dry-run", action="store_true", help="only say what would be deleted")
    parser.add_argument(
        "--cassette-dir", default="cassettes", help="the plugin's cassette_dir setting (default: cassettes)"
    )


def run(args: argparse.Namespace) -> int:
    from trace_ops.library import parse_age
    from trace_ops.pruning import delete_planned, plan_prune

    if args.older_than is None and not args.unused:
        raise UsageError("give --older-than AGE, --unused, or both")
    try:
        older_than_s = parse_age(args.older_than) if args.older_than is not None else None
    except ValueError as error:
        raise UsageError(f"--older-than: {error}") from None
    root = one_path(args.dir, folder=True)
    plan = plan_prune(root, older_than_s=older_than_s, unused=args.unused, cassette_dir=args.cassette_dir)
    for path, why in plan.unreadable:
        print(f"replay prune: kept {path} (cannot read it: {why})", file=sys.stderr)
    console = make_console()
    shown = {item.path: os.path.relpath(item.path, plan.root) for item in plan.delete}
    if args.dry_run:
        for item in plan.delete:
            console.print(f"would delete {shown[item.path]} ({'; '.join(item.reasons)})", markup=False)
        console.print(f"{len(plan.delete)} would be deleted, {plan.kept} kept (dry run)", markup=False)
        return EXIT_OK
    deleted = set(delete_planned(plan))
    for item in plan.delete:
        if item.path in deleted:
            console.print(f"deleted {shown[item.path]} ({'; '.join(item.reasons)})", markup=False)
    console.print(f"{len(deleted)} deleted, {plan.kept} kept", markup=False)
    return EXIT_OK
