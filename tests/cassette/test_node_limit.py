"""Many tiny YAML nodes: composing costs per node whatever its size, so a cassette may hold at
most $TRACE_OPS_MAX_CASSETTE_NODES nodes (default 1,000,000); past it, one CassetteError line."""

from __future__ import annotations

from pathlib import Path

import pytest

from trace_ops import CassetteError, Recorder, load_cassette
from trace_ops.cassette import safe_yaml
from trace_ops.testing import FakeLLMServer

CALL = """  - type: llm_call
    provider: openai
    endpoint: chat.completions
    model: gpt-4o
    request:
      messages:
      - role: user
        content: hi
    response: '{"choices": [{"message": {"role": "assistant", "content": "ok"}}]}'
"""

TINY = {
    "a flow list": "version: 1\nevents: []\nx: [" + "1," * 5000 + "1]\n",
    "a block list": "version: 1\nevents: []\nx:\n" + "- 1\n" * 5000,
    "a mapping": "version: 1\nevents: []\nx:\n" + "".join(f"  k{i}: 1\n" for i in range(3000)),
    "empty values": "version: 1\nevents: []\nx:\n" + "- \n" * 5000,
}


@pytest.fixture(autouse=True)
def no_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACE_OPS_CACHE_DIR", "off")


@pytest.mark.parametrize("shape", TINY)
def test_too_many_nodes_is_one_line_naming_the_file(
    shape: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(safe_yaml.MAX_NODES_ENV, "2000")
    path = tmp_path / "c.yaml"
    path.write_text(TINY[shape])
    with pytest.raises(CassetteError, match=r"more than 2,000 YAML nodes") as caught:
        load_cassette(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ") and "\n" not in message
    assert "$TRACE_OPS_MAX_CASSETTE_NODES" in message


def test_the_limit_counts_every_node_exactly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = f"version: 1\nevents:\n{CALL}"
    nodes = _node_count(text)
    path = tmp_path / "c.yaml"
    path.write_text(text)
    monkeypatch.setenv(safe_yaml.MAX_NODES_ENV, str(nodes))
    assert load_cassette(path).total_llm_calls == 1
    monkeypatch.setenv(safe_yaml.MAX_NODES_ENV, str(nodes - 1))
    with pytest.raises(CassetteError, match=f"more than {nodes - 1:,} YAML nodes"):
        load_cassette(path)


@pytest.mark.parametrize("raw", ["", "x", "0", "-5", "1e400"])
def test_an_unusable_setting_means_the_default(raw: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(safe_yaml.MAX_NODES_ENV, raw)
    assert safe_yaml.max_nodes() == safe_yaml.DEFAULT_MAX_NODES


def test_a_recorded_cassette_is_far_below_the_default(fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    import openai

    path = tmp_path / "c.yaml"
    client = openai.OpenAI(base_url=fake_llm.openai_base_url, api_key="x", max_retries=0)
    with Recorder(save_to=path):
        for stream in (False, True):
            reply = client.chat.completions.create(
                model="gpt-4o", messages=[{"role": "user", "content": "hi"}], stream=stream
            )
            list(reply) if stream else reply  # type: ignore[call-overload]
    per_call = _node_count(path.read_text()) / 2
    assert per_call < 60, per_call  # ~20,000 calls fit under the default 1,000,000
    assert safe_yaml.DEFAULT_MAX_NODES / per_call > 15_000


def test_the_default_bounds_a_file_of_tiny_nodes(tmp_path: Path) -> None:
    """10 MB of one-character nodes (5 million) stops at the default limit, not after them all."""
    path = tmp_path / "c.yaml"
    path.write_text("version: 1\nevents: []\nx: [" + "1," * 5_000_000 + "1]\n")
    with pytest.raises(CassetteError, match="more than 1,000,000 YAML nodes"):
        load_cassette(path)


def _node_count(text: str) -> int:
    root = safe_yaml._Composer(text, "x").get_single_node()  # type: ignore[attr-defined]
    count, stack = 0, [root]
    while stack:
        node = stack.pop()
        count += 1
        if isinstance(node.value, list):
            for item in node.value:
                stack.extend(item if isinstance(item, tuple) else (item,))
    return count
