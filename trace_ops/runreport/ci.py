"""CI metadata for run reports: which provider, run, branch, commit and pull request produced a run.

Only an allow-list of each provider's documented, non-secret variables is read, so tokens that CI
systems put in the environment (GITHUB_TOKEN, CI_JOB_TOKEN, ...) can never reach a report. Values
that are missing or empty come back as None rather than "", so consumers can test them uniformly.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

CI_KEYS: tuple[str, ...] = (
    "provider",
    "run_id",
    "run_url",
    "job",
    "workflow",
    "repository",
    "branch",
    "commit",
    "pull_request",
    "actor",
)

_TRUTHY = frozenset({"true", "1", "yes", "on"})
_GITHUB_PR_REF = re.compile(r"^refs/pull/(\d+)/")
_TRAILING_NUMBER = re.compile(r"/(\d+)/?$")


def _get(env: Mapping[str, str], name: str) -> str | None:
    """An env value with surrounding whitespace removed; empty means unset (CI templates export "")."""
    value = env.get(name)
    if value is None:
        return None
    value = value.strip()
    return value or None


def _flag(env: Mapping[str, str], name: str) -> bool:
    value = _get(env, name)
    return value is not None and value.lower() in _TRUTHY


def _first(env: Mapping[str, str], *names: str) -> str | None:
    for name in names:
        value = _get(env, name)
        if value is not None:
            return value
    return None


def _record(provider: str, **values: str | None) -> dict[str, Any]:
    """Every key always present, in one order, so reports diff cleanly across providers."""
    out: dict[str, Any] = {key: None for key in CI_KEYS}
    out["provider"] = provider
    out.update(values)
    return out


def _github(env: Mapping[str, str]) -> dict[str, Any]:
    run_id = _get(env, "GITHUB_RUN_ID")
    repository = _get(env, "GITHUB_REPOSITORY")
    server = (_get(env, "GITHUB_SERVER_URL") or "https://github.com").rstrip("/")
    ref = _get(env, "GITHUB_REF") or ""
    pr = _GITHUB_PR_REF.match(ref)
    # On pull_request events GITHUB_REF_NAME is "123/merge"; GITHUB_HEAD_REF is the real branch.
    branch = _get(env, "GITHUB_HEAD_REF") or _get(env, "GITHUB_REF_NAME")
    if branch is None and ref.startswith("refs/heads/"):
        branch = ref.removeprefix("refs/heads/")
    return _record(
        "github_actions",
        run_id=run_id,
        run_url=f"{server}/{repository}/actions/runs/{run_id}" if run_id and repository else None,
        job=_get(env, "GITHUB_JOB"),
        workflow=_get(env, "GITHUB_WORKFLOW"),
        repository=repository,
        branch=branch,
        commit=_get(env, "GITHUB_SHA"),
        pull_request=pr.group(1) if pr else None,
        actor=_get(env, "GITHUB_ACTOR"),
    )


def _gitlab(env: Mapping[str, str]) -> dict[str, Any]:
    return _record(
        "gitlab",
        run_id=_get(env, "CI_PIPELINE_ID"),
        run_url=_get(env, "CI_PIPELINE_URL"),
        job=_get(env, "CI_JOB_NAME"),
        workflow=_get(env, "CI_PIPELINE_NAME"),  # GitLab >= 16.3, only when the pipeline is named
        repository=_get(env, "CI_PROJECT_PATH"),
        branch=_first(env, "CI_COMMIT_REF_NAME", "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME"),
        commit=_get(env, "CI_COMMIT_SHA"),
        pull_request=_get(env, "CI_MERGE_REQUEST_IID"),
        actor=_get(env, "GITLAB_USER_LOGIN"),
    )


def _number_from_url(url: str | None) -> str | None:
    if url is None:
        return None
    match = _TRAILING_NUMBER.search(url)
    return match.group(1) if match else None


def _circleci(env: Mapping[str, str]) -> dict[str, Any]:
    user, name = _get(env, "CIRCLE_PROJECT_USERNAME"), _get(env, "CIRCLE_PROJECT_REPONAME")
    # CIRCLE_PULL_REQUEST is the PR's URL; CIRCLE_PR_NUMBER is only set for PRs from forks.
    pull_request = _number_from_url(_get(env, "CIRCLE_PULL_REQUEST")) or _get(env, "CIRCLE_PR_NUMBER")
    return _record(
        "circleci",
        run_id=_first(env, "CIRCLE_WORKFLOW_ID", "CIRCLE_BUILD_NUM"),
        run_url=_get(env, "CIRCLE_BUILD_URL"),
        job=_get(env, "CIRCLE_JOB"),
        workflow=None,  # CircleCI exposes the workflow's id (run_id), never its name
        repository=f"{user}/{name}" if user and name else None,
        branch=_get(env, "CIRCLE_BRANCH"),
        commit=_get(env, "CIRCLE_SHA1"),
        pull_request=pull_request,
        actor=_get(env, "CIRCLE_USERNAME"),
    )


def _repo_slug(url: str | None) -> str | None:
    """The owner/name slug of a git remote (https or scp-style), never the credentials a URL may carry."""
    if url is None:
        return None
    if "://" in url:
        path = urlsplit(url).path
    elif ":" in url:  # git@github.com:owner/name.git
        path = url.split(":", 1)[1]
    else:
        return None
    path = path.strip("/").removesuffix(".git")
    return path or None


def _buildkite(env: Mapping[str, str]) -> dict[str, Any]:
    pull_request = _get(env, "BUILDKITE_PULL_REQUEST")
    return _record(
        "buildkite",
        run_id=_get(env, "BUILDKITE_BUILD_ID"),
        run_url=_get(env, "BUILDKITE_BUILD_URL"),
        job=_get(env, "BUILDKITE_LABEL"),
        workflow=_get(env, "BUILDKITE_PIPELINE_SLUG"),
        repository=_repo_slug(_get(env, "BUILDKITE_REPO")),
        branch=_get(env, "BUILDKITE_BRANCH"),
        commit=_get(env, "BUILDKITE_COMMIT"),
        pull_request=None if pull_request in (None, "false") else pull_request,
        actor=_get(env, "BUILDKITE_BUILD_CREATOR"),
    )


_PROVIDERS: tuple[tuple[str, Callable[[Mapping[str, str]], dict[str, Any]]], ...] = (
    ("GITHUB_ACTIONS", _github),
    ("GITLAB_CI", _gitlab),
    ("CIRCLECI", _circleci),
    ("BUILDKITE", _buildkite),
)


def detect_ci(env: Mapping[str, str] | None = None) -> dict[str, Any] | None:
    """The CI run this process belongs to (keys: CI_KEYS, None when unknown), or None outside CI.

    `env` defaults to os.environ; tests pass a dict. A provider's own flag wins over the generic
    CI=true that every provider also sets.
    """
    env = os.environ if env is None else env
    for flag, read in _PROVIDERS:
        if _flag(env, flag):
            return read(env)
    if _flag(env, "CI"):
        return _record("generic")
    return None
