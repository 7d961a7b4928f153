"""A real DSPy program over LiteLLM: recorded against the fake server, replayed offline.

DSPy's JSONAdapter asks LiteLLM for structured output with `response_format=<a pydantic
model class>` (built from the signature); the recorder must describe that class as the JSON
schema LiteLLM sends, and replay must answer the same program with the server stopped.

DSPy rides on LiteLLM (which pins `openai<3`), so this runs in the `.venv-openai2` leg; there
TRACE_OPS_REQUIRE_LITELLM=1 makes a missing DSPy fail instead of skip.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# DSPy picks its disk cache directory at import time: never the user's ~/.dspy_cache.
os.environ.setdefault("DSPY_CACHEDIR", os.path.join(tempfile.gettempdir(), "trace-ops-dspy-cache"))

if os.environ.get("TRACE_OPS_REQUIRE_LITELLM") != "1":
    pytest.importorskip("dspy", reason="DSPy needs litellm (openai<3): runs in the .venv-openai2 leg")
import dspy

from trace_ops import Recorder, Replayer, load_cassette
from trace_ops.testing import FakeLLMServer

QUESTION = "What is the capital of France?"


class CapitalQA(dspy.Signature):  # type: ignore[misc]
    """Answer the question about geography."""

    question: str = dspy.InputField()
    answer: str = dspy.OutputField()
    confidence: int = dspy.OutputField()


@pytest.fixture(autouse=True)
def no_dspy_cache() -> Iterator[None]:
    """DSPy caches LM calls in memory and on disk: a cached answer would bypass the recorder."""
    saved = dspy.cache
    dspy.configure_cache(enable_disk_cache=False, enable_memory_cache=False)
    yield
    dspy.cache = saved


def run_program(server: FakeLLMServer, *, is_async: bool) -> dspy.Prediction:
    """A fresh LM and program each time: nothing carried over from an earlier run."""
    lm = dspy.LM(
        "openai/gpt-4o",
        api_base=server.openai_base_url,
        api_key="sk-test",
        cache=False,
        num_retries=0,
        engine="litellm",  # DSPy's default engine (lm15) speaks HTTP itself, past the SDKs
    )
    program = dspy.ChainOfThought(CapitalQA)
    with dspy.context(lm=lm, adapter=dspy.JSONAdapter()):
        if is_async:
            return asyncio.run(program.acall(question=QUESTION))
        return program(question=QUESTION)


def outcome(prediction: dspy.Prediction) -> dict[str, Any]:
    return dict(prediction.items())


@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
def test_dspy_chain_of_thought_records_and_replays(
    is_async: bool, fake_llm: FakeLLMServer, tmp_path: Path
) -> None:
    path = tmp_path / "dspy.yaml"
    with Recorder(save_to=path) as rec:
        live = run_program(fake_llm, is_async=is_async)
    served = fake_llm.request_count
    assert served == 1
    sent = fake_llm.requests[0]["body"]["response_format"]
    assert sent["type"] == "json_schema"
    assert set(sent["json_schema"]["schema"]["properties"]) == {"reasoning", "answer", "confidence"}
    assert isinstance(live.confidence, int) and live.answer.startswith("Echo: ")

    assert [c.provider for c in rec.trace.llm_calls] == ["litellm"]  # one event, not LiteLLM + OpenAI
    assert rec.unrecorded_count == 0
    (call,) = load_cassette(path).llm_calls
    assert call.request["response_format"] == sent  # the schema exactly as LiteLLM sent it

    fake_llm.stop()
    with Replayer(path) as rep:
        replayed = run_program(fake_llm, is_async=is_async)
    assert outcome(replayed) == outcome(live)
    assert fake_llm.request_count == served
    assert rep.replayed_count == 1
