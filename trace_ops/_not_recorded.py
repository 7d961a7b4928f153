"""A call we could not record becomes a placeholder that says why: `error: {type:
trace_ops.NotRecorded}`, kept in the trace and the cassette, which a replay refuses loudly.
Apart from the saving side (`_fail_open`), so the seam marks calls without reaching the
cassette writer."""

from __future__ import annotations

import logging

from trace_ops.trace import NOT_RECORDED, Deferred, LLMCall

log = logging.getLogger("trace_ops")


def mark_not_recorded(event: LLMCall, stage: str, exc: BaseException) -> str:
    """Make `event` a placeholder saying why it is not recorded, and log that once; the reason."""
    request = event.__dict__.get("request")
    if isinstance(request, Deferred):
        try:
            request = request.make()
        except Exception:
            request = None
    event.request = request if isinstance(request, dict) else {}
    event.response, event.stream, event.headers, event.incomplete = None, None, {}, False
    detail = detail_of(exc)
    event.error = {"type": NOT_RECORDED, "message": f"{stage}: {detail}"}
    event.invalidate_view()
    model = event.model
    what = f"{event.provider} {event.endpoint} call" + (f" (model {model})" if model else "")
    log.warning(
        "trace_ops could not record the %s while %s (%s); the live answer went to the agent, "
        "the cassette marks this call as not recorded",
        what,
        stage,
        detail,
        exc_info=exc,
    )
    return f"{what}: {stage}: {detail}"


def detail_of(exc: BaseException) -> str:
    """`Type: message`, also for an exception whose `str` fails (this path must not raise)."""
    try:
        return f"{type(exc).__name__}: {exc}"
    except Exception:
        return type(exc).__name__
