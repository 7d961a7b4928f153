"""The data model: a Trace is an ordered list of Events from one agent run.

Events keep the provider's wire data (what the API actually sent) so replay is exact; the
provider-neutral view (served model, text, tool calls, usage) is derived from it on demand,
so each fact is stored once.

The model parses and prices nothing itself: that would tie it to every provider's wire
format and to the price data. `LLMCall.view` and `cost_usd` ask the functions given to
`derive_with`, which `import trace_ops` plugs in (`trace_ops.normalize.view_of`,
`trace_ops.cost.call_cost`); the layers above import the model, never the other way round.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar, overload

from trace_ops._time import utc_now_iso as utc_now_iso
from trace_ops._version import __version__

if TYPE_CHECKING:
    from trace_ops.view import ResponseView, Usage


def new_trace_id() -> str:
    return os.urandom(8).hex()


class Deferred:
    """A value made on first read. Recording keeps the SDK's wire bytes and parses them only if
    someone looks (or the cassette is saved): the agent's call does not wait for it."""

    __slots__ = ("args", "function")

    def __init__(self, function: Callable[..., Any], *args: Any) -> None:
        self.function = function
        self.args = args

    def make(self) -> Any:
        return self.function(*self.args)


class JSONText(Deferred):
    """JSON text parsed on first read; its `text` can be used as it is (replay sends it as the
    HTTP body without a parse and re-encode)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        super().__init__(json.loads, text)
        self.text = text


#: The `error.type` of a call trace_ops could not record (the live call went on without it).
NOT_RECORDED = "trace_ops.NotRecorded"

T = TypeVar("T")
_NO_DEFAULT: Any = object()


class LazyField(Generic[T]):
    """A dataclass field that may hold a `Deferred`, resolved (once) when first read."""

    def __init__(self, default: Any = _NO_DEFAULT) -> None:
        self.default = default
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> T: ...
    @overload
    def __get__(self, obj: object, owner: type | None = None) -> T: ...
    def __get__(self, obj: object | None, owner: type | None = None) -> T:
        if obj is None:  # the dataclass machinery asks the class for the default
            if self.default is _NO_DEFAULT:
                raise AttributeError(self.name)
            return self.default  # type: ignore[no-any-return]
        values = obj.__dict__
        value = values[self.name]
        if isinstance(value, Deferred):
            value = value.make()
            values[self.name] = value
        return value  # type: ignore[no-any-return]

    def __set__(self, obj: object, value: T | Deferred) -> None:
        obj.__dict__[self.name] = value


@dataclass(eq=False)
class Event:
    """Base of all events. `kind` is the cassette's `type:` value."""

    kind: ClassVar[str] = "event"
    started_at: str | None = field(default=None, kw_only=True)
    duration_ms: float | None = field(default=None, kw_only=True)
    #: The `span_id` of the graph/node run this event happened in (framework capture), or None.
    parent: str | None = field(default=None, kw_only=True)

    @property
    def label(self) -> str:
        """The step label used in trajectories (e.g. `llm_call:gpt-4o`, `tool:search`)."""
        return self.kind


@dataclass(eq=False)
class LLMCall(Event):
    """One request to an LLM provider and its outcome.

    Exactly one of `response` (non-streamed wire JSON), `stream` (the raw SSE body, chunk
    by chunk as the provider sent it) or `error` (the call failed without an HTTP answer)
    describes the outcome; `status` is the HTTP status of `response`/`stream`.
    """

    kind: ClassVar[str] = "llm_call"
    provider: str
    endpoint: str
    request: LazyField[dict[str, Any]] = LazyField()
    fingerprint: str = ""
    response: LazyField[Any] = LazyField(default=None)
    stream: str | None = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    error: dict[str, str] | None = None
    ttft_ms: float | None = None
    incomplete: bool = False
    _view: ResponseView | None = field(default=None, init=False, repr=False)

    @property
    def model(self) -> str | None:
        """The model the caller asked for."""
        model = self.request.get("model")
        return model if isinstance(model, str) else None

    @property
    def is_stream(self) -> bool:
        return self.stream is not None

    @property
    def not_recorded(self) -> str | None:
        """Why trace_ops could not record this call (its live answer went to the agent), or None.

        Kept in the cassette as `error: {type: trace_ops.NotRecorded}`: a replay that reaches
        this call fails with that reason instead of answering it.
        """
        error = self.error
        if error is None or error.get("type") != NOT_RECORDED:
            return None
        return error.get("message", "")

    @property
    def failed(self) -> bool:
        """No HTTP answer (`error`) or an HTTP error status: the call failed (and is not billed)."""
        return self.error is not None or self.status >= 400

    @property
    def view(self) -> ResponseView:
        """Provider-neutral view of the outcome (text, tool calls, usage), computed once."""
        view = self._view
        if view is None:
            view = self._view = _view_of(self)
        return view

    def invalidate_view(self) -> None:
        """Forget the cached view (a stream that was still arriving has grown)."""
        self._view = None

    @property
    def served_model(self) -> str | None:
        return self.view.model or self.model

    @property
    def usage(self) -> Usage | None:
        return self.view.usage

    @property
    def label(self) -> str:
        return f"llm_call:{self.served_model or self.model or self.endpoint}"

    @property
    def cost_usd(self) -> float | None:
        """Cost in USD (genai-prices or `register_price`); None when it cannot be priced."""
        return _cost_of(self)


@dataclass(eq=False)
class HTTPCall(LLMCall):
    """An HTTP exchange with a URL that is no known LLM endpoint, recorded by the HTTP-level
    fallback (`intercept_http=True`): `endpoint` is `METHOD host/path`, `request` holds the
    method, URL, query and body. An `LLMCall` only so it replays through the same matching,
    scrubbing and record modes; it is not an LLM call (`Trace.llm_calls`, tokens and cost leave it out)."""

    kind: ClassVar[str] = "http_call"

    @property
    def label(self) -> str:
        return f"http:{self.endpoint}"

    @property
    def cost_usd(self) -> float | None:
        return 0.0  # no tokens were bought


@dataclass(eq=False)
class ToolCall(Event):
    """A tool the agent ran (recorded by `record_tool_call` or the `@tool` decorator)."""

    kind: ClassVar[str] = "tool_call"
    name: str
    input: Any = None
    output: Any = None
    error: str | None = None
    call_id: str | None = None

    @property
    def label(self) -> str:
        return f"tool:{self.name}"


@dataclass(eq=False)
class McpToolCall(ToolCall):
    """An MCP `tools/call` the agent's MCP client made: a tool call to the diff and the assertions.

    `output` is the server's result as it came over the wire (`content`, `isError`, ...);
    `rpc_error` the JSON-RPC error when the server refused the call."""

    kind: ClassVar[str] = "mcp_tool_call"
    server: str = ""
    rpc_error: dict[str, Any] | None = None


@dataclass(eq=False)
class McpRequest(Event):
    """Any other request of an MCP client (`initialize`, `tools/list`, `resources/read`, ...)."""

    kind: ClassVar[str] = "mcp_request"
    server: str
    method: str
    params: Any = None
    result: Any = None
    rpc_error: dict[str, Any] | None = None

    @property
    def label(self) -> str:
        return f"mcp:{self.method}"


@dataclass(eq=False)
class AgentDecision(Event):
    """A routing, delegation or planning step the agent took."""

    kind: ClassVar[str] = "agent_decision"
    decision: str
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"decision:{self.decision}"


@dataclass(eq=False)
class ErrorEvent(Event):
    """An exception the agent raised while recording."""

    kind: ClassVar[str] = "error"
    error_type: str
    message: str = ""

    @property
    def label(self) -> str:
        return f"error:{self.error_type}"


@dataclass(eq=False)
class Judgment(Event):
    """An evaluation of the agent's work (an LLM judge, a rubric, a human label)."""

    kind: ClassVar[str] = "judgment"
    name: str
    verdict: str | None = None
    score: float | None = None
    reasoning: str | None = None
    intent: str | None = None

    @property
    def label(self) -> str:
        return f"judge:{self.name}"


@dataclass(eq=False)
class GraphRun(Event):
    """A graph (LangGraph `Pregel`) run: started when its first node started, timed to its end.

    One event per run, not a start and an end event: the trajectory then reads as the steps
    taken (`graph:agent → node:agent → …`) and the diff aligns one step per run."""

    kind: ClassVar[str] = "graph"
    name: str
    span_id: str | None = None
    error: str | None = None

    @property
    def label(self) -> str:
        return f"graph:{self.name}"


@dataclass(eq=False)
class NodeRun(Event):
    """One node of a graph run (a LangGraph task): the LLM and tool calls made in it name its
    `span_id` as their `parent`. `step` is the graph's superstep."""

    kind: ClassVar[str] = "node"
    name: str
    span_id: str | None = None
    step: int | None = None
    error: str | None = None

    @property
    def label(self) -> str:
        return f"node:{self.name}"


@dataclass(eq=False)
class SpanRun(Event):
    """A framework run that contains others (a CrewAI crew kickoff, task or agent execution):
    `category` is what it is (`crew`, `task`, `agent`), the calls made in it name its `span_id`."""

    kind: ClassVar[str] = "span"
    category: str
    name: str
    span_id: str | None = None
    error: str | None = None

    @property
    def label(self) -> str:
        return f"{self.category}:{self.name}"


#: Events that span others (their durations contain their children's): not summed into totals.
SPAN_TYPES: tuple[type[Event], ...] = (GraphRun, NodeRun, SpanRun)


# ---------------------------------------------------------------- what the model asks the layers above


def _not_plugged(call: LLMCall) -> Any:
    raise RuntimeError("trace_ops.trace: no view parser or pricer plugged in (import trace_ops does it)")


_view_of: Callable[[LLMCall], ResponseView] = _not_plugged
_cost_of: Callable[[LLMCall], float | None] = _not_plugged


def derive_with(*, view: Callable[[LLMCall], ResponseView], cost: Callable[[LLMCall], float | None]) -> None:
    """Plug in how a call's neutral view and its USD cost are computed (`import trace_ops` does)."""
    global _view_of, _cost_of
    _view_of, _cost_of = view, cost


EVENT_TYPES: dict[str, type[Event]] = {
    cls.kind: cls
    for cls in (
        LLMCall,
        HTTPCall,
        ToolCall,
        AgentDecision,
        ErrorEvent,
        Judgment,
        McpToolCall,
        McpRequest,
        GraphRun,
        NodeRun,
        SpanRun,
    )
}


@dataclass(eq=False)
class Trace:
    """An agent run: ordered events plus where and with what it was recorded."""

    events: list[Event] = field(default_factory=list)
    id: str = field(default_factory=new_trace_id)
    created_at: str = field(default_factory=utc_now_iso)
    trace_ops_version: str = __version__
    sdk_versions: dict[str, str] = field(default_factory=dict)
    price_data: str | None = None
    tags: list[str] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def llm_calls(self) -> list[LLMCall]:
        return [e for e in self.events if isinstance(e, LLMCall) and not isinstance(e, HTTPCall)]

    @property
    def http_calls(self) -> list[HTTPCall]:
        """Plain HTTP exchanges the HTTP-level fallback recorded (no LLM endpoint)."""
        return [e for e in self.events if isinstance(e, HTTPCall)]

    @property
    def exchanges(self) -> list[LLMCall]:
        """Every recorded request a replay may answer: LLM calls and plain HTTP exchanges, in order."""
        return [e for e in self.events if isinstance(e, LLMCall)]

    @property
    def tool_calls(self) -> list[ToolCall]:
        return [e for e in self.events if isinstance(e, ToolCall)]

    @property
    def total_llm_calls(self) -> int:
        return sum(1 for e in self.events if isinstance(e, LLMCall) and not isinstance(e, HTTPCall))

    @property
    def total_tool_calls(self) -> int:
        return sum(1 for e in self.events if isinstance(e, ToolCall))

    @property
    def total_tokens(self) -> int:
        """Input + output tokens over the calls that reported usage."""
        total = 0
        for call in self.llm_calls:
            usage = call.usage
            if usage is not None:
                total += usage.total_tokens
        return total

    @property
    def total_cost_usd(self) -> float | None:
        """Cost in USD: the sum of the call costs; None if any is unknown (unknown is not zero)."""
        total = 0.0
        for call in self.llm_calls:
            usd = _cost_of(call)
            if usd is None:
                return None
            total += usd
        return total

    @property
    def total_duration_ms(self) -> float:
        return sum(e.duration_ms or 0.0 for e in self.events if not isinstance(e, SPAN_TYPES))

    @property
    def trajectory(self) -> list[str]:
        """The run as step labels, e.g. `["llm_call:gpt-4o", "tool:search", "llm_call:gpt-4o"]`."""
        return [e.label for e in self.events]

    def __len__(self) -> int:
        return len(self.events)

    def __repr__(self) -> str:
        return (
            f"Trace(id={self.id!r}, events={len(self.events)}, llm_calls={self.total_llm_calls}, "
            f"tool_calls={self.total_tool_calls})"
        )
