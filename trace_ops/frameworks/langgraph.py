"""LangGraph capture: graph runs and node runs as events, parents of the calls made in them.

A LangChain callback handler, registered for every run while installed (LangChain's
`register_configure_hook`), gives all that is needed here: nothing is answered from the
cassette, only observed, so nothing of LangGraph is patched. A node run is the callback run
LangGraph tags `graph:step:<n>`; the graph run is that run's parent (a subgraph's parent is
the node it runs in), written when its first node starts. An LLM or tool call made inside a
node finds the node through the runnable config LangGraph puts in the context
(`metadata.langgraph_checkpoint_ns`, one per task): sessions stamp it as the event's parent.

On replay the same handler records the graph and node runs again: the calls are answered
from the cassette, the structure is the replayed run's own.
"""

from __future__ import annotations

import itertools
import threading
import time
from typing import Any
from uuid import UUID

from trace_ops._seam import current_session
from trace_ops.frameworks import _parents
from trace_ops.trace import GraphRun, NodeRun, utc_now_iso

_STEP_TAG = "graph:step:"
_lock = threading.Lock()
_handler: Any = None
_hooked = False


class _Started:
    __slots__ = ("clock", "name", "parent_run", "started_at")

    def __init__(self, name: str, parent_run: UUID | None) -> None:
        self.name = name
        self.parent_run = parent_run
        self.started_at = utc_now_iso()
        self.clock = time.perf_counter()


def _step(tags: list[str] | None) -> int | None:
    for tag in tags or ():
        if tag.startswith(_STEP_TAG):
            try:
                return int(tag[len(_STEP_TAG) :])
            except ValueError:
                return None
    return None


def _make_handler() -> Any:
    from langchain_core.callbacks import BaseCallbackHandler

    class GraphCapture(BaseCallbackHandler):  # type: ignore[misc]
        """Turns LangGraph's callback runs into `GraphRun` / `NodeRun` events."""

        run_inline = True  # in the caller's thread and order: a node is added before its calls
        raise_error = False

        def __init__(self) -> None:
            self.lock = threading.RLock()
            self.ids = itertools.count(1)
            self.chains: dict[UUID, _Started] = {}  # chain runs that may turn out to be graphs
            self.spans: dict[UUID, tuple[GraphRun | NodeRun, float]] = {}
            self.by_namespace: dict[str, str] = {}  # a task's checkpoint namespace -> its node's span id

        def parent_now(self) -> str | None:
            from langchain_core.runnables.config import var_child_runnable_config

            config = var_child_runnable_config.get()
            if not config:
                return None
            namespace = (config.get("metadata") or {}).get("langgraph_checkpoint_ns")
            return self.by_namespace.get(namespace) if isinstance(namespace, str) else None

        def on_chain_start(
            self,
            serialized: dict[str, Any] | None,
            inputs: Any,
            *,
            run_id: UUID,
            parent_run_id: UUID | None = None,
            tags: list[str] | None = None,
            metadata: dict[str, Any] | None = None,
            **kwargs: Any,
        ) -> None:
            name = str(kwargs.get("name") or (serialized or {}).get("name") or "graph")
            step = _step(tags)
            with self.lock:
                if step is None:
                    self.chains[run_id] = _Started(name, parent_run_id)
                    return
                session = current_session()
                if session is None:
                    return
                graph = self._graph(parent_run_id, session)
                metadata = metadata or {}
                node = NodeRun(
                    name=str(metadata.get("langgraph_node") or name),
                    span_id=f"s{next(self.ids)}",
                    step=step,
                    started_at=utc_now_iso(),
                    parent=graph,
                )
                self.spans[run_id] = (node, time.perf_counter())
                namespace = metadata.get("langgraph_checkpoint_ns")
                if isinstance(namespace, str):
                    self.by_namespace[namespace] = node.span_id  # type: ignore[assignment]
            session.add(node, recorded=True)

        def _graph(self, run: UUID | None, session: Any) -> str | None:
            """The span id of graph run `run`, added to the trace the first time a node of it starts."""
            if run is None:
                return None
            if run in self.spans:
                return self.spans[run][0].span_id
            started = self.chains.pop(run, None)
            if started is None:
                return None
            enclosing = self.spans.get(started.parent_run) if started.parent_run else None
            graph = GraphRun(
                name=started.name,
                span_id=f"s{next(self.ids)}",
                started_at=started.started_at,
                parent=enclosing[0].span_id if enclosing else None,
            )
            self.spans[run] = (graph, started.clock)
            session.add(graph, recorded=True)
            return graph.span_id

        def _ended(self, run_id: UUID, error: BaseException | None) -> None:
            with self.lock:
                self.chains.pop(run_id, None)
                span = self.spans.pop(run_id, None)
            if span is None:
                return
            event, clock = span
            event.duration_ms = (time.perf_counter() - clock) * 1000.0
            if error is not None and not _control_flow(error):
                event.error = f"{type(error).__name__}: {error}"

        def on_chain_end(self, outputs: Any, *, run_id: UUID, **kwargs: Any) -> None:
            self._ended(run_id, None)

        def on_chain_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
            self._ended(run_id, error)

    return GraphCapture()


def _control_flow(error: BaseException) -> bool:
    """LangGraph's interrupts and `Command` hand-offs travel as exceptions: not errors of a node."""
    try:
        from langgraph.errors import GraphBubbleUp
    except ImportError:  # pragma: no cover - langgraph is what sends these
        return False
    return isinstance(error, GraphBubbleUp)


class _Hook:
    """What `register_configure_hook` reads (`.get()`): the active handler, in every thread."""

    def get(self) -> Any:
        return _handler


def install() -> None:
    """Capture graph and node runs (needs langchain-core; LangGraph itself is not patched)."""
    global _handler, _hooked
    from langchain_core.tracers.context import register_configure_hook

    with _lock:
        if not _hooked:
            register_configure_hook(_Hook(), inheritable=True)  # type: ignore[arg-type]
            _hooked = True
        _handler = _make_handler()
        _parents.add(_handler.parent_now)


def uninstall() -> None:
    global _handler
    with _lock:
        if _handler is not None:
            _parents.remove(_handler.parent_now)
        _handler = None
