"""CrewAI capture: crew kickoffs, task executions and agent executions as span events.

Patched, not observed on CrewAI's event bus: the bus runs synchronous handlers in a thread
pool, so their events would land in the trace out of order with the LLM calls they contain.
The wrappers run in the caller's thread, in order, and keep the current run in a context
variable (CrewAI copies the context into the threads it starts), which sessions stamp as
the `parent` of the calls made in it. CrewAI's LLM calls go through the OpenAI SDK (or
LiteLLM), whose interceptors record each once, and answer it on replay.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import itertools
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from trace_ops._seam import current_session
from trace_ops.frameworks import _parents
from trace_ops.trace import SpanRun, utc_now_iso

_current: contextvars.ContextVar[str | None] = contextvars.ContextVar("trace_ops_crewai_span", default=None)
_lock = threading.Lock()
_ids = itertools.count(1)
_patched: dict[tuple[type, str], Any] = {}


@contextlib.contextmanager
def _span(category: str, name: str) -> Iterator[None]:
    session = current_session()
    if session is None:
        yield
        return
    event = SpanRun(
        category=category,
        name=name,
        span_id=f"c{next(_ids)}",
        started_at=utc_now_iso(),
        parent=_parents.current(),
    )
    session.add(event, recorded=True)
    token = _current.set(event.span_id)
    started = time.perf_counter()
    try:
        yield
    except BaseException as exc:
        event.error = f"{type(exc).__name__}: {exc}"
        raise
    finally:
        event.duration_ms = (time.perf_counter() - started) * 1000.0
        _current.reset(token)


def _crew_name(crew: Any) -> str:
    return str(getattr(crew, "name", None) or "crew")


def _task_name(task: Any) -> str:
    name = getattr(task, "name", None)
    if name:
        return str(name)
    first = str(getattr(task, "description", "") or "task").strip().splitlines()[0]
    return first if len(first) <= 60 else first[:59] + "…"


def _agent_name(agent: Any) -> str:
    return str(getattr(agent, "role", None) or "agent")


def _sync(category: str, name_of: Callable[[Any], str]) -> Callable[[Any], Any]:
    def wrap(original: Any) -> Any:
        @functools.wraps(original)
        def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            with _span(category, name_of(self)):
                return original(self, *args, **kwargs)

        return wrapper

    return wrap


def _async(category: str, name_of: Callable[[Any], str]) -> Callable[[Any], Any]:
    def wrap(original: Any) -> Any:
        @functools.wraps(original)
        async def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            with _span(category, name_of(self)):
                return await original(self, *args, **kwargs)

        return wrapper

    return wrap


def install() -> None:
    """Wrap `Crew.kickoff` / `akickoff`, `Task._execute_core` / `_aexecute_core`,
    `Agent.execute_task` / `aexecute_task` (each only where this CrewAI has it)."""
    global _ids
    from crewai import Agent, Crew, Task

    table = (
        (Crew, "kickoff", _sync("crew", _crew_name)),
        (Crew, "akickoff", _async("crew", _crew_name)),
        (Task, "_execute_core", _sync("task", _task_name)),
        (Task, "_aexecute_core", _async("task", _task_name)),
        (Agent, "execute_task", _sync("agent", _agent_name)),
        (Agent, "aexecute_task", _async("agent", _agent_name)),
    )
    with _lock:
        if _patched:
            return
        _ids = itertools.count(1)
        for cls, name, wrap in table:
            original = cls.__dict__.get(name)
            if original is None:
                continue
            _patched[(cls, name)] = original
            setattr(cls, name, wrap(original))
        _parents.add(_current.get)


def uninstall() -> None:
    with _lock:
        for (cls, name), original in _patched.items():
            setattr(cls, name, original)
        _patched.clear()
        _parents.remove(_current.get)
