"""A damaged recorded LiteLLM stream is one CassetteError line naming the file and the call, never
a TypeError or a validation error from inside LiteLLM (runs in the .venv-openai2 leg)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from trace_ops import CassetteError, Recorder, Replayer
from trace_ops.testing import FakeLLMServer

if os.environ.get("TRACE_OPS_REQUIRE_LITELLM") != "1":
    pytest.importorskip(
        "litellm", reason="litellm needs openai<3: runs in the .venv-openai2 leg of ./dev test"
    )
import litellm


def _ask(server: FakeLLMServer) -> str:
    chunks = litellm.completion(
        model="openai/gpt-4o",
        api_base=server.openai_base_url,
        api_key="x",
        messages=[{"role": "user", "content": "hi"}],
        stream=True,
    )
    return "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)


DAMAGE = {
    "a list": "[1]",
    "a string": '"x"',
    "a number": "3",
    "truncated JSON": '{"id": "chatcmpl',
    "an object of the wrong shape": '{"choices": 3, "created": "never"}',
}


@pytest.mark.parametrize("damage", DAMAGE)
def test_a_damaged_litellm_chunk_is_one_line_naming_the_call(
    damage: str, fake_llm: FakeLLMServer, tmp_path: Path
) -> None:
    path = tmp_path / "c.yaml"
    with Recorder(save_to=path):
        _ask(fake_llm)
        live = _ask(fake_llm)
    lines = path.read_text().split("\n")
    second = [i for i, line in enumerate(lines) if line.startswith("  stream: |")][1]
    target = next(i for i in range(second, len(lines)) if lines[i].startswith("    data: {"))
    lines[target] = "    data: " + DAMAGE[damage]
    path.write_text("\n".join(lines))
    with Replayer(path, sequential=True):
        assert _ask(fake_llm) == live  # the first call is intact
        with pytest.raises(CassetteError, match=rf"^{path}: events\[1\]\.stream: ") as caught:
            _ask(fake_llm)
    assert "\n" not in str(caught.value)


def test_an_intact_litellm_stream_replays_twice(fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    with Recorder(save_to=path):
        live = _ask(fake_llm)
    replayed: list[Any] = []
    with Replayer(path, allow_playback_repeats=True):
        replayed += [_ask(fake_llm), _ask(fake_llm)]
    assert replayed == [live, live]
