"""LangChain at the `BaseChatModel` layer (`intercept_langchain=True`): record, then replay offline.

Two kinds of chat model: a local one with no SDK under it (`ScriptedChat` below, and
langchain-core's own `GenericFakeChatModel`), which only this layer can record, and
ChatOpenAI / ChatAnthropic over the patched SDKs against the fake server, where the one-owner
rule must still give one event per model call. Replay runs with a model that fails if called
(or the server stopped) and must return messages equal to the live ones, field for field.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("langchain_core")

from langchain_anthropic import ChatAnthropic
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.tools import tool
from langchain_core.utils.function_calling import convert_to_openai_tool
from langchain_openai import ChatOpenAI

from trace_ops import Recorder, Replayer, load_cassette
from trace_ops.errors import TraceOpsError
from trace_ops.testing import FakeLLMServer

USAGE = {"input_tokens": 7, "output_tokens": 3, "total_tokens": 10}
LIVE_CALLS: list[str] = []  # what ScriptedChat really answered (a replayed call adds nothing)


class ScriptedChat(BaseChatModel):
    """A local chat model (no provider SDK under it): calls the first bound tool on a question,
    answers a tool result, echoes otherwise; with usage and response metadata. `broken=True`
    raises if it is really called (a replay must not reach it)."""

    broken: bool = False

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> Any:
        params = super()._get_ls_params(stop=stop, **kwargs)
        params["ls_model_name"] = "scripted-1"
        return params

    def _reply(self, messages: list[BaseMessage], tools: list[dict[str, Any]]) -> AIMessage:
        if self.broken:
            raise AssertionError("the model was called on replay")
        last = messages[-1]
        LIVE_CALLS.append(str(last.content))
        metadata = {"model_name": "scripted-1"}
        if isinstance(last, ToolMessage):
            return AIMessage(
                content=f"Based on the tool result: {last.content}",
                usage_metadata=USAGE,  # type: ignore[arg-type]
                response_metadata={**metadata, "finish_reason": "stop"},
            )
        if tools:
            name = tools[0]["function"]["name"]
            return AIMessage(
                content="",
                tool_calls=[{"name": name, "args": {"query": str(last.content)}, "id": "call_1"}],
                usage_metadata=USAGE,  # type: ignore[arg-type]
                response_metadata={**metadata, "finish_reason": "tool_calls"},
            )
        return AIMessage(
            content=f"Echo: {last.content}",
            usage_metadata=USAGE,  # type: ignore[arg-type]
            response_metadata={**metadata, "finish_reason": "stop"},
        )

    def _generate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kwargs: Any
    ) -> ChatResult:
        reply = self._reply(messages, kwargs.get("tools") or [])
        return ChatResult(
            generations=[ChatGeneration(message=reply)], llm_output={"model_name": "scripted-1"}
        )

    def _stream(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kwargs: Any
    ) -> Iterator[ChatGenerationChunk]:
        reply = self._reply(messages, kwargs.get("tools") or [])
        words = str(reply.content).split(" ")
        for i, word in enumerate(words):
            last = i == len(words) - 1
            chunk = ChatGenerationChunk(
                message=AIMessageChunk(
                    content=word if last else word + " ",
                    usage_metadata=reply.usage_metadata if last else None,
                    response_metadata=reply.response_metadata if last else {},
                    tool_call_chunks=[
                        {
                            "name": c["name"],
                            "args": json.dumps(c["args"]),
                            "id": c["id"],
                            "index": 0,
                        }
                        for c in reply.tool_calls
                    ]
                    if last
                    else [],
                )
            )
            if run_manager is not None:
                run_manager.on_llm_new_token(chunk.text, chunk=chunk)
            yield chunk

    def bind_tools(self, tools: Any, **kwargs: Any) -> Any:
        return self.bind(tools=[convert_to_openai_tool(t) for t in tools], **kwargs)


def same(a: Any, b: Any) -> None:
    """Messages equal in every field but LangChain's per-run id (`lc_run--<uuid>`)."""
    if isinstance(a, list):
        assert [type(m) for m in a] == [type(m) for m in b]
        for x, y in zip(a, b, strict=True):
            same(x, y)
        return
    assert type(a) is type(b)
    assert a.model_dump(exclude={"id"}) == b.model_dump(exclude={"id"})


# ------------------------------------------------------------------ a chat model with no SDK under it


def run_all(model: BaseChatModel) -> dict[str, Any]:
    """Every sync surface: invoke, stream, batch, and a `bind_tools` binding."""
    return {
        "invoke": model.invoke("hello"),
        "stream": list(model.stream("stream me please")),
        "batch": model.batch(["one", "two"]),
        "tools": model.bind_tools([search]).invoke("capital of France?"),
    }


async def arun_all(model: BaseChatModel) -> dict[str, Any]:
    return {
        "ainvoke": await model.ainvoke("hello"),
        "astream": [chunk async for chunk in model.astream("stream me please")],
        "abatch": await model.abatch(["one", "two"]),
    }


@tool
def search(query: str) -> str:
    """Search the web."""
    return f"Paris is the capital of France (searched: {query})."


def test_a_local_chat_model_records_and_replays_every_surface(tmp_path: Path) -> None:
    path = tmp_path / "local.yaml"
    LIVE_CALLS.clear()
    with Recorder(path, intercept_langchain=True) as rec:
        live = run_all(ScriptedChat())
    assert len(LIVE_CALLS) == 5
    assert rec.trace.total_llm_calls == 5
    assert {c.provider for c in rec.trace.llm_calls} == {"langchain"}
    assert rec.trace.trajectory == ["llm_call:scripted-1"] * 5
    streamed = rec.trace.llm_calls[1]
    assert streamed.is_stream and streamed.view.text == "Echo: stream me please"
    assert rec.trace.llm_calls[0].usage is not None and rec.trace.llm_calls[0].usage.total_tokens == 10
    assert [(c.name, c.arguments) for c in rec.trace.llm_calls[4].view.tool_calls] == [
        ("search", {"query": "capital of France?"})
    ]

    with Replayer(path) as rep:  # no flag: the cassette's langchain calls switch the layer on
        replayed = run_all(ScriptedChat(broken=True))
    assert len(LIVE_CALLS) == 5
    for key in live:
        same(live[key], replayed[key])
    assert replayed["tools"].tool_calls[0]["args"] == {"query": "capital of France?"}
    assert replayed["invoke"].usage_metadata == USAGE
    assert replayed["invoke"].response_metadata["model_name"] == "scripted-1"
    assert rep.replayed_count == 5 and rep.trace.trajectory == rec.trace.trajectory


async def test_a_local_chat_model_async_surfaces(tmp_path: Path) -> None:
    path = tmp_path / "local-async.yaml"
    async with Recorder(path, intercept_langchain=True) as rec:
        live = await arun_all(ScriptedChat())
    assert rec.trace.total_llm_calls == 4
    async with Replayer(path) as rep:
        replayed = await arun_all(ScriptedChat(broken=True))
    for key in live:
        same(live[key], replayed[key])
    assert rep.replayed_count == 4


def test_langchain_cores_fake_chat_model_replays_what_it_said(tmp_path: Path) -> None:
    path = tmp_path / "fake.yaml"
    with Recorder(path, intercept_langchain=True):
        model = GenericFakeChatModel(
            messages=iter([AIMessage(content="first answer"), AIMessage(content="a b c")])
        )
        live = [model.invoke("q1"), list(model.stream("q2"))]
    with Replayer(path):
        empty = GenericFakeChatModel(messages=iter([]))  # would raise StopIteration if called
        replayed = [empty.invoke("q1"), list(empty.stream("q2"))]
    same(live[0], replayed[0])
    same(live[1], replayed[1])
    assert [c.content for c in replayed[1]] == ["a", " ", "b", " ", "c"]


def test_a_replayed_stream_fires_the_callbacks_a_live_one_does(tmp_path: Path) -> None:
    class Tokens(BaseCallbackHandler):
        def __init__(self) -> None:
            self.tokens: list[str] = []
            self.ends = 0

        def on_llm_new_token(self, token: str, **kwargs: Any) -> None:
            self.tokens.append(token)

        def on_llm_end(self, response: Any, **kwargs: Any) -> None:
            self.ends += 1

    path = tmp_path / "callbacks.yaml"
    live, replayed = Tokens(), Tokens()
    with Recorder(path, intercept_langchain=True):
        ScriptedChat().invoke("a b", {"callbacks": [live]}, stream=True)
    with Replayer(path):
        ScriptedChat(broken=True).invoke("a b", {"callbacks": [replayed]}, stream=True)
    assert live.tokens == replayed.tokens and live.tokens[:3] == ["Echo: ", "a ", "b"]
    assert live.ends == replayed.ends == 1


def test_a_changed_prompt_is_a_mismatch_not_a_wrong_answer(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    with Recorder(path, intercept_langchain=True):
        ScriptedChat().invoke("hello")
    with Replayer(path), pytest.raises(TraceOpsError, match=r"goodbye"):
        ScriptedChat(broken=True).invoke("goodbye")


def test_a_failed_call_replays_as_an_error(tmp_path: Path) -> None:
    path = tmp_path / "failed.yaml"
    with Recorder(path, intercept_langchain=True), pytest.raises(AssertionError):
        ScriptedChat(broken=True).invoke("hello")
    (call,) = load_cassette(path).llm_calls
    assert call.error is not None and call.error["type"] == "AssertionError"
    with Replayer(path), pytest.raises(Exception, match="AssertionError: the model was called on replay"):
        ScriptedChat().invoke("hello")


# ------------------------------------------------------------------ over a patched SDK: one event per call


def openai_chat(server: FakeLLMServer, **kwargs: Any) -> ChatOpenAI:
    return ChatOpenAI(
        model="gpt-4o", base_url=server.openai_base_url, api_key="sk-test", max_retries=0, **kwargs
    )


def anthropic_chat(server: FakeLLMServer) -> ChatAnthropic:
    return ChatAnthropic(  # type: ignore[call-arg]
        model="claude-sonnet-4-5", base_url=server.anthropic_base_url, api_key="sk-ant-test", max_retries=0
    )


@pytest.mark.parametrize("make", [openai_chat, anthropic_chat], ids=["ChatOpenAI", "ChatAnthropic"])
def test_over_a_patched_sdk_each_model_call_is_one_event(
    make: Any, fake_llm: FakeLLMServer, tmp_path: Path
) -> None:
    path = tmp_path / "sdk.yaml"
    with Recorder(path, intercept_langchain=True) as rec:
        model = make(fake_llm)
        live = [
            model.invoke("What is 2+2?"),
            list(model.stream("Stream this")),
            model.bind_tools([search]).invoke("capital of France?"),
        ]
    assert fake_llm.request_count == 3
    assert rec.trace.total_llm_calls == 3  # the SDK calls under them passed through
    assert [c.provider for c in rec.trace.llm_calls] == ["langchain"] * 3
    assert load_cassette(path).total_llm_calls == 3
    assert live[0].content == "Echo: What is 2+2?"
    assert live[2].tool_calls[0]["name"] == "search"
    assert rec.trace.llm_calls[0].usage is not None and rec.trace.llm_calls[0].usage.input_tokens > 0
    fake_llm.stop()

    with Replayer(path) as rep:
        model = make(fake_llm)
        replayed = [
            model.invoke("What is 2+2?"),
            list(model.stream("Stream this")),
            model.bind_tools([search]).invoke("capital of France?"),
        ]
    same(live[0], replayed[0])
    same(live[1], replayed[1])
    same(live[2], replayed[2])
    assert rep.replayed_count == 3 and rep.trace.total_llm_calls == 3


def test_without_the_flag_the_sdk_records_the_call(fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    with Recorder(tmp_path / "plain.yaml") as rec:
        openai_chat(fake_llm).invoke("hi")
    assert [c.provider for c in rec.trace.llm_calls] == ["openai"]


# ------------------------------------------------------------------ tools


def test_tool_runs_are_tool_events_and_replay_without_running(tmp_path: Path) -> None:
    ran: list[str] = []

    @tool
    def lookup(query: str) -> str:
        """Look something up."""
        ran.append(query)
        return f"found {query}"

    path = tmp_path / "tools.yaml"
    call = {"name": "lookup", "args": {"query": "x"}, "id": "call_9", "type": "tool_call"}
    with Recorder(path, intercept_langchain=True) as rec:
        live = [
            lookup.invoke({"query": "plain"}),
            lookup.invoke(call),
            asyncio.run(lookup.ainvoke({"query": "a"})),
        ]
    assert ran == ["plain", "x", "a"]
    assert [(t.name, t.input, t.output) for t in rec.trace.tool_calls] == [
        ("lookup", {"query": "plain"}, "found plain"),
        ("lookup", {"query": "x"}, "found x"),
        ("lookup", {"query": "a"}, "found a"),
    ]
    assert rec.trace.tool_calls[1].call_id == "call_9"
    assert all(t.duration_ms is not None for t in rec.trace.tool_calls)

    with Replayer(path, replay_tools=True) as rep:
        replayed = [
            lookup.invoke({"query": "plain"}),
            lookup.invoke(call),
            asyncio.run(lookup.ainvoke({"query": "a"})),
        ]
    assert ran == ["plain", "x", "a"]  # not run again
    assert replayed[0] == live[0] and replayed[2] == live[2]
    assert isinstance(replayed[1], ToolMessage)
    assert (replayed[1].content, replayed[1].tool_call_id, replayed[1].name) == (
        "found x",
        "call_9",
        "lookup",
    )
    assert rep.trace.trajectory == ["tool:lookup"] * 3


def test_a_failing_tool_is_recorded_with_its_error(tmp_path: Path) -> None:
    @tool
    def broken(query: str) -> str:
        """Always fails."""
        raise RuntimeError("backend down")

    with Recorder(tmp_path / "t.yaml", intercept_langchain=True) as rec, pytest.raises(RuntimeError):
        broken.invoke({"query": "x"})
    (event,) = rec.trace.tool_calls
    assert event.error == "RuntimeError: backend down"


# ------------------------------------------------------------------ switched on and off


def test_capture_is_off_after_the_session(tmp_path: Path) -> None:
    with Recorder(tmp_path / "a.yaml", intercept_langchain=True) as rec:
        ScriptedChat().invoke("in")
    ScriptedChat().invoke("out")  # no session: nothing patched is left in the way
    assert BaseChatModel.__dict__["stream"].__name__ == "stream"
    assert "__wrapped__" not in ScriptedChat.__dict__["_generate"].__dict__
    assert rec.trace.total_llm_calls == 1


def test_a_missing_framework_is_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from trace_ops import frameworks

    monkeypatch.setattr(frameworks, "importable", lambda kind: False)
    with pytest.raises(TraceOpsError, match=r"needs langchain_core.*pip install 'trace-ops\[langchain\]'"):
        Recorder(tmp_path / "x.yaml", intercept_langchain=True).start()
    with Recorder(tmp_path / "y.yaml") as rec:  # and nothing was left acquired
        pass
    assert rec.trace.total_llm_calls == 0


async def test_concurrent_calls_replay_to_their_own_answers(tmp_path: Path) -> None:
    path = tmp_path / "gather.yaml"
    questions = [f"question {i}" for i in range(5)]
    async with Recorder(path, intercept_langchain=True):
        live = await asyncio.gather(*(ScriptedChat().ainvoke(q) for q in questions))
    async with Replayer(path):
        replayed = await asyncio.gather(*(ScriptedChat(broken=True).ainvoke(q) for q in questions))
    assert [m.content for m in replayed] == [m.content for m in live] == [f"Echo: {q}" for q in questions]


def test_the_cassette_fixture_takes_the_flag(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CI", raising=False)  # the child run records: CI would refuse that
    pytester.makeconftest(
        """
        import pytest

        @pytest.fixture
        def trace_ops_config():
            return {"intercept_langchain": True}
        """
    )
    pytester.makepyfile(
        test_chat="""
        import os
        from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
        from langchain_core.messages import AIMessage

        def test_model(cassette):
            live = [AIMessage(content="recorded answer")] if os.environ.get("LIVE_MODEL") else []
            model = GenericFakeChatModel(messages=iter(live))
            assert model.invoke("q").content == "recorded answer"
            assert [c.provider for c in cassette.llm_calls] == ["langchain"]
        """
    )
    monkeypatch.setenv("LIVE_MODEL", "1")
    pytester.runpytest("--record").assert_outcomes(passed=1)
    (path,) = pytester.path.rglob("*.trace.yaml")
    assert "provider: langchain" in path.read_text()
    monkeypatch.delenv("LIVE_MODEL")
    pytester.runpytest().assert_outcomes(passed=1)  # replayed: the model has nothing left to say
