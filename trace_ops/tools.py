"""`@trace_ops.tool`: record a tool function's calls whenever a session is active.

In a `Replayer(..., replay_tools=True)` the recorded output is returned and the function is
not run at all, so tools with side effects (sending mail, writing files) stay quiet in CI.
"""

from __future__ import annotations

import functools
import inspect
import time
from collections.abc import Callable
from typing import Any, TypeVar, overload

from trace_ops.session import current_session

F = TypeVar("F", bound=Callable[..., Any])


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

        def replayed(arguments: Any) -> tuple[bool, Any]:
            session = current_session()
            if session is None:
                return False, None
            recorded = session.replayed_tool_call(tool_name, arguments)
            if recorded is None:
                return False, None
            if recorded.error:
                raise RecordedToolError(recorded.error)
            return True, recorded.output

        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                session = current_session()
                if session is None:
                    return await func(*args, **kwargs)
                arguments = _arguments(signature, args, kwargs)
                hit, output = replayed(arguments)
                if hit:
                    return output
                started = time.perf_counter()
                try:
                    result = await func(*args, **kwargs)
                except Exception as exc:
                    session.record_tool_call(tool_name, arguments, None, error=exc, duration_ms=_ms(started))
                    raise
                session.record_tool_call(tool_name, arguments, result, duration_ms=_ms(started))
                return result

            return async_wrapper

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            session = current_session()
            if session is None:
                return func(*args, **kwargs)
            arguments = _arguments(signature, args, kwargs)
            hit, output = replayed(arguments)
            if hit:
                return output
            started = time.perf_counter()
            try:
                result = func(*args, **kwargs)
            except Exception as exc:
                session.record_tool_call(tool_name, arguments, None, error=exc, duration_ms=_ms(started))
                raise
            session.record_tool_call(tool_name, arguments, result, duration_ms=_ms(started))
            return result

        return wrapper

    return decorate(fn) if fn is not None else decorate


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000.0
