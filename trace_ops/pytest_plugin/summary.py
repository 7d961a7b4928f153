"""The end of the run: the `trace_ops` block of the terminal summary and the JSON run report.

`RunReporter` is registered in `pytest_configure` as its own plugin object: it collects every
test's outcome (also from xdist workers, via the reports' user properties) and only the
controller prints the summary and writes or uploads the report.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path
from typing import Any

import pytest

from trace_ops import library
from trace_ops._version import __version__
from trace_ops.formatting import format_usd
from trace_ops.pytest_plugin.options import eval_upload_wanted, report_url
from trace_ops.pytest_plugin.state import USER_PROPERTY, RunState


def _relative(path: str | None, rootdir: Path) -> str | None:
    return None if path is None else os.path.relpath(path, rootdir)


def _max_age_s(config: pytest.Config) -> float | None:
    max_age = config.getoption("cassette_max_age", default=None)
    if not max_age:
        return None
    try:
        return library.parse_age(max_age)
    except ValueError as exc:
        raise pytest.UsageError(f"--cassette-max-age: {exc}") from None


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
            if key == USER_PROPERTY and isinstance(value, dict):
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
        max_age_s = _max_age_s(config)
        root = config.rootpath
        stale: dict[str | None, list[str]] = {}  # one line per cassette, however many tests share it
        for info in infos:
            name = _relative(info["cassette"], root)
            if name not in stale and (
                reasons := library.stale_reasons(
                    info.get("cassette_sdk_versions"), info.get("cassette_created_at"), max_age_s
                )
            ):
                stale[name] = reasons
        for name, reasons in list(stale.items())[:10]:
            write(f"stale cassette: {name} ({'; '.join(reasons)})")
        orphans = library.orphans(i["cassette"] for i in infos if i.get("cassette"))
        if orphans:
            write(f"{len(orphans)} cassette(s) next to used ones were not used by this run:")
            for path in orphans[:10]:
                write(f"  {os.path.relpath(path, config.rootpath)}")

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        config = session.config
        if hasattr(config, "workerinput"):
            return
        path = config.getoption("trace_ops_report", default=None)
        url = report_url(config)
        evals = eval_upload_wanted(config)
        if not path and not url and not evals:
            return
        from trace_ops.runreport import CaseResult, build_run_report, detect_ci, upload_report, write_report

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
        if evals:
            from trace_ops.runreport.evals import eval_settings, upload_evals

            settings = eval_settings(lambda dest: config.getoption(dest, default=None))
            if settings is not None:
                sent = upload_evals(document, settings, rootdir=config.rootpath)
                if reporter is not None:
                    outcome = (
                        "uploaded"
                        if sent.ok
                        else f"upload failed: {sent.error}; saved to {sent.fallback_path}"
                    )
                    reporter.write_line(f"trace_ops: eval run {outcome}")


__all__ = ["RunReporter"]
