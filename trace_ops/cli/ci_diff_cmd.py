"""`replay ci-diff`: what a change does to the agent's recorded behaviour, for a pull request."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from trace_ops._files import atomic_write_text
from trace_ops.cli._shell import EXIT_FINDING, EXIT_OK
from trace_ops.formatting import format_delta

DESCRIPTION = (
    "Find the cassettes changed between two git refs (added, removed, modified, renamed), diff each "
    "pair semantically and write one markdown report (a PR comment) and/or JSON. Exit 1 when the "
    "agent's behaviour changed, unless --exit-zero. On a shallow clone a missing ref is fetched alone."
)
EXAMPLE = "replay ci-diff --base origin/main --head HEAD --markdown diff.md --json diff.json"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--base", required=True, help="the ref or commit to compare against (the PR's base)")
    parser.add_argument("--head", default="HEAD", help="the ref or commit with the change (default: HEAD)")
    parser.add_argument(
        "--dir", default=".", help="only cassettes under this folder (default: the whole repository)"
    )
    parser.add_argument("--repo", default=".", help="the git repository (default: the current folder)")
    parser.add_argument(
        "--markdown", metavar="FILE", help="write the markdown report here (default: print it)"
    )
    parser.add_argument("--json", metavar="FILE", help="write the report as JSON here")
    parser.add_argument(
        "--github-output", metavar="FILE", help="append step outputs (GitHub Actions' $GITHUB_OUTPUT)"
    )
    parser.add_argument("--exit-zero", action="store_true", help="exit 0 even when behaviour changed")
    parser.add_argument("--no-fetch", action="store_true", help="never run git fetch for a missing ref")


def run(args: argparse.Namespace) -> int:
    from trace_ops.cidiff import build_report

    report = build_report(args.repo, args.base, args.head, args.dir, fetch=not args.no_fetch)
    markdown = report.to_markdown()
    if args.markdown:
        atomic_write_text(Path(args.markdown), markdown)
    if args.json:
        atomic_write_text(Path(args.json), json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n")
    if not args.markdown:
        sys.stdout.write(markdown)
    else:
        changed = sum(c.behaviour_changed for c in report.cassettes)
        print(
            f"{len(report.cassettes)} cassette(s) changed, behaviour changed in {changed}; "
            f"cost {format_delta(report.cost_usd, '$')}; report: {args.markdown}"
        )
    if args.github_output:
        cost = report.cost_usd.abs
        outputs = {
            "changed-cassettes": str(len(report.cassettes)),
            "behaviour-changed": "true" if report.behaviour_changed else "false",
            "cost-delta-usd": "" if cost is None else f"{cost:.8f}",
            "report-path": str(Path(args.markdown).resolve()) if args.markdown else "",
        }
        with open(args.github_output, "a", encoding="utf-8") as out:
            out.writelines(f"{key}={value}\n" for key, value in outputs.items())
    return EXIT_FINDING if report.behaviour_changed and not args.exit_zero else EXIT_OK
