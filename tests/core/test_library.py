"""The cassette library on its own: naming, discovery, orphans and staleness, without pytest runs."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from trace_ops import library

OURS = "version: 1\ntrace:\n  events: []\n"
VCR = "interactions:\n- request: {}\nversion: 1\n"


def test_safe_name_replaces_unsafe_runs_and_keeps_long_names_apart() -> None:
    assert library.safe_name("test_x[a/b c]") == "test_x_a_b_c"
    assert library.safe_name("...") == "test"
    long_a, long_b = library.safe_name("t" * 150 + "a"), library.safe_name("t" * 150 + "b")
    assert len(long_a) == 100 and long_a != long_b and long_a.startswith("t" * 89 + "-")


def test_default_cassette_path(tmp_path: Path) -> None:
    test_file = tmp_path / "tests" / "test_agent.py"
    assert library.default_cassette_path(test_file, "test_one") == (
        tmp_path / "tests" / "cassettes" / "test_agent" / "test_one.trace.yaml"
    )
    assert library.default_cassette_path(
        test_file, "test_two[x]", class_name="TestA", cassette_dir="recorded"
    ) == (tmp_path / "tests" / "recorded" / "test_agent" / "TestA.test_two_x.trace.yaml")


def _write(path: Path, text: str) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return str(path)


def test_is_ours_by_suffix_or_by_content(tmp_path: Path) -> None:
    assert library.is_ours(str(tmp_path / "missing.trace.yaml"))  # the suffix is enough
    assert library.is_ours(_write(tmp_path / "old.yaml", OURS))
    assert not library.is_ours(_write(tmp_path / "vcr.yaml", VCR))
    assert not library.is_ours(str(tmp_path / "missing.yaml"))


def test_discover_finds_ours_in_sorted_order_and_skips_hidden_folders(tmp_path: Path) -> None:
    b = _write(tmp_path / "b" / "test_b" / "one.trace.yaml", OURS)
    a = _write(tmp_path / "a" / "two.yaml", OURS)
    _write(tmp_path / "a" / "vcr.yaml", VCR)
    _write(tmp_path / ".cache" / "x.trace.yaml", OURS)
    _write(tmp_path / "a" / "notes.txt", OURS)
    assert [str(p) for p in library.discover(tmp_path)] == [a, b]


def test_orphans_are_our_unused_cassettes_next_to_used_ones(tmp_path: Path) -> None:
    used = _write(tmp_path / "cassettes" / "test_m" / "used.trace.yaml", OURS)
    unused = _write(tmp_path / "cassettes" / "test_m" / "unused.trace.yaml", OURS)
    _write(tmp_path / "cassettes" / "test_m" / "vcr.yaml", VCR)
    _write(tmp_path / "cassettes" / "test_other" / "far.trace.yaml", OURS)  # no used cassette there
    assert library.orphans([used]) == [unused]
    assert library.orphans([]) == []
    assert library.orphans([str(tmp_path / "gone" / "x.trace.yaml")]) == []


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30d", 30 * 86400), ("12h", 43200), ("90m", 5400), ("2w", 1209600), ("1.5", 129600)],
)
def test_parse_age(text: str, seconds: float) -> None:
    assert library.parse_age(text) == seconds


def test_parse_age_rejects_what_it_cannot_read() -> None:
    with pytest.raises(ValueError, match=r"cannot read 'soon' \(use e.g. 30d, 12h, 90m\)"):
        library.parse_age("soon")


def test_stale_reasons(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(library, "installed_major", {"openai": "2", "anthropic": "0"}.get)
    old = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=40)).isoformat().replace("+00:00", "Z")
    assert library.stale_reasons(
        {"openai": "1.99.0", "anthropic": "0.40", "absent": "3"}, old, 30 * 86400
    ) == [
        "recorded with openai 1.99.0, installed 2.x",
        "40 days old",
    ]
    assert library.stale_reasons({"openai": "2.1"}, old, None) == []
    assert library.stale_reasons(None, "not a date", 1.0) == []
