"""`replay import FILE -o CASSETTE`, run as the installed console script in a child process."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.otlp.runs import record_agent_run
from trace_ops import load_cassette
from trace_ops.otlp import write_otlp
from trace_ops.testing import FakeLLMServer


def replay(*args: str) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).parent / "replay"
    command = [str(script)] if script.exists() else [shutil.which("replay") or "replay"]
    return subprocess.run([*command, *args], capture_output=True, text=True, timeout=60)


def test_import_writes_a_cassette(fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    original = record_agent_run(fake_llm, tmp_path / "run.yaml")
    spans = write_otlp(original, tmp_path / "spans.jsonl", jsonl=True)
    out = tmp_path / "imported.trace.yaml"
    result = replay("import", str(spans), "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert "imported 6 LLM calls, 1 tool calls" in result.stdout and "(otlp-jsonl)" in result.stdout
    imported = load_cassette(out)
    assert imported.trajectory == original.trajectory and imported.total_tokens == original.total_tokens

    again = replay("import", str(spans), "-o", str(out))
    assert again.returncode == 2 and "exists (--force replaces it)" in again.stderr
    assert replay("import", str(spans), "-o", str(out), "--force").returncode == 0


def test_bad_input_is_one_line_and_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"hello": 1}')
    result = replay("import", str(bad), "-o", str(tmp_path / "x.yaml"))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "not a trace file we read" in result.stderr
    assert "Traceback" not in result.stderr
    missing = replay("import", str(tmp_path / "nope.json"), "-o", str(tmp_path / "x.yaml"))
    assert missing.returncode == 2 and "cannot read" in missing.stderr
    usage = replay("import", str(bad))
    assert usage.returncode == 2 and "-o/--output" in usage.stderr
    assert not (tmp_path / "x.yaml").exists()
