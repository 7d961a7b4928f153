"""A parse-cache entry is served only when it proves it was written by this cache for these
exact cassette bytes; pruning touches only the files the cache wrote."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.cassette.test_cassette import sample_trace
from trace_ops import load_cassette, save_cassette
from trace_ops.cassette import cache as parse_cache
from trace_ops.cassette import dumps_cassette
from trace_ops.trace import LLMCall, Trace

DAY = 86400.0


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "cache"
    monkeypatch.setenv("TRACE_OPS_CACHE_DIR", str(directory))
    return directory


def answers_trace(*answers: str) -> Trace:
    """One chat call per answer, the same request each time."""
    calls = [
        LLMCall(
            provider="openai",
            endpoint="chat.completions",
            request={"model": "gpt-4o", "messages": [{"role": "user", "content": "Hi"}], "temperature": 0},
            response={
                "id": "chatcmpl-1",
                "object": "chat.completion",
                "model": "gpt-4o",
                "choices": [{"index": 0, "message": {"role": "assistant", "content": answer}}],
            },
        )
        for answer in answers
    ]
    return Trace(events=list(calls))


def entry_of(path: Path) -> Path:
    entry = parse_cache.entry(path.read_bytes())
    assert entry is not None
    return Path(entry)


def edit_header(data: bytes, change: Callable[[dict[str, Any]], None]) -> bytes:
    """The entry with its JSON line's document changed, everything after it as it was."""
    line, _, rest = data.partition(b"\n")
    header = json.loads(line)
    change(header[-1])  # {"document": ..., "slots": [...]}
    return json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode() + b"\n" + rest


def set_event(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(wrapper: dict[str, Any]) -> None:
        wrapper["document"]["events"][0][key] = value

    return change


def swap_answers(wrapper: dict[str, Any]) -> None:
    slots = wrapper["slots"]
    first, second = (i for i, (_, key) in enumerate(slots) if key == "response")
    slots[first], slots[second] = slots[second], slots[first]


# (name, tamper): tamper(this entry, another cassette's entry) -> what this entry now holds
TAMPERED: list[tuple[str, Callable[[bytes, bytes], bytes]]] = [
    ("edited fingerprint", lambda mine, _: edit_header(mine, set_event("fingerprint", "0" * 16))),
    ("changed status", lambda mine, _: edit_header(mine, set_event("status", 500))),
    ("changed model", lambda mine, _: edit_header(mine, set_event("model", "gpt-3.5-turbo"))),
    ("answers swapped between the calls", lambda mine, _: edit_header(mine, swap_answers)),
    ("another cassette's entry under this name", lambda _, other: other),
    (
        "torn: this entry's header, another's answers",
        lambda mine, other: mine.partition(b"\n")[0] + b"\n" + other.partition(b"\n")[2],
    ),
    ("a header nested 100,000 deep", lambda mine, _: b"[" * 100_000 + b"\n" + mine.partition(b"\n")[2]),
]


@pytest.mark.parametrize("tamper", [t for _, t in TAMPERED], ids=[name for name, _ in TAMPERED])
def test_an_entry_that_does_not_prove_it_belongs_to_these_bytes_is_a_miss(
    cache: Path, tmp_path: Path, tamper: Callable[[bytes, bytes], bytes]
) -> None:
    # two cassettes alike but for the answers, which have the same length
    mine = save_cassette(answers_trace("answer 1", "answer 2"), tmp_path / "mine.yaml")
    other = save_cassette(answers_trace("answer 3", "answer 4"), tmp_path / "other.yaml")
    expected = dumps_cassette(load_cassette(mine))  # parsed from the YAML, then cached
    load_cassette(other)
    entry = entry_of(mine)
    good = entry.read_bytes()
    entry.write_bytes(tamper(good, entry_of(other).read_bytes()))
    assert dumps_cassette(load_cassette(mine)) == expected  # parsed again...
    assert entry.read_bytes() == good  # ...and the entry rewritten


def test_an_entry_without_this_caches_key_is_a_miss(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A forged entry (header edited, HMAC recomputed with a guessed key) and a genuine entry
    of another cache directory (its own key) are both parsed again."""
    path = save_cassette(sample_trace(), tmp_path / "c.yaml")
    expected = dumps_cassette(load_cassette(path))
    entry = entry_of(path)
    good = entry.read_bytes()
    edited = edit_header(good, set_event("model", "gpt-3.5-turbo"))[:-65]
    entry.write_bytes(edited + hmac.new(b"\0" * 32, edited, hashlib.sha256).hexdigest().encode() + b"\n")
    assert dumps_cassette(load_cassette(path)) == expected
    assert entry.read_bytes() == good

    elsewhere = tmp_path / "other-cache"
    monkeypatch.setenv("TRACE_OPS_CACHE_DIR", str(elsewhere))
    save_cassette(sample_trace(), tmp_path / "d.yaml")
    load_cassette(tmp_path / "d.yaml")  # the other cache makes its key
    copied = entry_of(path)
    copied.parent.mkdir(parents=True, exist_ok=True)
    copied.write_bytes(edit_header(good, set_event("model", "gpt-3.5-turbo"))[:-65] + good[-65:])
    assert dumps_cassette(load_cassette(path)) == expected


def test_a_damaged_or_missing_key_means_misses_until_a_write_makes_a_new_one(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = save_cassette(sample_trace(), tmp_path / "c.yaml")
    expected = dumps_cassette(load_cassette(path))
    (key,) = cache.rglob(".key")
    assert len(key.read_bytes()) == 32 and key.stat().st_mode & 0o077 == 0  # readable by its owner only
    monkeypatch.setattr(parse_cache, "_keys", {})  # a new process
    key.write_bytes(b"short")
    assert dumps_cassette(load_cassette(path)) == expected  # a miss: parsed, key and entry rewritten
    assert len(key.read_bytes()) == 32
    monkeypatch.setattr(parse_cache, "_keys", {})
    assert parse_cache.get_document(str(entry_of(path))) is not None
    key.unlink()
    monkeypatch.setattr(parse_cache, "_keys", {})
    assert parse_cache.get_document(str(entry_of(path))) is None
    assert dumps_cassette(load_cassette(path)) == expected


def age(path: Path, days: float) -> None:
    when = time.time() - days * DAY
    os.utime(path, (when, when), follow_symlinks=False)


def test_pruning_a_shared_folder_removes_only_the_caches_own_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = tmp_path / "shared"
    monkeypatch.setenv("TRACE_OPS_CACHE_DIR", str(shared))
    first = save_cassette(sample_trace(), tmp_path / "a.yaml")
    load_cassette(first)  # writes an entry (and prunes: the first write of the day)
    old_entry = entry_of(first)
    shard = old_entry.parent.name
    outside = tmp_path / "outside"  # entry-like names, reached only through symlinks (below)
    lure = outside / "ee" / ("e" * 64 + ".entry")
    hexname = "cd" + "0" * 62
    unrelated = [
        shared / "docs" / "notes.txt",
        shared / "notes.txt",
        shared / "cd" / "notes.txt",  # a folder named like a v3 shard
        shared / "cd" / f"{hexname}.txt",
        old_entry.parent / "notes.txt",  # inside the cache's own folder, not its name
        old_entry.parent / f"{old_entry.name}.bak",
        lure,
    ]
    for path in unrelated:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("keep me")
    linked = old_entry.parent / f"{shard}{'e' * 62}.entry"
    linked.symlink_to(lure)
    (old_entry.parent.parent / "ee").symlink_to(lure.parent)
    (shared / "trace_ops-parse-v9").symlink_to(outside)
    v3_entry = shared / "cd" / f"{hexname}.v3"  # what an older trace_ops wrote
    v3_entry.write_text("old format")
    stale_temp = old_entry.parent / f".{old_entry.name[:64]}.abcd_123.tmp"  # from a killed write
    live_temp = old_entry.parent / f".{old_entry.name[:64]}.efgh_456.tmp"  # a write under way
    stale_temp.write_text("partial")
    live_temp.write_text("partial")
    for path in [old_entry, v3_entry, stale_temp, *unrelated, *shared.rglob("*.entry")]:
        age(path, 60)
    for stamp in shared.rglob(".pruned"):
        stamp.unlink()

    second = save_cassette(sample_trace(), tmp_path / "b.yaml")
    load_cassette(second)  # writes an entry, and prunes

    for path in unrelated:
        assert path.read_text() == "keep me", path
    assert linked.is_symlink()
    assert not old_entry.exists() and not v3_entry.exists() and not stale_temp.exists()
    assert entry_of(second).is_file() and live_temp.is_file()
