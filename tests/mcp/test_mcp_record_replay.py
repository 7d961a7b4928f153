"""MCP tool calls in the same cassette as the agent's LLM calls: a real stdio MCP server
(the `mcp` package's server API) recorded live, then replayed with the server never started."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import openai
import pytest

from trace_ops import CassetteMismatchError, Recorder, Replayer, load_cassette
from trace_ops.assertions import assert_tool_called
from trace_ops.diff import diff_traces
from trace_ops.testing import FakeLLMServer

mcp = pytest.importorskip("mcp")
from mcp import ClientSession, StdioServerParameters  # noqa: E402
from mcp.client.stdio import stdio_client  # noqa: E402

if sys.version_info < (3, 11):  # pragma: no cover
    from exceptiongroup import BaseExceptionGroup

SERVER = Path(__file__).with_name("mcp_server.py")


async def agent(
    llm: FakeLLMServer | None, started: Path, query: str = "Lyon", tool_query: str | None = None
) -> dict[str, Any]:
    """An agent that lists an MCP server's tools, asks the model, and calls the tool it picks."""
    params = StdioServerParameters(
        command=sys.executable, args=[str(SERVER)], env={"MCP_SERVER_STARTED": str(started)}
    )
    url = llm.openai_base_url if llm is not None else "http://127.0.0.1:9/v1"
    client = openai.AsyncOpenAI(base_url=url, api_key="sk-test-0123456789abcdef", max_retries=0)
    with open(os.devnull, "w") as quiet:
        async with stdio_client(params, errlog=quiet) as (read, write), ClientSession(read, write) as session:
            init = await session.initialize()
            listed = await session.list_tools()
            tools = [
                {"type": "function", "function": {"name": t.name, "description": t.description or "",
                                                  "parameters": t.input_schema}}
                for t in listed.tools if t.name == "search"
            ]
            reply = await client.chat.completions.create(
                model="gpt-4o", messages=[{"role": "user", "content": query}], tools=tools  # type: ignore[arg-type]
            )
            call = (reply.choices[0].message.tool_calls or [])[0]
            arguments = json.loads(call.function.arguments)  # type: ignore[union-attr]
            if tool_query is not None:
                arguments = {"query": tool_query}
            found = await session.call_tool(call.function.name, arguments)  # type: ignore[union-attr]
            failed = await session.call_tool("divide", {"a": 1, "b": 0})
            note = await session.read_resource("notes://today")
            prompt = await session.get_prompt("summarise", {"topic": query})
    return {
        "server": init.server_info.name,
        "tools": sorted(t.name for t in listed.tools),
        "found": found,
        "failed": failed,
        "note": note,
        "prompt": prompt,
    }


def leaves(error: BaseException) -> list[BaseException]:
    """The errors inside anyio's task-group wrappers."""
    if isinstance(error, BaseExceptionGroup):
        return [leaf for inner in error.exceptions for leaf in leaves(inner)]
    return [error]


@pytest.fixture
def started(tmp_path: Path) -> Path:
    return tmp_path / "server-started.txt"


async def test_mcp_calls_record_beside_llm_calls_and_replay_without_the_server(
    fake_llm: FakeLLMServer, tmp_path: Path, started: Path
) -> None:
    cassette = tmp_path / "mcp.trace.yaml"
    async with Recorder(save_to=str(cassette)) as rec:
        live = await agent(fake_llm, started)
    assert started.read_text() == "started\n"
    trace = rec.trace
    assert trace.trajectory == [
        "mcp:initialize", "mcp:tools/list", "llm_call:gpt-4o", "tool:search", "tool:divide",
        "mcp:resources/read", "mcp:prompts/get",
    ]
    search = trace.tool_calls[0]
    assert search.input == {"query": "Lyon"} and search.error is None
    assert trace.tool_calls[1].error == "Error executing tool divide"
    assert_tool_called(trace, "search")

    started.unlink()
    served = fake_llm.request_count
    fake_llm.stop()
    async with Replayer(str(cassette)) as rep:
        replayed = await agent(None, started)
    assert not started.exists(), "the MCP server was started during replay"
    assert fake_llm.request_count == served
    for key in ("server", "tools"):
        assert replayed[key] == live[key]
    for key in ("found", "failed", "note", "prompt"):
        assert type(replayed[key]) is type(live[key])  # the SDK's own types
        assert replayed[key].model_dump() == live[key].model_dump()
    assert rep.trace.trajectory == trace.trajectory
    assert not diff_traces(load_cassette(cassette), rep.trace).has_changes


async def test_the_cassette_reads_as_tool_calls_with_their_server(
    fake_llm: FakeLLMServer, tmp_path: Path, started: Path
) -> None:
    cassette = tmp_path / "mcp.trace.yaml"
    async with Recorder(save_to=str(cassette)):
        await agent(fake_llm, started)
    text = cassette.read_text()
    assert "type: mcp_tool_call" in text and "server: python mcp_server.py" in text
    assert "_meta" not in text and str(SERVER.parent) not in text  # portable: no absolute paths
    loaded = load_cassette(cassette)
    assert [c.name for c in loaded.tool_calls] == ["search", "divide"]


async def test_a_different_tool_argument_on_replay_is_a_mismatch_naming_the_cassette(
    fake_llm: FakeLLMServer, tmp_path: Path, started: Path
) -> None:
    cassette = tmp_path / "mcp.trace.yaml"
    async with Recorder(save_to=str(cassette)):
        await agent(fake_llm, started)
    fake_llm.stop()
    started.unlink()
    rep = Replayer(str(cassette))
    with pytest.raises(Exception) as info:  # the MCP SDK's own error, carrying our message
        async with rep:
            await agent(None, started, tool_query="Paris")
    assert not started.exists()
    (error,) = leaves(info.value)
    assert type(error).__module__.startswith("mcp")
    message = str(error)
    wanted = 'no recorded answer to MCP tools/call {"name": "search", "arguments": {"query": "Paris"}}'
    assert wanted in message
    assert str(cassette) in message
    (failure,) = rep.failures  # kept: the test fails even if the agent swallowed the error
    assert isinstance(failure, CassetteMismatchError) and str(cassette) in str(failure)


async def test_an_unrecorded_server_is_refused_on_replay(tmp_path: Path, started: Path) -> None:
    cassette = tmp_path / "empty.trace.yaml"
    async with Recorder(save_to=str(cassette)) as rec:
        rec.record_decision("nothing")
    with pytest.raises(CassetteMismatchError, match=r"MCP server 'python mcp_server\.py' was not recorded"):
        async with Replayer(str(cassette)):
            await agent(None, started)
    assert not started.exists()
