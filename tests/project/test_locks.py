"""The test environment is the one the lock file describes (`./dev test` installs from it).

`./dev test` tells each leg its lock through TRACE_OPS_LOCK; the drift leg (`./dev test
--latest`) and a bare `pytest` set none, and this check does not apply to them.
"""

from __future__ import annotations

import os
import re
from importlib import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;#]+)")


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def read_lock(path: Path) -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = _PIN.match(line.strip())
        if match:
            pins[_canonical(match.group(1))] = match.group(2)
    return pins


def test_lock_files_pin_every_package_exactly() -> None:
    for name in ("main.txt", "openai2-litellm.txt"):
        lines = [
            line
            for line in (ROOT / "locks" / name).read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")
        ]
        assert lines, name
        loose = [line for line in lines if not _PIN.match(line)]
        assert not loose, f"{name}: not an exact pin: {loose[:3]}"
        assert not any(_canonical(line.split("==")[0]) == "trace-ops" for line in lines)


def test_installed_packages_are_the_locked_versions() -> None:
    lock = os.environ.get("TRACE_OPS_LOCK")
    if not lock:
        pytest.skip("not run by ./dev test (TRACE_OPS_LOCK unset): the drift leg or a bare pytest")
    pins = read_lock(ROOT / lock)
    installed = {
        _canonical(dist.metadata["Name"]): dist.version
        for dist in metadata.distributions()
        if dist.metadata["Name"] and _canonical(dist.metadata["Name"]) != "trace-ops"
    }
    unpinned = sorted(set(installed) - set(pins))
    assert not unpinned, f"installed but not in {lock}: {unpinned} (run ./dev lock)"
    drifted = {name: (version, pins[name]) for name, version in installed.items() if pins[name] != version}
    assert not drifted, f"installed != {lock}: {drifted}"
