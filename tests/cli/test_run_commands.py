"""`inspect`, `diff` and `export` end to end, as subprocesses, on cassettes recorded live."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

from tests.cli.test_cli import replay

SEARCH = "cassettes/test_agent/test_search.trace.yaml"
WEATHER = "cassettes/test_agent/test_weather.trace.yaml"
RATE_LIMIT = "cassettes/test_agent/test_rate_limit.trace.yaml"


def test_inspect_shows_header_trajectory_and_one_line_per_event(recorded: Path) -> None:
    result = replay("inspect", str(recorded / SEARCH))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "\x1b[" not in out  # piped: plain text
    assert "Events:        4 (3 LLM calls, 1 tool call)" in out
    assert "Recorded with: trace_ops " in out and "openai " in out and "anthropic " in out
    assert "Price data:    genai-prices" in out and "Cost:          $0.0000" in out
    trajectory = (
        "llm_call:gpt-4o-mini → tool:search → llm_call:gpt-4o-mini → llm_call:claude-3-5-haiku-latest"
    )
    assert f"Trajectory:    {trajectory}" in out
    rows = [line for line in out.splitlines() if line.lstrip().startswith("#") and "step" not in line]
    assert len(rows) == 4
    assert '→ search({"query":"capital of France"})' in rows[0]
    assert "tool:search" in rows[1] and '{"hits":["capital of France is Paris"],"count":1}' in rows[1]
    assert "Prompt message" not in out  # details only with -v


def test_inspect_verbose_has_prompts_answers_and_tool_io(recorded: Path) -> None:
    out = replay("inspect", str(recorded / SEARCH), "-v").stdout
    assert "Prompt message 1 (system)\n        You are a terse assistant." in out
    assert "Tool call requested: search" in out and "Tool output" in out
    assert "Answer\n        Based on the tool result" in out
    assert "Prompt message 2 (user)\n        sum up: capital of France" in out  # Anthropic text blocks


def test_inspect_json_is_the_outline_as_data(recorded: Path) -> None:
    result = replay("inspect", str(recorded / RATE_LIMIT), "--json", "-v")
    data = json.loads(result.stdout)
    assert data["header"]["llm_calls"] == 1 and data["header"]["errors"] == 2
    assert data["trajectory"] == ["llm_call:error-429", "error:RateLimitError"]
    first = data["events"][0]
    assert first["number"] == 1 and first["error"] == "HTTP 429" and first["cost_usd"] == 0.0
    assert {"title": "Error", "text": "HTTP 429"} in first["details"]


def _on_a_terminal(*args: str, env: dict[str, str]) -> str:
    """Run `replay` with its stdout on a pseudo-terminal, as in an interactive shell."""
    script = Path(sys.executable).parent / "replay"
    master, slave = pty.openpty()
    try:
        process = subprocess.Popen([str(script), *args], stdout=slave, stderr=subprocess.PIPE, env=env)
        os.close(slave)
        chunks = []
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        assert process.wait(timeout=60) == 0
    finally:
        os.close(master)
    return b"".join(chunks).decode("utf-8", "replace")


def test_rich_on_a_terminal_and_plain_with_no_color(recorded: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"} | {"TERM": "xterm-256color"}
    coloured = _on_a_terminal("inspect", str(recorded / SEARCH), env=env)
    assert "\x1b[1m" in coloured and "tool:search" in coloured
    plain = _on_a_terminal("inspect", str(recorded / SEARCH), env=env | {"NO_COLOR": "1"})
    assert "\x1b[" not in plain and "tool:search" in plain


def test_diff_of_a_run_with_itself_is_clean(recorded: Path) -> None:
    result = replay("diff", str(recorded / SEARCH), str(recorded / SEARCH))
    assert result.returncode == 0, result.stderr
    assert "No changes" in result.stdout


def test_diff_of_two_runs_exits_1_in_every_format(recorded: Path) -> None:
    old, new = str(recorded / SEARCH), str(recorded / WEATHER)
    text = replay("diff", old, new)
    assert text.returncode == 1, text.stderr
    assert "Tool args changed: search (step 2): query: 'capital of France' → 'weather in Oslo'" in text.stdout
    markdown = replay("diff", old, new, "--format", "markdown")
    assert markdown.returncode == 1 and markdown.stdout.startswith("## Trace diff: ⚠️")
    as_json = replay("diff", old, new, "--format", "json")
    assert as_json.returncode == 1 and json.loads(as_json.stdout)["tool_arg_changes"]
    zero = replay("diff", old, new, "--exit-zero")
    assert zero.returncode == 0 and "Tool args changed" in zero.stdout
    bad = replay("diff", old, new, "--format", "html")
    assert bad.returncode == 2 and "invalid choice: 'html'" in bad.stderr


def test_export_json_holds_the_run_as_data_without_secrets(recorded: Path, tmp_path: Path) -> None:
    out = tmp_path / "nested" / "run.json"
    result = replay("export", str(recorded / SEARCH), "--format", "json", "-o", str(out))
    assert result.returncode == 0, result.stderr
    text = out.read_text(encoding="utf-8")
    data = json.loads(text)
    assert data["format"] == "trace_ops.trace" and data["version"] == 1
    first = data["events"][0]
    assert first["request"]["messages"][1] == {"role": "user", "content": "capital of France"}
    assert first["request"]["tools"][0]["function"]["name"] == "search"  # params as data, not JSON text
    assert first["response"]["choices"][0]["finish_reason"] == "tool_calls"
    assert data["events"][1] == {**data["events"][1], "type": "tool_call", "name": "search"}
    assert "sk-test" not in text and "sk-ant-test" not in text
    stdout = replay("export", str(recorded / SEARCH), "--format", "json", "-o", "-")
    assert json.loads(stdout.stdout) == data


def test_export_into_a_folder_path_is_one_line(recorded: Path, tmp_path: Path) -> None:
    result = replay("export", str(recorded / SEARCH), "--format", "json", "-o", str(tmp_path))
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_a_reader_that_leaves_early_is_not_an_error(tmp_path: Path) -> None:
    from trace_ops import ToolCall, Trace, save_cassette

    big = tmp_path / "big.trace.yaml"
    save_cassette(Trace(events=[ToolCall(name="t", input=i, output="x" * 500) for i in range(400)]), big)
    script = Path(sys.executable).parent / "replay"
    process = subprocess.Popen(
        [str(script), "inspect", str(big), "-v"], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert process.stdout is not None and process.stdout.readline()
    process.stdout.close()  # `replay inspect -v big | head -1`
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 0 and stderr == b""
