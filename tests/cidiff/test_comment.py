"""The PR comment upsert against a local server playing GitHub's API: create, then update, never twice."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cidiff.fake_github import FakeGitHub
from trace_ops.cidiff import MARKER, GitHubError, upsert_comment


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with FakeGitHub() as server:
        yield server


def _ours(github: FakeGitHub, pr: int) -> list[dict[str, object]]:
    return [c for c in github.comments.values() if c["pr"] == pr and MARKER in str(c["body"])]


def test_first_post_creates_then_later_pushes_update_the_same_comment(github: FakeGitHub) -> None:
    for i in range(150):  # more than one page of other people's comments
        github.add(7, f"review comment {i}")
    first = upsert_comment(
        repo="acme/agent", pr=7, body="## report v1", token=github.token, api_url=github.url
    )
    assert first.action == "created"
    second = upsert_comment(
        repo="acme/agent", pr=7, body="## report v2", token=github.token, api_url=github.url
    )
    assert second.action == "updated" and second.id == first.id
    third = upsert_comment(
        repo="acme/agent", pr=7, body="## report v2", token=github.token, api_url=github.url
    )
    assert third.action == "unchanged"
    (comment,) = _ours(github, 7)
    assert comment["body"] == f"{MARKER}\n## report v2"
    assert sum(1 for method, _ in github.calls if method == "POST") == 1
    assert any("page=2" in path for _, path in github.calls)  # it looked past the first page


def test_another_pull_request_gets_its_own_comment(github: FakeGitHub) -> None:
    upsert_comment(repo="acme/agent", pr=1, body="one", token=github.token, api_url=github.url)
    upsert_comment(repo="acme/agent", pr=2, body="two", token=github.token, api_url=github.url)
    assert len(_ours(github, 1)) == 1 and len(_ours(github, 2)) == 1


def test_a_refused_token_is_one_line_without_the_token(github: FakeGitHub) -> None:
    with pytest.raises(GitHubError) as info:
        upsert_comment(
            repo="acme/agent", pr=1, body="x", token="ghs_wrong_token_abcdefghijkl", api_url=github.url
        )
    message = str(info.value)
    assert "HTTP 401 Bad credentials" in message and "ghs_wrong" not in message and "\n" not in message


def test_an_unreachable_api_is_one_line() -> None:
    with pytest.raises(GitHubError, match="cannot reach"):
        upsert_comment(repo="a/b", pr=1, body="x", token="t", api_url="http://127.0.0.1:9", timeout=5)


def test_the_command_reads_the_pull_request_from_the_actions_event(
    github: FakeGitHub, tmp_path: Path
) -> None:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 42}}))
    body = tmp_path / "report.md"
    body.write_text("## trace_ops report\n")
    env = {
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_REPOSITORY": "acme/agent",
        "GITHUB_API_URL": github.url,
        "GITHUB_TOKEN": github.token,
        "PATH": "/usr/bin:/bin",
    }
    command = [sys.executable, "-m", "trace_ops.cli.main", "ci-comment", "--body-file", str(body)]
    for expected in ("created", "unchanged"):
        result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith(f"{expected} comment ")
    assert len(_ours(github, 42)) == 1


def test_the_command_without_a_token_is_a_usage_error(tmp_path: Path) -> None:
    body = tmp_path / "report.md"
    body.write_text("x")
    env = {"PATH": "/usr/bin:/bin", "GITHUB_REPOSITORY": "a/b"}
    command = [
        sys.executable,
        "-m",
        "trace_ops.cli.main",
        "ci-comment",
        "--body-file",
        str(body),
        "--pr",
        "3",
    ]
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)
    assert (
        result.returncode == 2 and result.stderr.strip() == "replay ci-comment: no token: set $GITHUB_TOKEN"
    )
