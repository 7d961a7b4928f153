"""`@trace_ops.tool`: record a tool function's calls whenever a session is active.

In a `Replayer(..., replay_tools=True)` the recorded output is returned and the function is
not run at all, so tools with side effects (sending mail, writing files) stay quiet in CI.
"""

from __future__ import annotations

import functools
import inspect
import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar, overload

from trace_ops._seam import current_session

F = TypeVar("F", bound=Callable[..., Any])
log = logging.getLogger("trace_ops")


class RecordedToolError(Exception):
    """Raised on replay when the recorded tool call had failed."""


def _arguments(signature: inspect.Signature | None, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    if signature is None:
        return {"args": list(args), "kwargs": kwargs}
    try:
        bound = signature.bind(*args, **kwargs)
    except TypeError:
        return {"args": list(args), "kwargs": kwargs}
    bound.apply_defaults()
    return dict(bound.arguments)


class _ToolRun:
    """One call of a decorated tool: replayed from the cassette, or run and recorded."""

    def __init__(
        self, name: str, signature: inspect.Signature | None, args: tuple[Any, ...], kwargs: Any
    ) -> None:
        self.name = name
        self.session = current_session()
        self.arguments = _arguments(signature, args, kwargs) if self.session is not None else None
        self.started = time.perf_counter()

    def replayed(self) -> tuple[bool, Any]:
        """(True, recorded output) when the session replays tools, else (False, None)."""
        recorded = self.session.replayed_tool_call(self.name, self.arguments) if self.session else None
        if recorded is None:
            return False, None
        if recorded.error:
            raise RecordedToolError(recorded.error)
        return True, recorded.output

    def record(self, result: Any = None, error: BaseException | None = None) -> None:
        """Add the call to the trace; a failure of ours is logged and the tool's result still returned."""
        if self.session is not None:
            duration = _ms(self.started)
            try:
                self.session.record_tool_call(
                    self.name, self.arguments, result, error=error, duration_ms=duration
                )
            except Exception as exc:
                reason = f"tool {self.name}: {type(exc).__name__}: {exc}"
                log.warning("trace_ops could not record the call of %s", reason, exc_info=True)
                self.session.note_unrecorded(reason)


@overload
def tool(fn: F, *, name: str | None = None) -> F: ...
@overload
def tool(fn: None = None, *, name: str | None = None) -> Callable[[F], F]: ...


def tool(fn: Callable[..., Any] | None = None, *, name: str | None = None) -> Any:
    """Decorate a sync or async function so its calls become `tool_call` events."""

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        tool_name = name or func.__name__
        try:
            signature: inspect.Signature | None = inspect.signature(func)
        except (TypeError, ValueError):
            signature = None

        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                run = _ToolRun(tool_name, signature, args, kwargs)
                hit, output = run.replayed()
                if hit:
                    return output
                try:
                    result = await func(*args, **kwargs)
                except Exception as exc:
                    run.record(error=exc)
                    raise
                run.record(result)
                return result

            return async_wrapper

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            run = _ToolRun(tool_name, signature, args, kwargs)
            hit, output = run.replayed()
            if hit:
                return output
            try:
                result = func(*args, **kwargs)
            except Exception as exc:
                run.record(error=exc)
                raise
            run.record(result)
            return result

        return wrapper

    return decorate(fn) if fn is not None else decorate


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000.0
