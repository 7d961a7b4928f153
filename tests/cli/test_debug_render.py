"""What a debugger screen shows for odd recorded text and other providers, rendered to a string."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import anthropic
import openai
from rich.console import Console, RenderableType

from tests.cli.agents import record_failing_call
from trace_ops import Recorder, load_cassette
from trace_ops.debugger import paired_steps, steps_of
from trace_ops.debugger.render import render_header, render_pair, render_step
from trace_ops.testing import FakeLLMServer


def screen(renderable: RenderableType, width: int = 160) -> str:
    out = io.StringIO()
    Console(file=out, width=width, no_color=True, color_system=None, highlight=False).print(renderable)
    return out.getvalue()


def test_recorded_text_is_never_read_as_markup_and_long_text_is_cut(
    fake_llm: FakeLLMServer, tmp_path: Path
) -> None:
    client = openai.OpenAI(base_url=fake_llm.openai_base_url, api_key="sk-test", max_retries=0)
    question = "[bold red]not markup[/bold red] " + "x" * 5000
    with Recorder(save_to=tmp_path / "odd.yaml"):
        client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": question}])
    step = steps_of(load_cassette(tmp_path / "odd.yaml"))[0]
    shown = screen(render_step(step, "#1/1"))
    assert "user: [bold red]not markup[/bold red]" in shown
    assert "Echo: [bold red]not markup[/bold red]" in shown
    assert "more characters)" in shown and shown.count("x") < 4000


def test_a_tool_named_like_markup_prints_as_named(fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    with Recorder(save_to=tmp_path / "tool.yaml") as rec:
        rec.record_tool_call("[red]lookup[/red]", {"q": "[b]x[/b]"}, "[i]y[/i]", duration_ms=1.0)
    header = screen(render_header(load_cassette(tmp_path / "tool.yaml"), "old: runs/[v1].yaml"))
    assert "old: runs/[v1].yaml" in header and "Tools: [red]lookup[/red]" in header
    shown = screen(render_step(steps_of(load_cassette(tmp_path / "tool.yaml"))[0], "#1/1"))
    assert "Tool call  #1/1  [red]lookup[/red]" in shown and "[b]x[/b]" in shown and "[i]y[/i]" in shown


def test_an_anthropic_tool_turn_reads_as_a_call_and_its_result(
    fake_llm: FakeLLMServer, tmp_path: Path
) -> None:
    claude = anthropic.Anthropic(base_url=fake_llm.anthropic_base_url, api_key="sk-ant-test", max_retries=0)
    tools: Any = [
        {
            "name": "search",
            "description": "Search the web",
            "input_schema": {"type": "object", "properties": {"query": {"type": "string"}}},
        }
    ]
    messages: list[Any] = [{"role": "user", "content": "capital of Peru"}]
    with Recorder(save_to=tmp_path / "claude.yaml") as rec:
        first = claude.messages.create(
            model="claude-3-5-haiku-latest", max_tokens=64, messages=messages, tools=tools
        )
        use = next(block for block in first.content if block.type == "tool_use")
        rec.record_tool_call("search", use.input, "Lima", call_id=use.id, duration_ms=1.0)
        messages += [
            {
                "role": "assistant",
                "content": [block.model_dump(exclude_none=True) for block in first.content],
            },
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": use.id, "content": "Lima"}]},
        ]
        claude.messages.create(model="claude-3-5-haiku-latest", max_tokens=64, messages=messages, tools=tools)
    steps = steps_of(load_cassette(tmp_path / "claude.yaml"))
    assert [s.event.kind for s in steps] == ["llm_call", "tool_call", "llm_call"]
    first_screen = screen(render_step(steps[0], "#1/3"))
    assert "provider=anthropic" in first_screen and "Tool call requested: search" in first_screen
    last = screen(render_step(steps[2], "#3/3"))
    assert "│ assistant: " in last and '│ calls search({"query": "capital of Peru"})' in last
    assert "user: Lima" in last and "tool_use_id" not in last


def test_compare_marks_a_call_that_now_fails(fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    client = openai.OpenAI(base_url=fake_llm.openai_base_url, api_key="sk-test", max_retries=0)
    with Recorder(save_to=tmp_path / "ok.yaml"):
        client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    old, new = (
        load_cassette(tmp_path / "ok.yaml"),
        load_cassette(record_failing_call(fake_llm, tmp_path / "bad.yaml")),
    )
    pairs = paired_steps(old, new)
    assert [p.status for p in pairs] == ["changed", "added"]
    assert "call failed" in pairs[0].changes and "model" in pairs[0].changes
    shown = screen(render_pair(pairs[0], "#1/2"))
    assert "CHANGED: " in shown and "call failed" in shown and "HTTP 429" in shown and "Echo: hi" in shown
    added = screen(render_pair(pairs[1], "#2/2"))
    assert (
        "ADDED (new run only)" in added and "(old run: no such step)" in added and "RateLimitError" in added
    )
