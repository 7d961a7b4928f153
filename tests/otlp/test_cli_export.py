"""`replay export CASSETTE --format otlp` (-o, --jsonl, --no-content, --otlp-endpoint) as a child process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.otlp.receiver import Receiver
from tests.otlp.runs import record_agent_run
from tests.otlp.test_cli_import import replay
from tests.otlp.test_export import parse
from trace_ops.testing import FakeLLMServer


@pytest.fixture
def cassette(fake_llm: FakeLLMServer, tmp_path: Path) -> Path:
    record_agent_run(fake_llm, tmp_path / "run.yaml")
    return tmp_path / "run.yaml"


def test_export_otlp_file_jsonl_and_no_content(cassette: Path, tmp_path: Path) -> None:
    out = tmp_path / "spans.json"
    result = replay("export", str(cassette), "--format", "otlp", "-o", str(out))
    assert result.returncode == 0, result.stderr
    spans = parse(json.loads(out.read_text())).resource_spans[0].scope_spans[0].spans
    assert [s.name for s in spans][:2] == ["invoke_agent agent", "chat gpt-4o-mini"]
    assert "capital of France" in out.read_text()

    lines = tmp_path / "spans.jsonl"
    assert (
        replay(
            "export", str(cassette), "--format", "otlp", "--jsonl", "--no-content", "-o", str(lines)
        ).returncode
        == 0
    )
    rows = lines.read_text().splitlines()
    assert len(rows) == len(spans) and all(parse(json.loads(row)) for row in rows)
    assert "capital of France" not in lines.read_text()

    stdout = replay("export", str(cassette), "--format", "otlp", "-o", "-")
    assert json.loads(stdout.stdout) == json.loads(out.read_text())  # deterministic ids and times


def test_export_to_an_otlp_endpoint(cassette: Path) -> None:
    with Receiver() as receiver:
        result = replay("export", str(cassette), "--format", "otlp", "--otlp-endpoint", receiver.url)
    assert result.returncode == 0, result.stderr
    assert "sent 8 spans to" in result.stderr
    [(path, _, body)] = receiver.received
    assert path == "/v1/traces" and len(parse(body).resource_spans[0].scope_spans[0].spans) == 8


def test_usage_errors_are_one_line(cassette: Path, tmp_path: Path) -> None:
    for args, message in (
        (("--format", "otlp"), "needs -o FILE or --otlp-endpoint URL"),
        (("--format", "json", "--jsonl", "-o", str(tmp_path / "x")), "go with --format otlp"),
        (("--format", "otlp", "--otlp-endpoint", "http://127.0.0.1:9"), "cannot send spans"),
        (("--format", "otlp", "--otlp-endpoint", "nowhere"), "must be http(s)://"),
    ):
        result = replay("export", str(cassette), *args)
        assert result.returncode == 2 and message in result.stderr, (args, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1
