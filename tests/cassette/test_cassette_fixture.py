"""A cassette saved before cassette.py became a package loads the same and re-saves byte for byte.

fixtures/pre_refactor.trace.yaml was written by the single-module cassette.py from
fixture_trace(); it must never be regenerated, only added to.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from tests.cassette.cassette_fixture_trace import fixture_trace
from trace_ops import load_cassette, save_cassette
from trace_ops.cassette import dumps_cassette
from trace_ops.cassette.schema import CODECS
from trace_ops.matching import fingerprint
from trace_ops.trace import EVENT_TYPES, Event, LLMCall

FIXTURE = Path(__file__).parent / "fixtures" / "pre_refactor.trace.yaml"


def _fields(event: Event) -> dict[str, Any]:
    return {f.name: getattr(event, f.name) for f in dataclasses.fields(event) if not f.name.startswith("_")}


@pytest.mark.parametrize("cache", ["off", "on"])
def test_a_pre_refactor_cassette_loads_the_same_and_resaves_the_same_bytes(
    cache: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRACE_OPS_CACHE_DIR", "off" if cache == "off" else str(tmp_path / "cache"))
    written = FIXTURE.read_bytes()
    expected = fixture_trace()
    for event in expected.events:  # what a load computes (the file holds the same)
        if isinstance(event, LLMCall):
            event.fingerprint = fingerprint(event.endpoint, event.request)
    for _ in range(2):  # with the cache on, the second load is a cache hit
        loaded = load_cassette(FIXTURE)
        assert [type(e) for e in loaded.events] == [type(e) for e in expected.events]
        assert [_fields(e) for e in loaded.events] == [_fields(e) for e in expected.events]
        header = ("id", "created_at", "trace_ops_version", "sdk_versions", "price_data", "tags", "metadata")
        assert {k: getattr(loaded, k) for k in header} == {k: getattr(expected, k) for k in header}
        assert save_cassette(loaded, tmp_path / "again.yaml").read_bytes() == written
    assert dumps_cassette(expected).encode() == written


def test_every_event_kind_has_a_codec() -> None:
    assert list(CODECS) == list(EVENT_TYPES)
