"""Numbers as every report prints them (diff summary, rich and markdown renderers, the pytest
summary): one definition, so a cost reads `$0.0000183` everywhere and never `$0.0000`."""

from __future__ import annotations

import math

__all__ = ["format_figure", "format_usd"]


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
