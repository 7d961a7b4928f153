"""The example suite the project's workflow runs through the GitHub Action replays offline from
its committed cassettes, in CI mode (where recording is refused)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_example_cassettes_replay_in_ci_mode() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "TRACE_OPS_LOCK"))}
    env["CI"] = "true"
    command = [
        sys.executable,
        "-m",
        "pytest",
        "examples/tests",
        "-q",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:xdist",
    ]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "2 passed" in result.stdout and "2 replayed, 0 recorded" in result.stdout
