"""`replay ci-diff` on a real temporary git repository whose commits add, change, rename and
delete cassettes recorded against the fake server with the real OpenAI SDK."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openai
import pytest

import trace_ops
from trace_ops import Recorder, load_cassette
from trace_ops.cidiff import GitError, build_report
from trace_ops.testing import FakeLLMServer

GOLDEN = Path(__file__).parent / "golden" / "report.md"
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "search",
            "description": "Search.",
            "parameters": {"type": "object", "properties": {"query": {"type": "string"}}},
        },
    }
]


@trace_ops.tool
def search(query: str) -> dict[str, Any]:
    return {"hits": [query.upper()]}


def _record(
    server: FakeLLMServer, path: Path, prompt: str, *, model: str = "gpt-4o", tools: bool = False
) -> None:
    client = openai.OpenAI(base_url=server.openai_base_url, api_key="sk-test-0123456789abcdef", max_retries=0)
    with Recorder(save_to=str(path)):
        messages: list[Any] = [{"role": "user", "content": prompt}]
        first = client.chat.completions.create(
            model=model, messages=messages, tools=TOOLS if tools else openai.omit
        )
        calls = first.choices[0].message.tool_calls or []
        if calls:
            result = search(**json.loads(calls[0].function.arguments))  # type: ignore[union-attr]
            messages += [
                first.choices[0].message.model_dump(exclude_none=True),
                {"role": "tool", "tool_call_id": calls[0].id, "content": json.dumps(result)},
            ]
            client.chat.completions.create(model=model, messages=messages, tools=TOOLS)
    # recorded timings differ on every run; fixed ones keep the golden report byte-stable
    text = re.sub(r"(duration_ms|ttft_ms): [0-9.e+-]+", r"\1: 100.0", path.read_text())
    path.write_text(re.sub(r"(started_at|created_at): .*", r"\1: '2026-12-01T00:00:00+00:00'", text))


def git(repo: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@x",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@x",
        "GIT_CONFIG_GLOBAL": "/dev/null",
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    out = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, env=env, check=True)
    return out.stdout.strip()


@dataclass
class History:
    repo: Path
    base: str
    head: str


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Iterator[History]:
    """base: a (plain), b (tools), c (plain), a VCR.py file and notes; head: a changed (tools,
    another model), b renamed unchanged, c deleted, d added, notes edited."""
    repo = tmp_path_factory.mktemp("repo")
    git(repo, "init", "-q", "-b", "main")
    cassettes = repo / "tests" / "cassettes" / "test_agent"
    cassettes.mkdir(parents=True)
    with FakeLLMServer() as server:
        _record(server, cassettes / "test_a.trace.yaml", "What is 2+2?")
        _record(server, cassettes / "test_b.trace.yaml", "Find Lyon", tools=True)
        _record(server, cassettes / "test_c.trace.yaml", "Say hi")
        (cassettes / "test_vcr.yaml").write_text("interactions: []\nversion: 1\n")
        (repo / "notes.yaml").write_text("a: 1\n")
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", "base")
        base = git(repo, "rev-parse", "HEAD")
        _record(server, cassettes / "test_a.trace.yaml", "What is 2+2?", model="gpt-4o-mini", tools=True)
        git(repo, "mv", str(cassettes / "test_b.trace.yaml"), str(cassettes / "test_b_renamed.trace.yaml"))
        git(repo, "rm", "-q", str(cassettes / "test_c.trace.yaml"))
        _record(
            server,
            cassettes / "test_d.trace.yaml",
            "A new test of the search tool",
            model="gpt-4o-mini",
            tools=True,
        )
        (repo / "notes.yaml").write_text("a: 2\n")
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", "head")
    yield History(repo, base, git(repo, "rev-parse", "HEAD"))


def replay(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "trace_ops.cli.main", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=cwd)


def test_each_kind_of_change_is_found_and_judged(history: History) -> None:
    report = build_report(history.repo, history.base, history.head)
    found = {(c.file.status, c.file.old_path, c.file.new_path): c for c in report.cassettes}
    d = "tests/cassettes/test_agent/"
    assert set(found) == {
        ("modified", f"{d}test_a.trace.yaml", f"{d}test_a.trace.yaml"),
        ("renamed", f"{d}test_b.trace.yaml", f"{d}test_b_renamed.trace.yaml"),
        ("removed", f"{d}test_c.trace.yaml", None),
        ("added", None, f"{d}test_d.trace.yaml"),
    }  # the VCR.py file and notes.yaml are not ours
    a = found["modified", f"{d}test_a.trace.yaml", f"{d}test_a.trace.yaml"]
    assert a.behaviour_changed and a.diff is not None
    assert a.diff.trajectory is not None and a.diff.tools_added == ("search",)
    assert [(m.old, m.new) for m in a.diff.model_changes] == [("gpt-4o", "gpt-4o-mini")]
    assert "trajectory changed" in a.verdict and "model changed" in a.verdict
    renamed = found["renamed", f"{d}test_b.trace.yaml", f"{d}test_b_renamed.trace.yaml"]
    assert not renamed.behaviour_changed and renamed.verdict == "renamed, no behaviour change"
    assert report.behaviour_changed


def test_totals_are_the_sums_of_the_cassettes_on_each_side(history: History) -> None:
    report = build_report(history.repo, history.base, history.head)

    def total(side: str, attr: str) -> float:
        traces = [getattr(c, side) for c in report.cassettes if getattr(c, side) is not None]
        return float(sum(getattr(t, attr) for t in traces))

    olds = [load_cassette(history.repo / p) for p in []]  # noqa: F841 (the base files are gone from the tree)
    assert report.calls.old == total("old", "total_llm_calls") == 1 + 2 + 1
    assert report.calls.new == total("new", "total_llm_calls") == 2 + 2 + 2
    assert report.tokens.old == total("old", "total_tokens") and report.tokens.new == total(
        "new", "total_tokens"
    )
    assert report.cost_usd.old == pytest.approx(total("old", "total_cost_usd"))
    assert report.cost_usd.new == pytest.approx(total("new", "total_cost_usd"))
    assert report.cost_usd.old is not None and report.cost_usd.old > 0  # gpt-4o is priced
    data = report.to_dict()
    assert data["changed_cassettes"] == 4 and data["totals"]["cost_usd"]["abs"] == pytest.approx(
        report.cost_usd.abs
    )


def test_the_markdown_report_matches_the_golden_file(history: History) -> None:
    markdown = build_report(history.repo, history.base, history.head).to_markdown()
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(markdown)
    assert markdown == GOLDEN.read_text()


def test_the_command_writes_reports_and_outputs_and_exits_1_on_a_change(
    history: History, tmp_path: Path
) -> None:
    md, js, out = tmp_path / "r.md", tmp_path / "r.json", tmp_path / "out.txt"
    args = ["ci-diff", "--repo", str(history.repo), "--base", history.base, "--head", history.head]
    result = replay(*args, "--markdown", str(md), "--json", str(js), "--github-output", str(out))
    assert result.returncode == 1, result.stderr
    assert "4 cassette(s) changed, behaviour changed in 3" in result.stdout
    assert md.read_text() == GOLDEN.read_text()
    assert json.loads(js.read_text())["behaviour_changed"] is True
    outputs = dict(line.split("=", 1) for line in out.read_text().splitlines())
    assert outputs["changed-cassettes"] == "4" and outputs["behaviour-changed"] == "true"
    assert float(outputs["cost-delta-usd"]) == pytest.approx(
        build_report(history.repo, history.base, history.head).cost_usd.abs
    )
    assert replay(*args, "--exit-zero", "--markdown", str(md)).returncode == 0


def test_no_change_exits_0(history: History) -> None:
    result = replay("ci-diff", "--repo", str(history.repo), "--base", history.head, "--head", history.head)
    assert result.returncode == 0 and "No cassettes changed" in result.stdout


def test_a_folder_limits_the_search(history: History) -> None:
    assert build_report(history.repo, history.base, history.head, "docs").cassettes == ()


def test_a_shallow_clone_fetches_the_base_it_lacks(history: History, tmp_path: Path) -> None:
    git(history.repo, "config", "uploadpack.allowAnySHA1InWant", "true")  # as GitHub allows
    clone = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth=1", f"file://{history.repo}", str(clone)], check=True)
    with pytest.raises(subprocess.CalledProcessError):
        git(clone, "cat-file", "-e", f"{history.base}^{{commit}}")
    report = build_report(clone, history.base, "HEAD")
    assert len(report.cassettes) == 4 and report.behaviour_changed


def test_a_missing_base_without_fetching_says_what_is_missing(history: History, tmp_path: Path) -> None:
    clone = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth=1", f"file://{history.repo}", str(clone)], check=True)
    result = replay("ci-diff", "--repo", str(clone), "--base", history.base, "--no-fetch")
    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert history.base in line and "git fetch --depth=1 origin" in line and "fetch-depth: 0" in line


def test_not_a_repository_is_one_line(tmp_path: Path) -> None:
    result = replay("ci-diff", "--repo", str(tmp_path), "--base", "main")
    assert result.returncode == 2 and "is not a git repository" in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_a_damaged_cassette_is_listed_as_unreadable(history: History, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(history.repo, repo)
    target = repo / "tests" / "cassettes" / "test_agent" / "test_d.trace.yaml"
    target.write_text("version: 1\ntrace: [unclosed\n")
    git(repo, "commit", "-q", "-am", "damage")
    report = build_report(repo, "HEAD~1", "HEAD")
    (damaged,) = report.cassettes
    assert damaged.verdict == "unreadable" and damaged.behaviour_changed
    assert damaged.error is not None and "test_d.trace.yaml@" in damaged.error
    assert "❌" in report.to_markdown()


def test_a_git_error_is_a_trace_ops_error(tmp_path: Path) -> None:
    with pytest.raises(GitError):
        build_report(tmp_path, "HEAD", "HEAD")
