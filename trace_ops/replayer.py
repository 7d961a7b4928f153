"""Replayer: answer every LLM call from a cassette: no network, no key, no cost."""

from __future__ import annotations

import os
from collections.abc import Iterable

from trace_ops.modes import RecordMode
from trace_ops.session import BeforeRecord, Session, SessionOptions


class Replayer(Session):
    """Replay a cassette. `with Replayer("cassettes/x.yaml"):` (also `async with`).

    In the default mode `none`, a call that matches no recorded call raises
    `CassetteMismatchError` (with the closest recorded request and what differs) and never
    reaches the network. `rep.trace` is the replayed run, for assertions. With
    `replay_tools=True`, functions decorated with `@trace_ops.tool` return their recorded
    outputs instead of running (no side effects).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        record_mode: str | RecordMode = RecordMode.NONE,
        match_on: Iterable[str] | None = None,
        sequential: bool = False,
        allow_playback_repeats: bool = False,
        scrub_patterns: Iterable[str] = (),
        before_record: BeforeRecord | None = None,
        rerecord_hint: str | None = None,
        replay_tools: bool = False,
    ) -> None:
        super().__init__(
            path,
            options=SessionOptions(
                record_mode=record_mode,
                match_on=match_on,
                sequential=sequential,
                allow_playback_repeats=allow_playback_repeats,
                scrub_patterns=scrub_patterns,
                before_record=before_record,
                rerecord_hint=rerecord_hint,
                replay_tools=replay_tools,
            ),
        )
