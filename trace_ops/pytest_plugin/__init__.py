"""pytest plugin (entry point `trace_ops`): record once, replay in CI, with the flags VCR users know.

- `cassette` fixture: wraps the test in a record/replay session over
  `cassettes/<test module>/<test name>.trace.yaml` next to the test file, and yields the live Trace.
- `--record` records missing cassettes; `--record-mode` takes VCR.py's modes. With
  pytest-recording installed, its `--record-mode` / `--block-network` options are shared
  instead of registered twice (which would crash pytest at start-up).
- `@pytest.mark.budget(...)` checks the trace after the test body.
- One summary block at the end, and an optional JSON run report (`--trace-ops-report`).

pytest registers this module object as the plugin (also with `-p trace_ops.pytest_plugin`),
so every hook and fixture of the submodules is imported here; the submodules themselves are
never registered. Rooms: `options` (flags, record mode, markers), `fixtures` (`cassette`),
`runtest` (the policy around one test, `failures` for how its failure reads), `state` (what
a case reports), `summary` (the terminal block and the run report).
"""

from __future__ import annotations

import time

import pytest

from trace_ops.errors import TraceOpsError
from trace_ops.library import CASSETTE_SUFFIX as CASSETTE_SUFFIX
from trace_ops.pytest_plugin.fixtures import cassette, cassette_path_for, trace_ops_config
from trace_ops.pytest_plugin.options import (
    declare_markers,
    effective_mode,
    eval_upload_wanted,
    refuse_recording_in_ci,
    report_url,
)
from trace_ops.pytest_plugin.options import pytest_addoption as pytest_addoption
from trace_ops.pytest_plugin.runtest import pytest_runtest_call as pytest_runtest_call
from trace_ops.pytest_plugin.runtest import pytest_runtest_makereport as pytest_runtest_makereport
from trace_ops.pytest_plugin.state import STATE_KEY, RunState
from trace_ops.pytest_plugin.summary import RunReporter


def pytest_configure(config: pytest.Config) -> None:
    declare_markers(config)
    mode = effective_mode(config)
    refuse_recording_in_ci(config, mode)
    from trace_ops import interceptors

    interceptors.acquire()  # patched once for the run, not per test; idle patches just pass through
    detailed = bool(
        config.getoption("trace_ops_report", default=None) or report_url(config) or eval_upload_wanted(config)
    )
    state = RunState(mode=mode, started=time.time(), detailed=detailed)
    config.stash[STATE_KEY] = state
    config.pluginmanager.register(RunReporter(state), "trace_ops_run_reporter")


def pytest_unconfigure(config: pytest.Config) -> None:
    if STATE_KEY in config.stash:
        from trace_ops import interceptors

        interceptors.release()


__all__ = ["TraceOpsError", "cassette", "cassette_path_for", "effective_mode", "trace_ops_config"]
