"""The parsed-cassette cache: keyed by content, never stale, never in the way."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.core.test_cassette import sample_trace
from trace_ops import load_cassette, save_cassette
from trace_ops.cassette import dumps_cassette


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "cache"
    monkeypatch.setenv("TRACE_OPS_CACHE_DIR", str(directory))
    return directory


def no_yaml(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("YAML was parsed although the cache should have answered")

    monkeypatch.setattr("trace_ops.cassette._parse", refuse)


def test_second_load_comes_from_the_cache(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = save_cassette(sample_trace(), tmp_path / "c.yaml")
    first = load_cassette(path)
    assert len(list(cache.rglob("*.json"))) == 1
    no_yaml(monkeypatch)
    second = load_cassette(path)
    assert dumps_cassette(second) == dumps_cassette(first)


def test_an_edited_cassette_is_parsed_again(cache: Path, tmp_path: Path) -> None:
    path = save_cassette(sample_trace(), tmp_path / "c.yaml")
    load_cassette(path)
    path.write_text(path.read_text().replace("You are helpful.", "You are terse."))
    assert "You are terse." in load_cassette(path).llm_calls[0].request["messages"][0]["content"]
    assert len(list(cache.rglob("*.json"))) == 2


def test_corrupt_entries_and_disabled_cache(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = save_cassette(sample_trace(), tmp_path / "c.yaml")
    load_cassette(path)
    (entry,) = cache.rglob("*.json")
    entry.write_text("{not json")
    assert load_cassette(path).total_llm_calls == 2  # falls back to the YAML
    monkeypatch.setenv("TRACE_OPS_CACHE_DIR", "off")
    other = save_cassette(sample_trace(), tmp_path / "d.yaml")
    other.write_text(other.read_text() + "\n# changed\n")
    load_cassette(other)
    assert len(list(cache.rglob("*.json"))) == 1


def test_invalid_cassettes_are_not_cached(cache: Path, tmp_path: Path) -> None:
    from trace_ops import CassetteError

    path = tmp_path / "bad.yaml"
    path.write_text("version: 1\nevents: [{type: banana}]\n")
    for _ in range(2):
        with pytest.raises(CassetteError, match="unknown event type"):
            load_cassette(path)
    assert list(cache.rglob("*.json")) == []
