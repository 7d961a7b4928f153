"""The plugin's summary block: cost with its significant digits, one line per stale cassette,
and child runs without pytest-asyncio's configuration warning."""

from __future__ import annotations

import textwrap
import warnings

import pytest

from tests.pytest_plugin.test_plugin import AGENT_TEST, cassette_file, server, write_agent
from trace_ops import load_cassette
from trace_ops.formatting import format_usd
from trace_ops.testing import FakeLLMServer

__all__ = ["server"]

UNSET = 'The configuration option "asyncio_default_fixture_loop_scope" is unset'


def test_recorded_cost_keeps_its_significant_digits(pytester: pytest.Pytester, server: FakeLLMServer) -> None:
    write_agent(pytester, "hi")
    result = pytester.runpytest("--record")
    result.assert_outcomes(passed=1)
    cost = load_cassette(cassette_file(pytester)).total_cost_usd
    assert cost is not None and 0 < cost < 0.00005  # a few tokens of gpt-4o: a fraction of a cent
    shown = format_usd(cost)
    assert shown != "$0.00" and len(shown.rstrip("0").split(".")[1]) >= 5
    result.stdout.fnmatch_lines([f"recorded: 1 LLM calls, * tokens, cost {shown}"])


def test_an_unknown_price_makes_the_cost_unknown(pytester: pytest.Pytester, server: FakeLLMServer) -> None:
    pytester.makepyfile(
        test_agent=AGENT_TEST.replace("QUESTION", "hi").replace('"gpt-4o"', '"house-model-without-a-price"')
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the PriceWarning of the unpriced model
        result = pytester.runpytest("--record")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["recorded: 1 LLM calls, * tokens, cost unknown"])


def test_a_stale_cassette_shared_by_tests_is_listed_once(
    pytester: pytest.Pytester, server: FakeLLMServer
) -> None:
    pytester.makepyfile(
        test_shared=AGENT_TEST.replace("QUESTION", "hi").replace(
            "def test_agent(cassette):", '@pytest.mark.cassette("shared.yaml")\ndef test_agent(cassette):'
        )
        + textwrap.dedent(
            """
            @pytest.mark.cassette("shared.yaml")
            def test_again(cassette):
                assert ask("hi") == "Echo: hi"

            @pytest.mark.cassette("shared.yaml")
            def test_once_more(cassette):
                assert ask("hi") == "Echo: hi"
            """
        )
    )
    pytester.runpytest("--record", "-k", "test_agent").assert_outcomes(passed=1, deselected=2)
    result = pytester.runpytest("--cassette-max-age=0s")
    result.assert_outcomes(passed=3)
    stale = [line for line in result.stdout.lines if line.startswith("stale cassette:")]
    assert len(stale) == 1 and stale[0].startswith("stale cassette: shared.yaml (0 days old"), stale


def test_child_runs_do_not_warn_about_the_asyncio_loop_scope(
    pytester: pytest.Pytester, server: FakeLLMServer, recwarn: pytest.WarningsRecorder
) -> None:
    write_agent(pytester)
    pytester.runpytest("--record").assert_outcomes(passed=1)  # in-process: warnings reach this test
    assert not [w for w in recwarn if UNSET in str(w.message)]
    child = pytester.runpytest_subprocess("-W", "always")
    child.assert_outcomes(passed=1)
    assert UNSET not in child.stdout.str() + child.stderr.str()
