"""Numbers as every report prints them (diff summary, rich and markdown renderers, the pytest
summary): one definition, so a cost reads `$0.0000183` everywhere and never `$0.0000`, and a
delta reads `1,000 → 1,250 (+250, +25.0%)` in every medium."""

from __future__ import annotations

import math
from typing import Protocol

__all__ = [
    "Figures",
    "figure_cells",
    "format_delta",
    "format_figure",
    "format_pct",
    "format_similarity",
    "format_usd",
]


class Figures(Protocol):
    """A figure in two runs (`trace_ops.diff.Delta` is one): None is unknown, never zero."""

    @property
    def old(self) -> float | None: ...
    @property
    def new(self) -> float | None: ...
    @property
    def abs(self) -> float | None: ...
    @property
    def pct(self) -> float | None: ...


def format_usd(x: float | None, sign: bool = False) -> str:
    """Dollars with about 4 significant figures (agent calls cost fractions of a cent);
    `unknown` for None (a price that is not known is never shown as zero)."""
    if x is None:
        return "unknown"
    digits = 2 if x == 0 else max(2, min(8, 3 - math.floor(math.log10(abs(x)))))
    body = f"{abs(x):,.{digits}f}"
    if "." in body:
        whole, frac = body.split(".")
        body = f"{whole}.{frac.rstrip('0').ljust(2, '0')}"
    prefix = ("+" if x >= 0 else "-") if sign else ("-" if x < 0 else "")
    return f"{prefix}${body}"


def format_figure(x: float | None, unit: str = "", sign: bool = False) -> str:
    """A count or duration (`1,250`, `+300 ms`), dollars when `unit` is `$`, or `unknown`."""
    if x is None:
        return "unknown"
    if unit == "$":
        return format_usd(x, sign)
    text = f"{x:+,.0f}" if sign else f"{x:,.0f}"
    return f"{text} {unit}".rstrip()


def format_pct(pct: float | None, unknown: str = "n/a") -> str:
    """A relative change, always signed: `+25.0%`; `unknown` when there is none (old figure 0)."""
    return unknown if pct is None else f"{pct:+.1f}%"


def format_similarity(ratio: float) -> str:
    """How alike two texts are, 0..1: `0.86`."""
    return f"{ratio:.2f}"


def format_delta(delta: Figures, unit: str) -> str:
    """`1,000 → 1,250 (+250, +25.0%)`; unknown figures print as `unknown`."""
    text = f"{format_figure(delta.old, unit)} → {format_figure(delta.new, unit)}"
    if delta.abs is not None:
        pct = f", {format_pct(delta.pct)}" if delta.pct is not None else ""
        text += f" ({format_figure(delta.abs, unit, sign=True)}{pct})"
    return text


def figure_cells(delta: Figures, unit: str) -> tuple[str, str, str, str]:
    """A figure as table cells: old, new, change, change in percent (`n/a` when not known)."""
    change = format_figure(delta.abs, unit, sign=True) if delta.abs is not None else "n/a"
    return format_figure(delta.old, unit), format_figure(delta.new, unit), change, format_pct(delta.pct)
