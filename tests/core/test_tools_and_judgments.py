"""`@tool`, tool replay without side effects, decisions and judgments as first-class events."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

import pytest

from trace_ops import (
    CassetteMismatchError,
    Judgment,
    RecordedToolError,
    Recorder,
    Replayer,
    load_cassette,
    tool,
)

SIDE_EFFECTS: list[str] = []


@tool
def send_email(to: str, body: str = "hi") -> dict[str, str]:
    SIDE_EFFECTS.append(to)
    return {"status": "sent", "to": to}


@tool(name="lookup")
async def lookup_user(user_id: int) -> list[str]:
    SIDE_EFFECTS.append(f"lookup {user_id}")
    return ["alice", str(user_id)]


@tool
def flaky(n: int) -> int:
    raise ValueError(f"bad {n}")


@dataclass
class Point:
    x: int
    y: int


@tool
def make_point(x: int) -> Point:
    return Point(x, x + 1)


def test_decorated_tools_record_sync_async_errors_and_objects(tmp_path: Path) -> None:
    SIDE_EFFECTS.clear()
    path = tmp_path / "tools.yaml"
    with Recorder(save_to=path) as rec:
        assert send_email("bob@example.com") == {"status": "sent", "to": "bob@example.com"}
        assert asyncio.run(lookup_user(7)) == ["alice", "7"]
        with pytest.raises(ValueError):
            flaky(3)
        assert make_point(2) == Point(2, 3)
        rec.record_decision("route", to="billing", confidence=0.9)
        rec.record_judgment(
            "helpfulness", verdict="pass", score=0.8, reasoning="Clear.\nConcise.", intent="help"
        )
    assert send_email("outside@example.com")["status"] == "sent"  # no session: just runs
    trace = load_cassette(path)
    assert trace.trajectory == [
        "tool:send_email",
        "tool:lookup",
        "tool:flaky",
        "tool:make_point",
        "decision:route",
        "judge:helpfulness",
    ]
    first = trace.tool_calls[0]
    assert first.input == {"to": "bob@example.com", "body": "hi"} and first.output == {
        "status": "sent",
        "to": "bob@example.com",
    }
    assert trace.tool_calls[2].error == "ValueError: bad 3"
    assert trace.tool_calls[3].output == {"x": 2, "y": 3}
    judgment = trace.events[-1]
    assert (
        isinstance(judgment, Judgment) and judgment.score == 0.8 and judgment.reasoning == "Clear.\nConcise."
    )
    assert "reasoning: |-\n" in path.read_text()


def test_replay_tools_returns_recorded_outputs_without_running(tmp_path: Path) -> None:
    path = tmp_path / "tools.yaml"
    with Recorder(save_to=path):
        send_email("bob@example.com")
        asyncio.run(lookup_user(7))
        with pytest.raises(ValueError):
            flaky(1)
    SIDE_EFFECTS.clear()
    with Replayer(path, replay_tools=True) as rep:
        assert send_email("bob@example.com") == {"status": "sent", "to": "bob@example.com"}
        assert asyncio.run(lookup_user(7)) == ["alice", "7"]
        with pytest.raises(RecordedToolError, match="ValueError: bad 1"):
            flaky(1)
        with pytest.raises(CassetteMismatchError, match="no recorded call of tool 'send_email'"):
            send_email("eve@example.com")
    assert SIDE_EFFECTS == []  # nothing ran
    assert rep.trace.trajectory[:3] == ["tool:send_email", "tool:lookup", "tool:flaky"]
    with Replayer(path):  # default: tools run for real, and are recorded in the run trace
        send_email("carol@example.com")
    assert SIDE_EFFECTS == ["carol@example.com"]


def test_diff_reports_changed_judgments() -> None:
    from trace_ops import Trace, diff_traces
    from trace_ops.trace import ToolCall

    old = Trace(events=[ToolCall(name="search"), Judgment(name="faithful", verdict="pass", score=0.9)])
    new = Trace(events=[ToolCall(name="search"), Judgment(name="faithful", verdict="fail", score=0.3)])
    diff = diff_traces(old, new)
    assert "Judge faithful changed (step 2): verdict pass → fail, score 0.9 → 0.3" in diff.summary()
    assert diff.to_dict()["judgment_changes"][0]["new_verdict"] == "fail"
    assert not diff.ignoring(["judgments"]).has_changes
    assert not diff_traces(old, old).has_changes
