"""CI detection: each provider's real variables map to the same keys, and secrets never leak."""

from __future__ import annotations

import json
from typing import Any

import pytest

from trace_ops.runreport import CI_KEYS, detect_ci

# What every CI system also exports and a report must never contain.
SECRETS = {
    "GITHUB_TOKEN": "ghs_16C7e42F292c6912E7710c838347Ae178B4a",
    "ACTIONS_RUNTIME_TOKEN": "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.runtime",
    "CI_JOB_TOKEN": "glcbt-64_secretjobtoken",
    "CIRCLE_TOKEN": "circle-secret-token-123",
    "BUILDKITE_AGENT_ACCESS_TOKEN": "bkaa_secret_agent_token",
    "OPENAI_API_KEY": "sk-proj-abcdefghijklmnopqrstuvwxyz",
    "TRACE_OPS_REPORT_TOKEN": "report-secret",
}

GITHUB_PR = {
    "CI": "true",
    "GITHUB_ACTIONS": "true",
    "GITHUB_RUN_ID": "9876543210",
    "GITHUB_RUN_ATTEMPT": "1",
    "GITHUB_SERVER_URL": "https://github.com",
    "GITHUB_REPOSITORY": "acme/agent",
    "GITHUB_JOB": "tests",
    "GITHUB_WORKFLOW": "CI",
    "GITHUB_EVENT_NAME": "pull_request",
    "GITHUB_REF": "refs/pull/123/merge",
    "GITHUB_REF_NAME": "123/merge",
    "GITHUB_HEAD_REF": "feature/replay",
    "GITHUB_BASE_REF": "main",
    "GITHUB_SHA": "0123456789abcdef0123456789abcdef01234567",
    "GITHUB_ACTOR": "octocat",
}

GITHUB_PUSH = {
    "CI": "true",
    "GITHUB_ACTIONS": "true",
    "GITHUB_RUN_ID": "555",
    "GITHUB_SERVER_URL": "https://ghe.example.com/",
    "GITHUB_REPOSITORY": "acme/agent",
    "GITHUB_JOB": "build",
    "GITHUB_WORKFLOW": "Nightly",
    "GITHUB_EVENT_NAME": "push",
    "GITHUB_REF": "refs/heads/main",
    "GITHUB_REF_NAME": "main",
    "GITHUB_HEAD_REF": "",  # GitHub exports it empty outside pull requests
    "GITHUB_SHA": "fedcba9876543210fedcba9876543210fedcba98",
    "GITHUB_ACTOR": "release-bot",
}

GITLAB_MR = {
    "CI": "true",
    "GITLAB_CI": "true",
    "CI_PIPELINE_ID": "1122334455",
    "CI_PIPELINE_URL": "https://gitlab.com/acme/agents/core/-/pipelines/1122334455",
    "CI_JOB_NAME": "pytest: [3.11]",
    "CI_PROJECT_PATH": "acme/agents/core",
    "CI_COMMIT_REF_NAME": "feature/replay",
    "CI_COMMIT_SHA": "1111111111222222222233333333334444444444",
    "CI_MERGE_REQUEST_IID": "42",
    "GITLAB_USER_LOGIN": "jdoe",
    "CI_REPOSITORY_URL": "https://gitlab-ci-token:glcbt-64_secretjobtoken@gitlab.com/acme/agents/core.git",
}

CIRCLECI_PR = {
    "CI": "true",
    "CIRCLECI": "true",
    "CIRCLE_WORKFLOW_ID": "6f1a2b3c-4d5e-6f70-8192-a3b4c5d6e7f8",
    "CIRCLE_BUILD_NUM": "321",
    "CIRCLE_BUILD_URL": "https://circleci.com/gh/acme/agent/321",
    "CIRCLE_JOB": "test-py311",
    "CIRCLE_PROJECT_USERNAME": "acme",
    "CIRCLE_PROJECT_REPONAME": "agent",
    "CIRCLE_BRANCH": "feature/replay",
    "CIRCLE_SHA1": "abcdefabcdefabcdefabcdefabcdefabcdefabcd",
    "CIRCLE_PULL_REQUEST": "https://github.com/acme/agent/pull/77",
    "CIRCLE_USERNAME": "circle-user",
}

BUILDKITE_BRANCH = {
    "CI": "true",
    "BUILDKITE": "true",
    "BUILDKITE_BUILD_ID": "01890d2c-7a1e-4b6f-9f3e-2a3b4c5d6e7f",
    "BUILDKITE_BUILD_URL": "https://buildkite.com/acme/agent-evals/builds/88",
    "BUILDKITE_LABEL": ":pytest: evals",
    "BUILDKITE_PIPELINE_SLUG": "agent-evals",
    "BUILDKITE_REPO": "git@github.com:acme/agent.git",
    "BUILDKITE_BRANCH": "main",
    "BUILDKITE_COMMIT": "9999999999888888888877777777776666666666",
    "BUILDKITE_PULL_REQUEST": "false",
    "BUILDKITE_BUILD_CREATOR": "Jane Doe",
    "BUILDKITE_BUILD_CREATOR_EMAIL": "jane@example.com",
}

CASES: list[tuple[str, dict[str, str], dict[str, Any] | None]] = [
    (
        "github_pull_request",
        GITHUB_PR,
        {
            "provider": "github_actions",
            "run_id": "9876543210",
            "run_url": "https://github.com/acme/agent/actions/runs/9876543210",
            "job": "tests",
            "workflow": "CI",
            "repository": "acme/agent",
            "branch": "feature/replay",
            "commit": "0123456789abcdef0123456789abcdef01234567",
            "pull_request": "123",
            "actor": "octocat",
        },
    ),
    (
        "github_push_enterprise",
        GITHUB_PUSH,
        {
            "provider": "github_actions",
            "run_id": "555",
            "run_url": "https://ghe.example.com/acme/agent/actions/runs/555",
            "job": "build",
            "workflow": "Nightly",
            "repository": "acme/agent",
            "branch": "main",
            "commit": "fedcba9876543210fedcba9876543210fedcba98",
            "pull_request": None,
            "actor": "release-bot",
        },
    ),
    (
        "gitlab_merge_request",
        GITLAB_MR,
        {
            "provider": "gitlab",
            "run_id": "1122334455",
            "run_url": "https://gitlab.com/acme/agents/core/-/pipelines/1122334455",
            "job": "pytest: [3.11]",
            "workflow": None,
            "repository": "acme/agents/core",
            "branch": "feature/replay",
            "commit": "1111111111222222222233333333334444444444",
            "pull_request": "42",
            "actor": "jdoe",
        },
    ),
    (
        "circleci_pull_request",
        CIRCLECI_PR,
        {
            "provider": "circleci",
            "run_id": "6f1a2b3c-4d5e-6f70-8192-a3b4c5d6e7f8",
            "run_url": "https://circleci.com/gh/acme/agent/321",
            "job": "test-py311",
            "workflow": None,
            "repository": "acme/agent",
            "branch": "feature/replay",
            "commit": "abcdefabcdefabcdefabcdefabcdefabcdefabcd",
            "pull_request": "77",
            "actor": "circle-user",
        },
    ),
    (
        "buildkite_branch",
        BUILDKITE_BRANCH,
        {
            "provider": "buildkite",
            "run_id": "01890d2c-7a1e-4b6f-9f3e-2a3b4c5d6e7f",
            "run_url": "https://buildkite.com/acme/agent-evals/builds/88",
            "job": ":pytest: evals",
            "workflow": "agent-evals",
            "repository": "acme/agent",
            "branch": "main",
            "commit": "9999999999888888888877777777776666666666",
            "pull_request": None,
            "actor": "Jane Doe",
        },
    ),
    (
        "generic_ci",
        {"CI": "true", "HOME": "/home/ci"},
        {key: None for key in CI_KEYS} | {"provider": "generic"},
    ),
    ("not_ci", {"HOME": "/home/dev", "PATH": "/usr/bin"}, None),
    ("ci_false", {"CI": "false"}, None),
]


@pytest.mark.parametrize(
    ("env", "expected"), [(env, exp) for _, env, exp in CASES], ids=[c[0] for c in CASES]
)
def test_detect_ci(env: dict[str, str], expected: dict[str, Any] | None) -> None:
    result = detect_ci({**env, **SECRETS})
    assert result == expected
    if result is not None:
        assert tuple(result) == CI_KEYS  # same keys, same order, for every provider
        text = json.dumps(result)
        for name, secret in SECRETS.items():
            assert secret not in text, name
        assert "secretjobtoken" not in text


def test_defaults_to_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CI", "GITHUB_ACTIONS", "GITLAB_CI", "CIRCLECI", "BUILDKITE"):
        monkeypatch.delenv(name, raising=False)
    assert detect_ci() is None
    for name, value in GITHUB_PR.items():
        monkeypatch.setenv(name, value)
    result = detect_ci()
    assert result is not None
    assert result["provider"] == "github_actions"
    assert result["pull_request"] == "123"


def test_provider_flag_wins_over_generic_ci_false() -> None:
    # CI=false is sometimes set to silence interactive tools; the provider flag is still authoritative.
    result = detect_ci({**GITLAB_MR, "CI": "false"})
    assert result is not None
    assert result["provider"] == "gitlab"


def test_github_branch_from_ref_when_ref_name_missing() -> None:
    env = {"GITHUB_ACTIONS": "true", "GITHUB_REF": "refs/heads/release/1.2", "GITHUB_RUN_ID": "7"}
    result = detect_ci(env)
    assert result is not None
    assert result["branch"] == "release/1.2"
    assert result["run_url"] is None  # no repository: no URL rather than a broken one
    assert result["pull_request"] is None


def test_circleci_build_number_and_fork_pr_number() -> None:
    env = {
        "CIRCLECI": "true",
        "CIRCLE_BUILD_NUM": "321",
        "CIRCLE_PR_NUMBER": "78",
        "CIRCLE_PROJECT_USERNAME": "acme",
    }
    result = detect_ci(env)
    assert result is not None
    assert result["run_id"] == "321"
    assert result["pull_request"] == "78"
    assert result["repository"] is None  # half a slug is not a repository


def test_buildkite_pull_request_and_credentials_in_repo_url() -> None:
    env = {
        "BUILDKITE": "true",
        "BUILDKITE_PULL_REQUEST": "15",
        "BUILDKITE_REPO": "https://x-access-token:ghs_secret123@github.com/acme/agent.git",
    }
    result = detect_ci(env)
    assert result is not None
    assert result["pull_request"] == "15"
    assert result["repository"] == "acme/agent"
    assert "ghs_secret123" not in json.dumps(result)


def test_empty_values_are_none() -> None:
    result = detect_ci(
        {"GITHUB_ACTIONS": "true", "GITHUB_RUN_ID": "", "GITHUB_JOB": "  ", "GITHUB_ACTOR": ""}
    )
    assert result == {key: None for key in CI_KEYS} | {"provider": "github_actions"}
