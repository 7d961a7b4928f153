"""The http_call codec: a plain HTTP exchange the HTTP-level fallback recorded.

Readable as data: the request's method, URL, query (credentials redacted) and body, the
status and kept headers, and the answer as `json:` (a JSON body, as YAML data), `text:` (any
other body) or `stream:` (an SSE body as it arrived). Request headers are never kept.
"""

from __future__ import annotations

from typing import Any

from trace_ops.cassette.codec import NUMBER, Reader, write_timing
from trace_ops.cassette.yaml_dump import BlockText
from trace_ops.matching import fingerprint
from trace_ops.scrub import Scrubber
from trace_ops.trace import HTTPCall


class HTTPCallCodec:
    """One HTTP exchange: request, status, headers, error, and the body or stream."""

    kind = HTTPCall.kind

    def to_dict(self, call: HTTPCall, scrub: Scrubber) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.kind, "endpoint": call.endpoint}
        request = scrub.data(call.request)
        out["fingerprint"] = call.fingerprint or fingerprint(call.endpoint, request)
        write_timing(call, out)
        out["request"] = request
        out["status"] = call.status
        if call.headers:
            out["headers"] = scrub.data(dict(call.headers))
        if call.error is not None:
            out["error"] = scrub.data(call.error)
        if call.stream is not None:
            out["stream"] = scrub.stream(call.stream)
        elif isinstance(call.response, str):
            out["text"] = (
                BlockText(scrub.text(call.response)) if "\n" in call.response else scrub.text(call.response)
            )
        elif call.response is not None:
            out["json"] = scrub.data(call.response)
        if call.incomplete:
            out["incomplete"] = True
        return out

    def from_dict(self, r: Reader, data: dict[str, Any], where: str) -> HTTPCall:
        endpoint = r.get(data, "endpoint", str, where, required=True)
        request = r.get(data, "request", dict, where) or {}
        for key in request:
            if type(key) is not str:
                raise r.fail(f"{where}.request", f"a key is not text ({str(key)[:40]!r})")
        stream = r.get(data, "stream", str, where)
        text = r.get(data, "text", str, where)
        body = data.get("json")
        error = r.get(data, "error", dict, where)
        if body is None and text is None and stream is None and error is None and "json" not in data:
            raise r.fail(where, "an http_call needs one of 'json', 'text', 'stream' or 'error'")
        status = r.get(data, "status", int, where)
        headers = r.get(data, "headers", dict, where) or {}
        return HTTPCall(
            provider="http",
            endpoint=endpoint,
            request=request,
            fingerprint=r.get(data, "fingerprint", str, where) or "",
            response=text if text is not None else body,
            stream=stream,
            status=200 if status is None else status,
            headers={str(k): str(v) for k, v in headers.items()},
            error={str(k): str(v) for k, v in error.items()} if error is not None else None,
            incomplete=bool(data.get("incomplete", False)),
            started_at=r.get(data, "started_at", str, where),
            duration_ms=r.get(data, "duration_ms", NUMBER, where),
        )  # its stream is not checked as an llm_call's: the events of a plain SSE body need not be JSON
