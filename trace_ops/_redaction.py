"""Redaction collisions: two calls of one run whose requests differ only inside a redacted secret.

Matching fingerprints the request as the cassette holds it, scrubbed, so that a replay with
another key still matches. Two requests that differ only inside a redacted span (`key A` and
`key B` in the prompt) then share one fingerprint, and a replay in the other order would answer
each with the other's answer. The secret itself is never stored, so the cassette cannot keep
them apart; they are told apart here, while recording, by an HMAC of the unscrubbed request
under a random key of this process (never written, gone with the process: nothing in a
cassette, a log or an error can lead back to the secret).

The refusal happens at save, not at the call: recording fails open (see `_fail_open`), so the
agent's live run and its answers are never broken by us, and at save every request is known
(a recording-only session describes requests only then). Every call of a colliding group is
saved as a not-recorded placeholder (keeping one would let it answer the others), the other
calls are saved as usual, and the session raises `RedactionCollisionError` naming the
cassette, the calls and what to do.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

from trace_ops._not_recorded import mark_not_recorded
from trace_ops.errors import RedactionCollisionError
from trace_ops.matching import canonical_request
from trace_ops.scrub import Scrubber
from trace_ops.trace import Event, LLMCall

_KEY = secrets.token_bytes(32)  # this process's alone: an identity means nothing outside it
#: Set on a call whose request was scrubbed before the cassette was written (the replay path
#: of the seam keeps only the scrubbed request): the HMAC of what it was.
RAW_IDENTITY = "_raw_identity"
_CLEAN = b"clean"  # a request scrubbing does not change: its fingerprint says all


def _identity(canonical: str) -> bytes:
    return hmac.new(_KEY, canonical.encode("utf-8"), hashlib.sha256).digest()


def note_scrubbed(event: LLMCall, raw: dict[str, Any]) -> None:
    """`event.request` is the scrubbed form of `raw`: keep an HMAC of `raw`, if they differ."""
    if raw != event.request:
        event.__dict__[RAW_IDENTITY] = _identity(canonical_request(event.endpoint, raw))


def _fingerprint_and_identity(call: LLMCall, scrubber: Scrubber) -> tuple[str, bytes] | None:
    request = call.request
    if not isinstance(request, dict):
        return None
    known = call.__dict__.get(RAW_IDENTITY)
    if known is not None and call.fingerprint:
        return call.fingerprint, known
    canonical = canonical_request(call.endpoint, request)
    if not scrubber.might_hold_secrets(request, canonical):
        return _short(canonical), _CLEAN
    scrubbed = scrubber.data(request)
    if scrubbed == request:
        return _short(canonical), _CLEAN
    return _short(canonical_request(call.endpoint, scrubbed)), _identity(canonical)


def _short(canonical: str) -> str:
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def refuse_collisions(
    events: list[Event],
    old: Collection[int],
    scrubber: Scrubber,
    path: Path | None,
    lost: Callable[[str], None],
) -> RedactionCollisionError | None:
    """Make every call of a colliding group (this run's calls, not the cassette's `old` ones, by
    id) a not-recorded placeholder; the error to raise once the cassette is saved, or None."""
    groups: dict[str, list[tuple[int, LLMCall, bytes]]] = {}
    number = 0
    for event in events:
        if not isinstance(event, LLMCall):
            continue
        number += 1
        if id(event) in old or event.not_recorded is not None:
            continue
        try:
            found = _fingerprint_and_identity(event, scrubber)
        except Exception:  # a request we cannot read: saving marks it (see _fail_open)
            continue
        if found is not None:
            event.fingerprint = found[0]  # what the cassette will hold: the save need not hash again
            groups.setdefault(found[0], []).append((number, event, found[1]))
    colliding = [group for group in groups.values() if len({identity for _, _, identity in group}) > 1]
    if not colliding:
        return None
    error = _error(path, colliding)
    for group in colliding:
        numbers = [n for n, _, _ in group]
        for n, call, _ in group:
            others = ", ".join(f"#{m}" for m in numbers if m != n)
            reason = f"differs from LLM call {others} only inside a redacted secret"
            lost(mark_not_recorded(call, "saving the cassette", RedactionCollisionError(reason)))
    return error


def _error(path: Path | None, groups: list[list[tuple[int, LLMCall, bytes]]]) -> RedactionCollisionError:
    first = groups[0]
    call = first[0][1]
    calls = " and ".join(f"#{n}" for n, _, _ in first[:2]) + (
        f" (and {len(first) - 2} more)" if len(first) > 2 else ""
    )
    more = f"; {len(groups) - 1} more such group(s)" if len(groups) > 1 else ""
    where = str(path) if path is not None else "(in-memory cassette)"
    return RedactionCollisionError(
        f"{where}: LLM calls {calls} ({call.provider} {call.endpoint}, model {call.model!r}) differ only "
        f"inside a redacted secret, so replay could not tell them apart and might answer each with the "
        f"other's answer{more}: they were saved as not recorded. Make the requests differ outside the "
        f"secret (a scrub pattern that keeps the distinguishing part, e.g. scrub_patterns=[...]) or "
        f"use a different prompt, then record again"
    )


__all__ = ["RAW_IDENTITY", "note_scrubbed", "refuse_collisions"]
