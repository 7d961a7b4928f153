"""One JSON document per pytest run: what ran, how each case went against its cassette, and CI context.

The pytest plugin builds the document with `build_run_report`, saves it with `write_report` and may
send it with `upload_report`. Reporting must never break a test suite, so the upload never raises:
it retries what is worth retrying and otherwise leaves the document in a fallback file.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as _dt
import email.utils
import http.client
import json
import math
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from trace_ops._files import atomic_write_text
from trace_ops._version import __version__

REPORT_SCHEMA_VERSION = 1
MAX_FAILURE_CHARS = 10_000
CASE_STATUSES: tuple[str, ...] = ("passed", "failed", "errored", "skipped")
# "unused": the test had a cassette session but made no LLM call and no cassette exists.
CASE_OUTCOMES: tuple[str, ...] = ("replayed", "recorded", "missing", "mismatched", "unused")
TOKEN_ENV = "TRACE_OPS_REPORT_TOKEN"
RETRY_AFTER_CAP_S = 30.0

_FAILURE_HEAD_CHARS = 3_000  # the test's source; the tail keeps the assertion and the file:line
_ERROR_BODY_CHARS = 500
_FRACTION = re.compile(r"(?<=:\d\d)\.(\d+)")


def _truncate_failure(text: str | None) -> str | None:
    """Keep the head and the tail of a long repr: pytest puts the actual error at the bottom."""
    if text is None or len(text) <= MAX_FAILURE_CHARS:
        return text
    width = len(str(len(text)))  # the marker can only be this wide, so the result stays <= the limit
    marker_len = len(f"\n\n... [{'9' * width} characters truncated] ...\n\n")
    tail = MAX_FAILURE_CHARS - _FAILURE_HEAD_CHARS - marker_len
    dropped = len(text) - _FAILURE_HEAD_CHARS - tail
    marker = f"\n\n... [{dropped} characters truncated] ...\n\n"
    return text[:_FAILURE_HEAD_CHARS] + marker + text[-tail:]


@dataclass
class CaseResult:
    """One test item as the report shows it; the plugin fills it from pytest's reports and the cassette."""

    nodeid: str
    status: str  # one of CASE_STATUSES
    duration_s: float
    cassette: str | None = None  # relative to rootdir, so reports compare across machines
    record_mode: str | None = None
    outcome: str | None = None  # CASE_OUTCOMES, None when the test used no cassette; not validated
    events: list[dict[str, Any]] = field(default_factory=list)
    failure: str | None = None
    tokens: int | None = None
    cost_usd: float | None = None

    def __post_init__(self) -> None:
        # The totals are keyed by status, so a typo fails loudly while the plugin is written. The
        # outcome is only displayed: a new one must not crash a run's report.
        if self.status not in CASE_STATUSES:
            raise ValueError(f"CaseResult.status must be one of {CASE_STATUSES}, got {self.status!r}")
        self.failure = _truncate_failure(self.failure)


def _jsonable(value: Any) -> Any:
    """Plain JSON data: NaN/inf become null (json.dumps would write invalid JSON), others become text."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)  # IntEnum (pytest.ExitCode) -> plain int
    if isinstance(value, float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(item) for item in value]
    if isinstance(value, (set, frozenset)):
        return sorted((_jsonable(item) for item in value), key=repr)
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, (_dt.datetime, _dt.date)):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _jsonable(dataclasses.asdict(value))
    return str(value)


def _round(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(value, 6)


def _parse_time(text: str) -> _dt.datetime:
    """ISO 8601 as pytest plugins write it; Python 3.10's fromisoformat rejects "Z" and short fractions."""
    text = text.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    text = _FRACTION.sub(lambda m: "." + m.group(1)[:6].ljust(6, "0"), text, count=1)
    return _dt.datetime.fromisoformat(text)


def _duration(started_at: str, finished_at: str) -> float | None:
    try:
        return _round((_parse_time(finished_at) - _parse_time(started_at)).total_seconds())
    except (TypeError, ValueError):  # unparsable, or one aware and one naive
        return None


def _case_document(case: CaseResult) -> dict[str, Any]:
    """Scalars first and events last, so the file reads well when opened by hand."""
    return {
        "nodeid": case.nodeid,
        "status": case.status,
        "duration_s": _round(float(case.duration_s)),
        "cassette": None if case.cassette is None else os.fspath(case.cassette),
        "record_mode": case.record_mode,
        "outcome": case.outcome,
        "tokens": None if case.tokens is None else int(case.tokens),
        "cost_usd": _jsonable(None if case.cost_usd is None else float(case.cost_usd)),
        "failure": _truncate_failure(case.failure),
        "events": _jsonable(case.events),
    }


def _totals(cases: Sequence[CaseResult]) -> dict[str, Any]:
    counts = dict.fromkeys(CASE_STATUSES, 0)
    for case in cases:
        counts[case.status] += 1
    costs = [case.cost_usd for case in cases if case.cost_usd is not None and math.isfinite(case.cost_usd)]
    # A case that talked to a model but has no price makes the sum a lower bound, not the cost.
    cost_complete = all(
        case.cost_usd is not None and math.isfinite(case.cost_usd)
        for case in cases
        if case.events or case.tokens
    )
    return {
        "cases": len(cases),
        **counts,
        "tokens": sum(int(case.tokens) for case in cases if case.tokens is not None),
        "cost_usd": round(math.fsum(costs), 10),
        "cost_complete": cost_complete,
    }


def build_run_report(
    cases: Sequence[CaseResult],
    *,
    started_at: str,
    finished_at: str,
    exit_status: int,
    ci: dict[str, Any] | None,
    trace_ops_version: str,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The run report (schema REPORT_SCHEMA_VERSION): plain JSON data with a fixed key order.

    `extra` (free-form, e.g. an agent id) lands under run.extra; it is {} when not given so the
    shape never depends on the caller. Totals sum the tokens and costs that are known;
    totals.cost_complete says whether every case that used a model had a cost.
    """
    run: dict[str, Any] = {
        "started_at": started_at,
        "finished_at": finished_at,
        "duration_s": _duration(started_at, finished_at),
        "exit_status": int(exit_status),
        "ci": None if ci is None else _jsonable(ci),
        "totals": _totals(cases),
        "extra": _jsonable(extra or {}),
    }
    return {
        "schema_version": REPORT_SCHEMA_VERSION,
        "tool": "trace_ops",
        "trace_ops_version": trace_ops_version,
        "run": run,
        "cases": [_case_document(case) for case in cases],
    }


def _dumps(document: Mapping[str, Any], *, indent: int | None) -> str:
    separators = (",", ": ") if indent is not None else (",", ":")
    return json.dumps(_jsonable(document), indent=indent, separators=separators, ensure_ascii=False)


def write_report(document: dict[str, Any], path: str | os.PathLike[str]) -> Path:
    """Save the document as UTF-8 JSON (indent 2) atomically, creating parent directories."""
    target = Path(path)
    atomic_write_text(target, _dumps(document, indent=2) + "\n")
    return target


@dataclass
class UploadResult:
    """How an upload went; `fallback_path` is where the document was saved when it did not arrive."""

    ok: bool
    attempts: int
    status: int | None  # last HTTP status, None if no response
    error: str | None
    fallback_path: Path | None


@dataclass
class _Attempt:
    ok: bool
    status: int | None = None
    error: str | None = None
    retryable: bool = False
    retry_after_s: float | None = None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """urllib turns a redirected POST into a GET without a body: the report would be lost while
    the upload looked successful. Refusing makes the 3xx an error the caller sees."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: http.client.HTTPMessage,
        newurl: str,
    ) -> urllib.request.Request | None:
        return None


def _retry_after_s(value: str | None) -> float | None:
    """Retry-After as seconds (a number or an HTTP date), clamped to [0, RETRY_AFTER_CAP_S]."""
    if not value:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=_dt.timezone.utc)
        seconds = (when - _dt.datetime.now(_dt.timezone.utc)).total_seconds()
    if not math.isfinite(seconds):
        return None
    return min(max(seconds, 0.0), RETRY_AFTER_CAP_S)


def _error_body(exc: urllib.error.HTTPError) -> str:
    """The start of the server's answer: a 422 usually says which field it rejected."""
    try:
        raw = exc.read(_ERROR_BODY_CHARS * 4)
    except Exception:
        return ""
    text = raw.decode("utf-8", errors="replace").strip()
    return " ".join(text.split())[:_ERROR_BODY_CHARS]


def _post_once(url: str, body: bytes, headers: Mapping[str, str], timeout_s: float) -> _Attempt:
    request = urllib.request.Request(url, data=body, method="POST")
    for name, value in headers.items():
        request.add_header(name, value)
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=timeout_s) as response:
            status = int(response.status)
            # The 2xx is the acknowledgement; a body that then stalls must not cause a duplicate upload.
            with contextlib.suppress(Exception):
                response.read(64 * 1024)
        return _Attempt(ok=True, status=status)
    except urllib.error.HTTPError as exc:
        try:
            detail = _error_body(exc)
            retry_after = _retry_after_s(exc.headers.get("Retry-After") if exc.headers else None)
        finally:
            with contextlib.suppress(Exception):
                exc.close()
        error = f"HTTP {exc.code} {exc.msg}".rstrip() + (f": {detail}" if detail else "")
        if 300 <= exc.code < 400:
            error += f" (redirect to {exc.headers.get('Location')!r} not followed)"
        retryable = exc.code == 429 or exc.code >= 500
        return _Attempt(
            ok=False, status=exc.code, error=error, retryable=retryable, retry_after_s=retry_after
        )
    except TimeoutError:
        return _Attempt(ok=False, error=f"timed out after {timeout_s}s", retryable=True)
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            return _Attempt(ok=False, error=f"timed out after {timeout_s}s", retryable=True)
        return _Attempt(ok=False, error=f"connection failed: {exc.reason}", retryable=True)
    except (OSError, http.client.HTTPException) as exc:  # reset, remote closed, bad status line...
        return _Attempt(ok=False, error=f"{type(exc).__name__}: {exc}", retryable=True)


def _fallback_target(directory: Path) -> Path:
    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    target = directory / f"trace-ops-report-{stamp}.json"
    counter = 1
    while target.exists():  # two failed uploads in one second must not overwrite each other
        target = directory / f"trace-ops-report-{stamp}-{counter}.json"
        counter += 1
    return target


def _write_fallback(
    document: dict[str, Any], fallback_dir: str | os.PathLike[str]
) -> tuple[Path | None, str | None]:
    try:
        return write_report(document, _fallback_target(Path(fallback_dir))), None
    except Exception as exc:
        return None, f"fallback file not written: {type(exc).__name__}: {exc}"


def upload_report(
    document: dict[str, Any],
    url: str,
    *,
    fallback_dir: str | os.PathLike[str],
    timeout_s: float = 10.0,
    attempts: int = 4,
    backoff_s: float = 0.5,
    headers: Mapping[str, str] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> UploadResult:
    """POST the document as JSON; never raises, so a dead collector cannot fail a test run.

    Connection errors, timeouts, 5xx and 429 are retried after backoff_s * 2**i seconds, or after
    the server's Retry-After (capped at 30 s); other 4xx and 3xx are final. When the document did
    not arrive it is written to fallback_dir/trace-ops-report-<UTC timestamp>.json. A token in
    TRACE_OPS_REPORT_TOKEN is sent as a bearer token and kept out of `error`; `headers` override
    the defaults (Authorization included).
    """
    token = (os.environ.get(TOKEN_ENV) or "").strip()
    tries = 0
    last = _Attempt(ok=False, error="not attempted")
    try:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            raise ValueError(f"report URL must be http(s)://host/..., got {url!r}")
        body = _dumps(document, indent=None).encode("utf-8")
        request_headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "User-Agent": f"trace_ops/{__version__}",
        }
        if token:
            request_headers["Authorization"] = f"Bearer {token}"
        request_headers.update(headers or {})
        for index in range(max(1, attempts)):
            tries = index + 1
            last = _post_once(url, body, request_headers, timeout_s)
            if last.ok:
                return UploadResult(
                    ok=True, attempts=tries, status=last.status, error=None, fallback_path=None
                )
            if not last.retryable or tries >= attempts:
                break
            delay = last.retry_after_s if last.retry_after_s is not None else backoff_s * 2**index
            sleep(delay)
    except Exception as exc:  # the contract is "never raise": a bad URL or header ends up here
        last = _Attempt(ok=False, status=last.status, error=f"{type(exc).__name__}: {exc}")
    fallback_path, fallback_error = _write_fallback(document, fallback_dir)
    error = "; ".join(part for part in (last.error, fallback_error) if part)
    if token:
        error = error.replace(token, "[REDACTED]")
    return UploadResult(
        ok=False, attempts=tries, status=last.status, error=error, fallback_path=fallback_path
    )
