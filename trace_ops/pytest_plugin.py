"""pytest plugin (entry point `trace_ops`): record once, replay in CI, with the flags VCR users know.

- `cassette` fixture: wraps the test in a record/replay session over
  `cassettes/<test module>/<test name>.yaml` next to the test file, and yields the live Trace.
- `--record` records missing cassettes; `--record-mode` takes VCR.py's modes. With
  pytest-recording installed, its `--record-mode` / `--block-network` options are shared
  instead of registered twice (which would crash pytest at start-up).
- `@pytest.mark.budget(...)` checks the trace after the test body.
- One summary block at the end, and an optional JSON run report (`--trace-ops-report`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import importlib.util
import os
import re
import sys
import time
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from trace_ops import _pytest_failures
from trace_ops._version import __version__
from trace_ops.errors import (
    BudgetExceededError,
    CassetteMismatchError,
    CassetteNotFoundError,
    CassetteWriteError,
    TraceOpsError,
)
from trace_ops.formatting import format_usd
from trace_ops.modes import RecordMode
from trace_ops.session import Session
from trace_ops.trace import LLMCall, ToolCall, Trace

SESSION_KEY = pytest.StashKey[Session]()
STATE_KEY = pytest.StashKey["RunState"]()
_PROPERTY = "trace_ops"
_MAX_NAME = 100
_UNSAFE = re.compile(r"[^A-Za-z0-9_.\-]+")


# ---------------------------------------------------------------- options


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


def _report_url(config: pytest.Config) -> str | None:
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


def pytest_configure(config: pytest.Config) -> None:
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
    mode = effective_mode(config)
    if os.environ.get("CI") and mode is not RecordMode.NONE and not _explicit_record_mode(config):
        raise pytest.UsageError(
            "trace_ops: refusing to record cassettes while CI is set; pass --record-mode=once|new_episodes|"
            "all|rewrite explicitly if recording in CI is intended"
        )
    from trace_ops import interceptors

    interceptors.acquire()  # patched once for the run, not per test; idle patches just pass through
    detailed = bool(config.getoption("trace_ops_report", default=None) or _report_url(config))
    state = RunState(mode=mode, started=time.time(), detailed=detailed)
    config.stash[STATE_KEY] = state
    config.pluginmanager.register(RunReporter(state), "trace_ops_run_reporter")


# ---------------------------------------------------------------- fixtures


def pytest_unconfigure(config: pytest.Config) -> None:
    if STATE_KEY in config.stash:
        from trace_ops import interceptors

        interceptors.release()


@pytest.fixture
def trace_ops_config() -> dict[str, Any]:
    """Override in a conftest to configure cassettes, like pytest-recording's `vcr_config`.

    Keys: `cassette_dir` (relative to the test file, default "cassettes"), `match_on`,
    `sequential`, `allow_playback_repeats`, `scrub_patterns`, `before_record`.
    """
    return {}


def _safe(name: str) -> str:
    cleaned = _UNSAFE.sub("_", name).strip("._") or "test"
    if len(cleaned) > _MAX_NAME:
        import hashlib

        digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:10]
        cleaned = f"{cleaned[: _MAX_NAME - 11]}-{digest}"
    return cleaned


#: Our cassettes' suffix. pytest-recording / VCR.py default to cassettes/<module>/<test>.yaml,
#: the very folder we use: the suffix keeps a test that uses both from writing one file twice.
CASSETTE_SUFFIX = ".trace.yaml"


def cassette_path_for(item: pytest.Item, config: dict[str, Any]) -> Path:
    """Where a test's cassette lives: the `cassette` marker, or cassettes/<module>/<test>.trace.yaml."""
    test_file = Path(str(item.path))
    marker = item.get_closest_marker("cassette")
    if marker is not None and marker.args:
        return (test_file.parent / str(marker.args[0])).resolve()
    base = test_file.parent / str(config.get("cassette_dir", "cassettes"))
    cls = getattr(item, "cls", None)
    name = f"{cls.__name__}.{item.name}" if cls is not None else item.name
    return base / test_file.stem / f"{_safe(name)}{CASSETTE_SUFFIX}"


@pytest.fixture
def cassette(request: pytest.FixtureRequest, trace_ops_config: dict[str, Any]) -> Iterator[Trace]:
    """Record or replay this test's LLM calls; yields the live Trace of the run."""
    item = request.node
    state = request.config.stash[STATE_KEY]
    path = cassette_path_for(item, trace_ops_config)
    nodeid = item.nodeid
    session = Session(
        path,
        record_mode=state.mode,
        match_on=trace_ops_config.get("match_on"),
        sequential=bool(trace_ops_config.get("sequential", False)),
        allow_playback_repeats=bool(trace_ops_config.get("allow_playback_repeats", False)),
        scrub_patterns=trace_ops_config.get("scrub_patterns", ()),
        before_record=trace_ops_config.get("before_record"),
        record_hint=f"record it with: pytest '{nodeid}' --record",
        rerecord_hint=f"to re-record: pytest '{nodeid}' --record-mode=rewrite",
        missing_ok=True,
    )
    item.stash[SESSION_KEY] = session
    session.start()
    try:
        yield session.trace
    finally:
        unsaved: str | None = None
        try:
            session.stop()
        except CassetteWriteError as exc:
            unsaved = str(exc)
        if unsaved is not None:  # one line naming the path: no traceback, no exception chain
            pytest.fail(unsaved, pytrace=False)


# ---------------------------------------------------------------- running a test


def _budget_breaches(trace: Trace, limits: dict[str, Any]) -> list[str]:
    from trace_ops import assertions

    checks = {
        "max_usd": lambda v: assertions.assert_cost_under(trace, max_usd=v),
        "max_tokens": lambda v: assertions.assert_tokens_under(trace, max_tokens=v),
        "max_llm_calls": lambda v: assertions.assert_max_llm_calls(trace, max_calls=v),
        "max_consecutive_same_tool": lambda v: assertions.assert_no_loops(trace, max_consecutive_same_tool=v),
    }
    unknown = sorted(set(limits) - set(checks))
    if unknown:
        return [f"unknown budget limit(s): {', '.join(unknown)} (known: {', '.join(checks)})"]
    breaches = []
    for key, value in limits.items():
        if value is None:
            continue
        try:
            checks[key](value)
        except AssertionError as exc:
            breaches.append(str(exc))
    return breaches


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    budget = item.get_closest_marker("budget")
    block = (
        bool(item.config.getoption("block_network", default=False))
        or item.get_closest_marker("block_network") is not None
    )
    observer: Session | None = None
    if budget is not None and SESSION_KEY not in item.stash:
        observer = Session(None, record_mode=RecordMode.ALL)  # budget without a cassette: watch the live run
        observer.start()
    guard: contextlib.AbstractContextManager[None] = contextlib.nullcontext()
    if block:
        from trace_ops.network import block_network

        guard = block_network()
    try:
        with guard:
            result = yield
    finally:
        if observer is not None:
            observer.stop()
    session = item.stash.get(SESSION_KEY, None) or observer
    if session is not None and session.failures and item.get_closest_marker("expect_replay_errors") is None:
        # the agent swallowed a replay error: the test must still fail
        raise session.failures[0]
    if budget is not None and session is not None:
        breaches = _budget_breaches(session.trace, dict(budget.kwargs))
        if breaches:
            path, line, name = item.location
            lines = [f"budget exceeded by {name} ({path}:{(line or 0) + 1}):", *(f"  {b}" for b in breaches)]
            raise BudgetExceededError("\n".join(lines))
    return result


def _event_summary(event: Any) -> dict[str, Any]:
    summary: dict[str, Any] = {"type": event.kind, "label": event.label}
    if event.duration_ms is not None:
        summary["duration_ms"] = round(event.duration_ms, 3)
    if isinstance(event, LLMCall):
        summary["provider"] = event.provider
        summary["model"] = event.served_model
        usage = event.usage
        if usage is not None:
            summary["input_tokens"] = usage.input_tokens
            summary["output_tokens"] = usage.output_tokens
    elif isinstance(event, ToolCall):
        summary["name"] = event.name
        if event.error:
            summary["error"] = event.error
    return summary


def _outcome(session: Session) -> str:
    if any(isinstance(f, CassetteNotFoundError) for f in session.failures):
        return "missing"
    if any(isinstance(f, CassetteMismatchError) for f in session.failures):
        return "mismatched"
    if session.recorded_count:
        return "recorded"
    if session.missing:
        return "unused"  # no cassette and no LLM call: nothing to record
    return "replayed"


def _cost(trace: Trace) -> float | None:
    try:
        return trace.total_cost_usd
    except Exception:
        return None


def case_info(session: Session, *, detailed: bool) -> dict[str, Any]:
    """What the summary and the run report need about one test's session (JSON-safe, xdist-safe).

    Per-event detail, tokens and pricing are computed only when something shows them (a run
    report, or a recording in the summary): a replay suite pays for nothing it does not print.
    """
    path = session.path
    source = session.cassette
    info: dict[str, Any] = {
        "cassette": str(path) if path is not None else None,
        "record_mode": session.mode.value,
        "outcome": _outcome(session),
        "recorded_calls": session.recorded_count,
        "replayed_calls": session.replayed_count,
        "cassette_sdk_versions": source.sdk_versions if source is not None else {},
        "cassette_created_at": source.created_at if source is not None else None,
    }
    if session.unrecorded:
        info["unrecorded"] = list(session.unrecorded)
    if detailed or session.recorded_count:
        trace = session.trace
        info["tokens"] = trace.total_tokens
        info["cost_usd"] = _cost(trace)
        info["events"] = [_event_summary(e) for e in trace.events]
    return info


def _relative(path: str | None, rootdir: Path) -> str | None:
    return None if path is None else os.path.relpath(path, rootdir)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    # a trace_ops failure is reported from the user's frames and our message (_pytest_failures)
    ours = _pytest_failures.concerns_us(call, item.config)
    users_code = _pytest_failures.trim(call) if ours else True
    report = yield
    if not users_code and report.failed:
        _pytest_failures.message_only(report, item, call)
    session = item.stash.get(SESSION_KEY, None)
    if report.when == "teardown" and session is not None:
        state = item.config.stash[STATE_KEY]
        report.user_properties.append((_PROPERTY, case_info(session, detailed=state.detailed)))
        del item.stash[SESSION_KEY]  # free the traces now: a big suite would otherwise keep them all
    return report


# ---------------------------------------------------------------- the run: summary and report


@dataclass
class Case:
    nodeid: str
    status: str = "passed"
    duration_s: float = 0.0
    failure: str | None = None
    info: dict[str, Any] | None = None


@dataclass
class RunState:
    mode: RecordMode
    started: float
    #: a run report is wanted: every case carries its events, tokens and cost
    detailed: bool = False
    cases: dict[str, Case] = field(default_factory=dict)

    def case(self, nodeid: str) -> Case:
        if nodeid not in self.cases:
            self.cases[nodeid] = Case(nodeid)
        return self.cases[nodeid]


def _parse_age(text: str) -> float:
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*", text)
    if match is None:
        raise pytest.UsageError(f"--cassette-max-age: cannot read {text!r} (use e.g. 30d, 12h, 90m)")
    unit = {"": 86400, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}[match.group(2)]
    return float(match.group(1)) * unit


@functools.cache
def _installed_major(package: str) -> str | None:
    try:
        from importlib.metadata import version

        return version(package).split(".", 1)[0]
    except Exception:
        return None


def _stale_reasons(info: dict[str, Any], max_age_s: float | None) -> list[str]:
    reasons = []
    for package, recorded in (info.get("cassette_sdk_versions") or {}).items():
        installed = _installed_major(package)
        if installed is not None and str(recorded).split(".", 1)[0] != installed:
            reasons.append(f"recorded with {package} {recorded}, installed {installed}.x")
    created = info.get("cassette_created_at")
    if max_age_s is not None and created:
        try:
            when = dt.datetime.fromisoformat(str(created).replace("Z", "+00:00"))
            age = (dt.datetime.now(dt.timezone.utc) - when).total_seconds()
            if age > max_age_s:
                reasons.append(f"{age / 86400:.0f} days old")
        except ValueError:
            pass
    return reasons


def _is_ours(path: str) -> bool:
    """A *.trace.yaml file, or a .yaml file that reads like one of ours (VCR.py's sit beside ours)."""
    if path.endswith(CASSETTE_SUFFIX):
        return True
    try:
        with open(path, "rb") as file:
            head = file.read(512)
    except OSError:
        return False
    return b"\ntrace:" in head and b"interactions:" not in head


def _orphans(infos: list[dict[str, Any]]) -> list[str]:
    """Cassettes next to used ones that no test used (the folder cassettes/<module>/ is what we can judge)."""
    used = {os.path.normcase(os.path.abspath(i["cassette"])) for i in infos if i.get("cassette")}
    found = []
    for folder in sorted({os.path.dirname(path) for path in used}):
        try:
            names = sorted(entry.name for entry in os.scandir(folder) if entry.name.endswith(".yaml"))
        except OSError:
            continue
        found += [p for name in names if (p := os.path.join(folder, name)) not in used and _is_ours(p)]
    return found


class RunReporter:
    """Collects every test's outcome (also from xdist workers) for the summary and the run report."""

    def __init__(self, state: RunState) -> None:
        self.state = state

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        case = self.state.case(report.nodeid)
        case.duration_s += report.duration
        if report.failed:
            case.status = "failed" if report.when == "call" or case.status == "failed" else "errored"
            case.failure = str(report.longreprtext or "")
        elif report.skipped and case.status == "passed":
            case.status = "skipped"
        for key, value in report.user_properties:
            if key == _PROPERTY and isinstance(value, dict):
                case.info = value

    def pytest_terminal_summary(self, terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
        if hasattr(config, "workerinput"):
            return
        state = self.state
        infos = [c.info for c in state.cases.values() if c.info is not None]
        if not infos:
            return
        counts: dict[str, int] = {}
        for info in infos:
            counts[info["outcome"]] = counts.get(info["outcome"], 0) + 1
        recorded = [i for i in infos if i["outcome"] == "recorded"]
        tokens = sum(int(i.get("tokens") or 0) for i in recorded)
        costs = [i.get("cost_usd") for i in recorded]
        known = [float(c) for c in costs if c is not None]
        cost = format_usd(sum(known) if len(known) == len(costs) else None)
        write = terminalreporter.write_line
        terminalreporter.section("trace_ops", sep="-")
        parts = [f"{counts.get(k, 0)} {k}" for k in ("replayed", "recorded", "missing", "mismatched")]
        write(f"cassettes: {', '.join(parts)} (record mode: {state.mode.value})")
        if recorded:
            write(
                f"recorded: {sum(i['recorded_calls'] for i in recorded)} LLM calls, "
                f"{tokens} tokens, cost {cost}"
            )
        unrecorded = [
            (case.nodeid, why)
            for case in state.cases.values()
            for why in (case.info or {}).get("unrecorded", [])
        ]
        if unrecorded:  # recording failed open: the tests ran live, their cassettes lack these calls
            write(f"{len(unrecorded)} call{'s' if len(unrecorded) != 1 else ''} not recorded (see log):")
            for nodeid, why in unrecorded[:10]:
                write(f"  {nodeid}: {why}")
        max_age = config.getoption("cassette_max_age", default=None)
        max_age_s = _parse_age(max_age) if max_age else None
        root = config.rootpath
        stale: dict[str | None, list[str]] = {}  # one line per cassette, however many tests share it
        for info in infos:
            name = _relative(info["cassette"], root)
            if name not in stale and (reasons := _stale_reasons(info, max_age_s)):
                stale[name] = reasons
        for name, reasons in list(stale.items())[:10]:
            write(f"stale cassette: {name} ({'; '.join(reasons)})")
        orphans = _orphans(infos)
        if orphans:
            write(f"{len(orphans)} cassette(s) next to used ones were not used by this run:")
            for path in orphans[:10]:
                write(f"  {os.path.relpath(path, config.rootpath)}")

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        config = session.config
        if hasattr(config, "workerinput"):
            return
        path = config.getoption("trace_ops_report", default=None)
        url = _report_url(config)
        if not path and not url:
            return
        from trace_ops.ci import detect_ci
        from trace_ops.reporters.run_report import CaseResult, build_run_report, upload_report, write_report

        state = self.state
        cases = []
        for case in state.cases.values():
            info = case.info or {}
            cases.append(
                CaseResult(
                    nodeid=case.nodeid,
                    status=case.status,
                    duration_s=round(case.duration_s, 6),
                    cassette=_relative(info.get("cassette"), config.rootpath),
                    record_mode=info.get("record_mode"),
                    outcome=info.get("outcome"),
                    events=list(info.get("events") or []),
                    failure=case.failure,
                    tokens=info.get("tokens"),
                    cost_usd=info.get("cost_usd"),
                )
            )
        def iso(seconds: float) -> str:
            stamp = dt.datetime.fromtimestamp(seconds, dt.timezone.utc).isoformat(timespec="milliseconds")
            return stamp.replace("+00:00", "Z")

        document = build_run_report(
            cases,
            started_at=iso(state.started),
            finished_at=iso(time.time()),
            exit_status=int(exitstatus),
            ci=detect_ci(),
            trace_ops_version=__version__,
        )
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        if path:
            try:
                written = write_report(document, path)
            except OSError as exc:
                if reporter is not None:
                    reporter.write_line(f"trace_ops: cannot write run report {path}: {exc.strerror or exc}")
            else:
                if reporter is not None:
                    reporter.write_line(f"trace_ops: run report written to {written}")
        if url:
            result = upload_report(
                document, url, fallback_dir=config.rootpath / ".pytest_cache" / "trace_ops"
            )
            if reporter is not None:
                if result.ok:
                    reporter.write_line(f"trace_ops: run report uploaded ({result.attempts} attempt(s))")
                else:
                    reporter.write_line(
                        f"trace_ops: run report upload failed after {result.attempts} attempt(s): "
                        f"{result.error}; "
                        f"saved to {result.fallback_path}"
                    )


__all__ = ["TraceOpsError", "cassette", "cassette_path_for", "effective_mode", "trace_ops_config"]
