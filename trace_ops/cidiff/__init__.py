"""`replay ci-diff` and the PR comment: what a pull request changes in an agent's recorded behaviour.

`git` finds the cassettes changed between two commits, `report` diffs each pair semantically
and writes one markdown/JSON report, `comment` posts it to the pull request (one comment,
updated in place).
"""

from __future__ import annotations

from trace_ops.cidiff.comment import MARKER, CommentResult, GitHubError, upsert_comment
from trace_ops.cidiff.git import FileChange, GitError, changed_cassettes, resolve_commit
from trace_ops.cidiff.report import CassetteChange, CiDiffReport, build_report

__all__ = [
    "MARKER",
    "CassetteChange",
    "CiDiffReport",
    "CommentResult",
    "FileChange",
    "GitError",
    "GitHubError",
    "build_report",
    "changed_cassettes",
    "resolve_commit",
    "upsert_comment",
]
