"""Record modes, with VCR.py's names. The one place that says what each mode does.

| mode         | cassette missing     | recorded call matches | no match            | saves |
|--------------|----------------------|-----------------------|---------------------|-------|
| none         | error                | replay                | mismatch error      | no    |
| once         | record everything    | replay                | mismatch error      | only when it recorded |
| new_episodes | record everything    | replay                | call live, append   | yes   |
| all          | record everything    | ignored (call live)   | call live           | yes (replaces) |
| rewrite      | as `all`, and the old cassette is deleted before the run starts             |
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
    delete_first: bool  # remove the old cassette before the run
    save: bool  # write the run's trace on exit (when something was recorded)


def policy_for(mode: RecordMode, cassette_exists: bool) -> Policy:
    if mode is RecordMode.NONE:
        return Policy(
            load=True, require_cassette=True, replay=True, record_misses=False, delete_first=False, save=False
        )
    if mode is RecordMode.ONCE:
        if cassette_exists:
            return Policy(True, False, True, False, False, False)
        return Policy(False, False, False, True, False, True)
    if mode is RecordMode.NEW_EPISODES:
        return Policy(cassette_exists, False, True, True, False, True)
    if mode is RecordMode.ALL:
        return Policy(False, False, False, True, False, True)
    return Policy(False, False, False, True, True, True)
