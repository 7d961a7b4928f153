"""The suite's own secret scan (a pytest plugin, loaded by tests/conftest.py): every cassette a test
writes is searched with `Scrubber.find` for a secret left in it, and a leak fails that test,
naming the file and the place (never the secret).

Scanned: every cassette saved in this process while the test runs (setup, call and teardown,
where the `cassette` fixture saves), via `save_cassette`'s atomic write, whatever the path (temp
dirs included, in-process pytester runs too); and every YAML cassette left under the test's
`tmp_path` (written by a subprocess, or by hand). Streams are checked as their joined deltas
read too (a key spelled out across chunks). A test that writes secret-bearing files on purpose
says so: `@pytest.mark.writes_secrets`.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

import trace_ops.cassette.save as _save
from trace_ops.cassette.safe_yaml import parse
from trace_ops.errors import CassetteError
from trace_ops.scrub import DEFAULT_SCRUBBER

MARKER = "writes_secrets"
_TMP_SCAN_MAX_BYTES = 2 << 20  # a larger hand-written file in tmp_path is a load test, not a cassette
_active: list[list[tuple[Path, str]]] = []  # one list per running test (pytester nests runs)
_original_write = _save.atomic_write_text


def _recording_write(target: Path, text: str, **kwargs: Any) -> Path:
    written = _original_write(target, text, **kwargs)
    for writes in _active:
        writes.append((Path(written), text))
    return written


def install() -> None:
    """Route `save_cassette`'s writes through the recorder (once per process)."""
    if _save.atomic_write_text is not _recording_write:
        _save.atomic_write_text = _recording_write  # type: ignore[assignment]


def leaks_in(text: str, source: str) -> list[str]:
    """Where the cassette text `text` still holds a secret: `source: events[0].response (why)`."""
    try:
        document, _ = parse(text, source)
    except CassetteError:
        return []  # not YAML we read (damaged on purpose): nothing a replay would show either
    found = [f"{source}: {f.where} ({f.reason})" for f in DEFAULT_SCRUBBER.find(document)]
    events = document.get("events") if isinstance(document, dict) else None
    for i, event in enumerate(events if isinstance(events, list) else []):
        stream = event.get("stream") if isinstance(event, dict) else None
        if isinstance(stream, str) and DEFAULT_SCRUBBER.stream(stream) != stream:
            found.append(f"{source}: events[{i}].stream (a secret spelled out across its deltas)")
    return found


def _left_in(folder: Path, scanned: set[Path]) -> list[tuple[Path, str]]:
    """YAML files under `folder` (regular files only: tests make FIFOs and device links too)."""
    out: list[tuple[Path, str]] = []
    for root, _dirs, files in os.walk(folder):
        for name in files:
            path = Path(root, name)
            if not name.endswith(".yaml") or path in scanned:
                continue
            try:
                info = os.lstat(path)
                if not stat.S_ISREG(info.st_mode) or info.st_size > _TMP_SCAN_MAX_BYTES:
                    continue
                out.append((path, path.read_text(encoding="utf-8")))
            except (OSError, UnicodeDecodeError):
                continue
    return out


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"{MARKER}: this test writes secret-bearing cassettes on purpose (no leak scan)"
    )
    install()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    writes: list[tuple[Path, str]] = []
    item.stash[_WRITES] = writes
    _active.append(writes)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, None]:
    outcome = yield
    if call.when == "setup":
        funcargs = getattr(item, "funcargs", {}) or {}
        if isinstance(funcargs.get("tmp_path"), Path):
            item.stash[_TMP] = funcargs["tmp_path"]
        return
    if call.when != "teardown" or _WRITES not in item.stash:
        return
    writes = item.stash[_WRITES]
    if writes in _active:
        _active.remove(writes)
    if item.get_closest_marker(MARKER) is not None:
        return
    latest = dict(writes)  # a file written twice: its last text
    tmp = item.stash.get(_TMP, None)
    if tmp is not None and tmp.exists():
        latest.update(_left_in(tmp, set(latest)))
    leaks = [leak for path, text in latest.items() for leak in leaks_in(text, str(path))]
    report = outcome.get_result()
    if leaks and report.outcome != "failed":
        shown = "\n".join(leaks[:10]) + (f"\n… and {len(leaks) - 10} more" if len(leaks) > 10 else "")
        report.outcome = "failed"
        report.longrepr = (
            f"secret scan: a cassette this test wrote still holds a secret "
            f"(mark the test @pytest.mark.{MARKER} if that is its point):\n{shown}"
        )


_WRITES = pytest.StashKey[list[tuple[Path, str]]]()
_TMP = pytest.StashKey[Path]()
