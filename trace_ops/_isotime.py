"""ISO 8601 timestamps as trace_ops and pytest plugins write them, read on every Python we support.

Python 3.10's `datetime.fromisoformat` rejects a trailing `Z` and fractions of other than 3 or 6
digits; cassettes (`created_at`, `started_at`) and run reports carry both. One parser, so every
reader accepts the same texts.
"""

from __future__ import annotations

import datetime as _dt
import re

__all__ = ["parse_iso_time"]

_FRACTION = re.compile(r"(?<=:\d\d)\.(\d+)")


def parse_iso_time(text: str) -> _dt.datetime:
    """The datetime of an ISO 8601 text (`Z` is UTC); ValueError when it is not one."""
    text = text.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    text = _FRACTION.sub(lambda m: "." + m.group(1)[:6].ljust(6, "0"), text, count=1)
    return _dt.datetime.fromisoformat(text)
