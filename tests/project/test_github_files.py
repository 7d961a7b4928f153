"""The GitHub Action and the project's workflow: valid shape, declared inputs, and every `run:`
step calling a command that exists with options it accepts (actionlint does not install here:
its build downloads a binary from GitHub, which this machine cannot reach)."""

from __future__ import annotations

import functools
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from trace_ops.cli.main import COMMANDS, command_parser

ROOT = Path(__file__).resolve().parents[2]
ACTION = ROOT / ".github" / "actions" / "trace-ops" / "action.yml"
WORKFLOW = ROOT / ".github" / "workflows" / "ci.yml"
ISSUE_INPUTS = {
    "cassette-dir",
    "record-mode",
    "pytest-args",
    "python-version",
    "post-diff-comment",
    "fail-on-diff",
    "github-token",
}


def load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text())
    assert isinstance(data, dict)
    return data


def commands(script: str) -> list[list[str]]:
    """The commands of a `run:` script (split on lines and &&), `${{ }}` and `$VARS` replaced by X."""
    script = re.sub(r"\$\{\{[^}]*\}\}", "X", script)
    script = re.sub(r"\$[A-Z_]+", "X", script)
    out = []
    for line in script.replace("&&", "\n").splitlines():
        if line.strip():
            out.append(shlex.split(line))
    return out


@functools.cache
def pytest_options() -> str:
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--help"], capture_output=True, text=True, timeout=120
    )
    return result.stdout


def check_command(argv: list[str], help_text: str) -> None:
    """A command exists and takes these options: replay subcommands parse with their own parser."""
    name = argv[0]
    if name == "replay":
        sub = argv[1]
        assert COMMANDS[sub].module is not None, f"replay {sub} is not built"
        module = __import__(COMMANDS[sub].module, fromlist=["add_arguments"])
        parser = command_parser(sub, module.DESCRIPTION, module.EXAMPLE)
        module.add_arguments(parser)
        parser.parse_args(argv[2:])  # exits (fails the test) on an unknown option
    elif argv[:3] == ["python", "-m", "pytest"]:
        for option in argv[3:]:
            if option.startswith("--"):
                assert option.split("=")[0] in help_text, f"pytest has no option {option}"
    elif argv[:3] == ["python", "-m", "pip"]:
        assert argv[3] == "install"
    elif name == "./dev":
        dev = (ROOT / "dev").read_text()
        assert re.search(rf"^  {re.escape(argv[1])}\)", dev, re.M), f"./dev has no {argv[1]!r} command"
        if argv[1] == "bench":
            bench = subprocess.run(
                [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--help"],
                capture_output=True,
                text=True,
                timeout=60,
            ).stdout
            assert all(o in bench for o in argv[2:] if o.startswith("--"))
        if argv[1] == "test" and len(argv) > 2:
            assert argv[2] in dev
    else:
        assert name in {"echo", "exit"}, f"unexpected command {name!r}"


def run_steps(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [s for s in steps if "run" in s]


def test_the_action_declares_what_the_issue_asks() -> None:
    action = load(ACTION)
    assert {"name", "description", "inputs", "outputs", "runs"} <= set(action)
    assert set(action["inputs"]) >= ISSUE_INPUTS
    assert action["inputs"]["record-mode"]["default"] == "none"
    assert set(action["outputs"]) == {"changed-cassettes", "cost-delta-usd", "report-path"}
    assert all("value" in o and "description" in o for o in action["outputs"].values())
    assert action["runs"]["using"] == "composite"
    for step in action["runs"]["steps"]:
        assert ("run" in step) != ("uses" in step), step
        if "run" in step:
            assert step.get("shell") == "bash", "composite run steps need a shell"
        else:
            assert re.fullmatch(r"[\w.-]+/[\w.-]+@v\d+", step["uses"]), step["uses"]


def test_every_input_and_output_the_action_declares_is_used() -> None:
    text = ACTION.read_text()
    action = load(ACTION)
    for name in action["inputs"]:
        assert text.count(f"inputs.{name}") >= 1, f"input {name} is never used"
    used = set(re.findall(r"steps\.(\w+)\.outputs\.([\w-]+)", text))
    written = {
        "changed-cassettes",
        "behaviour-changed",
        "cost-delta-usd",
        "report-path",
    }  # ci-diff --github-output
    assert {out for _, out in used} <= written
    # input values reach shell scripts through env, never pasted into the script (injection)
    for step in run_steps(action["runs"]["steps"]):
        assert "${{ inputs." not in step["run"] and "${{ github.event" not in step["run"], step["name"]


def test_every_run_step_of_the_action_calls_a_command_that_exists() -> None:
    help_text = pytest_options()
    for step in run_steps(load(ACTION)["runs"]["steps"]):
        for argv in commands(step["run"]):
            check_command(argv, help_text)


def test_the_workflow_runs_lint_tests_on_every_python_drift_bench_and_the_action() -> None:
    workflow = load(WORKFLOW)
    jobs = workflow["jobs"]
    assert {"lint", "test", "drift", "bench", "example-cassettes"} <= set(jobs)
    assert jobs["test"]["strategy"]["matrix"]["python"] == ["3.10", "3.11", "3.12", "3.13"]
    assert jobs["drift"]["continue-on-error"] is True and jobs["bench"]["continue-on-error"] is True
    assert any(s.get("uses", "").startswith("actions/upload-artifact@") for s in jobs["bench"]["steps"])
    action_steps = [
        s for s in jobs["example-cassettes"]["steps"] if s.get("uses") == "./.github/actions/trace-ops"
    ]
    (step,) = action_steps
    assert set(step["with"]) <= set(load(ACTION)["inputs"])
    help_text = pytest_options()
    for job in jobs.values():
        assert "runs-on" in job and job["steps"]
        for s in run_steps(job["steps"]):
            for argv in commands(s["run"]):
                check_command(argv, help_text)


@pytest.mark.parametrize("path", [ACTION, WORKFLOW], ids=["action", "workflow"])
def test_the_files_are_plain_yaml_without_tabs(path: Path) -> None:
    assert "\t" not in path.read_text()
