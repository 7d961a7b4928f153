"""normalize_response / normalize_for_comparison: one shape for every provider's answer."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path
from typing import Any

import anthropic
import openai
import pytest

import trace_ops.trace
from trace_ops import providers
from trace_ops.normalize import normalize_for_comparison, normalize_response, view_of
from trace_ops.testing import FakeLLMServer
from trace_ops.trace import LLMCall

TOOL_OPENAI = [
    {
        "type": "function",
        "function": {
            "name": "search",
            "parameters": {"type": "object", "properties": {"query": {"type": "string"}}},
        },
    }
]
TOOL_ANTHROPIC = [
    {"name": "search", "input_schema": {"type": "object", "properties": {"query": {"type": "string"}}}}
]


def answers(server: FakeLLMServer, tools: bool) -> tuple[Any, Any]:
    oa = openai.OpenAI(base_url=server.openai_base_url, api_key="sk-test", max_retries=0)
    an = anthropic.Anthropic(base_url=server.anthropic_base_url, api_key="sk-ant-test", max_retries=0)
    question = [{"role": "user", "content": "capital of France"}]
    if tools:
        return (
            oa.chat.completions.create(model="gpt-4o", messages=question, tools=TOOL_OPENAI),  # type: ignore[arg-type]
            an.messages.create(model="claude-test-1", max_tokens=64, messages=question, tools=TOOL_ANTHROPIC),  # type: ignore[arg-type]
        )
    return (
        oa.chat.completions.create(model="gpt-4o", messages=question),  # type: ignore[arg-type]
        an.messages.create(model="claude-test-1", max_tokens=64, messages=question),  # type: ignore[arg-type]
    )


def test_openai_and_anthropic_text_answers_compare_equal(fake_llm: FakeLLMServer) -> None:
    oa, an = answers(fake_llm, tools=False)
    assert (
        normalize_for_comparison(oa, "openai")
        == normalize_for_comparison(an, "anthropic")
        == {
            "role": "assistant",
            "text": "Echo: capital of France",
            "tool_calls": [],
            "finish_reason": "stop",
        }
    )
    full = normalize_response(an, "anthropic")
    assert full["model"] == "claude-test-1"
    assert full["usage"]["input_tokens"] > 0 and full["usage"]["output_tokens"] > 0


def test_tool_calls_compare_equal_with_parsed_arguments(fake_llm: FakeLLMServer) -> None:
    oa, an = answers(fake_llm, tools=True)
    left, right = normalize_for_comparison(oa, "openai"), normalize_for_comparison(an, "anthropic")
    assert (
        left["tool_calls"]
        == right["tool_calls"]
        == [{"name": "search", "arguments": {"query": "capital of France"}}]
    )
    assert left["finish_reason"] == right["finish_reason"] == "tool_calls"
    assert normalize_response(oa, "openai")["tool_calls"][0]["id"].startswith("call_")


def test_volatile_fields_do_not_matter_but_text_does() -> None:
    body: dict[str, Any] = {
        "id": "chatcmpl-1",
        "created": 1,
        "model": "gpt-4o-2024-08-06",
        "system_fingerprint": "fp_a",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hi"}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 3, "completion_tokens": 1},
    }
    other = {
        **body,
        "id": "chatcmpl-2",
        "created": 2,
        "system_fingerprint": "fp_b",
        "usage": {"prompt_tokens": 9},
    }
    assert normalize_for_comparison(body, "openai") == normalize_for_comparison(other, "openai")
    changed = {**body, "choices": [{"index": 0, "message": {"role": "assistant", "content": "Bye"}}]}
    assert normalize_for_comparison(changed, "openai") != normalize_for_comparison(body, "openai")
    with pytest.raises(TypeError, match="cannot normalize"):
        normalize_response(42, "openai")


CHAT_BODY: dict[str, Any] = {
    "model": "gpt-4o",
    "choices": [{"message": {"content": "Hi"}, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 3, "completion_tokens": 1},
}
MESSAGE_BODY: dict[str, Any] = {
    "type": "message",
    "model": "claude-test-1",
    "content": [{"type": "text", "text": "Hi"}],
    "stop_reason": "end_turn",
    "usage": {"input_tokens": 3, "output_tokens": 1, "cache_read_input_tokens": 2},
}


def test_a_provider_without_an_entry_is_read_as_openai_compatible() -> None:
    call = LLMCall(
        provider="deepinfra", endpoint="chat.completions", request={"model": "llama"}, response=CHAT_BODY
    )
    assert view_of(call).text == "Hi" and call.label == "llm_call:gpt-4o"
    assert providers.lookup("deepinfra") is providers.OPENAI_COMPATIBLE
    assert providers.lookup("azure_openai").price_id == "azure"


def test_a_body_that_declares_its_format_is_read_by_its_owner() -> None:
    for name in ("openai", "litellm", "groq"):
        assert normalize_response(MESSAGE_BODY, name)["usage"]["cached_tokens"] == 2
    assert normalize_response(MESSAGE_BODY, "openai")["finish_reason"] == "stop"


def test_failed_calls_have_an_error_view() -> None:
    ok = LLMCall(
        provider="openai", endpoint="chat.completions", request={"model": "gpt-4o"}, response=CHAT_BODY
    )
    refused = LLMCall(provider="openai", endpoint="chat.completions", request={"model": "gpt-4o"}, status=429)
    broken = LLMCall(
        provider="openai", endpoint="chat.completions", request={}, error={"type": "APIConnectionError"}
    )
    assert [c.failed for c in (ok, refused, broken)] == [False, True, True]
    assert refused.view.finish_reason == broken.view.finish_reason == "error"


def test_the_model_imports_no_parsing_or_pricing() -> None:
    """trace.py is the bottom of the house: normalize, cost and providers import it, not the reverse."""
    source = Path(trace_ops.trace.__file__).read_text(encoding="utf-8")
    imported = {
        node.module
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("trace_ops")
    }
    assert imported == {"trace_ops._time", "trace_ops._version", "trace_ops.view"}


def test_import_trace_ops_loads_no_parsing_or_pricing() -> None:
    """They load with the first view or cost asked for, as before the model stopped importing them."""
    code = (
        "import sys, trace_ops; "
        "lazy = ('trace_ops.normalize', 'trace_ops.cost', 'trace_ops.providers'); "
        "print(sorted(m for m in lazy if m in sys.modules))"
    )
    assert (
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
        == "[]\n"
    )
