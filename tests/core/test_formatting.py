"""The number helpers every report words figures with, and the one ISO time parser."""

from __future__ import annotations

import datetime as dt

import pytest

from trace_ops._plain import json_data
from trace_ops._time import parse_iso
from trace_ops.diff import Delta
from trace_ops.formatting import figure_cells, format_delta, format_pct, format_similarity

UTC = dt.timezone.utc


def test_deltas_percentages_and_cells() -> None:
    assert format_delta(Delta(1000, 1250), "") == "1,000 → 1,250 (+250, +25.0%)"
    assert format_delta(Delta(0, 3), "ms") == "0 ms → 3 ms (+3 ms)"
    assert format_delta(Delta(None, 0.00045), "$") == "unknown → $0.00045"
    assert format_pct(None) == "n/a" and format_pct(-25.0) == "-25.0%"
    assert figure_cells(Delta(None, 2), "") == ("unknown", "2", "n/a", "n/a")
    assert figure_cells(Delta(0.5, 0.25), "$") == ("$0.50", "$0.25", "-$0.25", "-50.0%")
    assert format_similarity(0.8571) == "0.86"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-01T10:00:00Z", dt.datetime(2026, 11, 1, 10, tzinfo=UTC)),
        ("2026-11-01T10:00:00.5z", dt.datetime(2026, 11, 1, 10, 0, 0, 500000, tzinfo=UTC)),
        (
            " 2026-11-01T10:00:00.1234567+00:00 ",
            dt.datetime(2026, 11, 1, 10, 0, 0, 123456, tzinfo=UTC),
        ),
        ("2026-11-01T10:00:00", dt.datetime(2026, 11, 1, 10)),
    ],
)
def test_iso_times_as_plugins_write_them(text: str, expected: dt.datetime) -> None:
    assert parse_iso(text) == expected


def test_iso_time_rejects_what_is_not_one() -> None:
    with pytest.raises(ValueError):
        parse_iso("yesterday")


def test_json_data_keeps_documents_valid_json() -> None:
    assert json_data({"x": float("nan"), 1: (b"ok", {3, 1})}) == {"x": None, "1": ["ok", [1, 3]]}
    assert json_data(Delta(1, 2)) == {"old": 1, "new": 2, "within_tolerance": False, "tolerance_pct": None}
