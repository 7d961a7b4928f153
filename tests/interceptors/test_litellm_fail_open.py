"""LiteLLM: a failure of ours while recording leaves the call unrecorded, never breaks it.

Runs in the `.venv-openai2` leg (LiteLLM pins `openai<3`); see test_litellm_record_replay.py.
"""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path
from typing import Any

import pytest

from trace_ops import CassetteMismatchError, Recorder, Replayer, load_cassette
from trace_ops._seam import CallHandle
from trace_ops.interceptors import litellm as interceptor
from trace_ops.testing import FakeLLMServer

if os.environ.get("TRACE_OPS_REQUIRE_LITELLM") != "1":
    pytest.importorskip(
        "litellm", reason="litellm needs openai<3: runs in the .venv-openai2 leg of ./dev test"
    )
import litellm

MESSAGES = [{"role": "user", "content": "What is the capital of France?"}]


def ask(server: FakeLLMServer, *, stream: bool, is_async: bool) -> Any:
    """The answer's text and id (a stream: its chunks' texts), as the agent sees them."""
    kwargs: dict[str, Any] = {"model": "openai/gpt-4o", "messages": MESSAGES, "stream": stream}
    kwargs.update(api_base=server.openai_base_url, api_key="sk-x")

    def seen(result: Any) -> Any:
        if stream:
            return [(c.id, c.choices[0].delta.content) for c in result if c.choices]
        return result.id, result.choices[0].message.content

    async def run_async() -> Any:
        result = await litellm.acompletion(**kwargs)
        if stream:
            return [(c.id, c.choices[0].delta.content) async for c in result if c.choices]
        return seen(result)

    return asyncio.run(run_async()) if is_async else seen(litellm.completion(**kwargs))


def boom(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("a bug in trace_ops")


CASES = [
    pytest.param(stream, is_async, where, id=f"{'async' if is_async else 'sync'}-{where}")
    for is_async in (False, True)
    for stream, where in ((False, "describe"), (False, "respond"), (True, "chunk"))
]


@pytest.mark.parametrize(("stream", "is_async", "where"), CASES)
def test_a_recording_bug_returns_the_live_answer(
    stream: bool,
    is_async: bool,
    where: str,
    fake_llm: FakeLLMServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    expected = ask(fake_llm, stream=stream, is_async=is_async)
    if where == "describe":
        monkeypatch.setattr(interceptor, "_describe", boom)
    elif where == "respond":
        monkeypatch.setattr(CallHandle, "responded", boom)
    else:
        monkeypatch.setattr(interceptor, "_sse", boom)
    path = tmp_path / "ll.yaml"
    with caplog.at_level(logging.WARNING, "trace_ops"), Recorder(save_to=path) as rec:
        assert ask(fake_llm, stream=stream, is_async=is_async) == expected
    monkeypatch.undo()

    warnings = [r.getMessage() for r in caplog.records if r.name == "trace_ops"]
    assert len(warnings) == 1 and "could not record the litellm chat.completions call" in warnings[0]
    assert rec.unrecorded_count == 1 and "a bug in trace_ops" in rec.unrecorded[0]
    assert [c.not_recorded is not None for c in rec.trace.llm_calls] == [True]
    (saved,) = load_cassette(path).llm_calls
    assert saved.not_recorded is not None and "a bug in trace_ops" in saved.not_recorded

    fake_llm.stop()
    with Replayer(path), pytest.raises(CassetteMismatchError):  # never answered from the placeholder
        ask(fake_llm, stream=stream, is_async=is_async)
