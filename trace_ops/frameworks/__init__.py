"""Framework-level capture: LangChain chat models and tools, LangGraph graph and node runs,
CrewAI crew, task and agent runs.

Not in `trace_ops.interceptors`: an interceptor patches one SDK's request seam, always on while
a session runs, and knows nothing but that SDK. Framework capture is asked for per session
(`Recorder(intercept_langchain=True)`, or a cassette that holds its events), sits above the
SDKs (its calls own the SDK calls under them: one event per model call), and adds structure
events. Each framework is installed while at least one session wants it; the frameworks are
imported only then.
"""

from __future__ import annotations

import importlib.util
import threading
from collections import Counter
from collections.abc import Callable, Iterable

from trace_ops.errors import TraceOpsError
from trace_ops.trace import GraphRun, LLMCall, NodeRun, SpanRun, Trace

__all__ = ["acquire", "importable", "kinds_in", "release"]

#: What each framework's capture imports, and the extra that installs it.
_NEEDS = {
    "langchain": ("langchain_core", "langchain"),
    "langgraph": ("langchain_core", "langgraph"),
    "crewai": ("crewai", "crewai"),
}
#: The packages whose versions a cassette captured with each framework keeps (module, distribution).
_PACKAGES = {
    "langchain": (("langchain_core", "langchain-core"),),
    "langgraph": (("langchain_core", "langchain-core"), ("langgraph", "langgraph")),
    "crewai": (("crewai", "crewai"),),
}
#: The categories of `SpanRun` events each framework writes.
_SPAN_CATEGORIES = {"crewai": frozenset({"crew", "task", "agent"})}

#: The `provider:` of chat-model calls recorded at the LangChain layer.
LANGCHAIN_PROVIDER = "langchain"

_lock = threading.Lock()
_active: Counter[str] = Counter()


def kinds_in(trace: Trace) -> list[str]:
    """The frameworks `trace` was captured with (their versions in its header, or their events):
    replaying it captures them again."""
    kinds = []
    if _NEEDS["langchain"][0] in trace.sdk_versions or any(
        isinstance(e, LLMCall) and e.provider == LANGCHAIN_PROVIDER for e in trace.events
    ):
        kinds.append("langchain")
    if any(isinstance(e, (GraphRun, NodeRun)) for e in trace.events):
        kinds.append("langgraph")
    if "crewai" in trace.sdk_versions or any(
        isinstance(e, SpanRun) and e.category in _SPAN_CATEGORIES["crewai"] for e in trace.events
    ):
        kinds.append("crewai")
    return kinds


def importable(kind: str) -> bool:
    """Whether the framework `kind` capture needs is installed."""
    return importlib.util.find_spec(_NEEDS[kind][0]) is not None


def versions(kinds: Iterable[str]) -> dict[str, str]:
    """The versions of the frameworks captured, for the cassette's header (`sdk_versions`)."""
    from importlib.metadata import PackageNotFoundError, version

    out: dict[str, str] = {}
    for kind in kinds:
        for module, package in _PACKAGES[kind]:
            try:
                out[module] = version(package)
            except PackageNotFoundError:
                continue
    return out


def _installer(kind: str) -> tuple[Callable[[], None], Callable[[], None]]:
    if kind == "langchain":
        from trace_ops.frameworks import langchain

        return langchain.install, langchain.uninstall
    if kind == "crewai":
        from trace_ops.frameworks import crewai

        return crewai.install, crewai.uninstall
    from trace_ops.frameworks import langgraph

    return langgraph.install, langgraph.uninstall


def acquire(kinds: Iterable[str]) -> None:
    """A session wants these frameworks captured: install them (once however many sessions ask)."""
    with _lock:
        for kind in kinds:
            _active[kind] += 1
            if _active[kind] == 1:
                if not importable(kind):
                    _active[kind] -= 1
                    module, extra = _NEEDS[kind]
                    raise TraceOpsError(
                        f"intercept_{kind}=True needs {module}, which is not installed "
                        f"(pip install 'trace-ops[{extra}]')"
                    )
                install, _ = _installer(kind)
                install()


def release(kinds: Iterable[str]) -> None:
    """A session that wanted these ended: uninstall each when no session wants it any more."""
    with _lock:
        for kind in kinds:
            if _active[kind] <= 0:
                continue
            _active[kind] -= 1
            if _active[kind] == 0:
                _, uninstall = _installer(kind)
                uninstall()
