"""LiveKit agents in text mode (no LiveKit server): an `AgentSession` with
`livekit-plugins-openai` against the fake server records through the OpenAI interceptor and
replays offline with the same `RunResult` events; `.judge(...)` verdicts replay too and are
recorded as judgment events. The real packages, in the first test leg (they need openai 3)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import openai
import pytest

if int(openai.__version__.split(".")[0]) < 3:  # the openai-2 leg: livekit-agents needs openai>=3
    pytest.skip("livekit-agents needs openai>=3 (tested in the first leg)", allow_module_level=True)

from livekit.agents import Agent, AgentSession, function_tool
from livekit.plugins import openai as lk_openai

from trace_ops import Judgment, Recorder, Replayer, load_cassette
from trace_ops.livekit import record_judgments
from trace_ops.testing import FakeLLMServer


class Assistant(Agent):
    def __init__(self) -> None:
        super().__init__(instructions="Be helpful.")

    @function_tool
    async def lookup_weather(self, location: str) -> str:
        """Look up the weather for a location."""
        return f"sunny in {location}"


def events(result: Any) -> list[tuple[str, dict[str, Any]]]:
    """The RunResult's events without what differs between runs (ids, clocks, metrics)."""
    return [
        (type(e).__name__, e.item.model_dump(exclude={"id", "created_at", "metrics"})) for e in result.events
    ]


async def conversation(base_url: str, intent: str) -> tuple[list[tuple[str, dict[str, Any]]], str | None]:
    llm = lk_openai.LLM(model="gpt-4o-mini", base_url=base_url, api_key="sk-test")
    async with AgentSession(llm=llm) as session:
        await session.start(Assistant())
        result = await session.run(user_input="What is the weather in Paris?")
        result.expect.next_event().is_function_call(name="lookup_weather")
        result.expect.next_event().is_function_call_output()
        message = result.expect.next_event().is_message(role="assistant")
        failure = None
        try:
            await message.judge(llm, intent=intent)
        except AssertionError as error:
            failure = str(error).splitlines()[0]
        return events(result), failure


@pytest.fixture(autouse=True)
def _judgments() -> Any:
    undo = record_judgments()
    yield
    undo()


def test_record_then_replay_offline_with_the_same_events(tmp_path: Path) -> None:
    path = tmp_path / "livekit.yaml"
    with FakeLLMServer() as server:
        url = server.openai_base_url
        with Recorder(save_to=path) as rec:
            live, failure = asyncio.run(conversation(url, "reports the weather"))
        served = len(server.requests)
    assert failure is None
    kinds = [kind for kind, _ in live]
    assert kinds == ["FunctionCallEvent", "FunctionCallOutputEvent", "ChatMessageEvent"]
    assert live[1][1]["output"] == "sunny in What is the weather in Paris?"
    assert rec.trace.total_llm_calls == served  # every request the agent made was recorded
    [judgment] = [e for e in rec.trace.events if isinstance(e, Judgment)]
    assert (judgment.name, judgment.verdict, judgment.intent) == (
        "livekit.judge",
        "pass",
        "reports the weather",
    )
    assert judgment.reasoning  # the judge's reason, from its check_intent call

    # the server is stopped: the replay is offline
    with Replayer(path) as replay:
        again, failure_again = asyncio.run(conversation(url, "reports the weather"))
    assert again == live and failure_again is None
    [replayed] = [e for e in replay.trace.events if isinstance(e, Judgment)]
    assert (replayed.verdict, replayed.reasoning) == (judgment.verdict, judgment.reasoning)
    saved = [e for e in load_cassette(path).events if isinstance(e, Judgment)]
    assert [(j.verdict, j.intent) for j in saved] == [("pass", "reports the weather")]
