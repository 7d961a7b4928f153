"""Record modes, with VCR.py's names. The one place that says what each mode does.

| mode         | cassette missing     | recorded call matches | no match            | saves |
|--------------|----------------------|-----------------------|---------------------|-------|
| none         | error                | replay                | mismatch error      | no    |
| once         | record everything    | replay                | mismatch error      | only when it recorded |
| new_episodes | record everything    | replay                | call live, append   | yes   |
| all          | record everything    | ignored (call live)   | call live           | yes (replaces) |
| rewrite      | as `all`: the old cassette stays until the new one is saved                  |
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class RecordMode(str, enum.Enum):
    NONE = "none"
    ONCE = "once"
    NEW_EPISODES = "new_episodes"
    ALL = "all"
    REWRITE = "rewrite"

    @classmethod
    def parse(cls, value: str | RecordMode) -> RecordMode:
        if isinstance(value, RecordMode):
            return value
        try:
            return cls(value.strip().lower().replace("-", "_"))
        except ValueError:
            from trace_ops.errors import RecordModeError

            names = ", ".join(m.value for m in cls)
            raise RecordModeError(f"unknown record mode {value!r}; choose one of: {names}") from None


@dataclass(frozen=True)
class Policy:
    """What a session does, given its mode and whether its cassette exists."""

    load: bool  # read the existing cassette
    require_cassette: bool  # a missing cassette is an error
    replay: bool  # answer matching calls from the cassette
    record_misses: bool  # unmatched calls go live and are recorded (else: mismatch error)
    save: bool  # write the run's trace on exit (when something was recorded)


def policy_for(mode: RecordMode, cassette_exists: bool) -> Policy:
    if mode is RecordMode.NONE:
        return Policy(load=True, require_cassette=True, replay=True, record_misses=False, save=False)
    if mode is RecordMode.ONCE:
        if cassette_exists:
            return Policy(True, False, True, False, False)
        return Policy(False, False, False, True, True)
    if mode is RecordMode.NEW_EPISODES:
        return Policy(cassette_exists, False, True, True, True)
    # `all` and `rewrite`: VCR.py deletes a rewritten cassette first; here only a saved new one
    # replaces it, so a run that fails before recording anything keeps it (Session.stop)
    return Policy(False, False, False, True, True)
