"""LangChain capture: chat models at the `BaseChatModel` layer, `BaseTool` runs as tool events.

Why patching and not a callback handler: a handler sees a call but cannot answer it, and a
replay must return the recorded `AIMessage` without running the model (and, with
`replay_tools=True`, the recorded tool output without running the tool). So the leaves every
chat-model path ends in are wrapped: `_generate` / `_agenerate` (invoke, ainvoke, batch,
generate, `bind_tools` bindings) and `_stream` / `_astream` (stream, astream, and invoke under
a streaming callback such as LangGraph's `messages` mode), on the class that defines them,
the first time a model of that class is called. Below LangChain's callbacks and cache, so a
replayed call still fires `on_chat_model_start` / `on_llm_new_token` / `on_llm_end` and gets
the same message ids and metadata treatment as a live one.

One model call is one event: the call owns the SDK call under it (ChatOpenAI over openai,
ChatAnthropic over anthropic), which passes straight through, and is never reached on replay.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from trace_ops import _seam
from trace_ops._seam import CallHandle, begin_llm_call, current_session, owning, recording_possible
from trace_ops.frameworks import _lc_wire as wire
from trace_ops.tools import RecordedToolError

log = logging.getLogger("trace_ops")
PROVIDER = "langchain"

_lock = threading.RLock()
_installed = False
_patched: dict[tuple[type, str], Any] = {}  # (class, attribute) -> the original function
_seen: set[type] = set()


def install() -> None:
    """Wrap the chat-model entry points and `BaseTool.run` / `arun` (needs langchain-core)."""
    global _installed
    from langchain_core.language_models.chat_models import BaseChatModel
    from langchain_core.tools import BaseTool

    with _lock:
        if _installed:
            return
        for name in ("_generate_with_cache", "_agenerate_with_cache", "stream", "astream"):
            _patch(BaseChatModel, name, _entry)
        _patch(BaseTool, "run", _tool_run)
        _patch(BaseTool, "arun", _tool_arun)
        _installed = True


def uninstall() -> None:
    global _installed
    with _lock:
        for (cls, name), original in _patched.items():
            setattr(cls, name, original)
        _patched.clear()
        _seen.clear()
        _installed = False


def _patch(cls: type, name: str, wrap: Callable[[Any], Any]) -> None:
    original = cls.__dict__[name]
    _patched[(cls, name)] = original
    setattr(cls, name, wrap(original))


# ------------------------------------------------------------------ chat models


def _entry(original: Any) -> Any:
    """A `BaseChatModel` entry point: wraps the leaves of the model's class on its first call."""

    @functools.wraps(original)
    def entry(self: Any, *args: Any, **kwargs: Any) -> Any:
        cls = type(self)
        if cls not in _seen:
            _wrap_leaves(cls)
        return original(self, *args, **kwargs)

    return entry


def _wrap_leaves(cls: type) -> None:
    from langchain_core.language_models.chat_models import BaseChatModel

    with _lock:
        if not _installed or cls in _seen:
            return
        for name, wrap in _LEAVES.items():
            owner = next((k for k in cls.__mro__ if name in k.__dict__), None)
            # BaseChatModel's own defaults only delegate to the leaves (or raise): left alone,
            # so `_should_stream`'s "does the class stream?" test still sees what it expects
            if owner is None or owner is BaseChatModel or (owner, name) in _patched:
                continue
            _patch(owner, name, wrap)
        _seen.add(cls)


def _begin(
    model: Any, messages: list[Any], stop: Any, kwargs: dict[str, Any], stream: bool
) -> CallHandle | None:
    if not recording_possible():  # no session, or an outer layer owns this call
        return None
    try:
        request = wire.describe(model, messages, stop, kwargs, stream)
    except Exception as exc:  # a bug of ours: the call goes on, unrecorded
        log.warning("trace_ops could not describe a %s call: %s", type(model).__name__, exc, exc_info=True)
        return None
    return begin_llm_call(PROVIDER, wire.endpoint(model), request)


def _manager(run_manager: Any) -> dict[str, Any]:
    return {} if run_manager is None else {"run_manager": run_manager}


def _captured(handle: CallHandle, result: Any) -> Any:
    try:
        handle.responded(200, {}, wire.result_body(result))
    except Exception as exc:
        handle.lost("capturing the answer", exc)
    return result


def _wrap_generate(original: Any) -> Any:
    @functools.wraps(original)
    def _generate(
        self: Any, messages: list[Any], stop: Any = None, run_manager: Any = None, **kwargs: Any
    ) -> Any:
        handle = _begin(self, messages, stop, kwargs, stream=False)
        if handle is None:
            return original(self, messages, stop, **_manager(run_manager), **kwargs)
        if handle.replayed is not None:
            return wire.replayed_result(handle.replayed)
        with handle.live():
            try:
                result = original(self, messages, stop, **_manager(run_manager), **kwargs)
            except BaseException as exc:
                handle.failed(exc)
                raise
        return _captured(handle, result)

    return _generate


def _wrap_agenerate(original: Any) -> Any:
    @functools.wraps(original)
    async def _agenerate(
        self: Any, messages: list[Any], stop: Any = None, run_manager: Any = None, **kwargs: Any
    ) -> Any:
        handle = _begin(self, messages, stop, kwargs, stream=False)
        if handle is None:
            return await original(self, messages, stop, **_manager(run_manager), **kwargs)
        if handle.replayed is not None:
            return wire.replayed_result(handle.replayed)
        token = handle.go_live()
        try:
            result = await original(self, messages, stop, **_manager(run_manager), **kwargs)
        except BaseException as exc:
            handle.failed(exc)
            raise
        finally:
            _seam.end_live(token)
        return _captured(handle, result)

    return _agenerate


class _StreamRecord:
    """A live stream's chunks going to the cassette as they pass; the first one publishes it."""

    def __init__(self, handle: CallHandle) -> None:
        self.handle = handle
        self.started = False

    def chunk(self, chunk: Any) -> None:
        try:
            if not self.started:
                self.started = True
                self.handle.stream_started(200, {})
            self.handle.stream_chunk(wire.chunk_sse(chunk))
        except Exception as exc:
            self.handle.lost("capturing a stream chunk", exc)

    def ended(self, error: BaseException | None, *, complete: bool) -> None:
        if error is not None and not self.started:
            self.handle.failed(error)
        else:
            self.handle.stream_finished(complete=complete and error is None)


def _wrap_stream(original: Any) -> Any:
    @functools.wraps(original)
    def _stream(
        self: Any, messages: list[Any], stop: Any = None, run_manager: Any = None, **kwargs: Any
    ) -> Iterator[Any]:
        handle = _begin(self, messages, stop, kwargs, stream=True)
        if handle is None:
            yield from original(self, messages, stop, **_manager(run_manager), **kwargs)
            return
        if handle.replayed is not None:
            for chunk in wire.replayed_chunks(handle.replayed):
                if run_manager is not None:  # as the models' own `_stream` do
                    run_manager.on_llm_new_token(chunk.text, chunk=chunk)
                yield chunk
            return
        record = _StreamRecord(handle)
        with handle.live():
            chunks = original(self, messages, stop, **_manager(run_manager), **kwargs)
        complete = False
        try:
            while True:
                with owning(handle):  # the SDK call under it happens on the first step
                    try:
                        chunk = next(chunks)
                    except StopIteration:
                        break
                record.chunk(chunk)
                yield chunk
            complete = True
        except BaseException as exc:
            if isinstance(exc, GeneratorExit):
                record.ended(None, complete=False)
            else:
                record.ended(exc, complete=False)
            raise
        record.ended(None, complete=complete)

    return _stream


def _wrap_astream(original: Any) -> Any:
    @functools.wraps(original)
    async def _astream(
        self: Any, messages: list[Any], stop: Any = None, run_manager: Any = None, **kwargs: Any
    ) -> AsyncIterator[Any]:
        handle = _begin(self, messages, stop, kwargs, stream=True)
        if handle is None:
            async for chunk in original(self, messages, stop, **_manager(run_manager), **kwargs):
                yield chunk
            return
        if handle.replayed is not None:
            for chunk in wire.replayed_chunks(handle.replayed):
                if run_manager is not None:
                    await run_manager.on_llm_new_token(chunk.text, chunk=chunk)
                yield chunk
            return
        record = _StreamRecord(handle)
        token = handle.go_live()
        try:
            chunks = original(self, messages, stop, **_manager(run_manager), **kwargs)
        finally:
            _seam.end_live(token)
        try:
            while True:
                with owning(handle):
                    try:
                        chunk = await chunks.__anext__()
                    except StopAsyncIteration:
                        break
                record.chunk(chunk)
                yield chunk
        except BaseException as exc:
            record.ended(None if isinstance(exc, GeneratorExit) else exc, complete=False)
            raise
        record.ended(None, complete=True)

    return _astream


_LEAVES: dict[str, Callable[[Any], Any]] = {
    "_generate": _wrap_generate,
    "_agenerate": _wrap_agenerate,
    "_stream": _wrap_stream,
    "_astream": _wrap_astream,
}


# ------------------------------------------------------------------ tools


class _ToolRun:
    """One `BaseTool.run`: replayed from the cassette (`replay_tools=True`), or run and recorded."""

    def __init__(self, tool: Any, tool_input: Any, kwargs: dict[str, Any]) -> None:
        from trace_ops._plain import jsonable

        self.session = current_session()
        self.name = str(tool.name)
        self.call_id = kwargs.get("tool_call_id")
        self.input = jsonable(tool_input) if self.session is not None else None
        self.started = time.perf_counter()

    def replayed(self) -> tuple[bool, Any]:
        recorded = self.session.replayed_tool_call(self.name, self.input) if self.session else None
        if recorded is None:
            return False, None
        if recorded.error:
            raise RecordedToolError(recorded.error)
        if self.call_id is None:
            return True, recorded.output
        from langchain_core.messages import ToolMessage

        return True, ToolMessage(content=recorded.output, tool_call_id=self.call_id, name=self.name)

    def record(self, output: Any = None, error: BaseException | None = None) -> None:
        if self.session is None:
            return
        content = getattr(output, "content", output) if _is_tool_message(output) else output
        try:
            self.session.record_tool_call(
                self.name,
                self.input,
                content,
                error=error,
                duration_ms=(time.perf_counter() - self.started) * 1000.0,
                call_id=self.call_id,
            )
        except Exception as exc:
            reason = f"tool {self.name}: {type(exc).__name__}: {exc}"
            log.warning("trace_ops could not record the call of %s", reason, exc_info=True)
            self.session.note_unrecorded(reason)


def _is_tool_message(value: Any) -> bool:
    return type(value).__name__ == "ToolMessage" and hasattr(value, "tool_call_id")


def _tool_run(original: Any) -> Any:
    @functools.wraps(original)
    def run(self: Any, tool_input: Any, *args: Any, **kwargs: Any) -> Any:
        if current_session() is None:
            return original(self, tool_input, *args, **kwargs)
        call = _ToolRun(self, tool_input, kwargs)
        hit, output = call.replayed()
        if hit:
            return output
        try:
            output = original(self, tool_input, *args, **kwargs)
        except Exception as exc:
            call.record(error=exc)
            raise
        call.record(output)
        return output

    return run


def _tool_arun(original: Any) -> Any:
    @functools.wraps(original)
    async def arun(self: Any, tool_input: Any, *args: Any, **kwargs: Any) -> Any:
        if current_session() is None:
            return await original(self, tool_input, *args, **kwargs)
        call = _ToolRun(self, tool_input, kwargs)
        hit, output = call.replayed()
        if hit:
            return output
        try:
            output = await original(self, tool_input, *args, **kwargs)
        except Exception as exc:
            call.record(error=exc)
            raise
        call.record(output)
        return output

    return arun
