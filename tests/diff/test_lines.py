"""The structured lines a diff says itself in, and that every renderer renders."""

from __future__ import annotations

import subprocess
import sys

from tests.diff.traces import chat, tool
from trace_ops.diff import Delta, TraceDiff, diff_traces
from trace_ops.diff.model import ErrorRef
from trace_ops.diff.summary import Line, diff_lines, summary_lines
from trace_ops.trace import Trace


def test_lines_carry_kind_depth_and_the_change_they_word() -> None:
    old = Trace(events=[chat(), tool("search", {"q": "a"}), chat()])
    new = Trace(events=[chat("gpt-4o-mini"), tool("browse"), tool("search", {"q": "b"}), chat()])
    diff = diff_traces(old, new)
    lines = diff_lines(diff)
    heading, *path = [line for line in lines if line.aspect == "trajectory"]
    assert heading.kind == "heading" and heading.about is diff.trajectory
    assert [line.depth for line in path] == [1, 1] and path[0].text.startswith("Old: ")
    args = next(line for line in lines if line.aspect == "tool_args")
    assert args.about is diff.tool_arg_changes[0]
    assert summary_lines(diff)[1:] == [f"  {line.indented}" for line in lines]


def test_error_groups_have_a_tone_instead_of_words_to_parse() -> None:
    diff = TraceDiff(
        old_path=(),
        new_path=(),
        errors_appeared=(ErrorRef(0, "tool:x", "tool error", "boom"),),
        errors_disappeared=(ErrorRef(1, "tool:y", "tool error", "gone"),),
    )
    errors = [(line.kind, line.depth, line.tone) for line in diff_lines(diff)]
    assert errors == [
        ("heading", 0, "worse"),
        ("change", 1, "worse"),
        ("heading", 0, "better"),
        ("change", 1, "better"),
    ]


def test_info_lines_are_the_figures_that_moved_without_counting() -> None:
    diff = TraceDiff(old_path=(), new_path=(), latency_ms=Delta(100, 130, within_tolerance=True))
    assert diff_lines(diff) == [
        Line(
            "latency",
            "Latency: 100 ms → 130 ms (+30 ms, +30.0%) (info only: set latency_tolerance_pct to count it)",
            kind="info",
            about=diff.latency_ms,
        )
    ]
    assert diff.to_dict()["info"] == [diff_lines(diff)[0].text]


def test_the_model_is_worded_whichever_diff_module_is_imported_first() -> None:
    code = (
        "from trace_ops.diff.model import TraceDiff\nprint(TraceDiff(old_path=(), new_path=()).summary())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out == "Trace comparison:\n  No changes\n"
