"""The suite's secret scan (tests/_leak_scan.py) catches a leak, names the file and the place, and
fails the test that wrote it; `@pytest.mark.writes_secrets` opts a test out."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests._leak_scan import leaks_in
from trace_ops import LLMCall, Trace
from trace_ops.cassette import dumps_cassette
from trace_ops.scrub import Scrubber

KEY = "sk-proj-LEAKEDKEY0123456789abcdef"


class NoScrub(Scrubber):
    """Writes everything as it is: how a leak would look if scrubbing missed it."""

    def text(self, value: str) -> str:
        return value

    def data(self, value: Any) -> Any:
        return value

    def stream(self, body: str) -> str:
        return body


def leaky(stream: str | None = None) -> Trace:
    call = LLMCall(
        provider="openai",
        endpoint="chat.completions",
        request={"model": "gpt-4o", "messages": [{"role": "user", "content": f"key {KEY}"}]},
    )
    if stream is None:
        call.response = {"choices": [{"message": {"role": "assistant", "content": "ok"}}]}
    else:
        call.stream = stream
    return Trace(events=[call])


def test_a_leak_is_named_by_file_and_place_never_by_value() -> None:
    found = leaks_in(dumps_cassette(leaky(), NoScrub()), "c.yaml")
    assert found == ["c.yaml: events[0].request.messages[0].content (looks like a credential)"]
    assert KEY not in "".join(found)
    assert leaks_in(dumps_cassette(leaky()), "c.yaml") == []  # scrubbed as usual: clean


def test_a_key_spelled_out_across_stream_deltas_is_found() -> None:
    deltas = ["sk-proj-", "LEAKEDKEY", "0123456789", "abcdef"]
    body = "".join(
        f'data: {{"choices": [{{"index": 0, "delta": {{"content": "{d}"}}}}]}}\n\n' for d in deltas
    )
    trace = leaky(stream=body + "data: [DONE]\n\n")
    trace.llm_calls[0].request = {"model": "gpt-4o", "messages": []}
    found = leaks_in(dumps_cassette(trace, NoScrub()), "c.yaml")
    assert "c.yaml: events[0].stream (a secret spelled out across its deltas)" in found
    assert "c.yaml: events[0].assembled.text (looks like a credential)" in found


INNER = '''
import pytest
from tests.cassette.test_secret_scan import NoScrub, leaky
from trace_ops import save_cassette
from trace_ops.cassette import dumps_cassette

def test_saves_a_leak(tmp_path_factory):
    save_cassette(leaky(), tmp_path_factory.mktemp("x") / "leak.yaml", scrubber=NoScrub())

def test_writes_a_leak_by_hand(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "hand.yaml").write_text(dumps_cassette(leaky(), NoScrub()))

@pytest.mark.writes_secrets
def test_says_it_writes_secrets(tmp_path):
    save_cassette(leaky(), tmp_path / "on-purpose.yaml", scrubber=NoScrub())

def test_clean(tmp_path):
    save_cassette(leaky(), tmp_path / "clean.yaml")
'''


@pytest.mark.writes_secrets  # the inner run saves in this process: its leaks are this test's too
def test_the_scan_fails_the_test_that_wrote_the_leak(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inner=INNER)
    result = pytester.runpytest("-p", "tests._leak_scan", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=4, errors=2)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_saves_a_leak*",
            "*secret scan: a cassette this test wrote still holds a secret*",
            "*leak.yaml: events[[]0[]].request.messages[[]0[]].content (looks like a credential)",
            "*ERROR at teardown of test_writes_a_leak_by_hand*",
            "*sub/hand.yaml: events[[]0[]].request.messages[[]0[]].content (looks like a credential)",
        ]
    )
    assert KEY not in result.stdout.str()
    assert "on-purpose.yaml" not in result.stdout.str() and "clean.yaml" not in result.stdout.str()


def test_the_scan_is_active_in_this_suite(request: pytest.FixtureRequest, tmp_path: Path) -> None:
    assert request.config.pluginmanager.has_plugin("tests._leak_scan")
    import trace_ops.cassette.save as save

    assert save.atomic_write_text.__name__ == "_recording_write"
