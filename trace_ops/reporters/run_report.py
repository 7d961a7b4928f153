"""Old home of the run report, now the `trace_ops.runreport` package (`schema` and `upload`).

A re-export of what `trace_ops.pytest_plugin` imports from here, until it imports from
`trace_ops.runreport`; then this module goes.
"""

from __future__ import annotations

from trace_ops.runreport import CaseResult, build_run_report, upload_report, write_report

__all__ = ["CaseResult", "build_run_report", "upload_report", "write_report"]
