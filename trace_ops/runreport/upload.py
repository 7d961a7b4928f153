"""Sending a run report to a collector: one POST with retries, back-off and a fallback file.

Reporting must never break a test suite, so `upload_report` never raises: it retries what is
worth retrying (connection errors, timeouts, 5xx, 429 with its Retry-After) and otherwise leaves
the document in a fallback file next to the run.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import email.utils
import http.client
import math
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from trace_ops._version import __version__
from trace_ops.runreport.schema import dumps, write_report

__all__ = ["RETRY_AFTER_CAP_S", "TOKEN_ENV", "UploadResult", "upload_report"]

TOKEN_ENV = "TRACE_OPS_REPORT_TOKEN"
RETRY_AFTER_CAP_S = 30.0

_ERROR_BODY_CHARS = 500


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


def _fallback_target(directory: Path, name: str | None = None) -> Path:
    if name:
        return directory / name
    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    target = directory / f"trace-ops-report-{stamp}.json"
    counter = 1
    while target.exists():  # two failed uploads in one second must not overwrite each other
        target = directory / f"trace-ops-report-{stamp}-{counter}.json"
        counter += 1
    return target


def _write_fallback(
    document: dict[str, Any], fallback_dir: str | os.PathLike[str], name: str | None = None
) -> tuple[Path | None, str | None]:
    try:
        return write_report(document, _fallback_target(Path(fallback_dir), name)), None
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
    fallback_name: str | None = None,
    max_backoff_s: float | None = None,
    token_env: str | None = TOKEN_ENV,
) -> UploadResult:
    """POST the document as JSON; never raises, so a dead collector cannot fail a test run.

    Connection errors, timeouts, 5xx and 429 are retried after backoff_s * 2**i seconds, or after
    the server's Retry-After (capped at 30 s); other 4xx and 3xx are final. When the document did
    not arrive it is written to fallback_dir/trace-ops-report-<UTC timestamp>.json. A token in
    TRACE_OPS_REPORT_TOKEN is sent as a bearer token and kept out of `error`; `headers` override
    the defaults (Authorization included); `token_env=None` sends no token (another server's upload).
    `fallback_name` names the fallback file; `max_backoff_s` caps the back-off.
    """
    token = (os.environ.get(token_env) or "").strip() if token_env else ""
    tries = 0
    last = _Attempt(ok=False, error="not attempted")
    try:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            raise ValueError(f"report URL must be http(s)://host/..., got {url!r}")
        body = dumps(document, indent=None).encode("utf-8")
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
            if max_backoff_s is not None and last.retry_after_s is None:
                delay = min(delay, max_backoff_s)
            sleep(delay)
    except Exception as exc:  # the contract is "never raise": a bad URL or header ends up here
        last = _Attempt(ok=False, status=last.status, error=f"{type(exc).__name__}: {exc}")
    fallback_path, fallback_error = _write_fallback(document, fallback_dir, fallback_name)
    error = "; ".join(part for part in (last.error, fallback_error) if part)
    if token:
        error = error.replace(token, "[REDACTED]")
    return UploadResult(
        ok=False, attempts=tries, status=last.status, error=error, fallback_path=fallback_path
    )
