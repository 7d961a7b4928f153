"""The HTTP side of an intercepted Stainless call: the SDK's HTTP library, which response
headers are kept, bodies parsed on first read, the request from the bytes the SDK sent, and
the byte-stream tee that records a live stream as the caller consumes it."""

from __future__ import annotations

import contextlib
import functools
import json
from collections.abc import AsyncIterator, Iterator
from types import ModuleType
from typing import Any

from trace_ops._seam import CallHandle
from trace_ops.trace import Deferred

#: Response headers worth keeping (the SDK exposes the request id on results).
KEPT_RESPONSE_HEADERS = ("x-request-id", "request-id", "retry-after")


def http_module(base: ModuleType) -> ModuleType:
    """The HTTP library the SDK uses (openai 3.x / anthropic 2.x: httpx2; older: httpx)."""
    for name in ("httpx2", "httpx"):
        module = getattr(base, name, None)
        if isinstance(module, ModuleType):
            return module
    raise RuntimeError(f"{base.__name__}: cannot find the SDK's HTTP library")


_KEPT = frozenset(name.encode("ascii") for name in KEPT_RESPONSE_HEADERS)
_DEFAULT_TYPES = (b"application/json", b"text/event-stream")


def headers_and_sse(headers: Any) -> tuple[dict[str, str], bool]:
    """The allow-listed response headers (and content-type when it is not the default one), and
    whether the body is an event stream: one pass over the raw pairs, Headers.get() is slow."""
    kept: dict[str, str] = {}
    sse = False
    for raw_name, raw_value in headers.raw:
        name = raw_name.lower()
        if name == b"content-type":
            sse = raw_value.startswith(b"text/event-stream")
            if raw_value.startswith(_DEFAULT_TYPES):
                continue
        elif name not in _KEPT:
            continue
        kept[name.decode("ascii")] = raw_value.decode("latin-1")
    return kept, sse


# The stored body is already decoded and whole: replaying these would make httpx decode it again.
_NOT_REPLAYED = frozenset({"content-encoding", "content-length", "transfer-encoding"})


def replay_headers(recorded: dict[str, str]) -> dict[str, str | bytes]:
    """The recorded response headers as httpx takes them: names lower-cased, a value that is not
    ASCII as bytes (latin-1, the way it was read, else UTF-8: httpx encodes str as ASCII only),
    a name that is not ASCII dropped, and never a content-encoding (a hand-edited cassette)."""
    out: dict[str, str | bytes] = {}
    for name, value in recorded.items():
        key = name.lower()
        if key in _NOT_REPLAYED or not key.isascii():
            continue
        if value.isascii():
            out[key] = value
        else:
            try:
                out[key] = value.encode("latin-1")
            except UnicodeEncodeError:
                out[key] = value.encode("utf-8", errors="replace")
    return out


def kept_headers(headers: Any) -> dict[str, str]:
    return headers_and_sse(headers)[0]


def parse_body(content: bytes) -> Any:
    try:
        return json.loads(content)
    except ValueError:
        return content.decode("utf-8", errors="replace")


def response_body(response: Any) -> Deferred:
    """The answer's body, parsed when first read (JSON, or text when it is not JSON)."""
    return Deferred(parse_body, response.content)


def request_from_wire(body: bytes, query: Any) -> dict[str, Any]:
    """The request as `describe()` gives it, from the JSON bytes the SDK sent."""
    request = json.loads(body)
    if not isinstance(request, dict):
        request = {"body": request}
    if query is not None:
        request["query"] = query
    return request


def status_error_parts(exc: Any) -> tuple[int, dict[str, str], Any]:
    response = exc.response
    with contextlib.suppress(Exception):
        response.read()
    return response.status_code, kept_headers(response.headers), response_body(response)


@functools.cache
def tee_classes(http: ModuleType, end_markers: tuple[str, ...]) -> tuple[type, type]:
    """Byte streams that pass the SDK's bytes through while recording them (a failure of ours
    while recording leaves the call unrecorded; the caller still gets every byte)."""

    def finish(handle: CallHandle, *, closed: bool) -> None:
        try:
            if closed:
                tail = handle.received_tail()
                handle.stream_finished(complete=any(marker in tail for marker in end_markers))
            else:
                handle.stream_finished(complete=True)
        except Exception as exc:
            handle.lost("finishing the stream", exc)

    class SyncTee(http.SyncByteStream):  # type: ignore[misc,name-defined]
        def __init__(self, inner: Any, handle: CallHandle) -> None:
            self._inner = inner
            self._handle = handle

        def __iter__(self) -> Iterator[bytes]:
            handle = self._handle
            for chunk in self._inner:
                try:
                    handle.stream_chunk(chunk)
                except Exception as exc:
                    handle.lost("capturing a stream chunk", exc)
                yield chunk
            finish(handle, closed=False)

        def close(self) -> None:
            try:
                self._inner.close()
            finally:
                finish(self._handle, closed=True)

    class AsyncTee(http.AsyncByteStream):  # type: ignore[misc,name-defined]
        def __init__(self, inner: Any, handle: CallHandle) -> None:
            self._inner = inner
            self._handle = handle

        async def __aiter__(self) -> AsyncIterator[bytes]:
            handle = self._handle
            async for chunk in self._inner:
                try:
                    handle.stream_chunk(chunk)
                except Exception as exc:
                    handle.lost("capturing a stream chunk", exc)
                yield chunk
            finish(handle, closed=False)

        async def aclose(self) -> None:
            try:
                await self._inner.aclose()
            finally:
                finish(self._handle, closed=True)

    return SyncTee, AsyncTee
