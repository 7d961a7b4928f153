"""Running one test: the network guard, replay errors the agent swallowed, budgets, the report.

`pytest_runtest_call` wraps the test body; `pytest_runtest_makereport` trims a trace_ops
failure to the user's frames (see `failures`) and hands the case's info to the summary.
"""

from __future__ import annotations

import contextlib
from collections.abc import Generator
from typing import Any

import pytest

from trace_ops.errors import BudgetExceededError
from trace_ops.modes import RecordMode
from trace_ops.pytest_plugin.failures import concerns_us, message_only, trim
from trace_ops.pytest_plugin.state import SESSION_KEY, STATE_KEY, USER_PROPERTY, case_info
from trace_ops.session import Session
from trace_ops.trace import Trace


def _budget_breaches(trace: Trace, limits: dict[str, Any]) -> list[str]:
    from trace_ops import assertions

    checks = {
        "max_usd": lambda v: assertions.assert_cost_under(trace, max_usd=v),
        "max_tokens": lambda v: assertions.assert_tokens_under(trace, max_tokens=v),
        "max_llm_calls": lambda v: assertions.assert_max_llm_calls(trace, max_calls=v),
        "max_consecutive_same_tool": lambda v: assertions.assert_no_loops(trace, max_consecutive_same_tool=v),
    }
    unknown = sorted(set(limits) - set(checks))
    if unknown:
        return [f"unknown budget limit(s): {', '.join(unknown)} (known: {', '.join(checks)})"]
    breaches = []
    for key, value in limits.items():
        if value is None:
            continue
        try:
            checks[key](value)
        except AssertionError as exc:
            breaches.append(str(exc))
    return breaches


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    budget = item.get_closest_marker("budget")
    block = (
        bool(item.config.getoption("block_network", default=False))
        or item.get_closest_marker("block_network") is not None
    )
    observer: Session | None = None
    if budget is not None and SESSION_KEY not in item.stash:
        observer = Session(None, record_mode=RecordMode.ALL)  # budget without a cassette: watch the live run
        observer.start()
    guard: contextlib.AbstractContextManager[None] = contextlib.nullcontext()
    if block:
        from trace_ops.network import block_network

        guard = block_network()
    try:
        with guard:
            result = yield
    finally:
        if observer is not None:
            observer.stop()
    session = item.stash.get(SESSION_KEY, None) or observer
    if session is not None and session.failures and item.get_closest_marker("expect_replay_errors") is None:
        # the agent swallowed a replay error: the test must still fail
        raise session.failures[0]
    if budget is not None and session is not None:
        breaches = _budget_breaches(session.trace, dict(budget.kwargs))
        if breaches:
            path, line, name = item.location
            lines = [f"budget exceeded by {name} ({path}:{(line or 0) + 1}):", *(f"  {b}" for b in breaches)]
            raise BudgetExceededError("\n".join(lines))
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    # a trace_ops failure is reported from the user's frames and our message (failures)
    ours = concerns_us(call, item.config)
    users_code = trim(call) if ours else True
    report = yield
    if not users_code and report.failed:
        message_only(report, item, call)
    session = item.stash.get(SESSION_KEY, None)
    if report.when == "teardown" and session is not None:
        state = item.config.stash[STATE_KEY]
        report.user_properties.append((USER_PROPERTY, case_info(session, detailed=state.detailed)))
        del item.stash[SESSION_KEY]  # free the traces now: a big suite would otherwise keep them all
    return report


__all__ = ["pytest_runtest_call", "pytest_runtest_makereport"]
