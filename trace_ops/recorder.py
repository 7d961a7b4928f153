"""Recorder: run the agent live and capture every LLM call, tool call and decision."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import Any

from trace_ops.modes import RecordMode
from trace_ops.session import BeforeRecord, Session, SessionOptions


class Recorder(Session):
    """Record a run. `with Recorder(save_to="cassettes/x.yaml") as rec:` (also `async with`).

    Calls go live and land in `rec.trace`; on exit the trace is saved to `save_to`, also when
    the block raises (what was recorded is kept, the exception propagates). Without
    `save_to` the trace stays in memory. Inside another session (e.g. a replaying `cassette`
    fixture), the outer session answers and this recorder still sees every call.
    `intercept_http=True` also records at the httpx / httpx2 transport what no SDK interceptor
    owns (google-genai, mistralai, plain HTTP); a `Replayer` answers those calls without a flag.

    `intercept_langchain=True` records LangChain chat models at the `BaseChatModel` layer
    (one event per model call, whatever SDK is under it, or none) and `BaseTool` runs as tool
    events; `intercept_langgraph=True` adds graph and node runs, the parents of the calls
    made in them; `intercept_crewai=True` adds CrewAI crew, task and agent runs. Replaying such
    a cassette needs no flag.
    """

    def __init__(
        self,
        save_to: str | os.PathLike[str] | None = None,
        *,
        record_mode: str | RecordMode = RecordMode.ALL,
        scrub_patterns: Iterable[str] = (),
        before_record: BeforeRecord | None = None,
        match_on: Iterable[str] | None = None,
        tags: Sequence[str] = (),
        metadata: dict[str, Any] | None = None,
        intercept_langchain: bool = False,
        intercept_langgraph: bool = False,
        intercept_http: bool = False,
        intercept_crewai: bool = False,
    ) -> None:
        super().__init__(
            save_to,
            options=SessionOptions(
                record_mode=record_mode,
                match_on=match_on,
                scrub_patterns=scrub_patterns,
                before_record=before_record,
                tags=tags,
                metadata=metadata,
                intercept_http=intercept_http,
                intercept_langchain=intercept_langchain,
                intercept_langgraph=intercept_langgraph,
                intercept_crewai=intercept_crewai,
            ),
        )
