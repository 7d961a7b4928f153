"""`replay ci-comment`: post the ci-diff report as one pull-request comment, updated in place."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from trace_ops.cli._shell import EXIT_OK, UsageError

DESCRIPTION = (
    "Post a markdown file as the pull request's trace_ops comment, or update the one posted before "
    "(a hidden marker finds it; never a second comment). Reads the repository, the PR number and "
    "the API URL from GitHub Actions' environment unless given; the token only from an env var."
)
EXAMPLE = "replay ci-comment --body-file diff.md --repo owner/name --pr 12   # token in $GITHUB_TOKEN"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--body-file", required=True, metavar="FILE", help="the markdown to post")
    parser.add_argument(
        "--repo", default=os.environ.get("GITHUB_REPOSITORY"), help="OWNER/NAME ($GITHUB_REPOSITORY)"
    )
    parser.add_argument(
        "--pr", type=int, default=None, help="the pull request number (from $GITHUB_EVENT_PATH)"
    )
    parser.add_argument(
        "--api-url",
        default=os.environ.get("GITHUB_API_URL", "https://api.github.com"),
        help="($GITHUB_API_URL)",
    )
    parser.add_argument("--token-env", default="GITHUB_TOKEN", help="the env var holding the token")


def _pull_request_number() -> int | None:
    """The PR number of a `pull_request` event, from the event payload GitHub Actions writes."""
    path = os.environ.get("GITHUB_EVENT_PATH")
    if not path:
        return None
    try:
        event = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise UsageError(f"cannot read the event payload {path}: {error}") from None
    number = (event.get("pull_request") or {}).get("number") if isinstance(event, dict) else None
    return number if isinstance(number, int) else None


def run(args: argparse.Namespace) -> int:
    from trace_ops.cidiff import upsert_comment

    if not args.repo:
        raise UsageError("no repository: pass --repo OWNER/NAME or set GITHUB_REPOSITORY")
    pr = args.pr if args.pr is not None else _pull_request_number()
    if pr is None:
        raise UsageError("no pull request: pass --pr N (or run on a pull_request event)")
    token = os.environ.get(args.token_env, "")
    if not token:
        raise UsageError(f"no token: set ${args.token_env}")
    body = Path(args.body_file).read_text(encoding="utf-8")
    result = upsert_comment(repo=args.repo, pr=pr, body=body, token=token, api_url=args.api_url)
    print(f"{result.action} comment {result.id}{f' ({result.url})' if result.url else ''}")
    return EXIT_OK
