"""The agent-observability eval upload, field by field against pytest-agent-observability's
documented shape and settings, through real child pytest runs and a real local collector."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.runreport.test_run_report import Collector, Reply, Sleeps
from trace_ops.runreport import CaseResult, build_run_report
from trace_ops.runreport.evals import EVALS_PATH, EvalSettings, eval_payload, eval_settings, upload_evals
from trace_ops.testing import FakeLLMServer

CHILD_TESTS = """
import os
import openai
import pytest
import trace_ops
from trace_ops import _seam

@trace_ops.tool
def search(query):
    return {"hits": ["Paris"]}

def test_good(cassette):
    client = openai.OpenAI(base_url=os.environ["FAKE_LLM_URL"], api_key="sk-child-test", max_retries=0)
    client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "capital?"}])
    search("capital")
    session = _seam.current_session()
    session.record_judgment("polite", verdict="pass", intent="greets politely", reasoning="ok")

def test_judged_badly(cassette):
    session = _seam.current_session()
    session.record_judgment("grounded", verdict="fail", intent="cites sources", reasoning="none")
    assert 1 == 2

def test_assertion():
    assert False, "boom"

def test_error():
    raise RuntimeError("kaput")

@pytest.mark.skip
def test_skipped():
    pass
"""

_ENV = (
    "AGENT_OBSERVABILITY_URL",
    "AGENT_OBSERVABILITY_AGENT_ID",
    "AGENT_OBSERVABILITY_ACCOUNT_ID",
    "AGENT_OBSERVABILITY_USER",
    "AGENT_OBSERVABILITY_PASS",
    "AGENT_OBSERVABILITY_TIMEOUT",
    "AGENT_OBSERVABILITY_MAX_RETRIES",
    "AGENT_OBSERVABILITY_FALLBACK_DIR",
    "TRACE_OPS_REPORT_URL",
    "TRACE_OPS_REPORT_TOKEN",
    "http_proxy",
    "HTTP_PROXY",
)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("CI", raising=False)


@pytest.fixture
def collector() -> Iterator[Callable[..., Collector]]:
    started: list[Collector] = []

    def make(*replies: Reply) -> Collector:
        server = Collector(list(replies)).start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


def base(server: Collector) -> str:
    return server.url.removesuffix("/v1/runs")


def test_a_run_uploads_as_one_eval_run_with_its_cases(
    pytester: pytest.Pytester,
    fake_llm: FakeLLMServer,
    collector: Callable[..., Collector],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = collector(Reply(200))
    monkeypatch.setenv("FAKE_LLM_URL", fake_llm.openai_base_url)
    monkeypatch.setenv("AGENT_OBSERVABILITY_URL", base(server))
    monkeypatch.setenv("AGENT_OBSERVABILITY_AGENT_ID", "my-agent")
    monkeypatch.setenv("AGENT_OBSERVABILITY_USER", "ci")
    monkeypatch.setenv("AGENT_OBSERVABILITY_PASS", "s3cret")
    pytester.makepyfile(test_agent=CHILD_TESTS)
    result = pytester.runpytest("--record", "--agent-observability-account-id=acme")
    result.assert_outcomes(passed=1, failed=3, skipped=1)
    result.stdout.fnmatch_lines(["trace_ops: eval run uploaded"])

    [received] = server.received
    assert (received.method, received.path) == ("POST", EVALS_PATH)
    assert received.headers["authorization"] == "Basic " + base64.b64encode(b"ci:s3cret").decode()
    payload = json.loads(received.body)
    assert payload["version"] == "v0"
    run = payload["run"]
    assert set(run) == {
        "run_id",
        "account_id",
        "agent_id",
        "framework",
        "framework_version",
        "testing_framework",
        "testing_framework_version",
        "started_at",
        "finished_at",
        "ci",
    }
    assert (run["agent_id"], run["account_id"], run["testing_framework"]) == ("my-agent", "acme", "pytest")
    assert isinstance(run["started_at"], float) and run["finished_at"] >= run["started_at"]
    cases = {case["name"]: case for case in payload["cases"]}
    assert set(cases) == {"test_good", "test_judged_badly", "test_assertion", "test_error", "test_skipped"}
    for case in cases.values():
        assert set(case) == {
            "case_id",
            "name",
            "file",
            "status",
            "duration_ms",
            "user_input",
            "events",
            "judgments",
            "failure",
        }
        assert case["file"] == "test_agent.py" and isinstance(case["duration_ms"], int)
    good = cases["test_good"]
    assert good["status"] == "passed" and good["failure"] is None
    assert good["events"] == [
        {"type": "message", "role": "assistant", "content": "Echo: capital?", "interrupted": False},
        {"type": "function_call", "name": "search", "arguments": {"query": "capital"}, "call_id": None},
        {"type": "function_call_output", "output": {"hits": ["Paris"]}, "is_error": False, "call_id": None},
    ]
    assert good["judgments"] == [{"intent": "greets politely", "verdict": "pass", "reasoning": "ok"}]
    judged = cases["test_judged_badly"]
    assert judged["failure"]["kind"] == "judge_failed" and judged["status"] == "failed"
    assert cases["test_assertion"]["failure"]["kind"] == "assertion"
    assert "boom" in cases["test_assertion"]["failure"]["message"]
    error = cases["test_error"]["failure"]
    assert (
        error["kind"] == "error" and "RuntimeError: kaput" in error["message"] and "raise" in error["stack"]
    )
    assert cases["test_skipped"]["status"] == "skipped"


def test_a_dead_collector_leaves_run_id_json_and_keeps_the_outcome(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AGENT_OBSERVABILITY_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AGENT_OBSERVABILITY_MAX_RETRIES", "1")
    pytester.makepyfile(test_x="def test_x():\n    assert True\n")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["trace_ops: eval run upload failed*saved to*"])
    [saved] = list((pytester.path / ".pytest_cache" / "agent-observability").glob("*.json"))
    payload = json.loads(saved.read_text())
    assert saved.name == f"{payload['run']['run_id']}.json" and payload["cases"][0]["status"] == "passed"


def test_no_url_no_upload(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_x="def test_x():\n    assert True\n")
    result = pytester.runpytest()
    assert "eval run" not in result.stdout.str()


def test_settings_and_their_documented_defaults(tmp_path: Path) -> None:
    assert eval_settings(lambda dest: None, {}) is None
    settings = eval_settings(lambda dest: None, {"AGENT_OBSERVABILITY_URL": "http://h:9090/"})
    assert settings == EvalSettings(url="http://h:9090", timeout_s=10.0, max_retries=3)
    env = {
        "AGENT_OBSERVABILITY_URL": "http://env",
        "AGENT_OBSERVABILITY_TIMEOUT": "2.5",
        "AGENT_OBSERVABILITY_MAX_RETRIES": "5",
        "AGENT_OBSERVABILITY_FALLBACK_DIR": str(tmp_path),
        "AGENT_OBSERVABILITY_AGENT_ID": "env-agent",
        "AGENT_OBSERVABILITY_USER": "u",
    }
    flags = {"agent_observability_url": "http://flag", "agent_observability_agent_id": "flag-agent"}
    settings = eval_settings(flags.get, env)
    assert settings is not None
    assert (settings.url, settings.agent_id, settings.timeout_s, settings.max_retries) == (
        "http://flag",
        "flag-agent",
        2.5,
        5,
    )
    assert settings.fallback_dir == tmp_path and settings.basic_auth is None  # a user without a password
    odd = eval_settings(
        lambda dest: None,
        {
            "AGENT_OBSERVABILITY_URL": "http://h",
            "AGENT_OBSERVABILITY_TIMEOUT": "soon",
            "AGENT_OBSERVABILITY_MAX_RETRIES": "0",
        },
    )
    assert odd is not None and (odd.timeout_s, odd.max_retries) == (10.0, 3)


def _document() -> dict[str, object]:
    case = CaseResult(nodeid="tests/test_a.py::test_a", status="passed", duration_s=0.25)
    return build_run_report(
        [case],
        started_at="2026-01-01T00:00:00.000Z",
        finished_at="2026-01-01T00:00:02.000Z",
        exit_status=0,
        ci=None,
        trace_ops_version="x",
    )


def test_retries_one_two_four_seconds_and_4xx_is_final(
    collector: Callable[..., Collector], tmp_path: Path
) -> None:
    server = collector(Reply(500), Reply(502), Reply(503), Reply(200))
    sleeps = Sleeps()
    settings = EvalSettings(url=base(server), max_retries=4, timeout_s=2.0)
    result = upload_evals(_document(), settings, rootdir=tmp_path, sleep=sleeps)
    assert result.ok and result.attempts == 4 and sleeps == [1.0, 2.0, 4.0]
    refused = collector(Reply(422))
    sleeps = Sleeps()
    result = upload_evals(_document(), EvalSettings(url=base(refused)), rootdir=tmp_path, sleep=sleeps)
    assert not result.ok and result.attempts == 1 and sleeps == []
    assert result.fallback_path is not None
    assert result.fallback_path.parent == tmp_path / ".pytest_cache" / "agent-observability"


def test_payload_times_are_unix_seconds() -> None:
    payload = eval_payload(_document(), EvalSettings(url="http://h"), run_id="r1")
    assert payload["run"]["run_id"] == "r1"
    assert payload["run"]["finished_at"] - payload["run"]["started_at"] == 2.0
    [case] = payload["cases"]
    assert (case["name"], case["file"], case["duration_ms"]) == ("test_a", "tests/test_a.py", 250)


def test_the_report_token_is_not_sent_to_the_eval_server(
    collector: Callable[..., Collector], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRACE_OPS_REPORT_TOKEN", "tok-123456789")
    server = collector(Reply(200))
    assert upload_evals(_document(), EvalSettings(url=base(server)), rootdir=tmp_path).ok
    assert "authorization" not in server.received[0].headers
