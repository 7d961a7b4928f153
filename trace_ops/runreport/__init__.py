"""The run report of a pytest run: `schema` (the document, its cases, writing it), `ci` (which CI
run produced it) and `upload` (sending it to a collector). Import the names from here."""

from __future__ import annotations

from trace_ops.runreport.ci import CI_KEYS, detect_ci
from trace_ops.runreport.schema import (
    CASE_OUTCOMES,
    CASE_STATUSES,
    MAX_FAILURE_CHARS,
    REPORT_SCHEMA_VERSION,
    CaseResult,
    build_run_report,
    write_report,
)
from trace_ops.runreport.upload import RETRY_AFTER_CAP_S, TOKEN_ENV, UploadResult, upload_report

__all__ = [
    "CASE_OUTCOMES",
    "CASE_STATUSES",
    "CI_KEYS",
    "MAX_FAILURE_CHARS",
    "REPORT_SCHEMA_VERSION",
    "RETRY_AFTER_CAP_S",
    "TOKEN_ENV",
    "CaseResult",
    "UploadResult",
    "build_run_report",
    "detect_ci",
    "upload_report",
    "write_report",
]
