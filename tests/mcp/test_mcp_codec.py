"""The two MCP event kinds in a cassette: round trip, scrubbing, and one-line errors for bad fields."""

from __future__ import annotations

import pytest

from trace_ops import CassetteError
from trace_ops.cassette import dumps_cassette, loads_cassette
from trace_ops.trace import McpRequest, McpToolCall, Trace


def sample() -> Trace:
    return Trace(
        events=[
            McpRequest(
                server="python srv.py",
                method="tools/list",
                params={"cursor": "c1"},
                result={"tools": [{"name": "search"}]},
                started_at="2026-12-01T00:00:00+00:00",
                duration_ms=1.5,
            ),
            McpToolCall(
                name="search",
                server="python srv.py",
                input={"query": "x"},
                output={"content": [{"type": "text", "text": "hit"}], "isError": False},
            ),
            McpToolCall(
                name="boom",
                server="python srv.py",
                input={},
                output=None,
                error="Method not found",
                rpc_error={"code": -32601, "message": "Method not found"},
            ),
        ]
    )


def test_mcp_events_round_trip() -> None:
    text = dumps_cassette(sample())
    loaded = loads_cassette(text)
    assert [type(e) for e in loaded.events] == [McpRequest, McpToolCall, McpToolCall]
    request, hit, boom = loaded.events
    assert isinstance(request, McpRequest) and request.result == {"tools": [{"name": "search"}]}
    assert isinstance(hit, McpToolCall) and hit.output == sample().events[1].output  # type: ignore[attr-defined]
    assert isinstance(boom, McpToolCall) and boom.rpc_error == {"code": -32601, "message": "Method not found"}
    assert loaded.trajectory == ["mcp:tools/list", "tool:search", "tool:boom"]
    assert [c.name for c in loaded.tool_calls] == ["search", "boom"]
    assert dumps_cassette(loaded) == text


def test_secrets_in_mcp_traffic_are_scrubbed() -> None:
    trace = Trace(
        events=[
            McpToolCall(
                name="login",
                server="srv",
                input={"api_key": "abc", "q": "sk-abcdef0123456789xyz"},
                output={"content": [{"type": "text", "text": "token sk-zyx9876543210abcdef"}]},
            )
        ]
    )
    text = dumps_cassette(trace)
    assert "sk-abcdef" not in text and "sk-zyx" not in text and "abc\n" not in text


@pytest.mark.parametrize(
    "event, message",
    [
        ("{type: mcp_tool_call, name: s}", "missing required field 'server'"),
        ("{type: mcp_tool_call, name: s, server: [1]}", "expected"),
        ("{type: mcp_request, server: s, method: m, result: [1, 2]}", "expected"),
        ("{type: mcp_request, server: s}", "missing required field 'method'"),
    ],
)
def test_bad_mcp_fields_are_one_line_errors(event: str, message: str) -> None:
    with pytest.raises(CassetteError) as info:
        loads_cassette(f"version: 1\nevents: [{event}]\n", "bad.yaml")
    assert message in str(info.value) and "\n" not in str(info.value) and "bad.yaml" in str(info.value)
