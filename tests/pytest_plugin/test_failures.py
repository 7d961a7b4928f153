"""How trace_ops failures read in pytest: the user's lines and our message, none of our frames."""

from __future__ import annotations

import textwrap

import pytest

from tests.pytest_plugin.test_plugin import AGENT_TEST, server, write_agent
from trace_ops.testing import FakeLLMServer

__all__ = ["server"]

OUR_FRAMES = ("_stainless.py", "_seam.py", "session.py", "pytest_plugin/")
BUDGET_TEST = AGENT_TEST.replace("QUESTION", "hi") + textwrap.dedent(
    """
    @pytest.mark.budget(max_llm_calls=2)
    def test_over(cassette):
        for q in ("a", "b", "c"):
            ask(q)
    """
)


def changed_prompt_run(pytester: pytest.Pytester, *args: str) -> str:
    write_agent(pytester, "What is 2+2?")
    pytester.runpytest("--record").assert_outcomes(passed=1)
    write_agent(pytester, "What is 2+3?")
    result = pytester.runpytest(*args)
    result.assert_outcomes(failed=1)
    return result.stdout.str()


@pytest.mark.parametrize("tb", ["auto", "long", "short"])
def test_a_mismatch_shows_the_users_line_the_diff_and_the_command(
    pytester: pytest.Pytester, server: FakeLLMServer, tb: str
) -> None:
    output = changed_prompt_run(pytester, f"--tb={tb}")
    assert 'assert ask("What is 2+3?") == "Echo: What is 2+3?"' in output  # the test's line
    assert "reply = client.chat.completions.create(" in output  # the user's call into the SDK
    assert 'messages[0].content: "What is 2+3?" != "What is 2+2?"' in output
    assert "to re-record: pytest 'test_agent.py::test_agent' --record-mode=rewrite" in output
    for frame in (*OUR_FRAMES, "_base_client.py", "_utils.py"):
        assert frame not in output, frame


def test_a_mismatch_in_one_line_points_at_the_users_call(
    pytester: pytest.Pytester, server: FakeLLMServer
) -> None:
    output = changed_prompt_run(pytester, "--tb=line")
    assert "test_agent.py:7: trace_ops.errors.CassetteMismatchError: no recorded call matches" in output
    assert not any(frame in output for frame in OUR_FRAMES)


def test_fulltrace_shows_every_frame(pytester: pytest.Pytester, server: FakeLLMServer) -> None:
    trimmed = changed_prompt_run(pytester)
    full = pytester.runpytest("--fulltrace").stdout.str()
    for frame in ("_stainless.py", "_seam.py", "session.py"):
        assert frame in full and frame not in trimmed, frame
    assert 'messages[0].content: "What is 2+3?" != "What is 2+2?"' in full


def test_a_swallowed_mismatch_shows_where_the_test_caught_it(
    pytester: pytest.Pytester, server: FakeLLMServer
) -> None:
    pytester.makepyfile(
        test_agent=AGENT_TEST.replace("QUESTION", "hi")
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
    pytester.path.joinpath("cassettes/test_agent/test_swallowing.trace.yaml").write_bytes(
        pytester.path.joinpath("cassettes/test_agent/test_agent.trace.yaml").read_bytes()
    )
    result = pytester.runpytest("-k", "test_swallowing")
    result.assert_outcomes(failed=1)
    output = result.stdout.str()
    assert 'ask("never recorded")' in output and "CassetteMismatchError" in output
    assert not any(frame in output for frame in OUR_FRAMES), output


def test_a_budget_breach_shows_the_test_and_figure_against_limit(
    pytester: pytest.Pytester, server: FakeLLMServer
) -> None:
    source = pytester.makepyfile(test_budget=BUDGET_TEST).read_text().splitlines()
    line = 1 + next(n for n, text in enumerate(source) if text.startswith("@pytest.mark.budget"))
    result = pytester.runpytest("--record", "-k", "test_over")
    result.assert_outcomes(failed=1)
    output = result.stdout.str()
    assert f"BudgetExceededError: budget exceeded by test_over (test_budget.py:{line}):" in output
    assert "3 LLM calls exceed limit 2" in output
    assert not any(frame in output for frame in (*OUR_FRAMES, "pluggy/", "_pytest/")), output
    one_line = pytester.runpytest("-k", "test_over", "--tb=line").stdout.str()
    assert f"test_budget.py:{line}: trace_ops.errors.BudgetExceededError: budget exceeded" in one_line
    assert "pytest_plugin/runtest.py" in pytester.runpytest("-k", "test_over", "--fulltrace").stdout.str()
    assert "3 LLM calls" not in pytester.runpytest("-k", "test_over", "--tb=no").stdout.str()
