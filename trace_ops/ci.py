"""Old home of the CI metadata, now `trace_ops.runreport.ci` (it describes where a run report
came from). A re-export while `trace_ops.pytest_plugin` imports from here; then it goes."""

from __future__ import annotations

from trace_ops.runreport.ci import CI_KEYS, detect_ci

__all__ = ["CI_KEYS", "detect_ci"]
