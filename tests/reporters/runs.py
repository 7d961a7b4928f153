"""Runs the HTML report tests record: real SDK calls over real HTTP against the fake server.

`record_run` is a small tool-using agent (OpenAI chat asks for `search`, the tool runs, a second
chat answers, a routing decision, an Anthropic summary); `hostile=True` makes everything the
user controls hostile HTML, which the fake server echoes into the recorded answers and tool
arguments; `extra_tool=True` runs one more tool (a changed path, for the compare view).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anthropic
import openai

from trace_ops import Recorder, load_cassette
from trace_ops.testing import FakeLLMServer
from trace_ops.trace import Trace

#: Would set a global if it ran, close the page's elements if it were not escaped.
HOSTILE = (
    "<script>window.PWNED=1</script></pre></details></summary></td></table>"
    '<img src=x onerror="window.PWNED=2"> "onerror=window.PWNED=3 x=\'&amp;'
)
SYSTEM = "You are a research assistant.\nUse the search tool, then answer in one line."
TOOLS: list[Any] = [
    {
        "type": "function",
        "function": {
            "name": "search",
            "description": "Search an encyclopedia",
            "parameters": {
                "type": "object",
                "properties": {"query": {"type": "string"}},
                "required": ["query"],
            },
        },
    }
]


def record_run(
    server: FakeLLMServer, path: Path, *, hostile: bool = False, extra_tool: bool = False
) -> Trace:
    question = f"How many people live in Lyon? {HOSTILE}" if hostile else "How many people live in Lyon?"
    client = openai.OpenAI(base_url=server.openai_base_url, api_key="sk-test", max_retries=0)
    claude = anthropic.Anthropic(base_url=server.anthropic_base_url, api_key="sk-ant-test", max_retries=0)
    messages: list[Any] = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": question}]
    with Recorder(save_to=path) as rec:
        first = client.chat.completions.create(model="gpt-4o-mini", messages=messages, tools=TOOLS)
        call = first.choices[0].message.tool_calls[0]  # type: ignore[index]
        arguments = json.loads(call.function.arguments)  # type: ignore[union-attr]
        result = {"hits": [f"Lyon has about 520,000 inhabitants. {HOSTILE if hostile else ''}".strip()]}
        rec.record_tool_call("search", arguments, result, call_id=call.id, duration_ms=12.5)
        if extra_tool:
            rec.record_tool_call("browse", {"url": "https://example.org/lyon"}, "page text", duration_ms=40.0)
        messages += [
            first.choices[0].message.model_dump(exclude_none=True),
            {"role": "tool", "tool_call_id": call.id, "content": json.dumps(result)},
        ]
        client.chat.completions.create(model="gpt-4o-mini", messages=messages)
        rec.record_decision("route", to=HOSTILE if hostile else "summary")
        claude.messages.create(
            model="claude-3-5-haiku-latest",
            max_tokens=64,
            system=SYSTEM,
            messages=[{"role": "user", "content": f"Sum up: {question}"}],
        )
    return load_cassette(path)
