"""Timestamps as cassettes hold them: UTC ISO 8601 with milliseconds and a `Z`, written and read here."""

from __future__ import annotations

import datetime as _dt
import re
import time
from typing import Any

_second: list[Any] = [-1, ""]  # the last whole second formatted, and its text
_FRACTION = re.compile(r"(?<=:\d\d)\.(\d+)")


def utc_now_iso() -> str:
    """A compact UTC timestamp, readable in a cassette (cheap: it runs on every recorded call)."""
    now = time.time()
    whole = int(now)
    cached = _second
    if cached[0] != whole:
        cached[1] = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole))
        cached[0] = whole
    return f"{cached[1]}.{int(now % 1 * 1000):03d}Z"


def parse_iso(text: str) -> _dt.datetime:
    """ISO 8601 as trace_ops and pytest plugins write it (raises ValueError when it is not).

    Python 3.10's `fromisoformat` rejects a trailing "Z" and fractions other than 3 or 6 digits."""
    text = text.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    text = _FRACTION.sub(lambda m: "." + m.group(1)[:6].ljust(6, "0"), text, count=1)
    return _dt.datetime.fromisoformat(text)
