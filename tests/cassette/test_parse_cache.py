"""The parsed-cassette cache: keyed by content, never stale, never in the way."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import pytest

from tests.cassette.test_cassette import sample_trace
from trace_ops import load_cassette, save_cassette
from trace_ops.cassette import cache as parse_cache
from trace_ops.cassette import cache_files, dumps_cassette, safe_yaml
from trace_ops.trace import LLMCall, ToolCall, Trace


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "cache"
    monkeypatch.setenv("TRACE_OPS_CACHE_DIR", str(directory))
    return directory


def entries(cache: Path) -> list[Path]:
    return sorted(p for p in cache.rglob("*") if p.is_file() and not p.name.startswith("."))


def no_yaml(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("YAML was parsed although the cache should have answered")

    monkeypatch.setattr("trace_ops.cassette.load.parse", refuse)


def test_second_load_comes_from_the_cache(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = save_cassette(sample_trace(), tmp_path / "c.yaml")
    first = load_cassette(path)
    assert len(entries(cache)) == 1
    no_yaml(monkeypatch)
    second = load_cassette(path)
    assert dumps_cassette(second) == dumps_cassette(first)


def test_an_edited_cassette_is_parsed_again(cache: Path, tmp_path: Path) -> None:
    path = save_cassette(sample_trace(), tmp_path / "c.yaml")
    load_cassette(path)
    path.write_text(path.read_text().replace("You are helpful.", "You are terse."))
    assert "You are terse." in load_cassette(path).llm_calls[0].request["messages"][0]["content"]
    assert len(entries(cache)) == 2


def test_corrupt_entries_and_disabled_cache(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = save_cassette(sample_trace(), tmp_path / "c.yaml")
    load_cassette(path)
    (entry,) = entries(cache)
    entry.write_text("{not json")
    assert load_cassette(path).total_llm_calls == 2  # falls back to the YAML
    monkeypatch.setenv("TRACE_OPS_CACHE_DIR", "off")
    other = save_cassette(sample_trace(), tmp_path / "d.yaml")
    other.write_text(other.read_text() + "\n# changed\n")
    load_cassette(other)
    assert len(entries(cache)) == 1


def test_invalid_cassettes_are_not_cached(cache: Path, tmp_path: Path) -> None:
    from trace_ops import CassetteError

    path = tmp_path / "bad.yaml"
    path.write_text("version: 1\nevents: [{type: banana}]\n")
    for _ in range(2):
        with pytest.raises(CassetteError, match="unknown event type"):
            load_cassette(path)
    assert entries(cache) == []


def unicode_trace() -> Trace:
    stream = 'data: {"delta": "日本語 😀 Ünïcödé"}\n\ndata: [DONE]\n\n'
    return Trace(
        events=[
            LLMCall(provider="openai", endpoint="chat", request={"model": "m"}, stream=stream),
            LLMCall(provider="openai", endpoint="chat", request={"model": "m"}, response={"a": "é"}),
            LLMCall(provider="openai", endpoint="chat", request={"model": "m"}, stream=""),
            ToolCall(name="t", input={"q": "x"}, output="ok"),
        ]
    )


@pytest.mark.parametrize("make", [sample_trace, unicode_trace])
def test_cached_document_equals_the_parsed_one(cache: Path, tmp_path: Path, make: Any) -> None:
    path = save_cassette(make(), tmp_path / "c.yaml")
    load_cassette(path)
    raw = path.read_bytes()
    entry = parse_cache.entry(raw)
    assert entry is not None and Path(entry).is_file()
    parsed, exact = safe_yaml.parse(raw, "c")
    assert exact
    assert parse_cache.get_document(entry) == parsed
    # the wire texts are stored raw after the JSON line, not escaped inside it
    head = Path(entry).read_bytes().split(b"\n", 1)[0]
    assert b"data: " not in head
    assert b"temperature" not in head  # nor the request.params block (quotes JSON would escape)


def test_documents_json_cannot_hold_exactly_are_not_cached(cache: Path, tmp_path: Path) -> None:
    for name, data in [("int-keys", {1: "a", "b": 2}), ("nan", [math.nan]), ("inf", {"x": math.inf})]:
        trace = Trace(events=[ToolCall(name="t", input=data, output=None)])
        path = save_cassette(trace, tmp_path / f"{name}.yaml")
        for _ in range(2):  # both loads parse the YAML, and both give the original data
            loaded = load_cassette(path).events[0]
            assert isinstance(loaded, ToolCall) and repr(loaded.input) == repr(data)
    assert entries(cache) == []


def test_torn_or_corrupt_entries_are_misses(cache: Path, tmp_path: Path) -> None:
    path = save_cassette(unicode_trace(), tmp_path / "c.yaml")
    expected = dumps_cassette(load_cassette(path))
    (entry,) = entries(cache)
    good = entry.read_bytes()
    head = good.index(b"\n") + 1
    damaged = [
        good[:cut] for cut in (0, 1, head - 1, head, head + 3, len(good) - 65, len(good) - 1)
    ] + [
        good[:head] + b"\0" * (len(good) - head),  # the texts zeroed (a crash before writeback)
        good[: head + 5] + b"X" + good[head + 6 :],  # one byte of a text changed
        good[:-2] + (b"1" if good[-2:-1] == b"0" else b"0") + b"\n",  # the HMAC itself changed
        b"\0" * len(good),
        json.dumps([[], {"document": {"version": 1}, "slots": [[0, "x"]]}]).encode() + b"\n00000000\n",
    ]
    for bad in damaged:
        entry.write_bytes(bad)
        assert parse_cache.get_document(str(entry)) is None
        assert dumps_cassette(load_cassette(path)) == expected  # parsed again...
        assert entry.read_bytes() == good  # ...and the entry rewritten


def test_cache_location(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("TRACE_OPS_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert parse_cache.cache_dir() == str(tmp_path / "xdg" / "trace_ops" / "cassettes")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "other"))  # read again on every call
    assert parse_cache.cache_dir() == str(tmp_path / "other" / "trace_ops" / "cassettes")
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert parse_cache.cache_dir() == str(tmp_path / "home" / ".cache" / "trace_ops" / "cassettes")
    for off in ("off", "0", "", "None", " FALSE "):
        monkeypatch.setenv("TRACE_OPS_CACHE_DIR", off)
        assert parse_cache.cache_dir() is None and parse_cache.entry(b"x") is None
    monkeypatch.setenv("TRACE_OPS_CACHE_DIR", str(tmp_path / "c"))
    entry = parse_cache.entry(b"version: 1\n")
    assert entry is not None and entry.startswith(str(tmp_path / "c") + "/")


def test_an_unwritable_cache_is_ignored(cache: Path, tmp_path: Path) -> None:
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text("a file where the directory should be")
    path = save_cassette(sample_trace(), tmp_path / "c.yaml")
    assert load_cassette(path).total_llm_calls == 2
    assert load_cassette(path).total_llm_calls == 2


def test_a_hand_edited_prompt_gets_its_true_fingerprint_loaded_or_cached(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file's fingerprint is stale after a hand edit; the loaded call (and the cache entry
    that later loads use) carries the one of the request as it now reads."""
    from trace_ops.matching import fingerprint

    path = save_cassette(sample_trace(), tmp_path / "c.yaml")
    stale = load_cassette(path).llm_calls[0].fingerprint
    path.write_text(path.read_text().replace("You are helpful.", "You are terse."))
    edited = load_cassette(path).llm_calls[0]
    assert f"fingerprint: {stale}" in path.read_text()  # the file still says the old one
    assert edited.fingerprint == fingerprint(edited.endpoint, edited.request) != stale
    no_yaml(monkeypatch)
    assert load_cassette(path).llm_calls[0].fingerprint == edited.fingerprint


def test_prune_drops_old_entries_then_the_oldest_over_the_size_cap(tmp_path: Path) -> None:
    root = tmp_path / "cache"
    now = 1_800_000_000.0
    ages_days = {"0": 40, "a": 3, "b": 2, "c": 1}
    for name, age in ages_days.items():
        entry = root / "trace_ops-parse-v4" / "ab" / f"ab{name * 62}.entry"
        entry.parent.mkdir(parents=True, exist_ok=True)
        entry.write_bytes(b"x" * 1000)
        os.utime(entry, (now - age * 86400, now - age * 86400))
    cache_files.prune(str(root), now=now, max_bytes=2500)
    kept = sorted(p.name[2] for p in (root / "trace_ops-parse-v4" / "ab").iterdir())
    assert kept == ["b", "c"]


def test_writes_prune_at_most_once_a_day(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    monkeypatch.setattr(cache_files, "prune", lambda root, **kw: calls.append(root))
    for index in range(3):
        save_cassette(sample_trace(), tmp_path / f"c{index}.yaml")
        load_cassette(tmp_path / f"c{index}.yaml")
    assert calls == [str(cache)]
    (stamp,) = cache.rglob(".pruned")  # in the cache's own folder
    old = stamp.stat().st_mtime - 2 * 86400
    os.utime(stamp, (old, old))
    cache_files.maybe_prune(str(cache))
    assert calls == [str(cache), str(cache)]
