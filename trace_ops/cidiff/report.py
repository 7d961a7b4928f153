"""The ci-diff report: each changed cassette diffed semantically, and one total line.

The report is data (`CiDiffReport`, `to_dict()`); `to_markdown()` words it for a PR comment.
A cassette that cannot be read on one side is listed with its one-line error, never skipped:
a reviewer must see that a recording was damaged.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any

from trace_ops.cassette import loads_cassette
from trace_ops.cidiff.git import FileChange, changed_cassettes, read_blob, resolve_commit
from trace_ops.diff import TraceDiff, diff_traces
from trace_ops.diff.model import Delta
from trace_ops.errors import CassetteError
from trace_ops.formatting import format_delta, format_figure
from trace_ops.reporters.markdown import diff_to_markdown, escape_inline
from trace_ops.trace import Trace

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Figures:
    """A cassette's totals: LLM calls, tokens, cost (None: not priced)."""

    calls: int = 0
    tokens: int = 0
    cost_usd: float | None = 0.0

    @classmethod
    def of(cls, trace: Trace | None) -> Figures | None:
        if trace is None:
            return None
        return cls(trace.total_llm_calls, trace.total_tokens, trace.total_cost_usd)


@dataclass(frozen=True)
class CassetteChange:
    """One changed cassette: the file change, both sides' traces and their diff, or why one is unreadable."""

    file: FileChange
    old: Trace | None = None
    new: Trace | None = None
    diff: TraceDiff | None = None
    error: str | None = None

    @property
    def behaviour_changed(self) -> bool:
        """Added, removed, unreadable, or a diff that finds a change (a plain rename is no change)."""
        if self.error is not None or self.file.status in ("added", "removed"):
            return True
        return self.diff is not None and self.diff.has_changes

    @property
    def verdict(self) -> str:
        if self.error is not None:
            return "unreadable"
        if self.file.status in ("added", "removed"):
            return self.file.status
        if self.diff is None or not self.diff.has_changes:
            return f"{self.file.status}, no behaviour change"
        what = [name for name, hit in _headlines(self.diff) if hit]
        return f"{self.file.status}: {', '.join(what) or 'changed'}"


def _headlines(d: TraceDiff) -> list[tuple[str, bool]]:
    return [
        ("trajectory changed", d.trajectory is not None),
        ("tools changed", bool(d.tools_added or d.tools_removed)),
        ("model changed", bool(d.model_changes)),
        ("prompt changed", bool(d.prompt_changes)),
        ("answers changed", bool(d.response_changes)),
        ("tokens changed", d.tokens.changed),
        ("errors changed", bool(d.errors_appeared or d.errors_disappeared)),
    ]


@dataclass(frozen=True)
class CiDiffReport:
    """What changed between two commits: every changed cassette, in path order."""

    base: str
    head: str
    cassettes: tuple[CassetteChange, ...] = field(default_factory=tuple)

    @property
    def behaviour_changed(self) -> bool:
        return any(c.behaviour_changed for c in self.cassettes)

    def _total(self, attr: str) -> Delta:
        def side(get: str) -> float | None:
            values = [
                getattr(f, attr) for c in self.cassettes if (f := Figures.of(getattr(c, get))) is not None
            ]
            return None if any(v is None for v in values) else float(sum(values))

        return Delta(side("old"), side("new"))

    @property
    def calls(self) -> Delta:
        return self._total("calls")

    @property
    def tokens(self) -> Delta:
        return self._total("tokens")

    @property
    def cost_usd(self) -> Delta:
        """Cost of the changed cassettes before and after (None when a model is not priced)."""
        return self._total("cost_usd")

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "base": self.base,
            "head": self.head,
            "behaviour_changed": self.behaviour_changed,
            "changed_cassettes": len(self.cassettes),
            "totals": {
                "calls": self.calls.to_dict(),
                "tokens": self.tokens.to_dict(),
                "cost_usd": self.cost_usd.to_dict(),
            },
            "cassettes": [_cassette_dict(c) for c in self.cassettes],
        }

    def to_markdown(self, title: str = "trace_ops: agent behaviour in this change") -> str:
        return _markdown(self, title)


def _cassette_dict(c: CassetteChange) -> dict[str, Any]:
    return {
        "status": c.file.status,
        "old_path": c.file.old_path,
        "new_path": c.file.new_path,
        "behaviour_changed": c.behaviour_changed,
        "verdict": c.verdict,
        "error": c.error,
        "old": _figures_dict(Figures.of(c.old)),
        "new": _figures_dict(Figures.of(c.new)),
        "diff": c.diff.to_dict() if c.diff is not None else None,
    }


def _figures_dict(f: Figures | None) -> dict[str, Any] | None:
    return None if f is None else {"calls": f.calls, "tokens": f.tokens, "cost_usd": f.cost_usd}


def build_report(
    repo: str | os.PathLike[str], base: str, head: str, directory: str = ".", *, fetch: bool = True
) -> CiDiffReport:
    """Diff every cassette changed from `base` to `head` (refs or commit ids) under `directory`."""
    base_sha = resolve_commit(repo, base, fetch=fetch)
    head_sha = resolve_commit(repo, head, fetch=fetch)
    changes = changed_cassettes(repo, base_sha, head_sha, directory)
    return CiDiffReport(base_sha, head_sha, tuple(_compare(repo, base_sha, head_sha, f) for f in changes))


def _compare(repo: str | os.PathLike[str], base: str, head: str, file: FileChange) -> CassetteChange:
    try:
        old = _load(repo, base, file.old_path)
        new = _load(repo, head, file.new_path)
    except CassetteError as error:
        return CassetteChange(file, error=str(error).splitlines()[0])
    diff = diff_traces(old, new) if old is not None and new is not None else None
    return CassetteChange(file, old, new, diff)


def _load(repo: str | os.PathLike[str], commit: str, path: str | None) -> Trace | None:
    if path is None:
        return None
    raw = read_blob(repo, commit, path)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise CassetteError(f"{path} at {commit[:12]}: not UTF-8 text") from None
    return loads_cassette(text, source=f"{path}@{commit[:12]}")


# ---------------------------------------------------------------- markdown

_DASH = "—"


def _cell(c: CassetteChange, attr: str, unit: str = "") -> str:
    old, new = Figures.of(c.old), Figures.of(c.new)
    delta = Delta(getattr(old, attr) if old else None, getattr(new, attr) if new else None)
    if old is None or new is None:
        before = format_figure(delta.old, unit) if old else _DASH
        return f"{before} → {format_figure(delta.new, unit) if new else _DASH}"
    return format_delta(delta, unit)


def _code(text: str) -> str:
    """`text` as an inline code span inside a table cell: no escapes (code shows them), `|` escaped
    (GitHub tables split on it even in code), a fence longer than any backtick run inside."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text.replace('|', chr(92) + '|')}{pad}{fence}"


def _name(f: FileChange) -> str:
    if f.status == "renamed":
        return f"{_code(f.old_path or '')} → {_code(f.new_path or '')}"
    return _code(f.path)


def _markdown(report: CiDiffReport, title: str) -> str:
    n = len(report.cassettes)
    changed = sum(c.behaviour_changed for c in report.cassettes)
    if n == 0:
        return f"## {title}\n\n✅ No cassettes changed.\n"
    status = f"⚠️ behaviour changed in {changed} of {n}" if changed else "✅ no behaviour change"
    out = [f"## {title}", "", f"{n} cassette{'s' if n != 1 else ''} changed: {status}.", ""]
    out += ["| cassette | change | LLM calls | tokens | cost |", "|---|---|---|---|---|"]
    for c in report.cassettes:
        verdict = escape_inline(c.verdict)
        out.append(
            f"| {_name(c.file)} | {verdict} | {_cell(c, 'calls')} | {_cell(c, 'tokens')} "
            f"| {_cell(c, 'cost_usd', '$')} |"
        )
    totals = (
        format_delta(report.calls, ""),
        format_delta(report.tokens, ""),
        format_delta(report.cost_usd, "$"),
    )
    out.append(f"| **total** | | {totals[0]} | {totals[1]} | {totals[2]} |")
    for c in report.cassettes:
        out += _section(c)
    return "\n".join(out).rstrip() + "\n"


def _section(c: CassetteChange) -> list[str]:
    """A changed cassette's own diff (figures, trajectory, changes, prompt and answer diffs)."""
    if c.error is not None:
        return ["", f"### {_name(c.file)}", "", f"❌ {escape_inline(c.error)}"]
    if c.diff is None or not c.diff.has_changes:
        return []
    return ["", *(_demoted(line) for line in diff_to_markdown(c.diff, title=c.file.path).splitlines())]


def _demoted(line: str) -> str:
    """The diff's headings one level down, under the report's own heading."""
    return "#" + line if line.startswith("#") else line
