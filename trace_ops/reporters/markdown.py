"""A trace diff as GitHub-flavoured markdown, for a PR comment.

Everything recorded (prompts, answers, roles, tool names, arguments, errors) is untrusted text:
inline it is HTML-escaped and markdown-escaped (so it cannot open a link, a table cell, a tag,
an autolink, or mention someone), in a `<details>` summary it is HTML-escaped on one line, and in
code blocks it sits behind a fence longer than any backtick run it contains. Everywhere,
characters that reorder or hide text (bidi controls, zero-width marks: "Trojan Source") and
line ends other than `\n` are shown as `<U+202E>` instead, so what a reviewer reads is what
was recorded.
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


# bidi embeddings/overrides/isolates, zero-width and invisible marks, NUL, and line ends
# markdown or browsers may honour other than "\n" (CR, NEL, LS, PS, VT, FF)
_HIDDEN = re.compile("[\u0000\u000b\u000c\r\u0085\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")
# what GitHub would turn into a link or a reference: `scheme://`, `www.`, `#123`
_AUTOLINK = re.compile(r"(?<=[A-Za-z0-9]):(?=//)|(?<![A-Za-z0-9])(?i:www)\.|#(?=[0-9])")
_AUTOLINK_ESCAPES = {":": "&#58;", "#": "&#35;"}


def _unlinked(text: str) -> str:
    """No autolink, mention or issue reference: `https&#58;//`, `www&#46;`, `&#64;`, `&#35;1`."""
    text = text.replace("@", "&#64;")
    return _AUTOLINK.sub(lambda m: _AUTOLINK_ESCAPES.get(m[0]) or m[0][:-1] + "&#46;", text)


def shown(text: str) -> str:
    """`text` with every hidden or reordering character made visible (`<U+202E>`)."""
    return _HIDDEN.sub(lambda m: f"<U+{ord(m[0]):04X}>", text)


def escape_inline(text: str) -> str:
    """Recorded text made inert in a markdown line or table cell."""
    text = html.escape(shown(text.replace("\r\n", " ").replace("\n", " ")), quote=False)
    text = _unlinked(_MD_SPECIAL.sub(r"\\\1", text))
    # no heading, list or rule at the start: `\#`, `\-`, `1\.`
    return _LINE_START.sub(lambda m: m[1] + m[2][:-1] + "\\" + m[2][-1], text)


def code_block(text: str, lang: str = "") -> str:
    """`text` in a fenced block whose fence no line of `text` can close (hidden characters shown)."""
    text = shown(text.replace("\r\n", "\n"))
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{lang}\n{text}\n{fence}"


def _details(summary: str, body: str) -> str:
    """A collapsible section; the summary is one line of escaped HTML (a blank line in it would end
    the HTML block and let the rest be read as markdown)."""
    summary = _unlinked(html.escape(shown(summary.replace("\r\n", " ").replace("\n", " "))))
    return f"<details><summary>{summary}</summary>\n\n{body}\n\n</details>"


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
