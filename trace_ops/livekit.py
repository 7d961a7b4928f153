"""LiveKit agents: `.judge(...)` verdicts as trace_ops judgment events.

A `livekit-agents` `AgentSession` with `livekit-plugins-openai` talks to the model through the
OpenAI SDK, so its turns record and replay through the OpenAI interceptor with no LiveKit code
(text mode: `await session.run(user_input=...)`, no LiveKit server). What the interceptor
cannot see is the verdict of LiveKit's LLM judge (`ChatMessageAssert.judge`): after
`record_judgments()`, each judge call adds a `Judgment` (intent, pass/fail, the judge's reason)
to the active session. The judge's own LLM call is recorded like any other, so on replay the
verdict comes back the same. Needs `pip install trace-ops[livekit]`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from trace_ops import _seam
from trace_ops.trace import LLMCall

__all__ = ["JUDGE_TOOL", "record_judgments"]

#: The function LiveKit's judge makes the model call with its verdict.
JUDGE_TOOL = "check_intent"

_installed: list[Callable[[], None]] = []


def _verdict(events_before: int) -> tuple[bool | None, str | None]:
    """(success, reason) from the judge's LLM call: the last call since the judge started that
    called `check_intent`."""
    session = _seam.current_session()
    trace = getattr(session, "trace", None)
    if trace is None:
        return None, None
    for event in reversed(trace.events[events_before:]):
        if isinstance(event, LLMCall):
            for call in event.view.tool_calls:
                if call.name == JUDGE_TOOL and isinstance(call.arguments, dict):
                    success = call.arguments.get("success")
                    reason = call.arguments.get("reason")
                    return (
                        success if isinstance(success, bool) else None,
                        None if reason is None else str(reason),
                    )
    return None, None


def _record(intent: str, passed: bool, reason: str | None) -> None:
    session = _seam.current_session()
    record = getattr(session, "record_judgment", None)
    if callable(record):
        record("livekit.judge", verdict="pass" if passed else "fail", reasoning=reason, intent=intent)


def record_judgments() -> Callable[[], None]:
    """Patch LiveKit's `ChatMessageAssert.judge` (once) to record each verdict; returns the undo."""
    if _installed:
        return _installed[0]
    from livekit.agents.voice.run_result import ChatMessageAssert  # type: ignore[import-not-found, unused-ignore]

    original = ChatMessageAssert.judge

    @functools.wraps(original)
    async def judge(self: Any, llm_v: Any, *, intent: str) -> Any:
        session = _seam.current_session()
        trace = getattr(session, "trace", None)
        before = len(trace.events) if trace is not None else 0
        try:
            result = await original(self, llm_v, intent=intent)
        except AssertionError:
            _, reason = _verdict(before)
            _record(intent, False, reason)
            raise
        _, reason = _verdict(before)
        _record(intent, True, reason)
        return result

    ChatMessageAssert.judge = judge  # type: ignore[method-assign, unused-ignore]

    def undo() -> None:
        ChatMessageAssert.judge = original  # type: ignore[method-assign, unused-ignore]
        _installed.clear()

    _installed.append(undo)
    return undo
