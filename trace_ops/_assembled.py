"""The `assembled:` field of a streamed llm_call: its answer as a reviewer reads it.

A raw SSE body is dozens of one-line JSON events per answer; nobody can review the text in
it. The cassette therefore also shows the text, tool calls and finish reason assembled from
the stream (by the same normalize view the rest of trace_ops uses). The field is derived:
replay uses only `stream:`, and saving recomputes it, so a hand edit of it never replays.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from trace_ops.scrub import Scrubber
    from trace_ops.trace import LLMCall

KEY = "assembled"


class BlockText(str):
    """Text the cassette writes as a `|` block scalar even when it is a single line."""

    __slots__ = ()


def assembled(call: LLMCall, scrub: Scrubber) -> dict[str, Any] | None:
    """The scrubbed text / tool calls / finish reason of a streamed call, or None.

    Scrubbing the assembled text also catches a secret split across SSE deltas."""
    if call.stream is None or call.error is not None or call.status >= 400:
        return None
    try:
        view = call.view
    except (AttributeError, TypeError, ValueError):  # odd chunks (a proxy's?): never lose the save
        return None
    out: dict[str, Any] = {}
    if view.text:
        out["text"] = BlockText(scrub.text(view.text))
    if view.tool_calls:
        out["tool_calls"] = [
            {"name": scrub.text(str(c.name)), "arguments": _arguments(c.arguments, scrub)}
            for c in view.tool_calls
        ]
    if view.finish_reason is not None:
        out["finish_reason"] = scrub.text(str(view.finish_reason))
    return out or None


def _arguments(arguments: Any, scrub: Scrubber) -> str:
    """One line of JSON (as the SDK hands arguments over); text that is not JSON stays as is."""
    if isinstance(arguments, str):
        return scrub.text(arguments)
    return json.dumps(scrub.data(arguments), ensure_ascii=False, default=str)
