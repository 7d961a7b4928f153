"""The debugger's model without a terminal: the stops, moving among them, the keys, compare marks.

Runs are recorded here with the real OpenAI SDK over HTTP against the fake server.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openai
import pytest

from tests.cli.agents import TOOLS, record_agent
from trace_ops import Recorder, load_cassette
from trace_ops.debugger import DebugSession, paired_steps, search_text, steps_of
from trace_ops.testing import FakeLLMServer
from trace_ops.trace import LLMCall, ToolCall, Trace

FACT = "Paris has 2.1 million inhabitants."


def research_turn(client: openai.OpenAI, rec: Recorder, question: str, fact: str) -> None:
    """The model asks for `search`, the agent runs it and records it, the model answers."""
    messages: list[Any] = [{"role": "user", "content": question}]
    first = client.chat.completions.create(model="gpt-4o-mini", messages=messages, tools=TOOLS)
    call = first.choices[0].message.tool_calls[0]  # type: ignore[index]
    arguments = json.loads(call.function.arguments)  # type: ignore[union-attr]
    rec.record_tool_call("search", arguments, fact, call_id=call.id, duration_ms=3.0)
    messages += [
        first.choices[0].message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call.id, "content": fact},
    ]
    client.chat.completions.create(model="gpt-4o-mini", messages=messages)


def record_research(server: FakeLLMServer, path: Path, fact: str = FACT, *, extra_turn: bool = False) -> Path:
    """A research turn (LLM → search → LLM), optionally a second one, then a plain closing call."""
    client = openai.OpenAI(base_url=server.openai_base_url, api_key="sk-test", max_retries=0)
    with Recorder(save_to=path) as rec:
        research_turn(client, rec, "How many people live in Paris?", fact)
        if extra_turn:
            research_turn(client, rec, "And in Lyon?", "Lyon has 0.5 million inhabitants.")
        client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "Thanks!"}])
    return path


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Trace]:
    folder = tmp_path_factory.mktemp("debug-model")
    with FakeLLMServer() as server:
        paths = {
            "agent": record_agent(server, folder / "agent.yaml"),
            "v1": record_research(server, folder / "v1.yaml"),
            "v2": record_research(server, folder / "v2.yaml", "Paris has 2.2 million inhabitants."),
            "v3": record_research(server, folder / "v3.yaml", extra_turn=True),
        }
    return {name: load_cassette(path) for name, path in paths.items()}


def test_the_stops_are_the_events_in_order_or_only_the_tool_calls(runs: dict[str, Trace]) -> None:
    trace = runs["agent"]
    steps = steps_of(trace)
    assert [s.event for s in steps] == trace.events and [s.index for s in steps] == [0, 1, 2, 3]
    tools = steps_of(trace, tools_only=True)
    assert [(s.index, type(s.event)) for s in tools] == [(1, ToolCall)]


def test_moving_stops_at_both_ends_and_goto_checks_its_number(runs: dict[str, Trace]) -> None:
    session = DebugSession(steps_of(runs["agent"]))
    assert (session.where, session.prev()) == ("#1/4", False)
    assert session.next() and session.where == "#2/4"
    assert session.goto(4) and not session.next() and session.where == "#4/4"
    assert not session.goto(0) and not session.goto(5) and session.number == 4
    session.first()
    assert session.number == 1
    session.last()
    assert isinstance(session.current.event, LLMCall) and session.current.event.provider == "anthropic"


def test_search_goes_forward_from_the_current_step_and_wraps(runs: dict[str, Trace]) -> None:
    session = DebugSession(steps_of(runs["v1"]))
    assert session.search("2.1 MILLION") and session.where == "#2/4"  # the tool's output, any case
    assert session.search("2.1 million") and session.where == "#3/4"  # the prompt that carries it
    assert session.search("2.1 million") and session.where == "#2/4"  # round again from the top
    assert not session.search("Marseille") and session.where == "#2/4"
    assert "Paris has 2.1 million" in search_text(runs["v1"].events[1])


@pytest.mark.parametrize(
    ("typed", "action", "where", "says"),
    [
        ("", "step", "#2/4", ""),
        ("n", "step", "#2/4", ""),
        ("p", "message", "#1/4", "already at the first step (#1/4)"),
        ("g 3", "step", "#3/4", ""),
        ("g3", "step", "#3/4", ""),
        ("g 9", "message", "#1/4", "no step 9: steps are 1 to 4"),
        ("g x", "message", "#1/4", "g needs a step number from 1 to 4"),
        ("l", "step", "#4/4", ""),
        ("/thanks", "step", "#4/4", "found 'thanks' at #4/4"),
        ("/nowhere", "message", "#1/4", "no step holds 'nowhere'"),
        ("/", "message", "#1/4", "type /text to search"),
        ("?", "help", "#1/4", "g N        go to step N"),
        ("h", "help", "#1/4", "q          quit"),
        ("q", "quit", "#1/4", ""),
        ("xyzzy", "message", "#1/4", "unknown command 'xyzzy' (? shows the keys)"),
    ],
)
def test_each_key_does_what_the_help_says(
    runs: dict[str, Trace], typed: str, action: str, where: str, says: str
) -> None:
    session = DebugSession(steps_of(runs["v1"]))
    reply = session.handle(typed + "\n")
    assert (reply.action, session.where) == (action, where)
    assert says in reply.text


def test_a_bare_slash_repeats_the_last_search(runs: dict[str, Trace]) -> None:
    session = DebugSession(steps_of(runs["v1"]))
    session.handle("/million")
    reply = session.handle("/")
    assert (reply.action, session.where) == ("step", "#3/4")
    assert reply.text == "found 'million' at #3/4"


def test_compare_marks_only_the_steps_that_differ(runs: dict[str, Trace]) -> None:
    pairs = paired_steps(runs["v1"], runs["v2"])
    assert [p.status for p in pairs] == ["same", "changed", "changed", "same"]
    assert pairs[1].changes == ("tool output",)
    assert set(pairs[2].changes) == {"prompt", "response text"}
    assert all(p.old is not None and p.new is not None and p.old.index == p.new.index for p in pairs)


def test_compare_shows_a_run_that_took_more_steps_as_added_steps(runs: dict[str, Trace]) -> None:
    pairs = paired_steps(runs["v1"], runs["v3"])
    statuses = [p.status for p in pairs]
    assert statuses.count("added") == 3 and "removed" not in statuses
    added = [p.new.event.label for p in pairs if p.status == "added" and p.new is not None]
    assert sorted(added) == ["llm_call:gpt-4o-mini", "llm_call:gpt-4o-mini", "tool:search"]
    assert all(p.old is None for p in pairs if p.status == "added")
    tools = paired_steps(runs["v1"], runs["v3"], tools_only=True)
    assert [p.status for p in tools] == ["same", "added"]


def test_a_compare_search_looks_at_both_runs(runs: dict[str, Trace]) -> None:
    session = DebugSession(paired_steps(runs["v1"], runs["v2"]))
    assert session.search("2.2 million") and session.where == "#2/4"  # only the new run says 2.2


def test_identical_runs_compare_as_the_same_at_every_step(runs: dict[str, Trace]) -> None:
    pairs = paired_steps(runs["agent"], runs["agent"])
    assert [p.status for p in pairs] == ["same"] * 4 and not any(p.differs for p in pairs)
