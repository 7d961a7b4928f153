"""Interception for Stainless-generated SDKs (openai, anthropic, groq, …): one patch point for all.

Every SDK method, `create`, `parse`, the `stream()` helpers, `with_raw_response`,
`with_streaming_response`, pagination, reaches the network through the client's
`request()`, and every answer is turned into SDK objects by `_process_response()`. So:

- `request` is wrapped: it asks the session whether to replay or go live;
- on replay, the recorded wire answer becomes an in-memory HTTP response, and the SDK's own
  `_process_response` builds the result: genuine SDK types, streams, raw wrappers, parsed
  models, exactly as a live call produces them, with no network;
- while live, `_process_response` is wrapped to capture the wire answer (streams through a
  tee that records the SSE bytes as the caller consumes them).
"""

from __future__ import annotations

import contextvars
import json
import sys
from types import ModuleType
from typing import Any, NamedTuple

import wrapt

from trace_ops._plain import jsonable, plain_copy
from trace_ops._seam import CallHandle, begin_llm_call, end_live, recording_possible
from trace_ops._stream_check import UNCHECKED_STREAM, stream_problem
from trace_ops.errors import CassetteError
from trace_ops.interceptors._http import (
    headers_and_sse,
    http_module,
    replay_headers,
    request_from_wire,
    response_body,
    status_error_parts,
    tee_classes,
)
from trace_ops.providers._base import StainlessSDK
from trace_ops.trace import Deferred, JSONText

_capture: contextvars.ContextVar[CallHandle | None] = contextvars.ContextVar(
    "trace_ops_capture", default=None
)

RAW_HEADERS = ("x-stainless-raw-response", "x-stainless-streamed-raw-response")


class StainlessInterceptor:
    """Patches one Stainless SDK package; subclasses name it and say how its paths read."""

    provider: str = ""
    module_name: str = ""
    #: SSE markers after which a stream is complete even if the caller closed it early.
    stream_end_markers: tuple[str, ...] = ()
    #: Path prefixes the endpoint name leaves out (`v1/messages` -> `messages`).
    path_prefixes: tuple[str, ...] = ("v1/",)
    #: Paths the SDK calls on its own (a connection warm-up): they go live, unrecorded.
    passthrough_paths: tuple[str, ...] = ()

    @classmethod
    def for_sdk(cls, provider: str, sdk: StainlessSDK) -> StainlessInterceptor:
        """The interceptor of a provider entry that names its Stainless SDK (no class of its own)."""
        interceptor = cls()
        interceptor.provider = provider
        interceptor.module_name = sdk.module
        interceptor.stream_end_markers = sdk.stream_end_markers
        interceptor.path_prefixes = sdk.path_prefixes
        interceptor.passthrough_paths = sdk.passthrough_paths
        return interceptor

    def __init__(self) -> None:
        self._originals: list[tuple[type, str, Any]] = []
        self._urls: dict[tuple[int, str], tuple[Any, Any]] = {}
        self._endpoints: dict[tuple[str, str], str] = {}

    # ------------------------------------------------------------ install

    def version(self) -> str | None:
        module = sys.modules.get(self.module_name)
        return getattr(module, "__version__", None) if module is not None else None

    @property
    def installed(self) -> bool:
        return bool(self._originals)

    def install(self) -> None:
        """Patch the SDK as imported now (again if it was re-imported since: a fresh module object
        after a `sys.modules` reset, as in-process pytester runs do, has unpatched classes)."""
        base = sys.modules.get(f"{self.module_name}._base_client")
        if base is None or self.module_name not in sys.modules:
            return
        if self._originals:
            if self._originals[0][0] is base.SyncAPIClient:
                return
            self.uninstall()
        http = http_module(base)
        sync_client, async_client = base.SyncAPIClient, base.AsyncAPIClient
        self._patch(sync_client, "request", self._sync_request(base, http))
        self._patch(async_client, "request", self._async_request(base, http))
        self._patch(sync_client, "_process_response", self._capture_response(http))
        self._patch(async_client, "_process_response", self._capture_response(http))

    def _patch(self, cls: type, name: str, wrapper: Any) -> None:
        original = cls.__dict__[name]
        self._originals.append((cls, name, original))
        setattr(cls, name, wrapt.FunctionWrapper(original, wrapper))

    def uninstall(self) -> None:
        while self._originals:
            cls, name, original = self._originals.pop()
            setattr(cls, name, original)

    # ------------------------------------------------------------ describing a call

    def endpoint(self, method: str, path: str) -> str:
        path = path.split("?", 1)[0]
        if "://" in path:  # an SDK that posts some calls to another host (together's inference URL)
            path = "/" + path.split("://", 1)[1].partition("/")[2]
        path = path.strip("/")
        for prefix in self.path_prefixes:
            if path.startswith(prefix):
                path = path[len(prefix) :]
                break
        dotted = path.replace("/", ".")
        return dotted if method.upper() == "POST" else f"{method.upper()} {dotted}"

    def describe(self, options: Any) -> tuple[str, dict[str, Any], str | None]:
        """(endpoint, request body JSON-safe, its JSON text if unchanged since encoding) of a request."""
        body = options.json_data if isinstance(options.json_data, dict) else {}
        extra = getattr(options, "extra_json", None)
        if extra:
            body = {**body, **extra}
        request = plain_copy(body)
        text: str | None = None
        if not isinstance(request, dict):
            request, text = {"body": request}, None
        params = getattr(options, "params", None)
        if params:
            request["query"], text = jsonable(params), None
        if getattr(options, "files", None):
            request["files"], text = "<multipart upload>", None
        return self.endpoint(str(options.method), str(options.url)), request, text

    # ------------------------------------------------------------ wrappers

    def _endpoint_of(self, options: Any) -> str:
        key = (str(options.method), str(options.url))
        endpoint = self._endpoints.get(key)
        if endpoint is None:
            if len(self._endpoints) > 512:
                self._endpoints.clear()
            endpoint = self._endpoints[key] = self.endpoint(*key)
        return endpoint

    def describe_request(self, options: Any) -> dict[str, Any]:
        return self.describe(options)[1]

    def _begin(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[CallHandle, _Bound] | None:
        bound = _bind(args, kwargs)
        options = bound.options
        if self.passthrough_paths and str(options.url) in self.passthrough_paths:
            return None
        # the request is described only if a replaying session needs it now; a recording takes
        # the SDK's encoded bytes instead (`_snapshot_request`)
        request = Deferred(self.describe_request, options)
        handle = begin_llm_call(self.provider, self._endpoint_of(options), request)
        return None if handle is None else (handle, bound)

    @staticmethod
    def _snapshot_request(handle: CallHandle, options: Any, sent: Any) -> None:
        """Keep the request as the SDK encoded it (bytes: nothing to copy now, parsed on demand).

        Only for plain JSON bodies, where those bytes equal `describe()`; otherwise describe now,
        while the caller's data is still what was sent.
        """
        body = None
        plain_json = isinstance(options.json_data, dict) and not getattr(options, "files", None)
        if plain_json and getattr(options, "content", None) is None:
            body = getattr(sent, "_content", None)
        if isinstance(body, bytes) and body[:1] == b"{":
            params = getattr(options, "params", None)
            query = jsonable(params) if params else None
            handle.request_sent(Deferred(request_from_wire, body, query))
        else:
            handle.describe_now()

    def _failed(self, base: ModuleType, handle: CallHandle, options: Any, exc: Exception) -> None:
        """The live call raised: an HTTP error answer is recorded as such, anything else as a failure.

        The agent gets the SDK's exception whatever happens here (a failure of ours is logged)."""
        try:
            if isinstance(exc, base.APIStatusError):
                self._snapshot_request(handle, options, exc.response.request)
                handle.responded(*status_error_parts(exc))
            else:
                handle.failed(exc)
        except Exception as bug:
            handle.lost("recording the error answer", bug)

    def _replay_arguments(
        self, base: ModuleType, http: ModuleType, client: Any, handle: CallHandle, bound: _Bound
    ) -> dict[str, Any]:
        """Keyword arguments for the SDK's own `_process_response`, over the recorded answer."""
        return {
            "cast_to": _override_cast_to(client, bound.cast_to, bound.options),
            "options": bound.options,
            "response": self._replay_response(base, http, client, bound.options, handle),
            "stream": bound.stream,
            "stream_cls": bound.stream_cls,
        }

    def _sync_request(self, base: ModuleType, http: ModuleType) -> Any:
        def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
            started = self._begin(args, kwargs) if recording_possible() else None
            if started is None:
                return wrapped(*args, **kwargs)
            handle, bound = started
            if handle.replayed is not None:
                return instance._process_response(
                    **self._replay_arguments(base, http, instance, handle, bound)
                )
            capture = _capture.set(handle)
            owner = handle.go_live()
            try:
                return wrapped(*args, **kwargs)
            except Exception as exc:
                self._failed(base, handle, bound.options, exc)
                raise
            finally:
                end_live(owner)
                _capture.reset(capture)

        return wrapper

    def _async_request(self, base: ModuleType, http: ModuleType) -> Any:
        def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
            if not recording_possible():
                return wrapped(*args, **kwargs)

            async def run() -> Any:
                started = self._begin(args, kwargs)
                if started is None:
                    return await wrapped(*args, **kwargs)
                handle, bound = started
                if handle.replayed is not None:
                    arguments = self._replay_arguments(base, http, instance, handle, bound)
                    return await instance._process_response(**arguments)
                capture = _capture.set(handle)
                owner = handle.go_live()
                try:
                    return await wrapped(*args, **kwargs)
                except Exception as exc:
                    self._failed(base, handle, bound.options, exc)
                    raise
                finally:
                    end_live(owner)
                    _capture.reset(capture)

            return run()

        return wrapper

    def _capture_response(self, http: ModuleType) -> Any:
        sync_tee, async_tee = tee_classes(http, self.stream_end_markers)

        def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
            handle = _capture.get()
            response = kwargs.get("response")
            if handle is not None and response is not None and handle.replayed is None:
                _capture.set(None)
                try:
                    self._snapshot_request(handle, kwargs.get("options"), response.request)
                    headers, is_sse = headers_and_sse(response.headers)
                    if hasattr(response, "_content") and is_sse:  # an SSE body that arrived already read
                        handle.stream_started(response.status_code, headers)
                        handle.stream_chunk(response.content)
                        handle.stream_finished(complete=True)
                    elif hasattr(response, "_content"):
                        handle.responded(response.status_code, headers, response_body(response))
                    else:
                        handle.stream_started(response.status_code, headers)
                        stream = response.stream
                        tee = async_tee if isinstance(stream, http.AsyncByteStream) else sync_tee
                        response.stream = tee(stream, handle)
                except Exception as exc:  # recording must never break the call: it goes on unrecorded
                    handle.lost("capturing the response", exc)
            return wrapped(*args, **kwargs)

        return wrapper

    # ------------------------------------------------------------ replay

    def _url(self, client: Any, path: str) -> Any:
        """The request URL as the SDK builds it, memoized: URL parsing is a third of a replay's cost."""
        base = getattr(client, "base_url", None)
        key = (id(base), path)
        hit = self._urls.get(key)
        if hit is not None and hit[0] is base:
            return hit[1]
        try:
            url = client._prepare_url(path)
        except Exception:
            url = path
        if len(self._urls) > 512:
            self._urls.clear()
        self._urls[key] = (base, url)
        return url

    def _replay_response(
        self, base: ModuleType, http: ModuleType, client: Any, options: Any, handle: CallHandle
    ) -> Any:
        """The recorded answer as an in-memory HTTP response (or the recorded error, raised)."""
        event = handle.replayed
        assert event is not None
        headers = {
            k: v
            for k, v in (options.headers or {}).items()
            if isinstance(v, str) and k.lower() in RAW_HEADERS
        }
        request = http.Request(options.method, self._url(client, str(options.url)), headers=headers)
        if event.error is not None:
            error_cls = getattr(base, event.error.get("type", ""), None)
            if not (isinstance(error_cls, type) and issubclass(error_cls, base.APIConnectionError)):
                error_cls = base.APIConnectionError
            if error_cls is base.APITimeoutError:
                raise error_cls(request=request)
            raise error_cls(message=event.error.get("message") or "Connection error.", request=request)
        response_headers = replay_headers(event.headers)
        if event.stream is not None:
            unchecked = event.__dict__.pop(UNCHECKED_STREAM, None)
            if unchecked is not None and (problem := stream_problem(event.stream)) is not None:
                raise CassetteError(f"{unchecked}: {problem}")
            content = event.stream.encode("utf-8")
            response_headers.setdefault("content-type", "text/event-stream")
        elif type(event.__dict__.get("response")) is JSONText:  # the cassette's JSON text as it is
            content = event.__dict__["response"].text.encode("utf-8")
            response_headers.setdefault("content-type", "application/json")
        elif isinstance(event.response, str):
            content = event.response.encode("utf-8")
            response_headers.setdefault("content-type", "text/plain")
        else:
            content = json.dumps(event.response).encode("utf-8")
            response_headers.setdefault("content-type", "application/json")
        response = http.Response(event.status, headers=response_headers, content=content, request=request)
        if event.status >= 400:
            raise client._make_status_error_from_response(response)
        return response


# ---------------------------------------------------------------- binding the call


class _Bound(NamedTuple):
    cast_to: Any
    options: Any
    stream: bool
    stream_cls: Any


def _bind(args: tuple[Any, ...], kwargs: dict[str, Any]) -> _Bound:
    cast_to = args[0] if args else kwargs.get("cast_to")
    options = args[1] if len(args) > 1 else kwargs.get("options")
    return _Bound(cast_to, options, bool(kwargs.get("stream", False)), kwargs.get("stream_cls"))


def _override_cast_to(client: Any, cast_to: Any, options: Any) -> Any:
    override = getattr(client, "_maybe_override_cast_to", None)
    return override(cast_to, options) if callable(override) else cast_to
