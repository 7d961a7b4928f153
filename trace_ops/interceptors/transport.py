"""The HTTP-level fallback: calls no SDK interceptor owns, recorded at the httpx / httpx2 transport.

For SDKs with no interceptor of their own (google-genai, mistralai) and plain HTTP calls. Off
unless a session asks (`intercept_http=True`) or replays a cassette holding such calls. The
default transports' `handle_request` / `handle_async_request` are wrapped:

- a call an SDK interceptor owns (openai, anthropic, …) passes straight through (the owner rule:
  one call, one event);
- a request a provider entry recognises (`Provider.http_endpoint`: Gemini, Mistral) is an
  `llm_call` of that provider, anything else an `http_call`;
- replay answers with the recorded bytes as an in-memory response, so the SDK builds its own
  types; live, the body is teed as the caller reads it (recorded when read to the end).

A live request is sent with `accept-encoding: identity`, so what is recorded is the body itself.
"""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator, Iterator
from types import ModuleType
from typing import Any
from urllib.parse import parse_qsl

import wrapt

from trace_ops import providers
from trace_ops._seam import CallHandle, begin_llm_call, end_live, http_wanted, recording_possible
from trace_ops._stream_check import UNCHECKED_STREAM, stream_problem
from trace_ops.errors import CassetteError
from trace_ops.interceptors._http import headers_and_sse, parse_body, replay_headers
from trace_ops.scrub import REDACTED, SENSITIVE_KEYS
from trace_ops.trace import Deferred, HTTPCall, JSONText, LLMCall

#: Query parameters that carry credentials (Gemini takes its API key as `?key=`).
SECRET_PARAMS = frozenset({"key", "token", "sig", "signature", "password", "secret"}) | SENSITIVE_KEYS
#: SSE markers after which a stream is complete even if the caller closed it early.
STREAM_END_MARKERS = ("data: [DONE]", '"finishReason"', "event: message_stop")
#: The provider name of plain HTTP exchanges.
HTTP_PROVIDER = "http"


class TransportInterceptor:
    """Wraps one HTTP library's default transports (`httpx` or its fork `httpx2`)."""

    provider = HTTP_PROVIDER

    def __init__(self, module_name: str) -> None:
        self.module_name = module_name
        self._originals: list[tuple[type, str, Any]] = []

    def version(self) -> str | None:
        return None  # the HTTP library is no provider SDK (its version is not a cassette's concern)

    def install(self) -> None:
        http = sys.modules.get(self.module_name)
        if http is None or not hasattr(http, "HTTPTransport"):
            return
        if self._originals:
            if self._originals[0][0] is http.HTTPTransport:
                return
            self.uninstall()
        self._patch(http.HTTPTransport, "handle_request", _sync_wrapper(http))
        self._patch(http.AsyncHTTPTransport, "handle_async_request", _async_wrapper(http))

    def _patch(self, cls: type, name: str, wrapper: Any) -> None:
        original = cls.__dict__[name]
        self._originals.append((cls, name, original))
        setattr(cls, name, wrapt.FunctionWrapper(original, wrapper))

    def uninstall(self) -> None:
        while self._originals:
            cls, name, original = self._originals.pop()
            setattr(cls, name, original)


# ---------------------------------------------------------------- describing a request


def describe(request: Any) -> tuple[str, str, dict[str, Any], type[LLMCall]]:
    """(provider, endpoint, request as recorded, event type) of an HTTP request."""
    url = request.url
    host = url.host + (f":{url.port}" if url.port else "")
    path = url.path
    headers = {k.lower(): v for k, v in request.headers.items()}
    query = scrubbed_query(url.query.decode("ascii", errors="replace"))
    body = _body(request)
    for entry in providers.HTTP_LEVEL.values():
        assert entry.http_endpoint is not None
        known = entry.http_endpoint(host, path, headers)
        if known is not None:
            endpoint, model = known
            described = dict(body) if isinstance(body, dict) else {"body": body}
            if model is not None:
                described = {"model": model, **described}
            return entry.name, endpoint, described, LLMCall
    described = {"method": request.method, "url": f"{url.scheme}://{host}{path}"}
    if query:
        described["query"] = query
    if body is not None:
        described["body"] = body
    return HTTP_PROVIDER, f"{request.method} {host}{path}", described, HTTPCall


def scrubbed_query(raw: str) -> dict[str, str]:
    """The URL's query parameters, a credential's value redacted (`?key=…` -> `key: [REDACTED]`)."""
    return {
        name: REDACTED if name.lower() in SECRET_PARAMS else value
        for name, value in parse_qsl(raw, keep_blank_values=True)
    }


def _body(request: Any) -> Any:
    try:
        content = request.content
    except Exception:  # a streamed upload: never read here (the transport sends it)
        return "<streamed body>"
    if not content:
        return None
    return parse_body(content)


# ---------------------------------------------------------------- the wrappers


def _begin(request: Any) -> CallHandle | None:
    try:
        provider, endpoint, described, event_type = describe(request)
    except Exception as exc:  # a bug of ours: a strict replay refuses the call, a recording marks it
        url = request.url
        provider, endpoint, event_type = HTTP_PROVIDER, f"{request.method} {url.host}{url.path}", HTTPCall
        return begin_llm_call(provider, endpoint, Deferred(_reraise, exc), event_type=event_type)
    return begin_llm_call(provider, endpoint, described, event_type=event_type)


def _reraise(exc: Exception) -> dict[str, Any]:
    raise exc


def _sync_wrapper(http: ModuleType) -> Any:
    def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if not (recording_possible() and http_wanted()):
            return wrapped(*args, **kwargs)
        request = args[0] if args else kwargs["request"]
        handle = _begin(request)
        if handle is None:
            return wrapped(*args, **kwargs)
        if handle.replayed is not None:
            return replay_response(http, request, handle.replayed)
        request.headers["accept-encoding"] = "identity"
        owner = handle.go_live()
        try:
            response = wrapped(*args, **kwargs)
        except Exception as exc:
            handle.failed(exc)
            raise
        finally:
            end_live(owner)
        capture(http, handle, response)
        return response

    return wrapper


def _async_wrapper(http: ModuleType) -> Any:
    def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if not (recording_possible() and http_wanted()):
            return wrapped(*args, **kwargs)

        async def run() -> Any:
            request = args[0] if args else kwargs["request"]
            handle = _begin(request)
            if handle is None:
                return await wrapped(*args, **kwargs)
            if handle.replayed is not None:
                return replay_response(http, request, handle.replayed)
            request.headers["accept-encoding"] = "identity"
            owner = handle.go_live()
            try:
                response = await wrapped(*args, **kwargs)
            except Exception as exc:
                handle.failed(exc)
                raise
            finally:
                end_live(owner)
            capture(http, handle, response)
            return response

        return run()

    return wrapper


# ---------------------------------------------------------------- live: the body as the caller reads it


def capture(http: ModuleType, handle: CallHandle, response: Any) -> None:
    """Tee the response body into `handle` (a stream as SSE, anything else whole when read)."""
    try:
        headers, sse = headers_and_sse(response.headers)
        encoding = response.headers.get("content-encoding", "identity").lower()
        if encoding != "identity":
            raise ValueError(f"the server sent a {encoding}-encoded body despite accept-encoding: identity")
        stream = response.stream
        is_async = isinstance(stream, http.AsyncByteStream)
        body = (_Stream if sse else _Body)(handle, response.status_code, headers)
        sync_tee, async_tee = _body_tees(http)
        response.stream = (async_tee if is_async else sync_tee)(stream, body)
    except Exception as exc:  # recording must never break the call: it goes on unrecorded
        handle.lost("capturing the response", exc)


class _Body:
    """A plain body as it is read: recorded once read to the end, lost if closed before."""

    __slots__ = ("chunks", "done", "handle", "headers", "status")

    def __init__(self, handle: CallHandle, status: int, headers: dict[str, str]) -> None:
        self.handle, self.status, self.headers = handle, status, headers
        self.chunks: list[bytes] = []
        self.done = False

    def add(self, chunk: bytes) -> None:
        self.chunks.append(chunk)

    def finish(self, *, complete: bool) -> None:
        if self.done:
            return
        self.done = True
        try:
            self._finish(complete)
        except Exception as exc:
            self.handle.lost("capturing the response body", exc)

    def _finish(self, complete: bool) -> None:
        if not complete:
            raise RuntimeError("the caller closed the response before reading its body")
        self.handle.responded(self.status, self.headers, Deferred(parse_body, b"".join(self.chunks)))


class _Stream(_Body):
    """An event stream, recorded as it arrives; CRLF line ends (Gemini's) are kept as LF so the
    cassette can show the stream as a text block (SSE reads both alike)."""

    __slots__ = ("cr",)

    def __init__(self, handle: CallHandle, status: int, headers: dict[str, str]) -> None:
        super().__init__(handle, status, headers)
        self.cr = False  # the last chunk ended inside a CRLF
        handle.stream_started(status, headers)

    def add(self, chunk: bytes) -> None:
        try:
            if self.cr:
                chunk = b"\r" + chunk
            self.cr = chunk.endswith(b"\r")
            if self.cr:
                chunk = chunk[:-1]
            self.handle.stream_chunk(chunk.replace(b"\r\n", b"\n"))
        except Exception as exc:
            self.handle.lost("capturing a stream chunk", exc)

    def _finish(self, complete: bool) -> None:
        handle = self.handle
        if self.cr:
            handle.stream_chunk(b"\r")
        if not complete:  # closed early: complete all the same if its end had arrived
            tail = handle.received_tail()
            complete = any(marker in tail for marker in STREAM_END_MARKERS)
        handle.stream_finished(complete=complete)


_BODY_TEES: dict[int, tuple[type, type]] = {}


def _body_tees(http: ModuleType) -> tuple[type, type]:
    """Byte streams that pass the body through while a `_Body` / `_Stream` records it."""
    cached = _BODY_TEES.get(id(http))
    if cached is not None:
        return cached

    class SyncBodyTee(http.SyncByteStream):  # type: ignore[misc,name-defined]
        def __init__(self, inner: Any, body: _Body) -> None:
            self._inner, self._body = inner, body

        def __iter__(self) -> Iterator[bytes]:
            for chunk in self._inner:
                self._body.add(chunk)
                yield chunk
            self._body.finish(complete=True)

        def close(self) -> None:
            try:
                self._inner.close()
            finally:
                self._body.finish(complete=False)

    class AsyncBodyTee(http.AsyncByteStream):  # type: ignore[misc,name-defined]
        def __init__(self, inner: Any, body: _Body) -> None:
            self._inner, self._body = inner, body

        async def __aiter__(self) -> AsyncIterator[bytes]:
            async for chunk in self._inner:
                self._body.add(chunk)
                yield chunk
            self._body.finish(complete=True)

        async def aclose(self) -> None:
            try:
                await self._inner.aclose()
            finally:
                self._body.finish(complete=False)

    tees = _BODY_TEES[id(http)] = (SyncBodyTee, AsyncBodyTee)
    return tees


# ---------------------------------------------------------------- replay: the recorded bytes


def replay_response(http: ModuleType, request: Any, event: LLMCall) -> Any:
    """The recorded answer as an in-memory response of the HTTP library (or its error, raised)."""
    if event.error is not None:
        error_cls = getattr(http, event.error.get("type", ""), None)
        if not (isinstance(error_cls, type) and issubclass(error_cls, http.TransportError)):
            error_cls = http.ConnectError
        raise error_cls(event.error.get("message") or "Connection error.", request=request)
    headers = replay_headers(event.headers)
    if event.stream is not None:
        unchecked = event.__dict__.pop(UNCHECKED_STREAM, None)  # a loaded llm_call's SSE: checked once
        if unchecked is not None and (problem := stream_problem(event.stream)) is not None:
            raise CassetteError(f"{unchecked}: {problem}")
        content = event.stream.encode("utf-8")
        headers.setdefault("content-type", "text/event-stream")
    else:
        content, content_type = body_bytes(event)
        if content_type is not None:
            headers.setdefault("content-type", content_type)
    return http.Response(event.status, headers=headers, content=content, request=request)


def body_bytes(event: LLMCall) -> tuple[bytes, str | None]:
    """A recorded body as bytes, and its content type when the recording kept none."""
    raw = event.__dict__.get("response")
    if type(raw) is JSONText:  # the cassette's JSON text as it is
        return raw.text.encode("utf-8"), "application/json"
    body = event.response
    if body is None:
        return b"", None
    if isinstance(body, str):
        return body.encode("utf-8"), "text/plain; charset=utf-8"
    return json.dumps(body).encode("utf-8"), "application/json"


def http_interceptors() -> list[TransportInterceptor]:
    return [TransportInterceptor("httpx"), TransportInterceptor("httpx2")]


#: SDKs recorded at the HTTP level: import name -> distribution, for the cassette's `sdk_versions`.
HTTP_LEVEL_SDKS = {"google.genai": "google-genai", "mistralai": "mistralai"}


def sdk_versions() -> dict[str, str]:
    """Versions of the imported SDKs this fallback records (they have no interceptor to ask)."""
    from importlib import metadata

    versions = {}
    for module, distribution in HTTP_LEVEL_SDKS.items():
        if module in sys.modules:
            try:
                versions[module] = metadata.version(distribution)
            except metadata.PackageNotFoundError:
                continue
    return versions


__all__ = [
    "HTTP_PROVIDER",
    "TransportInterceptor",
    "describe",
    "http_interceptors",
    "replay_response",
    "sdk_versions",
]
