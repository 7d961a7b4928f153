"""Beside pytest-recording / VCR.py: one test using both plugins writes two files, never one twice."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator

import pytest

from trace_ops.testing import FakeLLMServer

pytest.importorskip("pytest_recording")

BOTH = textwrap.dedent(
    """
    import json, os, urllib.request
    import openai
    import pytest

    def http_call():  # plain HTTP, which VCR.py records
        request = urllib.request.Request(
            os.environ["FAKE_LLM_URL"] + "/chat/completions",
            data=json.dumps({"model": "gpt-4o", "messages": [{"role": "user", "content": "vcr"}]}).encode(),
            headers={"content-type": "application/json", "authorization": "Bearer sk-x"},
        )
        with urllib.request.urlopen(request) as reply:
            return json.loads(reply.read())["choices"][0]["message"]["content"]

    def sdk_call():  # the SDK, which trace_ops records
        client = openai.OpenAI(base_url=os.environ["FAKE_LLM_URL"], api_key="sk-x", max_retries=0)
        reply = client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "ours"}])
        return reply.choices[0].message.content

    @pytest.fixture
    def vcr_config():  # VCR.py also sees the SDK's HTTP while trace_ops records it: tell them apart
        return {"match_on": ["method", "uri", "body"]}

    @pytest.mark.vcr
    def test_agent(cassette):
        assert sdk_call() == "Echo: ours"
        assert http_call() == "Echo: vcr"
        assert cassette.total_llm_calls == 1
    """
)


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeLLMServer]:
    srv = FakeLLMServer().start()
    monkeypatch.setenv("FAKE_LLM_URL", srv.openai_base_url)
    monkeypatch.delenv("CI", raising=False)
    yield srv
    srv.stop()


def test_both_plugins_record_their_own_file(pytester: pytest.Pytester, server: FakeLLMServer) -> None:
    pytester.makepyfile(test_both=BOTH)
    pytester.runpytest_subprocess("--record-mode=once").assert_outcomes(passed=1)
    folder = pytester.path / "cassettes" / "test_both"
    ours, theirs = folder / "test_agent.trace.yaml", folder / "test_agent.yaml"
    assert ours.read_text().startswith("version: 1\ntrace:")
    assert "interactions:" in theirs.read_text()  # VCR.py's file, not overwritten by ours
    served = server.request_count
    assert served == 2
    server.stop()
    result = pytester.runpytest_subprocess()  # both replay: nothing reaches the (stopped) server
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["cassettes: 1 replayed, 0 recorded, 0 missing, 0 mismatched*"])
    assert "not used by this run" not in result.stdout.str()  # VCR.py's file is not our orphan
    assert server.request_count == served


def test_record_flag_records_ours_and_leaves_vcr_in_its_own_mode(
    pytester: pytest.Pytester, server: FakeLLMServer
) -> None:
    """`--record` is ours (mode `once`); pytest-recording keeps its default mode `none`, so
    VCR.py refuses the unrecorded HTTP call in its own words, and nothing crashes."""
    pytester.makepyfile(test_both=BOTH)
    result = pytester.runpytest_subprocess("--record")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*CannotOverwriteExistingCassetteException*"])
    assert "INTERNALERROR" not in result.stdout.str()
    folder = pytester.path / "cassettes" / "test_both"
    assert (folder / "test_agent.trace.yaml").exists()  # ours recorded before VCR.py refused
    assert not (folder / "test_agent.yaml").exists()
