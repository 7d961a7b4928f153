"""The pytest plugin, driven through real child pytest runs (pytester) against the fake LLM server."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from trace_ops.testing import FakeLLMServer

AGENT_TEST = """
import os
import openai
import pytest

def ask(question):
    client = openai.OpenAI(base_url=os.environ["FAKE_LLM_URL"], api_key="sk-child-test", max_retries=0)
    reply = client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": question}])
    return reply.choices[0].message.content

def test_agent(cassette):
    assert ask("QUESTION") == "Echo: QUESTION"
    assert cassette.total_llm_calls == 1
"""


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeLLMServer]:
    srv = FakeLLMServer().start()
    monkeypatch.setenv("FAKE_LLM_URL", srv.openai_base_url)
    monkeypatch.delenv("CI", raising=False)  # CI changes what --record may do; tests choose explicitly
    monkeypatch.delenv("TRACE_OPS_REPORT_URL", raising=False)
    yield srv
    srv.stop()


def write_agent(pytester: pytest.Pytester, question: str = "What is 2+2?", name: str = "test_agent") -> Path:
    return pytester.makepyfile(**{name: AGENT_TEST.replace("QUESTION", question)})


def cassette_file(pytester: pytest.Pytester, module: str = "test_agent", test: str = "test_agent") -> Path:
    return pytester.path / "cassettes" / module / f"{test}.trace.yaml"


def test_record_then_replay_with_server_down(pytester: pytest.Pytester, server: FakeLLMServer) -> None:
    write_agent(pytester)
    recorded = pytester.runpytest("--record")
    recorded.assert_outcomes(passed=1)
    assert cassette_file(pytester).exists()
    assert server.request_count == 1
    recorded.stdout.fnmatch_lines(
        ["*trace_ops*", "cassettes: 0 replayed, 1 recorded, 0 missing, 0 mismatched*"]
    )
    server.stop()

    replayed = pytester.runpytest()
    replayed.assert_outcomes(passed=1)
    replayed.stdout.fnmatch_lines(["cassettes: 1 replayed, 0 recorded, 0 missing, 0 mismatched*"])
    assert server.request_count == 1  # nothing reached the server
    assert "sk-child-test" not in cassette_file(pytester).read_text()


def test_missing_cassette_fails_with_path_and_command(
    pytester: pytest.Pytester, server: FakeLLMServer
) -> None:
    write_agent(pytester)
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*CassetteNotFoundError*cassettes/test_agent/test_agent.trace.yaml: cassette not found; "
            "record it with: pytest 'test_agent.py::test_agent' --record*"
        ]
    )
    assert server.request_count == 0
    result.stdout.fnmatch_lines(["cassettes: 0 replayed, 0 recorded, 1 missing, 0 mismatched*"])


def test_changed_prompt_fails_with_a_readable_diff(pytester: pytest.Pytester, server: FakeLLMServer) -> None:
    write_agent(pytester, "What is 2+2?")
    pytester.runpytest("--record").assert_outcomes(passed=1)
    write_agent(pytester, "What is 2+3?")
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    output = result.stdout.str()
    assert "CassetteMismatchError: no recorded call matches LLM call #1" in output
    assert 'messages[0].content: "What is 2+3?" != "What is 2+2?"' in output
    assert "to re-record: pytest 'test_agent.py::test_agent' --record-mode=rewrite" in output
    assert server.request_count == 1


def test_swallowed_replay_error_still_fails_the_test(
    pytester: pytest.Pytester, server: FakeLLMServer
) -> None:
    pytester.makepyfile(
        test_swallow=AGENT_TEST.replace("QUESTION", "hi")
        + textwrap.dedent(
            """
            def test_swallowing(cassette):
                try:
                    ask("never recorded")
                except Exception:
                    pass
            """
        )
    )
    pytester.runpytest("--record", "-k", "test_agent")
    result = pytester.runpytest()
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*test_swallowing*", "*CassetteNotFoundError*"])


def test_a_test_that_expects_the_replay_error_can_say_so(
    pytester: pytest.Pytester, server: FakeLLMServer
) -> None:
    pytester.makepyfile(
        test_expect=AGENT_TEST.replace("QUESTION", "hi")
        + textwrap.dedent(
            """
            import pytest
            from trace_ops import CassetteMismatchError

            @pytest.mark.expect_replay_errors
            def test_changed_prompt_is_refused(cassette):
                with pytest.raises(CassetteMismatchError, match="messages"):
                    ask("a prompt that was never recorded")

            def test_unmarked(cassette):
                with pytest.raises(CassetteMismatchError):
                    ask("a prompt that was never recorded")
            """
        )
    )
    pytester.runpytest("--record", "-k", "test_agent")
    for name in ("test_changed_prompt_is_refused", "test_unmarked"):
        recorded = pytester.path / "cassettes" / "test_expect" / "test_agent.trace.yaml"
        (recorded.parent / f"{name}.trace.yaml").write_bytes(recorded.read_bytes())
    result = pytester.runpytest()
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["FAILED test_expect.py::test_unmarked*CassetteMismatchError*"])


def test_ci_refuses_recording_unless_mode_is_explicit(
    pytester: pytest.Pytester, server: FakeLLMServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_agent(pytester)
    monkeypatch.setenv("CI", "true")
    refused = pytester.runpytest("--record")
    assert refused.ret == pytest.ExitCode.USAGE_ERROR
    refused.stderr.fnmatch_lines(["*refusing to record cassettes while CI is set*"])
    assert server.request_count == 0
    pytester.runpytest("--record-mode=once").assert_outcomes(passed=1)
    assert server.request_count == 1


def test_budget_marker(pytester: pytest.Pytester, server: FakeLLMServer) -> None:
    pytester.makepyfile(
        test_budget=AGENT_TEST.replace("QUESTION", "hi")
        + textwrap.dedent(
            """
            @pytest.mark.budget(max_llm_calls=1, max_tokens=10_000)
            def test_within(cassette):
                ask("one")

            @pytest.mark.budget(max_llm_calls=2)
            def test_over(cassette):
                for q in ("a", "b", "c"):
                    ask(q)

            @pytest.mark.budget(max_tokens=1)
            def test_without_cassette_fixture():
                ask("x y z")
            """
        )
    )
    result = pytester.runpytest("--record", "-k", "within or over or without")
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines(["*budget exceeded by test_over*", "*3*LLM calls*2*"])
    result.stdout.fnmatch_lines(["*test_without_cassette_fixture*", "*budget exceeded*", "*tokens*"])


def test_cassette_marker_config_fixture_and_async(pytester: pytest.Pytester, server: FakeLLMServer) -> None:
    pytester.makeconftest(
        """
        import pytest

        @pytest.fixture
        def trace_ops_config():
            return {"cassette_dir": "recorded", "match_on": ["endpoint", "model", "messages"]}
        """
    )
    pytester.makepyfile(
        test_things=textwrap.dedent(
            """
            import os
            import openai
            import pytest
            from trace_ops import Recorder

            def client():
                return openai.AsyncOpenAI(base_url=os.environ["FAKE_LLM_URL"], api_key="k", max_retries=0)

            @pytest.mark.cassette("shared/special.yaml")
            def test_marked(cassette):
                sync = openai.OpenAI(base_url=os.environ["FAKE_LLM_URL"], api_key="k", max_retries=0)
                sync.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "m"}])

            @pytest.mark.parametrize("word", ["a b/c", "x" * 300], ids=["a b/c", "y" * 300])
            async def test_async(cassette, word):
                reply = await client().chat.completions.create(
                    model="gpt-4o", messages=[{"role": "user", "content": word}], temperature=0
                )
                assert reply.choices[0].message.content == "Echo: " + word

            def test_nested_recorder(cassette):
                sync = openai.OpenAI(base_url=os.environ["FAKE_LLM_URL"], api_key="k", max_retries=0)
                with Recorder() as rec:
                    sync.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "n"}])
                assert rec.trace.total_llm_calls == 1
                assert cassette.total_llm_calls == 1
            """
        )
    )
    pytester.makeini("[pytest]\nasyncio_mode = auto\n")
    pytester.runpytest("--record").assert_outcomes(passed=4)
    assert (pytester.path / "shared" / "special.yaml").exists()
    names = sorted(p.name for p in (pytester.path / "recorded" / "test_things").iterdir())
    assert names[0] == "test_async_a_b_c.trace.yaml" and names[2] == "test_nested_recorder.trace.yaml"
    assert names[1].startswith("test_async_yyyy") and len(names[1]) == 111  # length-limited, hashed
    server.stop()
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=4)


def test_run_report_and_summary_of_orphans(pytester: pytest.Pytester, server: FakeLLMServer) -> None:
    write_agent(pytester)
    pytester.runpytest("--record").assert_outcomes(passed=1)
    orphan = cassette_file(pytester, test="test_removed")
    orphan.write_text(cassette_file(pytester).read_text())
    report = pytester.path / "out" / "report.json"
    result = pytester.runpytest(f"--trace-ops-report={report}")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        ["*1 cassette(s) next to used ones were not used by this run:*", "*test_removed.trace.yaml"]
    )
    document = json.loads(report.read_text())
    assert document["schema_version"] == 1
    (case,) = document["cases"]
    assert case["nodeid"] == "test_agent.py::test_agent"
    assert case["status"] == "passed" and case["outcome"] == "replayed"
    assert case["cassette"] == "cassettes/test_agent/test_agent.trace.yaml"
    assert case["events"][0]["type"] == "llm_call" and case["events"][0]["model"] == "gpt-4o"
    assert document["run"]["totals"]["passed"] == 1


def test_xdist_records_every_cassette_without_mixing(
    pytester: pytest.Pytester, server: FakeLLMServer
) -> None:
    for i in range(6):
        write_agent(pytester, f"question {i}", name=f"test_agent{i}")
    result = pytester.runpytest_subprocess("-n", "2", "--record", "-p", "no:randomly")
    result.assert_outcomes(passed=6)
    for i in range(6):
        text = cassette_file(pytester, module=f"test_agent{i}").read_text()
        assert f"question {i}" in text and text.count("type: llm_call") == 1
    result.stdout.fnmatch_lines(["cassettes: 0 replayed, 6 recorded*"])
    server.stop()
    pytester.runpytest_subprocess("-n", "2").assert_outcomes(passed=6)


@pytest.mark.parametrize(
    "args",
    [
        pytest.param([], id="autoload"),
        pytest.param(["-p", "no:recording"], id="without-pytest-recording"),
        pytest.param(["-p", "pytest_recording.plugin", "-p", "trace_ops.pytest_plugin"], id="theirs-first"),
        pytest.param(["-p", "trace_ops.pytest_plugin", "-p", "pytest_recording.plugin"], id="ours-first"),
    ],
)
def test_coexists_with_pytest_recording(
    pytester: pytest.Pytester, server: FakeLLMServer, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    pytest.importorskip("pytest_recording")
    if len(args) == 4:
        monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    pytester.makepyfile(
        test_both=AGENT_TEST.replace("QUESTION", "hi")
        + textwrap.dedent(
            """
            def test_their_fixtures_are_theirs(request):
                if request.config.pluginmanager.hasplugin("recording"):
                    assert request.getfixturevalue("record_mode") == "once"
                    assert isinstance(request.getfixturevalue("vcr_config"), dict)
            """
        )
    )
    result = pytester.runpytest_subprocess(*args, "--record-mode=once")
    result.assert_outcomes(passed=2)
    assert cassette_file(pytester, module="test_both").exists()


class _Collector:
    """A local report receiver on 127.0.0.1 answering a scripted list of statuses."""

    def __init__(self, statuses: list[int]) -> None:
        import http.server
        import threading

        self.statuses = statuses
        self.bodies: list[dict[str, object]] = []
        collector = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                status = collector.statuses.pop(0) if collector.statuses else 200
                if status == 200:
                    collector.bodies.append(json.loads(body))
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/runs"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_report_upload_retries_then_succeeds(pytester: pytest.Pytester, server: FakeLLMServer) -> None:
    write_agent(pytester)
    collector = _Collector([500])
    try:
        result = pytester.runpytest("--record", f"--trace-ops-report-url={collector.url}")
    finally:
        collector.close()
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["trace_ops: run report uploaded (2 attempt(s))"])
    (document,) = collector.bodies
    assert document["cases"][0]["outcome"] == "recorded"  # type: ignore[index]


def test_report_upload_failure_falls_back_and_keeps_the_outcome(
    pytester: pytest.Pytester, server: FakeLLMServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_agent(pytester)
    collector = _Collector([422])
    monkeypatch.setenv("TRACE_OPS_REPORT_URL", collector.url)
    try:
        result = pytester.runpytest("--record")
    finally:
        collector.close()
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["trace_ops: run report upload failed after 1 attempt(s)*saved to*"])
    fallback = list((pytester.path / ".pytest_cache" / "trace_ops").glob("trace-ops-report-*.json"))
    assert len(fallback) == 1 and json.loads(fallback[0].read_text())["run"]["totals"]["passed"] == 1
