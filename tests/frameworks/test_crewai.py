"""CrewAI (`intercept_crewai=True`): crew, task and agent runs as events; replayed offline.

Runs in its own test group (`./dev test-crewai`, a venv of its own: crewai pins `openai<3`
and needs ~1 GB), which `.ci/run` runs when CrewAI installs in time; skipped elsewhere. A real
crew (two agents, two sequential tasks) calls the OpenAI SDK against the fake server; the
SDK interceptor records each LLM call once, then the crew replays with the server stopped.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any

import pytest

if importlib.util.find_spec("crewai") is not None:  # only in the CrewAI group's own process:
    # set elsewhere, OTEL_SDK_DISABLED would switch off the OpenTelemetry tests of the worker
    os.environ.setdefault("CREWAI_DISABLE_TELEMETRY", "true")  # no export to CrewAI's servers
    os.environ.setdefault("OTEL_SDK_DISABLED", "true")
    os.environ.setdefault("CREWAI_TRACING_ENABLED", "false")

crewai = pytest.importorskip("crewai")

from trace_ops import Recorder, Replayer, SpanRun, load_cassette  # noqa: E402
from trace_ops.testing import FakeLLMServer  # noqa: E402

TRAJECTORY = [
    "crew:crew",
    "task:Find the capital of France.",
    "agent:Researcher",
    "llm_call:gpt-4o",
    "task:Write one sentence about it.",
    "agent:Writer",
    "llm_call:gpt-4o",
]


def build_crew(server: FakeLLMServer) -> Any:
    llm = crewai.LLM(model="gpt-4o", base_url=server.openai_base_url, api_key="sk-test")
    researcher = crewai.Agent(role="Researcher", goal="Find facts", backstory="Careful.", llm=llm)
    writer = crewai.Agent(role="Writer", goal="Write clearly", backstory="Terse.", llm=llm)
    tasks = [
        crewai.Task(description="Find the capital of France.", expected_output="A city", agent=researcher),
        crewai.Task(description="Write one sentence about it.", expected_output="A sentence", agent=writer),
    ]
    return crewai.Crew(agents=[researcher, writer], tasks=tasks)


def outcome(result: Any) -> Any:
    return (result.raw, [t.raw for t in result.tasks_output])


def check_structure(trace: Any) -> None:
    """Tasks name the crew as parent, agents their task, each LLM call its agent."""
    assert trace.trajectory == TRAJECTORY
    crew, task1, agent1, call1, task2, agent2, call2 = trace.events
    assert crew.parent is None and isinstance(crew, SpanRun) and crew.duration_ms is not None
    assert task1.parent == task2.parent == crew.span_id
    assert (agent1.parent, agent2.parent) == (task1.span_id, task2.span_id)
    assert (call1.parent, call2.parent) == (agent1.span_id, agent2.span_id)


def test_a_crew_records_its_runs_and_replays_offline(fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    path = tmp_path / "crew.yaml"
    with Recorder(path, intercept_crewai=True) as rec:
        live = outcome(build_crew(fake_llm).kickoff())
    assert fake_llm.request_count == 2
    assert rec.trace.total_llm_calls == 2 and {c.provider for c in rec.trace.llm_calls} == {"openai"}
    assert live[0].startswith("Echo: ")
    check_structure(rec.trace)
    check_structure(load_cassette(path))
    fake_llm.stop()

    with Replayer(path) as rep:  # no flag: the cassette's crew events switch capture on
        replayed = outcome(build_crew(fake_llm).kickoff())
    assert replayed == live
    assert rep.replayed_count == 2
    check_structure(rep.trace)


async def test_kickoff_async_replays(fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    path = tmp_path / "crew-async.yaml"
    async with Recorder(path, intercept_crewai=True) as rec:
        live = outcome(await build_crew(fake_llm).kickoff_async())
    fake_llm.stop()
    async with Replayer(path) as rep:
        replayed = outcome(await build_crew(fake_llm).kickoff_async())
    assert replayed == live
    assert rep.trace.trajectory == rec.trace.trajectory == TRAJECTORY
