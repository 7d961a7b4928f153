"""POST an OTLP/JSON document to an OTLP/HTTP receiver (`/v1/traces`, `application/json`).

Jaeger (>= 1.35), the OpenTelemetry Collector and agentevals accept JSON there; receivers
that take only protobuf (Phoenix) answer 415, which is reported as such.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from typing import Any

from trace_ops._version import __version__
from trace_ops.errors import TraceOpsError

__all__ = ["OTLPSendError", "send_otlp", "traces_url"]


class OTLPSendError(TraceOpsError):
    """The receiver did not take the spans: one line with the URL and why."""


def traces_url(endpoint: str) -> str:
    """The receiver's traces URL: `endpoint` as given when it ends in `/v1/traces`, else with it appended
    (as OTEL_EXPORTER_OTLP_ENDPOINT is read)."""
    parts = urllib.parse.urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise OTLPSendError(f"OTLP endpoint must be http(s)://host[:port][/v1/traces], got {endpoint!r}")
    path = parts.path.rstrip("/")
    if not path.endswith("/v1/traces"):
        path += "/v1/traces"
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


def send_otlp(
    document: dict[str, Any],
    endpoint: str,
    *,
    timeout_s: float = 10.0,
    headers: Mapping[str, str] | None = None,
) -> int:
    """POST the document; returns the HTTP status (2xx) or raises OTLPSendError."""
    url = traces_url(endpoint)
    body = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    request = urllib.request.Request(url, data=body, method="POST")
    request.add_header("Content-Type", "application/json")
    request.add_header("User-Agent", f"trace_ops/{__version__}")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            status = int(response.status)
            response.read(64 * 1024)
    except urllib.error.HTTPError as exc:
        detail = " ".join(exc.read(500).decode("utf-8", "replace").split())
        hint = " (this receiver wants protobuf; OTLP/JSON is not accepted)" if exc.code == 415 else ""
        raise OTLPSendError(f"{url}: HTTP {exc.code}{hint}{': ' + detail if detail else ''}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise OTLPSendError(f"{url}: cannot send spans: {reason}") from None
    return status
