"""Recording fails open: a failure of ours never breaks the agent's call, and loses only itself.

A call we cannot record (a bug of ours while describing or capturing it, an event we cannot
write) stays in the trace as a placeholder, `error: {type: trace_ops.NotRecorded}`: the
cassette says what happened, and a replay reaching it fails instead of answering. A cassette
we cannot write at all (an unwritable directory) is a one-line error naming the path, with
the recording kept in the temp directory: a live run is not free to repeat.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Callable
from pathlib import Path

from trace_ops._not_recorded import detail_of, log, mark_not_recorded
from trace_ops._saving import with_events
from trace_ops.cassette import event_to_dict, save_cassette
from trace_ops.errors import CassetteWriteError
from trace_ops.scrub import Scrubber
from trace_ops.trace import Event, LLMCall, Trace

#: Told the reason of each call that could not be recorded (the session counts them).
Lost = Callable[[str], None]


def save_failing_open(
    trace: Trace, path: Path, scrubber: Scrubber, lost: Lost, *, quiet: BaseException | None = None
) -> None:
    """Write the cassette; an event that cannot be written is kept as not recorded.

    If the file cannot be written, raise `CassetteWriteError` (one line: the path, why, where
    the recording was kept instead), or only log it while `quiet` (the agent's own exception)
    propagates: ours must not hide it.
    """
    try:
        save_cassette(trace, path, scrubber=scrubber)
        return
    except OSError as error:
        failure: Exception = error
    except Exception:  # an event we cannot write (a bug of ours, a scrub hook) loses only itself
        trace = _writable(trace, scrubber, lost)
        try:
            save_cassette(trace, path, scrubber=scrubber)
            return
        except Exception as error:
            failure = error
    reason = failure.strerror if isinstance(failure, OSError) and failure.strerror else str(failure)
    message = f"{path}: cannot save the cassette ({type(failure).__name__}: {reason})"
    try:
        kept = Path(tempfile.gettempdir()) / "trace_ops-unsaved" / f"{path.stem}-{trace.id}.yaml"
        message += f"; the recording was saved to {save_cassette(trace, kept, scrubber=scrubber)}"
    except Exception:
        message += f"; its {len(trace.events)} events are lost"
    if quiet is not None:
        log.error("trace_ops: %s", message)
        return
    raise CassetteWriteError(message) from failure


def _writable(trace: Trace, scrubber: Scrubber, lost: Lost) -> Trace:
    """`trace` without what cannot be written: such calls become not-recorded placeholders."""
    kept: list[Event] = []
    for event in trace.events:
        try:
            event_to_dict(event, scrubber)
            kept.append(event)
            continue
        except Exception as error:
            if not isinstance(event, LLMCall):
                reason = f"{event.label}: saving the cassette: {detail_of(error)}"
                log.warning("trace_ops could not save the event %s", reason, exc_info=True)
                lost(reason)
                continue
            if event.not_recorded is None:
                lost(mark_not_recorded(event, "saving the cassette", error))
        for request in (event.request, {}):  # the placeholder, with its request if that can be written
            event.request = request
            with contextlib.suppress(Exception):
                event_to_dict(event, scrubber)
                kept.append(event)
                break
    return with_events(trace, kept)
