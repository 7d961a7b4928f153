"""The run summary says how many calls could not be recorded (recording failed open)."""

from __future__ import annotations

from pathlib import Path

import pytest

CHILD_TEST = """
import trace_ops

class Unprintable:
    def __str__(self):
        raise RuntimeError("no text for this object")

@trace_ops.tool
def lookup(query):
    return Unprintable()

def test_agent(cassette):
    assert isinstance(lookup("x"), Unprintable)  # the tool's result reached the agent

def test_other(cassette):
    pass
"""


def test_summary_counts_calls_not_recorded(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CI", raising=False)
    pytester.makepyfile(test_child=CHILD_TEST)
    result = pytester.runpytest("--record")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        [
            "*trace_ops*",
            "1 call not recorded (see log):",
            "  test_child.py::test_agent: tool lookup: RuntimeError: no text for this object",
        ]
    )


def test_a_cassette_that_cannot_be_saved_fails_the_test_naming_the_path(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CI", raising=False)
    (pytester.path / "blocker").write_text("a file where the cassette directory should be")
    pytester.makeconftest(
        """
from pathlib import Path

import pytest

@pytest.fixture
def trace_ops_config():
    return {"cassette_dir": "blocker"}
"""
    )
    pytester.makepyfile(
        test_child="""
import trace_ops

@trace_ops.tool
def lookup(query):
    return "found"

def test_agent(cassette):
    assert lookup("x") == "found"
"""
    )
    result = pytester.runpytest("--record")
    result.assert_outcomes(passed=1, errors=1)  # the body passed; saving its cassette failed
    path = pytester.path / "blocker" / "test_child" / "test_agent.trace.yaml"
    result.stdout.fnmatch_lines([f"{path}: cannot save the cassette (NotADirectoryError: *)*"])
    result.stdout.no_fnmatch_line("*trace_ops/session.py*")  # no traceback of ours
    result.stdout.no_fnmatch_line("*During handling of the above exception*")  # nor a chain
    result.stdout.no_fnmatch_line("*direct cause of the following exception*")
    kept = result.stdout.str().split("the recording was saved to ", 1)[1].split()[0]
    Path(kept).unlink()
