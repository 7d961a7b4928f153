"""The plugin's command line: its options, the record mode they choose, and the markers it declares.

With pytest-recording installed, its `--record-mode` / `--block-network` options are shared
instead of registered twice (which would crash pytest at start-up).
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import sys

import pytest

from trace_ops.modes import RecordMode


def _recording_plugin_present(pluginmanager: pytest.PytestPluginManager) -> bool:
    """True when pytest-recording will register `--record-mode` / `--block-network` itself."""
    if pluginmanager.hasplugin("recording"):
        return True
    if pluginmanager.is_blocked("recording") or importlib.util.find_spec("pytest_recording") is None:
        return False
    if not os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD"):
        return True
    explicit = [*sys.argv, *os.environ.get("PYTEST_ADDOPTS", "").split()]
    return any("pytest_recording" in arg or arg == "recording" for arg in explicit)


def pytest_addoption(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    group = parser.getgroup("trace_ops", "trace_ops: record and replay LLM calls")
    group.addoption(
        "--record",
        action="store_true",
        default=False,
        help="record cassettes that are missing, replay the others (record mode 'once').",
    )
    if not _recording_plugin_present(pluginmanager):
        with contextlib.suppress(ValueError):
            group.addoption(
                "--record-mode",
                action="store",
                default=None,
                choices=[m.value for m in RecordMode],
                help="record mode: none (default: replay only), once, new_episodes, all, rewrite.",
            )
        with contextlib.suppress(ValueError):
            group.addoption(
                "--block-network",
                action="store_true",
                default=False,
                help="block every socket connection except loopback while tests run.",
            )
    group.addoption(
        "--cassette-max-age",
        action="store",
        default=None,
        metavar="AGE",
        help="report cassettes older than AGE (e.g. 30d, 12h) as stale in the summary.",
    )
    group.addoption(
        "--trace-ops-report", action="store", default=None, metavar="PATH", help="write a JSON run report."
    )
    group.addoption(
        "--trace-ops-report-url",
        action="store",
        default=None,
        metavar="URL",
        help="POST the run report to URL (default: $TRACE_OPS_REPORT_URL); never changes the test outcome.",
    )
    if not evals_plugin_present():
        for flag in _EVAL_FLAGS:
            var = "AGENT_OBSERVABILITY_" + flag.upper().replace("-", "_")
            group.addoption(
                f"--agent-observability-{flag}",
                default=None,
                help=f"eval upload (pytest-agent-observability): ${var}",
            )


#: pytest-agent-observability's flags (trace_ops uploads in its shape; `trace_ops.runreport.evals`).
#: Declared only when that plugin is absent: it declares them itself and then does the upload.
_EVAL_FLAGS = ("url", "agent-id", "account-id", "timeout", "max-retries", "fallback-dir")


def evals_plugin_present() -> bool:
    return importlib.util.find_spec("pytest_agent_observability") is not None


def eval_upload_wanted(config: pytest.Config) -> bool:
    """Whether this run is uploaded as an agent-observability eval run (by us, not that plugin)."""
    if evals_plugin_present():
        return False
    return bool(
        config.getoption("agent_observability_url", default=None) or os.environ.get("AGENT_OBSERVABILITY_URL")
    )


def report_url(config: pytest.Config) -> str | None:
    """Where the run report is POSTed: `--trace-ops-report-url`, else $TRACE_OPS_REPORT_URL."""
    url = config.getoption("trace_ops_report_url", default=None) or os.environ.get("TRACE_OPS_REPORT_URL")
    return str(url) if url else None


def _explicit_record_mode(config: pytest.Config) -> bool:
    return any(a == "--record-mode" or a.startswith("--record-mode=") for a in config.invocation_params.args)


def effective_mode(config: pytest.Config) -> RecordMode:
    """`--record-mode` if given, else `once` with `--record`, else `none` (replay only)."""
    value = config.getoption("record_mode", default=None)
    if value:
        return RecordMode.parse(value)
    if config.getoption("record", default=False):
        return RecordMode.ONCE
    return RecordMode.NONE


def refuse_recording_in_ci(config: pytest.Config, mode: RecordMode) -> None:
    """In CI only an explicit `--record-mode` records: a stray `--record` must not rewrite cassettes."""
    if os.environ.get("CI") and mode is not RecordMode.NONE and not _explicit_record_mode(config):
        raise pytest.UsageError(
            "trace_ops: refusing to record cassettes while CI is set; pass --record-mode=once|new_episodes|"
            "all|rewrite explicitly if recording in CI is intended"
        )


def declare_markers(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "cassette(path): use this cassette file (relative to the test file).")
    config.addinivalue_line(
        "markers",
        "budget(max_usd=None, max_tokens=None, max_llm_calls=None, max_consecutive_same_tool=None): "
        "fail the test when its recorded or replayed trace exceeds a limit.",
    )
    config.addinivalue_line("markers", "block_network: block every non-loopback connection in this test.")
    config.addinivalue_line(
        "markers",
        "expect_replay_errors: this test checks replay errors itself (pytest.raises(CassetteMismatchError)); "
        "a replay error caught in its body does not fail it.",
    )


__all__ = [
    "declare_markers",
    "effective_mode",
    "eval_upload_wanted",
    "pytest_addoption",
    "refuse_recording_in_ci",
    "report_url",
]
