"""LangGraph (`intercept_langgraph=True`): graph and node runs as events, replayed offline.

A real `StateGraph` agent (an agent node calling ChatOpenAI, a `ToolNode`, a conditional
edge) and the prebuilt ReAct agent run against the fake server, in each run mode; then the
server is stopped and a `Replayer` (no flag) runs them again: the same final state, the same
streamed output and the same trajectory, graph and node runs recorded again.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypedDict

import pytest

pytest.importorskip("langgraph")

from langchain_core.messages import AnyMessage
from langchain_core.tools import tool
from langchain_openai import ChatOpenAI
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages
from langgraph.prebuilt import ToolNode

from trace_ops import GraphRun, NodeRun, Recorder, Replayer, diff_traces, load_cassette, save_cassette
from trace_ops.assertions import assert_trajectory
from trace_ops.testing import FakeLLMServer

QUESTION = "What is the capital of France?"
TOOL_RESULT = f"Paris is the capital of France (searched: {QUESTION})."
TRAJECTORY = [
    "graph:agent",
    "node:agent",
    "llm_call:gpt-4o",
    "node:tools",
    "tool:search",
    "node:agent",
    "llm_call:gpt-4o",
]
RAN: list[str] = []


@tool
def search(query: str) -> str:
    """Search the web."""
    RAN.append(query)
    return f"Paris is the capital of France (searched: {query})."


class State(TypedDict):
    messages: Annotated[list[AnyMessage], add_messages]


def build_graph(server: FakeLLMServer, *, review: bool = False) -> Any:
    """An agent node, a ToolNode and a conditional edge between them (`review`: a node more)."""
    model = ChatOpenAI(model="gpt-4o", base_url=server.openai_base_url, api_key="sk-test", max_retries=0)
    bound = model.bind_tools([search])

    def agent(state: State) -> dict[str, Any]:
        return {"messages": [bound.invoke(state["messages"])]}

    def route(state: State) -> str:
        return "tools" if state["messages"][-1].tool_calls else END  # type: ignore[attr-defined]

    graph = StateGraph(State)
    graph.add_node("agent", agent)
    graph.add_node("tools", ToolNode([search]))
    graph.add_edge(START, "agent")
    graph.add_conditional_edges("agent", route, ["tools", END])
    if review:
        graph.add_node("review", lambda state: {"messages": []})
        graph.add_edge("tools", "review")
        graph.add_edge("review", "agent")
    else:
        graph.add_edge("tools", "agent")
    return graph.compile(name="agent")


def plain(value: Any) -> Any:
    """Graph outputs without LangChain's per-run message ids, comparable across runs."""
    if isinstance(value, dict):
        return {
            k: plain(v)
            for k, v in value.items()
            if k not in ("id", "run_id", "checkpoint_ns", "langgraph_checkpoint_ns")
        }
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if hasattr(value, "model_dump"):
        return (type(value).__name__, plain(value.model_dump()))
    return value


INPUT = {"messages": [("user", QUESTION)]}


def run_invoke(graph: Any) -> Any:
    return graph.invoke(INPUT)


async def run_ainvoke(graph: Any) -> Any:
    return await graph.ainvoke(INPUT)


def streamer(mode: str) -> Callable[[Any], Any]:
    def run(graph: Any) -> Any:
        return list(graph.stream(INPUT, stream_mode=mode))

    run.__name__ = f"stream_{mode}"
    return run


def astreamer(mode: str) -> Callable[[Any], Any]:
    async def run(graph: Any) -> Any:
        return [chunk async for chunk in graph.astream(INPUT, stream_mode=mode)]

    run.__name__ = f"astream_{mode}"
    return run


RUNS = [
    run_invoke,
    run_ainvoke,
    streamer("values"),
    streamer("updates"),
    streamer("messages"),
    astreamer("updates"),
    astreamer("messages"),
]


async def call(run: Callable[[Any], Any], graph: Any) -> Any:
    result = run(graph)
    if hasattr(result, "__await__"):
        result = await result
    return result


def check_structure(trace: Any) -> None:
    """Nodes name their graph as parent; each LLM/tool call names the node it ran in."""
    assert trace.trajectory == TRAJECTORY
    events = trace.events
    graph = events[0]
    assert isinstance(graph, GraphRun) and graph.parent is None and graph.duration_ms is not None
    current = None
    for event in events[1:]:
        if isinstance(event, NodeRun):
            assert event.parent == graph.span_id and event.duration_ms is not None
            current = event
        else:
            assert current is not None and event.parent == current.span_id
    steps = [e.step for e in events if isinstance(e, NodeRun)]
    assert steps == [1, 2, 3]


@pytest.mark.parametrize("run", RUNS, ids=lambda r: r.__name__)
async def test_a_state_graph_agent_replays_offline(
    run: Callable[[Any], Any], fake_llm: FakeLLMServer, tmp_path: Path
) -> None:
    path = tmp_path / "graph.yaml"
    RAN.clear()
    async with Recorder(path, intercept_langgraph=True) as rec:
        live = await call(run, build_graph(fake_llm))
    served = fake_llm.request_count
    assert served == 2 and RAN == [QUESTION]
    check_structure(rec.trace)
    assert (
        rec.trace.total_llm_calls == 2
        and rec.trace.llm_calls[1].view.text == f"Based on the tool result: {TOOL_RESULT}"
    )
    fake_llm.stop()

    async with Replayer(path) as rep:  # no flag
        replayed = await call(run, build_graph(fake_llm))
    assert plain(replayed) == plain(live)
    assert rep.trace.trajectory == rec.trace.trajectory
    check_structure(rep.trace)
    assert rep.replayed_count == 2 and fake_llm.request_count == served
    if run is run_invoke:
        assert replayed["messages"][-1].content == f"Based on the tool result: {TOOL_RESULT}"


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore:create_react_agent has been moved")
def test_the_prebuilt_react_agent_replays_offline(fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    from langgraph.prebuilt import create_react_agent

    def agent(server: FakeLLMServer) -> Any:
        model = ChatOpenAI(model="gpt-4o", base_url=server.openai_base_url, api_key="sk-test", max_retries=0)
        return create_react_agent(model, [search], name="agent")

    path = tmp_path / "react.yaml"
    RAN.clear()
    with Recorder(path, intercept_langgraph=True) as rec:
        live = agent(fake_llm).invoke(INPUT)
    fake_llm.stop()
    with Replayer(path, replay_tools=True) as rep:
        replayed = agent(fake_llm).invoke(INPUT)
    assert RAN == [QUESTION]  # replay_tools: the tool did not run again
    assert plain(replayed) == plain(live)
    check_structure(rec.trace)
    assert rep.trace.trajectory == TRAJECTORY


def test_the_cassette_keeps_graph_and_node_runs(fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    path = tmp_path / "graph.yaml"
    with Recorder(path, intercept_langgraph=True) as rec:
        build_graph(fake_llm).invoke(INPUT)
    loaded = load_cassette(path)
    assert loaded.trajectory == TRAJECTORY
    kept = [(e.kind, getattr(e, "span_id", None), e.parent, getattr(e, "step", None)) for e in loaded.events]
    assert kept == [
        (e.kind, getattr(e, "span_id", None), e.parent, getattr(e, "step", None)) for e in rec.trace.events
    ]
    assert loaded.sdk_versions["langgraph"] and loaded.sdk_versions["langchain_core"]
    text = path.read_text()
    assert "type: graph\n" in text and "type: node\n" in text and "parent: s2\n" in text
    again = save_cassette(loaded, tmp_path / "again.yaml")
    assert again.read_text() == text  # round trip: the same bytes


def test_node_steps_in_the_assertions_and_the_diff(fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    with Recorder(tmp_path / "old.yaml", intercept_langgraph=True) as old:
        build_graph(fake_llm).invoke(INPUT)
    with Recorder(tmp_path / "new.yaml", intercept_langgraph=True) as new:
        build_graph(fake_llm, review=True).invoke(INPUT)

    assert_trajectory(old.trace, ["node:agent", "node:tools", "node:agent"])
    assert_trajectory(new.trace, ["node:tools", "node:review"], mode="in_order")
    with pytest.raises(AssertionError, match="node:agent → node:tools → node:review → node:agent"):
        assert_trajectory(new.trace, ["node:agent", "node:tools", "node:agent"])

    diff = diff_traces(old.trace, new.trace)
    assert diff.trajectory is not None  # a node that newly appears is a trajectory change
    assert [(e.op, e.new_label) for e in diff.trajectory.edits] == [("inserted", "node:review")]
    assert "node:review" in diff.summary()
    assert diff_traces(old.trace, load_cassette(tmp_path / "old.yaml")).trajectory is None


def test_graph_runs_do_not_count_twice_in_the_run_time(fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    with Recorder(tmp_path / "t.yaml", intercept_langgraph=True) as rec:
        build_graph(fake_llm).invoke(INPUT)
    calls = sum(e.duration_ms or 0.0 for e in rec.trace.events if not isinstance(e, (GraphRun, NodeRun)))
    assert rec.trace.total_duration_ms == pytest.approx(calls)
    assert rec.trace.events[0].duration_ms is not None and rec.trace.events[0].duration_ms >= calls * 0.5


def test_a_broken_node_event_is_one_line(tmp_path: Path) -> None:
    from trace_ops.errors import CassetteError

    path = tmp_path / "bad.yaml"
    path.write_text("version: 1\nevents:\n- type: node\n  span_id: s1\n- type: graph\n  name: [x]\n")
    with pytest.raises(CassetteError, match=r"bad\.yaml: events\[0\]: missing required field 'name'"):
        load_cassette(path)
    path.write_text("version: 1\nevents:\n- type: graph\n  name: g\n  parent: 3\n")
    with pytest.raises(CassetteError, match=r"events\[0\]\.parent: expected text"):
        load_cassette(path)


def test_a_subgraph_names_the_node_it_runs_in(fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    model = ChatOpenAI(model="gpt-4o", base_url=fake_llm.openai_base_url, api_key="sk-test", max_retries=0)

    def lookup(state: State) -> dict[str, Any]:
        return {"messages": [model.invoke(state["messages"])]}

    inner = StateGraph(State)
    inner.add_node("lookup", lookup)
    inner.add_edge(START, "lookup")
    outer = StateGraph(State)
    outer.add_node("research", inner.compile(name="inner"))
    outer.add_edge(START, "research")
    graph = outer.compile(name="outer")

    path = tmp_path / "sub.yaml"
    with Recorder(path, intercept_langgraph=True) as rec:
        live = graph.invoke(INPUT)
    assert rec.trace.trajectory == [
        "graph:outer",
        "node:research",
        "graph:inner",
        "node:lookup",
        "llm_call:gpt-4o",
    ]
    outer_run, research, inner_run, node, llm = rec.trace.events
    assert (research.parent, inner_run.parent, node.parent, llm.parent) == (
        outer_run.span_id,
        research.span_id,
        inner_run.span_id,
        node.span_id,
    )
    fake_llm.stop()
    with Replayer(path) as rep:
        assert plain(graph.invoke(INPUT)) == plain(live)
    assert rep.trace.trajectory == rec.trace.trajectory


def test_every_span_kind_round_trips(tmp_path: Path) -> None:
    from trace_ops import SpanRun, ToolCall, Trace

    events = [
        SpanRun(
            category="crew", name="crew", span_id="c1", duration_ms=5.0, started_at="2026-12-01T00:00:00Z"
        ),
        GraphRun(name="agent", span_id="s1", parent="c1", error="ValueError: x"),
        NodeRun(name="tools", span_id="s2", step=2, parent="s1", duration_ms=1.25),
        ToolCall(name="search", input={"q": "x"}, output="y", parent="s2"),
    ]
    path = save_cassette(Trace(events=events), tmp_path / "spans.yaml")
    loaded = load_cassette(path)
    fields = [
        (
            type(e).__name__,
            e.label,
            e.parent,
            getattr(e, "span_id", None),
            e.duration_ms,
            getattr(e, "error", None),
        )
        for e in loaded.events
    ]
    assert fields == [
        ("SpanRun", "crew:crew", None, "c1", 5.0, None),
        ("GraphRun", "graph:agent", "c1", "s1", None, "ValueError: x"),
        ("NodeRun", "node:tools", "s1", "s2", 1.25, None),
        ("ToolCall", "tool:search", "s2", None, None, None),
    ]
    assert loaded.events[2].step == 2  # type: ignore[attr-defined]
    assert save_cassette(loaded, tmp_path / "again.yaml").read_text() == path.read_text()
    assert loaded.total_duration_ms == 0.0  # spans contain their children: never summed
