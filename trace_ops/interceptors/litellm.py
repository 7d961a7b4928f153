"""LiteLLM: `completion` / `acompletion` (plain and streamed) and `embedding` / `aembedding`.

LiteLLM is the outermost layer when it is used, so it owns the event: while its call is
live, the OpenAI/Anthropic interceptors below it pass through (one LLM call, one event), and
on replay they are never reached. Replay rebuilds LiteLLM's own types from the recorded
dumps: `ModelResponse`, `EmbeddingResponse`, and for streams a `CustomStreamWrapper`
(subclass) yielding the recorded `ModelResponseStream` chunks.

The patch is on the `litellm` module's functions: code that did `from litellm import
completion` before a session started keeps the unpatched function.
"""

from __future__ import annotations

import contextlib
import functools
import json
import sys
from collections.abc import AsyncIterator, Iterator
from typing import Any

import wrapt

from trace_ops._plain import jsonable
from trace_ops._schema import response_format
from trace_ops._seam import CallHandle, begin_llm_call, recording_possible
from trace_ops._stream_check import UNCHECKED_STREAM, stream_problem
from trace_ops.errors import CassetteError
from trace_ops.normalize import sse_json_chunks
from trace_ops.trace import Deferred, LLMCall

#: Call options that say how to reach the provider, not what to ask it.
TRANSPORT_KEYS = frozenset(
    {
        "api_key",
        "api_base",
        "base_url",
        "api_version",
        "timeout",
        "request_timeout",
        "num_retries",
        "max_retries",
        "extra_headers",
        "headers",
        "client",
        "organization",
        "litellm_call_id",
        "litellm_logging_obj",
        "logger_fn",
        "aws_access_key_id",
        "aws_secret_access_key",
        "aws_session_token",
        "azure_ad_token",
        "vertex_credentials",
        "proxy_server_request",
    }
)
_HANDLE_ATTR = "_trace_ops_handle"
_FUNCTIONS = {
    "completion": ("chat.completions", False),
    "acompletion": ("chat.completions", True),
    "embedding": ("embeddings", False),
    "aembedding": ("embeddings", True),
}


def _describe(endpoint: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    call = dict(kwargs)
    if args:
        call.setdefault("model", args[0])
    if len(args) > 1:
        call.setdefault("input" if endpoint == "embeddings" else "messages", args[1])
    request = {k: v for k, v in call.items() if k not in TRANSPORT_KEYS and v is not None}
    if isinstance(request.get("response_format"), type):  # structured output: the schema LiteLLM sends
        request["response_format"] = response_format(request["response_format"])
    return dict(jsonable(request))


def _sse(chunk: Any) -> bytes:
    return b"data: " + json.dumps(jsonable(chunk.model_dump()), ensure_ascii=False).encode("utf-8") + b"\n\n"


class LiteLLMInterceptor:
    provider = "litellm"
    module_name = "litellm"

    def __init__(self) -> None:
        self._originals: list[tuple[Any, str, Any]] = []
        self._replay_stream_cls: type | None = None

    def version(self) -> str | None:
        if self.module_name not in sys.modules:
            return None
        return _litellm_version()

    def install(self) -> None:
        litellm = sys.modules.get(self.module_name)
        if litellm is None:
            return
        if self._originals:
            if any(target is litellm for target, _, _ in self._originals):
                return  # patched; a re-imported litellm (a new module object) is patched afresh
            self.uninstall()
        main = sys.modules.get("litellm.main")
        for name, (endpoint, is_async) in _FUNCTIONS.items():
            original = getattr(litellm, name, None)
            if original is None:
                continue
            wrapper = wrapt.FunctionWrapper(original, self._wrapper(litellm, endpoint, is_async))
            for module in (litellm, main):
                if module is not None and getattr(module, name, None) is original:
                    self._originals.append((module, name, original))
                    setattr(module, name, wrapper)
        stream_cls = litellm.CustomStreamWrapper
        for name, wrapper_fn in (("__next__", self._record_next), ("__anext__", self._record_anext)):
            original = stream_cls.__dict__[name]
            self._originals.append((stream_cls, name, original))
            setattr(stream_cls, name, wrapt.FunctionWrapper(original, wrapper_fn))
        self._replay_stream_cls = _replay_stream_class(stream_cls)

    def uninstall(self) -> None:
        while self._originals:
            owner, name, original = self._originals.pop()
            setattr(owner, name, original)

    # ------------------------------------------------------------ calls

    def _wrapper(self, litellm: Any, endpoint: str, is_async: bool) -> Any:
        def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
            if not recording_possible():
                return wrapped(*args, **kwargs)
            handle = begin_llm_call(self.provider, endpoint, Deferred(_describe, endpoint, args, kwargs))
            if handle is None:
                return wrapped(*args, **kwargs)
            handle.describe_now()  # now: the caller may change its messages after the call
            if is_async:
                return self._run_async(litellm, wrapped, args, kwargs, handle)
            if handle.replayed is not None:
                return self._replay(litellm, handle)
            try:
                with handle.live():
                    result = wrapped(*args, **kwargs)
            except Exception as exc:
                _failed(handle, exc)
                raise
            return self._after_live(litellm, handle, result)

        return wrapper

    async def _run_async(
        self, litellm: Any, wrapped: Any, args: tuple[Any, ...], kwargs: dict[str, Any], handle: CallHandle
    ) -> Any:
        if handle.replayed is not None:
            return self._replay(litellm, handle)
        try:
            with handle.live():
                result = await wrapped(*args, **kwargs)
        except Exception as exc:
            _failed(handle, exc)
            raise
        return self._after_live(litellm, handle, result)

    def _after_live(self, litellm: Any, handle: CallHandle, result: Any) -> Any:
        """Record the live result and return it unchanged (unrecorded if recording it fails)."""
        try:
            if isinstance(result, litellm.CustomStreamWrapper):
                handle.stream_started(200, {})
                setattr(result, _HANDLE_ATTR, handle)
            else:
                handle.responded(200, {}, jsonable(result.model_dump()))
        except Exception as exc:
            handle.lost("capturing the response", exc)
        return result

    def _replay(self, litellm: Any, handle: CallHandle) -> Any:
        event = handle.replayed
        assert event is not None
        if event.error is not None:
            raise _rebuild_error(litellm, event.error, str(event.request.get("model", "")))
        if event.stream is not None:
            from litellm.types.utils import ModelResponseStream

            chunks = _replayed_chunks(ModelResponseStream, event)
            assert self._replay_stream_cls is not None
            return self._replay_stream_cls(chunks, str(event.request.get("model", "")))
        if event.endpoint == "embeddings":
            return _rebuilt(litellm.EmbeddingResponse, event.response)
        return _rebuilt(litellm.ModelResponse, event.response)

    # ------------------------------------------------------------ live streams

    @staticmethod
    def _record_next(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        handle: CallHandle | None = instance.__dict__.get(_HANDLE_ATTR)
        if handle is None:
            return wrapped(*args, **kwargs)
        try:
            chunk = wrapped(*args, **kwargs)
        except StopIteration:
            _stream_ended(handle)
            raise
        _stream_chunk(handle, chunk)
        return chunk

    @staticmethod
    def _record_anext(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        handle: CallHandle | None = instance.__dict__.get(_HANDLE_ATTR)
        if handle is None:
            return wrapped(*args, **kwargs)

        async def run() -> Any:
            try:
                chunk = await wrapped(*args, **kwargs)
            except StopAsyncIteration:
                _stream_ended(handle)
                raise
            _stream_chunk(handle, chunk)
            return chunk

        return run()


_MISSING = object()


def _replayed_chunks(cls: Any, event: LLMCall) -> list[Any]:
    """The recorded stream's chunks as LiteLLM objects; a damaged one (not JSON, JSON that is not
    an object, an object LiteLLM cannot build) is a CassetteError naming the file and the call."""
    where = event.__dict__.get(UNCHECKED_STREAM) or f"the recorded {event.endpoint} stream"
    stream = event.stream or ""
    if UNCHECKED_STREAM in event.__dict__ and (problem := stream_problem(stream)) is not None:
        raise CassetteError(f"{where}: {problem}")
    chunks: list[Any] = []
    for index, chunk in enumerate(sse_json_chunks(stream)):
        try:
            chunks.append(_rebuilt(cls, chunk))
        except Exception as exc:
            detail = str(exc).splitlines()[0] if str(exc) else ""
            raise CassetteError(
                f"{where}: chunk {index} is not a chunk LiteLLM can read ({type(exc).__name__}: {detail})"
            ) from None
    event.__dict__.pop(UNCHECKED_STREAM, None)  # checked: a repeated replay skips it
    return chunks


def _rebuilt(cls: Any, recorded: dict[str, Any]) -> Any:
    """`cls(**recorded)`, then made `model_dump()`-equal to what was recorded.

    LiteLLM's constructors are not the inverse of its dumps, and that changes between releases
    (1.110 drops `choices[].logprobs=None` that its live objects carry): the recorded dump is
    the truth, so keys it has are set and keys it lacks are removed, level by level.
    """
    built = cls(**recorded)
    _align(built, recorded)
    return built


def _align(obj: Any, recorded: Any) -> None:
    dump = getattr(obj, "model_dump", None)
    if isinstance(recorded, list) and isinstance(obj, list):
        for item, recorded_item in zip(obj, recorded, strict=False):
            _align(item, recorded_item)
        return
    if not callable(dump) or not isinstance(recorded, dict):
        return
    current = dump()
    if not isinstance(current, dict):
        return
    for key in current.keys() - recorded.keys():
        with contextlib.suppress(AttributeError, TypeError):
            delattr(obj, key)
    for key, value in recorded.items():
        child = getattr(obj, key, _MISSING)
        if key not in current or child is _MISSING:
            with contextlib.suppress(AttributeError, TypeError, ValueError):
                setattr(obj, key, value)
        elif current[key] != value:
            _align(child, value)


def _failed(handle: CallHandle, exc: Exception) -> None:
    """Record that the live call raised; the caller re-raises LiteLLM's exception whatever happens."""
    try:
        handle.failed(exc)
    except Exception as bug:
        handle.lost("recording the error", bug)


def _stream_chunk(handle: CallHandle, chunk: Any) -> None:
    try:
        handle.stream_chunk(_sse(chunk))
    except Exception as exc:
        handle.lost("capturing a stream chunk", exc)


def _stream_ended(handle: CallHandle) -> None:
    try:
        handle.stream_chunk(b"data: [DONE]\n\n")
        handle.stream_finished(complete=True)
    except Exception as exc:
        handle.lost("finishing the stream", exc)


@functools.cache
def _litellm_version() -> str | None:
    """From package metadata (litellm has no `__version__`); cached, the lookup takes a millisecond."""
    try:
        from importlib.metadata import version

        return version("litellm")
    except Exception:
        return None


def _replay_stream_class(base: type) -> type:
    """A CustomStreamWrapper that yields recorded chunks (isinstance checks still pass)."""

    class ReplayedStream(base):  # type: ignore[misc,valid-type]
        def __init__(self, chunks: list[Any], model: str) -> None:  # no super(): no logging, no network
            self.model = model
            self.custom_llm_provider = "cached_response"
            self.completion_stream = None
            self.chunks = chunks
            self._position = 0

        def __iter__(self) -> Iterator[Any]:
            return self

        def __aiter__(self) -> AsyncIterator[Any]:
            return self

        def __next__(self) -> Any:
            if self._position >= len(self.chunks):
                raise StopIteration
            self._position += 1
            return self.chunks[self._position - 1]

        async def __anext__(self) -> Any:
            if self._position >= len(self.chunks):
                raise StopAsyncIteration
            self._position += 1
            return self.chunks[self._position - 1]

    ReplayedStream.__name__ = ReplayedStream.__qualname__ = "CustomStreamWrapper"
    return ReplayedStream


def _rebuild_error(litellm: Any, error: dict[str, str], model: str) -> BaseException:
    cls = getattr(litellm, error.get("type", ""), None)
    message = error.get("message", "")
    if isinstance(cls, type) and issubclass(cls, BaseException):
        for kwargs in (
            {"message": message, "llm_provider": "", "model": model},
            {"message": message},
        ):
            try:
                return cls(**kwargs)
            except TypeError:
                continue
    return RuntimeError(f"{error.get('type', 'Error')}: {message}")
