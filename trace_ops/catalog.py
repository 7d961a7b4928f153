"""The cassettes under a folder as a catalog: one summary per cassette, sorted, and the totals
over all of them (per model, per tool, the most expensive tests).

What `replay ls` and `replay stats` print, as library functions a script or a dashboard can
call. Unknown is never zero here either: a cassette with a call that cannot be priced has an
unknown cost, and the totals count how many such cassettes they leave out.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import warnings
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from trace_ops._time import parse_iso
from trace_ops.errors import CassetteError
from trace_ops.library import CASSETTE_SUFFIX, discover
from trace_ops.trace import ErrorEvent, LLMCall, ToolCall, Trace

__all__ = [
    "SORT_KEYS",
    "CassetteSummary",
    "CatalogStats",
    "ModelStats",
    "ToolStats",
    "catalog",
    "catalog_stats",
    "summarize",
    "summarize_trace",
]


@dataclass
class ModelStats:
    """Calls to one model (as served) with their tokens and cost (None: some call not priced)."""

    model: str
    calls: int = 0
    tokens: int = 0
    cost_usd: float | None = 0.0


@dataclass
class ToolStats:
    name: str
    calls: int = 0
    errors: int = 0


@dataclass
class CassetteSummary:
    """One cassette as `replay ls` lists it; `error` says why it could not be read (figures are 0)."""

    path: str
    name: str
    size: int
    id: str | None = None
    created_at: str | None = None
    age_s: float | None = None
    events: int = 0
    llm_calls: int = 0
    tool_calls: int = 0
    errors: int = 0
    tokens: int = 0
    cost_usd: float | None = 0.0
    duration_ms: float = 0.0
    models: dict[str, ModelStats] = field(default_factory=dict)
    tools: dict[str, ToolStats] = field(default_factory=dict)
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["models"] = [asdict(m) for m in self.models.values()]
        data["tools"] = [asdict(t) for t in self.tools.values()]
        return data


def _name(path: Path, root: Path | None) -> str:
    """The cassette as a test name: relative to the root, without `.trace.yaml` (`mod/test_x`)."""
    shown = path
    if root is not None:
        with contextlib.suppress(ValueError):
            shown = path.relative_to(root)
    text = shown.as_posix()
    for suffix in (CASSETTE_SUFFIX, ".yaml"):
        if text.endswith(suffix):
            return text[: -len(suffix)]
    return text


def _age_s(created_at: str, now: dt.datetime) -> float | None:
    try:
        return (now - parse_iso(created_at)).total_seconds()
    except ValueError:
        return None


def _add_cost(total: float | None, usd: float | None) -> float | None:
    return None if total is None or usd is None else total + usd


def summarize_trace(
    trace: Trace, summary: CassetteSummary, now: dt.datetime | None = None
) -> CassetteSummary:
    """Fill `summary` with the trace's figures: every call priced once, per model and per tool."""
    from trace_ops.cost import price_call

    now = now or dt.datetime.now(dt.timezone.utc)
    summary.id, summary.created_at = trace.id, trace.created_at
    summary.age_s = _age_s(trace.created_at, now)
    summary.events = len(trace.events)
    with warnings.catch_warnings():  # an unknown price is shown as `unknown`, not warned per file
        warnings.simplefilter("ignore")
        for event in trace.events:
            summary.duration_ms += event.duration_ms or 0.0
            if isinstance(event, LLMCall):
                usage, usd = event.usage, price_call(event).usd
                tokens = usage.total_tokens if usage is not None else 0
                model = event.served_model or event.model or event.endpoint
                stats = summary.models.setdefault(model, ModelStats(model))
                stats.calls, stats.tokens = stats.calls + 1, stats.tokens + tokens
                stats.cost_usd = _add_cost(stats.cost_usd, usd)
                summary.llm_calls += 1
                summary.tokens += tokens
                summary.cost_usd = _add_cost(summary.cost_usd, usd)
                summary.errors += event.failed
            elif isinstance(event, ToolCall):
                tool = summary.tools.setdefault(event.name, ToolStats(event.name))
                tool.calls += 1
                tool.errors += event.error is not None
                summary.tool_calls += 1
                summary.errors += event.error is not None
            elif isinstance(event, ErrorEvent):
                summary.errors += 1
    return summary


def summarize(path: str | os.PathLike[str], root: str | os.PathLike[str] | None = None) -> CassetteSummary:
    """One cassette's summary; an unreadable one has `error` set instead of raising."""
    from trace_ops.cassette import load_cassette

    file = Path(path)
    try:
        size = file.stat().st_size
    except OSError as exc:
        return CassetteSummary(str(file), _name(file, None), 0, error=exc.strerror or str(exc))
    summary = CassetteSummary(str(file), _name(file, Path(root) if root is not None else None), size)
    try:
        trace = load_cassette(file)
    except CassetteError as exc:
        summary.error = str(exc).removeprefix(f"{file}: ")
        summary.cost_usd = None
        return summary
    return summarize_trace(trace, summary)


def _unknown_last(value: float | None) -> tuple[bool, float]:
    return (value is None, -(value or 0.0))


#: `replay ls --sort` keys: the biggest (or oldest) first; unknown costs and ages last.
SORT_KEYS: dict[str, Callable[[CassetteSummary], Any]] = {
    "name": lambda s: s.name,
    "calls": lambda s: (-s.llm_calls, s.name),
    "tokens": lambda s: (-s.tokens, s.name),
    "cost": lambda s: (_unknown_last(s.cost_usd), s.name),
    "age": lambda s: (_unknown_last(s.age_s), s.name),
    "size": lambda s: (-s.size, s.name),
}


def catalog(root: str | os.PathLike[str], sort: str = "name") -> list[CassetteSummary]:
    """Every cassette under `root` (a folder, recursive; or one file), summarized and sorted."""
    key = SORT_KEYS.get(sort)
    if key is None:
        raise ValueError(f"cannot sort by {sort!r} (choose from {', '.join(SORT_KEYS)})")
    base = Path(root)
    paths: Iterable[Path] = discover(base) if base.is_dir() else [base]
    folder = base if base.is_dir() else base.parent
    return sorted((summarize(path, folder) for path in paths), key=key)


@dataclass
class CatalogStats:
    """Totals over a catalog. `cost_usd` sums the priced cassettes; `unpriced` counts the others."""

    cassettes: int = 0
    unreadable: int = 0
    events: int = 0
    llm_calls: int = 0
    tool_calls: int = 0
    errors: int = 0
    tokens: int = 0
    cost_usd: float = 0.0
    unpriced: int = 0
    duration_ms: float = 0.0
    models: list[ModelStats] = field(default_factory=list)
    tools: list[ToolStats] = field(default_factory=list)
    most_expensive: list[tuple[str, float]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["most_expensive"] = [{"name": name, "cost_usd": usd} for name, usd in self.most_expensive]
        return data


def catalog_stats(summaries: Iterable[CassetteSummary], top: int = 10) -> CatalogStats:
    """Totals, per model (most calls first), per tool, and the `top` most expensive cassettes."""
    stats = CatalogStats()
    models: dict[str, ModelStats] = {}
    tools: dict[str, ToolStats] = {}
    priced: list[tuple[str, float]] = []
    for s in summaries:
        if s.error is not None:
            stats.unreadable += 1
            continue
        stats.cassettes += 1
        stats.events += s.events
        stats.llm_calls += s.llm_calls
        stats.tool_calls += s.tool_calls
        stats.errors += s.errors
        stats.tokens += s.tokens
        stats.duration_ms += s.duration_ms
        if s.cost_usd is None:
            stats.unpriced += 1
        else:
            stats.cost_usd += s.cost_usd
            priced.append((s.name, s.cost_usd))
        for m in s.models.values():
            total = models.setdefault(m.model, ModelStats(m.model))
            total.calls, total.tokens = total.calls + m.calls, total.tokens + m.tokens
            total.cost_usd = _add_cost(total.cost_usd, m.cost_usd)
        for t in s.tools.values():
            tool = tools.setdefault(t.name, ToolStats(t.name))
            tool.calls, tool.errors = tool.calls + t.calls, tool.errors + t.errors
    stats.models = sorted(models.values(), key=lambda m: (-m.calls, m.model))
    stats.tools = sorted(tools.values(), key=lambda t: (-t.calls, t.name))
    stats.most_expensive = sorted(priced, key=lambda p: (-p[1], p[0]))[:top]
    return stats
