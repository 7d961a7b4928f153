"""Markdown (PR comment) and rich (terminal) renderings of a diff; recorded text stays inert."""

from __future__ import annotations

import re

from rich.console import Console

from tests.diff.traces import chat, tool
from trace_ops.diff import TraceDiff, diff_traces
from trace_ops.reporters.markdown import code_block, diff_to_markdown, escape_inline
from trace_ops.reporters.terminal import render_diff_rich
from trace_ops.trace import Trace

HOSTILE = "# ok | <script>alert(1)</script> [link](http://x) @octocat [bold red]boom[/] ```"


def changed_diff() -> TraceDiff:
    old = Trace(events=[chat(prompt="hi"), tool("search", {"q": "a"}), chat(text="Paris")])
    new = Trace(
        events=[
            chat("gpt-4o-mini", prompt=f"hi\n{HOSTILE}"),
            tool("browse"),
            tool("search", {"q": HOSTILE}),
            chat(text=HOSTILE),
        ]
    )
    return diff_traces(old, new)


def render(diff: TraceDiff, *, color: bool) -> str:
    console = Console(
        record=True, width=200, force_terminal=color, color_system="truecolor" if color else None
    )
    console.print(render_diff_rich(diff))
    return console.export_text(styles=color)


def test_markdown_has_heading_table_changes_and_collapsible_prompt_diffs() -> None:
    md = diff_to_markdown(changed_diff())
    assert md.startswith("## Trace diff: ⚠️ the agent's behaviour changed\n")
    assert "| | Old | New | Δ | Δ% |" in md
    assert "| Tool calls | 1 | 2 | +1 | +100.0% |" in md
    assert "### ⚠️ Trajectory changed" in md
    assert "- New tools used: browse" in md
    assert "<details><summary>Prompt changed: step 1, message 1 (user)</summary>" in md
    assert md.count("<details>") == md.count("</details>") == 2  # one prompt diff, one response diff


def test_markdown_of_an_unchanged_run() -> None:
    run = Trace(events=[chat()])
    md = diff_to_markdown(diff_traces(run, run))
    assert "✅ no changes" in md and "### Changes" not in md and "<details>" not in md


def test_recorded_text_cannot_break_the_markdown() -> None:
    md = diff_to_markdown(changed_diff())
    assert "````diff\n" in md  # the recorded ``` cannot close the fence around it
    outside_code = re.sub(r"(`{3,})[^\n]*\n.*?\n\1\n", "", md, flags=re.S)
    assert "```" not in outside_code  # every fence was closed by its own
    assert "<script>" not in outside_code and "\\| &lt;script&gt;" in outside_code
    assert "@octocat" not in outside_code  # no mention pings from a PR comment
    assert "[link](http" not in outside_code
    rows = [line for line in md.splitlines() if line.startswith("| ")]
    assert rows and all(len(re.findall(r"(?<!\\)\|", row)) == 6 for row in rows)


def test_inline_escaping_rules() -> None:
    assert escape_inline("a|b") == "a\\|b"
    assert escape_inline("# title") == "\\# title"
    assert escape_inline("1. item") == "1\\. item"
    assert escape_inline("line\nbreak") == "line break"
    assert escape_inline("<b>&") == "&lt;b&gt;&amp;"
    assert escape_inline("snake_case *x*") == "snake\\_case \\*x\\*"


def test_code_fence_is_longer_than_any_backtick_run_inside() -> None:
    block = code_block("a ```` b", "diff")
    assert block.startswith("`````diff\n") and block.endswith("\n`````")
    assert code_block("plain").startswith("```\n")


def test_terminal_rendering_plain_text() -> None:
    text = render(changed_diff(), color=False)
    assert "⚠ TRAJECTORY CHANGED (agent took a different path)" in text
    assert "Old: llm_call:gpt-4o → tool:search → llm_call:gpt-4o" in text
    assert "Model changed: gpt-4o → gpt-4o-mini" in text
    assert re.search(r"Tool calls\s+1\s+2\s+\+1\s+\+100\.0%", text)
    assert "\x1b[" not in text
    assert "[bold red]boom[/]" in text  # recorded text is printed, not interpreted as markup


def test_terminal_rendering_uses_colour_on_a_terminal() -> None:
    text = render(changed_diff(), color=True)
    assert "\x1b[" in text
    assert "[bold red]boom[/]" in text


def test_terminal_rendering_of_an_unchanged_run() -> None:
    run = Trace(events=[chat()])
    assert "No changes" in render(diff_traces(run, run), color=False)
