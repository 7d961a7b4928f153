"""A trace diff as GitHub-flavoured markdown, for a PR comment.

Everything recorded (prompts, answers, tool names, arguments) is untrusted text: inline it is
HTML-escaped and markdown-escaped (so it cannot open a link, a table cell, a tag or mention
someone), and in code blocks it sits behind a fence longer than any backtick run it contains.
"""

from __future__ import annotations

import html
import re

from trace_ops.diff import TraceDiff, describe_prompt_change, unified_diff
from trace_ops.diff.summary import diff_lines
from trace_ops.formatting import figure_cells, format_similarity

__all__ = ["diff_to_markdown"]

_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")
_LINE_START = re.compile(r"^(\s*)([#+=-]|\d+[.)])")
_SHOWN_DIFFS = 10
_FIGURES = ("llm_calls", "tool_calls", "tokens", "cost", "latency")  # shown in the table


def escape_inline(text: str) -> str:
    """Recorded text made inert in a markdown line or table cell."""
    text = html.escape(text.replace("\r", " ").replace("\n", " "), quote=False)
    text = _MD_SPECIAL.sub(r"\\\1", text).replace("@", "&#64;")
    # no heading, list or rule at the start: `\#`, `\-`, `1\.`
    return _LINE_START.sub(lambda m: m[1] + m[2][:-1] + "\\" + m[2][-1], text)


def code_block(text: str, lang: str = "") -> str:
    """`text` verbatim in a fenced block whose fence no line of `text` can close."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{lang}\n{text}\n{fence}"


def _details(summary: str, body: str) -> str:
    return f"<details><summary>{html.escape(summary)}</summary>\n\n{body}\n\n</details>"


def diff_to_markdown(diff: TraceDiff, title: str = "Trace diff") -> str:
    """Markdown: a heading, a table of figures, the list of changes, collapsible prompt diffs."""
    status = "⚠️ the agent's behaviour changed" if diff.has_changes else "✅ no changes"
    out = [f"## {escape_inline(title)}: {status}", ""]
    rows = [
        ("LLM calls", diff.llm_calls, ""),
        ("Tool calls", diff.tool_calls, ""),
        ("Tokens", diff.tokens, ""),
        ("Input tokens", diff.input_tokens, ""),
        ("Output tokens", diff.output_tokens, ""),
        ("Cost (USD)", diff.cost_usd, "$"),
        ("Latency", diff.latency_ms, "ms"),
    ]
    out += ["| | Old | New | Δ | Δ% |", "|---|---:|---:|---:|---:|"]
    out += [f"| {name} | " + " | ".join(figure_cells(delta, unit)) + " |" for name, delta, unit in rows]
    lines = diff_lines(diff)
    changes = [line for line in lines if line.kind != "info" and line.aspect not in _FIGURES]
    if diff.trajectory is not None:
        out += ["", "### ⚠️ Trajectory changed (the agent took a different path)", ""]
        path = [line for line in changes if line.aspect == "trajectory" and line.kind != "heading"]
        out += [f"- {escape_inline(line.text)}" for line in path]
    others = [line for line in changes if line.aspect != "trajectory"]
    if others:
        out += ["", "### Changes", ""]
        out += ["  " * line.depth + f"- {escape_inline(line.text)}" for line in others]
    notes = [line for line in lines if line.kind == "info"]
    if notes:
        out += ["", "### Not counted as changes", ""]
        out += [f"- {escape_inline(line.text)}" for line in notes]
    if diff.prompt_changes:
        out += ["", "### Prompt diffs", ""]
        for p in diff.prompt_changes[:_SHOWN_DIFFS]:
            out += [_details(describe_prompt_change(p), code_block(p.diff, "diff")), ""]
    if diff.response_changes:
        out += ["", "### Response diffs", ""]
        for r in diff.response_changes[:_SHOWN_DIFFS]:
            body = unified_diff(r.old_text, r.new_text, "old response", "new response")
            summary = f"step {r.new_index + 1}: similarity {format_similarity(r.similarity)}"
            out += [_details(summary, code_block(body, "diff")), ""]
    return "\n".join(out).rstrip() + "\n"
