"""What a session saves: its events (merged into the cassette's under `new_episodes`), each
passed through `before_record`, under an id derived from what the run asked.

Apart from `Session` so the session keeps the run and the matching, and this the save rules.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Collection, Sequence
from pathlib import Path
from typing import NamedTuple

from trace_ops._redaction import refuse_collisions
from trace_ops.errors import RedactionCollisionError
from trace_ops.matching import fingerprint
from trace_ops.scrub import DEFAULT_SCRUBBER, Scrubber
from trace_ops.trace import Event, LLMCall, Trace

BeforeRecord = Callable[[Event], "Event | None"]


class Saved(NamedTuple):
    trace: Trace
    #: calls that differ only inside a redacted secret, saved as not recorded (see _redaction)
    refused: RedactionCollisionError | None


def trace_to_save(
    run: Trace,
    cassette: Trace | None,
    path: Path | None,
    *,
    merge: bool,
    superseded: Collection[int] = (),
    before_record: BeforeRecord | None = None,
    scrubber: Scrubber = DEFAULT_SCRUBBER,
    lost: Callable[[str], None] = lambda reason: None,
) -> Saved:
    """The trace to write for `run`: with `merge` (`new_episodes`), the cassette's events
    (but the `superseded` placeholders, by id) then the new ones; `before_record` may edit
    or drop each event; this run's calls that redaction would make collide become placeholders.
    The same conversation re-recorded gets the same id: a clean diff in review.
    """
    events = merged_events(run, cassette, superseded) if merge and cassette is not None else list(run.events)
    if before_record is not None:
        kept: list[Event] = []
        for event in events:
            result = before_record(event)
            if result is not None:
                kept.append(result)
        events = kept
    old = {id(event) for event in cassette.events} if cassette is not None else set()
    refused = refuse_collisions(events, old, scrubber, path, lost)  # sets the (scrubbed) fingerprints
    saved = with_events(run, events)
    saved.id = derived_trace_id(saved.events, path)
    return Saved(saved, refused)


def with_events(trace: Trace, events: list[Event]) -> Trace:
    """`trace`'s header (id, dates, versions, tags, metadata) over other events."""
    return Trace(
        events=events,
        id=trace.id,
        created_at=trace.created_at,
        sdk_versions=trace.sdk_versions,
        price_data=trace.price_data,
        tags=trace.tags,
        metadata=trace.metadata,
    )


def merged_events(run: Trace, cassette: Trace, superseded: Collection[int] = ()) -> list[Event]:
    """The cassette's events followed by the run's new ones.

    As in VCR.py, `new_episodes` keeps every recorded interaction, also those this run did
    not make, and appends what it recorded. An event equal to one already in the cassette
    (a tool that ran again with the same input and output) is not appended twice.
    """
    old = [event for event in cassette.events if id(event) not in superseded]
    kept = {id(event) for event in old}
    seen = {_event_key(event) for event in old if not isinstance(event, LLMCall)}
    merged = list(old)
    for event in run.events:
        if id(event) in kept:
            continue  # replayed from the cassette: already there
        if not isinstance(event, LLMCall):
            key = _event_key(event)
            if key in seen:
                continue
            seen.add(key)
        merged.append(event)
    return merged


def _event_key(event: Event) -> str:
    """What a non-LLM event says, without its timing (to tell a repeated event from a new one)."""
    fields = {k: v for k, v in vars(event).items() if k not in ("started_at", "duration_ms")}
    return json.dumps([event.kind, fields], sort_keys=True, default=str)


def derived_trace_id(events: Sequence[Event], path: Path | None) -> str:
    """A trace id that depends only on the cassette's name and what the run asked (each LLM
    request's fingerprint, each other event's content), never on time or chance."""
    digest = hashlib.sha256()
    if path is not None:
        digest.update(f"{path.parent.name}/{path.name}".encode())
    for event in events:
        digest.update(b"\0")
        if isinstance(event, LLMCall):
            digest.update(f"{event.kind}:{event.endpoint}:{_saved_fingerprint(event)}".encode())
        else:
            digest.update(_event_key(event).encode())
    return digest.hexdigest()[:16]


def _saved_fingerprint(call: LLMCall) -> str:
    try:
        return call.fingerprint or fingerprint(call.endpoint, call.request)
    except Exception:  # a request we cannot read: saving marks the call as not recorded
        return "unreadable"
